"""Fixtures for the dashboard's tests: small nbgrader courses built in tmp dirs (see dashkit.py)."""

import shutil

import pytest

from tests.autograder.dashboard.dashkit import build_course, small_class


@pytest.fixture(scope="session")
def _small_course_template(tmp_path_factory):
    # Creating a gradebook takes seconds (nbgrader shells out to alembic): build once, copy per test.
    return build_course(tmp_path_factory.mktemp("template") / "course", small_class())


@pytest.fixture
def course(tmp_path, _small_course_template):
    return shutil.copytree(_small_course_template, tmp_path / "course")


@pytest.fixture
def course_factory(tmp_path):
    def make(students, db_url=None, name="course"):
        return build_course(tmp_path / name, students, db_url=db_url)

    return make
