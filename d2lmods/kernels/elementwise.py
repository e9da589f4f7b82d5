"""Fused elementwise kernels for activations and their gradients.

Each kernel works on flat contiguous arrays, allocates its output once and makes one pass
(numpy would need two or three passes and temporaries for ``g * (1 - y * y)``). The ``*_ref``
function beside each one is the plain-numpy definition the tests compare against.

``sigmoid_fwd`` and ``tanh_fwd`` are plain numpy: they are dominated by ``exp``/``tanh``, which
numpy evaluates with SIMD and numba only as scalar libm calls.
"""

import numpy as np

from ._jit import njit


@njit
def relu_fwd(x):
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else 0
    return out


def relu_fwd_ref(x):
    return np.maximum(x, 0)


@njit
def relu_bwd(g, y):
    """d relu: pass ``g`` where the output ``y`` was positive."""
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = g[i] if y[i] > 0 else 0
    return out


def relu_bwd_ref(g, y):
    return g * (y > 0)


def sigmoid_fwd(x):
    """1 / (1 + exp(-x)) in ``x``'s dtype, with numpy rather than numba.

    numpy's ``exp`` is SIMD-vectorised while numba (without Intel SVML) calls scalar libm once per
    element: on 64x6x28x28 float32 this takes 0.23 ms against 0.9-2.2 ms for numba loops. It is
    also PyTorch's CPU formula (results agree to 2-3 units in the last place): for float32
    ``x < -88`` ``exp(-x)`` overflows to inf and the result is 0, as ``torch.sigmoid`` gives.

    >>> sigmoid_fwd(np.array([-1000.0, 0.0, 1000.0], np.float32)).tolist()
    [0.0, 0.5, 1.0]
    """
    with np.errstate(over="ignore"):
        out = np.negative(x)
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def sigmoid_fwd_ref(x):
    x64 = x.astype(np.float64)
    e = np.exp(-np.abs(x64))  # never overflows
    return np.where(x64 >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


@njit
def sigmoid_bwd(g, y):
    """d sigmoid = y (1 - y), with ``y`` the forward output."""
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = g[i] * y[i] * (1 - y[i])
    return out


def sigmoid_bwd_ref(g, y):
    return g * y * (1 - y)


def tanh_fwd(x):
    """tanh with numpy: its vectorised tanh runs ~50x faster than a numba loop calling libm
    per element (0.11 ms vs 7.8 ms on 301k float32 values)."""
    return np.tanh(x)


def tanh_fwd_ref(x):
    return np.tanh(x)


@njit
def tanh_bwd(g, y):
    """d tanh = 1 - y^2, with ``y`` the forward output."""
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = g[i] * (1 - y[i] * y[i])
    return out


def tanh_bwd_ref(g, y):
    return g * (1 - y * y)


@njit
def sum_rows(g):
    """Sum a 2-D gradient over its rows: the gradient of a bias broadcast over a batch."""
    n, m = g.shape
    acc = np.zeros(m, dtype=np.float64)
    for i in range(n):
        for j in range(m):
            acc[j] += g[i, j]
    return acc.astype(g.dtype)


def sum_rows_ref(g):
    return g.sum(axis=0)
