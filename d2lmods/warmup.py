"""Compile every numba kernel (float32 and float64) into the on-disk cache.

    python -m d2lmods.warmup          # compile, or return at once when already warm
    python -m d2lmods.warmup -v       # per-kernel timings
    python -m d2lmods.warmup --force  # load/compile every kernel even if the stamp says warm

The first run takes a while (each kernel and dtype compiles once). After a successful run a
stamp file is written beside the cache, holding a fingerprint of everything numba's cache
depends on (kernel sources, numba and Python versions, CPU, numba settings); while it matches
and the cache index files are present, later runs return without loading any kernel, so
``make test`` and ``make demo`` can run this every time.
"""

import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import time

import numpy as np

_KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
_STAMP = "d2lmods-warmup.json"


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    return line.strip()
    except OSError:
        pass
    return platform.processor()


def fingerprint():
    """Hash of what invalidates compiled kernels."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(_KERNEL_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(_KERNEL_DIR, name), "rb") as f:
                h.update(name.encode() + f.read())
    for part in (
        sys.version,
        platform.machine(),
        _cpu_name(),
        importlib.metadata.version("numba"),
        np.__version__,
        *(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("NUMBA_")),
    ):
        h.update(str(part).encode())
    return h.hexdigest()


def _cache_folder():
    from .kernels import choose_cache_dir

    d = choose_cache_dir()
    return d if d is not None else os.path.join(_KERNEL_DIR, "__pycache__")


def is_warm(folder=None):
    """True when the stamp matches this machine/setup and the cache index files exist."""
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return False
    folder = folder or _cache_folder()
    try:
        with open(os.path.join(folder, _STAMP)) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return False
    if stamp.get("fingerprint") != fingerprint():
        return False
    have = set()
    for _root, _dirs, files in os.walk(folder):
        have.update(n for n in files if n.endswith(".nbi"))
    return set(stamp.get("index_files", [])) <= have and bool(have)


def warm(verbose=False):
    """Call each kernel once per dtype; returns the number of calls made."""
    from .kernels import cache_dir, examples, jit_enabled

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
        print(
            f"cache: {cache_dir() or 'beside the kernel sources (__pycache__)'}; "
            f"jit {'on' if jit_enabled() else 'off (NUMBA_DISABLE_JIT)'}"
        )
    return n


def _write_stamp(folder):
    index = set()
    for _root, _dirs, files in os.walk(folder):
        index.update(n for n in files if n.endswith(".nbi"))
    tmp = os.path.join(folder, _STAMP + ".tmp")
    try:
        with open(tmp, "w") as f:
            json.dump({"fingerprint": fingerprint(), "index_files": sorted(index)}, f)
        os.replace(tmp, os.path.join(folder, _STAMP))
    except OSError:
        pass  # no stamp: the next run simply loads the cache again


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    folder = _cache_folder()
    if "--force" not in argv and is_warm(folder):
        print(f"d2lmods kernels ready (cache warm, {time.perf_counter() - t0:.2f} s)")
        return
    n = warm(verbose="-v" in argv or "--verbose" in argv)
    from .kernels import jit_enabled

    if jit_enabled():
        _write_stamp(folder)
    print(f"d2lmods kernels ready: {n} kernel signatures in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
