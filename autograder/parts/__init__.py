"""The exercise parts, one folder each: ``probe.py`` (the only half shipped into the sandbox: it
observes the student's objects) beside ``judge.py`` (runs outside: draws the secret inputs and
judges the observations against a numpy reference).

The parts of every assignment are in :data:`PARTS` (by part name); :data:`ASSIGNMENTS` says which
parts, in which order, make up each assignment (``exercises/README.md``, "Writing a graded part").

Each judge defines ``PART``, ``TITLE``, ``CHECKS`` (check id, student-facing name, points),
``make_inputs(rng)`` and ``judge(observations, inputs)`` (a
:class:`~autograder.parts.common.Verdict` per check id).  :func:`score_part` turns one sandbox run
into a :class:`~autograder.results.PartResult`.

    >>> from autograder.parts import PARTS, max_score
    >>> parts_of("modules"), max_score()
    (['my_sequential', 'parallel_module', 'factory'], 10.0)
    >>> parts_of("custom"), max_score("custom")
    (['custom_layers', 'tied_params', 'file_io'], 10.0)
"""

from __future__ import annotations

from pathlib import Path

from ..feedback_diff import STRUCTURE, as_text as diff_as_text, structure_diff
from ..results import Category, PartResult, Status, TestResult
from .common import Verdict, error_of, fail
from .custom_layers import judge as custom_layers
from .factory import judge as factory
from .file_io import judge as file_io
from .my_sequential import judge as my_sequential
from .parallel_module import judge as parallel_module
from .tied_params import judge as tied_params

HERE = Path(__file__).parent
#: assignment -> its parts' judges, in the notebook's order
ASSIGNMENTS = {
    "modules": (my_sequential, parallel_module, factory),
    "custom": (custom_layers, tied_params, file_io),
}
PARTS = {m.PART: m for judges in ASSIGNMENTS.values() for m in judges}
DEFAULT_ASSIGNMENT = "modules"


def parts_of(assignment: str | None = None) -> list[str]:
    """The parts of ``assignment``, in order (an assignment this grader does not know has none)."""
    return [m.PART for m in ASSIGNMENTS.get(assignment or DEFAULT_ASSIGNMENT, ())]


def probe_source(part: str) -> bytes:
    """The sandbox half of ``part``: the one file of the part that goes into the sandbox."""
    return (HERE / part / "probe.py").read_bytes()


def part_points(part: str) -> float:
    return float(sum(p for _, _, p in PARTS[part].CHECKS))


def max_score(assignment: str | None = None) -> float:
    return float(sum(part_points(p) for p in parts_of(assignment)))


def _tests(
    part: str, verdicts: dict[str, Verdict], outcome: Status | None = None
) -> list[TestResult]:
    out = []
    for check, name, points in PARTS[part].CHECKS:
        v = verdicts.get(check) or fail(Category.CRASH, "This check did not run.")
        o = (
            Status.OK
            if v.passed
            else (outcome or (Status.CRASH if v.category is Category.CRASH else Status.FAILED))
        )
        out.append(
            TestResult(
                check=check,
                name=name,
                part=part,
                score=float(points) if v.passed else 0.0,
                max_score=float(points),
                outcome=o,
                output=v.output,
                category=None if v.passed else v.category,
            )
        )
    return out


# what a part whose run never reported gets: (check outcome, category, message)
_RUN_FAIL = {
    Status.TIMEOUT: (
        Category.TIMEOUT,
        "Stopped after the time limit: look for a loop that never ends "
        "(for example in forward or __init__).",
    ),
    Status.MEMORY: (
        Category.MEMORY_LIMIT,
        "Stopped after using too much memory: look for lists or tensors that grow without bound.",
    ),
    Status.DISK: (
        Category.DISK_LIMIT,
        "Stopped after writing too much data to files: a solution needs no files.",
    ),
    Status.CRASH: (
        Category.CRASH,
        "The process running this part ended before reporting anything (did the "
        "code exit, kill itself or crash the interpreter?).",
    ),
    Status.NOT_RUN: (
        Category.TIMEOUT,
        "Not graded: the time limit for the whole notebook was used up by earlier parts.",
    ),
}


