"""Everything the dashboard shows about one assignment, read from disk.

Two sources are merged per student:

* nbgrader's gradebook (through ``nbgrader.api.Gradebook``, so any database
  nbgrader supports works: the course's ``db_url`` decides) holds the official
  scores, including the manually graded cell;
* the grader's results files ``<course>/results/<assignment>/<student>.json``
  hold what the gradebook cannot: every hidden check, failure categories,
  flags and timings.

Either may be missing or partial: a course nobody submitted to, a course
graded halfway, students enrolled without a submission.

>>> data = load_assignment("build/demo-course", "modules")     # doctest: +SKIP
>>> [s.student for s in data.students if s.graded]             # doctest: +SKIP
['alice', 'bob']
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..course import sqlalchemy_url  # noqa: F401  (re-exported: the dashboard reads the same URLs)
from ..results import Category, Flag, Status, SubmissionResult, TestResult

# Outcomes of a single check that count as a failure the instructor should see.
FAILING_STATUSES = frozenset(
    {Status.FAILED, Status.CRASH, Status.TIMEOUT, Status.MEMORY, Status.DISK, Status.HELD}
)

# Human wording for every flag, in display order (a test checks that none is missing).
FLAG_LABELS = {
    Flag.GRADER_TAMPERING: "reached for the grader (held for review)",
    Flag.FORGED_REPORT: "forged the grader's report (held for review)",
    Flag.BLOCKED_ACCESS: "tried a guarded route into the grader (held for review)",
    Flag.OVERRIDES_TRAVERSAL: "redefined how modules are found (held for review)",
    Flag.LIBRARY_PATCHED: "patched the library (d2lmods or torch) or numpy while graded (held for review)",
    Flag.INCONSISTENT_STRUCTURE: "methods claim children that are not registered (held for review)",
    Flag.TAMPERED_TESTS: "tampered with tests",
    Flag.TIMEOUT: "timed out",
    Flag.MEMORY_LIMIT: "killed at the memory limit",
    Flag.DISK_LIMIT: "filled its output folder (killed at the disk limit)",
    Flag.CRASH: "crashed",
    Flag.LEFTOVER_PROCESSES: "left processes behind",
    Flag.INVALID_NOTEBOOK: "invalid notebook",
    Flag.WRONG_ASSIGNMENT: "wrong assignment",
    Flag.EMPTY: "empty submission",
    Flag.NO_SOLUTION: "no solution written",
    Flag.NOT_RECORDED: "not recorded in the gradebook",
}

# The grader's failure categories as what the students did ("14 students kept modules in a
# plain Python list"); a test checks that every Category has one.
CATEGORY_PHRASES = {
    "plain_list": "kept modules in a plain Python list or dict, so they were never registered",
    "uses_builtin": "reused nn.Sequential/nn.ModuleList instead of registering children themselves",
    "name_clash": "registered two children under the same name (one was lost)",
    "wrong_order": "applied the children in the wrong order",
    "repeats_module": "called a child more than once in forward",
    "skips_module": "skipped a child in forward",
    "wrong_output": "computed wrong outputs",
    "wrong_concat_dim": "concatenated along the wrong dimension",
    "missing_branch": "left a branch out of the output",
    "mutated_input": "changed the input in place",
    "no_gradient": "cut the gradient to some parameters",
    "missing_parameters": "lost or reordered parameters in parameters()/state_dict()",
    "shared_instance": "returned one shared instance instead of independent modules",
    "ignored_args": "ignored the arguments meant for the modules",
    "ignored_kwargs": "ignored the keyword arguments meant for the modules",
    "n_zero": "mishandled n = 0 (an empty container)",
    "wrong_type": "returned the wrong container type",
    "not_a_module": "did not derive from nn.Module",
    "not_implemented": "left a stub unimplemented",
    "missing_name": "renamed or removed a name the exercise asks for",
    "no_solution": "handed in no solution for a part",
    "not_recursive": "had children that .double()/train()/eval() did not reach",
    "repr_missing_children": "had a repr that does not list the children",
    "crash": "had code that crashed while being checked",
    "memory_limit": "ran out of memory",
    "disk_limit": "wrote files until the disk limit stopped them",
    "timeout": "ran past the time limit",
    "held_for_review": "had a part held for review (the code reached for the grader)",
    "centers_rows": "subtracted each row's mean instead of the mean of all elements",
    "has_parameters": "gave a layer without parameters a Parameter",
    "wrong_shape": "created parameters of the wrong shape (or transposed)",
    "returns_copy": "returned a copy of the parameter (state_dict / .data) instead of the Parameter",
    "not_tied": "made a copy of the shared layer instead of tying it",
    "saves_module": "saved the module instead of its state_dict",
    "not_loaded": "built a fresh model without loading the saved parameters",
    "left_in_training": "left the loaded model in training mode",
}
CATEGORY_PHRASES = {Category(k): v for k, v in CATEGORY_PHRASES.items()}


class DashboardError(Exception):
    """A course or assignment the dashboard cannot read; the message says why and what to do."""


@dataclass
class CellGrade:
    """One grade cell of one submission as the gradebook records it."""

    name: str
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class StudentRecord:
    """One student of the course and whatever is known about their submission."""

    student: str
    name: str = ""
    in_gradebook: bool = False
    submitted: bool = False
    timestamp: str | None = None
    gradebook_score: float | None = None
    gradebook_max: float | None = None
    needs_manual_grade: bool = False
    cells: dict[str, CellGrade] = field(default_factory=dict)
    result: SubmissionResult | None = None
    result_path: Path | None = None
    feedback_path: Path | None = None
    problem: str | None = None  # why the results file could not be used

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def scored(self) -> bool:
        """Whether the score means something yet: auto-graded, or fully graded in the gradebook."""
        return self.graded or (self.gradebook_score is not None and not self.needs_manual_grade)

    @property
    def score(self) -> float | None:
        """The official score: the gradebook's (with manual grades) when known, else the grader's."""
        if self.gradebook_score is not None:
            return self.gradebook_score
        if self.result is not None:
            return self.result.score
        return None

    @property
    def max_score(self) -> float | None:
        if self.gradebook_max is not None:
            return self.gradebook_max
        if self.result is not None:
            return self.result.max_score
        return None

    @property
    def flags(self) -> list[Flag | str]:
        return list(self.result.flags) if self.result else []

    @property
    def part_scores(self) -> dict[str, float]:
        return {name: p.score for name, p in self.result.parts.items()} if self.result else {}

    @property
    def tests(self) -> list[TestResult]:
        return self.result.tests if self.result else []

    @property
    def grading_seconds(self) -> float | None:
        return self.result.grading_seconds if self.result else None

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per grading phase of this submission.

        The grader's own phases (``imports``, ``exec``, ``checks``, ...) measured
        inside the sandbox, plus ``sandbox start``: the parts' wall time not
        covered by the in-sandbox ``total`` (process, namespaces, interpreter).
        """
        if self.result is None:
            return {}
        out = self.result.timings
        inside = out.pop("total", None)
        walls = [p.wall_seconds for p in self.result.parts.values()]
        if inside is not None and walls:
            out = {"sandbox start": max(0.0, sum(walls) - inside), **out}
        return out


