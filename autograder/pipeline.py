"""Grading one submission (:func:`grade_submission`, run in worker processes) and a batch
(:func:`grade_batch`, the single writer of results files and the gradebook).

A submission goes through the steps of :data:`STEPS` in order, each a function of the
:class:`Grading` in progress (nbgrader declares its preprocessors the same way); grading a part is
the chain :data:`PART_STEPS`, each a function of the :class:`PartRun`::

    read_submission -> reject_other_assignment -> compare_locked_cells -> take_solution_cells
        -> transform_cells
        -> grade_parts (per part: scan_cell -> run_sandbox -> verify_report -> judge -> hold_for_review)
        -> flag_run_failures

``grade_submission`` takes plain data and returns a picklable
:class:`~autograder.results.SubmissionResult`, so any ``concurrent.futures``-like executor (a
process pool, a Dask client) can run it::

    >>> job = {"student": "alice", "assignment": "modules",
    ...        "notebook": "course/submitted/alice/modules/modules.ipynb",
    ...        "release": "course/release/modules/modules.ipynb"}
    >>> result = grade_submission(job)          # doctest: +SKIP
    >>> result.score, result.max_score          # doctest: +SKIP
    (10.0, 10.0)

The parts of a submission run in one sandbox (:mod:`autograder.sandbox`), a forked process each
with the limits of a sandbox of its own (:mod:`autograder.runner`; a job's ``"runner": "separate"``
gives each part a sandbox of its own): an endless loop in part 2 costs part 2 only.  Inputs are
drawn from a fresh secret seed for every run and reach the sandbox on stdin after the student's
cell has been imported; the observations come back on a pipe, signed with a per-run key (see
``autograder/README.md``, "Threat model").
"""

from __future__ import annotations

import ast
import hmac
import io
import json
import math
import os
import secrets
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import __version__, notebook, parts, sandbox
from .results import Flag, PartResult, Status, SubmissionResult
from .scan import scan

PROBE = Path(__file__).with_name("probe.py")
PART_ORDER = parts.parts_of(
    "modules"
)  # the default assignment's; a job's own come from parts.parts_of


def _npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def probe_files(part: str, source: str) -> dict[str, bytes]:
    """The job's files: the runtime, the part's sandbox half and the cell (nothing secret)."""
    return {
        "probe.py": PROBE.read_bytes(),
        "part_probe.py": parts.probe_source(part),
        "student.py": source.encode("utf-8"),
    }


def clean_timings(timings: dict, most: int = 32) -> dict[str, float]:
    """The sandbox's self-reported seconds, kept only when they are plausible numbers: finite,
    0 <= t <= 1e5, under short string keys (a 400-digit int or ``inf`` would reach the results)."""
    out = {}
    for k, v in list(timings.items())[:most]:
        if (
            not isinstance(k, str)
            or len(k) > 40
            or isinstance(v, bool)
            or not isinstance(v, (int, float))
        ):
            continue
        try:
            v = float(v)
        except OverflowError:
            continue
        if math.isfinite(v) and 0.0 <= v <= 1e5:
            out[k] = v
    return out


LIBRARIES = ("d2lmods", "torch")


