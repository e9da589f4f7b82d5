"""More math: the rest of the elementwise functions, sorting and selection, einsum, and small
linear-algebra and utility functions PyTorch code reaches for.

Every differentiable op records an explicit node whose docstring states its derivative::

    y = log2(x)          dy/dx = 1 / (x ln 2)                    (Log2Backward0)
    v, i = sort(x, dim)  dL/dx = dL/dv scattered back to i       (SortBackward0)

Results that can be inf or nan (``log2(0)``, ``asin(2)``) are computed silently, as in PyTorch.
"""

import numbers
import warnings

import numpy as np

from .._messages import user_stacklevel
from .._tensor import dtypes as _dt
from .._tensor.core import wrap
from ._util import (
    STATE,
    Node,
    OpNotImplementedError,
    Tensor,
    broadcast_error,
    norm_dim,
    operands,
    out,
    plain,
    sum_to,
    to_tensor,
    ver,
)
from .elementwise import _unary_out
from .linalg import _record  # a binary op's result, both inputs saved
from .reductions import _named_return

__all__ = [
    "log2",
    "log10",
    "exp2",
    "sinh",
    "cosh",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "asinh",
    "acosh",
    "atanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "atan2",
    "arctan2",
    "hypot",
    "frac",
    "fmod",
    "lerp",
    "nan_to_num",
    "fmax",
    "fmin",
    "cumprod",
    "sort",
    "argsort",
    "topk",
    "kthvalue",
    "median",
    "unique",
    "diag",
    "trace",
    "einsum",
    "nonzero",
    "argwhere",
    "meshgrid",
    "broadcast_tensors",
    "repeat_interleave",
    "std_mean",
    "var_mean",
    "diff",
    "take",
    "select",
    "cross",
    "dist",
    "addmm",
    "baddbmm",
    "bincount",
    "searchsorted",
    "bucketize",
    "finfo",
    "iinfo",
    "promote_types",
    "result_type",
    "can_cast",
    "rot90",
    "kron",
    "tensordot",
    "cdist",
    "logaddexp",
    "xlogy",
    "addcmul",
    "addcdiv",
    "nansum",
    "nanmean",
    "msort",
    "ravel",
    "swapdims",
    "moveaxis",
    "tril_indices",
    "triu_indices",
    "isin",
    "deg2rad",
    "rad2deg",
    "sinc",
    "logit",
    "sgn",
    "clamp_min",
    "clamp_max",
    "cummax",
    "cummin",
    "logcumsumexp",
    "diag_embed",
]


def _float(a):
    if not isinstance(a, Tensor):
        a = to_tensor(a)
    if a._data.dtype.kind != "f":
        return a.to(_dt.get_default_dtype())
    return a


def _need(x, cls, fname, arg, pos):
    """PyTorch's TypeError for an argument of the wrong type."""
    if not isinstance(x, cls) or (cls is numbers.Integral and isinstance(x, bool)):
        want = {Tensor: "Tensor", numbers.Integral: "int", _dt.dtype: "d2lmods.dtype"}.get(
            cls, cls.__name__
        )
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {pos}) must be {want}, not {type(x).__name__}"
        )


def _rec(a):
    return a._rg and STATE.enabled


def _unary(a, fn, node_cls, save="x"):
    """``y = fn(a)`` on a float tensor; the node saves ``x`` or ``y``."""
    a = _float(a)
    with np.errstate(all="ignore"):
        y = np.asarray(fn(a._data), dtype=a._data.dtype)
    return _unary_out(a, y, node_cls, save)


class _Unary(Node):
    """``g * deriv(saved)``, the derivative computed silently (inf/nan as in PyTorch)."""

    __slots__ = ()

    def backward(self, g):
        (s,) = self.saved
        with np.errstate(all="ignore"):
            return ((g * self.deriv(s)).astype(g.dtype, copy=False),)


_LN2, _LN10 = np.log(2.0), np.log(10.0)


class Log2Backward0(_Unary):
    """y = log2(x): dy/dx = 1 / (x ln 2)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / (x * _LN2)


class Log10Backward0(_Unary):
    """y = log10(x): dy/dx = 1 / (x ln 10)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / (x * _LN10)


class Exp2Backward0(_Unary):
    """y = 2^x: dy/dx = y ln 2."""

    __slots__ = ()

    @staticmethod
    def deriv(y):
        return y * _LN2


class SinhBackward0(_Unary):
    """y = sinh(x): dy/dx = cosh(x)."""

    __slots__ = ()
    deriv = staticmethod(np.cosh)


class CoshBackward0(_Unary):
    """y = cosh(x): dy/dx = sinh(x)."""

    __slots__ = ()
    deriv = staticmethod(np.sinh)


class TanBackward0(_Unary):
    """y = tan(x): dy/dx = 1 + y^2."""

    __slots__ = ()

    @staticmethod
    def deriv(y):
        return 1 + y * y


class AsinBackward0(_Unary):
    """y = asin(x): dy/dx = 1 / sqrt(1 - x^2)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / np.sqrt(1 - x * x)


class AcosBackward0(_Unary):
    """y = acos(x): dy/dx = -1 / sqrt(1 - x^2)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return -1 / np.sqrt(1 - x * x)


class AtanBackward0(_Unary):
    """y = atan(x): dy/dx = 1 / (1 + x^2)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / (1 + x * x)


class AsinhBackward0(_Unary):
    """y = asinh(x): dy/dx = 1 / sqrt(x^2 + 1)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / np.sqrt(x * x + 1)


class AcoshBackward0(_Unary):
    """y = acosh(x): dy/dx = 1 / sqrt(x^2 - 1)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / np.sqrt(x * x - 1)


class AtanhBackward0(_Unary):
    """y = atanh(x): dy/dx = 1 / (1 - x^2)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return 1 / (1 - x * x)


def log2(a):
    return _unary(a, np.log2, Log2Backward0)


def log10(a):
    return _unary(a, np.log10, Log10Backward0)


def exp2(a):
    return _unary(a, np.exp2, Exp2Backward0, save="y")


def sinh(a):
    return _unary(a, np.sinh, SinhBackward0)


def cosh(a):
    return _unary(a, np.cosh, CoshBackward0)


def tan(a):
    return _unary(a, np.tan, TanBackward0, save="y")


def asin(a):
    return _unary(a, np.arcsin, AsinBackward0)


def acos(a):
    return _unary(a, np.arccos, AcosBackward0)


def atan(a):
    return _unary(a, np.arctan, AtanBackward0)


def asinh(a):
    return _unary(a, np.arcsinh, AsinhBackward0)


def acosh(a):
    return _unary(a, np.arccosh, AcoshBackward0)


def atanh(a):
    return _unary(a, np.arctanh, AtanhBackward0)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


class FracBackward0(Node):
    """y = x - trunc(x): dy/dx = 1."""

    __slots__ = ()

    def backward(self, g):
        return (g,)


def frac(a):
    x = a._data
    if x.dtype.kind != "f":
        raise OpNotImplementedError(
            f"\"frac_cpu\" not implemented for '{a.dtype.torch_name}'", "frac"
        )
    res = x - np.trunc(x)
    if _rec(a):
        return out(res, FracBackward0(), (a,))
    return plain(res)


# ---------------------------------------------------------------------------------------------
# binary: atan2, hypot, fmod, lerp, fmax/fmin
# ---------------------------------------------------------------------------------------------
def _pair(a, b, floats=True):
    """``a`` and ``b`` as tensors of one dtype (a float dtype when ``floats``)."""
    if not isinstance(a, Tensor):
        a = to_tensor(a, b if isinstance(b, Tensor) else None)
    b = to_tensor(b, a)
    a, b = operands(a, b)
    if floats and a._data.dtype.kind != "f":
        a, b = _float(a), _float(b)
    return a, b


