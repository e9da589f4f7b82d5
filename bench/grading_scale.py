"""Grading throughput: N generated submissions with 1 and 2 local worker processes and on Dask.

    python -m bench.grading_scale                 # 1,000 submissions, modes 1,2,dask
    python -m bench.grading_scale --n 200 --modes 2,dask

The submissions are variants of the grader's sample solutions -- correct ones, the typical
mistakes and a few hostile ones (an endless loop, a memory bomb, a fork bomb, exits, a forged
report, monkeypatching; about 6% of the class) -- written into a fresh copy of the course under
``build/grading-scale/`` for every mode. Each mode runs what ``python -m autograder grade
--no-feedback`` runs (:func:`autograder.batch.grade_course`: numba warm-up if the sandbox uses
numba, then the batch with the parent as the single writer of results and gradebook) and times it
whole. Per submission it reports where the time goes (from the results' timings) and the peak
resident memory of a worker process and of its largest sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "modules"
# Realistic submissions: right answers and the classic mistakes, each a few percent of the class.
MIX = {
    "correct": 24,
    "correct_alt": 12,
    "seq_plain_list": 9,
    "seq_wrong_order": 3,
    "seq_skips_last": 3,
    "seq_repeats": 3,
    "par_plain_list": 6,
    "par_wrong_dim": 3,
    "par_mutates": 3,
    "fac_shared": 6,
    "fac_plain_list": 3,
    "fac_n_zero": 3,
    "fac_ignores_kwargs": 3,
    # hostile, ~6%: each costs its limits (the loop: 10 CPU seconds of one part)
    "infinite_loop": 1,
    "memory_bomb": 1,
    "fork_bomb": 1,
    "exits": 1,
    "forge_fd": 1,
    "monkeypatch": 1,
}


def make_submissions(course: Path, n: int) -> list[str]:
    """Write ``n`` submissions into ``course/submitted/``: sample variants, each one distinct."""
    from autograder import notebook, parts, samples
    from autograder.course import Course

    c = Course(course)
    release, source = c.release_notebook(ASSIGNMENT), c.source_notebook(ASSIGNMENT)
    known = set(samples.names())
    pool = [name for name, weight in MIX.items() if name in known for _ in range(weight)]
    random.Random(0).shuffle(pool)  # a class, not blocks of identical mistakes
    if not pool:
        raise SystemExit(f"no sample submissions found among {sorted(MIX)} in autograder/samples/")
    built = {name: json.loads(samples.build(name, release, source)) for name in set(pool)}
    ids = []
    for i in range(n):
        name = pool[i % len(pool)]
        nb = json.loads(json.dumps(built[name]))
        for cell in nb["cells"]:  # a distinct, harmless edit per student: no two files are equal
            if notebook.grade_id(cell) in parts.PARTS and cell["cell_type"] == "code":
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                cell["source"] = f"# student {i:04d} ({name})\n{src}"
        sid = f"s{i:04d}"
        d = course / "submitted" / sid / ASSIGNMENT
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{c.notebook_name(ASSIGNMENT)}.ipynb").write_text(json.dumps(nb))
        (d / "timestamp.txt").write_text("2026-11-20 12:00:00 UTC\n")
        ids.append(sid)
    return ids


def prepare_template(work: Path, n: int) -> Path:
    from autograder.course import Course, copy_course

    template = work / "template"
    if template.exists():
        shutil.rmtree(template)
    copy_course(ROOT / "exercises", template)
    Course(template).ensure_generated(ASSIGNMENT)
    make_submissions(template, n)
    return template


def run_mode(mode: str, template: Path, work: Path, log) -> dict:
    """Grade every submission of a fresh copy of ``template``; returns the figures for ``mode``."""
    from autograder import sandbox
    from autograder.batch import grade_course

    course_dir = work / f"course-{mode}"
    if course_dir.exists():
        shutil.rmtree(course_dir)
    shutil.copytree(template, course_dir)
    kind = sandbox.choose_kind("auto")
    cluster = executor = None
    try:
        if mode == "dask":
            from distributed import LocalCluster

            from autograder.distributed import make_executor

            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=40,
            )
            executor = make_executor(cluster.scheduler_address)
            workers = 2
        else:
            workers = int(mode)
        t0 = time.perf_counter()
        results = grade_course(
            course_dir,
            ASSIGNMENT,
            workers=workers,
            executor=executor,
            feedback=False,
            log=lambda *_: None,
        )
        wall = time.perf_counter() - t0
    finally:
        if executor is not None:
            executor.shutdown()
        if cluster is not None:
            cluster.close()
    return summarise(mode, workers, results, wall, kind, log)


def summarise(mode, workers, results, wall, kind, log) -> dict:
    per_sub = [r.extra["grading_seconds"] for r in results]
    phases: dict[str, list[float]] = {}
    for r in results:
        t = dict(r.timings)
        walls = sum(p.wall_seconds for p in r.parts.values())
        inside = t.pop("total", None)
        start = t.pop("fork server start", 0.0)  # the fork runner's sandbox and interpreter, once
        if start:
            t["fork server start (bwrap, interpreter, imports)"] = start
        if inside is not None:  # fork runner: fork, exit, clean-up; separate: a whole sandbox
            t["parts' wall outside the probe"] = max(0.0, walls - inside)
        t["outside the sandboxes (worker)"] = max(0.0, r.extra["grading_seconds"] - walls - start)
        for k, v in t.items():
            phases.setdefault(k, []).append(v)
    peaks = [r.extra.get("peak_rss_mb") or {} for r in results]
    sandbox_peaks = [p["sandbox"] for p in peaks if "sandbox" in p]
    out = {
        "mode": mode,
        "workers": workers,
        "submissions": len(results),
        "wall_seconds": round(wall, 2),
        "per_minute": round(60 * len(results) / wall, 1) if wall else None,
        "sandbox": kind,
        "median_grading_seconds": round(statistics.median(per_sub), 3) if per_sub else None,
        "mean_phase_seconds": {k: round(statistics.fmean(v), 3) for k, v in phases.items()},
        "peak_worker_rss_mb": max((p.get("worker", 0) for p in peaks), default=None),
        "median_sandbox_peak_rss_mb": statistics.median(sandbox_peaks) if sandbox_peaks else None,
        "flags": sorted({f.value for r in results for f in r.flags}),
    }
    log(
        f"{mode:>5}: {out['submissions']} submissions in {out['wall_seconds']:.1f} s = "
        f"{out['per_minute']} / min (median {out['median_grading_seconds']} s each; "
        f"worker peak {out['peak_worker_rss_mb']} MB)"
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.grading_scale", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--n", type=int, default=1000, help="submissions (default 1000)")
    ap.add_argument("--modes", default="1,2,dask", help="comma list of worker counts and/or 'dask'")
    ap.add_argument("--work", default=str(ROOT / "build" / "grading-scale"), help="scratch folder")
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    log(f"generating {a.n} submissions in {work / 'template'} ...")
    template = prepare_template(work, a.n)
    summary = {
        "n": a.n,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": os.getloadavg(),
        "runs": [],
    }
    for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
        summary["runs"].append(run_mode(mode, template, work, log))
        summary["runs"][-1]["load_after"] = os.getloadavg()
        (work / "summary.json").write_text(
            json.dumps(summary, indent=2)
        )  # keep what is done so far
    rows = summary["runs"]
    log("\nmode   workers  submissions  wall s   per minute  median s  worker MB  mean s per phase")
    for r in rows:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["mean_phase_seconds"].items())
        log(
            f"{r['mode']:<6} {r['workers']:>7}  {r['submissions']:>11}  {r['wall_seconds']:>6.1f}  "
            f"{r['per_minute']:>10}  {r['median_grading_seconds']:>8}  {r['peak_worker_rss_mb']:>9}  {phases}"
        )
    log(f"\nfigures: {work / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
