"""Grading one submission (:func:`grade_submission`, run in worker processes) and a batch
(:func:`grade_batch`, the single writer of results files and the gradebook).

``grade_submission`` takes plain data and returns plain data, so any ``concurrent.futures``-like
executor (a process pool, a Dask client) can run it::

    >>> job = {"student": "alice", "assignment": "modules",
    ...        "notebook": "course/submitted/alice/modules/modules.ipynb",
    ...        "release": "course/release/modules/modules.ipynb"}
    >>> result = grade_submission(job)          # doctest: +SKIP
    >>> result["score"], result["max_score"]    # doctest: +SKIP
    (10.0, 10.0)

Each part runs in its own sandbox (:mod:`autograder.sandbox`): an endless loop in part 2 costs
part 2 only.  Inputs are drawn from a fresh secret seed for every run, so a submission cannot
know the values it has to produce before it runs.
"""
from __future__ import annotations

import io
import json
import math
import os
import secrets
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import __version__, checks, notebook, sandbox

PROBE = Path(__file__).with_name("probe.py")
PART_ORDER = list(checks.PARTS)


def _npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def run_part(part: str, source: str, limits: sandbox.Limits, kind: str = "auto",
             numba_cache: str | None = None, seed: int | None = None) -> dict:
    """Grade one solution cell for one part in a fresh sandbox; returns tests + telemetry."""
    seed = secrets.randbits(63) if seed is None else seed
    inputs = checks.PARTS[part].make_inputs(np.random.default_rng(seed))
    files = {"probe.py": PROBE.read_bytes(), "student.py": source.encode("utf-8"),
             "part.json": json.dumps({"part": part}).encode(), "inputs.npz": _npz(inputs)}
    res = sandbox.run(files, limits, kind=kind, numba_cache=numba_cache)
    try:
        tests, status = checks.score_part(part, res.status, res.output, inputs)
    except Exception as e:  # observations of a shape no check expects: the student's, never ours
        tests, status = checks.score_part(part, "crash", None, None)
        res.detail = f"observations of an unexpected shape ({type(e).__name__})"
    timings = (res.output or {}).get("timings", {}) if isinstance((res.output or {}).get("timings"), dict) else {}
    return {"tests": tests, "status": status, "wall_seconds": round(res.wall_seconds, 3),
            "sandbox": res.sandbox, "exit_code": res.exit_code, "leftovers_killed": res.leftovers_killed,
            "stderr_tail": res.stderr_tail[-600:], "detail": res.detail, "seed": seed,
            "timings": clean_timings(timings)}


def clean_timings(timings: dict, most: int = 32) -> dict[str, float]:
    """The sandbox's self-reported seconds, kept only when they are plausible numbers: finite,
    0 <= t <= 1e5, under short string keys (a 400-digit int or ``inf`` would reach the results)."""
    out = {}
    for k, v in list(timings.items())[:most]:
        if not isinstance(k, str) or len(k) > 40 or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        try:
            v = float(v)
        except OverflowError:
            continue
        if math.isfinite(v) and 0.0 <= v <= 1e5:
            out[k] = v
    return out