def not_run(
    part: str, status: Status, why: str | None = None, category: Category | None = None
) -> PartResult:
    """A part that produced no observations: every check fails with the reason."""
    cat, msg = _RUN_FAIL.get(status, _RUN_FAIL[Status.CRASH])
    v = fail(category or cat, why or msg)
    return PartResult(
        part=part,
        max_score=part_points(part),
        status=status,
        tests=_tests(part, {c: v for c, _, _ in PARTS[part].CHECKS}, status),
    )


def no_solution(part: str) -> PartResult:
    return not_run(
        part,
        Status.NOT_RUN,
        "The solution cell for this part is missing from the notebook.",
        Category.NO_SOLUTION,
    )


def _add_structure_diff(part: str, tests: list[TestResult], inner: dict) -> None:
    """A failed structure check's message gains the registered tree next to what the check expected.
    Text only, after the verdicts: the tree data can change what the student reads, never a score."""
    check = STRUCTURE.get(part, (None,))[0]
    for t in tests:
        if t.check == check and t.outcome is Status.FAILED:
            lines = structure_diff(part, inner)
            if lines:
                t.output = t.output + "\n" + diff_as_text(lines)


def score_part(
    part: str, status: Status, obs: dict | None, inputs: dict | None, library: str = "d2lmods"
) -> PartResult:
    """Judge one sandbox run.  ``status`` is how the sandbox ended; ``obs`` the verified observations
    (``exec``, ``probes``, ``timings``, ``import_error``), or None when nothing came back.  The
    verdicts do not depend on ``library`` (the course's library, named in the messages only)."""
    mod = PARTS[part]
    if status is not Status.OK or obs is None:
        return not_run(part, status if status is not Status.OK else Status.CRASH)
    result = PartResult(part=part, max_score=part_points(part), status=Status.OK)
    every = lambda v: {c: v for c, _, _ in mod.CHECKS}
    if obs.get("import_error"):
        result.status = Status.CRASH
        result.tests = _tests(
            part,
            every(
                fail(
                    Category.CRASH,
                    f"The grader could not import {library}; this is "
                    "not your fault -- tell the instructor.",
                )
            ),
        )
        return result
    ex = obs.get("exec") or {}
    if not ex.get("ok"):
        e = error_of(ex) or {"type": "Exception", "message": ""}
        kind = str(e.get("type"))[:60]
        if kind == "NotImplementedError":
            v = fail(
                Category.NOT_IMPLEMENTED,
                "The solution cell still raises NotImplementedError: replace the "
                "stub with your code.",
            )
        elif kind == "MemoryError":
            v = fail(Category.MEMORY_LIMIT, "Running the solution cell used too much memory.")
            result.status = Status.MEMORY
        elif kind in ("SystemExit", "KeyboardInterrupt"):
            v = fail(
                Category.CRASH,
                f"The solution cell raised {kind} (exit() or an interrupt); remove it.",
            )
        else:
            v = fail(
                Category.CRASH,
                f"Running the solution cell raised {kind}: {str(e.get('message', ''))[:200]}",
            )
        result.tests = _tests(part, every(v))
        return result
    inner = obs.get("probes") or {}
    part_err = error_of(inner.get("_part"))
    if part_err and part_err.get("type") == "KeyError":
        result.tests = _tests(
            part,
            every(
                fail(
                    Category.MISSING_NAME,
                    f"The solution cell does not define "
                    f"{part_err.get('message')}; keep the names the exercise asks for.",
                )
            ),
        )
        return result
    try:
        verdicts = mod.judge(inner, inputs or {})
    except Exception as e:  # observations of an unexpected shape: the student's, never ours
        verdicts = every(
            fail(Category.CRASH, f"Could not read what the code produced ({type(e).__name__}).")
        )
    result.tests = _tests(part, verdicts)
    _add_structure_diff(part, result.tests, inner)
    finished = isinstance(obs.get("timings"), dict) and "total" in obs["timings"]
    if any(t.category is Category.MEMORY_LIMIT for t in result.tests):
        result.status = Status.MEMORY
    elif not finished:
        result.status = Status.CRASH  # the process ended in the middle of the checks
    return result
