"""The nbgrader side: course config, generate/import/collect, the gradebook, feedback, grades.csv.

nbgrader stays the course format, the release/collect/feedback tool and the gradebook; only the
*execution* of student code is ours.  For each graded submission this module writes what
``nbgrader autograde`` would have written -- ``autograded/<student>/<assignment>/<nb>.ipynb`` and
the grades in the gradebook -- so formgrader, ``nbgrader export`` and ``nbgrader
generate_feedback`` work as usual, and the written answer is graded by hand in formgrader.

    >>> course = Course("build/demo-course")        # doctest: +SKIP
    >>> course.generate("modules")                   # doctest: +SKIP
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import re
import shutil
import sys
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from . import clusters, edition, notebook, parts, safeio
from .results import Flag, PartResult, SubmissionResult

#: Use with ``fullmatch`` (see :func:`valid_student_id`): ``$`` would also match before a trailing
#: newline, and ``bob\n`` would be graded as a twin of ``bob``.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MANUAL_CELL = "list_problems"
#: Flags that mark the submission in formgrader (besides any part held for review).
FLAGGED_IN_GRADEBOOK = frozenset(
    {
        Flag.TAMPERED_TESTS,
        Flag.INVALID_NOTEBOOK,
        Flag.WRONG_ASSIGNMENT,
        Flag.CRASH,
        Flag.NOT_RECORDED,
        Flag.DISK_LIMIT,
    }
)
TIMESTAMP_BYTES = 256
IMPORT_BYTES = 1 << 30  # all notebooks of one import, decompressed (held in memory)


def valid_student_id(sid: str) -> bool:
    return isinstance(sid, str) and STUDENT_ID.fullmatch(sid) is not None


class ImportReport(list):
    """The student ids an import wrote (a list, sorted), plus what it could not import:
    ``damaged`` (name, why), ``duplicates`` (student id -> the member names that all claim it;
    none of them is imported, every copy is kept under ``kept``), ``skipped`` (name, why)."""

    def __init__(self, ids=(), damaged=None, duplicates=None, skipped=None, kept=None):
        super().__init__(ids)
        self.damaged: list[tuple[str, str]] = damaged or []
        self.duplicates: dict[str, list[str]] = duplicates or {}
        self.skipped: list[tuple[str, str]] = skipped or []
        self.kept: Path | None = kept

    def problems(self) -> list[str]:
        out = [f"damaged {n!r}: {why}" for n, why in self.damaged]
        out += [
            f"duplicate student {sid!r} in {', '.join(map(repr, names))}: not imported, every copy kept in "
            f"{self.kept}"
            for sid, names in self.duplicates.items()
        ]
        out += [f"skipped {n!r}: {why}" for n, why in self.skipped]
        return out


def _ensure_tools_on_path() -> None:
    """nbgrader shells out to ``alembic`` when it creates a gradebook: the venv's bin must be on PATH."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def test_cell_part(gid: str) -> str | None:
    """``test_my_sequential_behaviour`` -> ``my_sequential``."""
    for part in parts.PARTS:
        if gid.startswith(f"test_{part}_"):
            return part
    return None


