"""The loops convolution and pooling need; the convolution's GEMM itself stays on numpy BLAS.

``im2col`` lays out every receptive field of a padded NCHW input as one column, so a convolution
becomes ``W (O, C*kh*kw) @ cols (C*kh*kw, N*OH*OW)``; ``col2im`` is its adjoint (it adds columns
back into image positions). ``im2col_batched`` keeps the batch first, (N, C*kh*kw, OH*OW), so
``W @ cols[b]`` is sample b's output in NCHW with no transpose; ``conv2d_forward`` and
``conv2d_backward`` are the whole convolution on those columns (they choose the layout, keep or
rebuild the columns, and draw work arrays from ``scratch``/``temp``). Pooling kernels follow.
"""

import sys
import threading

import numpy as np

from ._jit import jit_enabled, njit


@njit
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n, c, h, w = x.shape
    cols = np.zeros((c * kh * kw, n * oh * ow), dtype=x.dtype)
    for ci in range(c):
        for ki in range(kh):
            for kj in range(kw):
                row = (ci * kh + ki) * kw + kj
                for b in range(n):
                    base = b * oh * ow
                    for i in range(oh):
                        hi = i * sh - ph + ki * dh
                        if hi < 0 or hi >= h:
                            continue
                        for j in range(ow):
                            wj = j * sw - pw + kj * dw
                            if 0 <= wj < w:
                                cols[row, base + i * ow + j] = x[b, ci, hi, wj]
    return cols


def _overhang(n, k, st, p, d, o):
    """Rows/columns a window reaches past the padded input (ceil-mode pooling)."""
    return max(0, (o - 1) * st + d * (k - 1) + 1 - (n + 2 * p))


def im2col_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, fill=0.0):
    n, c, h, w = x.shape
    eh, ew = _overhang(h, kh, sh, ph, dh, oh), _overhang(w, kw, sw, pw, dw, ow)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=fill)
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for ki in range(kh):
        for kj in range(kw):
            hs, ws = ki * dh, kj * dw
            patch = xp[:, :, hs : hs + sh * (oh - 1) + 1 : sh, ws : ws + sw * (ow - 1) + 1 : sw]
            cols[:, ki, kj] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


# Above this many column entries numpy's strided block copies beat the numba loop (LeNet's
# conv1, 25 x 50176: 0.36 ms vs 0.80 ms; conv2, 150 x 6400: 0.55 vs 0.99 ms); below it numpy's
# per-call overhead dominates (a 54 x 48 example: 35 us vs 5 us).
IM2COL_NUMPY_FROM = 1 << 16


