"""``python -m autograder demo <dir>``: a whole grading round on the bundled sample submissions.

Copies the course to ``<dir>``, generates the assignment with nbgrader, submits every sample in
:mod:`autograder.samples` as a student of that name, grades them and prints a table.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from . import parts, samples
from .batch import grade_course
from .course import Course, copy_course
from .results import SubmissionResult

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
ASSIGNMENT = "modules"


def build_course(dest: str | Path, names: list[str] | None = None, copies: int = 1) -> Course:
    """A fresh course in ``dest`` with the samples submitted (``copies`` > 1: each sample is
    submitted that many times as ``<name>``, ``<name>_2``, ...)."""
    dest = Path(dest)
    if dest.exists():
        if not (dest / "nbgrader_config.py").exists() and any(dest.iterdir()):
            raise FileExistsError(f"{dest} exists and is not a course folder; choose another directory")
        shutil.rmtree(dest)
    copy_course(EXERCISES, dest)
    course = Course(dest)
    course.generate(ASSIGNMENT)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    release, source = course.release_notebook(ASSIGNMENT), course.source_notebook(ASSIGNMENT)
    for name in names or samples.names():
        data = samples.build(name, release, source)
        for k in range(copies):
            sid = name if k == 0 else f"{name}_{k + 1}"
            d = dest / "submitted" / sid / ASSIGNMENT
            d.mkdir(parents=True)
            (d / f"{release.stem}.ipynb").write_bytes(data)
            (d / "timestamp.txt").write_text(stamp + "\n")
    return course


def summary_table(results: list[SubmissionResult]) -> str:
    names = list(parts.PARTS)
    head = f"{'student':<20}" + "".join(f"{p:>17}" for p in names) + f"{'total':>8}  flags"
    lines = [head, "-" * len(head)]
    for r in sorted(results, key=lambda r: r.student):
        cells = "".join(f"{r.parts[p].score:>9.2f} / {r.parts[p].max_score:<4g}" for p in names)
        lines.append(f"{r.student:<20}{cells}{r.score:>8.2f}  {' '.join(map(str, r.flags))}")
    return "\n".join(lines)


def run_demo(dest: str | Path, workers: int | None = None) -> list[SubmissionResult]:
    print(f"building the demo course in {dest} ...")
    build_course(dest)
    results = grade_course(dest, ASSIGNMENT, workers=workers)
    print()
    print(summary_table(results))
    print(f"\nper-student results: {Path(dest) / 'results' / ASSIGNMENT}/<student>.json, "
          f"feedback: {Path(dest) / 'feedback'}/<student>/{ASSIGNMENT}/, gradebook: {Path(dest) / 'gradebook.db'}")
    return results