class _Binary(Node):
    """Gradients ``g * da(a, b)`` and ``g * db(a, b)``, summed back over broadcast axes."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        with np.errstate(all="ignore"):
            da, db = self.derivs(ad, bd)
            return (
                sum_to((g * da).astype(g.dtype, copy=False), ad.shape) if a is not None else None,
                sum_to((g * db).astype(g.dtype, copy=False), bd.shape) if b is not None else None,
            )


class Atan2Backward0(_Binary):
    """y = atan2(a, b): dy/da = b / (a^2 + b^2), dy/db = -a / (a^2 + b^2)."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        r = a * a + b * b
        return b / r, -a / r


class HypotBackward0(_Binary):
    """y = sqrt(a^2 + b^2): dy/da = a / y, dy/db = b / y."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        y = np.hypot(a, b)
        return a / y, b / y


class FmodBackward1(_Binary):
    """y = a - trunc(a / b) b: dy/da = 1, dy/db = -trunc(a / b)."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        return np.ones_like(a), -np.trunc(a / b)


class FmodBackward0(Node):
    """y = fmod(a, s) for a number s: dy/da = 1."""

    __slots__ = ()

    def backward(self, g):
        return (g,)


class FmaxBackward0(_Binary):
    """y = fmax(a, b) (nan loses): dy/da = 1 where a >= b or b is nan, else dy/db = 1."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        wa = (a >= b) | np.isnan(b)
        return wa, ~wa


class FminBackward0(_Binary):
    """y = fmin(a, b) (nan loses): dy/da = 1 where a <= b or b is nan, else dy/db = 1."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        wa = (a <= b) | np.isnan(b)
        return wa, ~wa


def atan2(a, b):
    if not isinstance(b, Tensor):
        raise TypeError(
            f"atan2(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}"
        )
    a, b = _pair(a, b)
    with np.errstate(all="ignore"):
        res = np.arctan2(a._data, b._data)
    return _record(res, Atan2Backward0, a, b)


arctan2 = atan2


def hypot(a, b):
    if not isinstance(b, Tensor):
        raise TypeError(
            f"hypot(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}"
        )
    a, b = _pair(a, b, floats=False)
    if a._data.dtype.kind != "f":
        raise OpNotImplementedError(
            f"\"hypot_cpu\" not implemented for '{a.dtype.torch_name}'", "hypot"
        )
    res = np.hypot(a._data, b._data)
    return _record(res, HypotBackward0, a, b)


