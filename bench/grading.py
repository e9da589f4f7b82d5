"""Grading throughput: 40 sample submissions through ``python -m autograder grade``.

    .venv/bin/python -m bench.grading [--workers 1 2] [--n 40] [--repeat 1] [--nbgrader]

Builds a fresh course in a temporary folder with ``n`` submissions cycling through the bundled
honest samples (correct ones and typical mistakes; no hostile ones, whose time limits would
dominate), then times the whole ``grade`` command (numba cache warm-up, grading, gradebook,
feedback HTML, grades.csv) in a subprocess for each worker count.  Prints submissions/minute.
``--nbgrader`` also times nbgrader's own ``nbgrader autograde`` (one kernel per notebook, no
sandbox, the visible tests only) on the same submissions, as the point of comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HONEST = [
    "correct",
    "correct_alt",
    "seq_plain_list",
    "seq_wrong_order",
    "seq_name_clash",
    "seq_skips_last",
    "seq_repeats",
    "par_wrong_dim",
    "par_plain_list",
    "par_mutates",
    "fac_shared",
    "fac_plain_list",
    "fac_ignores_kwargs",
    "fac_n_zero",
    "release",
    "missing_cell",
]


def build(root: Path, n: int) -> None:
    from autograder.demo import build_course

    names = [HONEST[i % len(HONEST)] for i in range(n)]
    course = build_course(root, names=sorted(set(names)), copies=1)
    # more copies of the same samples until there are n students
    sub = course.root / "submitted"
    have = sorted(p.name for p in sub.iterdir())
    k = 0
    while len(have) < n:
        src = sub / have[k % len(have)]
        dst = sub / f"{src.name}_copy{k}"
        subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
        have.append(dst.name)
        k += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="*", default=[os.cpu_count() or 1])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--nbgrader", action="store_true", help="also time `nbgrader autograde`")
    a = ap.parse_args()
    print(f"{a.n} submissions, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    for w in a.workers:
        times = []
        for _ in range(a.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "course"
                build(root, a.n)
                t = time.perf_counter()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "autograder",
                        "grade",
                        str(root),
                        "--assignment",
                        "modules",
                        "--workers",
                        str(w),
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(
            f"workers={w}: median {med:.1f} s over {len(times)} run(s) -> "
            f"{60 * a.n / med:.1f} submissions/minute ({med / a.n:.2f} s each)"
        )
    if a.nbgrader:
        env = {
            **os.environ,
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
            # the kernels must import d2lmods even from a checkout that is not pip-installed
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        times = []
        for _ in range(a.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "course"
                build(root, a.n)
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "nbgrader", "autograde", "modules"],
                    cwd=root,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(
            f"nbgrader autograde (1 process, unsandboxed): median {med:.1f} s -> {60 * a.n / med:.1f} "
            f"submissions/minute ({med / a.n:.2f} s each)"
        )


if __name__ == "__main__":
    main()
