"""Grading at course scale: workers that see no course, a worker killed mid-batch, an interrupted
batch that resumes, progress on stderr."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import parts, pipeline, resume
from autograder.batch import make_jobs
from autograder.demo import build_course
from autograder.progress import Progress

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# sample -> scores of (my_sequential, parallel_module, factory), as in test_roundtrip.EXPECTED
SCORES = {
    "correct": (4, 3, 3),
    "seq_plain_list": (1.5, 3, 3),
    "par_wrong_dim": (4, 2, 3),
    "fac_shared": (4, 3, 1),
    "exits": (0, 0, 0),
    "correct_alt": (4, 3, 3),
    "seq_wrong_order": (2.5, 3, 3),
    "fac_n_zero": (4, 3, 2.5),
}


def _scores(result) -> tuple:
    return tuple(result.parts[p].score for p in parts.parts_of("modules"))


class Recording:
    """A course whose ``record`` counts how often each student is written."""

    def __init__(self, course):
        self.course, self.writes = course, {}

    def __getattr__(self, name):
        return getattr(self.course, name)

    def record(self, result, job):
        self.writes[result.student] = self.writes.get(result.student, 0) + 1
        return self.course.record(result, job)


def test_a_job_carries_bytes_and_no_course_path(tmp_path):
    course = build_course(tmp_path / "c", ["correct"])
    job = make_jobs(course, "modules")[0]
    release = course.release_notebook("modules").read_bytes()
    wire = resume.wire_job(job, release)
    assert str(course.root) not in json.dumps({k: v for k, v in wire.items() if isinstance(v, str)})
    assert (
        wire["notebook_bytes"] == Path(job["notebook"]).read_bytes()
        and wire["release_bytes"] == release
    )
    moved = tmp_path / "elsewhere"
    course.root.rename(moved)  # the worker's machine has no course at all
    try:
        res = pipeline.grade_submission(wire)
    finally:
        moved.rename(course.root)
    assert _scores(res) == SCORES["correct"], res.extra
    assert res.extra["submission"]["sha256"] == wire["sha256"]


def test_progress_lines_and_bar():
    out = io.StringIO()
    clock = iter([0.0, 1.0, 2.0, 3.0, 30.0]).__next__
    p = Progress(4, stream=out, every=5.0, clock=clock, tty=False)
    for _ in range(4):
        p.advance()
    lines = out.getvalue().splitlines()
    # the first, then none for 5 s, then the last
    assert lines == ["graded 1/4 (25%), 60.0/min, about 3 s left", "graded 4/4 (100%), 8.0/min"]
    bar = io.StringIO()
    p = Progress(2, stream=bar, clock=iter([0.0, 1.0]).__next__, tty=True)
    p.advance()
    assert bar.getvalue().startswith("\r[###############...............] graded 1/2 (50%)")


# -- Dask: worker processes in their own directories, opening no course path ---------------------
def _watch_opens(root):
    """Installed in each worker: note every file the worker process opens under ``root``."""
    import sys as _sys

    seen = []

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            p = os.fsdecode(args[0])
            if p.startswith(root):
                seen.append(p)

    _sys.addaudithook(hook)
    _sys.modules["__main__"].__dict__["_course_opens"] = seen
    return os.getpid()


def _watch_plugin(base, root):
    """A Dask worker plugin: ``setup`` runs in every worker, the ones started later included."""
    from distributed import WorkerPlugin

    class Watch(WorkerPlugin):
        def setup(self, worker):
            _setup_worker(base, root)

    return Watch()


def _setup_worker(base, root):
    import tempfile

    os.makedirs(base, exist_ok=True)
    os.chdir(tempfile.mkdtemp(dir=base))
    _watch_opens(root)


def _course_opens():
    import sys as _sys

    return list(_sys.modules["__main__"].__dict__.get("_course_opens", []))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        )
        yield cluster
        cluster.close()


def test_dask_workers_grade_without_the_course_and_survive_a_kill(cluster, tmp_path):
    import cloudpickle

    from autograder.distributed import make_executor

    names = list(SCORES)
    course = build_course(tmp_path / "course", names)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ex = make_executor(cluster.scheduler_address)
    try:
        client = ex.client
        # every worker, a restarted one too, lives in a directory of its own (like another
        # machine) and notes any course file it opens
        client.register_plugin(
            _watch_plugin(str(tmp_path / "workers"), str(course.root)), name="watch-course"
        )
        pids = client.run(os.getpid)
        rec = Recording(course)
        killed = []

        def kill_one_busy():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed:
                busy = [a for a, keys in client.processing().items() if keys and a in pids]
                if busy:
                    opens = client.run(_course_opens)  # before one of the two goes away
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append((pids[busy[0]], opens))
                time.sleep(0.05)

        import threading

        t = threading.Thread(target=kill_one_busy)
        t.start()
        results = pipeline.grade_batch(
            rec, "modules", make_jobs(course, "modules"), executor=ex, log=lambda *a: None
        )
        t.join()
        opens_after = client.run(_course_opens)
        config = str(course.root / "nbgrader_config.py")
        client.run(lambda: open(config).close())  # the watch itself works
        control = client.run(_course_opens)
    finally:
        ex.shutdown()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert killed and ex.retries >= 1
    assert all(v == [] for v in killed[0][1].values()), killed[0][1]
    assert all(v == [] for v in opens_after.values()), opens_after
    assert all(v == [config] for v in control.values()), control
    # every submission graded, none lost, none recorded twice, with the right scores
    assert sorted(r.student for r in results) == sorted(names)
    assert rec.writes == {n: 1 for n in names}
    for r in results:
        assert _scores(r) == SCORES[r.student], (r.student, r.extra.get("problem"))


# -- an interrupted batch resumes -------------------------------------------------------------------
def _grade_cli(course_root, *extra, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(course_root),
            "--workers",
            "1",
            "--no-feedback",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kw,
    )


def _results(course):
    d = course.root / "results" / "modules"
    return {p.stem: p.read_bytes() for p in d.glob("*.json")} if d.exists() else {}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_batch_resumes_without_grading_twice(tmp_path, sig):
    from nbgrader.api import Gradebook

    names = list(SCORES)
    course = build_course(tmp_path / "course", names)
    proc = _grade_cli(course.root)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(_results(course)) < 2 and proc.poll() is None:
        time.sleep(0.1)
    os.kill(proc.pid, sig)  # the parent only, mid-batch
    code = proc.wait(timeout=120)
    assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 130)
    time.sleep(1.0)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its pool's workers, if any are still there
    except ProcessLookupError:
        pass
    out, _ = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert "interrupted: every submission graded so far is recorded" in out
    first = _results(course)
    assert 2 <= len(first) < len(names), "the batch was not killed mid-way"

    again = _grade_cli(course.root)
    out, err = again.communicate(timeout=900)
    assert again.returncode == 0, err[-2000:]
    assert (
        f"grading {len(names) - len(first)} submissions of 'modules', {len(first)} already graded"
        in out
    )
    assert f"graded {len(names) - len(first)}/{len(names) - len(first)} (100%)" in err
    final = _results(course)
    assert sorted(final) == sorted(names)
    for sid, data in first.items():  # what the first run recorded was not graded again
        assert final[sid] == data
    for sid, data in final.items():
        r = json.loads(data)
        assert tuple(r["parts"][p]["score"] for p in parts.parts_of("modules")) == SCORES[sid], sid
        assert r["extra_data"]["submission"]["sha256"]
    with Gradebook(course.db_url, course.course_id) as gb:
        subs = gb.assignment_submissions("modules")
        assert sorted(s.student_id for s in subs) == sorted(names)
        for s in subs:
            assert s.score == pytest.approx(sum(SCORES[s.student_id]))

    # a third run grades nothing; a changed submission and --student are graded again
    nb = course.root / "submitted" / "correct" / "modules" / "modules.ipynb"
    nb.write_text(nb.read_text() + "\n")  # new bytes, same answers
    out, _ = _grade_cli(course.root).communicate(timeout=900)
    assert "grading 1 submissions of 'modules', 7 already graded" in out and "graded correct" in out
    out, _ = _grade_cli(course.root, "--student", "fac_shared").communicate(timeout=900)
    assert "grading 1 submissions of 'modules'" in out and "graded fac_shared" in out


# -- plain Python cells need no transform sandbox ---------------------------------------------------
def test_plain_python_cells_are_what_ipython_would_make_of_them(tmp_path):
    from autograder import notebook, samples

    course = build_course(tmp_path / "c", [])
    release, source = course.release_notebook("modules"), course.source_notebook("modules")
    cells = []
    for name in samples.names():
        nb = notebook.read_notebook(samples.build(name, release, source))
        cells += [s for s in notebook.solution_sources(nb, parts.parts_of("modules")).values() if s]
    cells += ["def f():\n    return 1", "s = '#?'  # a comment\n"]
    plain = [s for s in cells if pipeline.is_plain_python(s)]
    assert len(plain) > 0.8 * len(cells), len(plain)
    for s in plain:
        assert notebook.to_python(s) == (s if s.endswith("\n") else s + "\n"), s
    # IPython syntax, what does not parse, and the doubtful go to the sandbox's transform
    for s in [
        "%time x = 1\n",
        "!ls\n",
        "x?\n",
        "  x = 1\n",
        "def f(:\n",
        "%%timeit\nx = 1\n",
        "x = (1\n%2)\n",
        "# what?\n",
    ]:
        assert not pipeline.is_plain_python(s), s


# -- what makes a recorded grade stale ----------------------------------------------------------------
def test_a_recorded_grade_is_kept_only_for_the_same_bytes_timestamp_and_library(tmp_path):
    course = build_course(tmp_path / "course", ["correct", "fac_shared"])
    jobs = make_jobs(course, "modules")
    assert {j["student"] for j in resume.pending(course, "modules", jobs)} == {
        "correct",
        "fac_shared",
    }

    def record(job, library):
        data, _ = resume.read_capped(job["notebook"])
        key = resume.submission_key(data, job.get("timestamp", ""))
        path = course.results_path("modules", job["student"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"extra_data": {"submission": key, "library": library}}))

    for job in jobs:
        record(job, "d2lmods")
    assert resume.pending(course, "modules", jobs) == []
    # the course switched to PyTorch: every grade was given by the other library
    torch_jobs = [{**j, "library": "torch"} for j in jobs]
    assert len(resume.pending(course, "modules", torch_jobs)) == len(jobs)
    record(torch_jobs[0], "torch")
    assert [j["student"] for j in resume.pending(course, "modules", torch_jobs)] == [
        torch_jobs[1]["student"]
    ]
    # results written before the library was recorded count as d2lmods grades
    path = course.results_path("modules", jobs[1]["student"])
    raw = json.loads(path.read_text())
    del raw["extra_data"]["library"]
    path.write_text(json.dumps(raw))
    assert [j["student"] for j in resume.pending(course, "modules", jobs)] == [jobs[0]["student"]]
