"""Compile every numba kernel (float32 and float64) into the on-disk cache.

    python -m d2lmods.warmup

The first run takes a while (each kernel and dtype compiles once); later runs load the cache
and finish in a moment, so ``make test`` and ``make demo`` run it every time.
"""
import sys
import time

import numpy as np


def warm(verbose=False):
    """Call each kernel once per dtype; returns the number of calls made."""
    from .kernels import examples, cache_dir, jit_enabled
    rng = np.random.default_rng(0)
    n = 0
    for name, kernel, _ref, make_args in examples.KERNELS:
        for dt in examples.DTYPES:
            t0 = time.perf_counter()
            kernel(*make_args(rng, dt))
            n += 1
            if verbose:
                print(f"  {name:<28} {np.dtype(dt).name:<8} {time.perf_counter() - t0:7.3f} s")
    if verbose:
        print(f"cache: {cache_dir() or 'beside the kernel sources (__pycache__)'}; "
              f"jit {'on' if jit_enabled() else 'off (NUMBA_DISABLE_JIT)'}")
    return n


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    n = warm(verbose="-v" in argv or "--verbose" in argv)
    print(f"d2lmods kernels ready: {n} kernel signatures in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
