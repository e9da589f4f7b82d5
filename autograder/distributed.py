"""Spread grading over more than one machine with an existing Dask cluster.

``python -m autograder grade ... --dask-scheduler tcp://host:port`` asks
:func:`make_executor` for an executor and calls ``executor.submit(grade_submission, job)``
for every submission; the returned futures are ordinary
:class:`concurrent.futures.Future` objects, so the caller (the single writer of
results and gradebook) does not care whether a local process pool or a
cluster did the work. Each worker still sandboxes the submission it grades:
the sandbox lives inside ``grade_submission``.

A worker that dies mid-batch (OOM killer, pre-empted node, ``kill -9``) must not
lose a submission: Dask reports the task as ``KilledWorker`` and this wrapper
submits it again, a bounded number of times.

Workers need the same environment as the client (``pip install 'd2lmods[grading]'``
so ``autograder.pipeline`` imports there) and ``bwrap`` for the sandbox.

>>> with make_executor("tcp://127.0.0.1:8786") as ex:      # doctest: +SKIP
...     ex.submit(pow, 2, 10).result()
1024
>>> with make_executor(None, workers=2) as ex:              # a local process pool
...     ex.submit(pow, 2, 10).result()
1024
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 3


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler could not be reached, or it has no workers to grade with."""


class DaskExecutor:
    """A ``concurrent.futures``-style executor over a ``dask.distributed.Client``.

    ``submit`` returns a :class:`concurrent.futures.Future`. When the worker running a
    task dies, the task is submitted again (up to ``max_retries`` times per task);
    an exception raised *by* the task itself is never retried: grading the same
    submission again would fail the same way.
    """

    def __init__(self, client, max_retries: int = DEFAULT_RETRIES, own_client: bool = True):
        self.client = client
        self.max_retries = max_retries
        self.retries = 0  # how many tasks were resubmitted after a worker died
        self._own_client = own_client
        self._lock = threading.Lock()
        self._live: dict[str, object] = {}  # dask futures must stay referenced until done
        self._closed = False

    def submit(self, fn, /, *args) -> concurrent.futures.Future:
        if self._closed:
            raise RuntimeError("cannot submit to a DaskExecutor after shutdown()")
        outer: concurrent.futures.Future = concurrent.futures.Future()
        outer.set_running_or_notify_cancel()
        self._launch(outer, fn, args, attempt=0)
        return outer

    def map(self, fn, *iterables):
        futures = [self.submit(fn, *args) for args in zip(*iterables)]
        return (f.result() for f in futures)

    def _launch(self, outer, fn, args, attempt: int) -> None:
        # pure=False: two identical jobs (a resubmission included) must both run.
        fut = self.client.submit(fn, *args, pure=False)
        with self._lock:
            self._live[fut.key] = fut
        fut.add_done_callback(lambda f: self._settle(f, outer, fn, args, attempt))

    def _settle(self, fut, outer, fn, args, attempt: int) -> None:
        from distributed.scheduler import KilledWorker

        with self._lock:
            self._live.pop(fut.key, None)
        try:
            if fut.status == "finished":
                outer.set_result(fut.result())
                return
            if fut.status == "cancelled":
                outer.set_exception(
                    concurrent.futures.CancelledError(f"task {fut.key} was cancelled")
                )
                return
            exc = fut.exception()
            if isinstance(exc, KilledWorker) and attempt < self.max_retries and not self._closed:
                with self._lock:
                    self.retries += 1
                log.warning(
                    "worker died while running %s; submitting it again (attempt %d of %d)",
                    fut.key,
                    attempt + 2,
                    self.max_retries + 1,
                )
                self._launch(outer, fn, args, attempt + 1)
                return
            outer.set_exception(exc)
        except BaseException as exc:  # never leave the caller waiting forever
            if not outer.done():
                outer.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self._lock:
                pending = list(self._live.values())
            self.client.cancel(pending)
        if wait:
            with self._lock:
                pending = list(self._live.values())
            if pending:
                from distributed import wait as dask_wait

                dask_wait(pending)
        self._closed = True
        if self._own_client:
            self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(wait=exc[0] is None, cancel_futures=exc[0] is not None)
        return False


def make_executor(
    address: str | None,
    workers: int | None = None,
    *,
    max_retries: int = DEFAULT_RETRIES,
    timeout: float = 30.0,
):
    """An executor for grading jobs: a Dask cluster at ``address``, else a local process pool.

    ``address`` is the scheduler's address, e.g. ``tcp://10.0.0.5:8786``; ``None``
    gives a :class:`concurrent.futures.ProcessPoolExecutor` with ``workers``
    processes (default: one per CPU). ``timeout`` bounds both connecting and
    waiting for the first worker.
    """
    if address is None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a parent holding DB connections
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1, mp_context=ctx
        )
    if "://" not in address:
        raise ValueError(
            f"--dask-scheduler {address!r} has no protocol; write it as tcp://HOST:PORT "
            "(the address `dask scheduler` prints when it starts)"
        )
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {address}: {exc}. Start one with `dask scheduler` and "
            f"workers with `dask worker {address}`, or drop --dask-scheduler to grade with local processes."
        ) from exc
    try:
        client.wait_for_workers(workers or 1, timeout=timeout)
    except Exception as exc:
        client.close()
        raise SchedulerUnreachable(
            f"the Dask scheduler at {address} has no workers after {timeout:g} s; start some with "
            f"`dask worker {address}` (each needs this project installed and bwrap for the sandbox)."
        ) from exc
    return DaskExecutor(client, max_retries=max_retries)
