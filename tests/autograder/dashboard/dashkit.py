"""A tiny nbgrader course built in a tmp dir, for the dashboard's tests.

The gradebook is written through nbgrader's own API (``nbgrader.api.Gradebook``)
and the results files follow the grader's JSON format, so the dashboard is
tested against the same shapes the real pipeline produces without running it.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from autograder.results import Flag

ASSIGNMENT = "modules"
NOTEBOOK = "modules"

# part -> [(check id, human name, points)]
CHECKS = {
    "my_sequential": [
        ("registers_children", "MySequential registers its children", 1.0),
        ("forward_order", "MySequential applies children in order", 2.0),
        ("repr", "MySequential repr matches nn.Sequential", 1.0),
    ],
    "parallel_module": [
        ("concatenates", "Parallel concatenates both outputs", 2.0),
        ("registers_both", "Parallel registers both networks", 1.0),
    ],
    "factory": [
        ("distinct_instances", "factory returns distinct instances", 1.0),
        ("count", "factory returns n modules", 1.0),
    ],
}
# Debian's chromium, driven by Playwright; never a downloaded browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MANUAL_CELL = "list_problems"
MANUAL_MAX = 1.0
LIST_CATEGORY = "plain_list"  # the grader's category slug


def test_cell(part: str) -> str:
    """The gradebook's name for a part's test cell (the grader maps it back to the part)."""
    return f"test_{part}_behaviour"


@dataclass
class Student:
    """What happened to one student; failures maps ``part/check`` to (outcome, category, output)."""

    student: str
    first: str = ""
    last: str = ""
    submitted: bool = True
    graded: bool = True
    failures: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    manual: float | None = None  # None: still needs manual grading
    seconds: float = 2.0
    part_status: dict = field(default_factory=dict)


def result_json(s: Student) -> dict:
    """The results file the grader would write, built from its own records."""
    from autograder.results import Category, PartResult, Status, SubmissionResult, TestResult

    result = SubmissionResult(
        student=s.student,
        assignment=ASSIGNMENT,
        max_score=0.0,
        flags=[Flag(f) for f in s.flags],
        extra={
            "sandbox": "bwrap",
            "grading_seconds": s.seconds,
            "timings": {
                "start": s.seconds * 0.3,
                "imports": s.seconds * 0.5,
                "checks": s.seconds * 0.2,
            },
            "grader_version": "0.1.0",
            "graded_at": "2026-11-23T15:00:00Z",
        },
        feedback=f"feedback/{s.student}/{ASSIGNMENT}/{NOTEBOOK}.html",
    )
    for part, checks in CHECKS.items():
        p = result.parts[part] = PartResult(
            part=part,
            max_score=sum(c[2] for c in checks),
            status=Status(s.part_status.get(part, "ok")),
            wall_seconds=s.seconds / 4,
        )
        for check, name, pts in checks:
            status, category, output = s.failures.get(f"{part}/{check}", ("ok", None, ""))
            p.tests.append(
                TestResult(
                    check=check,
                    name=name,
                    part=part,
                    score=pts if status == "ok" else 0.0,
                    max_score=pts,
                    outcome=Status(status),
                    output=output,
                    category=Category.parse(category),
                    visibility="hidden",
                )
            )
    result.max_score = sum(p.max_score for p in result.parts.values())
    return result.to_json()


def _remember_alembic_head() -> None:
    """Ask ``alembic heads`` once per test session instead of once per new gradebook.

    nbgrader shells out to alembic (seconds) for every new database only to learn a
    constant: the migration head of the installed nbgrader.
    """
    import functools

    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


def build_course(
    root: Path, students: list[Student], db_url: str | None = None, course_id: str = "d2l101"
) -> Path:
    """Write nbgrader_config.py, a gradebook with the students' grades, results and feedback files."""
    from nbgrader.api import Gradebook

    from autograder.dashboard.data import sqlalchemy_url

    root.mkdir(parents=True, exist_ok=True)
    lines = ["c = get_config()", f"c.CourseDirectory.course_id = {course_id!r}"]
    if db_url:
        lines.append(f"c.CourseDirectory.db_url = {db_url!r}")
    (root / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    # A new gradebook shells out to `alembic`, which lives next to this interpreter.
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env_path
    _remember_alembic_head()
    try:
        with Gradebook(sqlalchemy_url(db_url), course_id=course_id) as gb:
            gb.update_or_create_assignment(ASSIGNMENT)
            gb.update_or_create_notebook(NOTEBOOK, ASSIGNMENT)
            for part, checks in CHECKS.items():
                gb.update_or_create_grade_cell(
                    test_cell(part),
                    NOTEBOOK,
                    ASSIGNMENT,
                    max_score=sum(c[2] for c in checks),
                    cell_type="code",
                )
            gb.update_or_create_grade_cell(
                MANUAL_CELL, NOTEBOOK, ASSIGNMENT, max_score=MANUAL_MAX, cell_type="markdown"
            )
            for s in students:
                gb.update_or_create_student(s.student, first_name=s.first, last_name=s.last)
                if not s.submitted:
                    continue
                with warnings.catch_warnings():
                    # nbgrader 0.9 + SQLAlchemy 2.x warn "not in session" on every new submission: noise.
                    warnings.simplefilter("ignore")
                    gb.add_submission(ASSIGNMENT, s.student)
                res = result_json(s)
                for part in CHECKS:
                    g = gb.find_grade(test_cell(part), NOTEBOOK, ASSIGNMENT, s.student)
                    g.auto_score = res["parts"][part]["score"] if s.graded else None
                    g.needs_manual_grade = not s.graded
                g = gb.find_grade(MANUAL_CELL, NOTEBOOK, ASSIGNMENT, s.student)
                g.manual_score = s.manual
                g.needs_manual_grade = s.manual is None
                gb.db.commit()
                sub = root / "submitted" / s.student / ASSIGNMENT
                sub.mkdir(parents=True, exist_ok=True)
                (sub / "timestamp.txt").write_text("2026-11-20 12:00:00 UTC\n")
                if s.graded:
                    out = root / "results" / ASSIGNMENT / f"{s.student}.json"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(json.dumps(res, indent=2))
                    fb = root / res["feedback"]
                    fb.parent.mkdir(parents=True, exist_ok=True)
                    fb.write_text(f"<html><body>feedback for {s.student}</body></html>")
    finally:
        os.environ["PATH"] = env_path
    return root


def small_class() -> list[Student]:
    """Six students covering every state the dashboard must show."""
    list_msg = (
        "MySequential keeps its children in a Python list, so {who}'s model has no parameters; "
        "assign each module as an attribute or use nn.ModuleList (/home/{who}/modules.ipynb)"
    )
    return [
        Student("alice", "Alice", "Archer", manual=1.0, seconds=2.0),
        Student(
            "bob",
            "Bob",
            "Baker",
            manual=0.5,
            seconds=3.0,
            failures={
                "my_sequential/registers_children": (
                    "failed",
                    LIST_CATEGORY,
                    list_msg.format(who="bob"),
                ),
                "parallel_module/registers_both": (
                    "failed",
                    LIST_CATEGORY,
                    list_msg.format(who="bob"),
                ),
            },
        ),
        Student(
            "carol",
            "Carol",
            "Chen",
            manual=None,
            seconds=2.5,
            flags=["tampered_tests"],
            failures={
                "my_sequential/registers_children": (
                    "failed",
                    LIST_CATEGORY,
                    list_msg.format(who="carol"),
                )
            },
        ),
        Student(
            "dan",
            "Dan",
            "Dover",
            manual=1.0,
            seconds=12.0,
            flags=["timeout"],
            part_status={"parallel_module": "timeout"},
            failures={
                "parallel_module/concatenates": ("timeout", None, "stopped after 10 s"),
                "parallel_module/registers_both": ("timeout", None, "stopped after 10 s"),
            },
        ),
        Student("erin", "Erin", "Evans", submitted=False),
        Student("frank", "Frank", "Fox", graded=False, manual=None),
    ]
