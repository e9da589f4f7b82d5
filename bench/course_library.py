"""Grading time per submission in the d2lmods course and in its PyTorch edition.

    .venv/bin/python -m bench.course_library [--rounds 5]

Builds one course per library and assignment with the reference solution submitted, then grades
that submission ``--rounds`` times per course, alternating between the courses, one at a time
(``grade_submission`` with the default runner, as ``python -m autograder grade`` does: one
sandbox per submission whose server imports the course's library once and forks a part each;
``--runner separate`` gives each part a sandbox of its own).  Prints the medians, and the load
average, which the figures depend on.  Skips the PyTorch edition when torch is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from autograder import pipeline
    from autograder.demo import build_course
    from autograder.resume import wire_job

    ap = argparse.ArgumentParser(prog="python -m bench.course_library", description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runner", choices=("fork", "separate"), default="fork")
    a = ap.parse_args(argv)
    libraries = ["d2lmods"] + (["torch"] if importlib.util.find_spec("torch") else [])
    jobs = {}
    scratch = Path(tempfile.mkdtemp(prefix="bench-course-library-"))
    for library in libraries:
        for assignment in ("modules", "custom"):
            root = scratch / f"{library}-{assignment}"
            course = build_course(root, ["correct"], assignments=(assignment,), library=library)
            nb = next((root / "submitted" / "correct" / assignment).glob("*.ipynb"))
            release = course.release_notebook(assignment)
            job = {
                "student": "correct",
                "assignment": assignment,
                "notebook": str(nb),
                "release": str(release),
                "library": library,
                "runner": a.runner,
            }
            jobs[(library, assignment)] = wire_job(job, release.read_bytes())
    shutil.rmtree(scratch)  # the jobs carry the notebooks' bytes
    times: dict = {k: [] for k in jobs}
    imports: dict = {k: [] for k in jobs}
    loads = [Path("/proc/loadavg").read_text().split()[0]]
    for _ in range(a.rounds):
        for key, job in jobs.items():
            t0 = time.perf_counter()
            result = pipeline.grade_submission(job)
            times[key].append(time.perf_counter() - t0)
            imports[key].append(result.extra["timings"].get("imports", 0.0))
            assert result.score == result.max_score, (key, result.score)
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    print(f"runner {a.runner}; load average (1 min) before / after: {' / '.join(loads)}")
    print(f"{'library':<9} {'assignment':<10} {'s/submission':>13} {'imports s':>10}  (medians)")
    for (library, assignment), v in times.items():
        med_imports = statistics.median(imports[(library, assignment)])
        print(f"{library:<9} {assignment:<10} {statistics.median(v):>13.2f} {med_imports:>10.2f}")
    if "torch" not in libraries:
        print("the PyTorch edition is skipped: torch is not installed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
