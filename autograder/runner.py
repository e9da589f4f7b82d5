"""One sandbox per submission, one forked process per part (:mod:`autograder.forkserver` inside).

Grading the three parts of a notebook in three fresh interpreters pays the imports three times;
here the sandbox's interpreter imports once and forks a child per part.  The isolation between the
parts of one student stays what the threat model asks of separate runs: each part has its own
secrets on a stdin pipe of its own, its own report pipe and key, its own CPU-time limit and wall
clock, its own process group; the other parts' descriptors are closed before the student's code
runs, no process of the job can read another's ``/proc/<pid>/fd`` (non-dumpable), and whatever a
part leaves behind is killed before the next one starts.  Different students never share a
sandbox.  A part the server never ran (its report is empty: the server was killed) is graded again
in a sandbox of its own by the caller.

    >>> runs = run_parts([("factory", files, stdin_bytes)], Limits())   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import sandbox
from .sandbox import Limits, RunResult

SERVER = Path(__file__).with_name("forkserver.py")


class _Pipes:
    """One part's stdin (fed by a thread) and report pipe (drained by a thread, capped)."""

    def __init__(self, data_for_fd, cap: int):
        self.in_r, self.in_w = os.pipe()
        self.rep_r, self.rep_w = os.pipe()
        for fd in (self.in_r, self.rep_w):
            os.set_inheritable(fd, True)
        self.data = data_for_fd(self.rep_w)
        self.cap, self.chunks, self.size = cap, [], 0
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def started(self) -> None:
        os.close(self.in_r)
        os.close(self.rep_w)  # only the sandbox holds the write end now

    def feed(self) -> None:
        def write():
            try:
                view = memoryview(self.data)
                while view:
                    view = view[os.write(self.in_w, view) :]
            except OSError:
                pass
            finally:
                os.close(self.in_w)

        threading.Thread(target=write, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                b = os.read(self.rep_r, 65536)
            except OSError:
                break
            if not b:
                break
            if self.size < self.cap:
                self.chunks.append(b[: self.cap - self.size])
                self.size += len(self.chunks[-1])
        os.close(self.rep_r)

    def collect(self) -> bytes:
        self.reader.join(5)
        return b"".join(self.chunks)


def _status(exit_code, cpu: float, wall: float, timed_out: bool, limits: Limits) -> str:
    if timed_out:
        return "timeout"
    if exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout"
    if (
        exit_code in (-signal.SIGKILL, 128 + signal.SIGKILL)
        and max(cpu, wall) >= limits.cpu_seconds
    ):
        return "timeout"
    return "ok"


def run_parts(
    jobs: list[tuple[str, dict[str, bytes], object]],
    limits: Limits,
    kind: str = "auto",
    uid: int | None = None,
) -> dict[str, RunResult]:
    """Run each ``(part, files, stdin)`` (``files``: ``probe.py``, ``part_probe.py``, ``student.py``;
    ``stdin``: a function of the report fd's number returning the part's secrets) in one sandbox.

    Returns a :class:`~autograder.sandbox.RunResult` per part that the server started (a part
    missing from the answer, or with an empty ``report``, was never run)."""
    kind = sandbox.choose_kind(kind)
    lib_parent = os.path.dirname(sandbox.package_dir("d2lmods"))
    uid = sandbox.job_uid() if uid is None else uid
    run_uid = uid if os.geteuid() == 0 else None
    if (
        kind == "unsandboxed"
        and run_uid is not None
        and not sandbox._world_reachable(sys.executable)
    ):
        run_uid = None
    job = Path(tempfile.mkdtemp(prefix="d2lmods-sub-"))
    pipes: dict[str, _Pipes] = {}
    try:
        os.chmod(job, 0o711)
        (job / "in").mkdir()
        probe = next(iter(jobs))[1]["probe.py"] if jobs else b""
        (job / "in" / "probe.py").write_bytes(probe)
        (job / "in" / "forkserver.py").write_bytes(SERVER.read_bytes())
        for part, files, _ in jobs:
            (job / "in" / part).mkdir()
            for name in ("part_probe.py", "student.py"):
                (job / "in" / part / name).write_bytes(files[name])
        for root, _dirs, files in os.walk(job / "in"):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        (job / "out").mkdir()
        if run_uid is not None:
            os.chown(job / "out", run_uid, run_uid)
        (job / "numba").mkdir()
        cap = limits.output_kb * 1024
        for part, _, stdin in jobs:
            pipes[part] = _Pipes(stdin, cap)
        plan = {
            "parts": [[part, p.in_r, p.rep_w] for part, p in pipes.items()],
            "cpu_seconds": limits.cpu_seconds,
            "part_seconds": limits.part_seconds,
            # kill(-1) reaches only the job's processes: a pid namespace, or a uid of its own
            "kill_all": kind == "bwrap" or run_uid is not None,
            "private_tmp": kind == "bwrap",
        }
        root = "/job" if kind == "bwrap" else str(job)
        py = [
            sys.executable,
            "-I",
            "-B",
            f"{root}/in/forkserver.py",
            f"{root}/in",
            f"{root}/out",
            lib_parent,
            json.dumps(plan),
        ]
        if kind == "bwrap":
            argv = sandbox._limited(
                sandbox._bwrap_argv(job, run_uid, py, sandbox._env(root)), limits, None
            )
        else:
            argv = sandbox._limited(py, limits, run_uid)
        fds = tuple(fd for p in pipes.values() for fd in (p.in_r, p.rep_w))
        t0 = time.perf_counter()
        with open(job / "stdout.txt", "wb") as so, open(job / "stderr.txt", "wb") as se:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=so,
                    stderr=se,
                    env=sandbox._env(root),
                    cwd=str(job / "out"),
                    start_new_session=True,
                    close_fds=True,
                    pass_fds=fds,
                )
            finally:
                for p in pipes.values():
                    p.started()
            for p in pipes.values():
                p.feed()
            # the server enforces each part's wall clock; this bounds the server itself
            budget = len(jobs) * (limits.part_seconds + 2.0) + 15.0
            exit_code, _cpu = sandbox._wait(proc, budget)
            if exit_code is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                sandbox._wait(proc, None)
        total_wall = time.perf_counter() - t0
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        leftovers = sandbox.kill_uid(run_uid) if run_uid is not None else 0
        lines = {}
        for line in (
            (job / "stdout.txt").read_bytes()[:65536].decode("utf-8", "replace").splitlines()
        ):
            f = line.split()
            if len(f) == 6 and f[0] in pipes:
                try:
                    lines[f[0]] = (int(f[1]), float(f[2]), float(f[3]), f[4] == "1", int(f[5]))
                except ValueError:
                    continue
        out: dict[str, RunResult] = {}
        for part, p in pipes.items():
            report = p.collect()
            if part not in lines and not report:
                continue  # never started
            code, cpu, wall, timed_out, left = lines.get(
                part, (None, 0.0, total_wall, exit_code is None, 0)
            )
            out[part] = RunResult(
                status=_status(code, cpu, wall, timed_out, limits),
                output=None,
                exit_code=code,
                wall_seconds=wall,
                sandbox=kind,
                stderr_tail=sandbox._tail(job / "out" / f".{part}.stderr", 1500),
                leftovers_killed=left if part in lines else leftovers,
                report=report,
            )
        return out
    finally:
        if run_uid is not None:
            sandbox.kill_uid(run_uid)
        shutil.rmtree(job, ignore_errors=True)


