"""Where numba keeps compiled kernels, and the ``njit`` decorator every kernel uses.

numba caches compiled machine code beside the source (``__pycache__``) or in the user's cache
folder. When neither is writable (a read-only install, a sandbox without ``$HOME``), numba refuses
to even define a ``cache=True`` function ("no locator available"), so before any kernel is
defined we check and, if needed, point numba at a writable folder of our own.

Kernels are module-level ``@njit(cache=True)`` functions: functions built inside factories are
closures, and numba keys closures by their captured values, which never hit the cache again.
"""

import functools
import os
import tempfile

__all__ = ["njit", "cache_dir", "jit_enabled"]


def _writable(folder):
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder)
        os.close(fd)
        os.remove(path)
        return True
    except OSError:
        return False


def choose_cache_dir(here=None, writable=_writable):
    """The folder numba should use, or ``None`` when its default (beside the source) works."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    here = here or os.path.dirname(os.path.abspath(__file__))
    if writable(os.path.join(here, "__pycache__")):
        return None
    for folder in (
        os.path.join(os.path.expanduser("~"), ".cache", "d2lmods", "numba"),
        os.path.join(tempfile.gettempdir(), f"d2lmods-numba-{_uid()}"),
    ):
        if writable(folder):
            return folder
    return None


def _uid():
    try:
        return os.getuid()
    except AttributeError:  # pragma: no cover - Windows
        return "user"


# numba reads NUMBA_CACHE_DIR when it is first imported (lazily, by the first kernel call)
_dir = choose_cache_dir()
if _dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _dir


def cache_dir():
    """Folder holding compiled kernels (``None`` means numba's default: ``__pycache__`` here)."""
    return os.environ.get("NUMBA_CACHE_DIR") or None


def jit_enabled():
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


class _LazyKernel:
    """A kernel that imports numba and loads (or compiles) itself on its first call.

    ``import numba`` costs 0.5-0.9 s and is only needed once a kernel runs, so importing
    d2lmods (for the widgets, the grader, save/load) does not pay it. Attribute access
    (``signatures``, ``py_func``, ...) is forwarded to the numba dispatcher.
    """

    def __init__(self, fn, options=None):
        self._fn = fn
        self._options = options or {}
        self._dispatcher = None
        functools.update_wrapper(self, fn)

    def _load(self):
        if self._dispatcher is None:
            import numba

            if _dir is not None:  # numba may have been imported before us
                numba.config.CACHE_DIR = _dir
            self._dispatcher = numba.njit(cache=True, nogil=True, **self._options)(self._fn)
        return self._dispatcher

    def __call__(self, *args):
        return (self._dispatcher or self._load())(*args)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._load(), name)


def njit(fn=None, *, reassociate=False):
    """Compile ``fn`` with numba at its first call, cached on disk, no Python fallback.

    ``@njit(reassociate=True)`` lets LLVM reorder floating-point additions (fastmath's
    ``reassoc`` flag alone: no assumptions about NaN or infinity), which is what it needs to
    vectorize a sum; use it only for reductions whose order does not matter.
    """
    options = {"fastmath": {"reassoc"}} if reassociate else None
    if fn is None:
        return lambda f: _LazyKernel(f, options)
    return _LazyKernel(fn, options)
