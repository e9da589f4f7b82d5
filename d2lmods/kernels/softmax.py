"""Row-wise softmax, log-softmax and cross-entropy, forward and backward.

All kernels take 2-D C-contiguous arrays whose rows are the distributions (the op layer moves
the softmax dimension last). Sums are accumulated in float64 so float32 inputs keep accuracy.
"""

import numpy as np

from ._jit import njit


@njit
def softmax_fwd(x):
    n, m = x.shape
    out = np.empty_like(x)
    for i in range(n):
        mx = x[i, 0]
        for j in range(1, m):
            if x[i, j] > mx:
                mx = x[i, j]
        s = 0.0
        for j in range(m):
            e = np.exp(x[i, j] - mx)
            out[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(m):
            out[i, j] = out[i, j] * inv
    return out


def softmax_fwd_ref(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@njit
def log_softmax_fwd(x):
    n, m = x.shape
    out = np.empty_like(x)
    for i in range(n):
        mx = x[i, 0]
        for j in range(1, m):
            if x[i, j] > mx:
                mx = x[i, j]
        s = 0.0
        for j in range(m):
            s += np.exp(x[i, j] - mx)
        lse = mx + np.log(s)
        for j in range(m):
            out[i, j] = x[i, j] - lse
    return out


def log_softmax_fwd_ref(x):
    s = x - x.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


@njit
def softmax_bwd(g, y):
    """dx = y * (g - sum(g * y)) per row, with ``y`` the softmax output."""
    n, m = g.shape
    out = np.empty_like(g)
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += g[i, j] * y[i, j]
        for j in range(m):
            out[i, j] = y[i, j] * (g[i, j] - s)
    return out


def softmax_bwd_ref(g, y):
    return y * (g - (g * y).sum(axis=1, keepdims=True))


@njit
def log_softmax_bwd(g, y):
    """dx = g - exp(y) * sum(g) per row, with ``y`` the log-softmax output."""
    n, m = g.shape
    out = np.empty_like(g)
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += g[i, j]
        for j in range(m):
            out[i, j] = g[i, j] - np.exp(y[i, j]) * s
    return out


def log_softmax_bwd_ref(g, y):
    return g - np.exp(y) * g.sum(axis=1, keepdims=True)


@njit
def cross_entropy_fwd(x, target, ignore_index):
    """Per-row loss ``logsumexp(x_i) - x_i[t_i]`` and the row's logsumexp (kept for backward).

    Rows whose target equals ``ignore_index`` get loss 0. Returns (losses, lse), both float64.
    A target outside ``[0, classes)`` is reported by returning its row index in ``bad`` (-1 if none).
    """
    n, m = x.shape
    losses = np.zeros(n, dtype=np.float64)
    lse = np.zeros(n, dtype=np.float64)
    bad = -1
    for i in range(n):
        mx = x[i, 0]
        for j in range(1, m):
            if x[i, j] > mx:
                mx = x[i, j]
        s = 0.0
        for j in range(m):
            s += np.exp(x[i, j] - mx)
        lse[i] = mx + np.log(s)
        t = target[i]
        if t == ignore_index:
            continue
        if t < 0 or t >= m:
            if bad < 0:
                bad = i
            continue
        losses[i] = lse[i] - x[i, t]
    return losses, lse, bad


def cross_entropy_fwd_ref(x, target, ignore_index):
    x64 = x.astype(np.float64)
    mx = x64.max(axis=1, keepdims=True)
    lse = (mx + np.log(np.exp(x64 - mx).sum(axis=1, keepdims=True)))[:, 0]
    keep = target != ignore_index
    out_of_range = keep & ((target < 0) | (target >= x.shape[1]))
    bad = int(np.argmax(out_of_range)) if out_of_range.any() else -1
    keep &= ~out_of_range
    safe = np.where(keep, target, 0)
    losses = np.where(keep, lse - x64[np.arange(len(x)), safe], 0.0)
    return losses, lse, bad


@njit
def cross_entropy_bwd(x, lse, target, scale, ignore_index):
    """dx_i = scale_i * (softmax(x_i) - onehot(t_i)); zero rows for ignored targets."""
    n, m = x.shape
    out = np.empty_like(x)
    for i in range(n):
        t = target[i]
        if t == ignore_index:
            for j in range(m):
                out[i, j] = 0
            continue
        si = scale[i]
        li = lse[i]
        for j in range(m):
            out[i, j] = si * np.exp(x[i, j] - li)
        out[i, t] -= si
    return out


def cross_entropy_bwd_ref(x, lse, target, scale, ignore_index):
    p = np.exp(x.astype(np.float64) - lse[:, None])
    keep = target != ignore_index
    p[np.arange(len(x))[keep], target[keep]] -= 1
    return (p * (scale * keep)[:, None]).astype(x.dtype)
