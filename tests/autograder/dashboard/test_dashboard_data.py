"""The dashboard's loader against a real nbgrader gradebook and results files."""

import json
import statistics

import pytest

from autograder.dashboard.data import (
    CATEGORY_PHRASES,
    FLAG_LABELS,
    DashboardError,
    anonymise,
    course_settings,
    list_assignments,
    load_assignment,
)
from autograder.results import Category, Flag, Status
from tests.autograder.dashboard.dashkit import ASSIGNMENT, CHECKS, LIST_CATEGORY, Student


def _gradebook_totals(course):
    from nbgrader.api import Gradebook

    _, db_url = course_settings(course)
    with Gradebook(db_url, course_id="d2l101") as gb:
        return {
            s.student.id: (s.score, s.max_score, s.needs_manual_grade)
            for s in gb.find_assignment(ASSIGNMENT).submissions
        }


def test_scores_come_from_the_gradebook_including_manual_grades(course):
    data = load_assignment(course, ASSIGNMENT)
    totals = _gradebook_totals(course)
    assert (
        {s.student for s in data.submitted}
        == set(totals)
        == {"alice", "bob", "carol", "dan", "frank"}
    )
    for rec in data.submitted:
        score, top, manual = totals[rec.student]
        assert rec.score == pytest.approx(score) and rec.max_score == pytest.approx(top)
        assert rec.needs_manual_grade == manual
    alice = next(s for s in data.students if s.student == "alice")
    assert alice.score == 10.0 and alice.cells["list_problems"].score == 1.0  # 9 auto + 1 manual
    assert alice.name == "Alice Archer"


def test_students_without_submission_or_results_are_kept_apart(course):
    data = load_assignment(course, ASSIGNMENT)
    by_id = {s.student: s for s in data.students}
    assert not by_id["erin"].submitted and by_id["erin"].score is None
    assert by_id["frank"].submitted and not by_id["frank"].graded and not by_id["frank"].scored
    assert [s.student for s in data.graded] == ["alice", "bob", "carol", "dan"]
    # frank's gradebook 0 (not graded yet) must not drag the class mean down
    summary = data.score_summary()
    scored = [by_id[s].score for s in ("alice", "bob", "carol", "dan")]
    assert summary["count"] == 4 and summary["mean"] == pytest.approx(statistics.fmean(scored))


def test_check_pass_rates_count_every_graded_submission(course):
    data = load_assignment(course, ASSIGNMENT)
    stats = {(c.part, c.check): c for c in data.check_stats()}
    assert len(stats) == sum(len(v) for v in CHECKS.values())
    reg = stats[("my_sequential", "registers_children")]
    assert (reg.passed, reg.attempts) == (2, 4)  # bob and carol failed it
    conc = stats[("parallel_module", "concatenates")]
    assert conc.statuses == {Status.OK: 3, Status.TIMEOUT: 1}
    assert data.check_stats()[0].pass_rate <= data.check_stats()[-1].pass_rate


def test_failure_categories_count_students_once_and_hide_who(course):
    data = load_assignment(course, ASSIGNMENT)
    cats = data.failure_categories()
    top = cats[0]
    # bob failed two checks of this category, carol one: two students, not three failures
    assert top.label == LIST_CATEGORY and top.students == 2
    assert "bob" not in top.example and "carol" not in top.example and "/home" not in top.example
    assert "<student>" in top.example
    assert set(top.checks) == {
        "MySequential registers its children",
        "Parallel registers both networks",
    }
    # checks without a category are grouped by the check's name
    assert any(
        c.label == "failed: Parallel concatenates both outputs" and c.students == 1 for c in cats
    )


def test_flagged_submissions(course):
    data = load_assignment(course, ASSIGNMENT)
    assert {s.student: s.flags for s in data.flagged()} == {
        "carol": ["tampered_tests"],
        "dan": ["timeout"],
    }
    assert data.flag_counts() == {"tampered_tests": 1, "timeout": 1}


def test_per_part_distributions_include_the_manual_cell(course):
    data = load_assignment(course, ASSIGNMENT)
    parts = data.part_distributions()
    # the gradebook's auto-graded test cells repeat the parts: shown once, under the part's name
    assert list(parts) == [*CHECKS, "list_problems"]
    values, top = parts["parallel_module"]
    assert top == 3.0 and sorted(values) == [0.0, 2.0, 3.0, 3.0]
    manual, top = parts["list_problems"]
    assert top == 1.0 and sorted(manual) == [
        0.5,
        1.0,
        1.0,
    ]  # carol and frank still need manual grading


def test_empty_course_has_no_gradebook_and_is_not_given_one(tmp_path):
    course = tmp_path / "empty"
    course.mkdir()
    data = load_assignment(course, ASSIGNMENT)
    assert data.students == [] and not data.gradebook_found and data.score_summary()["count"] == 0
    assert not (course / "gradebook.db").exists()
    assert list_assignments(course) == []