class Course:
    """An nbgrader course directory (``nbgrader_config.py`` + ``source/``)."""

    def __init__(self, root: str | os.PathLike):
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        _ensure_tools_on_path()
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise FileNotFoundError(
                f"{self.root} is not an nbgrader course: nbgrader_config.py is missing "
                "(point at the course folder, e.g. exercises/)"
            )
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        cfg.merge(Config({"CourseDirectory": {"root": str(self.root)}}))
        #: the library the course teaches with (``c.D2LCourse.library``): d2lmods or torch
        self.library = edition.library_of(cfg)
        edition.configure(cfg)  # generate_assignment writes that library's release
        self.config = cfg
        self.coursedir = CourseDirectory(config=cfg)
        self.db_url = sqlalchemy_url(self.coursedir.db_url)
        self.course_id = self.coursedir.course_id

    # -- paths ----------------------------------------------------------------------------------
    def notebook_name(self, assignment: str) -> str:
        nbs = sorted((self.root / "source" / assignment).glob("*.ipynb"))
        if not nbs:
            raise FileNotFoundError(f"no notebook in {self.root / 'source' / assignment}")
        return nbs[0].stem

    def release_notebook(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def source_notebook(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def api(self):
        from nbgrader.apps import NbGraderAPI

        return NbGraderAPI(coursedir=self.coursedir, config=self.config)

    # -- nbgrader steps --------------------------------------------------------------------------
    def generate(self, assignment: str) -> None:
        """``nbgrader generate_assignment``: the release notebook and the gradebook entries, for the
        course's library (:mod:`autograder.edition`)."""
        out = self.api().generate_assignment(assignment, force=True, create=True)
        if not out.get("success"):
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed:\n{out.get('error') or out.get('log')}"
            )
        left = edition.leftovers(self.root / "release" / assignment, self.library)
        if left:
            raise edition.LibraryError(
                f"the {self.library} release of {assignment} still holds the other edition's "
                "text (put it between ### BEGIN D2LMODS ONLY / ### END D2LMODS ONLY lines, "
                "the torch wording between ### BEGIN TORCH ONLY / ### END TORCH ONLY):\n  "
                + "\n  ".join(left[:10])
            )

    def ensure_generated(self, assignment: str) -> None:
        """Generate ``assignment`` unless its release and gradebook entry exist; the course's
        library must be importable here (the sandbox runs this environment)."""
        from nbgrader.api import Gradebook, MissingEntry

        edition.require(self.library)

        release = self.release_notebook(assignment)
        if release.exists() and edition.release_library(release) == self.library:
            try:
                with Gradebook(self.db_url, self.course_id) as gb:
                    gb.find_assignment(assignment)
                return
            except MissingEntry:
                pass
        self.generate(assignment)

    def submitted(
        self, assignment: str, students: list[str] | None = None
    ) -> list[tuple[str, Path, str]]:
        """(student, notebook path, timestamp) for each ``submitted/<student>/<assignment>/``.

        Folders whose name is not a valid student id, or that are symlinks, are skipped and listed
        in ``self.rejected`` (name, why)."""
        base = self.root / "submitted"
        out = []
        self.rejected: list[tuple[str, str]] = []
        nb = self.notebook_name(assignment)
        for d in sorted(base.glob(f"*/{assignment}")) if base.is_dir() else []:
            sid = d.parent.name
            if not valid_student_id(sid):
                self.rejected.append((sid, "not a valid student id (letters, digits, _ . -)"))
                continue
            if students and sid not in students:
                continue
            if d.parent.is_symlink() or d.is_symlink() or not d.is_dir():
                self.rejected.append((sid, "the folder is a symlink"))
                continue
            path = d / f"{nb}.ipynb"
            if not os.path.lexists(path):
                found = sorted(d.glob("*.ipynb"))
                path = found[0] if found else path
            out.append((sid, path, read_timestamp(d / "timestamp.txt")))
        return out

    def import_submissions(
        self, assignment: str, source: str | os.PathLike, log=print
    ) -> ImportReport:
        """Copy ``<student>.ipynb`` files from a folder or a zip into ``submitted/`` (the way
        ``nbgrader zip_collect`` would); returns the student ids (an :class:`ImportReport`).

        One damaged member costs that member only; two members naming the same student
        (``groupA/carol.ipynb``, ``groupB/carol.ipynb``) are both kept aside under
        ``imports/<time>/`` and neither is graded until someone decides.  Every problem is logged."""
        src = Path(source)
        nb = self.notebook_name(assignment)
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
        cap = notebook.MAX_BYTES
        found: dict[str, list[tuple[str, bytes]]] = {}
        damaged: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        total = 0
        if src.is_file() and zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as z:
                for info in z.infolist():
                    name = Path(info.filename).name
                    if not name.endswith(".ipynb") or info.is_dir():
                        continue
                    if total > IMPORT_BYTES:  # many small members that each inflate to the cap
                        skipped.append(
                            (info.filename, f"the import already holds {IMPORT_BYTES >> 20} MiB")
                        )
                        continue
                    if info.file_size > cap:
                        damaged.append((info.filename, f"larger than {cap} bytes"))
                        continue
                    try:
                        with z.open(info) as f:
                            data = safeio.read_stream(f, cap, info.filename)
                    except Exception as e:  # bad CRC, truncated deflate stream, unknown method...
                        damaged.append((info.filename, f"{type(e).__name__}: {e}"[:200]))
                        continue
                    total += len(data)
                    found.setdefault(name[:-6], []).append((info.filename, data))
        elif src.is_dir():
            for p in sorted(src.glob("*.ipynb")):
                if total > IMPORT_BYTES:
                    skipped.append((p.name, f"the import already holds {IMPORT_BYTES >> 20} MiB"))
                    continue
                try:
                    data = safeio.read_regular(p, cap)
                except OSError as e:
                    damaged.append((p.name, f"{e.strerror or type(e).__name__}"))
                    continue
                total += len(data)
                found.setdefault(p.stem, []).append((p.name, data))
        else:
            raise FileNotFoundError(
                f"--import expects a folder or a .zip of <student>.ipynb files: {src}"
            )
        by_id: dict[str, list[tuple[str, bytes]]] = {}
        for stem, members in sorted(found.items()):
            sid = stem.removesuffix(f"_{assignment}")
            if not valid_student_id(sid):
                skipped += [
                    (n, "not a valid student id (letters, digits, _ . -)") for n, _ in members
                ]
                continue
            by_id.setdefault(sid, []).extend(members)
        duplicates = {sid: [n for n, _ in m] for sid, m in by_id.items() if len(m) > 1}
        kept = None
        if duplicates:
            kept = self.root / "imports" / now.strftime("%Y%m%dT%H%M%S%fZ")
            for sid in duplicates:
                for k, (name, data) in enumerate(by_id[sid], 1):
                    d = kept / "duplicates" / sid
                    d.mkdir(parents=True, exist_ok=True)
                    (d / f"{k}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)[-120:]}").write_bytes(data)
        ids = []
        for sid, members in sorted(by_id.items()):
            if sid in duplicates:
                continue
            d = self.root / "submitted" / sid / assignment
            try:
                _safe_mkdirs(self.root, d)
                _write_new(d / f"{nb}.ipynb", members[0][1])
                _write_new(d / "timestamp.txt", (stamp + "\n").encode())
            except OSError as e:
                damaged.append((members[0][0], f"cannot write {d}: {e}"[:200]))
                continue
            ids.append(sid)
        report = ImportReport(ids, damaged, duplicates, skipped, kept)
        for line in report.problems():
            log(f"  ! import: {line}")
        return report

    # -- recording results -----------------------------------------------------------------------
    def results_path(self, assignment: str, student: str) -> Path:
        return self.root / "results" / assignment / f"{student}.json"

    def feedback_rel(self, assignment: str, student: str) -> str:
        return f"feedback/{student}/{assignment}/{self.notebook_name(assignment)}.html"

    def record(self, result: SubmissionResult, job: dict) -> None:
        """Write results JSON, the autograded notebook and the gradebook rows of one student."""
        student, assignment = result.student, result.assignment
        problem = None
        try:
            self._write_autograded(result, job)
            self._write_gradebook(result, job)
        except Exception as e:  # the results file must still be written, saying so
            result.flag(Flag.NOT_RECORDED)
            result.extra["problem"] = f"gradebook: {type(e).__name__}: {e}"[:500]
            problem = e
        path = self.results_path(assignment, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(json_safe(result.to_json()), indent=1, allow_nan=False))
        os.replace(tmp, path)
        if problem is not None:
            raise problem

    def _autograded_cells(self, result: SubmissionResult, job: dict) -> list[dict]:
        release = json.loads(self.release_notebook(result.assignment).read_text())
        sub = notebook.read_submission(job["notebook"])
        theirs = sub.by_id() if sub.cells and Flag.WRONG_ASSIGNMENT not in result.flags else {}
        comments = clusters.read_comments(self.root, result.assignment)
        cells = []
        for cell in release["cells"]:
            cell = copy.deepcopy(cell)
            gid = notebook.grade_id(cell)
            meta = notebook.nbgrader_meta(cell)
            if gid and meta.get("solution") and gid in theirs:
                cell["source"] = notebook.cell_source(theirs[gid])[:200_000]
                if (
                    cell.get("cell_type") != "code"
                ):  # rendered as HTML in formgrader and the feedback
                    cell["source"] = safe_markdown(cell["source"])
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
                part = test_cell_part(gid) if gid and meta.get("grade") else None
                if part and part in result.parts:
                    cell["outputs"] = [
                        {
                            "output_type": "stream",
                            "name": "stdout",
                            "text": feedback_text(result.parts[part], result, comments),
                        }
                    ]
            cells.append(cell)
        release["cells"] = cells
        return release

    def _write_autograded(self, result: SubmissionResult, job: dict) -> None:
        nb = self._autograded_cells(result, job)
        d = self.root / "autograded" / result.student / result.assignment
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{self.notebook_name(result.assignment)}.ipynb").write_text(json.dumps(nb, indent=1))
        # like nbgrader autograde: the instructor's helper files, never the student's
        for f in (self.root / "release" / result.assignment).iterdir():
            if f.is_file() and f.suffix != ".ipynb":
                shutil.copy2(f, d / f.name)
        ts = job.get("timestamp") or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        (d / "timestamp.txt").write_text(ts + "\n")

    def _write_gradebook(self, result: SubmissionResult, job: dict) -> None:
        from nbgrader.api import Gradebook

        student, assignment = result.student, result.assignment
        nb_name = self.notebook_name(assignment)
        kwargs = {}
        if job.get("timestamp"):
            kwargs["timestamp"] = job["timestamp"]
        with warnings.catch_warnings(), self._gradebook(Gradebook) as gb:
            # nbgrader 0.9 + SQLAlchemy 2 print "not in session" SAWarnings on every new submission
            warnings.filterwarnings("ignore", message=".*not in session.*")
            gb.update_or_create_student(student)
            try:
                gb.update_or_create_submission(assignment, student, **kwargs)
            except Exception:  # an unparsable timestamp must not lose the grade
                gb.update_or_create_submission(assignment, student)
            nb = gb.find_notebook(nb_name, assignment)
            for cell in nb.grade_cells:
                grade = gb.find_grade(cell.name, nb_name, assignment, student)
                part = test_cell_part(cell.name)
                if part is not None:
                    p = result.parts.get(part)
                    grade.auto_score = min(float(p.score if p else 0.0), float(cell.max_score))
                    # a part held for review waits for a person, who enters the score in formgrader
                    grade.needs_manual_grade = (
                        grade.manual_score is None
                        if (p and p.held)
                        else grade.manual_score is not None
                    )
                else:  # the written answer (and any other manual cell): graded by a person
                    grade.auto_score = None
                    grade.needs_manual_grade = grade.manual_score is None
            for cell in nb.solution_cells:
                comment = gb.find_comment(cell.name, nb_name, assignment, student)
                comment.auto_comment = "No response." if Flag.NO_SOLUTION in result.flags else None
            subnb = gb.find_submission_notebook(nb_name, assignment, student)
            subnb.flagged = bool(set(result.flags) & FLAGGED_IN_GRADEBOOK) or bool(
                result.held_parts
            )
            gb.db.commit()

    def _gradebook(self, Gradebook):
        """The batch's open gradebook (see :meth:`gradebook_open`), else a fresh one for this write."""
        import contextlib

        held = getattr(self, "_open_gradebook", None)
        if held is None:
            return Gradebook(self.db_url, self.course_id)

        @contextlib.contextmanager
        def reuse():
            try:
                yield held
            except BaseException:
                held.db.rollback()  # the next student's write starts from a clean session
                raise

        return reuse()

    def gradebook_open(self):
        """Keep one gradebook connection for a batch of writes (SQLAlchemy then reuses its compiled
        queries: a write costs a fraction of opening the database for each student)."""
        import contextlib

        from nbgrader.api import Gradebook

        @contextlib.contextmanager
        def held():
            with Gradebook(self.db_url, self.course_id) as gb:
                self._open_gradebook = gb
                try:
                    yield gb
                finally:
                    self._open_gradebook = None

        return held()

    def generate_feedback(self, assignment: str, student: str | None = None) -> dict:
        out = self.api().generate_feedback(assignment, student_id=student, force=True)
        self._mark_pending_feedback(assignment, student)
        return out

    def _mark_pending_feedback(self, assignment: str, student: str | None) -> None:
        """Feedback written before the hand grading says so ("not graded yet", not "0.0 / 2.0"),
        and its test-cell outputs wrap instead of running off the page."""
        from nbgrader.api import Gradebook

        nb_name = self.notebook_name(assignment)
        pending: dict[str, list[tuple[str, float]]] = {}
        with warnings.catch_warnings(), Gradebook(self.db_url, self.course_id) as gb:
            warnings.filterwarnings("ignore", message=".*not in session.*")
            for sub in gb.find_assignment(assignment).submissions:
                sid = sub.student.id
                if student and sid != student:
                    continue
                nb = gb.find_submission_notebook(nb_name, assignment, sid)
                pending[sid] = [
                    (g.name, float(g.max_score))
                    for g in nb.grades
                    if g.needs_manual_grade and g.cell.cell_type == "markdown"
                ]
        for sid, cells in pending.items():
            path = self.root / self.feedback_rel(assignment, sid)
            if path.is_file():
                path.write_text(
                    mark_pending(path.read_text(encoding="utf-8"), cells), encoding="utf-8"
                )

    def write_grades_csv(self, assignment: str) -> Path:
        """``grades.csv``: one row per student with a results file for ``assignment``."""
        rows = []
        for p in sorted((self.root / "results" / assignment).glob("*.json")):
            try:
                r = SubmissionResult.from_json(json.loads(p.read_text()))
            except ValueError:
                continue
            row = {"student": r.student or p.stem, "assignment": assignment}
            for part in parts.parts_of(assignment):
                row[part] = r.parts[part].score if part in r.parts else 0.0
            row.update(
                score=r.score,
                max_score=r.max_score,
                flags=" ".join(str(getattr(f, "value", f)) for f in r.flags),
            )
            rows.append(row)
        out = self.root / "grades.csv"
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(
                f,
                fieldnames=[
                    "student",
                    "assignment",
                    *parts.parts_of(assignment),
                    "score",
                    "max_score",
                    "flags",
                ],
            )
            w.writeheader()
            w.writerows(rows)
        return out


MARKDOWN_CHARS = 50_000


def safe_markdown(source: str) -> str:
    """A student's markdown answer as sanitized HTML, safe to open in a browser.

    Rendered to HTML first (as nbconvert would), then cleaned with ``nh3`` (no scripts, event
    handlers, styles or ``javascript:`` URLs); brackets become entities so that the markdown pass
    of the feedback cannot rebuild a link from text the sanitizer kept."""
    import nh3
    from nbconvert.filters.markdown import markdown2html

    try:
        html = markdown2html(source[:MARKDOWN_CHARS])
    except Exception:  # whatever the renderer chokes on is shown as text
        html = (
            "<pre>" + source[:MARKDOWN_CHARS].replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
        )
    clean = nh3.clean(html, url_schemes={"http", "https", "mailto"})
    return clean.replace("[", "&#91;").replace("]", "&#93;")


def json_safe(value, depth: int = 0):
    """``value`` as strict JSON data: non-finite floats and ints beyond 2**63 become None (a
    results file must stay readable by every JSON parser and by the dashboard)."""
    if depth > 64:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    return str(value)


def read_timestamp(path: Path) -> str:
    """The first line of a student's ``timestamp.txt`` (a regular file, not a link), or ""."""
    try:
        raw = safeio.read_regular(path, TIMESTAMP_BYTES)
    except OSError:
        return ""
    line = raw.decode("utf-8", "replace").strip().splitlines()[:1]
    return "".join(ch for ch in (line[0] if line else "") if ch.isprintable())[:64]


def _safe_mkdirs(root: Path, d: Path) -> None:
    """``mkdir -p`` below ``root`` that refuses to walk through a symlink."""
    cur = root
    for part in d.relative_to(root).parts:
        cur = cur / part
        try:
            os.mkdir(cur)
        except FileExistsError:
            if cur.is_symlink() or not cur.is_dir():
                raise NotADirectoryError(f"{cur} is a symlink or not a folder") from None


def _write_new(path: Path, data: bytes) -> None:
    """Replace ``path`` by a fresh file (a symlink there is replaced, never followed)."""
    tmp = path.with_name(path.name + ".import-tmp")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def feedback_text(
    part: PartResult, result: SubmissionResult, comments: dict[str, str] | None = None
) -> str:
    """What a student reads under a test cell: check names, points and messages, never inputs;
    and the instructor's comment on the cluster of answers this one belongs to, if any."""
    lines = [
        f"Hidden checks for {parts.PARTS[part.part].TITLE}: {part.score:g} / {part.max_score:g} points"
    ]
    if part.held:
        lines.append(
            "Held for review: "
            + "; ".join(part.review)
            + ". This part scores 0 until an instructor "
            "has looked at it."
        )
        return "\n".join(lines) + "\n"
    for t in part.tests:
        mark = "PASS" if t.passed else "FAIL"
        lines.append(f"  [{mark}] {t.name} ({t.score:g}/{t.max_score:g})")
        if not t.passed:
            lines.append(
                "         " + t.output.replace("\n", "\n         ")
            )  # messages may have lines
    note = (comments or {}).get(clusters.part_cluster(part) or "")
    if note:
        lines.append(f"Instructor's note: {note}")
    if Flag.TAMPERED_TESTS in result.flags:
        lines.append(
            "Note: test cells in your notebook were changed or removed; the original tests were used."
        )
    return "\n".join(lines) + "\n"


WRAP_CSS = (
    "<style>div.output_subarea pre, div.output_text pre { white-space: pre-wrap; "
    "word-break: break-word; }</style>"
)


def mark_pending(html: str, cells: list[tuple[str, float]]) -> str:
    """nbgrader's feedback page with the hand-graded cells still waiting shown as such."""
    if WRAP_CSS not in html:
        html = html.replace("</head>", WRAP_CSS + "\n</head>", 1)
    for gid, points in cells:
        g = re.escape(gid)
        html = re.sub(
            rf'(<a href="#{g}">[^<]*</a>) \(Score: [0-9.]+ / [0-9.]+\)',
            rf"\1 (not graded yet, {points:g} points)",
            html,
        )
        html = re.sub(
            rf'(<a name="{g}"></a><div class="panel-heading">.*?<span class="pull-right">\s*)'
            r"Score: [0-9.]+ / [0-9.]+",
            rf"\1Not graded yet ({points:g} points)",
            html,
            count=1,
            flags=re.S,
        )
    if cells:
        waiting = sum(p for _, p in cells)
        html = re.sub(
            r"(\(Score: [0-9.]+ / [0-9.]+)\)</h4>",
            rf"\1; {waiting:g} points not graded yet)</h4>",
            html,
            count=1,
        )
    return html


def copy_course(src: str | os.PathLike, dst: str | os.PathLike, library: str | None = None) -> Path:
    """Copy the instructor's course (config + source) into a fresh folder; ``library``: the copy
    teaches with that library instead (its ``c.D2LCourse.library`` line is set)."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "nbgrader_config.py", dst / "nbgrader_config.py")
    if library is not None:
        set_library(dst / "nbgrader_config.py", library)
    if (dst / "source").exists():
        shutil.rmtree(dst / "source")
    shutil.copytree(
        src / "source",
        dst / "source",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    return dst


LIBRARY_LINE = re.compile(r"^c\.D2LCourse\.library\s*=.*$", re.M)


def set_library(config: str | os.PathLike, library: str) -> None:
    """Make the course of ``config`` (its ``nbgrader_config.py``) teach with ``library``."""
    if library not in edition.LIBRARIES:
        raise edition.LibraryError(
            f"unknown library {library!r}: choose one of {', '.join(edition.LIBRARIES)}"
        )
    path = Path(config)
    text = path.read_text(encoding="utf-8")
    line = f"c.D2LCourse.library = {library!r}"
    text = (
        LIBRARY_LINE.sub(line, text, count=1)
        if LIBRARY_LINE.search(text)
        else text.rstrip("\n") + "\n" + line + "\n"
    )
    path.write_text(text, encoding="utf-8")


def sqlalchemy_url(db_url: str) -> str:
    """``db_url`` with a PostgreSQL driver that is actually installed.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3; the project ships
    psycopg2, so a plain URL is pinned to it when psycopg 3 is missing.

    >>> sqlalchemy_url("sqlite:////course/gradebook.db")
    'sqlite:////course/gradebook.db'
    """
    for bare in ("postgresql://", "postgres://"):
        if db_url.startswith(bare):
            import importlib.util

            if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
                return "postgresql+psycopg2://" + db_url[len(bare) :]
            return "postgresql://" + db_url[len(bare) :]
    return db_url
