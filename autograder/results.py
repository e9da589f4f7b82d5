"""The grading records: one vocabulary of statuses, categories and flags, and the typed results.

A :class:`SubmissionResult` is what ``grade_submission`` returns and what
``results/<assignment>/<student>.json`` holds (:meth:`SubmissionResult.to_json`, in Gradescope's
shape: ``tests`` with ``name/score/max_score/status/output/visibility``, where ``status`` is
only ``passed`` or ``failed``; what the dashboard needs besides rides in extra fields).

    >>> t = TestResult("forward_chains", "forward calls every module once", "my_sequential", 0.0, 1.0,
    ...                Status.FAILED, "forward skips a module.", Category.SKIPS_MODULE)
    >>> t.to_json()["status"], t.to_json()["outcome"], t.to_json()["category"]
    ('failed', 'failed', 'skips_module')
    >>> TestResult.from_json(t.to_json()) == t
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How a sandbox run, a part or a single check ended (one vocabulary for all three)."""

    OK = "ok"  # ran to the end; for a check: passed
    FAILED = "failed"  # a check ran and the answer was wrong (checks only)
    CRASH = "crash"  # the code raised, or the process ended before reporting
    TIMEOUT = "timeout"  # a time limit stopped it
    MEMORY = "memory"  # the memory limit stopped it
    DISK = "disk"  # it wrote more than the output folder may hold (bytes, files or depth)
    NOT_RUN = "not_run"  # never started: no solution cell, or the notebook's time was used up
    HELD = "held"  # the grader saw tampering: scores 0 until an instructor reviews it

    @classmethod
    def parse(cls, value) -> Status:
        """A status from a results file, including the test statuses grader 0.1 wrote."""
        legacy = {"passed": cls.OK, "error": cls.CRASH, "skipped": cls.NOT_RUN}
        try:
            return legacy.get(value) or cls(value)
        except ValueError:
            return cls.CRASH


class Category(StrEnum):
    """Why a check failed, as the instructor groups mistakes (the dashboard has a phrase for each)."""

    PLAIN_LIST = "plain_list"
    USES_BUILTIN = "uses_builtin"
    NAME_CLASH = "name_clash"
    WRONG_ORDER = "wrong_order"
    REPEATS_MODULE = "repeats_module"
    SKIPS_MODULE = "skips_module"
    WRONG_OUTPUT = "wrong_output"
    WRONG_CONCAT_DIM = "wrong_concat_dim"
    MISSING_BRANCH = "missing_branch"
    MUTATED_INPUT = "mutated_input"
    NO_GRADIENT = "no_gradient"
    MISSING_PARAMETERS = "missing_parameters"
    SHARED_INSTANCE = "shared_instance"
    IGNORED_ARGS = "ignored_args"
    IGNORED_KWARGS = "ignored_kwargs"
    N_ZERO = "n_zero"
    WRONG_TYPE = "wrong_type"
    NOT_A_MODULE = "not_a_module"
    NOT_IMPLEMENTED = "not_implemented"
    MISSING_NAME = "missing_name"
    NO_SOLUTION = "no_solution"
    NOT_RECURSIVE = "not_recursive"
    REPR_MISSING_CHILDREN = "repr_missing_children"
    CRASH = "crash"
    MEMORY_LIMIT = "memory_limit"
    DISK_LIMIT = "disk_limit"
    TIMEOUT = "timeout"
    HELD_FOR_REVIEW = "held_for_review"
    # the "custom" assignment: custom layers, parameter management, file I/O
    CENTERS_ROWS = "centers_rows"
    HAS_PARAMETERS = "has_parameters"
    WRONG_SHAPE = "wrong_shape"
    RETURNS_COPY = "returns_copy"
    NOT_TIED = "not_tied"
    SAVES_MODULE = "saves_module"
    NOT_LOADED = "not_loaded"
    LEFT_IN_TRAINING = "left_in_training"

    @classmethod
    def parse(cls, value) -> Category | str | None:
        """A category from a results file; one this grader does not know stays a string."""
        if value is None:
            return None
        try:
            return cls(value)
        except ValueError:
            return str(value)