def probe_stdin(part: str, inputs: dict, key: bytes, fd: int, library: str = "d2lmods") -> bytes:
    """The job's stdin: a header line (report key, report fd, part, size of the inputs, the
    course's library), then the inputs; the probe reads the header before the student's cell and
    the inputs after it."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}: a course teaches with one of {LIBRARIES}")
    data = _npz(inputs)
    header = json.dumps(
        {"part": part, "key": key.hex(), "fd": fd, "n": len(data), "library": library}
    )
    return header.encode() + b"\n" + data


def read_report(data: bytes, key: bytes) -> tuple[dict | None, list[str]]:
    """The observations in a report, keeping only lines signed with ``key``, in sequence.

    Returns the observations (None when no signed line came) and what was wrong with the rest:
    any byte the probe did not sign means someone else wrote to the pipe, and a signed record of a
    shape the probe never sends means someone else had the key."""
    obs: dict = {"probes": {}}
    problems: list[str] = []
    expected = 1
    signed = 0
    lines = data.split(b"\n")
    if lines and lines[-1]:
        lines.pop()  # cut off at the size cap (or by the process's end): not a forgery
    for line in lines:
        if not line:
            continue
        mac, _, payload = line.partition(b" ")
        want = hmac.new(key, payload, "sha256").hexdigest().encode()
        if not hmac.compare_digest(mac, want):
            if len(problems) < 5:
                problems.append(f"an unsigned line on the report pipe ({len(line)} bytes)")
            continue
        try:
            seq, kind, name, value = json.loads(payload)
        except (ValueError, TypeError, RecursionError):
            problems.append("a signed line that does not parse")
            continue
        if seq != expected:
            problems.append("signed lines out of order (replayed)")
            continue
        expected += 1
        signed += 1
        if kind in _RECORD_TYPES and not isinstance(value, _RECORD_TYPES[kind]):
            if len(problems) < 5:
                problems.append(
                    f"a signed {str(kind)[:20]!r} record of the wrong shape "
                    f"({type(value).__name__})"
                )
            continue
        if kind == "probe":
            obs["probes"][str(name)[:80]] = value
        elif kind == "done":
            obs["timings"] = clean_timings(value)
            obs["timings"].setdefault("total", 0.0)
        elif kind == "event":
            obs.setdefault("events", []).append(value)
        elif kind in ("exec", "import_error", "integrity", "part"):
            obs[kind] = value
    return (obs if signed else None), problems


#: What the probe sends in each kind of record (``probe`` values are checked by the judges).
_RECORD_TYPES = {
    "done": dict,
    "event": list,
    "exec": dict,
    "import_error": dict,
    "integrity": dict,
    "part": str,
}


@dataclass
class PartRun:
    """One part of one submission on its way through :data:`PART_STEPS`."""

    part: str
    source: str | None
    limits: sandbox.Limits
    kind: str = "auto"
    numba_cache: str | None = None
    seed: int | None = None
    skip: Status | None = None  # NOT_RUN when the notebook's time is used up
    scan: list[str] = field(default_factory=list)
    run: sandbox.RunResult | None = None
    inputs: dict | None = None
    key: bytes = b""
    obs: dict | None = None
    forged: list[str] = field(default_factory=list)
    result: PartResult | None = None
    library: str = "d2lmods"  # the course's library, which the probe imports as torch / nn / F


def scan_cell(p: PartRun) -> None:
    """Look at the cell for grader-facing code (flags for review; never scores)."""
    p.scan = scan(p.source)


def run_sandbox(p: PartRun) -> None:
    """Run the part's probe next to the cell in a fresh sandbox; secrets go in on stdin."""
    if p.source is None or p.skip is not None:
        return
    p.seed = secrets.randbits(63) if p.seed is None else p.seed
    p.inputs = parts.PARTS[p.part].make_inputs(np.random.default_rng(p.seed))
    p.key = secrets.token_bytes(32)
    p.run = sandbox.run(
        probe_files(p.part, p.source),
        p.limits,
        kind=p.kind,
        numba_cache=p.numba_cache,
        stdin=lambda fd: probe_stdin(p.part, p.inputs, p.key, fd, p.library),
    )


def verify_report(p: PartRun) -> None:
    """Keep the observations the probe signed; anything else on the pipe is a forgery."""
    if p.run is None:
        return
    p.obs, p.forged = read_report(p.run.report, p.key)