@dataclass
class CheckStats:
    """How one check fared across the graded submissions."""

    part: str
    check: str
    name: str
    visibility: str
    statuses: Counter = field(default_factory=Counter)  # Status -> how many submissions

    @property
    def attempts(self) -> int:
        return sum(self.statuses.values())

    @property
    def passed(self) -> int:
        return self.statuses.get(Status.OK, 0)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.attempts if self.attempts else 0.0


@dataclass
class FailureCategory:
    """A kind of mistake, how many students made it and one anonymised message."""

    label: str
    students: int
    example: str
    checks: list[str]

    @property
    def phrase(self) -> str | None:
        """What the students did, in words, when the category is a known one."""
        return CATEGORY_PHRASES.get(self.label)


@dataclass
class AssignmentData:
    """The merged view of one assignment; every chart and table is computed from this."""

    course_dir: Path
    course_id: str
    assignment: str
    db_url: str | None
    gradebook_found: bool
    students: list[StudentRecord]
    cell_max: dict[str, float]  # grade cell -> max score, from the gradebook
    part_max: dict[str, float]  # grader part -> max score, from the results files
    warnings: list[str] = field(default_factory=list)
    manual_cells: list[str] = field(default_factory=list)  # gradebook cells graded by a person

    # -- counts ---------------------------------------------------------------------------------
    @property
    def submitted(self) -> list[StudentRecord]:
        return [s for s in self.students if s.submitted]

    @property
    def graded(self) -> list[StudentRecord]:
        return [s for s in self.students if s.graded]

    @property
    def max_score(self) -> float | None:
        known = [s.max_score for s in self.students if s.max_score is not None]
        if known:
            return max(known)
        if self.cell_max:
            return sum(self.cell_max.values())
        return sum(self.part_max.values()) or None

    def score_summary(self) -> dict[str, float | int | None]:
        """Mean/median/min/max of the official score over the scored submissions."""
        scores = [s.score for s in self.students if s.scored and s.score is not None]
        if not scores:
            return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
        return {
            "count": len(scores),
            "mean": statistics.fmean(scores),
            "median": statistics.median(scores),
            "min": min(scores),
            "max": max(scores),
        }

    # -- per part -------------------------------------------------------------------------------
    def part_distributions(self) -> dict[str, tuple[list[float], float]]:
        """Scores per graded part: the grader's parts, then the manually graded gradebook cells.

        The gradebook's auto-graded cells repeat the grader's parts under test-cell
        names, so they are shown only when no results file exists at all.
        """
        out: dict[str, tuple[list[float], float]] = {}
        for part, top in self.part_max.items():
            out[part] = ([s.part_scores[part] for s in self.graded if part in s.part_scores], top)
        for cell, top in self.cell_max.items():
            if cell in out or (self.part_max and cell not in self.manual_cells):
                continue
            values = [
                s.cells[cell].score
                for s in self.submitted
                if cell in s.cells and not s.cells[cell].needs_manual_grade
            ]
            out[cell] = (values, top)
        return out

    # -- checks and failures --------------------------------------------------------------------
    def check_stats(self) -> list[CheckStats]:
        """Every check seen in the results, hardest first."""
        stats: dict[tuple[str, str], CheckStats] = {}
        for s in self.graded:
            for t in s.tests:
                key = (t.part, t.check)
                if key not in stats:
                    stats[key] = CheckStats(
                        part=t.part, check=t.check, name=t.name, visibility=t.visibility
                    )
                stats[key].statuses[t.outcome] += 1
        return sorted(stats.values(), key=lambda c: (c.pass_rate, c.part, c.check))

    def failure_categories(self, limit: int | None = None) -> list[FailureCategory]:
        """Mistakes grouped by the grader's category (else by the failed check), most common first.

        Counts are students, not tests: a student failing three checks of the
        same category counts once.
        """
        students: dict[str, set[str]] = defaultdict(set)
        messages: dict[str, Counter] = defaultdict(Counter)
        checks: dict[str, set[str]] = defaultdict(set)
        for s in self.graded:
            for t in s.tests:
                if t.outcome not in FAILING_STATUSES:
                    continue
                label = t.category if t.category is not None else f"failed: {t.name}"
                students[label].add(s.student)
                checks[label].add(t.name)
                msg = anonymise(t.output, self._identities(), self.course_dir)
                if msg:
                    messages[label][msg] += 1
        cats = [
            FailureCategory(
                label=label,
                students=len(who),
                example=messages[label].most_common(1)[0][0] if messages[label] else "",
                checks=sorted(checks[label]),
            )
            for label, who in students.items()
        ]
        cats.sort(key=lambda c: (-c.students, c.label))
        return cats[:limit] if limit else cats

    def clusters(self) -> list:
        """Answer clusters of the graded submissions, with the instructor's comments."""
        from ..clusters import find_clusters, read_comments

        return find_clusters(
            [s.result for s in self.graded], read_comments(self.course_dir, self.assignment)
        )

    def flagged(self) -> list[StudentRecord]:
        """Submissions with any flag (tampering, timeouts, crashes, memory kills, ...)."""
        return [s for s in self.graded if s.flags]

    def flag_counts(self) -> Counter:
        return Counter(f for s in self.graded for f in s.flags)

    def _identities(self) -> list[str]:
        ids = set()
        for s in self.students:
            ids.add(s.student)
            ids.update(p for p in s.name.split() if len(p) > 2)
        return sorted(ids, key=len, reverse=True)