def im2col_auto(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """``im2col``, run by whichever of numba and numpy is faster for this size."""
    if x.shape[1] * kh * kw * x.shape[0] * oh * ow >= IM2COL_NUMPY_FROM:
        return im2col_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


@njit
def col2im(cols, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    x = np.zeros((n, c, h, w), dtype=cols.dtype)
    for ci in range(c):
        for ki in range(kh):
            for kj in range(kw):
                row = (ci * kh + ki) * kw + kj
                for b in range(n):
                    base = b * oh * ow
                    for i in range(oh):
                        hi = i * sh - ph + ki * dh
                        if hi < 0 or hi >= h:
                            continue
                        for j in range(ow):
                            wj = j * sw - pw + kj * dw
                            if 0 <= wj < w:
                                x[b, ci, hi, wj] += cols[row, base + i * ow + j]
    return x


def col2im_ref(cols, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    eh, ew = _overhang(h, kh, sh, ph, dh, oh), _overhang(w, kw, sw, pw, dw, ow)
    xp = np.zeros((n, c, h + 2 * ph + eh, w + 2 * pw + ew), dtype=cols.dtype)
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    for ki in range(kh):
        for kj in range(kw):
            hs, ws = ki * dh, kj * dw
            xp[:, :, hs : hs + sh * (oh - 1) + 1 : sh, ws : ws + sw * (ow - 1) + 1 : sw] += cols[
                :, ki, kj
            ].transpose(1, 0, 2, 3)
    return xp[:, :, ph : ph + h, pw : pw + w].copy()


def max_pool2d_fwd(x, kh, kw, sh, sw, ph, pw, oh, ow):
    """Max over each window (padding counts as -inf); also returns the argmax as h*W+w.

    Windows that overlap vertically (ResNet's and DenseNet's stem: 3x3, stride 2, padding 1)
    go through ``max_pool2d_fwd_separable``; the rest through ``max_pool2d_fwd_any``."""
    if kh > sh:
        return max_pool2d_fwd_separable(x, kh, kw, sh, sw, ph, pw, oh, ow)
    return max_pool2d_fwd_any(x, kh, kw, sh, sw, ph, pw, oh, ow)


@njit
def max_pool2d_fwd_separable(x, kh, kw, sh, sw, ph, pw, oh, ow):
    """``max_pool2d_fwd`` in two passes per image plane: the maximum (and its column) of each
    input row's span under each output column, then the maximum of those over each window's
    rows. A row shared by overlapping windows is scanned once, and the second pass runs along
    contiguous rows (LLVM vectorizes it). Same answer as the one-pass kernel and PyTorch's:
    the first maximum in row-major window order, the last NaN if there are any, and for a
    window of -inf values its first position inside the input.

    ResNet's stem, 32x64x48x48 float32: see the CNN section of bench/RESULTS.md.
    """
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    w_lo = np.empty(ow, np.int64)
    w_hi = np.empty(ow, np.int64)
    for j in range(ow):
        w_lo[j] = max(j * sw - pw, 0)
        w_hi[j] = min(j * sw - pw + kw, w)
    hv = np.empty((h, ow), dtype=x.dtype)  # per input row: max over each column span
    hc = np.empty((h, ow), dtype=np.int64)  # ... and its flat index r*w + column
    for b in range(n):
        for ci in range(c):
            xb = x[b, ci]
            for r in range(h):
                row = xb[r]
                for j in range(ow):
                    lo, hi = w_lo[j], w_hi[j]
                    best = row[lo] if lo < hi else -np.inf
                    arg = lo
                    for q in range(lo + 1, hi):
                        v = row[q]
                        t = (v > best) | (v != v)
                        best = v if t else best
                        arg = q if t else arg
                    hv[r, j] = best
                    hc[r, j] = r * w + arg
            for i in range(oh):
                o = out[b, ci, i]
                d = idx[b, ci, i]
                r0 = max(i * sh - ph, 0)
                r1 = min(i * sh - ph + kh, h)
                if r0 >= r1:
                    for j in range(ow):
                        o[j] = -np.inf
                        d[j] = -1
                    continue
                for j in range(ow):
                    o[j] = hv[r0, j]
                    d[j] = hc[r0, j]
                for r in range(r0 + 1, r1):
                    vr = hv[r]
                    cr = hc[r]
                    for j in range(ow):
                        v = vr[j]
                        best = o[j]
                        t = (v > best) | (v != v)
                        o[j] = v if t else best
                        d[j] = cr[j] if t else d[j]
            for i in range(oh):  # a window with no column inside the input (never with
                for j in range(ow):  # PyTorch's padding limits, kept for safety)
                    if w_lo[j] >= w_hi[j]:
                        out[b, ci, i, j] = -np.inf
                        idx[b, ci, i, j] = -1
    return out, idx


@njit
def max_pool2d_fwd_any(x, kh, kw, sh, sw, ph, pw, oh, ow):
    """One pass per window with a bounds test and a NaN test per element."""
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                for j in range(ow):
                    best = -np.inf
                    arg = -1
                    for ki in range(kh):
                        hi = i * sh - ph + ki
                        if hi < 0 or hi >= h:
                            continue
                        for kj in range(kw):
                            wj = j * sw - pw + kj
                            if wj < 0 or wj >= w:
                                continue
                            v = x[b, ci, hi, wj]
                            if v > best or arg < 0 or np.isnan(v):
                                best = v
                                arg = hi * w + wj
                    out[b, ci, i, j] = best
                    idx[b, ci, i, j] = arg
    return out, idx


def max_pool2d_fwd_ref(x, kh, kw, sh, sw, ph, pw, oh, ow):
    n, c, h, w = x.shape
    cols = im2col_ref(
        x.reshape(n * c, 1, h, w), kh, kw, sh, sw, ph, pw, 1, 1, oh, ow, fill=-np.inf
    )  # (kh*kw, n*c*oh*ow)
    a = cols.argmax(axis=0)  # the first maximum, or the first NaN
    nans = np.isnan(cols)
    if nans.any():  # PyTorch's CPU kernel reports the last NaN of a window
        last = cols.shape[0] - 1 - nans[::-1].argmax(axis=0)
        a = np.where(nans.any(axis=0), last, a)
    out = cols[a, np.arange(cols.shape[1])]
    lowest = out == -np.inf
    if lowest.any():  # a window of -inf values: its first position inside the input, not padding
        inside = im2col_ref(np.ones((1, 1, h, w), np.int8), kh, kw, sh, sw, ph, pw, 1, 1, oh, ow)
        a = np.where(lowest, np.tile(inside.argmax(axis=0), n * c), a)
    out = out.reshape(n, c, oh, ow)
    ki, kj = (a // kw).reshape(n, c, oh, ow), (a % kw).reshape(n, c, oh, ow)
    hi = np.arange(oh)[:, None] * sh - ph + ki
    wj = np.arange(ow)[None, :] * sw - pw + kj
    return out.astype(x.dtype), (hi * w + wj).astype(np.int64)


@njit
def max_pool2d_bwd(g, idx, h, w):
    n, c, oh, ow = g.shape
    gx = np.zeros((n, c, h, w), dtype=g.dtype)
    for b in range(n):
        for ci in range(c):
            # the flat index needs no division per element (LeNet's 64x6x14x14 gradient:
            # 0.06 ms against 0.18 ms with gx[b, ci, k // w, k % w])
            flat = gx[b, ci].reshape(-1)
            for i in range(oh):
                for j in range(ow):
                    flat[idx[b, ci, i, j]] += g[b, ci, i, j]
    return gx


def max_pool2d_bwd_ref(g, idx, h, w):
    n, c = g.shape[:2]
    gx = np.zeros((n, c, h * w), dtype=g.dtype)
    flat_g = g.reshape(n, c, -1)
    flat_i = idx.reshape(n, c, -1)
    for b in range(n):
        for ci in range(c):
            np.add.at(gx[b, ci], flat_i[b, ci], flat_g[b, ci])
    return gx.reshape(n, c, h, w)


@njit
def avg_pool2d_fwd(x, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                for j in range(ow):
                    s = 0.0
                    cnt = 0
                    h0 = i * sh - ph
                    w0 = j * sw - pw
                    for ki in range(kh):
                        hi = h0 + ki
                        if hi < 0 or hi >= h:
                            continue
                        for kj in range(kw):
                            wj = w0 + kj
                            if 0 <= wj < w:
                                s += x[b, ci, hi, wj]
                                cnt += 1
                    if count_include_pad:
                        hend = min(h0 + kh, h + ph)
                        wend = min(w0 + kw, w + pw)
                        cnt = (hend - h0) * (wend - w0)
                    out[b, ci, i, j] = s / cnt
    return out


@njit
def avg_pool2d_bwd(g, h, w, kh, kw, sh, sw, ph, pw, count_include_pad):
    n, c, oh, ow = g.shape
    gx = np.zeros((n, c, h, w), dtype=g.dtype)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                for j in range(ow):
                    h0 = i * sh - ph
                    w0 = j * sw - pw
                    if count_include_pad:
                        cnt = (min(h0 + kh, h + ph) - h0) * (min(w0 + kw, w + pw) - w0)
                    else:
                        cnt = 0
                        for ki in range(kh):
                            for kj in range(kw):
                                if 0 <= h0 + ki < h and 0 <= w0 + kj < w:
                                    cnt += 1
                    v = g[b, ci, i, j] / cnt
                    for ki in range(kh):
                        hi = h0 + ki
                        if hi < 0 or hi >= h:
                            continue
                        for kj in range(kw):
                            wj = w0 + kj
                            if 0 <= wj < w:
                                gx[b, ci, hi, wj] += v
    return gx


def _avg_counts(h, w, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad):
    """Divisor of every window: its size inside the padded input, or its real elements only."""
    if count_include_pad:
        ones = np.ones((1, 1, h + 2 * ph, w + 2 * pw))
        return im2col_ref(ones, kh, kw, sh, sw, 0, 0, 1, 1, oh, ow).sum(axis=0).reshape(oh, ow)
    ones = np.ones((1, 1, h, w))
    return im2col_ref(ones, kh, kw, sh, sw, ph, pw, 1, 1, oh, ow).sum(axis=0).reshape(oh, ow)


def avg_pool2d_fwd_ref(x, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad):
    n, c, h, w = x.shape
    cols = im2col_ref(x.reshape(n * c, 1, h, w), kh, kw, sh, sw, ph, pw, 1, 1, oh, ow)
    s = cols.sum(axis=0).reshape(n, c, oh, ow)
    return (s / _avg_counts(h, w, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad)).astype(
        x.dtype
    )


def avg_pool2d_bwd_ref(g, h, w, kh, kw, sh, sw, ph, pw, count_include_pad):
    """Adjoint of ``avg_pool2d_fwd_ref``: each output's gradient, divided by its window's count,
    added to every input position of the window."""
    n, c, oh, ow = g.shape
    cnt = _avg_counts(h, w, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad)
    v = (g / cnt).reshape(1, n * c * oh * ow)
    cols = np.repeat(v, kh * kw, axis=0)
    return (
        col2im_ref(cols, n * c, 1, h, w, kh, kw, sh, sw, ph, pw, 1, 1, oh, ow)
        .reshape(n, c, h, w)
        .astype(g.dtype)
    )


def windows_inside(h, w, kh, kw, sh, sw, ph, pw, oh, ow):
    """True when pooling windows need no padding: every window lies inside the input."""
    return ph == 0 and pw == 0 and (oh - 1) * sh + kh <= h and (ow - 1) * sw + kw <= w


def avg_pool2d_fwd_inside(x, kh, kw, sh, sw, oh, ow):
    """Average pooling when ``windows_inside``: the sum of kh*kw strided slices of ``x``.

    numpy adds whole strided planes with SIMD, the numba loop goes window by window: for
    LeNet's 64x6x28x28 float32 with 2x2 windows 0.16 ms against 0.51 ms.

    >>> avg_pool2d_fwd_inside(np.arange(16.0).reshape(1, 1, 4, 4), 2, 2, 2, 2, 2, 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    he, we = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    out = x[:, :, 0:he:sh, 0:we:sw].copy()
    for ki in range(kh):
        for kj in range(kw):
            if ki or kj:
                out += x[:, :, ki : ki + he : sh, kj : kj + we : sw]
    out /= x.dtype.type(kh * kw)
    return out


def avg_pool2d_bwd_inside(g, h, w, kh, kw, sh, sw):
    """Adjoint of ``avg_pool2d_fwd_inside``: ``g / (kh*kw)`` added back into every window."""
    n, c, oh, ow = g.shape
    he, we = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    v = g / g.dtype.type(kh * kw)
    gx = np.zeros((n, c, h, w), dtype=g.dtype)
    for ki in range(kh):
        for kj in range(kw):
            gx[:, :, ki : ki + he : sh, kj : kj + we : sw] += v
    return gx


# -- batch-major columns ------------------------------------------------------------------------
# ``im2col`` above lays the columns out as (C*kh*kw, N*OH*OW): one GEMM does the batch, but its
# (O, N*OH*OW) product must then be transposed into NCHW, and the gradient transposed back.
# The (N, C*kh*kw, OH*OW) layout below makes ``W @ cols[b]`` the NCHW output of sample b
# directly, so ``np.matmul(W, cols)`` writes the result in place with no transpose either way,
# and each sample's columns are built (and scattered back) while its input is in cache.


# -- work buffers kept across training steps ------------------------------------------------
# A fresh multi-megabyte array is mmap-ed and every page faults on first touch: inside a LeNet
# step that made im2col take 1.1 ms instead of the 0.25 ms it takes on warm memory. The columns
# and their gradients have the same shapes every step, so they come from this pool. An array is
# handed out again only when the pool holds its sole reference (the backward engine drops a
# node's saved columns when it has used them), so nothing still in use is ever overwritten.
SCRATCH_FROM = 1 << 18  # smaller arrays come from malloc's own free lists quickly
SCRATCH_MAX_BYTES = 1 << 30  # above this the pool stops growing; arrays are then plain
SCRATCH_PER_SHAPE = 16
_scratch = {}
_temps = {}
_scratch_bytes = [0]
_scratch_lock = threading.Lock()


def scratch(shape, dtype):
    """An uninitialized array of ``shape``, reused across calls once nothing else holds it."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * int(np.prod(shape))
    if nbytes < SCRATCH_FROM:
        return np.empty(shape, dtype)
    key = (tuple(shape), dtype.str)
    with _scratch_lock:
        bufs = _scratch.setdefault(key, [])
        for a in bufs:
            if sys.getrefcount(a) <= 3:  # the list, the loop variable, getrefcount's argument
                return a
        a = np.empty(shape, dtype)
        if len(bufs) < SCRATCH_PER_SHAPE and _scratch_bytes[0] + nbytes <= SCRATCH_MAX_BYTES:
            bufs.append(a)
            _scratch_bytes[0] += nbytes
        return a


def temp(shape, dtype):
    """An uninitialized array of ``shape`` for use within one call (e.g. a backward's gradient
    columns): every shape shares one growing buffer per dtype, so keeping it costs no more
    than the largest of them, not the sum over every layer's shape."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if size * dtype.itemsize < SCRATCH_FROM:
        return np.empty(shape, dtype)
    with _scratch_lock:
        buf = _temps.get(dtype.str)
        # the dict, `buf` and getrefcount's argument make 3; more means a view is alive
        if buf is not None and sys.getrefcount(buf) > 3:
            return np.empty(shape, dtype)
        if buf is None or buf.size < size:
            buf = _temps[dtype.str] = np.empty(size, dtype)
        return buf[:size].reshape(shape)


def release_scratch():
    """Drop the pooled work arrays (their memory returns once nothing else holds them)."""
    with _scratch_lock:
        _scratch.clear()
        _temps.clear()
        _scratch_bytes[0] = 0


def _pad_hw(x, ph, pw):
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


# The unit-stride kernels are separate functions on purpose: with the strides as runtime
# factors in the index (``i * sh + ki * dh``) LLVM no longer vectorizes the inner loop and the
# same loops take 2-2.5x longer (LeNet conv1 col2im 0.22 ms against 0.59 ms). Working on a
# zero-padded copy keeps bounds tests out of the inner loop for the same reason.
@njit
def _im2col_batched_unit(xp, kh, kw, oh, ow, cols):
    n, c = xp.shape[0], xp.shape[1]
    for b in range(n):
        for ci in range(c):
            for ki in range(kh):
                for kj in range(kw):
                    row = (ci * kh + ki) * kw + kj
                    for i in range(oh):
                        for j in range(ow):
                            cols[b, row, i * ow + j] = xp[b, ci, i + ki, j + kj]
    return cols


@njit
def _im2col_batched_strided(xp, kh, kw, sh, sw, dh, dw, oh, ow, cols):
    n, c = xp.shape[0], xp.shape[1]
    for b in range(n):
        for ci in range(c):
            for ki in range(kh):
                for kj in range(kw):
                    row = (ci * kh + ki) * kw + kj
                    for i in range(oh):
                        for j in range(ow):
                            cols[b, row, i * ow + j] = xp[b, ci, i * sh + ki * dh, j * sw + kj * dw]
    return cols


def im2col_batched(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Columns of every receptive field, sample by sample: (N, C*kh*kw, OH*OW)."""
    if kh == kw == 1 and sh == sw == 1 and not (ph or pw):
        return x.reshape(x.shape[0], x.shape[1], -1)  # a 1x1 convolution needs no copy
    cols = scratch((x.shape[0], x.shape[1] * kh * kw, oh * ow), x.dtype)
    return _im2col_into(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)


def _im2col_into(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    if not jit_enabled():
        cols[...] = im2col_batched_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
        return cols
    xp = _pad_hw(x, ph, pw)
    if sh == sw == dh == dw == 1:
        return _im2col_batched_unit(xp, kh, kw, oh, ow, cols)
    return _im2col_batched_strided(xp, kh, kw, sh, sw, dh, dw, oh, ow, cols)


def im2col_batched_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n, c, h, w = x.shape
    xp = _pad_hw(x, ph, pw)
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for ki in range(kh):
        for kj in range(kw):
            hs, ws = ki * dh, kj * dw
            cols[:, :, ki, kj] = xp[
                :, :, hs : hs + sh * (oh - 1) + 1 : sh, ws : ws + sw * (ow - 1) + 1 : sw
            ]
    return cols.reshape(n, c * kh * kw, oh * ow)


@njit
def _col2im_batched_unit(cols, c, kh, kw, oh, ow, xp):
    n = cols.shape[0]
    xp[:] = 0
    for b in range(n):
        for ci in range(c):
            for ki in range(kh):
                for kj in range(kw):
                    row = (ci * kh + ki) * kw + kj
                    for i in range(oh):
                        for j in range(ow):
                            xp[b, ci, i + ki, j + kj] += cols[b, row, i * ow + j]
    return xp


@njit
def _col2im_batched_strided(cols, c, kh, kw, sh, sw, dh, dw, oh, ow, xp):
    n = cols.shape[0]
    xp[:] = 0
    for b in range(n):
        for ci in range(c):
            for ki in range(kh):
                for kj in range(kw):
                    row = (ci * kh + ki) * kw + kj
                    for i in range(oh):
                        for j in range(ow):
                            xp[b, ci, i * sh + ki * dh, j * sw + kj * dw] += cols[
                                b, row, i * ow + j
                            ]
    return xp


def col2im_batched(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Adjoint of ``im2col_batched``: (N, C*kh*kw, OH*OW) columns added back into (N, C, H, W)."""
    n = cols.shape[0]
    if kh == kw == 1 and sh == sw == 1 and not (ph or pw):
        return cols.reshape(n, c, h, w)
    return _col2im_into(
        cols,
        c,
        h,
        w,
        kh,
        kw,
        sh,
        sw,
        ph,
        pw,
        dh,
        dw,
        oh,
        ow,
        np.empty((n, c, h, w), dtype=cols.dtype),
    )


def _col2im_into(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    if not jit_enabled():
        out[...] = col2im_batched_ref(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
        return out
    n = cols.shape[0]
    xp = np.empty((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype) if ph or pw else out
    if sh == sw == dh == dw == 1:
        _col2im_batched_unit(cols, c, kh, kw, oh, ow, xp)
    else:
        _col2im_batched_strided(cols, c, kh, kw, sh, sw, dh, dw, oh, ow, xp)
    if ph or pw:
        out[...] = xp[:, :, ph : ph + h, pw : pw + w]
    return out


def col2im_batched_ref(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n = cols.shape[0]
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    for ki in range(kh):
        for kj in range(kw):
            hs, ws = ki * dh, kj * dw
            xp[:, :, hs : hs + sh * (oh - 1) + 1 : sh, ws : ws + sw * (ow - 1) + 1 : sw] += cols[
                :, :, ki, kj
            ]
    return xp[:, :, ph : ph + h, pw : pw + w].copy() if ph or pw else xp


# -- pooling when every window lies inside the input (no padding, no ceil overhang) -------------
@njit
def _max_pool2d_fwd_2x2(x, oh, ow):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                r0 = x[b, ci, 2 * i]
                r1 = x[b, ci, 2 * i + 1]
                o = out[b, ci, i]
                d = idx[b, ci, i]
                for j in range(ow):
                    best = r0[2 * j]
                    arg = 0
                    v = r0[2 * j + 1]
                    t = (v > best) | (v != v)
                    best = v if t else best
                    arg = 1 if t else arg
                    v = r1[2 * j]
                    t = (v > best) | (v != v)
                    best = v if t else best
                    arg = w if t else arg
                    v = r1[2 * j + 1]
                    t = (v > best) | (v != v)
                    best = v if t else best
                    arg = w + 1 if t else arg
                    o[j] = best
                    d[j] = 2 * i * w + 2 * j + arg
    return out, idx


@njit
def _max_pool2d_fwd_2x2_finite(x, oh, ow):
    """2x2 / stride 2 max pooling of NaN-free ``x`` as a two-level tournament of plain
    comparisons (ties go to the earlier position, as in the other kernels): LLVM vectorizes it,
    0.10 ms for LeNet's 64x6x28x28 against 0.42 ms with NaN-aware selects."""
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                r0 = x[b, ci, 2 * i]
                r1 = x[b, ci, 2 * i + 1]
                o = out[b, ci, i]
                d = idx[b, ci, i]
                for j in range(ow):
                    a0, a1 = r0[2 * j], r0[2 * j + 1]
                    a2, a3 = r1[2 * j], r1[2 * j + 1]
                    t01 = a1 > a0
                    m01 = a1 if t01 else a0
                    i01 = 1 if t01 else 0
                    t23 = a3 > a2
                    m23 = a3 if t23 else a2
                    i23 = w + 1 if t23 else w
                    t = m23 > m01
                    o[j] = m23 if t else m01
                    d[j] = 2 * i * w + 2 * j + (i23 if t else i01)
    return out, idx


@njit
def _max_pool2d_fwd_inside_any(x, kh, kw, sh, sw, oh, ow):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ci in range(c):
            xb = x[b, ci]
            for i in range(oh):
                for j in range(ow):
                    h0, w0 = i * sh, j * sw
                    best = xb[h0, w0]
                    arg = h0 * w + w0
                    for ki in range(kh):
                        for kj in range(kw):
                            v = xb[h0 + ki, w0 + kj]
                            t = (v > best) | (v != v)
                            best = v if t else best
                            arg = (h0 + ki) * w + w0 + kj if t else arg
                    out[b, ci, i, j] = best
                    idx[b, ci, i, j] = arg
    return out, idx


def max_pool2d_fwd_inside(x, kh, kw, sh, sw, oh, ow):
    """``max_pool2d_fwd`` when every window lies inside ``x`` (no padding, no ceil overhang).

    Same maximum and argmax as the general kernel (the first maximum in row-major window
    order, the last NaN if there are any, as PyTorch's CPU kernel), with the comparisons as
    selects instead of branches and early exits; the common 2x2 / stride 2 case has its own
    loops. LeNet's 64x6x28x28: 0.10 ms (0.42 ms with NaNs in x) against 1.2 ms.
    """
    if kh == kw == sh == sw == 2:
        if not np.isnan(x).any():  # 20 us for 64x6x28x28: cheaper than NaN-aware compares
            return _max_pool2d_fwd_2x2_finite(x, oh, ow)
        return _max_pool2d_fwd_2x2(x, oh, ow)
    return _max_pool2d_fwd_inside_any(x, kh, kw, sh, sw, oh, ow)


def max_pool2d_fwd_inside_ref(x, kh, kw, sh, sw, oh, ow):
    return max_pool2d_fwd_ref(x, kh, kw, sh, sw, 0, 0, oh, ow)


def tiles_exactly(h, w, kh, kw, sh, sw, ph, pw, oh, ow):
    """True when the windows tile the input: no padding, stride == kernel, nothing left over."""
    return ph == 0 and pw == 0 and sh == kh and sw == kw and oh * kh == h and ow * kw == w


@njit
def avg_pool2d_bwd_tiles(g, kh, kw):
    """``avg_pool2d_bwd_inside`` when the windows tile the input: every input position gets
    exactly one share, so the gradient is written once, with no zero fill and no accumulation."""
    n, c, oh, ow = g.shape
    gx = np.empty((n, c, oh * kh, ow * kw), dtype=g.dtype)
    inv = 1.0 / (kh * kw)
    for b in range(n):
        for ci in range(c):
            for i in range(oh):
                for ki in range(kh):
                    for j in range(ow):
                        v = g[b, ci, i, j] * inv
                        for kj in range(kw):
                            gx[b, ci, i * kh + ki, j * kw + kj] = v
    return gx


def avg_pool2d_bwd_tiles_ref(g, kh, kw):
    n, c, oh, ow = g.shape
    return avg_pool2d_bwd_inside(g, oh * kh, ow * kw, kh, kw, kh, kw)


# -- the whole convolution ----------------------------------------------------------------------
# Splitting the batch over Python threads (the kernels and matmul release the GIL) was tried
# and gained nothing on the shared 2-core machine (each hand-off waits for a free core).
def _is_pointwise(kh, kw, sh, sw, ph, pw):
    return kh == kw == 1 and sh == sw == 1 and not (ph or pw)


# Columns are kept for the backward only when they are small: they are kh*kw/(sh*sw) times the
# layer's input (LeNet's two layers: 8.8 MB against PyTorch's whole step at 9.3 MB; ResNet-18's
# 64-channel 3x3 layers, batch 32: 42 MB each). Larger ones are rebuilt in the backward from the
# input, which costs one more gather (LeNet: ~0.1 ms of a 6 ms step) and keeps the peak memory
# near PyTorch's.
KEEP_COLS_BYTES = 1 << 20
# Columns that are not kept are built this many bytes' worth of samples at a time, so they are
# still in L2 when BLAS reads them (SkylakeX: 1 MB per core) and the buffer stays small.
CHUNK_BYTES = 1 << 20


def _spans(n, sample_bytes):
    k = max(1, CHUNK_BYTES // max(1, sample_bytes))
    return k, [(lo, min(n, lo + k)) for lo in range(0, n, k)]


def _one_product(p, o, pointwise):
    """Layers with fewer output positions than channels (ResNet-18's last two stages: 6x6 and
    3x3) multiply far better as one (O, C*kh*kw) @ (C*kh*kw, N*OH*OW) product than as N small
    ones, even with the transposed copies that layout costs."""
    return p < o and not pointwise


def _im2col_2d(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    f = im2col_auto if jit_enabled() else im2col_ref
    return f(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)


def _conv2d_forward_2d(x, w2, sh, sw, ph, pw, dh, dw, oh, ow, groups, kh, kw):
    n = x.shape[0]
    o, kk = w2.shape
    og = o // groups
    cols = _im2col_2d(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)  # (C*kh*kw, N*OH*OW)
    y2 = np.empty((o, cols.shape[1]), dtype=x.dtype)
    for gi in range(groups):
        np.matmul(
            w2[gi * og : (gi + 1) * og],
            cols[gi * kk : (gi + 1) * kk],
            out=y2[gi * og : (gi + 1) * og],
        )
    y = np.empty((n, o, oh * ow), dtype=x.dtype)
    y[...] = y2.reshape(o, n, oh * ow).transpose(1, 0, 2)
    keep = cols.nbytes <= KEEP_COLS_BYTES
    return y, (cols if keep else None)


def _conv2d_backward_2d(
    g, cols, w, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups, need_x, need_w, x
):
    n, c, h, wd_ = x_shape
    o, cg, kh, kw = w.shape
    og, kk = o // groups, cg * kh * kw
    w2 = w.reshape(o, kk)
    if cols is None:
        cols = _im2col_2d(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    g2 = np.ascontiguousarray(g.transpose(1, 0, 2)).reshape(o, -1)  # (O, N*OH*OW)
    gw = gx = None
    if need_w:
        gw = np.empty((o, kk), dtype=w.dtype)
        for gi in range(groups):
            np.matmul(
                g2[gi * og : (gi + 1) * og],
                cols[gi * kk : (gi + 1) * kk].T,
                out=gw[gi * og : (gi + 1) * og],
            )
        gw = gw.reshape(w.shape)
    if need_x:
        gcols = np.empty_like(cols)
        for gi in range(groups):
            np.matmul(
                w2[gi * og : (gi + 1) * og].T,
                g2[gi * og : (gi + 1) * og],
                out=gcols[gi * kk : (gi + 1) * kk],
            )
        f = col2im if jit_enabled() else col2im_ref
        gx = f(gcols, n, c, h, wd_, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return gx, gw


def conv2d_forward(x, w, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """``(y, saved)``: the convolution of C-contiguous ``x`` (N, C, H, W) with ``w`` (O, C/groups,
    kh, kw) as (N, O, OH*OW), and what its backward needs: the batch-major columns when they
    are small (or a 1x1 convolution's, which are a view of ``x``), else ``None`` (the backward
    rebuilds them from ``x``).

    ``W @ cols[b]`` is already sample b's output in NCHW, so nothing is transposed.
    """
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    kk = cg * kh * kw
    pointwise = _is_pointwise(kh, kw, sh, sw, ph, pw)
    if _one_product(oh * ow, o, pointwise):
        return _conv2d_forward_2d(
            x, w.reshape(o, kk), sh, sw, ph, pw, dh, dw, oh, ow, groups, kh, kw
        )
    sample = (c * kh * kw, oh * ow)
    sample_bytes = x.dtype.itemsize * sample[0] * sample[1]
    keep = pointwise or n * sample_bytes <= KEEP_COLS_BYTES
    y = np.empty((n, o, oh * ow), dtype=x.dtype)
    if pointwise:
        cols = x.reshape(n, c, -1)
        _matmul_groups(w.reshape(o, kk), cols, y, groups)
        return y, cols
    if keep:
        cols = _im2col_into(
            x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, scratch((n,) + sample, x.dtype)
        )
        _matmul_groups(w.reshape(o, kk), cols, y, groups)
        return y, cols
    k, spans = _spans(n, sample_bytes)
    buf = temp((k,) + sample, x.dtype)
    for lo, hi in spans:
        cols = _im2col_into(x[lo:hi], kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, buf[: hi - lo])
        _matmul_groups(w.reshape(o, kk), cols, y[lo:hi], groups)
    return y, None


def _matmul_groups(w2, cols, out, groups):
    """``out[b] = w2 @ cols[b]``, block-diagonally over the groups."""
    if groups == 1:
        np.matmul(w2, cols, out=out)
        return
    og, kk = w2.shape[0] // groups, w2.shape[1]
    for gi in range(groups):
        out[:, gi * og : (gi + 1) * og] = np.matmul(
            w2[gi * og : (gi + 1) * og], cols[:, gi * kk : (gi + 1) * kk]
        )


def _backward_slice(g, cols, w2, groups, need_w, gcols):
    """Weight gradient of one slice of samples (summed over them), and its gradient columns
    written into ``gcols`` (which may be ``cols``' own buffer: it is read first)."""
    o, kk = w2.shape
    og = o // groups
    gw = None
    m, p = g.shape[0], g.shape[2]
    if need_w and p >= o:
        # one product per sample, summed: cols @ g^T, not g @ cols^T, as BLAS streams the long
        # OH*OW axis better this way round (LeNet conv2: 0.39 ms against 0.65 ms)
        gw = np.empty((groups, kk, og), dtype=w2.dtype)
        for gi in range(groups):
            np.matmul(
                cols[:, gi * kk : (gi + 1) * kk], g[:, gi * og : (gi + 1) * og].transpose(0, 2, 1)
            ).sum(0, out=gw[gi])
    elif need_w:
        # few output positions (ResNet's deep layers: 3x3 to 6x6): per-sample products would
        # each write a (C*kh*kw, O) block larger than their inputs, so the samples go into the
        # inner dimension of one product, at the price of copying the columns into that layout
        a = cols.transpose(1, 0, 2).reshape(cols.shape[1], m * p)
        b = g.transpose(0, 2, 1).reshape(m * p, o)
        gw = np.empty((groups, kk, og), dtype=w2.dtype)
        for gi in range(groups):
            np.matmul(a[gi * kk : (gi + 1) * kk], b[:, gi * og : (gi + 1) * og], out=gw[gi])
    if gcols is not None:
        if groups == 1:
            np.matmul(w2.T, g, out=gcols)
        else:
            for gi in range(groups):
                gcols[:, gi * kk : (gi + 1) * kk] = np.matmul(
                    w2[gi * og : (gi + 1) * og].T, g[:, gi * og : (gi + 1) * og]
                )
    return gw


def conv2d_backward(
    g, cols, w, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups, need_x, need_w, x=None
):
    """``(gx, gw)`` of ``conv2d_forward`` for the output gradient ``g`` (N, O, OH*OW), each
    ``None`` unless asked for; ``cols`` is what the forward kept, or ``None`` and then the
    columns are rebuilt from the input ``x``, a slice of samples at a time."""
    n, c, h, wd_ = x_shape
    o, cg, kh, kw = w.shape
    kk = cg * kh * kw
    w2 = w.reshape(o, kk)
    pointwise = _is_pointwise(kh, kw, sh, sw, ph, pw)
    if _one_product(oh * ow, o, pointwise):
        return _conv2d_backward_2d(
            g, cols, w, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups, need_x, need_w, x
        )
    sample = (c * kh * kw, oh * ow)
    gx = np.empty(x_shape, dtype=w.dtype) if need_x else None
    if cols is not None:
        spans, bufs = [(0, n)], None
    else:
        k, spans = _spans(n, w.dtype.itemsize * sample[0] * sample[1])
        bufs = temp((k,) + sample, w.dtype)
    if cols is not None and need_x and not pointwise:
        bufs = temp((n,) + sample, w.dtype)
    gw = None
    for lo, hi in spans:
        if cols is None:
            cs = _im2col_into(x[lo:hi], kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, bufs[: hi - lo])
        else:
            cs = cols[lo:hi]
        if not need_x:
            gcols = None
        elif pointwise:
            gcols = gx[lo:hi].reshape(hi - lo, c, -1)
        else:
            gcols = bufs[: hi - lo]
        part = _backward_slice(g[lo:hi], cs, w2, groups, need_w, gcols)
        if need_w:
            gw = part if gw is None else gw.__iadd__(part)
        if need_x and not pointwise:
            _col2im_into(gcols, c, h, wd_, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, gx[lo:hi])
    if need_w:
        gw = gw.transpose(0, 2, 1).reshape(w.shape)
    return gx, gw