def _skeleton(job: dict) -> dict:
    return {"student": job["student"], "assignment": job.get("assignment", "modules"),
            "score": 0.0, "max_score": checks.max_score(), "tests": [], "parts": {}, "flags": [],
            "extra_data": {"sandbox": sandbox.choose_kind(job.get("sandbox", "auto")),
                           "grading_seconds": 0.0, "timings": {}, "grader_version": __version__,
                           "graded_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "feedback": job.get("feedback", "")}


def _not_graded(result: dict, status: str) -> None:
    for part in PART_ORDER:
        tests, _ = checks.score_part(part, status, None, None)
        result["tests"] += tests
        result["parts"][part] = {"score": 0.0, "max_score": checks.part_points(part),
                                 "wall_seconds": 0.0, "status": "not_run"}


def grade_submission(job: dict) -> dict:
    """Grade one student's notebook (see :func:`_grade_submission`); never raises for anything
    the submission contains: a grader failure becomes a crash result that says why."""
    try:
        return _grade_submission(job)
    except Exception as e:
        return crash_result(job, f"grading failed: {type(e).__name__}: {e}")


def _grade_submission(job: dict) -> dict:
    """Grade one student's notebook.  ``job`` (plain data):

    - ``student``, ``assignment``; ``notebook``: path of the submitted ``.ipynb``;
    - ``release``: path of the release notebook (the trusted copy of the locked cells);
    - optional ``limits`` (see :class:`autograder.sandbox.Limits`), ``sandbox``
      (auto|bwrap|unsandboxed), ``numba_cache`` (a warm cache to copy), ``seed``, ``feedback``.

    Returns the results dict of ``results/<assignment>/<student>.json``.  Never raises for
    anything the submission contains.
    """
    t0 = time.perf_counter()
    limits = sandbox.Limits.from_dict(job.get("limits"))
    result = _skeleton(job)
    release = json.loads(Path(job["release"]).read_text())["cells"]
    sub = notebook.read_submission(job["notebook"])
    result["flags"] += sub.flags
    if sub.problem:
        result["extra_data"]["problem"] = sub.problem
    if sub.cells is None or not sub.cells:
        _not_graded(result, "no_solution")
        return _finish(result, t0)
    if notebook.is_other_assignment(sub, release):
        result["flags"].append("wrong_assignment")
        result["extra_data"]["problem"] = "none of this assignment's cells are in the notebook"
        _not_graded(result, "no_solution")
        return _finish(result, t0)
    tamper = notebook.tampering(sub, release)
    if tamper:
        result["flags"].append("tampered_tests")
        result["extra_data"]["tampering"] = tamper
    sources = notebook.solution_sources(sub, PART_ORDER)
    rel_sources = notebook.solution_sources(notebook.Submission(release), PART_ORDER)
    if all(notebook.unchanged_stub(sources[p], rel_sources[p]) or sources[p] is None for p in PART_ORDER):
        result["flags"].append("no_solution")
    deadline = t0 + limits.notebook_seconds
    py_sources, result["extra_data"]["transform"] = notebook.to_python_sandboxed(
        {p: s for p, s in sources.items() if s is not None}, limits, job.get("sandbox", "auto"))
    parts_extra = {}
    for part in PART_ORDER:
        src = sources[part]
        left = deadline - time.perf_counter()
        if src is None:
            tests, status = checks.score_part(part, "no_solution", None, None)
            info = {"tests": tests, "status": "crash", "wall_seconds": 0.0}
        elif left < 1.0:
            tests, status = checks.score_part(part, "not_run", None, None)
            info = {"tests": tests, "status": "not_run", "wall_seconds": 0.0}
        else:
            part_limits = sandbox.Limits.from_dict({**limits.to_dict(),
                                                    "part_seconds": min(limits.part_seconds, left)})
            try:
                info = run_part(part, py_sources.get(part, src), part_limits, job.get("sandbox", "auto"),
                                job.get("numba_cache"), job.get("seed"))
            except Exception as e:  # this part only: the others keep their results
                tests, _ = checks.score_part(part, "crash", None, None)
                info = {"tests": tests, "status": "crash", "wall_seconds": 0.0,
                        "detail": f"grading this part failed: {type(e).__name__}: {e}"[:300]}
            result["extra_data"]["sandbox"] = info.get("sandbox", result["extra_data"]["sandbox"])
        result["tests"] += info["tests"]
        score = sum(t["score"] for t in info["tests"])
        result["parts"][part] = {"score": score, "max_score": checks.part_points(part),
                                 "wall_seconds": info["wall_seconds"], "status": info["status"]}
        parts_extra[part] = {k: v for k, v in info.items() if k not in ("tests",)}
        for k, v in (info.get("timings") or {}).items():
            result["extra_data"]["timings"][k] = round(result["extra_data"]["timings"].get(k, 0) + v, 4)
    result["extra_data"]["parts"] = parts_extra
    statuses = {p["status"] for p in result["parts"].values()}
    for status, flag in (("timeout", "timeout"), ("not_run", "timeout"), ("memory", "memory_limit"),
                         ("disk", "disk_limit"), ("crash", "crash")):
        if status in statuses and flag not in result["flags"]:
            if status == "crash" and all(sources[p] is None for p in PART_ORDER
                                         if result["parts"][p]["status"] == "crash"):
                continue  # missing cells are reported as no_solution / tampering, not as a crash
            result["flags"].append(flag)
    return _finish(result, t0)


def _finish(result: dict, t0: float) -> dict:
    result["score"] = round(sum(t["score"] for t in result["tests"]), 4)
    result["extra_data"]["grading_seconds"] = round(time.perf_counter() - t0, 3)
    seen = []
    for f in result["flags"]:
        if f not in seen:
            seen.append(f)
    result["flags"] = seen
    return result


def crash_result(job: dict, why: str) -> dict:
    """What a student gets when grading itself failed (a grader bug, a lost worker)."""
    result = _skeleton(job)
    _not_graded(result, "crash")
    result["flags"].append("crash")
    result["extra_data"]["problem"] = why[:500]
    return result


# ----------------------------------------------------------------------------------------------
def grade_batch(course, assignment: str, jobs: list[dict], executor: Executor | None = None,
                workers: int | None = None, log=print) -> list[dict]:
    """Submit every job to ``executor`` (default: a process pool with ``workers`` processes) and
    record each result as it arrives; this process is the only writer of the gradebook."""
    own = executor is None
    if own:
        import multiprocessing
        executor = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                       mp_context=multiprocessing.get_context("spawn"))
    results = []
    try:
        futures = {executor.submit(grade_submission, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as e:  # the worker died or the grader has a bug: keep the others
                res = crash_result(job, f"{type(e).__name__}: {e}")
            try:
                course.record(res, job)
            except Exception as e:  # results file written with flag not_recorded; go on
                log(f"  ! could not record {job['student']} in the gradebook: {type(e).__name__}: {e}")
            results.append(res)
            log(f"  graded {res['student']:<24} {res['score']:>5.2f} / {res['max_score']:.1f}"
                f"  {' '.join(res['flags'])}")
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return results
