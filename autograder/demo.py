"""``python -m autograder demo <dir>``: a whole grading round on the bundled sample submissions.

Copies the course to ``<dir>``, generates every assignment (``modules`` and ``custom``) with
nbgrader, submits every sample in :mod:`autograder.samples` as a student of that name, grades them
and prints a table per assignment.  ``--library torch`` builds the PyTorch edition of the course
(the release imports torch, the samples are their torch twins); without torch installed it says
so in one line and does nothing.  ``--quick`` submits a few samples per assignment (a correct
one, typical mistakes, attacks) instead of all of them.
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, datetime
from pathlib import Path

from . import parts, samples
from .batch import grade_course
from .course import Course, copy_course
from .results import SubmissionResult

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
ASSIGNMENT = "modules"
ASSIGNMENTS = ("modules", "custom")
#: what ``--quick`` submits: the correct answers, mistakes that share a cluster, attacks
QUICK = {
    "modules": [
        "correct",
        "tamper",
        "release",
        "seq_plain_list",
        "par_wrong_dim",
        "monkeypatch",
        "torch_global_hook",
    ],
    "custom": ["correct", "release", "tp_untied", "io_saves_module", "torch_pickle_exec"],
}


def build_course(
    dest: str | Path,
    names: list[str] | dict[str, list[str]] | None = None,
    copies: int = 1,
    assignments: tuple[str, ...] = (ASSIGNMENT,),
    library: str | None = None,
) -> Course:
    """A fresh course in ``dest`` with the samples of ``assignments`` submitted (``copies`` > 1:
    each sample is submitted that many times as ``<name>``, ``<name>_2``, ...; ``names``: the
    samples to submit, for every assignment or by assignment); ``library``: the
    course teaches with that library (default: what ``exercises/nbgrader_config.py`` says)."""
    dest = Path(dest)
    if dest.exists():
        if not (dest / "nbgrader_config.py").exists() and any(dest.iterdir()):
            raise FileExistsError(
                f"{dest} exists and is not a course folder; choose another directory"
            )
        shutil.rmtree(dest)
    copy_course(EXERCISES, dest, library)
    course = Course(dest)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    for assignment in assignments:
        course.generate(assignment)
        release, source = course.release_notebook(assignment), course.source_notebook(assignment)
        known = samples.names(assignment, course.library)
        wanted = names.get(assignment) if isinstance(names, dict) else names
        for name in [n for n in wanted if n in known] if wanted else known:
            data = samples.build(name, release, source, assignment, course.library)
            for k in range(copies):
                sid = name if k == 0 else f"{name}_{k + 1}"
                d = dest / "submitted" / sid / assignment
                d.mkdir(parents=True)
                (d / f"{release.stem}.ipynb").write_bytes(data)
                (d / "timestamp.txt").write_text(stamp + "\n")
    return course


def summary_table(results: list[SubmissionResult]) -> str:
    names = parts.parts_of(results[0].assignment if results else ASSIGNMENT)
    head = f"{'student':<20}" + "".join(f"{p:>17}" for p in names) + f"{'total':>8}  flags"
    lines = [head, "-" * len(head)]
    for r in sorted(results, key=lambda r: r.student):
        cells = "".join(f"{r.parts[p].score:>9.2f} / {r.parts[p].max_score:<4g}" for p in names)
        lines.append(f"{r.student:<20}{cells}{r.score:>8.2f}  {' '.join(map(str, r.flags))}")
    return "\n".join(lines)


def run_demo(
    dest: str | Path,
    workers: int | None = None,
    assignments: tuple[str, ...] = ASSIGNMENTS,
    library: str | None = None,
    quick: bool = False,
) -> list[SubmissionResult]:
    if library == "torch" and importlib.util.find_spec("torch") is None:
        print("the PyTorch edition of the demo is skipped: torch is not installed here")
        return []
    print(f"building the demo course in {dest}" + (f" ({library})" if library else "") + " ...")
    everything = []
    build_course(dest, names=QUICK if quick else None, assignments=assignments, library=library)
    for assignment in assignments:
        results = grade_course(dest, assignment, workers=workers)
        print()
        print(summary_table(results))
        print(
            f"\nper-student results: {Path(dest) / 'results' / assignment}/<student>.json, "
            f"feedback: {Path(dest) / 'feedback'}/<student>/{assignment}/"
        )
        everything += results
    print(f"gradebook: {Path(dest) / 'gradebook.db'}")
    return everything
