"""``python -m autograder grade``: everything around :func:`autograder.pipeline.grade_batch`.

Order of work: make sure the assignment is generated (release notebook + gradebook), optionally
import a folder/zip of notebooks, warm a numba cache once (trusted code only), grade every
submission in worker processes, record each result as it comes back (one writer), then write the
feedback HTML and ``grades.csv``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import notebook, parts, pipeline, resume, safeio, sandbox
from .course import Course
from .progress import Progress


def numba_cache_dir() -> str:
    """The usual cache folder per d2lmods checkout (kernels are keyed by source path).

    A predictable name in the world-writable temp folder: :func:`numba_cache` only uses it when
    it is ours (see :func:`autograder.safeio.own_private_dir`)."""
    key = hashlib.sha1(sandbox.package_dir("d2lmods").encode()).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"d2lmods-grader-numba-{os.geteuid()}-{key}")


def numba_cache(log=print) -> str:
    """A cache folder we created and own (0700, no symlink, nothing of anyone else inside): the
    usual one when it is safe, else a fresh private one (a cold cache costs time, never trust)."""
    path = numba_cache_dir()
    try:
        return safeio.own_private_dir(path)
    except OSError as e:
        log(
            f"  ! not using the numba cache {path}: {e.strerror or e} -- warming a fresh private one"
        )
        return tempfile.mkdtemp(prefix="d2lmods-grader-numba-")


def warm_numba_cache(reference: dict[str, str], cache: str) -> float:
    """Compile the kernels the probes use into ``cache`` by running the reference solutions,
    outside any sandbox (trusted code).  Returns the seconds it took.

    Numba loads pickled indexes from the cache: ``cache`` must be a folder of ours that nobody
    else can write (:class:`autograder.safeio.UnsafeDir` otherwise)."""
    t0 = time.perf_counter()
    safeio.own_private_dir(cache)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=cache, OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    for part, source in reference.items():
        job = Path(tempfile.mkdtemp(prefix="d2lmods-warm-"))
        try:
            (job / "in").mkdir()
            (job / "out").mkdir()
            import numpy as np

            for name, data in pipeline.probe_files(part, source).items():
                (job / "in" / name).write_bytes(data)
            inputs = parts.PARTS[part].make_inputs(np.random.default_rng(0))
            subprocess.run(
                [
                    sys.executable,
                    "-I",
                    "-B",
                    str(job / "in" / "probe.py"),
                    str(job / "in"),
                    str(job / "out"),
                    os.path.dirname(sandbox.package_dir("d2lmods")),
                ],
                input=pipeline.probe_stdin(part, inputs, os.urandom(32), -1),
                env=env,
                cwd=job,
                capture_output=True,
                timeout=600,
            )
        finally:
            safeio.remove_tree(job)
    safeio.check_private_tree(cache)  # what the jobs will copy
    return time.perf_counter() - t0


def reference_solutions(course: Course, assignment: str) -> dict[str, str]:
    src = notebook.read_notebook(course.source_notebook(assignment).read_bytes())
    return {p: s for p, s in notebook.solution_sources(src, list(parts.PARTS)).items() if s}


def make_jobs(
    course: Course,
    assignment: str,
    students=None,
    sandbox_kind="auto",
    limits=None,
    numba_cache=None,
    runner=None,
) -> list[dict]:
    release = str(course.release_notebook(assignment))
    return [
        {
            **({"runner": runner} if runner else {}),  # default: pipeline.RUNNERS[0], fork
            "student": sid,
            "assignment": assignment,
            "notebook": str(path),
            "release": release,
            "timestamp": ts,
            "limits": dict(limits or {}),
            "sandbox": sandbox_kind,
            "numba_cache": numba_cache,
            "feedback": course.feedback_rel(assignment, sid),
            "library": getattr(course, "library", "d2lmods"),  # the probe imports it
        }
        for sid, path, ts in course.submitted(assignment, students)
    ]


def grade_course(
    course_dir,
    assignment="modules",
    workers=None,
    executor=None,
    students=None,
    import_from=None,
    sandbox_kind="auto",
    limits=None,
    feedback=True,
    runner=None,
    log=print,
    progress=None,
    regrade=None,
) -> list:
    """Grade every submission of ``assignment`` in ``course_dir``; returns the results dicts.

    Submissions whose results file holds the same bytes and timestamp are not graded again (a
    batch started again after an interruption resumes), unless ``regrade`` (default: when
    ``students`` names them).  ``progress``: True for k/N, rate and time left on stderr.
    ``runner``: ``fork`` (the default: one sandbox per submission) or ``separate``."""
    t0 = time.perf_counter()
    course = Course(course_dir)
    course.ensure_generated(assignment)
    if import_from:
        ids = course.import_submissions(assignment, import_from, log=log)
        log(
            f"imported {len(ids)} notebooks from {import_from}"
            + (f"; {len(ids.problems())} not imported (see above)" if ids.problems() else "")
        )
    kind = sandbox.choose_kind(sandbox_kind)
    if sandbox.uses_numba():
        cache = numba_cache(log)
        seconds = warm_numba_cache(reference_solutions(course, assignment), cache)
        warm = f"numba cache warmed in {seconds:.1f}s"
    else:  # the sandbox runs the kernels' numpy references: nothing to compile
        cache, warm = None, "numpy kernels"
    every = make_jobs(course, assignment, students, kind, limits, cache, runner)
    for sid, why in getattr(course, "rejected", []):
        log(f"  ! not graded: submitted/{sid!r}: {why}")
    jobs = resume.pending(
        course, assignment, every, regrade=bool(students) if regrade is None else regrade
    )
    skipped = f", {len(every) - len(jobs)} already graded" if len(jobs) < len(every) else ""
    log(
        f"grading {len(jobs)} submissions of {assignment!r}{skipped} (sandbox: {kind}, "
        f"runner: {runner or pipeline.RUNNERS[0]}, {warm}, "
        f"workers: {workers or (executor and 'executor') or os.cpu_count()})"
    )
    if progress is True:
        progress = Progress(len(jobs))
    try:
        results = pipeline.grade_batch(
            course,
            assignment,
            jobs,
            executor=executor,
            workers=workers,
            log=log,
            progress=progress or None,
        )
    except KeyboardInterrupt:
        log("\ninterrupted: every submission graded so far is recorded; the same command resumes")
        raise
    if feedback and results:
        out = course.generate_feedback(assignment)
        if not out.get("success"):
            log(
                "  ! nbgrader generate_feedback reported a problem:\n"
                + (out.get("error") or "")[-2000:]
            )
    csv_path = course.write_grades_csv(assignment)
    dt = time.perf_counter() - t0
    log(
        f"done: {len(results)} submissions in {dt:.1f}s "
        f"({60 * len(results) / dt if dt else 0:.1f}/min); "
        f"results in {course.root / 'results' / assignment}, {csv_path}"
    )
    return results
