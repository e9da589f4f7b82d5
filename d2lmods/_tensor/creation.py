"""Functions that make new tensors: from data, filled, ranges and random draws.

    >>> import d2lmods as torch
    >>> torch.zeros(2, 3).shape, torch.arange(4), torch.tensor([1, 2]).dtype
    (d2lmods.Size([2, 3]), tensor([0, 1, 2, 3]), d2lmods.int64)

Random functions draw from the global generator that ``manual_seed`` reseeds.
"""

import numbers
import sys
import warnings

import numpy as np

from .. import random as _random
from . import dtypes as _dt
from .core import Tensor, as_array, wrap

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "logspace",
    "rand",
    "randn",
    "randint",
    "normal",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "bernoulli",
    "multinomial",
]


def _finish(arr, requires_grad):
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_device(device):
    if device is not None:
        _dt.check_device(device)


def _size(size, keyword=None):
    if keyword is not None:
        if size:
            raise TypeError(
                f"give the shape either as arguments or as size=, not both "
                f"(got {size!r} and size={keyword!r})"
            )
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"size must be a sequence of ints, got {size!r}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype):
    return _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)


_COPY_CONSTRUCT = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."
)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, numpy arrays, tensors).

    Python floats become float32, ints int64, bools bool; numpy arrays keep their dtype.
    """
    _check_device(device)
    if isinstance(data, Tensor):
        if not sys._getframe(1).f_globals.get("__name__", "").startswith("d2lmods."):
            warnings.warn(_COPY_CONSTRUCT, UserWarning, stacklevel=2)  # torch's own warning
        arr = data._data.copy() if dtype is None else data._data.astype(_dt.as_dtype(dtype).np)
    else:
        arr = as_array(data, None if dtype is None else _dt.as_dtype(dtype))
        if isinstance(data, np.ndarray) and np.shares_memory(arr, data):
            arr = arr.copy()
    # (np.ascontiguousarray would turn a 0-d array into 1-d)
    return _finish(arr if arr.flags.c_contiguous else arr.copy(order="C"), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a numpy array or tensor when the dtype allows."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is _dt.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray):
        arr = as_array(data, None if dtype is None else _dt.as_dtype(dtype))
        return wrap(arr)
    return tensor(data, dtype=dtype)


def from_numpy(arr):
    """A tensor sharing ``arr``'s memory (changes to one show in the other)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in _dt.NP_TO_DTYPE:
        raise TypeError(
            f"can't convert np.ndarray of type {arr.dtype}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        )
    return wrap(arr)


def zeros(*dims, size=None, dtype=None, device=None, requires_grad=False, out=None):
    _check_device(device)
    return _finish(np.zeros(_size(dims, size), dtype=_float_dtype(dtype).np), requires_grad)


def ones(*dims, size=None, dtype=None, device=None, requires_grad=False, out=None):
    _check_device(device)
    return _finish(np.ones(_size(dims, size), dtype=_float_dtype(dtype).np), requires_grad)


def empty(*dims, size=None, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_device(device)
    return _finish(np.empty(_size(dims, size), dtype=_float_dtype(dtype).np), requires_grad)


def _fill_dtype(value, dtype):
    if dtype is not None:
        return _dt.as_dtype(dtype)
    if isinstance(value, bool):
        return _dt.bool
    if isinstance(value, numbers.Integral):
        return _dt.int64
    return _dt.get_default_dtype()


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(
        np.full(
            _size((size,) if isinstance(size, numbers.Integral) else (size,)),
            fill_value,
            dtype=_fill_dtype(fill_value, dtype).np,
        ),
        requires_grad,
    )


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    return _finish(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype).np), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` (default 0) up to, not including, ``end``; ints unless any is a float."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in vals)
        dtype = _dt.int64 if is_int else _dt.get_default_dtype()
    else:
        dtype = _dt.as_dtype(dtype)
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (
        (vals[0] + np.arange(max(n, 0), dtype=np.float64) * vals[2])
        if dtype.is_floating_point or not all(isinstance(v, numbers.Integral) for v in vals)
        else np.arange(vals[0], vals[1], vals[2])
    )
    return _finish(arr.astype(dtype.np), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    return _finish(
        np.linspace(start, end, int(steps)).astype(_float_dtype(dtype).np), requires_grad
    )


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    return _finish(
        np.logspace(start, end, int(steps), base=base).astype(_float_dtype(dtype).np), requires_grad
    )


def rand(*dims, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    _check_device(device)
    g = _random.rng(generator)
    return _finish(
        g.random(_size(dims, size), dtype=np.float64).astype(_float_dtype(dtype).np), requires_grad
    )


def randn(*dims, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    _check_device(device)
    g = _random.rng(generator)
    return _finish(
        g.standard_normal(_size(dims, size)).astype(_float_dtype(dtype).np), requires_grad
    )


def randint(
    low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False
):
    """Random integers in [low, high); ``randint(high, size)`` starts at 0."""
    _check_device(device)
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    g = _random.rng(generator)
    dt = _dt.int64 if dtype is None else _dt.as_dtype(dtype)
    return _finish(
        g.integers(low, high, size=_size((size,) if isinstance(size, int) else (size,))).astype(
            dt.np
        ),
        requires_grad,
    )


def normal(
    mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None, requires_grad=False
):
    """Normal samples; ``mean``/``std`` may be tensors (elementwise) or numbers with ``size``."""
    _check_device(device)
    g = _random.rng(generator)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        shape = np.broadcast(np.asarray(m), np.asarray(s)).shape
    else:
        shape = _size((size,) if isinstance(size, int) else (size,))
    dt = _float_dtype(dtype)
    if dtype is None:
        for v in (mean, std):
            if isinstance(v, Tensor) and v._data.dtype.kind == "f":
                dt = v.dtype
    return _finish(g.normal(m, s, size=shape).astype(dt.np), requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    g = _random.rng(generator)
    return _finish(
        g.permutation(int(n)).astype((_dt.int64 if dtype is None else _dt.as_dtype(dtype)).np),
        requires_grad,
    )


def bernoulli(p, generator=None):
    """0/1 samples with probabilities ``p`` (a tensor), same dtype as ``p``."""
    g = _random.rng(generator)
    pd = p._data
    return wrap((g.random(pd.shape) < pd).astype(pd.dtype))


def multinomial(probs, num_samples, replacement=False, generator=None):
    g = _random.rng(generator)
    pd = probs._data.astype(np.float64)
    rows = pd.reshape(-1, pd.shape[-1])
    res = np.stack(
        [
            g.choice(rows.shape[1], size=num_samples, replace=replacement, p=r / r.sum())
            for r in rows
        ]
    )
    return wrap(res.reshape(pd.shape[:-1] + (num_samples,)).astype(np.int64))


# -- *_like ------------------------------------------------------------------------------------
def _like_dtype(t, dtype):
    return t.dtype if dtype is None else _dt.as_dtype(dtype)


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(t._data.shape, dtype=_like_dtype(t, dtype).np), requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(t._data.shape, dtype=_like_dtype(t, dtype).np), requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.empty(t._data.shape, dtype=_like_dtype(t, dtype).np), requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _finish(
        np.full(t._data.shape, fill_value, dtype=_like_dtype(t, dtype).np), requires_grad
    )


def rand_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(*t._data.shape, dtype=_like_dtype(t, dtype), requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(*t._data.shape, dtype=_like_dtype(t, dtype), requires_grad=requires_grad)


def randint_like(t, low, high=None, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(t._data.shape), dtype=_like_dtype(t, dtype))
