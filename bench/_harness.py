"""Side-by-side timing of one workload in d2lmods and in PyTorch, each in its own fresh process.

A workload is a function ``make(lib, **params) -> step`` in some module: given the imported
library (``d2lmods`` or ``torch``) it builds everything and returns a zero-argument callable,
one unit of work (e.g. one training step). Example::

    from bench._harness import compare, report
    results = compare("bench.mlp:mlp_step", params={"batch": 256}, threads=2)
    print(report(results))

Fairness rules the harness enforces:

* every library runs in a new subprocess (numpy's and torch's thread pools fight when they
  share a process), rounds alternate the libraries so load changes hit both;
* the same thread count for everything: ``OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS`` are set before
  any import, and ``torch.set_num_threads(n)`` in torch's process;
* ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed together from the child's
  environment (on some machines they are set to values that slow numpy's BLAS down), and the
  OpenBLAS kernel actually in use is reported (via threadpoolctl, when installed);
* warm-up iterations run first (numba kernels load from the cache; torch allocators warm up);
  then ``repeats`` samples of ``inner`` calls each; the figure is the median of the samples.

Run a single child by hand with ``python -m bench._harness --child MODULE:FUNC --lib d2lmods``.
"""

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
SLOW_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

__all__ = ["compare", "report", "child_env", "run_child", "ratio_line"]


def child_env(threads, keep_blas_overrides=False):
    """Environment for a benchmark subprocess with ``threads`` threads everywhere."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    if not keep_blas_overrides:
        for var in SLOW_BLAS_VARS:
            env.pop(var, None)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_child(
    workload,
    lib,
    params=None,
    threads=2,
    repeats=7,
    inner=10,
    warmup=3,
    keep_blas_overrides=False,
    timeout=900,
):
    """Time ``workload`` for one library in a fresh process; returns the child's JSON result."""
    cmd = [
        sys.executable,
        "-m",
        "bench._harness",
        "--child",
        workload,
        "--lib",
        lib,
        "--threads",
        str(threads),
        "--repeats",
        str(repeats),
        "--inner",
        str(inner),
        "--warmup",
        str(warmup),
        "--params",
        json.dumps(params or {}),
    ]
    r = subprocess.run(
        cmd,
        env=child_env(threads, keep_blas_overrides),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if r.returncode != 0:
        raise RuntimeError(f"benchmark child for {lib} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def compare(
    workload,
    params=None,
    libs=("d2lmods", "torch"),
    threads=2,
    rounds=3,
    repeats=7,
    inner=10,
    warmup=3,
    keep_blas_overrides=False,
):
    """Run ``workload`` for each library ``rounds`` times (alternating); pool the samples."""
    results = {lib: {"samples": [], "info": None} for lib in libs}
    for r in range(rounds):
        order = libs if r % 2 == 0 else tuple(reversed(libs))
        for lib in order:
            try:
                res = run_child(
                    workload, lib, params, threads, repeats, inner, warmup, keep_blas_overrides
                )
            except RuntimeError as e:
                if lib != "d2lmods" and "No module named" in str(e):
                    results.pop(lib, None)
                    continue
                raise
            results[lib]["samples"].extend(res["samples"])
            results[lib]["info"] = res["info"]
    for res in results.values():
        res["median"] = statistics.median(res["samples"])
        res["min"] = min(res["samples"])
    return {
        "workload": workload,
        "params": params or {},
        "threads": threads,
        "rounds": rounds,
        "repeats": repeats,
        "inner": inner,
        "results": results,
    }


def ratio_line(results, a="d2lmods", b="torch"):
    r = results["results"]
    if a not in r or b not in r:
        return f"(no {b} in this environment: ratio not available)"
    return f"ratio {a}/{b} = {r[a]['median'] / r[b]['median']:.2f} (medians)"


def report(results):
    """A small text table: median and min per library (milliseconds per call) and the ratio."""
    lines = [
        f"{results['workload']} {results['params']}  threads={results['threads']}  "
        f"{results['rounds']} rounds x {results['repeats']} samples x {results['inner']} calls"
    ]
    for lib, res in results["results"].items():
        info = res["info"] or {}
        lines.append(
            f"  {lib:<8} median {res['median'] * 1e3:9.3f} ms   min {res['min'] * 1e3:9.3f} ms"
            f"   [{info.get('version', '?')}; BLAS {info.get('blas', '?')}]"
        )
    lines.append("  " + ratio_line(results))
    return "\n".join(lines)


# -- child side -------------------------------------------------------------------------------
def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = []
    for pool in threadpool_info():
        parts.append(
            f"{pool.get('internal_api')} {pool.get('architecture', '')} "
            f"threads={pool.get('num_threads')}".strip()
        )
    return "; ".join(parts) or "none found"


def _child(args):
    params = json.loads(args.params)
    if args.lib == "torch":
        import torch

        torch.set_num_threads(args.threads)
        lib = torch
        version = f"torch {torch.__version__}"
    else:
        lib = importlib.import_module(args.lib)
        for sub in ("nn", "optim"):
            try:
                importlib.import_module(f"{args.lib}.{sub}")
            except ImportError:
                pass
        version = f"{args.lib} {getattr(lib, '__version__', '')}"
    mod_name, func_name = args.child.split(":")
    make = getattr(importlib.import_module(mod_name), func_name)
    step = make(lib, **params)
    for _ in range(args.warmup):
        step()
    samples = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.inner):
            step()
        samples.append((time.perf_counter() - t0) / args.inner)
    import numpy

    info = {
        "version": version,
        "numpy": numpy.__version__,
        "blas": _blas_info(),
        "threads": args.threads,
        "blas_overrides": {v: os.environ.get(v) for v in SLOW_BLAS_VARS if v in os.environ},
    }
    print(json.dumps({"samples": samples, "info": info}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", required=True, help="MODULE:FUNCTION of the workload")
    p.add_argument("--lib", default="d2lmods")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--inner", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--params", default="{}")
    _child(p.parse_args(argv))


if __name__ == "__main__":
    main()
