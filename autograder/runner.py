"""One sandbox per submission, one forked process per part (:mod:`autograder.forkserver` inside):
the default runner of :func:`autograder.pipeline.grade_parts`.

Grading the three parts of a notebook in three fresh interpreters pays the imports three times;
here the sandbox's interpreter imports once (the library the job names) and forks a child per part.
The sandbox is built by :func:`autograder.sandbox.start`, as a part run alone is (mounts,
namespaces, sized ``/tmp`` and ``/dev/shm``, the seccomp filter, read-only root and ``/dev``,
rlimits), and every part gets the host-side limits of a run of its own: its own CPU-time limit and
wall clock, an output folder emptied before it and watched while it runs (``_disk_watch``), a
``/tmp`` emptied after it.  The isolation between the parts of one student stays what the threat
model asks of separate runs: each part has its own secrets on a stdin pipe of its own, its own
report pipe and key, its own stderr pipe, its own process group; the other parts' descriptors are
closed before the student's code runs, no process of the job can read another's
``/proc/<pid>/fd`` (non-dumpable), and whatever a part leaves behind is killed before the next one
starts.  Different students never share a sandbox.  A part the server never ran (the host stopped
the sandbox, or the server was killed) is graded again in a sandbox of its own by the caller.

    >>> runs = run_parts([("factory", files, stdin_bytes)], Limits())   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from pathlib import Path

from . import safeio, sandbox
from .sandbox import Limits, RunResult

SERVER = Path(__file__).with_name("forkserver.py")


#: The modules the server imports before the first fork, by the library a job names.
PRELOAD = {
    "d2lmods": ("d2lmods", "d2lmods.nn", "d2lmods.nn.functional"),
    # torch's device modules and its weights-only unpickler are what the probe imports before its
    # snapshot; loaded here, a part's child forks with them instead of importing them itself.
    "torch": (
        "torch",
        "torch.nn",
        "torch.nn.functional",
        "torch.cuda",
        "torch.xpu",
        "torch.mtia",
        "torch._weights_only_unpickler",
        "pickle",
        "collections",
    ),
}
#: The tail of a part's stdout and stderr kept (what ``sandbox.run`` keeps of a part run alone).
TAIL = 1500
#: Seconds past a part's wall clock before the host stops the whole sandbox (the server stops the
#: part itself at its wall clock, then kills what it left and empties /tmp)
SLACK = 5.0


def preload_for(library: str | None) -> tuple[str, ...]:
    """What to import once in the server for a job's ``"library"`` (default d2lmods)."""
    return PRELOAD.get(library or "d2lmods", (library,) if library else PRELOAD["d2lmods"])


class _Pipes:
    """One part's stdin (fed by a thread), report pipe (drained by a thread, capped) and
    stdout/stderr pipe (drained, its tail kept).  The ends the sandbox gets: ``in_r``, ``rep_w``,
    ``err_w``."""

    def __init__(self, data_for_fd, cap: int):
        self.in_r, self.in_w = os.pipe()
        self.rep_r, self.rep_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        for fd in (self.in_r, self.rep_w, self.err_w):
            os.set_inheritable(fd, True)
        self.data = data_for_fd(self.rep_w)
        self.cap, self.chunks, self.size = cap, [], 0
        self.tail = b""
        self.readers = [
            threading.Thread(target=self._drain, daemon=True),
            threading.Thread(target=self._drain_err, daemon=True),
        ]
        for t in self.readers:
            t.start()

    def sandbox_fds(self) -> tuple[int, int, int]:
        return self.in_r, self.rep_w, self.err_w

    def started(self) -> None:
        for fd in self.sandbox_fds():  # only the sandbox holds these ends now
            os.close(fd)

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
            if self.size < self.cap:  # keep draining past the cap: the job never blocks on us
                self.chunks.append(b[: self.cap - self.size])
                self.size += len(self.chunks[-1])
        os.close(self.rep_r)

    def _drain_err(self) -> None:
        while True:
            try:
                b = os.read(self.err_r, 65536)
            except OSError:
                break
            if not b:
                break
            self.tail = (self.tail + b)[-TAIL:]
        os.close(self.err_r)

    def collect(self) -> tuple[bytes, str]:
        for t in self.readers:
            t.join(5)
        return b"".join(self.chunks), self.tail.decode("utf-8", "replace")


class _Status:
    """The server's status pipe, read line by line by a thread."""

    def __init__(self, fd: int):
        self.fd, self.lines = fd, queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                b = os.read(self.fd, 4096)
            except OSError:
                b = b""
            if not b or len(buf) > 65536:
                self.lines.put(None)  # end of file (or a server that only talks): no more lines
                os.close(self.fd)
                return
            buf += b
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.put(line.decode("utf-8", "replace"))

    def next(self, seconds: float, stop) -> str | None | bool:
        """The next line within ``seconds`` (None: the server is gone; False: out of time, or
        ``stop()`` said so)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.lines.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline or stop():
                    return False


def _reap(proc, seconds: float | None) -> bool:
    """Wait for the sandbox's first process (at most ``seconds``); True once it has ended."""
    if proc.returncode is None:
        try:
            sandbox._wait(proc, seconds)
        except ChildProcessError:  # reaped already
            proc.returncode = proc.returncode if proc.returncode is not None else -1
    return proc.returncode is not None


