"""``tiny_step`` timed by the thread's CPU time, for comparing trees on a shared machine.

Wall-clock medians of ``bench.mlp`` move by 10-30 % when other processes share the cores; the
thread's own CPU time moves far less. Run each tree in its own process, alternating::

    for t in <tree-a> <tree-b>; do (cd $t && PYTHONPATH=$t python -m bench.step_cpu); done

Prints the best of ``--samples`` samples of ``--calls`` steps, in ms per step, after a warm-up.
"""

import argparse
import time

import d2lmods
from bench.mlp import tiny_step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=15)
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--warmup", type=int, default=200)
    a = p.parse_args()
    step = tiny_step(d2lmods)
    for _ in range(a.warmup):
        step()
    best = float("inf")
    for _ in range(a.samples):
        t = time.thread_time()
        for _ in range(a.calls):
            step()
        best = min(best, (time.thread_time() - t) / a.calls)
    print(f"tiny_step {best * 1e3:.4f} ms (best of {a.samples} x {a.calls}, thread CPU time)")


if __name__ == "__main__":
    main()