def grade_parts_together(g) -> None:
    """:func:`autograder.pipeline.grade_parts` with every part of the notebook in one sandbox: each
    part goes through :data:`~autograder.pipeline.PART_STEPS` as before, except that the step
    ``run_sandbox`` of all parts happens at once, here (a part the server never ran gets a sandbox
    of its own, with a fresh key)."""
    import secrets

    import numpy as np

    from . import notebook, parts, pipeline
    from .results import Flag, Status

    steps = pipeline.PART_STEPS
    if pipeline.run_sandbox not in steps:  # a chain without the sandbox step: part by part
        g.job = {**g.job, "runner": "separate"}
        return pipeline.grade_parts(g)
    at = steps.index(pipeline.run_sandbox)
    kind, left = (
        g.job.get("sandbox", "auto"),
        g.t0 + g.limits.notebook_seconds - time.perf_counter(),
    )
    limits = Limits.from_dict(
        {**g.limits.to_dict(), "part_seconds": min(g.limits.part_seconds, left)}
    )
    skip = Status.NOT_RUN if left < 1.0 else None

    def failed(part, e):  # a grader failure costs this part only, and says so
        r = parts.not_run(part, Status.CRASH)
        r.flags.append(Flag.CRASH)
        r.run["detail"] = f"grading this part failed: {type(e).__name__}: {e}"[:300]
        return r

    runs, results = [], {}
    for part in pipeline.PART_ORDER:
        src = g.sources[part]
        p = pipeline.PartRun(
            part,
            None if src is None else notebook.to_python(src),
            limits,
            kind,
            None,
            g.job.get("seed"),
            skip=skip,
            library=pipeline.job_library(g.job),
        )
        try:
            for step in steps[:at]:
                step(p)
            if p.source is not None and p.skip is None:
                p.seed = secrets.randbits(63) if p.seed is None else p.seed
                p.inputs = parts.PARTS[part].make_inputs(np.random.default_rng(p.seed))
                p.key = secrets.token_bytes(32)
            runs.append(p)
        except Exception as e:
            results[part] = failed(part, e)

    def secrets_of(p):
        return lambda fd: pipeline.probe_stdin(p.part, p.inputs, p.key, fd, p.library)

    todo = [p for p in runs if p.key]
    try:
        planned = [(p.part, pipeline.probe_files(p.part, p.source), secrets_of(p)) for p in todo]
        done = run_parts(planned, limits, kind)
    except Exception:  # the shared sandbox could not start: each part in its own
        done = {}
    for p in runs:
        try:
            if p.key:
                p.run = done.get(p.part)
                if p.run is None or not p.run.report:
                    p.run, p.key = None, b""
                    pipeline.run_sandbox(p)
            for step in steps[at + 1 :]:
                step(p)
            results[p.part] = p.result
        except Exception as e:
            results[p.part] = failed(p.part, e)
    for part in pipeline.PART_ORDER:
        r = results[part]
        g.result.parts[part] = r
        if r.run.get("sandbox"):
            g.result.extra["sandbox"] = r.run["sandbox"]
        for k, v in r.timings.items():
            g.result.extra["timings"][k] = round(g.result.extra["timings"].get(k, 0) + v, 4)
