"""``conv1d`` and ``conv_transpose2d`` as autograd ops (im2col/col2im + BLAS GEMM).

Both run on 4-D arrays: a 1-D convolution is a 2-D one over images of height 1. A transposed
convolution is the adjoint of a convolution, so the two swap their halves::

    conv:            cols = im2col(x)        y  = W @ cols
                     dW = dy @ cols^T        dx = col2im(W^T @ dy)
    conv_transpose:  y  = col2im(W^T @ x)
                     gcols = im2col(dy)      dx = W @ gcols        dW = x @ gcols^T

(per group, with ``W`` reshaped to a matrix). PyTorch records both as ``ConvolutionBackward0``.
``d2lmods.nn.functional`` wraps these.
"""

import numbers

import numpy as np

from .. import kernels as K
from ..kernels import contig
from ._util import STATE, Node, OpError, Size, out, plain, ver

__all__ = ["conv1d", "conv_transpose2d", "conv_prologue"]


def _tuple(v, n, name):
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v}")
    return v


def _out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_prologue(op, fn, x, w, bias, groups, rest, spatial, transposed=False):
    """The argument handling ``conv1d``, ``conv2d`` and ``conv_transpose2d`` share, in PyTorch's
    wording: a float16 pair is computed in float32 and an unbatched input as a batch of one, by
    calling ``fn(input, weight, bias, *rest)`` again (its result is returned); otherwise the
    ranks, channel counts, groups and dtypes are checked and ``None`` is returned.
    ``spatial`` is the number of spatial dimensions; ``transposed`` means the weight is
    (C_in, C_out/groups, ...)."""
    xd, wd = x._data, w._data
    if xd.dtype == np.float16 and wd.dtype == np.float16:
        # kernels have no float16 version: compute in float32, recorded as conversions
        return fn(x.float(), w.float(), None if bias is None else bias.float(), *rest).half()
    if xd.ndim == spatial + 1:
        return fn(x.unsqueeze(0), w, bias, *rest).squeeze(0)
    shapes = (xd.shape, wd.shape)
    if xd.ndim != spatial + 2:
        raise OpError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, "
            f"but got input of size: {list(xd.shape)}",
            op=op,
            shapes=shapes,
        )
    if wd.ndim != spatial + 2:
        channels = (
            "in_channels, out_channels/groups" if transposed else "out_channels, in_channels/groups"
        )
        kernel = "k" if spatial == 1 else "kh, kw"
        raise OpError(
            f"{op}: weight must be {spatial + 2}-D ({channels}, {kernel}), got shape "
            f"{Size(wd.shape)}",
            op=op,
            shapes=shapes,
        )
    c, (o, cg) = xd.shape[1], wd.shape[:2]
    if transposed and c != o:
        raise OpError(
            f"Given transposed=1, weight of size {list(wd.shape)}, expected "
            f"input{list(xd.shape)} to have {o} channels, but got {c} channels instead",
            op=op,
            shapes=shapes,
        )
    if not transposed and c != cg * groups:
        raise OpError(
            f"Given groups={groups}, weight of size {list(wd.shape)}, expected "
            f"input{list(xd.shape)} to have {cg * groups} channels, but got {c} channels "
            f"instead",
            op=op,
            shapes=shapes,
        )
    if o % groups:
        raise OpError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size [{list(wd.shape)}] instead",  # sic: [[...]]
            op=op,
            shapes=shapes,
        )
    if xd.dtype != wd.dtype:
        raise OpError(
            f"Input type ({x.dtype.torch_name}) and weight type ({w.dtype.torch_name}) "
            f"should be the same",
            op=op,
            shapes=shapes,
        )
    if bias is not None and bias._data.dtype != wd.dtype:
        raise OpError(
            f"Input type ({x.dtype.torch_name}) and bias type ({bias.dtype.torch_name}) "
            f"should be the same",
            op=op,
            shapes=(xd.shape, bias._data.shape),
        )
    if xd.dtype.kind != "f":
        raise OpError(f"{op} expects floating-point tensors, got {x.dtype}", op=op, shapes=shapes)
    return None