def test_gradebook_without_any_submission(course_factory):
    course = course_factory([Student("zoe", submitted=False), Student("yan", submitted=False)])
    data = load_assignment(course, ASSIGNMENT)
    assert [s.student for s in data.students] == ["yan", "zoe"] and data.submitted == []
    assert data.cell_max == {
        "test_my_sequential_behaviour": 4.0,
        "test_parallel_module_behaviour": 3.0,
        "test_factory_behaviour": 2.0,
        "list_problems": 1.0,
    }
    assert data.max_score == 10.0 and data.manual_cells == ["list_problems"]
    # with no results file, the gradebook's cells are the only per-part view
    assert (
        list(data.part_distributions()) == list(data.cell_max)
        and data.check_stats() == []
        and data.failure_categories() == []
    )


def test_results_without_gradebook_still_show(course):
    (course / "gradebook.db").unlink()
    data = load_assignment(course, ASSIGNMENT)
    assert not data.gradebook_found and "no gradebook" in data.warnings[0]
    by_id = {s.student: s for s in data.students}
    assert set(by_id) == {"alice", "bob", "carol", "dan", "frank"}  # frank: submitted/ folder only
    assert (
        by_id["alice"].score == 9.0
    )  # the grader's score: the manual point lives in the gradebook


def test_unreadable_results_file_is_reported_not_dropped(course):
    (course / "results" / ASSIGNMENT / "bob.json").write_text("{ not json")
    data = load_assignment(course, ASSIGNMENT)
    bob = next(s for s in data.students if s.student == "bob")
    assert not bob.graded and "bob.json" in bob.problem
    assert any("bob.json" in w for w in data.warnings)


def test_results_file_naming_another_student_is_filed_under_its_name(course):
    path = course / "results" / ASSIGNMENT / "alice.json"
    result = json.loads(path.read_text())
    result["student"] = "mallory"
    path.write_text(json.dumps(result))
    data = load_assignment(course, ASSIGNMENT)
    assert "mallory" not in {s.student for s in data.students}
    assert any("mallory" in w for w in data.warnings)


def test_db_url_and_course_id_come_from_the_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'x1'\n"
        "c.CourseDirectory.db_url = 'postgresql://u:secret@db.example:5432/gb'\n"
    )
    assert course_settings(tmp_path) == ("x1", "postgresql://u:secret@db.example:5432/gb")


def test_unreachable_database_names_the_url_without_password(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'postgresql://u:secret@127.0.0.1:1/gb'\n"
    )
    with pytest.raises(DashboardError) as err:
        load_assignment(tmp_path, ASSIGNMENT)
    assert "postgresql://u:***@127.0.0.1:1/gb" in str(err.value) and "secret" not in str(err.value)


def test_missing_course_dir_is_a_clear_error(tmp_path):
    with pytest.raises(DashboardError, match="does not exist"):
        load_assignment(tmp_path / "nope", ASSIGNMENT)


def test_anonymise_replaces_ids_names_and_paths():
    msg = anonymise("Bob Baker (bob) wrote /tmp/x/bob/a.py; bobby is fine", ["bob", "Bob", "Baker"])
    assert msg == "<student> <student> (<student>) wrote <path>; bobby is fine"


def test_plain_postgresql_urls_use_the_installed_driver():
    import importlib.util

    from autograder.dashboard.data import sqlalchemy_url

    url = sqlalchemy_url("postgres://u@h:5/gb")
    if (
        importlib.util.find_spec("psycopg") is None
        and importlib.util.find_spec("psycopg2") is not None
    ):
        assert url == "postgresql+psycopg2://u@h:5/gb"
    else:
        assert url == "postgresql://u@h:5/gb"
    assert sqlalchemy_url("postgresql+psycopg2://u@h/gb") == "postgresql+psycopg2://u@h/gb"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sandbox_start_is_the_part_time_not_spent_inside_the_probe(course):
    path = course / "results" / ASSIGNMENT / "alice.json"
    result = json.loads(path.read_text())
    for part, wall in zip(result["parts"], (1.5, 1.0, 0.5)):
        result["parts"][part]["wall_seconds"] = wall
    result["extra_data"]["timings"] = {"imports": 1.2, "exec": 0.1, "checks": 0.4, "total": 1.8}
    path.write_text(json.dumps(result))
    alice = next(s for s in load_assignment(course, ASSIGNMENT).students if s.student == "alice")
    assert alice.timings == pytest.approx(
        {"sandbox start": 3.0 - 1.8, "imports": 1.2, "exec": 0.1, "checks": 0.4}
    )


def test_every_category_and_flag_has_words():
    """The dashboard keeps no list of its own: every member of the grader's enums has a phrase."""
    assert set(CATEGORY_PHRASES) == set(Category) and all(CATEGORY_PHRASES.values())
    assert set(FLAG_LABELS) == set(Flag) and all(FLAG_LABELS.values())


def test_the_judges_only_use_known_categories():
    import inspect
    import re

    from autograder import parts

    used = set()
    for mod in [parts, parts.common, *parts.PARTS.values()]:
        used |= set(re.findall(r'fail\(\s*"(\w+)"', inspect.getsource(mod)))
        used |= set(re.findall(r'"(\w+)" if plain_list', inspect.getsource(mod)))
    assert used and used <= {c.value for c in Category}, used - {c.value for c in Category}