def fmod(a, b):
    """Remainder with the sign of ``a`` (C's fmod; ``remainder`` follows ``b``)."""
    if isinstance(b, Tensor):
        a, b = _pair(a, b, floats=False)
        if a._data.dtype.kind != "f" and np.any(b._data == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(all="ignore"):
            res = np.fmod(a._data, b._data)
        return _record(res, FmodBackward1, a, b)
    a, b = operands(a, b)
    if a._data.dtype.kind != "f" and b == 0:
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(all="ignore"):
        res = np.asarray(np.fmod(a._data, b), dtype=a._data.dtype)
    if _rec(a):
        return out(res, FmodBackward0(), (a,))
    return plain(res)


def _fminmax(a, b, fn, node_cls):
    if not isinstance(b, Tensor):
        raise TypeError(f"{fn.__name__}(): argument 'other' must be Tensor, not {type(b).__name__}")
    a, b = _pair(a, b, floats=False)
    return _record(fn(a._data, b._data), node_cls, a, b)


def fmax(a, b):
    return _fminmax(a, b, np.fmax, FmaxBackward0)


def fmin(a, b):
    return _fminmax(a, b, np.fmin, FminBackward0)


class LerpBackward0(Node):
    """y = a + w (e - a) for a number w: dy/da = 1 - w, dy/de = w."""

    __slots__ = ()

    def backward(self, g):
        a, e = self.inputs
        sa, se, w = self.meta
        return (
            sum_to(g * (1 - w), sa) if a is not None else None,
            sum_to(g * w, se) if e is not None else None,
        )


class LerpBackward1(Node):
    """y = a + w (e - a): dy/da = 1 - w, dy/de = w, dy/dw = e - a."""

    __slots__ = ()

    def backward(self, g):
        a, e, w = self.inputs
        ad, ed, wd = self.saved
        return (
            sum_to(g * (1 - wd), ad.shape) if a is not None else None,
            sum_to(g * wd, ed.shape) if e is not None else None,
            sum_to(g * (ed - ad), wd.shape) if w is not None else None,
        )


def lerp(a, end, weight):
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' must be Tensor, not {type(end).__name__}")
    if a._data.dtype != end._data.dtype:
        raise RuntimeError(
            f"expected dtype {a.dtype} for `end` but got dtype {end.dtype}".replace(
                "d2lmods.", "torch."
            )
        )
    if a._data.dtype.kind != "f":
        raise OpNotImplementedError(
            f"\"lerp_kernel_scalar\" not implemented for '{a.dtype.torch_name}'", "lerp"
        )
    ad, ed = a._data, end._data
    if isinstance(weight, Tensor):
        wd = weight._data
        res = (ad + wd * (ed - ad)).astype(ad.dtype, copy=False)
        if STATE.enabled and (a._rg or end._rg or weight._rg):
            return out(
                res,
                LerpBackward1(),
                tuple(t if t._rg else None for t in (a, end, weight)),
                (ad, ed, wd),
                (ver(a), ver(end), ver(weight)),
            )
        return plain(res)
    res = np.asarray(ad + weight * (ed - ad), dtype=ad.dtype)
    if STATE.enabled and (a._rg or end._rg):
        return out(
            res,
            LerpBackward0(),
            (a if a._rg else None, end if end._rg else None),
            meta=(ad.shape, ed.shape, weight),
        )
    return plain(res)


class NanToNumBackward0(Node):
    """y = nan_to_num(x): dy/dx = 1 where x is finite, else 0."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * np.isfinite(x),)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    x = a._data
    if x.dtype.kind != "f":
        return plain(x.copy())
    res = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
    if _rec(a):
        return out(res, NanToNumBackward0(), (a,), (x,), (ver(a),))
    return plain(res)


# ---------------------------------------------------------------------------------------------
# cumprod
# ---------------------------------------------------------------------------------------------
class CumprodBackward0(Node):
    """y_j = prod_{k<=j} x_k: dL/dx_i = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k (no division, so
    zeros are fine)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        axis = self.meta
        if axis is None:
            return (g,)
        xm = np.moveaxis(x, axis, -1)
        gm = np.moveaxis(g, axis, -1)
        gx = np.empty_like(gm)
        for i in range(xm.shape[-1]):
            excl = xm.copy()
            excl[..., i] = 1
            cp = np.cumprod(excl, -1)
            gx[..., i] = (gm[..., i:] * cp[..., i:]).sum(-1)
        return (np.moveaxis(gx, -1, axis),)


def cumprod(a, dim, dtype=None):
    x = a._data if dtype is None else a._data.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind in "biu":
        x = x.astype(np.int64)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        axis = None
    with np.errstate(all="ignore"):
        res = np.cumprod(x, axis=axis).reshape(x.shape)
    if _rec(a):
        return out(res, CumprodBackward0(), (a,), (x,), (ver(a),), meta=axis)
    return plain(res)


# ---------------------------------------------------------------------------------------------
# sort, argsort, topk, kthvalue, median
# ---------------------------------------------------------------------------------------------
_SortRet = _named_return("sort")
_TopkRet = _named_return("topk")
_KthRet = _named_return("kthvalue")
_MedianRet = _named_return("median")


class _ScatterBackward(Node):
    """The values were taken at ``indices`` along an axis: the gradient goes back there."""

    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, axis, keepdim = self.meta
        if not shape:
            return (g.reshape(()),)
        gx = np.zeros(shape, dtype=g.dtype)
        i = idx if keepdim else np.expand_dims(idx, axis)
        gi = g if keepdim else np.expand_dims(g, axis)
        np.put_along_axis(gx, i, gi, axis)
        return (gx,)


class SortBackward0(_ScatterBackward):
    """v = sort(x): dL/dx[i_k] = dL/dv[k]."""

    __slots__ = ()


class TopkBackward0(_ScatterBackward):
    """v = topk(x): dL/dx[i_k] = dL/dv[k], zero elsewhere."""

    __slots__ = ()


class KthvalueBackward0(_ScatterBackward):
    """v = kthvalue(x): dL/dx[i] = dL/dv at the returned index."""

    __slots__ = ()


class MedianBackward1(_ScatterBackward):
    """v = median(x, dim): dL/dx[i] = dL/dv at the returned index."""

    __slots__ = ()


def _sort_key(x, descending):
    """Keys whose ascending stable order is x's order (nan counted as the largest)."""
    if descending:
        if x.dtype.kind == "b":
            return ~x
        if x.dtype.kind == "u":
            return np.iinfo(x.dtype).max - x
        if x.dtype.kind == "f":
            return np.where(np.isnan(x), -np.inf, -x)
        return -x.astype(np.int64) if x.dtype.itemsize < 8 else np.negative(x)
    return x


def _argsort(x, axis, descending):
    """Stable order of ``x`` along ``axis``; nan counts as the largest value, as in PyTorch."""
    return np.argsort(_sort_key(x, descending), axis=axis, kind="stable")


def _gathered(a, idx, axis, keepdim, node_cls, ret_cls):
    x = a._data
    vals = np.take_along_axis(x, idx, axis) if x.ndim else x.copy()
    if not keepdim and x.ndim:
        vals = np.squeeze(vals, axis)
        idx = np.squeeze(idx, axis)
    idx = idx.astype(np.int64)
    if _rec(a):
        v = out(vals, node_cls(), (a,), (idx,), meta=(x.shape, axis, keepdim))
    else:
        v = plain(vals)
    return ret_cls(v, plain(idx))


def sort(a, dim=-1, descending=False, stable=False):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    idx = _argsort(x, axis, descending) if x.ndim else np.zeros((), np.int64)
    return _gathered(a, idx, axis, True, SortBackward0, _SortRet)


def argsort(a, dim=-1, descending=False, stable=False):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        return plain(np.zeros((), np.int64))
    return plain(_argsort(x, axis, descending).astype(np.int64))


def topk(a, k, dim=-1, largest=True, sorted=True):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if not x.ndim:
        return _gathered(a, np.zeros((), np.int64), axis, True, TopkBackward0, _TopkRet)
    idx = np.take(_argsort(x, axis, largest), np.arange(k), axis=axis)
    return _gathered(a, idx, axis, True, TopkBackward0, _TopkRet)


def kthvalue(a, k, dim=-1, keepdim=False):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if not x.ndim:
        return _gathered(a, np.zeros((), np.int64), axis, True, KthvalueBackward0, _KthRet)
    idx = np.take(_argsort(x, axis, False), [k - 1], axis=axis)
    return _gathered(a, idx, axis, keepdim, KthvalueBackward0, _KthRet)


class MedianBackward0(Node):
    """v = median(x): dL/dx shared equally among the elements equal to v."""

    __slots__ = ()

    def backward(self, g):
        x, res = self.saved
        mask = np.isnan(x) if np.isnan(res) else x == res
        return (g * mask / max(int(mask.sum()), 1),)


def median(a, dim=None, keepdim=False):
    """The lower of the two middle values for an even count (PyTorch's median)."""
    x = a._data
    if dim is None:
        if x.size == 0:
            return plain(np.asarray(np.nan, dtype=x.dtype))
        flat = x.reshape(-1)
        res = np.asarray(flat[_argsort(flat, 0, False)[(flat.size - 1) // 2]])
        if x.dtype.kind == "f" and np.isnan(flat).any():  # nan propagates, as in PyTorch
            res = np.asarray(np.nan, dtype=x.dtype)
        if _rec(a):
            return out(res, MedianBackward0(), (a,), (x, res), (ver(a),))
        return plain(res)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        return _gathered(a, np.zeros((), np.int64), axis, True, MedianBackward1, _MedianRet)
    n = x.shape[axis]
    idx = np.take(_argsort(x, axis, False), [(n - 1) // 2], axis=axis)
    if x.dtype.kind == "f":  # a slice with nan: its median is nan, at its first nan
        nan = np.isnan(x)
        idx = np.where(nan.any(axis, keepdims=True), np.argmax(nan, axis=axis, keepdims=True), idx)
    return _gathered(a, idx, axis, keepdim, MedianBackward1, _MedianRet)


class Unique2Backward0(Node):
    """unique has no derivative: the values are recorded, backward through them raises."""

    __slots__ = ()
    op = "_unique2"

    def backward(self, g):
        raise OpNotImplementedError(f"the derivative for '{self.op}' is not implemented.", "unique")


class UniqueDimBackward0(Unique2Backward0):
    __slots__ = ()
    op = "unique_dim"


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = a._data
    if dim is None:
        vals, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        axis = norm_dim(dim, x.ndim)
        vals, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
        inv = inv.reshape(-1)
    if _rec(a):
        node = Unique2Backward0() if dim is None else UniqueDimBackward0()
        res = [out(vals, node, (a,))]
    else:
        res = [plain(vals)]
    if return_inverse:
        res.append(plain(inv.astype(np.int64)))
    if return_counts:
        res.append(plain(cnt.astype(np.int64)))
    return res[0] if len(res) == 1 else tuple(res)


# ---------------------------------------------------------------------------------------------
# diag, trace, einsum
# ---------------------------------------------------------------------------------------------
class DiagEmbedBackward0(Node):
    """y = diag(v, k) or diag_embed(v, k): dL/dv = the k-th diagonal of dL/dy (last two dims)."""

    __slots__ = ()

    def backward(self, g):
        return (np.diagonal(g, self.meta, -2, -1).copy(),)


class DiagonalBackward0_copy(Node):  # noqa: N801 (PyTorch's name)
    """y = diagonal(m, k): dL/dm = dL/dy placed on the k-th diagonal, zero elsewhere."""

    __slots__ = ()

    def backward(self, g):
        shape, k = self.meta
        gm = np.zeros(shape, dtype=g.dtype)
        r = np.arange(g.shape[0])
        rows, cols = (r, r + k) if k >= 0 else (r - k, r)
        gm[rows, cols] = g
        return (gm,)


def diag(a, diagonal=0):
    _need(diagonal, numbers.Integral, "diag", "diagonal", 2)
    x = a._data
    k = int(diagonal)
    if x.ndim == 1:
        res = np.diag(x, k)
        if _rec(a):
            return out(res, DiagEmbedBackward0(), (a,), meta=k)
        return plain(res)
    if x.ndim == 2:
        res = np.diagonal(x, k).copy()
        if _rec(a):
            return out(res, DiagonalBackward0_copy(), (a,), meta=(x.shape, k))
        return plain(res)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{x.ndim}D")


class TraceBackward0(Node):
    """y = sum_i m_ii: dy/dm = the identity matrix."""

    __slots__ = ()

    def backward(self, g):
        return (np.eye(*self.meta, dtype=g.dtype) * g,)


def trace(a):
    x = a._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype.kind == "b":
        raise OpNotImplementedError("\"trace\" not implemented for 'Bool'", "trace")
    res = np.asarray(np.trace(x), dtype=np.int64 if x.dtype.kind in "biu" else x.dtype)
    if _rec(a):
        return out(res, TraceBackward0(), (a,), meta=x.shape)
    return plain(res)


def _einsum_parse(eq, ndims):
    """``(input subscripts, output subscripts)`` with every ``...`` spelled out as letters the
    equation does not use (right-aligned: an operand's ``...`` names its leading dimensions)."""
    eq = eq.replace(" ", "")
    n = len(ndims)
    lhs, rhs = eq.split("->") if "->" in eq else (eq, None)
    ins = lhs.split(",")
    if len(ins) != n:
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if n > len(ins)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    if "." in eq:
        free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in eq]
        n_ell = 0
        for s, nd in zip(ins, ndims):
            if "..." in s:
                n_ell = max(n_ell, nd - (len(s) - 3))
        ell = "".join(free[:n_ell])
        ins = [
            s.replace("...", ell[n_ell - (nd - (len(s) - 3)) :]) if "..." in s else s
            for s, nd in zip(ins, ndims)
        ]
        rhs = None if rhs is None else rhs.replace("...", ell)
    else:
        ell = ""
    if rhs is None:
        letters = "".join(ins)
        rhs = ell + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        )
    return ins, rhs


class EinsumBackward0(Node):
    """y = einsum(s_1,...,s_n -> r): dL/dx_k = einsum(r, s_j (j != k) -> s_k) of dL/dy and the
    other operands, broadcast over letters only x_k has and placed on x_k's repeated-letter
    diagonals."""

    __slots__ = ()

    def backward(self, g):
        arrays = self.saved
        ins, rhs = self.meta
        sizes = {}
        for s, arr in zip(ins, arrays):
            sizes.update(zip(s, arr.shape))
        grads = []
        for k, (s, arr) in enumerate(zip(ins, arrays)):
            if self.inputs[k] is None:
                grads.append(None)
                continue
            others = [(ins[j], arrays[j]) for j in range(len(ins)) if j != k]
            have = set(rhs).union(*[set(o) for o, _ in others])
            target = "".join(dict.fromkeys(s))
            present = "".join(c for c in target if c in have)
            subs = ",".join([rhs] + [o for o, _ in others]) + "->" + present
            r = np.einsum(subs, g, *[o for _, o in others])
            for i, c in enumerate(target):
                if c not in have:
                    r = np.expand_dims(r, i)
            r = np.broadcast_to(r, tuple(sizes[c] for c in target))
            if len(target) == len(s):
                gk = np.einsum(f"{target}->{s}", r) if target != s else np.array(r)
            else:
                gk = np.zeros(arr.shape, dtype=g.dtype)
                np.einsum(f"{s}->{target}", gk)[...] = r
            grads.append(gk.astype(g.dtype, copy=False))
        return tuple(grads)


def einsum(equation, *operands_):
    """``np.einsum`` on the tensors' arrays (``...`` stands for the same dimensions everywhere)."""
    _need(equation, str, "einsum", "equation", 1)
    if len(operands_) == 1 and isinstance(operands_[0], (list, tuple)):
        operands_ = tuple(operands_[0])
    for i, t in enumerate(operands_):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type(t).__name__}"
            )
    ts = list(operands_)
    ins, rhs = _einsum_parse(equation, [t._data.ndim for t in ts])
    for s, t in zip(ins, ts):
        if len(s) != t._data.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match "
                f"the number of dimensions ({t._data.ndim}) for operand {ts.index(t)} and no "
                "ellipsis was given"
            )
    seen = {}
    for k, (s, t) in enumerate(zip(ins, ts)):
        for c, n in zip(s, t._data.shape):
            if seen.setdefault(c, n) != n and n != 1 and seen[c] != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen[c]}"
                )
    for c in rhs:
        if c not in seen:
            raise RuntimeError(
                f"einsum(): output subscript {c} does not appear in the equation for any input "
                "operand"
            )
    arrays = tuple(t._data for t in ts)
    res = np.asarray(np.einsum(",".join(ins) + "->" + rhs, *arrays))
    if STATE.enabled and any(t._rg for t in ts):
        return out(
            res,
            EinsumBackward0(),
            tuple(t if t._rg else None for t in ts),
            arrays,
            tuple(ver(t) for t in ts),
            meta=(ins, rhs),
        )
    return plain(res)