class Flag(StrEnum):
    """Something about a whole submission an instructor should look at."""

    TAMPERED_TESTS = "tampered_tests"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    DISK_LIMIT = "disk_limit"
    CRASH = "crash"
    INVALID_NOTEBOOK = "invalid_notebook"
    WRONG_ASSIGNMENT = "wrong_assignment"
    EMPTY = "empty"
    NO_SOLUTION = "no_solution"
    NOT_RECORDED = "not_recorded"
    LEFTOVER_PROCESSES = "leftover_processes"
    # the grader-facing tampering below holds the part at 0 until an instructor reviews it
    GRADER_TAMPERING = "grader_tampering"  # the source reaches for the grader (static scan)
    BLOCKED_ACCESS = "blocked_access"  # the running code tried a guarded route (frames, gc, /proc)
    FORGED_REPORT = "forged_report"  # bytes on the report channel the probe did not sign
    OVERRIDES_TRAVERSAL = (
        "overrides_traversal"  # a class redefines how modules are found or registered
    )
    LIBRARY_PATCHED = "library_patched"  # d2lmods' classes were changed while grading
    INCONSISTENT_STRUCTURE = (
        "inconsistent_structure"  # the methods claim what registration does not hold
    )

    @classmethod
    def parse(cls, value) -> Flag | str:
        try:
            return cls(value)
        except ValueError:
            return str(value)


#: Flags that hold the part they were raised for at 0 until an instructor has reviewed it.
REVIEW_FLAGS = frozenset(
    {
        Flag.GRADER_TAMPERING,
        Flag.BLOCKED_ACCESS,
        Flag.FORGED_REPORT,
        Flag.OVERRIDES_TRAVERSAL,
        Flag.LIBRARY_PATCHED,
        Flag.INCONSISTENT_STRUCTURE,
    }
)


