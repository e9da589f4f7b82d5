"""Attach the ops of ``d2lmods.ops`` to ``Tensor`` as methods and operators (``x.sum()``, ``x + y``),
and ``x.backward()``.

Kept apart from ``core`` so the ops and the autograd engine can import ``Tensor`` without a cycle;
importing ``d2lmods`` runs this module once.
"""

import numpy as np

from ..autograd import engine
from ..ops import (
    elementwise as E,
    indexing as I,
    inplace as IP,
    linalg as L,
    more_math as M,
    nn_ops as N,
    reductions as R,
    shape as S,
)
from . import dtypes as _dt, observers, typed as T
from .core import Tensor, wrap


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``d2lmods.autograd.backward``)."""
    engine.backward(
        [self],
        None if gradient is None else [gradient],
        retain_graph=retain_graph,
        create_graph=create_graph,
        inputs=inputs,
    )


# -- dtype conversion (``elementwise.to_dtype``) ----------------------------------------------
def parse_to(args, kwargs):
    """``(dtype, copy)`` from the arguments of ``Tensor.to`` / ``Module.to``.

    Accepts a dtype (object or name), a tensor (its dtype), a device (only the CPU: anything
    else raises the CPU-only error), ``non_blocking``/``copy`` flags; ``dtype`` is ``None`` when
    only a device was given.
    """
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (_dt.dtype, type)) or (isinstance(a, str) and _is_dtype_name(a)):
            dtype = a
        elif isinstance(a, (str, _dt.device)):
            device = a
        elif a is None or isinstance(a, bool):  # positional non_blocking
            continue
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if device is not None:
        _dt.check_device(device)  # raises the CPU-only error for anything else
    return (None if dtype is None else _dt.as_dtype(dtype)), copy


def to(self, *args, **kwargs):
    """Convert dtype (``x.to(torch.float64)``, ``x.to(other)``); devices other than the CPU raise."""
    dtype, copy = parse_to(args, kwargs)
    if dtype is None:
        return self.clone() if copy else self
    return E.to_dtype(self, dtype, copy)


def _is_dtype_name(s):
    try:
        _dt.as_dtype(s)
        return True
    except TypeError:
        return False


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """``x.type()`` is PyTorch's type name (``'torch.FloatTensor'``); ``x.type(torch.DoubleTensor)``,
    ``x.type('torch.DoubleTensor')`` or ``x.type(torch.float64)`` converts."""
    if dtype is None:
        return T.type_name(self)
    return E.to_dtype(self, T.typed_dtype(dtype))


def equal(self, other):
    """True if ``other`` has the same shape and values (dtypes may differ, as in PyTorch)."""
    return self._data.shape == other._data.shape and bool((self._data == other._data).all())


def _new_like(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        from . import creation as C

        return getattr(C, fn)(
            *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
        )

    return method


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    from .creation import full

    return full(
        size, fill_value, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from .creation import tensor

    return tensor(data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


# -- operators --------------------------------------------------------------------------------
# `total_loss += loss` across batches: d2lmods.nn explains sums that keep used graphs alive. That
# needs a graph backward went through that is still alive (``observers.consumed``, a plain set:
# while it is empty the check is one truth test).
_consumed = observers.consumed


def _add(self, other, alpha=1):
    if _consumed:
        observers.check_sum(self, other)
    return E.add(self, other, alpha)


def _radd(self, other):
    if _consumed:
        observers.check_sum(self, other)
    return E.add(self, other)


def _iadd(self, other, alpha=1):
    if _consumed:
        observers.check_sum(self, other)
    if alpha != 1:
        return IP.inplace_binary(self, other, lambda a, b: E.add(a, b, alpha), "add_")
    return IP.inplace_binary(self, other, E.add, "add_")


_add.__name__, _radd.__name__, _iadd.__name__ = "__add__", "__radd__", "__iadd__"


def _rmul(self, other):
    return E.mul(self, other)


def _eq(self, other):
    if other is None:
        return False
    return E.eq(self, other)


def _ne(self, other):
    if other is None:
        return True
    return E.ne(self, other)


def _rfloordiv(self, other):
    return E.floor_divide(E.to_tensor(other, self), self)


def _rmod(self, other):
    # PyTorch has no derivative for ``number % tensor``: the result is not recorded
    return E.remainder(E.to_tensor(other, self), self.detach())


def _rmatmul(self, other):
    if isinstance(other, Tensor):
        return L.matmul(other, self)
    return L.matmul(wrap(np.asarray(other)), self)


def _inplace(op, name):
    def method(self, other, *args, **kwargs):
        if args or kwargs:
            return IP.inplace_binary(self, other, lambda a, b: op(a, b, *args, **kwargs), name)
        return IP.inplace_binary(self, other, op, name)

    method.__name__ = name
    return method


def _inplace_operator(op, name):
    """``x -= y`` and the like: an operator gets one operand, so no ``*args`` to pass on."""

    def method(self, other):
        return IP.inplace_binary(self, other, op, name)

    method.__name__ = name
    return method


def _inplace_unary(op, name):
    def method(self, *args, **kwargs):
        return IP.inplace_unary(self, op, name, *args, **kwargs)

    method.__name__ = name
    return method


def _getitem(self, key):
    return I.getitem(self, key)


def _setitem(self, key, value):
    IP.setitem(self, key, value)


def _max(self, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return E.maximum(self, dim)
    return R.max(self, dim, keepdim)


def _min(self, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return E.minimum(self, dim)
    return R.min(self, dim, keepdim)


def _sum(self, dim=None, keepdim=False, dtype=None, axis=None):
    return R.sum(self, dim if axis is None else axis, keepdim, dtype)


def _mean(self, dim=None, keepdim=False, dtype=None, axis=None):
    return R.mean(self, dim if axis is None else axis, keepdim, dtype)


def _where(self, condition, other):
    return E.where(condition, self, other)


def _pos(self):
    return self


def _apply_(self, fn):
    self._data[...] = np.vectorize(fn, otypes=[self._data.dtype])(self._data)
    return self


def _norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    return R.norm(self, p, dim, keepdim, dtype)


def _softmax(self, dim, dtype=None):
    return N.softmax(self, dim, dtype)


def _log_softmax(self, dim, dtype=None):
    return N.log_softmax(self, dim, dtype)


_METHODS = {
    "backward": backward,
    # arithmetic
    "__add__": _add,
    "__radd__": _radd,
    "__sub__": E.sub,
    "__rsub__": E.rsub,
    "__mul__": E.mul,
    "__rmul__": _rmul,
    "__truediv__": E.div,
    "__rtruediv__": E.rdiv,
    "__pow__": E.pow,
    "__rpow__": E.rpow,
    "__neg__": E.neg,
    "__pos__": _pos,
    "__abs__": E.abs,
    "__matmul__": L.matmul,
    "__rmatmul__": _rmatmul,
    "__floordiv__": E.floor_divide,
    "__mod__": E.remainder,
    "__eq__": _eq,
    "__ne__": _ne,
    "__lt__": E.lt,
    "__le__": E.le,
    "__gt__": E.gt,
    "__ge__": E.ge,
    "__invert__": E.bitwise_not,
    "__and__": E.bitwise_and,
    "__or__": E.bitwise_or,
    "__xor__": E.bitwise_xor,
    "__rand__": E.bitwise_and,
    "__ror__": E.bitwise_or,
    "__rxor__": E.bitwise_xor,
    "__rfloordiv__": _rfloordiv,
    "__rmod__": _rmod,
    "__getitem__": _getitem,
    "__setitem__": _setitem,
    "__iadd__": _iadd,
    "__isub__": _inplace_operator(E.sub, "sub_"),
    "__imul__": _inplace_operator(E.mul, "mul_"),
    "__itruediv__": _inplace_operator(E.div, "div_"),
    "__ipow__": _inplace_operator(E.pow, "pow_"),
    "add": E.add,
    "sub": E.sub,
    "subtract": E.sub,
    "mul": E.mul,
    "multiply": E.mul,
    "div": E.div,
    "divide": E.div,
    "true_divide": E.div,
    "pow": E.pow,
    "neg": E.neg,
    "negative": E.neg,
    "exp": E.exp,
    "log": E.log,
    "sqrt": E.sqrt,
    "rsqrt": E.rsqrt,
    "abs": E.abs,
    "absolute": E.abs,
    "tanh": E.tanh,
    "sigmoid": E.sigmoid,
    "relu": E.relu,
    "sin": E.sin,
    "cos": E.cos,
    "log1p": E.log1p,
    "expm1": E.expm1,
    "square": E.square,
    "sign": E.sign,
    "reciprocal": E.reciprocal,
    "erf": E.erf,
    "floor": E.floor,
    "ceil": E.ceil,
    "round": E.round,
    "trunc": E.trunc,
    "clamp": E.clamp,
    "clip": E.clamp,
    "maximum": E.maximum,
    "minimum": E.minimum,
    "where": _where,
    "eq": E.eq,
    "ne": E.ne,
    "lt": E.lt,
    "le": E.le,
    "gt": E.gt,
    "ge": E.ge,
    "greater": E.gt,
    "less": E.lt,
    "logical_not": E.logical_not,
    "logical_and": E.logical_and,
    "logical_or": E.logical_or,
    "logical_xor": E.logical_xor,
    "isnan": E.isnan,
    "isinf": E.isinf,
    "isfinite": E.isfinite,
    "floor_divide": E.floor_divide,
    "remainder": E.remainder,
    # reductions
    "sum": _sum,
    "mean": _mean,
    "max": _max,
    "min": _min,
    "amax": R.amax,
    "amin": R.amin,
    "argmax": R.argmax,
    "argmin": R.argmin,
    "var": R.var,
    "std": R.std,
    "prod": R.prod,
    "all": R.all,
    "any": R.any,
    "norm": _norm,
    "logsumexp": R.logsumexp,
    "cumsum": R.cumsum,
    "count_nonzero": R.count_nonzero,
    # shape
    "reshape": S.reshape,
    "view": S.view,
    "view_as": S.view_as,
    "reshape_as": S.reshape_as,
    "flatten": S.flatten,
    "unflatten": S.unflatten,
    "permute": S.permute,
    "transpose": S.transpose,
    "swapaxes": S.transpose,
    "t": S.t,
    "unsqueeze": S.unsqueeze,
    "squeeze": S.squeeze,
    "expand": S.expand,
    "expand_as": S.expand_as,
    "broadcast_to": S.broadcast_to,
    "split": S.split,
    "chunk": S.chunk,
    "unbind": S.unbind,
    "contiguous": S.contiguous,
    "clone": S.clone,
    "flip": S.flip,
    "repeat": S.repeat,
    "tile": S.tile,
    "roll": S.roll,
    "movedim": S.movedim,
    "narrow": S.narrow,
    "tril": S.tril,
    "triu": S.triu,
    # indexing
    "gather": I.gather,
    "index_select": I.index_select,
    "masked_fill": I.masked_fill,
    # linear algebra, nn
    "matmul": L.matmul,
    "mm": L.mm,
    "bmm": L.bmm,
    "dot": L.dot,
    "mv": L.mv,
    "outer": L.outer,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    # conversion
    "to": to,
    "type": type_,
    "equal": equal,
    "type_as": lambda self, other: E.to_dtype(self, other.dtype),
    "float": lambda self, memory_format=None: E.to_dtype(self, _dt.float32),
    "double": lambda self, memory_format=None: E.to_dtype(self, _dt.float64),
    "half": lambda self, memory_format=None: E.to_dtype(self, _dt.float16),
    "long": lambda self, memory_format=None: E.to_dtype(self, _dt.int64),
    "int": lambda self, memory_format=None: E.to_dtype(self, _dt.int32),
    "bool": lambda self, memory_format=None: E.to_dtype(self, _dt.bool),
    "new_zeros": _new_like("zeros"),
    "new_ones": _new_like("ones"),
    "new_empty": _new_like("empty"),
    "new_full": new_full,
    "new_tensor": new_tensor,
    # in place
    "add_": _inplace(E.add, "add_"),
    "sub_": _inplace(E.sub, "sub_"),
    "mul_": _inplace(E.mul, "mul_"),
    "div_": _inplace(E.div, "div_"),
    "pow_": _inplace(E.pow, "pow_"),
    "clamp_": _inplace_unary(E.clamp, "clamp_"),
    "clip_": _inplace_unary(E.clamp, "clamp_"),
    "relu_": _inplace_unary(E.relu, "relu_"),
    "sigmoid_": _inplace_unary(E.sigmoid, "sigmoid_"),
    "tanh_": _inplace_unary(E.tanh, "tanh_"),
    "exp_": _inplace_unary(E.exp, "exp_"),
    "neg_": _inplace_unary(E.neg, "neg_"),
    "sqrt_": _inplace_unary(E.sqrt, "sqrt_"),
    "abs_": _inplace_unary(E.abs, "abs_"),
    "masked_fill_": _inplace_unary(I.masked_fill, "masked_fill_"),
    "zero_": IP.zero_,
    "fill_": IP.fill_,
    "copy_": IP.copy_,
    "uniform_": IP.uniform_,
    "normal_": IP.normal_,
    "bernoulli_": IP.bernoulli_,
    "random_": IP.random_,
    "exponential_": IP.exponential_,
    "geometric_": IP.geometric_,
    "cauchy_": IP.cauchy_,
    "log_normal_": IP.log_normal_,
    "apply_": _apply_,
    # more math (ops/more_math.py)
    "log2": M.log2,
    "log10": M.log10,
    "exp2": M.exp2,
    "sinh": M.sinh,
    "cosh": M.cosh,
    "tan": M.tan,
    "asin": M.asin,
    "acos": M.acos,
    "atan": M.atan,
    "arcsin": M.arcsin,
    "arccos": M.arccos,
    "arctan": M.arctan,
    "asinh": M.asinh,
    "acosh": M.acosh,
    "atanh": M.atanh,
    "arcsinh": M.arcsinh,
    "arccosh": M.arccosh,
    "arctanh": M.arctanh,
    "atan2": M.atan2,
    "arctan2": M.arctan2,
    "hypot": M.hypot,
    "frac": M.frac,
    "fmod": M.fmod,
    "lerp": M.lerp,
    "nan_to_num": M.nan_to_num,
    "fmax": M.fmax,
    "fmin": M.fmin,
    "cumprod": M.cumprod,
    "sort": M.sort,
    "argsort": M.argsort,
    "topk": M.topk,
    "kthvalue": M.kthvalue,
    "median": M.median,
    "unique": M.unique,
    "diag": M.diag,
    "trace": M.trace,
    "nonzero": M.nonzero,
    "argwhere": M.argwhere,
    "repeat_interleave": M.repeat_interleave,
    "diff": M.diff,
    "take": M.take,
    "select": M.select,
    "cross": M.cross,
    "dist": M.dist,
    "addmm": M.addmm,
    "baddbmm": M.baddbmm,
    "bincount": M.bincount,
    "log2_": _inplace_unary(M.log2, "log2_"),
    "log10_": _inplace_unary(M.log10, "log10_"),
    "exp2_": _inplace_unary(M.exp2, "exp2_"),
    "sinh_": _inplace_unary(M.sinh, "sinh_"),
    "cosh_": _inplace_unary(M.cosh, "cosh_"),
    "tan_": _inplace_unary(M.tan, "tan_"),
    "asin_": _inplace_unary(M.asin, "asin_"),
    "acos_": _inplace_unary(M.acos, "acos_"),
    "atan_": _inplace_unary(M.atan, "atan_"),
    "asinh_": _inplace_unary(M.asinh, "asinh_"),
    "acosh_": _inplace_unary(M.acosh, "acosh_"),
    "atanh_": _inplace_unary(M.atanh, "atanh_"),
    "arcsin_": _inplace_unary(M.arcsin, "arcsin_"),
    "arccos_": _inplace_unary(M.arccos, "arccos_"),
    "arctan_": _inplace_unary(M.arctan, "arctan_"),
    "arcsinh_": _inplace_unary(M.arcsinh, "arcsinh_"),
    "arccosh_": _inplace_unary(M.arccosh, "arccosh_"),
    "arctanh_": _inplace_unary(M.arctanh, "arctanh_"),
    "frac_": _inplace_unary(M.frac, "frac_"),
    "nan_to_num_": _inplace_unary(M.nan_to_num, "nan_to_num_"),
    "atan2_": _inplace(M.atan2, "atan2_"),
    "arctan2_": _inplace(M.arctan2, "arctan2_"),
    "hypot_": _inplace(M.hypot, "hypot_"),
    "fmod_": _inplace(M.fmod, "fmod_"),
    "rot90": M.rot90,
    "kron": M.kron,
    "deg2rad": M.deg2rad,
    "rad2deg": M.rad2deg,
    "sinc": M.sinc,
    "logit": M.logit,
    "sgn": M.sgn,
    "clamp_min": M.clamp_min,
    "clamp_max": M.clamp_max,
    "cummax": M.cummax,
    "cummin": M.cummin,
    "logcumsumexp": M.logcumsumexp,
    "diag_embed": M.diag_embed,
    "logaddexp": M.logaddexp,
    "xlogy": M.xlogy,
    "addcmul": M.addcmul,
    "addcdiv": M.addcdiv,
    "nansum": M.nansum,
    "nanmean": M.nanmean,
    "msort": M.msort,
    "ravel": M.ravel,
    "swapdims": M.swapdims,
    "moveaxis": M.moveaxis,
}


def _addcmul_(self, t1, t2, value=1):
    return IP.inplace_binary(self, E.mul(E.mul(t1, t2), value), E.add, "addcmul_")


def _addcdiv_(self, t1, t2, value=1):
    return IP.inplace_binary(self, E.mul(E.div(t1, t2), value), E.add, "addcdiv_")


def _lerp_(self, end, weight):
    return IP.inplace_binary(self, E.mul(E.sub(end, self), weight), E.add, "lerp_")


_METHODS.update(addcmul_=_addcmul_, addcdiv_=_addcdiv_, lerp_=_lerp_)


def _install():
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(S.T, doc="All dimensions reversed.")
    Tensor.mT = property(
        lambda self: S.transpose(self, -2, -1), doc="The last two dimensions swapped."
    )
    Tensor.__hash__ = object.__hash__


_install()
