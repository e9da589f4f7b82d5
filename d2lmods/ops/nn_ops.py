"""Neural-network primitives as autograd ops: ``linear``, ``conv2d``, pooling, ``softmax``,
``log_softmax``, ``cross_entropy``, ``nll_loss``. ``d2lmods.nn.functional`` wraps these.

Shape and dtype problems raise ``OpError`` (a ``RuntimeError``) with PyTorch's wording, e.g.
``mat1 and mat2 shapes cannot be multiplied (2x10 and 20x256)``; ``nn`` adds the module path.

    y = x @ W^T + b      dx = dy @ W,  dW = dy^T @ x,  db = sum of dy over the batch
"""

import numbers

import numpy as np

from .. import kernels as K
from ..kernels import (
    OPENBLAS_SPLITS,
    SERIAL_BELOW,
    contig,
    restore_threads,
    serial_gemm_threads,
)
from ._util import (
    STATE,
    Node,
    OpError,
    OpNotImplementedError,
    Size,
    Tensor,
    norm_dim,
    out,
    plain,
    ver,
)
from .conv import conv_prologue

__all__ = [
    "linear",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "OpError",
]


# ---------------------------------------------------------------------------------------------
# linear
# ---------------------------------------------------------------------------------------------
class AddmmBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, w, b = self.inputs
        xd, wd = self.saved
        mnk = xd.shape[0] * xd.shape[1] * wd.shape[0]
        if OPENBLAS_SPLITS < mnk < SERIAL_BELOW:  # small: one BLAS thread (kernels._blas)
            t = serial_gemm_threads(mnk)
            try:
                gx = g @ wd if x is not None else None
                gw = g.T @ xd if w is not None else None
            finally:
                restore_threads(t)
        else:
            gx = g @ wd if x is not None else None
            gw = g.T @ xd if w is not None else None
        gb = (
            (K.sum_rows(contig(g)) if g.dtype.itemsize >= 4 else g.sum(0))
            if b is not None
            else None
        )
        return gx, gw, gb


class MmBackward0(Node):
    """``linear`` without a bias, named as PyTorch records it (an mm). Unlike ``linalg``'s node of
    ``mm`` itself, it keeps ``weight`` untransposed."""

    __slots__ = ()

    def backward(self, g):
        x, w = self.inputs
        xd, wd = self.saved
        mnk = xd.shape[0] * xd.shape[1] * wd.shape[0]
        if OPENBLAS_SPLITS < mnk < SERIAL_BELOW:  # small: one BLAS thread (kernels._blas)
            t = serial_gemm_threads(mnk)
            try:
                return (g @ wd if x is not None else None, g.T @ xd if w is not None else None)
            finally:
                restore_threads(t)
        return (g @ wd if x is not None else None, g.T @ xd if w is not None else None)


def _linear_error(xd, wd):
    rows = int(np.prod(xd.shape[:-1])) if xd.ndim > 1 else 1
    return OpError(
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xd.shape[-1]} and "
        f"{wd.shape[1]}x{wd.shape[0]})",
        op="linear",
        shapes=(xd.shape, wd.shape),
    )


def _dtype_error(a, b, what="mat1 and mat2 must have the same dtype"):
    return OpError(
        f"{what}, but got {a.dtype.torch_name} and {b.dtype.torch_name}",
        op="linear",
        shapes=(a._data.shape, b._data.shape),
    )


