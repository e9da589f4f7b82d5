"""Fused elementwise kernels for activations and their gradients.

Each kernel works on flat contiguous arrays, allocates its output once and makes one pass
(numpy would need two or three passes and temporaries for ``g * (1 - y * y)``). The ``*_ref``
function beside each one is the plain-numpy definition the tests compare against.
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


@njit
def sigmoid_fwd(x):
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        # two branches keep exp() from overflowing for large |v|
        if v >= 0:
            out[i] = 1 / (1 + np.exp(-v))
        else:
            e = np.exp(v)
            out[i] = e / (1 + e)
    return out


def sigmoid_fwd_ref(x):
    x64 = x.astype(np.float64)
    e = np.exp(-np.abs(x64))          # never overflows
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


@njit
def tanh_fwd(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = np.tanh(x[i])
    return out


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
