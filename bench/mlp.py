"""MLP training step and per-op overhead, d2lmods vs PyTorch CPU, same threads, separate processes.

    python -m bench.mlp                 # full run (3 rounds x 7 samples per library)
    python -m bench.mlp --quick         # 1 round, for a smoke test
    python -m bench.mlp --threads 1

Workloads (each library runs the identical code, with ``lib`` = ``d2lmods`` or ``torch``):

* ``mlp_step``: one SGD training step of a 784-256-256-10 MLP on a 256-row float32 batch with
  cross-entropy (zero_grad, forward, loss, backward, step).
* ``tiny_step``: forward + backward of D2L's "chimera" (a nested MLP, a linear layer and the
  fixed-hidden MLP with its ``X /= 2`` loop) on a 2x20 input: almost all time is per-op
  overhead, not arithmetic.
* cold start: a fresh interpreter imports d2lmods and runs the first MLP step (warm kernel
  cache); wall time from process start to the step's end.

Targets: MLP step <= 1.15x PyTorch's time, tiny network <= 1.0x, cold start well under 1 s.
"""

import argparse
import ast
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from tests.fixtures.models import build

from ._harness import ROOT, child_env, compare, report


def _set_params(lib, model, seed):
    """Give every parameter the same values in both libraries (from one numpy stream)."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in model.parameters():
            bound = 1.0 / np.sqrt(p.shape[-1])
            p.copy_(lib.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def mlp_step(lib, batch=256, hidden=256, lr=0.01):
    nn = lib.nn
    net = nn.Sequential(
        nn.Linear(784, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )
    _set_params(lib, net, 0)
    rng = np.random.default_rng(1)
    X = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    loss_fn = nn.CrossEntropyLoss()
    opt = lib.optim.SGD(net.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()

    return step


def _chimera(lib):
    """D2L's chimera; its constant ``rand_weight`` drawn from one numpy stream for both libraries."""
    net, _ = build(lib, "chimera")
    net[2].rand_weight = lib.tensor(np.random.default_rng(2).random((20, 20)).astype(np.float32))
    return net


def tiny_step(lib):
    net = _chimera(lib)
    _set_params(lib, net, 3)
    X = lib.tensor(np.random.default_rng(4).random((2, 20)).astype(np.float32))

    def step():
        for p in net.parameters():
            p.grad = None
        net(X).backward()

    return step


_COLD = """
import time
t0 = time.perf_counter()
import numpy as np
import d2lmods as torch, d2lmods.nn, d2lmods.optim
t_import = time.perf_counter() - t0
from bench.mlp import mlp_step
step = mlp_step(torch)
step()
print(t_import, time.perf_counter() - t0)
"""


def cold_start(threads=2, repeats=5):
    """Median wall time of: new interpreter -> import d2lmods -> first MLP step done."""
    env = child_env(threads)
    subprocess.run(
        [sys.executable, "-m", "d2lmods.warmup"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    walls, imports, firsts = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-c", _COLD],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        walls.append(time.perf_counter() - t0)
        t_imp, t_total = map(float, r.stdout.split())
        imports.append(t_imp)
        firsts.append(t_total)
    return {
        "wall": statistics.median(walls),
        "import": statistics.median(imports),
        "import_and_first_step": statistics.median(firsts),
    }


_PARALLEL = """
import time, numpy as np, numba
from numba import njit, prange

def upd(p, g, lr, wd):
    for i in range(p.size):
        p[i] -= lr * (g[i] + wd * p[i])

def upd_par(p, g, lr, wd):
    for i in prange(p.size):
        p[i] -= lr * (g[i] + wd * p[i])

serial = njit(upd)
parallel = njit(parallel=True)(upd_par)
res = {}
for n in (10_000, 200_000, 1_000_000):
    p = np.random.rand(n).astype(np.float32); g = np.random.rand(n).astype(np.float32)
    for name, fn in (("serial", serial), ("parallel", parallel),
                     ("numpy", lambda p, g, lr, wd: np.subtract(p, lr * (g + wd * p), out=p))):
        fn(p, g, 0.01, 0.001)
        ts = []
        for _ in range(15):
            t0 = time.perf_counter(); fn(p, g, 0.01, 0.001); ts.append(time.perf_counter() - t0)
        res[f"{name} {n}"] = sorted(ts)[len(ts) // 2]
print(repr(res))
"""


def parallel_check(threads=2):
    """Fused SGD + weight-decay update: serial numba vs ``parallel=True`` vs numpy (medians)."""
    env = child_env(threads)
    r = subprocess.run(
        [sys.executable, "-c", _PARALLEL],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return ast.literal_eval(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description="MLP step and per-op overhead vs PyTorch")
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="one round, fewer samples")
    p.add_argument(
        "--parallel-check",
        action="store_true",
        help="only compare serial and parallel=True numba for a fused update",
    )
    args = p.parse_args(argv)
    if args.parallel_check:
        res = parallel_check(args.threads)
        for k, v in res.items():
            print(f"  {k:<20} {v * 1e3:8.3f} ms")
        return
    rounds, repeats = (1, 3) if args.quick else (args.rounds, args.repeats)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    mlp = compare(
        "bench.mlp:mlp_step",
        {"batch": 256},
        threads=args.threads,
        rounds=rounds,
        repeats=repeats,
        inner=10,
        warmup=5,
    )
    print(report(mlp))
    tiny = compare(
        "bench.mlp:tiny_step",
        {},
        threads=args.threads,
        rounds=rounds,
        repeats=repeats,
        inner=50,
        warmup=20,
    )
    print(report(tiny))
    cold = cold_start(args.threads, repeats=3 if args.quick else 5)
    print(
        f"cold start (warm kernel cache): process wall {cold['wall']:.2f} s; inside it, "
        f"import d2lmods {cold['import']:.2f} s, import + first MLP step "
        f"{cold['import_and_first_step']:.2f} s"
    )


if __name__ == "__main__":
    main()
