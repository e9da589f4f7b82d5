"""End to end: the real grading pipeline on a Dask LocalCluster, then the dashboard over its output."""

import pytest

from autograder import demo
from autograder.dashboard.cli import main
from autograder.dashboard.data import course_settings, load_assignment
from autograder.distributed import make_executor

pytest.importorskip("distributed", reason="dask[distributed] is not installed")  # an optional extra

pytestmark = pytest.mark.slow
SAMPLES = ["correct", "seq_plain_list", "tamper"]


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    from distributed import LocalCluster
    from nbgrader.api import Gradebook

    from autograder.batch import grade_course

    dest = tmp_path_factory.mktemp("pipeline") / "course"
    course = demo.build_course(dest, SAMPLES)
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student("no_show", first_name="Noor")  # enrolled, never submitted
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as cluster:
        executor = make_executor(cluster.scheduler_address)
        try:
            results = grade_course(dest, "modules", executor=executor, log=lambda *_: None)
        finally:
            executor.shutdown()
    assert executor.retries == 0
    return dest, {r.student: r for r in results}


def test_every_submission_graded_on_the_cluster_reaches_the_dashboard(graded_course):
    dest, results = graded_course
    assert sorted(results) == SAMPLES
    data = load_assignment(dest, "modules")
    assert [s.student for s in data.graded] == SAMPLES
    assert [s.student for s in data.students if not s.submitted] == ["no_show"]
    correct = next(s for s in data.students if s.student == "correct")
    assert correct.result.score == correct.result.max_score and correct.flags == []


def test_dashboard_scores_equal_the_gradebook(graded_course):
    from nbgrader.api import Gradebook

    dest, _ = graded_course
    course_id, db_url = course_settings(dest)
    with Gradebook(db_url, course_id) as gb:
        expected = {s.student.id: s.score for s in gb.find_assignment("modules").submissions}
    data = load_assignment(dest, "modules")
    assert {s.student: s.score for s in data.submitted} == pytest.approx(expected)


def test_mistakes_and_tampering_show_up(graded_course, tmp_path):
    dest, results = graded_course
    data = load_assignment(dest, "modules")
    assert "tamper" in {s.student for s in data.flagged()}
    failing = {c.check for c in data.check_stats() if c.passed < c.attempts}
    assert failing, "seq_plain_list must fail at least one check"
    cats = data.failure_categories()
    assert cats and all(c.students >= 1 for c in cats)
    assert all("seq_plain_list" not in c.example for c in cats)  # anonymised
    out = tmp_path / "dash.html"
    assert main([str(dest), "--assignment", "modules", "--out", str(out)]) == 0
    html = out.read_text()
    assert 'data-student="tamper"' in html and 'data-student="no_show"' in html
