"""The PostgreSQL test builds its course with the dashboard's test kit (``dashboard/dashkit.py``)."""

import pytest

from tests.autograder.dashboard.dashkit import build_course


@pytest.fixture
def course_factory(tmp_path):
    def make(students, db_url=None, name="course"):
        return build_course(tmp_path / name, students, db_url=db_url)

    return make