def _grouped_matmul(a, b, groups, transpose_a=False):
    """``a_g @ b_g`` for each of ``groups`` row blocks, stacked (``a_g.T`` if ``transpose_a``)."""
    if groups == 1:
        return (a.T if transpose_a else a) @ b
    ra, rb = a.shape[0] // groups, b.shape[0] // groups
    blocks = []
    for gi in range(groups):
        ag = a[gi * ra : (gi + 1) * ra]
        blocks.append((ag.T if transpose_a else ag) @ b[gi * rb : (gi + 1) * rb])
    return np.concatenate(blocks, axis=0)


class ConvolutionBackward0(Node):
    """Gradients of ``conv1d`` (a convolution) and ``conv_transpose2d`` (its adjoint).

    ``saved`` holds the im2col columns of the input (convolution) or the input as a
    (C_in, N*H*W) matrix (transposed), and the weight as a 4-D array.
    """

    __slots__ = ()

    def backward(self, g):
        x, w, b = self.inputs
        a, w4 = self.saved
        transposed, xshape, wshape, geo, groups, crop = self.meta
        (n, c, h, wdt), (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geo
        g4 = contig(g, dtype=w4.dtype).reshape(n, -1, oh, ow)
        o = g4.shape[1]
        g2 = g4.transpose(1, 0, 2, 3).reshape(o, -1)  # (C_out, N*OH*OW)
        gx = gw = gb = None
        if not transposed:
            og, kk = o // groups, (c // groups) * kh * kw
            w2 = w4.reshape(o, kk)
            if w is not None:
                gw = np.concatenate(
                    [
                        g2[gi * og : (gi + 1) * og] @ a[gi * kk : (gi + 1) * kk].T
                        for gi in range(groups)
                    ]
                ).reshape(w4.shape)
            if x is not None:
                gcols = _grouped_matmul(w2, g2, groups, transpose_a=True)
                gx = K.col2im(contig(gcols), n, c, h, wdt, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
                if crop is not None:
                    left, length = crop
                    gx = gx[..., left : left + length]
        elif x is not None or w is not None:
            # here (n, c, h, w) is the input and (oh, ow) the output of the transposed conv
            cin, og = w4.shape[0], w4.shape[1]
            kk = og * kh * kw
            gcols = K.im2col(g4, kh, kw, sh, sw, ph, pw, dh, dw, h, wdt)  # (C_out*kh*kw, N*H*W)
            w2 = w4.reshape(cin, kk)
            if x is not None:
                gx2 = _grouped_matmul(w2, gcols, groups)  # (C_in, N*H*W)
                gx = gx2.reshape(cin, n, h, wdt).transpose(1, 0, 2, 3)
            if w is not None:
                cg = cin // groups
                gw = np.concatenate(
                    [
                        a[gi * cg : (gi + 1) * cg] @ gcols[gi * kk : (gi + 1) * kk].T
                        for gi in range(groups)
                    ]
                ).reshape(w4.shape)
        if b is not None:
            gb = g4.sum(axis=(0, 2, 3))
        if gx is not None:
            gx = contig(gx).reshape(xshape)
        if gw is not None:
            gw = gw.reshape(wshape)
        return gx, gw, gb


def _record(y, x, w, bias, saved, meta):
    b_rg = bias is not None and bias._rg
    if STATE.enabled and (x._rg or w._rg or b_rg):
        return out(
            y,
            ConvolutionBackward0(),
            (x if x._rg else None, w if w._rg else None, bias if b_rg else None),
            saved,
            (ver(w),),
            meta=meta,
        )
    return plain(y)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of ``input`` (N, C, L) with ``weight`` (O, C/groups, k);
    ``padding`` may be ``"same"``/``"valid"``. Forward: ``kernels.im2col`` and a matmul;
    backward: a matmul and ``kernels.col2im``."""
    x, w = input, weight
    redone = conv_prologue(
        "conv1d", conv1d, x, w, bias, groups, (stride, padding, dilation, groups), 1
    )
    if redone is not None:
        return redone
    xd, wd = x._data, w._data
    n, c, length = xd.shape
    o, cg, k = wd.shape
    (s,) = _tuple(stride, 1, "stride")
    (d,) = _tuple(dilation, 1, "dilation")
    x4 = xd.reshape(n, c, 1, length)
    crop = None
    if isinstance(padding, str):
        if padding == "valid":
            p = 0
        elif padding == "same":
            if s != 1:
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = d * (k - 1)
            p = total // 2
            if total % 2:
                # PyTorch puts the odd extra zero on the right
                x4 = np.pad(x4, ((0, 0), (0, 0), (0, 0), (p, total - p)))
                crop, p = (p, length), 0
        else:
            raise ValueError(
                f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
    else:
        (p,) = _tuple(padding, 1, "padding")
    width = x4.shape[3]
    ol = _out_size(width, k, s, p, d)
    if ol <= 0:
        raise OpError(
            f"Calculated padded input size per channel: ({width + 2 * p}). Kernel size: "
            f"({d * (k - 1) + 1}). Kernel size can't be greater than actual input size",
            op="conv1d",
            shapes=(xd.shape, wd.shape),
        )
    cols = K.im2col(contig(x4), 1, k, 1, s, 0, p, 1, d, 1, ol)  # (C*k, N*OL)
    w2 = wd.reshape(o, cg * k)
    y2 = _grouped_matmul(w2, cols, groups)  # (O, N*OL)
    y = contig(y2.reshape(o, n, ol).transpose(1, 0, 2))
    if bias is not None:
        y += bias._data.reshape(1, o, 1)
    geo = ((n, c, 1, width), (1, k), (1, s), (0, p), (1, d), (1, ol))
    return _record(
        y,
        x,
        w,
        bias,
        (cols, wd.reshape(o, cg, 1, k)),
        (False, xd.shape, wd.shape, geo, groups, crop),
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed 2-D convolution of ``input`` (N, C_in, H, W) with ``weight``
    (C_in, C_out/groups, kh, kw): the gradient of ``conv2d`` with respect to its input.

    The output is ``(H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1``
    high (and likewise wide). Forward: a matmul and ``kernels.col2im``; backward:
    ``kernels.im2col`` and a matmul.
    """
    x, w = input, weight
    rest = (stride, padding, output_padding, groups, dilation)
    redone = conv_prologue("conv_transpose2d", conv_transpose2d, x, w, bias, groups, rest, 2, True)
    if redone is not None:
        return redone
    xd, wd = x._data, w._data
    if isinstance(padding, str):
        raise ValueError(
            f"conv_transpose2d: padding must be an int or a pair of ints, got "
            f"{padding!r} (string padding is only for convolutions)"
        )
    n, cin, h, wdt = xd.shape
    og, kh, kw = wd.shape[1:]
    sh, sw = _tuple(stride, 2, "stride")
    ph, pw = _tuple(padding, 2, "padding")
    dh, dw = _tuple(dilation, 2, "dilation")
    oph, opw = _tuple(output_padding, 2, "output_padding")
    if not (oph < max(sh, dh) and opw < max(sw, dw)):
        raise OpError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oph} output_padding_width: {opw} stride_height: "
            f"{sh} stride_width: {sw} dilation_height: {dh} dilation_width: {dw}",
            op="conv_transpose2d",
            shapes=(xd.shape, wd.shape),
        )
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wdt - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if oh <= 0 or ow <= 0:
        raise OpError(
            f"conv_transpose2d: the output would be {oh}x{ow} (input {h}x{wdt}, kernel "
            f"{kh}x{kw}, stride {sh}x{sw}, padding {ph}x{pw}); reduce the padding",
            op="conv_transpose2d",
            shapes=(xd.shape, wd.shape),
        )
    cout = og * groups
    x2 = contig(xd.transpose(1, 0, 2, 3)).reshape(cin, n * h * wdt)
    cols = _grouped_matmul(wd.reshape(cin, og * kh * kw), x2, groups, transpose_a=True)
    y = K.col2im(contig(cols), n, cout, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, h, wdt)
    if bias is not None:
        y += bias._data.reshape(1, cout, 1, 1)
    geo = ((n, cin, h, wdt), (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow))
    return _record(y, x, w, bias, (x2, wd), (True, xd.shape, wd.shape, geo, groups, None))