def judge(p: PartRun) -> None:
    """Compare the observations with the numpy reference."""
    if p.source is None:
        p.result = parts.no_solution(p.part)
        return
    if p.run is None:
        p.result = parts.not_run(p.part, p.skip or Status.NOT_RUN)
        p.result.flags.append(Flag.TIMEOUT)  # the notebook's time was used up by earlier parts
        return
    status = Status(p.run.status)
    if status is Status.OK and p.obs is None:
        status = Status.MEMORY if "MemoryError" in p.run.stderr_tail else Status.CRASH
    p.result = parts.score_part(p.part, status, p.obs, p.inputs, p.library)
    r, timings = p.result, (p.obs or {}).get("timings")
    r.wall_seconds = round(p.run.wall_seconds, 3)
    # signed, so the probe's own numbers, but of a process the student's code shared: keep plausible ones
    r.timings = {
        k: round(v, 4)
        for k, v in clean_timings(timings if isinstance(timings, dict) else {}).items()
    }
    r.run = {
        "sandbox": p.run.sandbox,
        "exit_code": p.run.exit_code,
        "leftovers_killed": p.run.leftovers_killed,
        "stderr_tail": p.run.stderr_tail[-600:],
        "detail": p.run.detail,
        "seed": p.seed,
        # fork: in the submission's sandbox; separate: a sandbox of its own
        "runner": p.run.extra.get("runner", "separate"),
    }
    if r.status in RUN_FLAGS:
        r.flags.append(RUN_FLAGS[r.status])
    if p.run.leftovers_killed:
        r.flags.append(Flag.LEFTOVER_PROCESSES)


def hold_for_review(p: PartRun) -> None:
    """Hold the part at 0 when its code reached for the grader (the reasons go to the reviewer)."""
    r = p.result
    if p.scan:
        r.hold(
            Flag.GRADER_TAMPERING,
            "the solution cell reaches for the grader (" + "; ".join(p.scan[:4]) + ")",
        )
    if p.forged:
        r.hold(Flag.FORGED_REPORT, "something other than the grader wrote to its report channel")
    obs = p.obs or {}
    integrity = obs.get("integrity") if isinstance(obs.get("integrity"), dict) else {}
    events = [
        e
        for e in _as_list(integrity.get("events")) + _as_list(obs.get("events"))
        if isinstance(e, list) and e
    ]
    if events:
        r.hold(
            Flag.BLOCKED_ACCESS,
            "the code tried " + ", ".join(sorted({str(e[0])[:80] for e in events})[:4]),
        )
    overrides = [str(o)[:80] for o in _as_list(integrity.get("overrides"))]
    if overrides:
        r.hold(
            Flag.OVERRIDES_TRAVERSAL,
            "a class redefines how modules are found or registered ("
            + ", ".join(overrides[:4])
            + ")",
        )
    patched = [str(o)[:80] for o in _as_list(integrity.get("patched"))]
    if patched:
        r.hold(
            Flag.LIBRARY_PATCHED,
            f"{p.library} or numpy was changed while grading (" + ", ".join(patched[:4]) + ")",
        )
    try:
        inconsistent = getattr(parts.PARTS[p.part], "inconsistencies", lambda P: [])(
            obs.get("probes") or {}
        )
    except (
        Exception
    ) as e:  # the probe never reports such shapes: someone else made these observations
        inconsistent = [f"observations of a shape the probe never reports ({type(e).__name__})"]
    if inconsistent:
        r.hold(Flag.INCONSISTENT_STRUCTURE, "; ".join(inconsistent[:3]))


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


#: The ways to run a submission's parts (a job's ``"runner"``; the first is the default).
RUNNERS = ("fork", "separate")

#: How a run that ended early flags the submission.
RUN_FLAGS = {
    Status.TIMEOUT: Flag.TIMEOUT,
    Status.MEMORY: Flag.MEMORY_LIMIT,
    Status.DISK: Flag.DISK_LIMIT,
    Status.CRASH: Flag.CRASH,
}

#: The chain one part goes through (each step a function of the PartRun).
PART_STEPS = (scan_cell, run_sandbox, verify_report, judge, hold_for_review)


def run_part(
    part: str,
    source: str | None,
    limits: sandbox.Limits,
    kind: str = "auto",
    numba_cache: str | None = None,
    seed: int | None = None,
    skip: Status | None = None,
    library: str = "d2lmods",
) -> PartResult:
    """Grade one solution cell for one part through :data:`PART_STEPS`."""
    p = PartRun(part, source, limits, kind, numba_cache, seed, skip, library=library)
    for step in PART_STEPS:
        step(p)
    return p.result


