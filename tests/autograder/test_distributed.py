"""Grading jobs on a real dask.distributed LocalCluster (worker processes, 127.0.0.1 only)."""

import concurrent.futures
import os
import signal
import time

import pytest

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")

from autograder.distributed import DaskExecutor, SchedulerUnreachable, make_executor  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    import dask

    # allowed-failures=0: the scheduler gives up on a task the first time its worker dies, so a
    # submission survives a dead worker only through DaskExecutor's own retry.
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


def _job(job):
    # Defined at module level but pickled by value (cloudpickle) since tests/ is not installed.
    import os as _os
    import time as _time

    _time.sleep(job.get("sleep", 0.0))
    if job.get("fail"):
        raise ValueError(f"submission {job['student']} could not be graded")
    return {"student": job["student"], "pid": _os.getpid()}


@pytest.fixture(autouse=True)
def _pickle_jobs_by_value():
    import sys

    import cloudpickle

    mod = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(mod)
    yield
    cloudpickle.unregister_pickle_by_value(mod)


def _kill_a_busy_worker(client, timeout=20.0):
    """SIGKILL a worker process while it is running a task; returns the pid killed."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [addr for addr, keys in client.processing().items() if keys and addr in pids]
        if busy:
            os.kill(pids[busy[0]], signal.SIGKILL)
            return pids[busy[0]]
        time.sleep(0.05)
    raise AssertionError("no worker became busy")


def test_submissions_spread_over_worker_processes(cluster):
    with make_executor(cluster.scheduler_address) as ex:
        futures = [ex.submit(_job, {"student": f"s{i}", "sleep": 0.3}) for i in range(8)]
        results = [f.result(timeout=60) for f in futures]
    assert [r["student"] for r in results] == [f"s{i}" for i in range(8)]
    assert len({r["pid"] for r in results}) == 2 and os.getpid() not in {r["pid"] for r in results}
    assert all(isinstance(f, concurrent.futures.Future) for f in futures)


def test_a_worker_killed_mid_batch_loses_no_submission(cluster):
    ex = make_executor(cluster.scheduler_address)
    try:
        futures = [ex.submit(_job, {"student": f"s{i}", "sleep": 1.0}) for i in range(6)]
        killed = _kill_a_busy_worker(ex.client)
        results = [f.result(timeout=120) for f in futures]
    finally:
        ex.shutdown()
    assert sorted(r["student"] for r in results) == [f"s{i}" for i in range(6)]
    assert killed not in {r["pid"] for r in results}
    assert ex.retries >= 1


def test_without_retries_the_dead_worker_is_reported(cluster):
    from distributed.scheduler import KilledWorker

    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the worker killed above
    ex = DaskExecutor(client, max_retries=0)
    try:
        futures = [ex.submit(_job, {"student": f"s{i}", "sleep": 1.0}) for i in range(4)]
        _kill_a_busy_worker(client)
        concurrent.futures.wait(futures, timeout=120)
    finally:
        ex.shutdown()
    errors = [f.exception() for f in futures if f.exception() is not None]
    assert errors and all(isinstance(e, KilledWorker) for e in errors)
    assert ex.retries == 0


def test_an_error_in_the_job_is_not_retried(cluster):
    with make_executor(cluster.scheduler_address) as ex:
        fut = ex.submit(_job, {"student": "zed", "fail": True})
        with pytest.raises(ValueError, match="submission zed could not be graded"):
            fut.result(timeout=60)
        assert ex.retries == 0


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(
        SchedulerUnreachable, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ) as err:
        make_executor("tcp://127.0.0.1:9", timeout=2)
    assert "`dask scheduler`" in str(err.value) and "drop --dask-scheduler" in str(err.value)


def test_address_without_protocol_is_rejected():
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        make_executor("127.0.0.1:8786")


def test_no_address_gives_a_local_process_pool():
    with make_executor(None, workers=2) as ex:
        assert isinstance(ex, concurrent.futures.ProcessPoolExecutor)
        assert ex.submit(pow, 2, 10).result(timeout=60) == 1024
