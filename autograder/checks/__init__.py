"""Hidden checks, one module per exercise part.

Each part module defines ``PART``, ``TITLE``, ``CHECKS`` (check id, student-facing name, points),
``make_inputs(rng)`` (the secret inputs of one run) and ``judge(probes, inputs)`` (a
:class:`~autograder.checks.common.Verdict` per check id).  :func:`score_part` turns a sandbox run into
Gradescope-style test entries.

    >>> from autograder.checks import PARTS, max_score
    >>> list(PARTS), max_score()
    (['my_sequential', 'parallel_module', 'factory'], 10.0)
"""
from __future__ import annotations

from . import factory, my_sequential, parallel_module
from .common import Verdict, error_of, fail

PARTS = {m.PART: m for m in (my_sequential, parallel_module, factory)}


def part_points(part: str) -> float:
    return float(sum(p for _, _, p in PARTS[part].CHECKS))


def max_score() -> float:
    return float(sum(part_points(p) for p in PARTS))


def _entry(part, check, name, points, verdict: Verdict, status=None) -> dict:
    passed = verdict.passed
    return {"name": name, "part": part, "check": check,
            "score": float(points) if passed else 0.0, "max_score": float(points),
            "status": status or ("passed" if passed else ("error" if verdict.category == "crash" else "failed")),
            "output": verdict.output, "category": None if passed else verdict.category,
            "visibility": "visible"}


_RUN_FAIL = {
    "timeout": ("timeout", "timeout", "Stopped after the time limit: look for a loop that never ends "
                "(for example in forward or __init__)."),
    "memory": ("memory", "memory_limit", "Stopped after using too much memory: look for lists or tensors "
               "that grow without bound."),
    "crash": ("error", "crash", "The process running this part ended before reporting anything (did the "
              "code exit, kill itself or crash the interpreter?)."),
    "disk": ("error", "disk_limit", "Stopped after writing too much data to files: a solution needs no files."),
    "not_run": ("skipped", "timeout", "Not graded: the time limit for the whole notebook was used up by "
                "earlier parts."),
    "no_solution": ("failed", "no_solution", "The solution cell for this part is missing from the notebook."),
}


def score_part(part: str, status: str, probes: dict | None, inputs: dict | None) -> tuple[list[dict], str]:
    """Test entries for one part, and the part's status (ok|timeout|memory|crash|not_run).

    ``status`` is the sandbox outcome; ``probes`` the observations it reported.
    """
    mod = PARTS[part]
    if status != "ok" or probes is None:
        st, cat, msg = _RUN_FAIL.get(status, _RUN_FAIL["crash"])
        v = fail(cat, msg)
        return [_entry(part, c, n, p, v, st) for c, n, p in mod.CHECKS], \
            ("crash" if status == "no_solution" else status)
    if probes.get("import_error"):
        v = fail("crash", "The grader could not import d2lmods; this is not your fault -- tell the instructor.")
        return [_entry(part, c, n, p, v, "error") for c, n, p in mod.CHECKS], "crash"
    ex = probes.get("exec") or {}
    if not ex.get("ok"):
        e = error_of(ex) or {"type": "Exception", "message": ""}
        kind = str(e.get("type"))[:60]
        if kind == "NotImplementedError":
            v = fail("not_implemented", "The solution cell still raises NotImplementedError: replace the "
                     "stub with your code.")
        elif kind == "MemoryError":
            v = fail("memory_limit", "Running the solution cell used too much memory.")
        elif kind in ("SystemExit", "KeyboardInterrupt"):
            v = fail("crash", f"The solution cell raised {kind} (exit() or an interrupt); remove it.")
        else:
            v = fail("crash", f"Running the solution cell raised {kind}: {str(e.get('message', ''))[:200]}")
        return [_entry(part, c, n, p, v) for c, n, p in mod.CHECKS], \
            ("memory" if kind == "MemoryError" else "ok")
    inner = probes.get("probes") or {}
    part_err = error_of(inner.get("_part"))
    if part_err and part_err.get("type") == "KeyError":
        v = fail("missing_name", f"The solution cell does not define {part_err.get('message')}; keep the "
                 "names the exercise asks for.")
        return [_entry(part, c, n, p, v) for c, n, p in mod.CHECKS], "ok"
    try:
        verdicts = mod.judge(inner, inputs or {})
    except Exception as e:  # observations of an unexpected shape: the student's, never ours
        verdicts = {c: fail("crash", f"Could not read what the code produced ({type(e).__name__}).")
                    for c, _, _ in mod.CHECKS}
    entries = [_entry(part, c, n, p, verdicts.get(c) or fail("crash", "This check did not run."))
               for c, n, p in mod.CHECKS]
    finished = isinstance(probes.get("timings"), dict) and "total" in probes["timings"]
    pstatus = "memory" if any(e["category"] == "memory_limit" for e in entries) else \
        ("ok" if finished else "crash")  # the process ended in the middle of the checks
    return entries, pstatus