# ----------------------------------------------------------------------------------------------
@dataclass
class Grading:
    """One submission on its way through :data:`STEPS`."""

    job: dict
    result: SubmissionResult
    limits: sandbox.Limits
    t0: float
    release: list = field(default_factory=list)
    submission: notebook.Submission | None = None
    sources: dict = field(default_factory=dict)
    python: dict = field(default_factory=dict)  # the sources with IPython syntax turned into Python
    stopped: bool = False

    def stop(self) -> None:
        """End the chain: there is nothing to grade, every part is reported as without a solution."""
        for part in parts.parts_of(self.result.assignment):
            self.result.parts[part] = parts.no_solution(part)
        self.stopped = True


def _new_result(job: dict) -> SubmissionResult:
    extra = (
        {"submission": {"sha256": job["sha256"], "timestamp": job.get("timestamp", "")}}
        if job.get("sha256")
        else {}
    )
    return SubmissionResult(
        student=job["student"],
        assignment=job.get("assignment", "modules"),
        max_score=parts.max_score(job.get("assignment", "modules")),
        extra={
            "library": job.get("library", "d2lmods"),
            "sandbox": sandbox.choose_kind(job.get("sandbox", "auto")),
            "grading_seconds": 0.0,
            "timings": {},
            "grader_version": __version__,
            "graded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **extra,
        },
        feedback=job.get("feedback", ""),
    )


def job_library(job: dict) -> str:
    """The library a job is graded with (``"library"``: ``d2lmods``, the default, or ``torch``)."""
    library = job.get("library") or "d2lmods"
    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}: a course teaches with one of {LIBRARIES}")
    return library


def read_submission(g: Grading) -> None:
    """Parse the notebook (never executed as a whole); invalid or empty ones stop here.  The
    parent read it as a bounded regular file (no symlink, FIFO or device; the size checked first:
    :func:`autograder.resume.wire_job`), or it is read here the same way from a path."""
    release = g.job.get("release_bytes")
    g.release = json.loads(release if release is not None else Path(g.job["release"]).read_text())[
        "cells"
    ]
    if "notebook_bytes" in g.job:
        problem = g.job.get("notebook_problem")
        g.submission = (
            notebook.Submission(None, ["invalid_notebook"], problem)
            if problem
            else notebook.read_notebook(g.job["notebook_bytes"])
        )
    else:
        g.submission = notebook.read_submission(g.job["notebook"])
    for f in g.submission.flags:
        g.result.flag(Flag(f))
    if g.submission.problem:
        g.result.extra["problem"] = g.submission.problem
    if not g.submission.cells:
        g.stop()


def reject_other_assignment(g: Grading) -> None:
    if notebook.is_other_assignment(g.submission, g.release):
        g.result.flag(Flag.WRONG_ASSIGNMENT)
        g.result.extra["problem"] = "none of this assignment's cells are in the notebook"
        g.stop()


def compare_locked_cells(g: Grading) -> None:
    """Edited, deleted, re-pointed or reordered test cells: a flag (the checks never came from them)."""
    tamper = notebook.tampering(g.submission, g.release)
    if tamper:
        g.result.flag(Flag.TAMPERED_TESTS)
        g.result.extra["tampering"] = tamper


def take_solution_cells(g: Grading) -> None:
    order = parts.parts_of(g.result.assignment)
    g.sources = notebook.solution_sources(g.submission, order)
    rel = notebook.solution_sources(notebook.Submission(g.release), order)
    if all(g.sources[p] is None or notebook.unchanged_stub(g.sources[p], rel[p]) for p in order):
        g.result.flag(Flag.NO_SOLUTION)


