"""One OpenBLAS thread for small matrix products, whatever the thread count.

OpenBLAS splits every product with ``m*n*k`` above 262,144 over all its threads. For the small
products of a LeNet-sized network (64x400 by 400x120: 35 us on one core) that gains ~10 us on
an idle machine, but on a busy one the second thread waits for a core: measured here at load
5-7 with 2 threads, the same product took a median 24 ms instead of 0.035 ms, and LeNet's step
went from 6 ms to 150 ms. Products below ``SERIAL_BELOW`` therefore run on one thread; larger
ones keep every thread (512^3: 0.7 ms on two against 1.3 ms on one).

The switch is OpenBLAS's own ``openblas_set_num_threads`` (well under a microsecond), found in
the OpenBLAS library numpy loaded. Without one (another BLAS, no ``/proc``), nothing changes.
"""

import ctypes

__all__ = [
    "serial_gemm",
    "serial_gemm_threads",
    "restore_threads",
    "OPENBLAS_SPLITS",
    "SERIAL_BELOW",
]

OPENBLAS_SPLITS = 65536 * 4  # OpenBLAS's SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD
SERIAL_BELOW = 1 << 23  # m*n*k of about 0.1 ms of single-core work

_fns = []  # [] unresolved; [None] no OpenBLAS; [(set, get)] found


def _resolve():
    found = None
    try:
        import numpy  # noqa: F401  (loads numpy's BLAS)

        with open("/proc/self/maps") as f:
            paths = [ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln]
        paths.sort(key=lambda p: "numpy" not in p)  # numpy's own library first
        for path in dict.fromkeys(paths):
            lib = ctypes.CDLL(path)
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    try:
                        s = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                        g = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    except AttributeError:
                        continue
                    s.argtypes, s.restype, g.restype = [ctypes.c_int], None, ctypes.c_int
                    found = (s, g)
                    break
                if found:
                    break
            if found:
                break
    except (OSError, ValueError):
        found = None
    _fns.append(found)
    return found


def serial_gemm(m, n, k):
    """Call before an (m x k) by (k x n) product: if OpenBLAS would split it over threads though
    it is small, switch OpenBLAS to one thread and return the count to restore, else 0."""
    mnk = m * n * k
    return serial_gemm_threads(mnk) if OPENBLAS_SPLITS < mnk < SERIAL_BELOW else 0


def serial_gemm_threads(mnk):
    """``serial_gemm`` for a product whose ``m*n*k`` the caller has checked is in the window."""
    fns = _fns[0] if _fns else _resolve()
    if fns is None:
        return 0
    threads = fns[1]()
    if threads <= 1:
        return 0
    fns[0](1)
    return threads


def restore_threads(threads):
    """Undo ``serial_gemm`` (given what it returned)."""
    if threads:
        _fns[0][0](threads)
