"""Batch-normalization kernels on ``(N, C, S)`` arrays (S: the spatial positions, 1 for
``BatchNorm1d`` on ``(N, C)``), each beside its plain-numpy reference.

The op (``d2lmods.ops.normalization``) keeps the input, not the normalized ``xhat``, for the
backward (as PyTorch does), and writes both passes as a per-channel affine map, so each pass
reads its inputs once and allocates only its output::

    forward:   mean, var = batch_norm_stats(x)                 (training only)
               y  = x * scale[c] + shift[c]                     scale = weight * invstd
    backward:  gsum, gdot = batch_norm_bwd_sums(g, x, mean)     sum(g), sum(g * (x - mean))
               gx = g * k1[c] + (x - mean[c]) * k2[c] + k3[c]

Sums are accumulated in float64 (numpy's pairwise float32 sums lose about as much; float64
loses nothing that matters here) and returned as float64 arrays of length C.
"""

import numpy as np

from ._jit import njit

__all__ = [
    "batch_norm_stats",
    "batch_norm_stats_ref",
    "batch_norm_affine",
    "batch_norm_affine_ref",
    "batch_norm_bwd_sums",
    "batch_norm_bwd_sums_ref",
    "batch_norm_bwd_input",
    "batch_norm_bwd_input_ref",
]


@njit(reassociate=True)
def batch_norm_stats(x):
    """Per-channel mean and biased variance of ``x`` (N, C, S), two passes (exact for inputs
    whose mean is large against their spread, unlike sum-of-squares)."""
    n, c, s = x.shape
    mean = np.zeros(c, np.float64)
    var = np.zeros(c, np.float64)
    if s == 1:  # (N, C): channels are the unit-stride axis
        for b in range(n):
            for ci in range(c):
                mean[ci] += x[b, ci, 0]
        mean /= n
        for b in range(n):
            for ci in range(c):
                d = x[b, ci, 0] - mean[ci]
                var[ci] += d * d
        var /= n
        return mean, var
    for b in range(n):
        for ci in range(c):
            row = x[b, ci]
            t = 0.0
            for i in range(s):
                t += row[i]
            mean[ci] += t
    m = n * s
    for ci in range(c):
        mean[ci] /= m
    for b in range(n):
        for ci in range(c):
            row = x[b, ci]
            mu = mean[ci]
            t = 0.0
            for i in range(s):
                d = row[i] - mu
                t += d * d
            var[ci] += t
    for ci in range(c):
        var[ci] /= m
    return mean, var


def batch_norm_stats_ref(x):
    mean = x.mean(axis=(0, 2), dtype=np.float64)
    centered = x - mean[None, :, None]
    return mean, np.einsum("ncs,ncs->c", centered, centered) / (x.shape[0] * x.shape[2])


@njit
def batch_norm_affine(x, scale, shift):
    """``x * scale[c] + shift[c]`` for ``x`` (N, C, S), in ``x``'s dtype."""
    n, c, s = x.shape
    out = np.empty_like(x)
    if s == 1:
        for b in range(n):
            for ci in range(c):
                out[b, ci, 0] = x[b, ci, 0] * scale[ci] + shift[ci]
        return out
    for b in range(n):
        for ci in range(c):
            row = x[b, ci]
            o = out[b, ci]
            a = scale[ci]
            z = shift[ci]
            for i in range(s):
                o[i] = row[i] * a + z
    return out


def batch_norm_affine_ref(x, scale, shift):
    return x * scale[None, :, None] + shift[None, :, None]


@njit(reassociate=True)
def batch_norm_bwd_sums(g, x, mean):
    """Per channel ``sum(g)`` and ``sum(g * (x - mean))`` over ``g``, ``x`` (N, C, S)."""
    n, c, s = x.shape
    gsum = np.zeros(c, np.float64)
    gdot = np.zeros(c, np.float64)
    if s == 1:
        for b in range(n):
            for ci in range(c):
                v = g[b, ci, 0]
                gsum[ci] += v
                gdot[ci] += v * (x[b, ci, 0] - mean[ci])
        return gsum, gdot
    for b in range(n):
        for ci in range(c):
            gr = g[b, ci]
            xr = x[b, ci]
            mu = mean[ci]
            t = 0.0
            u = 0.0
            for i in range(s):
                v = gr[i]
                t += v
                u += v * (xr[i] - mu)
            gsum[ci] += t
            gdot[ci] += u
    return gsum, gdot


def batch_norm_bwd_sums_ref(g, x, mean):
    return (
        g.sum(axis=(0, 2), dtype=np.float64),
        np.einsum("ncs,ncs->c", g.astype(np.float64), x - mean[None, :, None]),
    )


@njit
def batch_norm_bwd_input(g, x, mean, k1, k2, k3):
    """``g * k1[c] + (x - mean[c]) * k2[c] + k3[c]`` for ``g``, ``x`` (N, C, S)."""
    n, c, s = x.shape
    out = np.empty_like(g)
    if s == 1:
        for b in range(n):
            for ci in range(c):
                out[b, ci, 0] = g[b, ci, 0] * k1[ci] + (x[b, ci, 0] - mean[ci]) * k2[ci] + k3[ci]
        return out
    for b in range(n):
        for ci in range(c):
            gr = g[b, ci]
            xr = x[b, ci]
            o = out[b, ci]
            mu, a1, a2, a3 = mean[ci], k1[ci], k2[ci], k3[ci]
            for i in range(s):
                o[i] = gr[i] * a1 + (xr[i] - mu) * a2 + a3
    return out


def batch_norm_bwd_input_ref(g, x, mean, k1, k2, k3):
    def col(v):
        return v[None, :, None]

    return g * col(k1) + (x - col(mean)) * col(k2) + col(k3)