def is_plain_python(source: str) -> bool:
    """True when ``source`` is Python with nothing IPython would rewrite: it parses (the grader
    parses every cell anyway, :func:`autograder.scan.scan`) and no line starts with ``%``, ``!``
    or ``?`` or ends with ``?`` (magics, shell escapes, help)."""
    for line in source.splitlines():
        s = line.strip()
        if s[:1] in ("%", "!", "?") or s.endswith("?"):
            return False
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def transform_cells(g: Grading) -> None:
    """IPython syntax (``%magic``, ``!cmd``) -> Python, in the sandbox under its limits (IPython's
    transformer can take minutes on a crafted cell, so it never runs in the grader's process).
    A cell that is plain Python already (:func:`is_plain_python`, most of them) needs no sandbox:
    IPython's transform leaves it as it is, but for the final newline."""
    sources = {p: s for p, s in g.sources.items() if s is not None}
    plain = {
        p: s if s.endswith("\n") else s + "\n" for p, s in sources.items() if is_plain_python(s)
    }
    g.python, g.result.extra["transform"] = notebook.to_python_sandboxed(
        {p: s for p, s in sources.items() if p not in plain},
        g.limits,
        g.job.get("sandbox", "auto"),
    )
    g.python.update(plain)


def grade_parts(g: Grading) -> None:
    """Each part through :data:`PART_STEPS`, within the notebook's time: by default in one sandbox
    per submission, a forked process per part (:mod:`autograder.runner`; the same limits as a
    sandbox of its own, see ``autograder/README.md``); with the job's ``"runner": "separate"`` in
    a sandbox of its own per part."""
    runner = g.job.get("runner", "fork")
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r} in the job: use one of {', '.join(RUNNERS)}")
    if runner == "fork":
        from .runner import grade_parts_together

        return grade_parts_together(g)
    deadline = g.t0 + g.limits.notebook_seconds
    for part in parts.parts_of(g.result.assignment):
        src = g.sources[part]
        left = deadline - time.perf_counter()
        limits = sandbox.Limits.from_dict(
            {**g.limits.to_dict(), "part_seconds": min(g.limits.part_seconds, left)}
        )
        try:
            r = run_part(
                part,
                None if src is None else g.python.get(part, src),
                limits,
                g.job.get("sandbox", "auto"),
                g.job.get("numba_cache"),
                g.job.get("seed"),
                skip=Status.NOT_RUN if left < 1.0 else None,
                library=job_library(g.job),
            )
        except Exception as e:  # a grader failure costs this part only, and says so
            r = parts.not_run(part, Status.CRASH)
            r.flags.append(Flag.CRASH)
            r.run["detail"] = f"grading this part failed: {type(e).__name__}: {e}"[:300]
        g.result.parts[part] = r
        if r.run.get("sandbox"):
            g.result.extra["sandbox"] = r.run["sandbox"]
        for k, v in r.timings.items():
            g.result.extra["timings"][k] = round(g.result.extra["timings"].get(k, 0) + v, 4)


def flag_run_failures(g: Grading) -> None:
    """The submission carries every flag a part raised (a missing cell raises none: it is
    reported as no_solution / tampering)."""
    for r in g.result.parts.values():
        for f in r.flags:
            g.result.flag(f)


#: The steps every submission goes through, in order (each a function of the Grading).
STEPS = (
    read_submission,
    reject_other_assignment,
    compare_locked_cells,
    take_solution_cells,
    transform_cells,
    grade_parts,
    flag_run_failures,
)