# ---------------------------------------------------------------------------------------------
# nonzero, meshgrid, broadcast_tensors, repeat_interleave, diff, take, select
# ---------------------------------------------------------------------------------------------
def nonzero(a, *, as_tuple=False):
    _need(a, Tensor, "nonzero", "input", 1)
    x = a._data
    if as_tuple:
        if not x.ndim:
            return (plain(np.zeros(int(bool(x)), np.int64)),)
        return tuple(plain(i.astype(np.int64)) for i in np.nonzero(x))
    return plain(np.argwhere(x).astype(np.int64))


def argwhere(a):
    return plain(np.argwhere(a._data).astype(np.int64))


def meshgrid(*tensors, indexing=None):
    from .shape import expand, reshape

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{t._data.ndim}D"
            )
    sizes = [int(t._data.size) for t in tensors]
    n = len(tensors)
    swap = indexing == "xy" and n >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    res = []
    for i, t in enumerate(tensors):
        pos = i
        if swap and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = -1
        res.append(expand(reshape(t, *shape), *sizes))
    return tuple(res)


def broadcast_tensors(*tensors):
    from .shape import expand

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise broadcast_error(shape, t._data.shape, "broadcast_tensors") from None
    return tuple(t if t._data.shape == shape else expand(t, *shape) for t in tensors)


def repeat_interleave(a, repeats=None, dim=None, *, output_size=None):
    from .indexing import index_select
    from .shape import reshape

    if not isinstance(a, Tensor):
        raise TypeError("repeat_interleave(): argument 'input' must be Tensor")
    if repeats is None:  # repeat_interleave(counts): indices repeated
        r = a._data
        return plain(np.repeat(np.arange(r.size, dtype=np.int64), r))
    if dim is None:
        a = reshape(a, -1)
        dim = 0
    axis = norm_dim(dim, a._data.ndim)
    n = a._data.shape[axis] if a._data.ndim else 1
    r = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if r.ndim and r.size not in (1, n):
        raise RuntimeError(
            "repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{r.size} and input.size(0) = {n}"
        )
    if np.any(r < 0):
        raise RuntimeError("repeats can not be negative")
    idx = np.repeat(np.arange(n, dtype=np.int64), np.broadcast_to(r.reshape(-1), (n,)))
    if not a._data.ndim:
        a = reshape(a, 1)
    return index_select(a, axis, plain(idx))


def diff(a, n=1, dim=-1, prepend=None, append=None):
    from .elementwise import logical_xor, sub
    from .shape import cat, narrow

    if not a._data.ndim:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    parts = [t for t in (prepend, a, append) if t is not None]
    if len(parts) > 1:
        a = cat(parts, dim)
    axis = norm_dim(dim, a._data.ndim)
    for _ in range(n):
        m = a._data.shape[axis]
        if m == 0:
            break
        hi, lo = narrow(a, axis, 1, m - 1), narrow(a, axis, 0, m - 1)
        a = logical_xor(hi, lo) if a._data.dtype.kind == "b" else sub(hi, lo)
    return a


class TakeBackward0(Node):
    """y = x.flatten()[i]: dL/dx = dL/dy added at the flat indices i."""

    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        gx = np.zeros(int(np.prod(self.meta)), dtype=g.dtype)
        np.add.at(gx, idx.reshape(-1), g.reshape(-1))
        return (gx.reshape(self.meta),)


def take(a, index):
    _need(index, Tensor, "take", "index", 2)
    x = a._data
    i = index._data if isinstance(index, Tensor) else np.asarray(index)
    if i.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype}")
    if x.size == 0 or np.any((i >= x.size) | (i < -x.size)):
        raise IndexError(
            f"out of range: tried to access index {int(i.max())} on a tensor of {x.size} elements."
        )
    i = np.where(i < 0, i + x.size, i).astype(np.int64)
    res = x.reshape(-1)[i]
    if _rec(a):
        return out(res, TakeBackward0(), (a,), (i,), meta=x.shape)
    return plain(res)


def select(a, dim, index):
    _need(index, numbers.Integral, "select", "index", 3)
    x = a._data
    if not x.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = norm_dim(dim, x.ndim)
    n = x.shape[axis]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(x.shape)} at "
            f"dimension {dim}"
        )
    key = (slice(None),) * axis + (int(index),)
    return a[key]


