"""Elementwise losses as single ops, as in PyTorch: ``mse_loss`` (``MseLossBackward0``),
``binary_cross_entropy_with_logits`` (``BinaryCrossEntropyWithLogitsBackward0``) here, and
``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy`` further down.

One node per loss gives the ``grad_fn`` a printed loss shows (``tensor(0.25,
grad_fn=<MseLossBackward0>)``) and exact gradients where a composite of ``abs``/``relu`` would
have kinks (the logistic loss at a logit of exactly 0). ``d2lmods.nn.functional`` checks the
arguments and explains mistakes; these compute.

    mse:  l = (x - t)^2                          dl/dx = 2 (x - t),          dl/dt = -dl/dx
    bce:  l = w [(1 - t) x + lw softplus(-x)]    dl/dx = w [(1 - t) - lw sigmoid(-x)]
          lw = 1 + (pos_weight - 1) t            dl/dt = w [-x + (pos_weight - 1) softplus(-x)]
"""

import numpy as np

from ._util import (
    STATE,
    Node,
    OpError,
    OpNotImplementedError,
    Tensor,
    broadcast_error,
    operands,
    out,
    plain,
    sum_to,
    ver,
)

__all__ = [
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "smooth_l1_loss",
    "huber_loss",
]


def _check_reduction(reduction, fn):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{fn}: {reduction} is not a valid value for reduction (use 'mean', 'sum' or 'none')"
        )


def _reduced(elem, reduction, dtype):
    if reduction == "none":
        return elem.astype(dtype, copy=False)
    if reduction == "sum":
        total = elem.sum()
    else:
        total = elem.mean() if elem.size else np.nan  # torch's nan, without numpy's warning
    return np.asarray(total, dtype=dtype)


def _scale(g, reduction, n, dtype):
    """The upstream gradient spread over the elements (``mean`` divides by their number)."""
    if reduction == "none":
        return np.asarray(g, dtype=dtype)
    s = float(g)
    return s / n if reduction == "mean" and n else s


class MseLossBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (diff,) = self.saved
        reduction, sx, st = self.meta
        a, b = self.inputs
        gd = diff * (2 * _scale(g, reduction, diff.size, diff.dtype))
        gd = gd.astype(diff.dtype, copy=False)
        return (
            sum_to(gd, sx) if a is not None else None,
            sum_to(-gd, st) if b is not None else None,
        )


def mse_loss(input, target, reduction="mean"):
    """``(input - target) ** 2`` reduced; the shapes broadcast (``nn.functional`` warns first)."""
    _check_reduction(reduction, "mse_loss")
    x, t = operands(input, target)
    xd, td = x._data, t._data
    try:
        diff = xd - td
    except ValueError:
        raise broadcast_error(xd.shape, td.shape, "mse_loss") from None
    res = _reduced(diff * diff, reduction, diff.dtype)
    if STATE.enabled and (x._rg or t._rg):
        return out(
            res,
            MseLossBackward0(),
            (x if x._rg else None, t if t._rg else None),
            (diff,),
            (ver(x), ver(t)),  # torch saves both: an in-place change before backward is an error
            meta=(reduction, xd.shape, td.shape),
        )
    return plain(res)


class BinaryCrossEntropyWithLogitsBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        xd, td, sp, lw, w, pw = self.saved
        reduction = self.meta
        a, b = self.inputs
        s = _scale(g, reduction, xd.size, xd.dtype)
        if w is not None:
            s = s * w
        gx = gt = None
        if a is not None:
            sig_neg = 0.5 * (1 - np.tanh(0.5 * xd))  # sigmoid(-x), without overflow
            gx = ((1 - td) - lw * sig_neg) * s
            gx = np.broadcast_to(gx, xd.shape).astype(xd.dtype)
        if b is not None:
            dt = -xd if pw is None else (pw - 1) * sp - xd
            gt = np.broadcast_to(dt * s, td.shape).astype(td.dtype)
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """The logistic loss of logits ``input`` for targets in [0, 1], computed stably; ``weight``
    scales each element, ``pos_weight`` the positive term (both broadcast to the input)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, t = input, target
    if t._data.dtype != x._data.dtype:
        x = x.to(t.dtype)  # torch computes in the target's dtype ((1 - target).mul_(input))
    xd, td = x._data, t._data
    wd = None if weight is None else _operand(weight, x)
    pwd = None if pos_weight is None else _operand(pos_weight, x)
    sp = np.logaddexp(0, -xd).astype(xd.dtype, copy=False)  # softplus(-x) = -log sigmoid(x)
    try:
        lw = 1 if pwd is None else (pwd - 1) * td + 1
        elem = (1 - td) * xd + lw * sp
        if wd is not None:
            elem = elem * wd
    except ValueError:  # a weight or pos_weight that does not broadcast
        if pwd is None or _broadcasts(xd.shape, pwd.shape):  # the weight (torch: loss * weight)
            shapes = (xd.shape, wd.shape)
        else:  # the pos_weight (torch: pos_weight * target)
            shapes = (pwd.shape, xd.shape)
        raise broadcast_error(*shapes, "binary_cross_entropy_with_logits") from None
    if elem.shape != xd.shape:
        what = (
            "weight" if wd is not None and np.broadcast(xd, wd).shape != xd.shape else "pos_weight"
        )
        raise OpError(
            f"binary_cross_entropy_with_logits: {what} of shape "
            f"{tuple((wd if what == 'weight' else pwd).shape)} does not broadcast to the input's "
            f"shape {tuple(xd.shape)}; give it the input's shape or one that broadcasts to it "
            "(e.g. one value per class, shape (C,)).",
            op="binary_cross_entropy_with_logits",
            shapes=(xd.shape,),
        )
    res = _reduced(elem, reduction, xd.dtype)
    if STATE.enabled and (x._rg or t._rg):
        return out(
            res,
            BinaryCrossEntropyWithLogitsBackward0(),
            (x if x._rg else None, t if t._rg else None),
            (xd, td, sp, lw, wd, pwd),
            (ver(x), ver(t)),
            meta=reduction,
        )
    return plain(res)


def _operand(v, like):
    arr = v._data if isinstance(v, Tensor) else np.asarray(v)
    return arr.astype(like._data.dtype, copy=False)


def _broadcasts(a, b):
    try:
        return np.broadcast_shapes(a, b) == a
    except ValueError:
        return False


# ----------------------------------------------------------------------------- more losses
#   smooth_l1 (beta):  l = d^2 / (2 beta) if |d| < beta else |d| - beta/2,  d = x - t
#                      dl/dx = d / beta inside, sign(d) outside;            dl/dt = -dl/dx
#   huber (delta):     l = d^2 / 2 if |d| <= delta else delta (|d| - delta/2)
#                      dl/dx = d inside, delta sign(d) outside;             dl/dt = -dl/dx
#   bce:               l = -w [t log(x) + (1 - t) log(1 - x)], each log clamped to >= -100
#                      dl/dx = w (x - t) / max(x (1 - x), 1e-12)
#                      dl/dt = w [log(1 - x) - log(x)]  (unclamped, as in torch)


def _pair(input, target, fn, kernel):
    x, t = operands(input, target)
    xd, td = x._data, t._data
    if xd.dtype.kind != "f" or td.dtype.kind != "f":
        bad = x if xd.dtype.kind != "f" else t
        raise OpNotImplementedError(
            f"\"{kernel}\" not implemented for '{bad.dtype.torch_name}': {fn} takes float "
            "tensors; convert them with .float()",
            op=fn,
            shapes=(xd.shape, td.shape),
        )
    try:
        diff = xd - td
    except ValueError:
        raise broadcast_error(xd.shape, td.shape, fn) from None
    return x, t, xd, td, diff


def _pair_out(res, node, x, t, saved, meta):
    if STATE.enabled and (x._rg or t._rg):
        return out(
            res, node, (x if x._rg else None, t if t._rg else None), saved, (ver(x), ver(t)), meta
        )
    return plain(res)


def _pair_grads(self, gd):
    """The gradients of a loss of ``x - t`` for both operands, from ``gd`` = dl/dx."""
    sx, st = self.meta[-2:]
    a, b = self.inputs
    gd = np.broadcast_to(gd, np.broadcast_shapes(sx, st)).astype(self.saved[0].dtype, copy=False)
    return (
        sum_to(gd, sx) if a is not None else None,
        sum_to(-gd, st) if b is not None else None,
    )


class SmoothL1LossBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (diff,) = self.saved
        reduction, beta = self.meta[:2]
        s = _scale(g, reduction, diff.size, diff.dtype)
        d = np.where(diff < -beta, -1.0, np.where(diff > beta, 1.0, diff / beta))
        return _pair_grads(self, d * s)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``)."""
    _check_reduction(reduction, "smooth_l1_loss")
    x, t, xd, td, diff = _pair(input, target, "smooth_l1_loss", "smooth_l1_cpu")
    ad = np.abs(diff)
    elem = np.where(ad < beta, 0.5 * diff * diff / beta, ad - 0.5 * beta)
    res = _reduced(elem, reduction, diff.dtype)
    return _pair_out(
        res, SmoothL1LossBackward0(), x, t, (diff,), (reduction, beta, xd.shape, td.shape)
    )


class HuberLossBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (diff,) = self.saved
        reduction, delta = self.meta[:2]
        s = _scale(g, reduction, diff.size, diff.dtype)
        d = np.where(diff < -delta, -delta, np.where(diff > delta, delta, diff))
        return _pair_grads(self, d * s)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    _check_reduction(reduction, "huber_loss")
    x, t, xd, td, diff = _pair(input, target, "huber_loss", "huber_cpu")
    ad = np.abs(diff)
    elem = np.where(ad <= delta, 0.5 * diff * diff, delta * (ad - 0.5 * delta))
    res = _reduced(elem, reduction, diff.dtype)
    return _pair_out(
        res, HuberLossBackward0(), x, t, (diff,), (reduction, delta, xd.shape, td.shape)
    )


class BinaryCrossEntropyBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        xd, td, wd = self.saved
        reduction = self.meta
        a, b = self.inputs
        s = _scale(g, reduction, xd.size, xd.dtype)
        if wd is not None:
            s = s * wd
        gx = gt = None
        with np.errstate(all="ignore"):
            if a is not None:
                gx = (xd - td) / np.maximum(xd * (1 - xd), 1e-12) * s
                gx = np.broadcast_to(gx, xd.shape).astype(xd.dtype)
            if b is not None:
                gt = (np.log1p(-xd) - np.log(xd)) * s  # torch leaves these logs unclamped
                gt = np.broadcast_to(gt, td.shape).astype(td.dtype)
        return gx, gt


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """``-w [t log(x) + (1 - t) log(1 - x)]`` for probabilities ``input`` in [0, 1], the logs
    clamped to ``>= -100`` as torch does (a prediction of exactly 0 or 1 costs 100, not inf)."""
    _check_reduction(reduction, "binary_cross_entropy")
    x, t = input, target
    xd, td = x._data, t._data
    wd = None if weight is None else _operand(weight, x)
    if wd is not None and not _broadcasts(td.shape, wd.shape):
        raise OpError(
            f"Attempting to broadcast a dimension of length {wd.shape[-1]} at -1! Mismatching "
            f"argument at index 1 had torch.Size({list(wd.shape)}); but expected shape should be "
            f"broadcastable to {list(td.shape)}\nbinary_cross_entropy: the weight of shape "
            f"{tuple(wd.shape)} does not broadcast to the target's shape {tuple(td.shape)}; give "
            "it the target's shape or one that broadcasts to it.",
            op="binary_cross_entropy",
            shapes=(td.shape, wd.shape),
        )
    with np.errstate(all="ignore"):
        if np.any(~((xd >= 0) & (xd <= 1))):
            raise OpError(
                "all elements of input should be between 0 and 1\nbinary_cross_entropy takes "
                "probabilities: apply torch.sigmoid to the model's outputs first, or use "
                "binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss) on the raw outputs.",
                op="binary_cross_entropy",
                shapes=(xd.shape,),
            )
        if np.any(~((td >= 0) & (td <= 1))):
            raise OpError(
                "all elements of target should be between 0 and 1\nbinary_cross_entropy takes "
                "targets in [0, 1] (0. or 1. for two classes).",
                op="binary_cross_entropy",
                shapes=(td.shape,),
            )
        elem = -(td * np.maximum(np.log(xd), -100) + (1 - td) * np.maximum(np.log1p(-xd), -100))
    if wd is not None:
        elem = elem * wd
    res = _reduced(elem, reduction, xd.dtype)
    return _pair_out(res, BinaryCrossEntropyBackward0(), x, t, (xd, td, wd), reduction)
