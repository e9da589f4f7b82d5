"""Course glue without grading: importing notebooks from a zip or folder, the CLI surface."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course import Course, copy_course
from autograder.demo import EXERCISES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def course(tmp_path):
    return Course(copy_course(EXERCISES, tmp_path / "course"))


def test_import_from_zip_keeps_only_safe_student_ids(course, tmp_path):
    z = tmp_path / "lms.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("alice.ipynb", '{"cells": []}')
        f.writestr("downloads/bob_modules.ipynb", '{"cells": [1]}')
        f.writestr("../../evil.ipynb", "{}")  # the path part is dropped: student 'evil'
        f.writestr("bad name!.ipynb", "{}")  # not a valid id: skipped
        f.writestr("notes.txt", "ignored")
    ids = course.import_submissions("modules", z)
    assert ids == ["alice", "bob", "evil"]
    assert (
        course.root / "submitted" / "bob" / "modules" / "modules.ipynb"
    ).read_text() == '{"cells": [1]}'
    assert (
        (course.root / "submitted" / "alice" / "modules" / "timestamp.txt")
        .read_text()
        .endswith("UTC\n")
    )
    assert not (tmp_path / "evil.ipynb").exists()
    assert [s for s, _, _ in course.submitted("modules")] == ["alice", "bob", "evil"]


def test_import_from_folder(course, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "carol.ipynb").write_text("{}")
    assert course.import_submissions("modules", folder) == ["carol"]


def test_not_a_course_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nbgrader_config.py is missing"):
        Course(tmp_path)


def test_config_keeps_the_gradebook_url_of_the_course(course):
    assert course.db_url == f"sqlite:///{course.root / 'gradebook.db'}"
    assert course.course_id == "d2lmods"


def test_a_plain_postgresql_url_uses_the_installed_driver(tmp_path):
    root = copy_course(EXERCISES, tmp_path / "course")
    cfg = root / "nbgrader_config.py"
    cfg.write_text(
        cfg.read_text()
        + '\nc.CourseDirectory.db_url = "postgresql://grader@127.0.0.1:5432/gradebook"\n'
    )
    url = Course(root).db_url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        assert url == "postgresql+psycopg2://grader@127.0.0.1:5432/gradebook"
    else:
        assert url == "postgresql://grader@127.0.0.1:5432/gradebook"


def test_cli_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and all(c in out.stdout for c in ("grade", "demo", "dashboard"))
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    for flag in ("--workers", "--import", "--dask-scheduler", "--sandbox", "--assignment"):
        assert flag in out.stdout


def test_source_notebook_uses_nbgrader_metadata_and_stable_ids():
    nb = json.loads((EXERCISES / "source" / "modules" / "modules.ipynb").read_text())
    meta = {
        c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]
        for c in nb["cells"]
        if "nbgrader" in c["metadata"]
    }
    for sol in ("my_sequential", "parallel_module", "factory"):
        assert meta[sol]["solution"] and not meta[sol]["grade"]
    for part in ("my_sequential", "parallel_module", "factory"):
        assert meta[f"test_{part}_behaviour"]["grade"] and meta[f"test_{part}_behaviour"]["locked"]
    manual = meta["list_problems"]
    assert manual["grade"] and manual["solution"] and not manual["locked"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_a_result_that_cannot_reach_the_gradebook_is_still_saved(course):
    from autograder.pipeline import crash_result

    result = crash_result({"student": "dave", "assignment": "modules"}, "worker lost")
    with pytest.raises(Exception):  # noqa: B017 (whatever nbgrader raises; the file must survive)
        course.record(result, {"notebook": "/nonexistent.ipynb"})  # assignment never generated
    saved = json.loads((course.root / "results" / "modules" / "dave.json").read_text())
    assert "not_recorded" in saved["flags"] and "crash" in saved["flags"] and saved["score"] == 0