# ---------------------------------------------------------------------------------------------
# std_mean, var_mean
# ---------------------------------------------------------------------------------------------
class _SpreadMeanBackward(Node):
    """(s, m) = (std or var, mean) of x: d var/dx = 2 (x - m) / (n - c), d std/dx = (x - m) /
    ((n - c) s), d mean/dx = 1 / n, each spread over the reduced dims."""

    __slots__ = ()
    n_outputs = 2

    def backward(self, g):
        from .reductions import _expand_back, _unreduce

        x, s = self.saved
        shape, axes, keepdim, n, corr = self.meta
        gs, gm = (g.get(0), g.get(1)) if isinstance(g, dict) else (g, None)
        mu = x.mean(axis=axes, keepdims=True)
        total = np.zeros(shape, dtype=x.dtype)
        with np.errstate(all="ignore"):
            if gs is not None:
                gg = _expand_back(gs, shape, axes, keepdim)
                if self.std:
                    gg = gg / _unreduce(s, x.ndim, axes, keepdim)
                    total = total + gg * (x - mu) / np.float64(n - corr)
                else:
                    total = total + gg * (2.0 / np.float64(n - corr)) * (x - mu)
            if gm is not None:
                total = total + _expand_back(gm, shape, axes, keepdim) / n
        return (total.astype(x.dtype, copy=False),)


class StdMeanBackward0(_SpreadMeanBackward):
    __slots__ = ()
    std = True


class VarMeanBackward0(_SpreadMeanBackward):
    __slots__ = ()
    std = False


def _spread_mean(a, dim, unbiased, keepdim, correction, name, node_cls):
    from .reductions import _spread, _var_args

    x, axes, n, corr, keepdim = _var_args(a, dim, unbiased, keepdim, correction)
    s = _spread(x, name, axes, n, corr, keepdim)
    m = np.asarray(x.mean(axis=axes, keepdims=keepdim), dtype=x.dtype)
    if _rec(a):
        node = node_cls()
        st = out(s, node, (a,), (x, s), (ver(a),), meta=(x.shape, axes, keepdim, n, corr))
        return st, wrap(m, node, True, out_nr=1)
    return plain(s), plain(m)


def std_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread_mean(a, dim, unbiased, keepdim, correction, "std", StdMeanBackward0)


def var_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread_mean(a, dim, unbiased, keepdim, correction, "var", VarMeanBackward0)


# ---------------------------------------------------------------------------------------------
# cross, dist, addmm, baddbmm
# ---------------------------------------------------------------------------------------------
class LinalgCrossBackward0(Node):
    """y = a x b: dL/da = b x g, dL/db = g x a."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        axis = self.meta
        return (
            sum_to(np.cross(bd, g, axis=axis), ad.shape) if a is not None else None,
            sum_to(np.cross(g, ad, axis=axis), bd.shape) if b is not None else None,
        )


def cross(a, b, dim=None):
    a, b = _pair(a, b, floats=False)
    try:
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape, "cross") from None
    if dim is None:
        # torch's deprecated default: the first dimension of size 3
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass "
            "the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will "
            "change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    axis = norm_dim(dim, len(shape))
    if shape[axis] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{a._data.shape[axis] if a._data.ndim > axis else 1} and "
            f"{b._data.shape[axis] if b._data.ndim > axis else 1}"
        )
    ad, bd = np.broadcast_to(a._data, shape), np.broadcast_to(b._data, shape)
    res = np.cross(ad, bd, axis=axis)
    if STATE.enabled and (a._rg or b._rg):
        return out(
            res,
            LinalgCrossBackward0(),
            (a if a._rg else None, b if b._rg else None),
            (a._data, b._data),
            (ver(a), ver(b)),
            meta=axis,
        )
    return plain(res)


class DistBackward0(Node):
    """y = ||a - b||_p: dy/da = sign(d) |d|^(p-1) / y^(p-1), dy/db = -dy/da (d = a - b)."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd, y = self.saved
        p = self.meta
        d = ad - bd
        with np.errstate(all="ignore"):
            if p == 2:
                gd = np.where(y == 0, 0, d / y)
            elif p == 1:
                gd = np.sign(d)
            elif np.isinf(p):
                m = np.abs(d) == y
                gd = np.sign(d) * m / max(int(m.sum()), 1)
            else:
                gd = np.where(y == 0, 0, np.sign(d) * np.abs(d) ** (p - 1) / y ** (p - 1))
        gd = (g * gd).astype(g.dtype, copy=False)
        return (
            sum_to(gd, ad.shape) if a is not None else None,
            sum_to(-gd, bd.shape) if b is not None else None,
        )


def dist(a, b, p=2):
    a, b = _pair(a, b, floats=False)
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            "norm(): input dtype should be either floating point or complex. Got "
            f"{a.dtype.torch_name} instead."
        )
    d = np.abs(a._data - b._data)
    if np.isinf(p):
        y = d.max() if p > 0 else d.min()
    elif p == 0:
        y = (d != 0).sum()
    else:
        y = (d**p).sum() ** (1 / p)
    res = np.asarray(y, dtype=a._data.dtype)
    if STATE.enabled and (a._rg or b._rg):
        return out(
            res,
            DistBackward0(),
            (a if a._rg else None, b if b._rg else None),
            (a._data, b._data, res),
            (ver(a), ver(b)),
            meta=p,
        )
    return plain(res)


class AddmmBackward0(Node):
    """y = beta c + alpha a @ b: dL/dc = beta g, dL/da = alpha g b^T, dL/db = alpha a^T g."""

    __slots__ = ()

    def backward(self, g):
        c, a, b = self.inputs
        ad, bd = self.saved
        cshape, beta, alpha = self.meta
        bt = np.swapaxes(bd, -1, -2)
        at = np.swapaxes(ad, -1, -2)
        return (
            sum_to(g * beta, cshape) if c is not None else None,
            (alpha * (g @ bt)).astype(g.dtype, copy=False) if a is not None else None,
            (alpha * (at @ g)).astype(g.dtype, copy=False) if b is not None else None,
        )


class BaddbmmBackward0(AddmmBackward0):
    __slots__ = ()


def _addmm(c, a, b, beta, alpha, nd, name, node_cls):
    for t, what in ((a, "mat1" if nd == 2 else "batch1"), (b, "mat2" if nd == 2 else "batch2")):
        if t._data.ndim != nd:
            # torch: IndexError for baddbmm (from indexing dim 2), RuntimeError for addmm
            raise (IndexError if nd == 3 else RuntimeError)(f"{what} must be a {nd}D tensor")
    if a._data.shape[-1] != b._data.shape[-2] or (nd == 3 and a._data.shape[0] != b._data.shape[0]):
        raise RuntimeError(
            f"{name}: shapes {list(a._data.shape)} and {list(b._data.shape)} cannot be multiplied"
        )
    if not (c._data.dtype == a._data.dtype == b._data.dtype):
        raise RuntimeError("expected m1 and m2 to have the same dtype")
    prod = a._data @ b._data
    try:
        np.broadcast_shapes(c._data.shape, prod.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: the input of shape {list(c._data.shape)} does not broadcast to the "
            f"product's shape {list(prod.shape)}"
        ) from None
    base = c._data * beta if beta != 0 else np.zeros_like(c._data)
    res = np.asarray(base + alpha * prod, dtype=prod.dtype)
    res = np.broadcast_to(res, prod.shape).copy()
    if STATE.enabled and (c._rg or a._rg or b._rg):
        return out(
            res,
            node_cls(),
            tuple(t if t._rg else None for t in (c, a, b)),
            (a._data, b._data),
            (ver(a), ver(b)),
            meta=(c._data.shape, beta, alpha),
        )
    return plain(res)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _addmm(input, mat1, mat2, beta, alpha, 2, "addmm", AddmmBackward0)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _addmm(input, batch1, batch2, beta, alpha, 3, "baddbmm", BaddbmmBackward0)