def _serial_product(xd, wd, mnk):
    """``xd @ wd.T`` on one BLAS thread (a small product: see ``kernels._blas``)."""
    t = serial_gemm_threads(mnk)
    try:
        return xd @ wd.T
    finally:
        restore_threads(t)


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` for ``x`` of shape (..., in_features). Backward of the bias:
    ``kernels.sum_rows``."""
    xd, wd = x._data, weight._data
    if xd.ndim == 2 and wd.ndim == 2:
        if xd.shape[1] != wd.shape[1]:
            raise _linear_error(xd, wd)
        if xd.dtype != wd.dtype:
            raise _dtype_error(x, weight)
        mnk = xd.shape[0] * xd.shape[1] * wd.shape[0]
        res = _serial_product(xd, wd, mnk) if OPENBLAS_SPLITS < mnk < SERIAL_BELOW else xd @ wd.T
        if bias is None:
            if STATE.enabled and (x._rg or weight._rg):
                return out(
                    res,
                    MmBackward0(),
                    (x if x._rg else None, weight if weight._rg else None),
                    (xd, wd),
                    (ver(x), ver(weight)),
                )
            return plain(res)
        bd = bias._data
        if bd.dtype != xd.dtype:
            raise _dtype_error(x, bias, "self and mat2 must have the same dtype")
        if bd.shape != (wd.shape[0],) and bd.shape != ():
            raise OpError(
                f"bias of shape {Size(bd.shape)} does not match out_features "
                f"{wd.shape[0]} (weight of shape {Size(wd.shape)})",
                op="linear",
                shapes=(xd.shape, wd.shape, bd.shape),
            )
        res += bd
        if STATE.enabled and (x._rg or weight._rg or bias._rg):
            return out(
                res,
                AddmmBackward0(),
                (x if x._rg else None, weight if weight._rg else None, bias if bias._rg else None),
                (xd, wd),
                (ver(x), ver(weight)),
            )
        return plain(res)
    if wd.ndim != 2:
        raise OpError(
            f"linear(): weight must be 2-D (out_features, in_features), got shape {Size(wd.shape)}",
            op="linear",
            shapes=(xd.shape, wd.shape),
        )
    if xd.ndim == 0:
        raise OpError(
            "linear(): input must have at least 1 dimension, got a 0-d tensor",
            op="linear",
            shapes=(xd.shape, wd.shape),
        )
    if xd.shape[-1] != wd.shape[1]:
        raise _linear_error(xd, wd)
    lead = xd.shape[:-1]
    y = linear(x.reshape(-1, xd.shape[-1]), weight, bias)
    return y.reshape(*lead, wd.shape[0])


# ---------------------------------------------------------------------------------------------
# softmax family (the kernels work on rows, so the softmax dim is moved last)
# ---------------------------------------------------------------------------------------------
def _rows(xd, axis):
    """(2-D contiguous view/copy with ``axis`` last, function restoring the original layout)."""
    if axis == xd.ndim - 1:
        x2 = contig(xd).reshape(-1, xd.shape[-1]) if xd.ndim else xd.reshape(1, 1)
        return x2, (lambda r: r.reshape(xd.shape))
    moved = np.moveaxis(xd, axis, -1)
    shp = moved.shape
    x2 = contig(moved).reshape(-1, shp[-1])
    return x2, (lambda r: contig(np.moveaxis(r.reshape(shp), -1, axis)))


def _float_input(x, name):
    if x._data.dtype.kind != "f":
        raise OpNotImplementedError(  # torch: '"..._kernel_impl" not implemented for 'Long''
            f"{name}: expected a floating-point tensor, got {x.dtype} (convert with .float())",
            op=name,
            shapes=(x._data.shape,),
        )
    if x._data.dtype == np.float16:
        return x.float()
    return x


class SoftmaxBackward0(Node):
    """y = softmax(x): dx = y (g - sum(g y)) along the softmax dim (``kernels.softmax_bwd``)."""

    __slots__ = ()
    kernel = staticmethod(K.softmax_bwd)

    def backward(self, g):
        (y,) = self.saved
        axis = self.meta
        g2, back = _rows(g.astype(y.dtype, copy=False), axis)
        y2, _ = _rows(y, axis)
        return (back(self.kernel(g2, y2)),)


class LogSoftmaxBackward0(SoftmaxBackward0):
    """y = log_softmax(x): dx = g - exp(y) sum(g) (``kernels.log_softmax_bwd``)."""

    __slots__ = ()
    kernel = staticmethod(K.log_softmax_bwd)


def _softmax_like(x, dim, dtype, kernel, node_cls, name):
    if dtype is not None:
        x = x.to(dtype)
    half = x._data.dtype == np.float16
    x = _float_input(x, name)
    xd = x._data
    if dim is None:
        dim = 0 if xd.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    axis = norm_dim(dim, xd.ndim) if xd.ndim else norm_dim(dim, 0) - 1  # 0-d: one row of one
    x2, back = _rows(xd, axis)
    y = back(kernel(x2))
    y_out = y.astype(np.float16) if half else y
    if x._rg and STATE.enabled:
        # backward uses the float32/64 result (kernels have no float16 version)
        t = out(y_out, node_cls(), (x,), (y,), meta=axis)
        t._fn._versions = ((t._vcell, 0, y_out),)
        return t
    return plain(y_out)


def softmax(x, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (numerically stable). Forward:
    ``kernels.softmax_fwd``; backward: ``kernels.softmax_bwd``."""
    return _softmax_like(x, dim, dtype, K.softmax_fwd, SoftmaxBackward0, "softmax")


def log_softmax(x, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed without forming softmax. Forward:
    ``kernels.log_softmax_fwd``; backward: ``kernels.log_softmax_bwd``."""
    return _softmax_like(x, dim, dtype, K.log_softmax_fwd, LogSoftmaxBackward0, "log_softmax")


# ---------------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------------
class NllLossBackward0(Node):
    """Cross-entropy from logits: dx = scale * (softmax(x) - onehot(target))."""

    __slots__ = ()

    def backward(self, g):
        x2, lse, tgt = self.saved
        reduction, count, back, ignore_index = self.meta
        if reduction == "none":
            scale = np.asarray(g, dtype=np.float64).reshape(-1)
        else:
            s = float(g) / (count if reduction == "mean" else 1)
            scale = np.full(x2.shape[0], s)
        return (back(K.cross_entropy_bwd(x2, lse, tgt, scale, ignore_index)),)


class NllLoss2DBackward0(NllLossBackward0):
    __slots__ = ()


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{reduction} is not a valid value for reduction (use 'mean', 'sum' or 'none')"
        )


def _class_layout(x, target, name):
    """Validate (input, class-index target) and return (2-D logits rows, flat targets, restore
    function for per-sample outputs, restore function for input-shaped gradients)."""
    xd = x._data
    td = target._data if isinstance(target, Tensor) else np.asarray(target)
    if td.dtype.kind not in "iu":
        raise OpError(
            f"{name}: expected target of class indices with dtype int64 (Long) but got "
            f"{target.dtype if isinstance(target, Tensor) else td.dtype}; use "
            "target.long(), or pass class probabilities of the input's shape "
            f"{list(xd.shape)}",
            op=name,
            shapes=(xd.shape, td.shape),
        )
    if xd.ndim == 1:
        if td.ndim != 0:
            raise OpError(
                f"{name}: for a 1-D input of {xd.shape[0]} classes the target must be "
                f"a single class index (0-d), got shape {Size(td.shape)}",
                op=name,
                shapes=(xd.shape, td.shape),
            )
        return (
            contig(xd).reshape(1, -1),
            td.reshape(1).astype(np.int64),
            lambda r: r.reshape(()),
            lambda r: r.reshape(xd.shape),
        )
    if xd.ndim == 0:
        raise OpError(
            f"{name}: input must have a class dimension (got a 0-d tensor)",
            op=name,
            shapes=(xd.shape, td.shape),
        )
    if td.shape[:1] != xd.shape[:1]:
        raise ValueError(
            f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
            f"({td.shape[0] if td.ndim else 0})."
        )
    expected = xd.shape[:1] + xd.shape[2:]
    if td.shape != expected:
        raise OpError(
            f"{name}: target of shape {Size(td.shape)} does not fit input of shape "
            f"{Size(xd.shape)} (expected target shape {Size(expected)}: one class index "
            f"per sample, classes along dim 1)",
            op=name,
            shapes=(xd.shape, td.shape),
        )
    if xd.ndim == 2:
        return (contig(xd), contig(td, np.int64), lambda r: r, lambda r: r)
    moved = np.moveaxis(xd, 1, -1)
    shp = moved.shape
    x2 = contig(moved).reshape(-1, shp[-1])
    return (
        x2,
        td.reshape(-1).astype(np.int64),
        lambda r: r.reshape(td.shape),
        lambda r: contig(np.moveaxis(r.reshape(shp), -1, 1)),
    )


def _bad_target(tgt, n_classes, ignore_index):
    bad = tgt[(tgt != ignore_index) & ((tgt < 0) | (tgt >= n_classes))]
    return IndexError(
        f"Target {int(bad[0])} is out of bounds: the input has {n_classes} classes, "
        f"so targets must be in [0, {n_classes - 1}]"
    )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Cross-entropy between logits ``input`` (N, C, ...) and class indices (or probabilities).
    For class indices, forward: ``kernels.cross_entropy_fwd``; backward:
    ``kernels.cross_entropy_bwd``."""
    if input._data.dtype == np.float16:  # computed in float32, returned in half like PyTorch
        return cross_entropy(
            input.float(),
            target,
            None if weight is None else weight.float(),
            size_average,
            ignore_index,
            reduce,
            reduction,
            label_smoothing,
        ).half()
    _check_reduction(reduction)
    x = _float_input(input, "cross_entropy")
    if isinstance(target, Tensor) and target._data.dtype.kind == "f":
        if target._data.shape != x._data.shape:
            raise OpError(
                f"cross_entropy: a floating-point target is read as class "
                f"probabilities and must have the input's shape {Size(x.shape)}, got "
                f"{Size(target.shape)}; for class indices pass an int64 tensor "
                "(target.long())",
                op="cross_entropy",
                shapes=(x._data.shape, target._data.shape),
            )
        return _soft_cross_entropy(x, target, weight, reduction, label_smoothing)
    if weight is not None or label_smoothing:
        return _composite_cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing)
    x2, tgt, back_out, back_in = _class_layout(x, target, "cross_entropy")
    losses, lse, bad = K.cross_entropy_fwd(x2, tgt, ignore_index)
    if bad >= 0:
        raise _bad_target(tgt, x2.shape[1], ignore_index)
    dt = x._data.dtype
    if reduction == "none":
        res = back_out(losses.astype(dt))
        count = None
    else:
        count = int(np.count_nonzero(tgt != ignore_index))
        total = losses.sum()
        if reduction == "sum":
            res = np.asarray(total, dtype=dt)
        else:  # the mean over no samples is nan, as in PyTorch
            res = np.asarray(total / count if count else np.nan, dtype=dt)
    if x._rg and STATE.enabled:
        node = NllLossBackward0() if x._data.ndim <= 2 else NllLoss2DBackward0()
        return out(
            res,
            node,
            (x,),
            (x2, lse, tgt),
            (ver(x),),
            meta=(reduction, count, back_in, ignore_index),
        )
    return plain(res)


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / denom if denom is not None else loss.mean()


def _soft_cross_entropy(x, target, weight, reduction, label_smoothing):
    logp = log_softmax(x, 1 if x.ndim > 1 else 0)
    t = target
    if label_smoothing:
        n = x.shape[1 if x.ndim > 1 else 0]
        t = t * (1 - label_smoothing) + label_smoothing / n
    prod = logp * t
    if weight is not None:
        shape = [1] * x.ndim
        shape[1 if x.ndim > 1 else 0] = -1
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(1 if x.ndim > 1 else 0)
    if reduction == "mean" and x.ndim > 1:
        return _div_by_count(loss.sum(), x.shape[0] if x.ndim == 2 else loss.numel())
    return _reduce(loss, reduction)


class DivBackward1(Node):
    """Division by a constant count (PyTorch records its internal scalar division so)."""

    __slots__ = ()

    def backward(self, g):
        return (g / self.meta,)


def _div_by_count(t, n):
    res = np.asarray(t._data / n, dtype=t._data.dtype)
    if t._rg and STATE.enabled:
        return out(res, DivBackward1(), (t,), meta=n)
    return plain(res)


def _composite_cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing):
    cdim = 1 if x.ndim > 1 else 0
    logp = log_softmax(x, cdim)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    n = x.shape[cdim]
    td = target._data if isinstance(target, Tensor) else np.asarray(target)
    keep = plain((td != ignore_index).astype(x._data.dtype))
    if weight is not None:
        shape = [1] * x.ndim
        shape[cdim] = -1
        smooth = -(logp * weight.reshape(shape)).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    smooth = smooth * keep
    if reduction == "mean":
        if weight is not None:
            w = weight._data[np.where(td != ignore_index, td, 0)] * keep._data
            smooth = smooth.sum() / float(w.sum())
        else:
            smooth = smooth.sum() / max(float(keep._data.sum()), 1.0)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n)


class _NllBackward(Node):
    __slots__ = ()

    def backward(self, g):
        tgt, wts = self.saved
        shape2, back_in, reduction, denom = self.meta
        gx = np.zeros(shape2, dtype=g.dtype)
        rows = np.arange(shape2[0])
        keep = wts != 0
        if reduction == "none":
            scale = np.asarray(g).reshape(-1) * wts
        else:
            scale = float(g) * wts / (denom if reduction == "mean" else 1)
        gx[rows[keep], tgt[keep]] = -scale[keep]
        return (back_in(gx),)


_NllBackward.__name__ = "NllLossBackward0"


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """Negative log-likelihood of class indices given log-probabilities ``input`` (N, C, ...)."""
    if input._data.dtype == np.float16:
        return nll_loss(
            input.float(),
            target,
            None if weight is None else weight.float(),
            size_average,
            ignore_index,
            reduce,
            reduction,
        ).half()
    _check_reduction(reduction)
    x = _float_input(input, "nll_loss")
    x2, tgt, back_out, back_in = _class_layout(x, target, "nll_loss")
    n, c = x2.shape
    keep = tgt != ignore_index
    if ((tgt[keep] < 0) | (tgt[keep] >= c)).any():
        raise _bad_target(tgt, c, ignore_index)
    safe = np.where(keep, tgt, 0)
    if weight is not None:
        wd = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
        if wd.shape != (c,):
            raise OpError(
                f"weight tensor should be defined either for all {c} classes or no "
                f"classes but got weight tensor of shape: {list(wd.shape)}",
                op="nll_loss",
                shapes=(x._data.shape, wd.shape),
            )
        wts = np.where(keep, wd[safe], 0).astype(np.float64)
    else:
        wts = keep.astype(np.float64)
    picked = x2[np.arange(n), safe].astype(np.float64)
    losses = -picked * wts
    dt = x._data.dtype
    denom = None
    if reduction == "none":
        res = back_out(losses.astype(dt))
    elif reduction == "sum":
        res = np.asarray(losses.sum(), dtype=dt)
    else:
        denom = float(wts.sum())
        res = np.asarray(losses.sum() / denom if denom else np.nan, dtype=dt)
    if x._rg and STATE.enabled:
        return out(
            res, _NllBackward(), (x,), (safe, wts), meta=(x2.shape, back_in, reduction, denom)
        )
    return plain(res)


# ---------------------------------------------------------------------------------------------
# convolution and pooling (im2col + BLAS GEMM; numba loops for the gathers/scatters)
# ---------------------------------------------------------------------------------------------
def _pair(v, name):
    if isinstance(v, numbers.Integral):
        return int(v), int(v)
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v[0], v[0]
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def _out_size(n, k, s, p, d, ceil_mode=False):
    span = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        o = -(-span // s) + 1
        if (o - 1) * s >= n + p:  # the last window must start inside the input
            o -= 1
        return o
    return span // s + 1


class ConvolutionBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, w, b = self.inputs
        cols, wd, xd = self.saved  # cols is None when the forward kept only the input
        (n, c, h, ww_), (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow), groups = self.meta
        # (N, O, OH*OW) is g's own layout: with the batch-major columns every product is a
        # batched BLAS call on views, with no transposed copy of g or of the columns
        g3 = contig(g, dtype=wd.dtype).reshape(n, wd.shape[0], oh * ow)
        gx, gw = K.conv2d_backward(
            g3,
            cols,
            wd,
            (n, c, h, ww_),
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
            oh,
            ow,
            groups,
            x is not None,
            w is not None,
            xd,
        )
        gb = g3.sum(2).sum(0) if b is not None else None  # reductions along contiguous runs
        return gx, gw, gb


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw).
    Forward: ``kernels.im2col`` and a matmul; backward: a matmul and ``kernels.col2im``."""
    x, w = input, weight
    rest = (stride, padding, dilation, groups)
    redone = conv_prologue("conv2d", conv2d, x, w, bias, groups, rest, 2)
    if redone is not None:
        return redone
    xd, wd = x._data, w._data
    n, c, h, wdt = xd.shape
    o, cg, kh, kw = wd.shape
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            ph = pw = 0
        elif padding == "same":
            if (sh, sw) != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            tot_h, tot_w = dh * (kh - 1), dw * (kw - 1)
            if tot_h % 2 or tot_w % 2:
                x = _pad_asym(x, tot_h, tot_w)
                xd = x._data
                n, c, h, wdt = xd.shape
                ph = pw = 0
            else:
                ph, pw = tot_h // 2, tot_w // 2
        else:
            raise ValueError(
                f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
    else:
        ph, pw = _pair(padding, "padding")
    oh = _out_size(h, kh, sh, ph, dh)
    ow = _out_size(wdt, kw, sw, pw, dw)
    if oh <= 0 or ow <= 0:
        raise OpError(
            f"Calculated padded input size per channel: ({h + 2 * ph} x {wdt + 2 * pw}). "
            f"Kernel size: ({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}). Kernel size can't "
            f"be greater than actual input size",
            op="conv2d",
            shapes=(xd.shape, wd.shape),
        )
    # batch-major columns (N, C*kh*kw, OH*OW): W @ cols[b] is sample b's output in NCHW, so
    # batched matmuls write y with no transpose (LeNet conv1: 0.23 ms against 0.65 ms for the
    # single (O, N*OH*OW) product plus its transposed copy)
    xc = contig(xd)
    y3, cols = K.conv2d_forward(xc, contig(wd), sh, sw, ph, pw, dh, dw, oh, ow, groups)
    if bias is not None:
        y3 += bias._data.reshape(1, o, 1)
    y = y3.reshape(n, o, oh, ow)
    b_rg = bias is not None and bias._rg
    if STATE.enabled and (x._rg or w._rg or b_rg):
        return out(
            y,
            ConvolutionBackward0(),
            (x if x._rg else None, w if w._rg else None, bias if b_rg else None),
            (cols, wd, None) if cols is not None else (None, wd, xc),
            # x's in-place changes matter when its data is what was kept: the large
            # layers' input, or a 1x1 convolution's columns (a view of x)
            (ver(w), ver(x)) if cols is None or np.may_share_memory(cols, xd) else (ver(w),),
            meta=((n, c, h, wdt), (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow), groups),
        )
    return plain(y)


def _pad_asym(x, tot_h, tot_w):
    """Zero-pad (PyTorch puts the odd extra row/column at the bottom/right for 'same')."""
    from .shape import cat

    n, c, h, w = x._data.shape
    top, left = tot_h // 2, tot_w // 2
    parts_h = [
        plain(np.zeros((n, c, top, w), x._data.dtype)),
        x,
        plain(np.zeros((n, c, tot_h - top, w), x._data.dtype)),
    ]
    xh = cat(parts_h, 2)
    hh = xh._data.shape[2]
    return cat(
        [
            plain(np.zeros((n, c, hh, left), x._data.dtype)),
            xh,
            plain(np.zeros((n, c, hh, tot_w - left), x._data.dtype)),
        ],
        3,
    )


class MaxPool2DWithIndicesBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        h, w = self.meta
        return (K.max_pool2d_bwd(contig(g), idx, h, w),)


def _pool_args(xd, kernel_size, stride, padding, dilation, ceil_mode, name):
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(
        stride if stride is not None and stride != [] and stride != () else (kh, kw), "stride"
    )
    ph, pw = _pair(padding, "padding")
    if ph > kh // 2 or pw > kw // 2:
        raise OpError(
            f"{name}: pad should be at most half of effective kernel size, but got "
            f"pad={max(ph, pw)}, kernel_size={max(kh, kw)}",
            op=name,
            shapes=(xd.shape,),
        )
    if _pair(dilation, "dilation") != (1, 1):
        raise NotImplementedError(f"{name} with dilation != 1 is not supported by d2lmods")
    h, w = xd.shape[-2:]
    oh = _out_size(h, kh, sh, ph, 1, ceil_mode)
    ow = _out_size(w, kw, sw, pw, 1, ceil_mode)
    if oh <= 0 or ow <= 0:
        raise OpError(
            f"{name}: output size is too small (input {h}x{w}, kernel {kh}x{kw}, "
            f"stride {sh}x{sw}, padding {ph}x{pw} give {oh}x{ow})",
            op=name,
            shapes=(xd.shape,),
        )
    return kh, kw, sh, sw, ph, pw, oh, ow


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Maximum over each ``kernel_size`` window of (N, C, H, W) or (C, H, W) input. Forward:
    ``kernels.max_pool2d_fwd``; backward: ``kernels.max_pool2d_bwd``."""
    x = input
    xd = x._data
    if xd.dtype == np.float16:
        r = max_pool2d(x.float(), kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        return (r[0].half(), r[1]) if return_indices else r.half()
    if xd.ndim == 3:
        r = max_pool2d(
            x.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode, return_indices
        )
        return (r[0].squeeze(0), r[1].squeeze(0)) if return_indices else r.squeeze(0)
    if xd.ndim != 4:
        raise OpError(
            f"max_pool2d: Expected 3D or 4D (batch mode) tensor for input, got shape "
            f"{list(xd.shape)}",
            op="max_pool2d",
            shapes=(xd.shape,),
        )
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args(
        xd, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    src = contig(xd if xd.dtype.itemsize >= 4 else xd.astype(np.float32))
    if K.windows_inside(*src.shape[-2:], kh, kw, sh, sw, ph, pw, oh, ow):
        y, idx = K.max_pool2d_fwd_inside(src, kh, kw, sh, sw, oh, ow)
    else:
        y, idx = K.max_pool2d_fwd(src, kh, kw, sh, sw, ph, pw, oh, ow)
    y = y.astype(xd.dtype, copy=False)
    if x._rg and STATE.enabled:
        res = out(y, MaxPool2DWithIndicesBackward0(), (x,), (idx,), meta=xd.shape[-2:])
    else:
        res = plain(y)
    return (res, plain(idx)) if return_indices else res


class AvgPool2DBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        h, w, kh, kw, sh, sw, ph, pw, cip, div = self.meta
        g = contig(g)
        if not div and K.tiles_exactly(h, w, kh, kw, sh, sw, ph, pw, *g.shape[-2:]):
            return (K.avg_pool2d_bwd_tiles(g, kh, kw),)
        if not div and K.windows_inside(h, w, kh, kw, sh, sw, ph, pw, *g.shape[-2:]):
            return (K.avg_pool2d_bwd_inside(g, h, w, kh, kw, sh, sw),)
        if div:
            return (_scatter_sum(g / div, h, w, kh, kw, sh, sw, ph, pw),)
        return (K.avg_pool2d_bwd(g, h, w, kh, kw, sh, sw, ph, pw, cip),)


def _window_sums(xd, kh, kw, sh, sw, ph, pw, oh, ow):
    n, c, h, w = xd.shape
    cols = K.im2col(contig(xd.reshape(n * c, 1, h, w)), kh, kw, sh, sw, ph, pw, 1, 1, oh, ow)
    return cols.sum(axis=0).reshape(n, c, oh, ow)


def _scatter_sum(v, h, w, kh, kw, sh, sw, ph, pw):
    """Adjoint of ``_window_sums``: add each output's value to every input in its window."""
    n, c, oh, ow = v.shape
    cols = contig(np.broadcast_to(v.reshape(1, -1), (kh * kw, v.size)))
    return K.col2im(cols, n * c, 1, h, w, kh, kw, sh, sw, ph, pw, 1, 1, oh, ow).reshape(n, c, h, w)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over each ``kernel_size`` window of (N, C, H, W) or (C, H, W) input. Forward:
    ``kernels.avg_pool2d_fwd`` (``_inside`` when no window crosses the padding); backward:
    ``kernels.avg_pool2d_bwd`` (likewise)."""
    x = input
    xd = x._data
    if xd.dtype == np.float16:
        return avg_pool2d(
            x.float(), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        ).half()
    if xd.ndim == 3:
        return avg_pool2d(
            x.unsqueeze(0),
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        ).squeeze(0)
    if xd.ndim != 4:
        raise OpError(
            f"avg_pool2d: Expected 3D or 4D (batch mode) tensor for input, got shape "
            f"{list(xd.shape)}",
            op="avg_pool2d",
            shapes=(xd.shape,),
        )
    x = _float_input(x, "avg_pool2d") if xd.dtype.kind != "f" else x
    xd = x._data
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args(
        xd, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d"
    )
    h, w = xd.shape[-2:]
    if divisor_override:
        y = (_window_sums(xd, kh, kw, sh, sw, ph, pw, oh, ow) / divisor_override).astype(xd.dtype)
    elif K.windows_inside(h, w, kh, kw, sh, sw, ph, pw, oh, ow):
        y = K.avg_pool2d_fwd_inside(xd, kh, kw, sh, sw, oh, ow)
    else:
        y = K.avg_pool2d_fwd(contig(xd), kh, kw, sh, sw, ph, pw, oh, ow, bool(count_include_pad))
    if x._rg and STATE.enabled:
        # saves the input as PyTorch does (unused here), so a second backward is refused alike
        return out(
            y,
            AvgPool2DBackward0(),
            (x,),
            (xd,),
            meta=(h, w, kh, kw, sh, sw, ph, pw, bool(count_include_pad), divisor_override),
        )
    return plain(y)


class AdaptiveAvgPool2DBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        shape, bins_h, bins_w = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(bins_h):
            for j, (w0, w1) in enumerate(bins_w):
                gx[..., h0:h1, w0:w1] += (g[..., i, j] / ((h1 - h0) * (w1 - w0)))[..., None, None]
        return (gx,)


def _bins(n, o):
    # PyTorch's adaptive bins: [floor(i*n/o), ceil((i+1)*n/o))
    return [((i * n) // o, -(-((i + 1) * n) // o)) for i in range(o)]


def adaptive_avg_pool2d(input, output_size):
    """Average-pool to a fixed ``output_size`` (PyTorch's bin boundaries)."""
    x = input
    xd = x._data
    if xd.ndim not in (3, 4):
        raise OpError(
            f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(xd.shape)}",
            op="adaptive_avg_pool2d",
            shapes=(xd.shape,),
        )
    oh, ow = (
        (output_size, output_size)
        if isinstance(output_size, numbers.Integral)
        else tuple(output_size)
    )
    h, w = xd.shape[-2:]
    oh = h if oh is None else oh
    ow = w if ow is None else ow
    if (oh, ow) == (1, 1):
        return x.mean((-2, -1), keepdim=True)  # PyTorch records MeanBackward1 here too
    bins_h, bins_w = _bins(h, oh), _bins(w, ow)
    if h % oh == 0 and w % ow == 0:
        lead = xd.shape[:-2]
        y = xd.reshape(*lead, oh, h // oh, ow, w // ow).mean(axis=(-3, -1))
    else:
        y = np.empty(xd.shape[:-2] + (oh, ow), dtype=xd.dtype)
        for i, (h0, h1) in enumerate(bins_h):
            for j, (w0, w1) in enumerate(bins_w):
                y[..., i, j] = xd[..., h0:h1, w0:w1].mean(axis=(-2, -1))
    y = y.astype(xd.dtype, copy=False)
    if x._rg and STATE.enabled:
        # saves the input as PyTorch does (unused here), so a second backward is refused alike
        return out(y, AdaptiveAvgPool2DBackward0(), (x,), (xd,), meta=(xd.shape, bins_h, bins_w))
    return plain(y)