def _parse(line: str, part: str):
    f = line.split()
    if len(f) != 6 or f[0] != part:
        return None
    try:
        return int(f[1]), float(f[2]), float(f[3]), f[4] == "1", int(f[5])
    except ValueError:
        return None


def run_parts(
    jobs: list[tuple[str, dict[str, bytes], object]],
    limits: Limits,
    kind: str = "auto",
    uid: int | None = None,
    preload: tuple[str, ...] = PRELOAD["d2lmods"],
    deadline: float | None = None,
) -> dict[str, RunResult]:
    """Run each ``(part, files, stdin)`` (``files``: ``probe.py``, ``part_probe.py``, ``student.py``;
    ``stdin``: a function of the report fd's number returning the part's secrets) in one sandbox
    built by :func:`autograder.sandbox.start`, in order.  ``preload``: the modules the server
    imports before the first fork; ``deadline`` (``time.perf_counter()``): no part runs past it.

    Each part gets ``limits`` as if it ran alone: CPU time and wall clock (the server's, and the
    host's as a backstop), the output folder emptied before it and watched while it runs (over
    ``out_mb`` / ``out_entries`` / ``out_depth``: status ``disk``, and the sandbox is stopped).
    When the host stops the sandbox (a part over the disk limit or past the wall clock) or the
    server dies, the parts after that one were never run and are missing from the answer.

    Returns a :class:`~autograder.sandbox.RunResult` per part that the server started (a part
    missing from the answer, or with an empty ``report``, was never run)."""
    kind = sandbox.choose_kind(kind)
    run_uid = sandbox.run_uid_for(kind, uid)
    files = {
        "probe.py": next(iter(jobs))[1]["probe.py"] if jobs else b"",
        "forkserver.py": SERVER.read_bytes(),
    }
    for part, fs, _ in jobs:
        if "/" in part or part.startswith("."):
            raise ValueError(f"a part's name is a folder name: {part!r}")
        files[f"{part}/part_probe.py"] = fs["part_probe.py"]
        files[f"{part}/student.py"] = fs["student.py"]
    job = sandbox.new_job(files, run_uid, prefix="d2lmods-sub-")
    pipes: dict[str, _Pipes] = {}
    out: dict[str, RunResult] = {}
    proc = None
    go_r = go_w = st_r = st_w = None
    try:
        cap = limits.output_kb * 1024
        for part, _, stdin in jobs:
            pipes[part] = _Pipes(stdin, cap)
        go_r, go_w = os.pipe()
        st_r, st_w = os.pipe()
        os.set_inheritable(go_r, True)
        os.set_inheritable(st_w, True)
        plan = {
            "parts": [[part, *p.sandbox_fds()] for part, p in pipes.items()],
            "go": go_r,
            "status": st_w,
            "preload": list(preload),
            "cpu_seconds": limits.cpu_seconds,
            # kill(-1) reaches only the job's processes: a pid namespace, or a uid of its own
            "kill_all": kind == "bwrap" or run_uid is not None,
            # bubblewrap's sized tmpfs: the only /tmp the server ever empties
            "private_tmp": kind == "bwrap",
        }
        fds = tuple(fd for p in pipes.values() for fd in p.sandbox_fds()) + (go_r, st_w)
        try:
            proc = sandbox.start(
                job, kind, run_uid, limits, "forkserver.py", (json.dumps(plan),), pass_fds=fds
            )
        finally:
            for p in pipes.values():
                p.started()
            os.close(go_r)
            os.close(st_w)
            go_r = st_w = None
        status = _Status(st_r)
        st_r = None
        for p in pipes.values():
            p.feed()
        # the server's imports count against the first part's wall clock, as a part's own
        # imports do when it runs alone
        t_ready = time.perf_counter()
        ready = status.next(limits.part_seconds, lambda: proc.poll() is not None)
        if ready != "ready":
            return {}
        started = time.perf_counter() - t_ready  # the sandbox, the interpreter, its imports
        first = True
        for part in pipes:
            seconds = limits.part_seconds
            if first:
                seconds = max(0.0, seconds - (time.perf_counter() - t_ready))
            if deadline is not None:
                seconds = min(seconds, deadline - time.perf_counter())
            if seconds < 1.0 and not first:
                break
            if not first and not safeio.remove_tree(job / "out", keep=True):
                break  # what the last part left cannot be removed: the next one runs alone
            first = False
            over_disk = sandbox._disk_watch(job / "out", limits)
            t0 = time.perf_counter()
            try:
                os.write(go_w, f"{seconds:.3f}\n".encode())
            except OSError:
                break
            # the server stops the part at ``seconds``; the host stops the sandbox a little later
            line = status.next(seconds + SLACK, over_disk)
            wall = time.perf_counter() - t0
            got = _parse(line, part) if isinstance(line, str) else None
            if got is not None:  # the part ended and the server cleaned up after it
                code, cpu, wall, timed_out, left = got
                st = "timeout" if timed_out else sandbox.run_status(code, cpu, wall, limits)
                detail = ""
                if over_disk(final=True):  # it wrote past the cap and ended before the next scan
                    st, detail = "disk", sandbox.disk_detail(limits)
                out[part] = RunResult(
                    st,
                    None,
                    code,
                    wall,
                    kind,
                    leftovers_killed=left,
                    detail=detail,
                    extra={"runner": "fork"},
                )
                continue
            # over the disk limit, out of time, or the server is gone: this part ends here
            # as sandbox.run counts them: what is still alive once the sandbox has been stopped
            sandbox.stop(proc, run_uid)
            _reap(proc, None)
            stopped = sandbox.stop(proc, run_uid)
            if over_disk(final=True):
                st, detail = "disk", sandbox.disk_detail(limits)
            elif line is False:
                st, detail = "timeout", ""
            else:
                st, detail = "ok", "the sandbox's server ended during this part"
            out[part] = RunResult(
                st,
                None,
                None,
                wall,
                kind,
                leftovers_killed=stopped,
                detail=detail,
                extra={"runner": "fork"},
            )
            break
        for part, r in out.items():
            r.report, r.stderr_tail = pipes[part].collect()
            if r.detail.startswith("the sandbox's server"):
                r.stderr_tail = (r.stderr_tail + sandbox._tail(job / "stderr.txt", 300))[-TAIL:]
        if out:
            next(iter(out.values())).extra["server_start"] = round(started, 4)
        return out
    finally:
        for fd in (go_r, go_w, st_r, st_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        if proc is not None:
            if not _reap(proc, 5.0):
                sandbox.stop(proc, run_uid)
                _reap(proc, None)
            sandbox.stop(proc, run_uid)
        sandbox.finish(job, run_uid)


def grade_parts_together(g) -> None:
    """:func:`autograder.pipeline.grade_parts` with every part of the notebook in one sandbox: each
    part goes through :data:`~autograder.pipeline.PART_STEPS` as before, except that the step
    ``run_sandbox`` of all parts happens at once, here (a part the server never ran gets a sandbox
    of its own, with a fresh key, within what is left of the notebook's time).  The server imports
    the library the job names (``"library"``: ``d2lmods``, the default, or ``torch``)."""
    import secrets

    import numpy as np

    from . import parts, pipeline
    from .results import Flag, Status

    steps = pipeline.PART_STEPS
    if pipeline.run_sandbox not in steps:  # a chain without the sandbox step: part by part
        g.job = {**g.job, "runner": "separate"}
        return pipeline.grade_parts(g)
    at = steps.index(pipeline.run_sandbox)
    kind = g.job.get("sandbox", "auto")
    deadline = g.t0 + g.limits.notebook_seconds

    def limits_now():
        left = deadline - time.perf_counter()
        limits = Limits.from_dict(
            {**g.limits.to_dict(), "part_seconds": min(g.limits.part_seconds, left)}
        )
        return limits, (Status.NOT_RUN if left < 1.0 else None)

    limits, skip = limits_now()

    def failed(part, e):  # a grader failure costs this part only, and says so
        r = parts.not_run(part, Status.CRASH)
        r.flags.append(Flag.CRASH)
        r.run["detail"] = f"grading this part failed: {type(e).__name__}: {e}"[:300]
        return r

    order = parts.parts_of(g.result.assignment)
    runs, results = [], {}
    for part in order:
        src = g.sources[part]
        p = pipeline.PartRun(
            part,
            None if src is None else g.python.get(part, src),
            limits,
            kind,
            g.job.get("numba_cache"),
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
        done = run_parts(
            planned,
            limits,
            kind,
            preload=preload_for(g.job.get("library")),
            deadline=deadline,
        )
    except Exception:  # the shared sandbox could not start: each part in its own
        done = {}
    for p in runs:
        try:
            if p.key:
                p.run = done.get(p.part)
                if p.run is None or not p.run.report:  # never run: alone, in the time left
                    p.run, p.key = None, b""
                    p.limits, p.skip = limits_now()
                    pipeline.run_sandbox(p)
            for step in steps[at + 1 :]:
                step(p)
            results[p.part] = p.result
        except Exception as e:
            results[p.part] = failed(p.part, e)
    start = sum(float(r.extra.get("server_start", 0.0)) for r in done.values())
    if start:  # the shared sandbox's start, paid once for all parts (no part's wall holds it)
        g.result.extra["timings"]["fork server start"] = round(start, 4)
    for part in order:
        r = results[part]
        g.result.parts[part] = r
        if r.run.get("sandbox"):
            g.result.extra["sandbox"] = r.run["sandbox"]
        for k, v in r.timings.items():
            g.result.extra["timings"][k] = round(g.result.extra["timings"].get(k, 0) + v, 4)