# ---------------------------------------------------------------------------------------------
# bincount, searchsorted, bucketize (integer results, no gradient)
# ---------------------------------------------------------------------------------------------
def bincount(a, weights=None, minlength=0):
    x = a._data
    if x.dtype.kind not in "biu":
        raise OpNotImplementedError(
            f"\"bincount_cpu\" not implemented for '{a.dtype.torch_name}'", "bincount"
        )
    if x.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return plain(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    res = np.bincount(x, weights=w, minlength=minlength)
    return plain(res.astype(w.dtype if w.dtype.kind == "f" and w.itemsize >= 4 else np.float64))


def as_tensor_data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    s = sorted_sequence._data
    scalar = not isinstance(values, Tensor)
    v = np.asarray(values) if scalar else values._data
    if side is not None:
        right = side == "right"
    how = "right" if right else "left"
    if s.ndim <= 1:
        order = None if sorter is None else np.asarray(as_tensor_data(sorter), dtype=np.int64)
        res = np.searchsorted(s, v, side=how, sorter=order)
    else:
        if s.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match"
            )
        flat_s = s.reshape(-1, s.shape[-1])
        flat_v = v.reshape(-1, v.shape[-1])
        res = np.stack([np.searchsorted(r, q, side=how) for r, q in zip(flat_s, flat_v)])
        res = res.reshape(v.shape)
    return plain(np.asarray(res, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    b = boundaries._data
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    v = input._data if isinstance(input, Tensor) else np.asarray(input)
    res = np.searchsorted(b, v, side="right" if right else "left")
    return plain(np.asarray(res, dtype=np.int32 if out_int32 else np.int64))


# ---------------------------------------------------------------------------------------------
# finfo, iinfo, promote_types, result_type, can_cast
# ---------------------------------------------------------------------------------------------
class finfo:  # noqa: N801 (PyTorch's name)
    """Limits of a floating-point dtype: ``bits eps max min tiny smallest_normal resolution``."""

    def __init__(self, type=None):
        if type is not None:
            _need(type, _dt.dtype, "finfo", "type", 1)
        d = _dt.get_default_dtype() if type is None else type
        if not d.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use "
                "torch.iinfo to handle 'torch.finfo'"
            )
        i = np.finfo(d.np)
        self.dtype = d.name
        self.bits = int(i.bits)
        self.eps = float(i.eps)
        self.max = float(i.max)
        self.min = float(i.min)
        self.tiny = self.smallest_normal = float(i.smallest_normal)
        self.resolution = 10.0 ** -int(i.precision)

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 (PyTorch's name)
    """Limits of an integer dtype: ``bits max min``."""

    def __init__(self, type):
        _need(type, _dt.dtype, "iinfo", "type", 1)
        d = type
        if d.is_floating_point:
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to "
                "handle 'torch.iinfo'"
            )
        if d is _dt.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        i = np.iinfo(d.np)
        self.bits, self.min, self.max = int(i.bits), int(i.min), int(i.max)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1, type2):
    a, b = _dt.as_dtype(type1), _dt.as_dtype(type2)
    if {a, b} == {_dt.uint8, _dt.int8}:
        return _dt.int16
    if a.np.kind == "u" and b.np.kind == "i":
        return b
    if b.np.kind == "u" and a.np.kind == "i":
        return a
    return _dt.result_type(a, b)


def _category(d):
    return {"b": 0, "u": 1, "i": 1, "f": 2}[d.np.kind]


def result_type(tensor1, tensor2):
    """The dtype of ``tensor1 op tensor2`` (tensors or Python numbers), PyTorch's rules: dimensioned
    tensors decide over 0-dim ones, which decide over numbers, unless the lower-priority operand
    is of a higher category (bool < int < float)."""
    levels = [None, None, None]  # numbers, 0-dim tensors, dimensioned tensors
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            d, lvl = x.dtype, 2 if x._data.ndim else 1
        elif isinstance(x, bool):
            d, lvl = _dt.bool, 0
        elif isinstance(x, numbers.Integral):
            d, lvl = _dt.int64, 0
        elif isinstance(x, numbers.Real):
            d, lvl = _dt.get_default_dtype(), 0
        else:
            raise TypeError(f"result_type(): unsupported argument type {type(x).__name__}")
        levels[lvl] = d if levels[lvl] is None else promote_types(levels[lvl], d)
    res = None
    for d in reversed(levels):
        if d is not None and (res is None or _category(d) > _category(res)):
            res = d
    return res


def can_cast(from_, to):
    a, b = _dt.as_dtype(from_), _dt.as_dtype(to)
    return _category(a) <= _category(b) and not (a.np.kind != "b" and b is _dt.bool)


# ---------------------------------------------------------------------------------------------
# rot90, kron, tensordot, cdist
# ---------------------------------------------------------------------------------------------
class Rot90Backward0(Node):
    """y = rot90(x, k, dims): dL/dx = rot90(dL/dy, -k, dims)."""

    __slots__ = ()

    def backward(self, g):
        k, dims = self.meta
        return (np.rot90(g, -k, axes=dims).copy(),)


def rot90(a, k=1, dims=(0, 1)):
    x = a._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = norm_dim(dims[0], x.ndim), norm_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = int(k) % 4
    res = np.rot90(x, k, axes=(d0, d1)).copy()
    if _rec(a):
        return out(res, Rot90Backward0(), (a,), meta=(k, (d0, d1)))
    return plain(res)


class KronBackward0(Node):
    """y[i p + k, j q + l] = a[i, j] b[k, l] (any rank): dL/da = sum_kl g b, dL/db = sum_ij g a,
    with g seen as the interleaved array g[i, k, j, l]."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        n = ad.ndim
        gi = g.reshape(tuple(s for pair in zip(ad.shape, bd.shape) for s in pair))
        la = [chr(97 + 2 * i) for i in range(n)]
        lb = [chr(98 + 2 * i) for i in range(n)]
        lg = "".join(c for pair in zip(la, lb) for c in pair)
        sa, sb = "".join(la), "".join(lb)
        shape_a, shape_b = self.meta
        return (
            np.einsum(f"{lg},{sb}->{sa}", gi, bd).reshape(shape_a) if a is not None else None,
            np.einsum(f"{lg},{sa}->{sb}", gi, ad).reshape(shape_b) if b is not None else None,
        )


def kron(a, b):
    a, b = _pair(a, b, floats=False)
    n = max(a._data.ndim, b._data.ndim)
    ad = a._data.reshape((1,) * (n - a._data.ndim) + a._data.shape)
    bd = b._data.reshape((1,) * (n - b._data.ndim) + b._data.shape)
    res = np.kron(ad, bd)
    if STATE.enabled and (a._rg or b._rg):
        node = KronBackward0()
        t = out(res, node, (a if a._rg else None, b if b._rg else None), (ad, bd), (ver(a), ver(b)))
        node.meta = (a._data.shape, b._data.shape)
        return t
    return plain(res)


def tensordot(a, b, dims=2):
    """``sum`` over ``dims`` pairs of axes of ``a`` and ``b`` (an int: the last/first ``dims``)."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, numbers.Integral) else list(da)
        db = [db] if isinstance(db, numbers.Integral) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [norm_dim(d, na) for d in da]
    db = [norm_dim(d, nb) for d in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} "
                f"in dim {i} and second has size {b._data.shape[j]} in dim {j}"
            )
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    rhs = [c for k, c in enumerate(sa) if k not in da] + [
        c for k, c in enumerate(sb) if k not in db
    ]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(rhs), a, b)


