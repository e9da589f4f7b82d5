"""Grading throughput: N generated submissions with 1 and 2 local worker processes and on Dask.

    python -m bench.grading_scale                 # 200 submissions, modes 1,2,dask
    python -m bench.grading_scale --n 20 --modes 2,dask

The submissions are variants of the grader's sample solutions (correct ones and
typical mistakes; no hostile ones, whose time limits would dominate) written
into a fresh copy of the course under ``build/grading-scale/`` for every mode.
Each mode runs the same path as ``python -m autograder grade``: one warm-up of
the numba cache, then ``pipeline.grade_batch`` with the parent as the single
writer of results and gradebook. Throughput counts the batch only (the warm-up
is reported apart), so it is what a large class costs per submission.
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
    "correct": 8,
    "correct_alt": 4,
    "seq_plain_list": 3,
    "seq_wrong_order": 1,
    "seq_skips_last": 1,
    "seq_repeats": 1,
    "par_plain_list": 2,
    "par_wrong_dim": 1,
    "par_mutates": 1,
    "fac_shared": 2,
    "fac_plain_list": 1,
    "fac_n_zero": 1,
    "fac_ignores_kwargs": 1,
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
    from autograder import batch, pipeline, sandbox
    from autograder.course import Course

    course_dir = work / f"course-{mode}"
    if course_dir.exists():
        shutil.rmtree(course_dir)
    shutil.copytree(template, course_dir)
    course = Course(course_dir)
    kind = sandbox.choose_kind("auto")
    cache = batch.numba_cache_dir()
    warm = batch.warm_numba_cache(batch.reference_solutions(course, ASSIGNMENT), cache)
    jobs = batch.make_jobs(course, ASSIGNMENT, sandbox_kind=kind, numba_cache=cache)
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
        results = pipeline.grade_batch(
            course, ASSIGNMENT, jobs, executor=executor, workers=workers, log=lambda *_: None
        )
        wall = time.perf_counter() - t0
    finally:
        if executor is not None:
            executor.shutdown()
        if cluster is not None:
            cluster.close()
    return summarise(mode, workers, results, wall, warm, kind, log)


def summarise(mode, workers, results, wall, warm, kind, log) -> dict:
    per_sub = [r.extra["grading_seconds"] for r in results]
    phases: dict[str, list[float]] = {}
    for r in results:
        t = dict(r.timings)
        walls = sum(p.wall_seconds for p in r.parts.values())
        inside = t.pop("total", None)
        if inside is not None:
            t["sandbox start"] = max(0.0, walls - inside)
        t["outside sandbox"] = max(0.0, r.extra["grading_seconds"] - walls)
        for k, v in t.items():
            phases.setdefault(k, []).append(v)
    out = {
        "mode": mode,
        "workers": workers,
        "submissions": len(results),
        "wall_seconds": round(wall, 2),
        "per_minute": round(60 * len(results) / wall, 1) if wall else None,
        "warmup_seconds": round(warm, 2),
        "sandbox": kind,
        "median_grading_seconds": round(statistics.median(per_sub), 3) if per_sub else None,
        "mean_phase_seconds": {k: round(statistics.fmean(v), 3) for k, v in phases.items()},
        "flags": sorted({f.value for r in results for f in r.flags}),
    }
    log(
        f"{mode:>5}: {out['submissions']} submissions in {out['wall_seconds']:.1f} s = "
        f"{out['per_minute']} / min (median {out['median_grading_seconds']} s each; warm-up {warm:.1f} s)"
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.grading_scale", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--n", type=int, default=200, help="submissions (default 200)")
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
    log("\nmode   workers  submissions  wall s   per minute  median s  warm-up s  mean s per phase")
    for r in rows:
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["mean_phase_seconds"].items())
        log(
            f"{r['mode']:<6} {r['workers']:>7}  {r['submissions']:>11}  {r['wall_seconds']:>6.1f}  "
            f"{r['per_minute']:>10}  {r['median_grading_seconds']:>8}  {r['warmup_seconds']:>9}  {phases}"
        )
    log(f"\nfigures: {work / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