def _num(value, default: float = 0.0) -> float:
    """A finite float from a results file (anything else -> ``default``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    try:
        value = float(value)
    except OverflowError:
        return default
    return value if math.isfinite(value) else default


@dataclass
class TestResult:
    """One hidden check of one part."""

    check: str
    name: str
    part: str
    score: float
    max_score: float
    outcome: Status
    output: str
    category: Category | str | None = None
    held_score: float = 0.0  # what the checks gave before the part was held for review
    visibility: str = "visible"

    @property
    def passed(self) -> bool:
        return self.outcome is Status.OK

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": "passed" if self.passed else "failed",
            "output": self.output,
            "visibility": self.visibility,
            "part": self.part,
            "check": self.check,
            "outcome": str(self.outcome),
            "category": None if self.category is None else str(self.category),
            **({"held_score": self.held_score} if self.outcome is Status.HELD else {}),
        }

    @classmethod
    def from_json(cls, d: dict) -> TestResult:
        d = d if isinstance(d, dict) else {}
        status = d.get("outcome", d.get("status"))
        return cls(
            check=str(d.get("check") or d.get("name") or "?"),
            name=str(d.get("name") or d.get("check") or "?"),
            part=str(d.get("part") or ""),
            score=_num(d.get("score")),
            max_score=_num(d.get("max_score")),
            outcome=Status.parse(status),
            output=str(d.get("output") or ""),
            category=Category.parse(d.get("category")),
            held_score=_num(d.get("held_score")),
            visibility=str(d.get("visibility") or "visible"),
        )


@dataclass
class PartResult:
    """One exercise part: its checks, how its sandbox run ended, and what it cost."""

    part: str
    max_score: float
    status: Status = Status.NOT_RUN
    tests: list[TestResult] = field(default_factory=list)
    wall_seconds: float = 0.0
    flags: list[Flag] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # why the part is held, for the reviewer
    run: dict = field(default_factory=dict)  # sandbox telemetry (exit code, seed, stderr tail)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def held(self) -> bool:
        return self.status is Status.HELD

    @property
    def held_score(self) -> float:
        return round(sum(t.held_score for t in self.tests), 4)

    def hold(self, flag: Flag, why: str) -> None:
        """Hold the part for review: every check scores 0 and says why; the checks' own result
        stays in ``held_score`` so the reviewer can release it."""
        if flag not in self.flags:
            self.flags.append(flag)
        if why not in self.review:
            self.review.append(why)
        if self.status is not Status.HELD:
            self.status = Status.HELD
            for t in self.tests:
                t.held_score, t.score = t.score, 0.0
                t.outcome, t.category = Status.HELD, Category.HELD_FOR_REVIEW
        for t in self.tests:
            t.output = (
                "Held for review: " + "; ".join(self.review) + ". This part scores 0 until an "
                "instructor has looked at it."
            )

    def summary_json(self) -> dict:
        out = {
            "score": self.score,
            "max_score": self.max_score,
            "wall_seconds": self.wall_seconds,
            "status": str(self.status),
        }
        if self.held:
            out.update(
                held_score=self.held_score,
                review=list(self.review),
                flags=[str(f) for f in self.flags],
            )
        return out


@dataclass
class SubmissionResult:
    """Everything the grader decided about one student's notebook."""

    student: str
    assignment: str
    max_score: float
    parts: dict[str, PartResult] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    extra: dict = field(
        default_factory=dict
    )  # sandbox, timings, grader_version, graded_at, problem ...
    feedback: str = ""

    @property
    def tests(self) -> list[TestResult]:
        return [t for p in self.parts.values() for t in p.tests]

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts.values()), 4)

    @property
    def held_parts(self) -> list[str]:
        return [name for name, p in self.parts.items() if p.held]

    def flag(self, flag: Flag) -> None:
        if flag not in self.flags:
            self.flags.append(flag)

    def to_json(self) -> dict:
        """The results file: Gradescope's top-level keys plus ``parts``, ``flags`` and ``extra_data``."""
        extra = dict(self.extra)
        extra["parts"] = {
            name: {
                **p.run,
                "status": str(p.status),
                "wall_seconds": p.wall_seconds,
                "timings": dict(p.timings),
            }
            for name, p in self.parts.items()
        }
        return {
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "tests": [t.to_json() for t in self.tests],
            "parts": {name: p.summary_json() for name, p in self.parts.items()},
            "flags": [str(f) for f in self.flags],
            "extra_data": extra,
            "feedback": self.feedback,
        }

    @classmethod
    def from_json(cls, d: dict) -> SubmissionResult:
        """Read a results file back; a partial or older file gives what it holds (never raises)."""
        d = d if isinstance(d, dict) else {}
        parts_in = d.get("parts") if isinstance(d.get("parts"), dict) else {}
        extra = dict(d.get("extra_data")) if isinstance(d.get("extra_data"), dict) else {}
        runs = extra.pop("parts", None)
        runs = runs if isinstance(runs, dict) else {}
        parts: dict[str, PartResult] = {}
        for name, p in parts_in.items():
            p = p if isinstance(p, dict) else {}
            review = p.get("review") if isinstance(p.get("review"), list) else []
            flags = p.get("flags") if isinstance(p.get("flags"), list) else []
            run = runs.get(name) if isinstance(runs.get(name), dict) else {}
            parts[str(name)] = PartResult(
                part=str(name),
                max_score=_num(p.get("max_score")),
                status=Status.parse(p.get("status")),
                wall_seconds=_num(p.get("wall_seconds")),
                flags=[Flag.parse(f) for f in flags],
                review=[str(r) for r in review],
                run={
                    k: v for k, v in run.items() if k not in ("status", "wall_seconds", "timings")
                },
            )
        for t in d.get("tests") if isinstance(d.get("tests"), list) else []:
            test = TestResult.from_json(t)
            part = parts.get(test.part)
            if part is None:
                part = parts[test.part] = PartResult(
                    part=test.part, max_score=0.0, status=Status.OK
                )
            part.tests.append(test)
        flags = d.get("flags") if isinstance(d.get("flags"), list) else []
        return cls(
            student=str(d.get("student") or ""),
            assignment=str(d.get("assignment") or ""),
            max_score=_num(d.get("max_score")),
            parts=parts,
            flags=[Flag.parse(f) for f in flags],
            extra=extra,
            feedback=str(d.get("feedback") or ""),
        )

    # -- what the dashboard reads ------------------------------------------------------------------
    @property
    def grading_seconds(self) -> float | None:
        v = self.extra.get("grading_seconds")
        return _num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    @property
    def sandbox(self) -> str:
        return str(self.extra.get("sandbox", ""))

    @property
    def timings(self) -> dict[str, float]:
        raw = self.extra.get("timings") if isinstance(self.extra.get("timings"), dict) else {}
        # a 400-digit int or inf is no number here (math.isfinite would raise on the int)
        return {str(k): n for k, n in ((k, _num(v, None)) for k, v in raw.items()) if n is not None}
