"""CPU seconds per graded submission: what a loaded machine does not distort.

    python -m bench.grading_cpu [fork|separate] [unsandboxed|bwrap]

Grades 20 honest submissions one after the other with ``pipeline.grade_submission`` in this
process and reports the CPU time of the process and of its children per submission.  Use
``unsandboxed``: bubblewrap's pid namespace hides the sandboxed processes' CPU from
``RUSAGE_CHILDREN`` (the interpreter and the probes are the same).  ``fork``: one sandbox per
submission, a forked process per part; ``separate``: a sandbox per part.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["correct", "correct_alt", "seq_plain_list", "par_wrong_dim", "fac_shared"]


def _cpu() -> tuple[float, float]:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    runner, kind = (argv + ["fork", "unsandboxed"][len(argv) :])[:2]
    from autograder import pipeline
    from autograder.batch import make_jobs
    from autograder.demo import build_course

    try:
        from autograder.resume import wire_job
    except ImportError:  # a grader whose jobs are paths

        def wire_job(job, release):
            return job

    course = build_course(ROOT / "build" / "grading-cpu", NAMES, copies=4)
    jobs = [{**j, "runner": runner, "sandbox": kind} for j in make_jobs(course, "modules")]
    release = course.release_notebook("modules").read_bytes()
    pipeline.grade_submission(wire_job(jobs[0], release))  # warm this process
    a, t0 = _cpu(), time.perf_counter()
    for job in jobs:
        pipeline.grade_submission(wire_job(job, release))
    b, n = _cpu(), len(jobs)
    print(
        f"{runner}/{kind}, {n} submissions: wall {(time.perf_counter() - t0) / n:.3f} s, CPU: worker "
        f"{(b[0] - a[0]) / n:.3f} s + sandboxes {(b[1] - a[1]) / n:.3f} s per submission"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