def grade_submission(job: dict) -> SubmissionResult:
    """Grade one student's notebook.  ``job`` (plain data):

    - ``student``, ``assignment``; ``notebook_bytes``: the submitted ``.ipynb`` (or ``notebook``,
      its path, for a worker that sees the course);
    - ``release_bytes``: the release notebook, the trusted copy of the locked cells (or ``release``,
      its path); ``sha256`` and ``timestamp`` of the submission, kept in the result;
    - optional ``limits`` (see :class:`autograder.sandbox.Limits`), ``sandbox``
      (auto|bwrap|unsandboxed), ``numba_cache`` (a warm cache to copy), ``seed``, ``feedback``;
    - ``library``: ``"d2lmods"`` (default) or ``"torch"``, the library the course teaches with
      (the probe imports it as ``torch``, ``nn`` and ``F``; the checks do not change).

    Returns the record behind ``results/<assignment>/<student>.json``.  Never raises for anything
    the submission contains.
    """
    try:
        g = Grading(
            job, _new_result(job), sandbox.Limits.from_dict(job.get("limits")), time.perf_counter()
        )
        for step in STEPS:
            if g.stopped:
                break
            step(g)
    except Exception as e:  # a grader bug: the student still gets a result that says why
        return crash_result(job, f"grading failed: {type(e).__name__}: {e}")
    g.result.extra["grading_seconds"] = round(time.perf_counter() - g.t0, 3)
    g.result.extra["peak_rss_mb"] = _peak_rss_mb()
    return g.result


def _peak_rss_mb() -> dict:
    """Largest resident size so far of this worker and of any sandbox process it waited for."""
    import resource

    return {
        "worker": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sandbox": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def crash_result(job: dict, why: str) -> SubmissionResult:
    """What a student gets when grading itself failed (a grader bug, a lost worker)."""
    result = _new_result(job)
    for part in parts.parts_of(result.assignment):
        result.parts[part] = parts.not_run(part, Status.CRASH)
    result.flag(Flag.CRASH)
    result.extra["problem"] = why[:500]
    return result


# ----------------------------------------------------------------------------------------------
def grade_batch(
    course,
    assignment: str,
    jobs: list[dict],
    executor: Executor | None = None,
    workers: int | None = None,
    log=print,
    progress=None,
) -> list[SubmissionResult]:
    """Send every job to ``executor`` (default: a process pool with ``workers`` processes) and
    record each result as it arrives; this process is the only writer of the gradebook.

    A worker gets the notebook's bytes, never a course path (:func:`autograder.resume.wire_job`);
    at most a few jobs per worker are in flight, so an interrupted batch has recorded all but
    those.  A result that comes back twice for the same submission (a task retried after its
    worker died) is recorded once.  ``progress``: an :class:`autograder.progress.Progress`.
    """
    from .resume import wire_job

    own = executor is None
    n_workers = workers or os.cpu_count() or 1
    if own:
        import multiprocessing

        executor = ProcessPoolExecutor(
            max_workers=n_workers, mp_context=multiprocessing.get_context("spawn")
        )
    release_bytes = Path(course.release_notebook(assignment)).read_bytes() if jobs else b""
    results, recorded, todo, running = [], set(), list(reversed(jobs)), {}
    window = 4 * n_workers
    interrupted = False
    gradebook = (
        ExitStack()
    )  # one gradebook connection for the batch's writes, when the course offers it
    try:
        if jobs and hasattr(course, "gradebook_open"):
            gradebook.enter_context(course.gradebook_open())
        while todo or running:
            while todo and len(running) < window:
                job = todo.pop()
                wire = wire_job(job, release_bytes)
                running[executor.submit(grade_submission, wire)] = (job, wire)
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                job, wire = running.pop(fut)
                try:
                    res = fut.result()
                except Exception as e:  # the worker died or the grader has a bug: keep the others
                    res = crash_result(
                        job, f"{type(e).__name__}: {e}"
                    )  # no key: a resume regrades it
                key = (res.student, wire["sha256"], wire.get("timestamp", ""))
                if key in recorded:
                    continue
                recorded.add(key)
                try:
                    course.record(res, job)
                except Exception as e:  # results file written with flag not_recorded; go on
                    log(
                        f"  ! could not record {job['student']} in the gradebook: {type(e).__name__}: {e}"
                    )
                results.append(res)
                log(
                    f"  graded {res.student:<24} {res.score:>5.2f} / {res.max_score:.1f}"
                    f"  {' '.join(map(str, res.flags))}"
                )
                if progress is not None:
                    progress.advance()
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        gradebook.close()
        if progress is not None:
            progress.close()
        if own:
            executor.shutdown(wait=not interrupted, cancel_futures=True)
    return results