def anonymise(
    message: str, identities: list[str], course_dir: Path | None = None, limit: int = 400
) -> str:
    """Make a student-facing message safe to show as an example to the whole staff.

    >>> anonymise("alice: modules kept in /home/alice/list.py", ["alice"])
    '<student>: modules kept in <path>'
    """
    text = message.strip()
    if course_dir is not None:
        text = text.replace(str(course_dir), "<course>")
    text = re.sub(r"(?<![\w<])/(?:[\w.+-]+/)+[\w.+-]*", "<path>", text)
    for ident in identities:
        if ident:
            text = re.sub(rf"\b{re.escape(ident)}\b", "<student>", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


# --------------------------------------------------------------------------------------------------
# Reading the course
# --------------------------------------------------------------------------------------------------


def course_settings(course_dir: str | Path) -> tuple[str, str]:
    """``(course_id, db_url)`` from ``<course>/nbgrader_config.py``, with nbgrader's defaults.

    >>> course_settings("/nonexistent")                      # doctest: +SKIP
    ('default_course', 'sqlite:////nonexistent/gradebook.db')
    """
    course_dir = Path(course_dir).resolve()
    course_id, db_url = "default_course", None
    config_file = course_dir / "nbgrader_config.py"
    if config_file.exists():
        from traitlets.config.loader import PyFileConfigLoader

        try:
            cfg = PyFileConfigLoader(config_file.name, path=str(course_dir)).load_config()
        except Exception as exc:  # a syntax error in the config is the instructor's to fix
            raise DashboardError(
                f"cannot read {config_file}: {exc}. Fix the file or remove it "
                "to use nbgrader's defaults."
            ) from exc
        cd = cfg.get("CourseDirectory", {})
        course_id = cd.get("course_id") or course_id
        db_url = cd.get("db_url") or None
    if not db_url:
        db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    return course_id, db_url


def _sqlite_path(db_url: str) -> Path | None:
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///") :])
    return None


def _open_gradebook(db_url: str, course_id: str):
    """The gradebook, or ``None`` when a SQLite file does not exist yet (never create one here)."""
    path = _sqlite_path(db_url)
    if path is not None and not path.exists():
        return None
    from nbgrader.api import Gradebook

    try:
        return Gradebook(sqlalchemy_url(db_url), course_id=course_id)
    except Exception as exc:
        shown = re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", db_url)  # never print a password
        raise DashboardError(
            f"cannot open the gradebook at {shown}: {exc}. Check db_url in "
            "nbgrader_config.py and that the database server is running."
        ) from exc


def list_assignments(course_dir: str | Path) -> list[str]:
    """Assignment names known to the gradebook or present under ``results/``."""
    course_dir = Path(course_dir).resolve()
    names = set()
    results = course_dir / "results"
    if results.is_dir():
        names.update(p.name for p in results.iterdir() if p.is_dir())
    course_id, db_url = course_settings(course_dir)
    gb = _open_gradebook(db_url, course_id)
    if gb is not None:
        with gb:
            names.update(a.name for a in gb.assignments)
    return sorted(names)


def _read_gradebook(
    gb, assignment: str, records: dict[str, StudentRecord], manual_cells: list[str]
) -> dict[str, float]:
    from nbgrader.api import MissingEntry

    for st in gb.students:
        rec = records.setdefault(st.id, StudentRecord(student=st.id))
        rec.in_gradebook = True
        rec.name = " ".join(p for p in (st.first_name, st.last_name) if p)
    try:
        assignment_row = gb.find_assignment(assignment)
    except MissingEntry:
        return {}
    cell_max: dict[str, float] = {}
    for nb in assignment_row.notebooks:
        for cell in nb.grade_cells:
            cell_max[cell.name] = cell_max.get(cell.name, 0.0) + float(cell.max_score)
            if cell.cell_type == "markdown":  # nbgrader grades written answers by hand only
                manual_cells.append(cell.name)
    for sub in assignment_row.submissions:
        rec = records.setdefault(
            sub.student.id, StudentRecord(student=sub.student.id, in_gradebook=True)
        )
        rec.submitted = True
        rec.timestamp = sub.timestamp.isoformat(sep=" ") if sub.timestamp else None
        rec.gradebook_score = float(sub.score)
        rec.gradebook_max = float(sub.max_score)
        rec.needs_manual_grade = bool(sub.needs_manual_grade)
        for nb in sub.notebooks:
            for g in nb.grades:
                rec.cells[g.name] = CellGrade(
                    name=g.name,
                    score=float(g.score),
                    max_score=float(g.max_score),
                    needs_manual_grade=bool(g.needs_manual_grade),
                )
    return cell_max


def _read_results(
    course_dir: Path, assignment: str, records: dict[str, StudentRecord], warnings: list[str]
) -> dict[str, float]:
    part_max: dict[str, float] = {}
    folder = course_dir / "results" / assignment
    if not folder.is_dir():
        return part_max
    for path in sorted(folder.glob("*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(result, dict):
                raise ValueError("top level is not an object")
            _check_shape(result)
        except (OSError, ValueError, RecursionError) as exc:
            # Keep the student visible: a broken file is something to look at, not to hide.
            rec = records.setdefault(path.stem, StudentRecord(student=path.stem))
            rec.problem = f"unreadable results file {path.name}: {exc}"
            rec.result_path = path
            warnings.append(f"{path}: {exc}")
            continue
        student = str(result.get("student") or path.stem)
        if student != path.stem:
            warnings.append(f"{path} names student {student!r}; using the file name {path.stem!r}")
            student = path.stem
        rec = records.setdefault(student, StudentRecord(student=student))
        record = SubmissionResult.from_json(result)
        rec.result, rec.result_path, rec.submitted = record, path, True
        if record.feedback:
            fb = course_dir / record.feedback
            rec.feedback_path = fb if fb.exists() else None
        for name, part in record.parts.items():
            part_max[name] = max(part_max.get(name, 0.0), part.max_score)
    return part_max


def load_assignment(course_dir: str | Path, assignment: str) -> AssignmentData:
    """Merge the gradebook and the results files of ``assignment`` into one :class:`AssignmentData`."""
    course_dir = Path(course_dir).resolve()
    if not course_dir.is_dir():
        raise DashboardError(
            f"course directory {course_dir} does not exist; pass the folder that holds "
            "nbgrader_config.py (e.g. build/demo-course)."
        )
    course_id, db_url = course_settings(course_dir)
    records: dict[str, StudentRecord] = {}
    warnings: list[str] = []
    cell_max: dict[str, float] = {}
    manual_cells: list[str] = []
    gb = _open_gradebook(db_url, course_id)
    if gb is not None:
        with gb:
            cell_max = _read_gradebook(gb, assignment, records, manual_cells)
    else:
        warnings.append(f"no gradebook yet at {db_url}; showing the results files only")
    # Students with a folder under submitted/ but nothing else still count as submitted.
    sub_dir = course_dir / "submitted"
    if sub_dir.is_dir():
        for p in sub_dir.glob(f"*/{assignment}"):
            records.setdefault(p.parent.name, StudentRecord(student=p.parent.name)).submitted = True
    part_max = _read_results(course_dir, assignment, records, warnings)
    return AssignmentData(
        course_dir=course_dir,
        course_id=course_id,
        assignment=assignment,
        db_url=db_url,
        gradebook_found=gb is not None,
        students=[records[k] for k in sorted(records)],
        cell_max=cell_max,
        part_max=part_max,
        warnings=warnings,
        manual_cells=manual_cells,
    )


def _check_shape(result: dict) -> None:
    """Raise ValueError when a results file does not have the shape the dashboard reads."""
    for key, kind in (("parts", dict), ("tests", list), ("flags", list), ("extra_data", dict)):
        if result.get(key) is not None and not isinstance(result[key], kind):
            raise ValueError(f"{key!r} is not a {kind.__name__}")
    if not all(isinstance(p, dict) for p in (result.get("parts") or {}).values()):
        raise ValueError("an entry of 'parts' is not an object")
    if not all(isinstance(t, dict) for t in result.get("tests") or []):
        raise ValueError("an entry of 'tests' is not an object")
    timings = (result.get("extra_data") or {}).get("timings")
    if timings is not None and not isinstance(timings, dict):
        raise ValueError("'extra_data.timings' is not an object")