class CdistBackward0(Node):
    """y_ij = ||a_i - b_j||_p: dy_ij/da_i = sign(d) |d|^(p-1) / y_ij^(p-1) (d = a_i - b_j),
    dy_ij/db_j = -dy_ij/da_i."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd, y = self.saved
        p = self.meta
        d = ad[..., :, None, :] - bd[..., None, :, :]
        yy = y[..., None]
        with np.errstate(all="ignore"):
            if p == 0:
                w = np.zeros_like(d)
            elif np.isinf(p):
                w = np.sign(d) * (np.abs(d) == yy)
            elif p == 1:
                w = np.sign(d)
            elif p == 2:
                w = np.where(yy == 0, 0, d / yy)
            else:
                w = np.where(yy == 0, 0, np.sign(d) * np.abs(d) ** (p - 1) / yy ** (p - 1))
        gw = g[..., None] * w
        return (
            sum_to(gw.sum(-2).astype(g.dtype, copy=False), ad.shape) if a is not None else None,
            sum_to(-gw.sum(-3).astype(g.dtype, copy=False), bd.shape) if b is not None else None,
        )


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M)."""
    a, b = x1, x2
    if a._data.dtype.kind != "f" or b._data.dtype.kind != "f":
        raise RuntimeError(
            f"cdist only supports floating-point dtypes, X1 got: {a.dtype.torch_name}"
        )
    if a._data.ndim < 2 or b._data.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {a._data.ndim}D"
            if a._data.ndim < 2
            else f"cdist only supports at least 2D tensors, X2 got: {b._data.ndim}D"
        )
    if a._data.shape[-1] != b._data.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {a._data.shape[-1]} "
            f"X2: {b._data.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    a, b = operands(a, b)
    ad, bd = a._data, b._data
    d = np.abs(ad[..., :, None, :] - bd[..., None, :, :])
    if p == 0:
        res = (d != 0).sum(-1).astype(ad.dtype)
    elif np.isinf(p):
        res = d.max(-1, initial=0).astype(ad.dtype)
    elif p == 2:
        res = np.sqrt((d * d).sum(-1)).astype(ad.dtype)
    else:
        res = ((d**p).sum(-1) ** (1 / p)).astype(ad.dtype)
    if STATE.enabled and (a._rg or b._rg):
        return out(
            res,
            CdistBackward0(),
            (a if a._rg else None, b if b._rg else None),
            (ad, bd, res),
            (ver(a), ver(b)),
            meta=p,
        )
    return plain(res)


# ---------------------------------------------------------------------------------------------
# logaddexp, xlogy, addcmul, addcdiv, nansum, nanmean, and small aliases
# ---------------------------------------------------------------------------------------------
class LogaddexpBackward0(_Binary):
    """y = log(e^a + e^b): dy/da = e^(a - y), dy/db = e^(b - y)."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        y = np.logaddexp(a, b)
        return np.exp(a - y), np.exp(b - y)


def logaddexp(a, b):
    _need(b, Tensor, "logaddexp", "other", 2)
    a, b = _pair(a, b)
    with np.errstate(all="ignore"):
        res = np.logaddexp(a._data, b._data)
    return _record(res, LogaddexpBackward0, a, b)


def _xlogy(x, y):
    with np.errstate(all="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y)).astype(np.result_type(x, y))


class XlogyBackward0(_Binary):
    """z = a log(b) (0 where a = 0): dz/da = log(b), dz/db = a / b (PyTorch's formulas)."""

    __slots__ = ()

    @staticmethod
    def derivs(a, b):
        return np.log(b), a / b


class XlogyBackward1(Node):
    """z = s log(b) for a number s: dz/db = s / b."""

    __slots__ = ()

    def backward(self, g):
        (b,) = self.saved
        with np.errstate(all="ignore"):
            return ((g * (self.meta / b)).astype(g.dtype, copy=False),)


class XlogyBackward2(Node):
    """z = a log(s) for a number s: dz/da = log(s)."""

    __slots__ = ()

    def backward(self, g):
        with np.errstate(all="ignore"):
            return ((g * np.log(np.asarray(self.meta, g.dtype))).astype(g.dtype, copy=False),)


def xlogy(a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = _pair(a, b)
        return _record(_xlogy(a._data, b._data), XlogyBackward0, a, b)
    if isinstance(b, Tensor):  # a number times log(tensor)
        b = _float(b)
        res = _xlogy(np.asarray(a, b._data.dtype), b._data)
        if _rec(b):
            return out(res, XlogyBackward1(), (b,), (b._data,), (ver(b),), meta=a)
        return plain(res)
    a = _float(a)
    res = _xlogy(a._data, np.asarray(b, a._data.dtype))
    if _rec(a):
        return out(res, XlogyBackward2(), (a,), meta=b)
    return plain(res)


class AddcmulBackward0(Node):
    """y = x + v t1 t2: dy/dx = 1, dy/dt1 = v t2, dy/dt2 = v t1."""

    __slots__ = ()

    def backward(self, g):
        x, t1, t2 = self.inputs
        d1, d2 = self.saved
        sx, v = self.meta
        return (
            sum_to(g, sx) if x is not None else None,
            sum_to(g * (v * d2), d1.shape) if t1 is not None else None,
            sum_to(g * (v * d1), d2.shape) if t2 is not None else None,
        )


class AddcdivBackward0(Node):
    """y = x + v t1 / t2: dy/dx = 1, dy/dt1 = v / t2, dy/dt2 = -v t1 / t2^2."""

    __slots__ = ()

    def backward(self, g):
        x, t1, t2 = self.inputs
        d1, d2 = self.saved
        sx, v = self.meta
        with np.errstate(all="ignore"):
            return (
                sum_to(g, sx) if x is not None else None,
                sum_to(g * (v / d2), d1.shape) if t1 is not None else None,
                sum_to(g * (-v * d1 / (d2 * d2)), d2.shape) if t2 is not None else None,
            )


def _addc(x, t1, t2, value, fn, node_cls, name):
    for t, arg, pos in ((x, "input", 1), (t1, "tensor1", 2), (t2, "tensor2", 3)):
        _need(t, Tensor, name, arg, pos)
    if name == "addcdiv" and t1._data.dtype.kind != "f" and t2._data.dtype.kind != "f":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    shape = ()
    for t in (x, t1, t2):
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise broadcast_error(shape, t._data.shape, name) from None
    with np.errstate(all="ignore"):
        res = np.broadcast_to(x._data + value * fn(t1._data, t2._data), shape).astype(x._data.dtype)
    if STATE.enabled and (x._rg or t1._rg or t2._rg):
        return out(
            res,
            node_cls(),
            tuple(t if t._rg else None for t in (x, t1, t2)),
            (t1._data, t2._data),
            (ver(t1), ver(t2)),
            meta=(x._data.shape, value),
        )
    return plain(res)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _addc(input, tensor1, tensor2, value, np.multiply, AddcmulBackward0, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _addc(input, tensor1, tensor2, value, np.divide, AddcdivBackward0, "addcdiv")


class NansumBackward0(Node):
    """y = sum of the non-nan x: dy/dx = 1 where x is not nan, else 0."""

    __slots__ = ()

    def backward(self, g):
        from .reductions import _expand_back

        (x,) = self.saved
        axes, keepdim = self.meta
        return (_expand_back(g, x.shape, axes, keepdim) * ~np.isnan(x),)


def nansum(a, dim=None, keepdim=False, *, dtype=None):
    from ._util import norm_dims

    x = a._data if dtype is None else a._data.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind in "biu":
        x = x.astype(np.int64)
    axes = norm_dims(dim, x.ndim)
    res = np.asarray(np.nansum(x, axis=axes, keepdims=keepdim), dtype=x.dtype)
    if _rec(a):
        return out(res, NansumBackward0(), (a,), (x,), (ver(a),), meta=(axes, keepdim))
    return plain(res)


def nanmean(a, dim=None, keepdim=False, *, dtype=None):
    from ._util import norm_dims
    from .elementwise import div

    if a._data.dtype.kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{a.dtype.torch_name}"
        )
    axes = norm_dims(dim, a._data.ndim)
    cnt = (~np.isnan(a._data)).sum(axis=axes, keepdims=keepdim)
    return div(nansum(a, dim, keepdim, dtype=dtype), plain(np.asarray(cnt)))


def msort(a):
    return sort(a, 0).values


def ravel(a):
    from .shape import reshape

    return reshape(a, -1)


def swapdims(a, dim0, dim1):
    from .shape import transpose

    return transpose(a, dim0, dim1)


def moveaxis(a, source, destination):
    from .shape import movedim

    return movedim(a, source, destination)


def _tri_indices(fn, row, col, offset, dtype):
    r, c = fn(row, offset, col)
    d = np.int64 if dtype is None else _dt.as_dtype(dtype).np
    return plain(np.stack([r, c]).astype(d).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices(np.triu_indices, row, col, offset, dtype)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return plain(np.isin(e, t, invert=invert))


# ---------------------------------------------------------------------------------------------
# deg2rad, rad2deg, logit, sinc, sgn, clamp_min/clamp_max, cummax/cummin, logcumsumexp,
# diag_embed
# ---------------------------------------------------------------------------------------------
class Deg2RadBackward0(_Unary):
    """y = x pi / 180: dy/dx = pi / 180."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return np.asarray(np.pi / 180, x.dtype)


class Rad2DegBackward0(_Unary):
    """y = x 180 / pi: dy/dx = 180 / pi."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return np.asarray(180 / np.pi, x.dtype)


def deg2rad(a):
    return _unary(a, np.deg2rad, Deg2RadBackward0)


def rad2deg(a):
    return _unary(a, np.rad2deg, Rad2DegBackward0)


class SincBackward0(_Unary):
    """y = sin(pi x) / (pi x): dy/dx = (cos(pi x) - y) / x (0 at x = 0)."""

    __slots__ = ()

    @staticmethod
    def deriv(x):
        return np.where(x == 0, 0, (np.cos(np.pi * x) - np.sinc(x)) / np.where(x == 0, 1, x))


def sinc(a):
    return _unary(a, np.sinc, SincBackward0)


class LogitBackward0(Node):
    """y = log(x / (1 - x)) (x clamped to [eps, 1 - eps]): dy/dx = 1 / (x (1 - x)), 0 outside
    the clamp range."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        eps = self.meta
        with np.errstate(all="ignore"):
            d = g / (x * (1 - x))
            if eps is not None:
                d = np.where((x < eps) | (x > 1 - eps), 0, d)
        return (d.astype(g.dtype, copy=False),)


def logit(a, eps=None):
    a = _float(a)
    x = a._data
    z = x if eps is None else np.clip(x, eps, 1 - eps)
    with np.errstate(all="ignore"):
        res = np.log(z / (1 - z)).astype(x.dtype, copy=False)
    if _rec(a):
        return out(res, LogitBackward0(), (a,), (x,), (ver(a),), meta=eps)
    return plain(res)


class SgnBackward0(Node):
    """y = sgn(x): dy/dx = 0."""

    __slots__ = ()

    def backward(self, g):
        return (np.zeros_like(g),)


def sgn(a):
    res = a._data.copy() if a._data.dtype.kind == "b" else np.sign(a._data)
    if _rec(a):
        return out(res, SgnBackward0(), (a,))
    return plain(res)


class ClampMinBackward0(Node):
    """y = max(x, m): dy/dx = 1 where x >= m, else 0."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * self.keep(x, self.meta),)

    @staticmethod
    def keep(x, m):
        return x >= m


class ClampMaxBackward0(ClampMinBackward0):
    """y = min(x, m): dy/dx = 1 where x <= m, else 0."""

    __slots__ = ()

    @staticmethod
    def keep(x, m):
        return x <= m


def _clamp_one(a, m, fn, node_cls, name):
    from .elementwise import clamp

    if isinstance(m, Tensor):
        return clamp(a, **{name: m})
    if not isinstance(m, numbers.Number):
        raise TypeError(f"clamp_{name}(): argument '{name}' must be Number, not {type(m).__name__}")
    x = a._data
    dt = x.dtype if x.dtype.kind == "f" or isinstance(m, numbers.Integral) else None
    if dt is None:
        x = x.astype(_dt.get_default_dtype().np)
    res = fn(x, np.asarray(m, x.dtype))
    if _rec(a):
        return out(res, node_cls(), (a,), (a._data,), (ver(a),), meta=m)
    return plain(res)


def clamp_min(a, min):
    return _clamp_one(a, min, np.maximum, ClampMinBackward0, "min")


def clamp_max(a, max):
    return _clamp_one(a, max, np.minimum, ClampMaxBackward0, "max")


_CummaxRet = _named_return("cummax")
_CumminRet = _named_return("cummin")


class CummaxBackward0(Node):
    """v_j = max_{k<=j} x_k, reached at i_j: dL/dx_k = sum of dL/dv_j over the j with i_j = k."""

    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, axis = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        if not shape:
            return (g,)
        # scatter-add along the axis
        gm, im, xm = np.moveaxis(g, axis, -1), np.moveaxis(idx, axis, -1), np.moveaxis(gx, axis, -1)
        lead = np.indices(im.shape[:-1])
        for j in range(im.shape[-1]):
            np.add.at(xm, (*lead, im[..., j]), gm[..., j])
        return (gx,)


class CumminBackward0(CummaxBackward0):
    __slots__ = ()


def _cumext(a, dim, better, node_cls, ret_cls):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        idx = np.zeros((), np.int64)
        vals = x.copy()
    else:
        xm = np.moveaxis(x, axis, -1)
        vals = np.empty_like(xm)
        idx = np.empty(xm.shape, np.int64)
        if xm.shape[-1]:
            cur, ci = xm[..., 0].copy(), np.zeros(xm.shape[:-1], np.int64)
            for j in range(xm.shape[-1]):
                v = xm[..., j]
                # ties move the index forward, nan sticks (as in PyTorch)
                take = (
                    better(v, cur) | (v == cur) | np.isnan(v)
                    if x.dtype.kind == "f"
                    else (better(v, cur) | (v == cur))
                )
                if x.dtype.kind == "f":
                    take &= ~np.isnan(cur) | np.isnan(v)
                cur = np.where(take, v, cur)
                ci = np.where(take, j, ci)
                vals[..., j], idx[..., j] = cur, ci
        vals, idx = np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)
    if _rec(a):
        v = out(vals, node_cls(), (a,), (idx,), meta=(x.shape, axis))
    else:
        v = plain(vals)
    return ret_cls(v, plain(idx))


def cummax(a, dim):
    return _cumext(a, dim, np.greater, CummaxBackward0, _CummaxRet)


def cummin(a, dim):
    return _cumext(a, dim, np.less, CumminBackward0, _CumminRet)


class LogcumsumexpBackward0(Node):
    """y_j = log sum_{k<=j} e^{x_k}: dL/dx_k = sum_{j>=k} g_j e^{x_k - y_j}."""

    __slots__ = ()

    def backward(self, g):
        x, y = self.saved
        axis = self.meta
        if axis is None:
            return (g,)
        with np.errstate(all="ignore"):
            w = g * np.exp(-y)
            # reversed cumulative sum of g_j e^{-y_j}, times e^{x_k}
            r = np.flip(np.cumsum(np.flip(w, axis), axis), axis)
            return ((r * np.exp(x)).astype(g.dtype, copy=False),)


def logcumsumexp(a, dim):
    x = a._data
    if x.dtype.kind != "f":
        raise OpNotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{a.dtype.torch_name}'", "logcumsumexp"
        )
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        axis = None
        res = x.copy()
    else:
        with np.errstate(all="ignore"):
            res = np.logaddexp.accumulate(x, axis=axis).astype(x.dtype, copy=False)
    if _rec(a):
        return out(res, LogcumsumexpBackward0(), (a,), (x, res), (ver(a),), meta=axis)
    return plain(res)


def diag_embed(a, offset=0, dim1=-2, dim2=-1):
    """Each last-dimension vector of ``a`` on the ``offset`` diagonal of a new matrix (the last
    two dimensions of the result)."""
    x = a._data
    if (dim1, dim2) not in ((-2, -1), (x.ndim - 1, x.ndim)):
        raise NotImplementedError("diag_embed supports only dim1=-2, dim2=-1")
    n = x.shape[-1] + abs(offset)
    res = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    r = np.arange(x.shape[-1])
    rows, cols = (r, r + offset) if offset >= 0 else (r - offset, r)
    res[..., rows, cols] = x
    if _rec(a):
        return out(res, DiagEmbedBackward0(), (a,), meta=offset)
    return plain(res)
