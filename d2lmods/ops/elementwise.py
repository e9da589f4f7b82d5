"""Elementwise ops: arithmetic with broadcasting, math functions, activations, comparisons.

Each op computes its forward with numpy (or a fused kernel) and records a node whose
``backward`` states the local derivative next to it, micrograd-style::

    y = a * b        dy/da = b,  dy/db = a        (MulBackward0)

Broadcast gradients are summed back to each operand's shape with ``sum_to``.
"""

import numbers

import numpy as np

from .. import kernels as K
from .._tensor import dtypes as _dt
from ..kernels import contig
from ._util import (
    STATE,
    Node,
    Tensor,
    broadcast_error,
    operands,
    out,
    plain,
    quiet,
    sum_to,
    to_tensor,
    ver,
)

__all__ = [
    "add",
    "sub",
    "rsub",
    "mul",
    "div",
    "rdiv",
    "pow",
    "rpow",
    "neg",
    "exp",
    "log",
    "sqrt",
    "abs",
    "tanh",
    "sigmoid",
    "relu",
    "clamp",
    "maximum",
    "minimum",
    "where",
    "sin",
    "cos",
    "log1p",
    "expm1",
    "sign",
    "square",
    "rsqrt",
    "reciprocal",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_not",
    "logical_and",
    "logical_or",
    "isnan",
    "isinf",
    "isfinite",
    "floor",
    "ceil",
    "round",
    "trunc",
    "floor_divide",
    "remainder",
    "erf",
    "gelu",
    "silu",
    "leaky_relu",
    "softplus",
    "elu",
    "relu6",
    "hardtanh",
    "clip",
    "logical_xor",
    "bitwise_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "to_dtype",
]


def _binary_operands(a, b):
    """``(a, b)`` for ``add``/``sub``/``mul``/``div``: ``a`` a tensor, ``b`` a tensor of the same
    dtype or a Python number (see ``operands``)."""
    if not isinstance(a, Tensor):
        a = to_tensor(a, b if isinstance(b, Tensor) else None)
    if b.__class__ is Tensor:
        if a._data.dtype != b._data.dtype:
            return operands(a, b)
        return a, b
    tb = type(b)
    if (tb is float or tb is int) and a._data.dtype.kind == "f":
        return a, b  # the common ``x * 2.0``: the dtype stays, skip the promotion rules
    return operands(a, b)


# ---------------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------------
class AddBackward0(Node):
    """y = a + alpha b: dy/da = 1, dy/db = alpha (summed back over broadcast axes)."""

    __slots__ = ()

    def backward(self, g):
        sa, sb, alpha = self.meta
        a, b = self.inputs
        return (
            sum_to(g, sa) if a is not None else None,
            (sum_to(g if alpha == 1 else g * alpha, sb) if b is not None else None),
        )


def add(a, b, alpha=1):
    """``a + alpha * b`` (broadcasting)."""
    a, b = _binary_operands(a, b)
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        try:
            res = ad + bd if alpha == 1 else ad + alpha * bd
        except ValueError:  # shapes that do not broadcast
            raise broadcast_error(ad.shape, bd.shape, "add") from None
        if STATE.enabled and (a._rg or b._rg):
            return out(
                res,
                AddBackward0(),
                (a if a._rg else None, b if b._rg else None),
                meta=(ad.shape, bd.shape, alpha),
            )
        return plain(res)
    res = a._data + (b if alpha == 1 else alpha * b)
    if a._rg and STATE.enabled:
        return out(res, AddBackward0(), (a, None), meta=(a._data.shape, None, 1))
    return plain(res)


class SubBackward0(Node):
    """y = a - alpha b: dy/da = 1, dy/db = -alpha."""

    __slots__ = ()

    def backward(self, g):
        sa, sb, alpha = self.meta
        a, b = self.inputs
        return (
            sum_to(g, sa) if a is not None else None,
            sum_to(-g if alpha == 1 else -alpha * g, sb) if b is not None else None,
        )


def sub(a, b, alpha=1):
    """``a - alpha * b``."""
    a, b = _binary_operands(a, b)
    if a._data.dtype.kind == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        try:
            res = ad - bd if alpha == 1 else ad - alpha * bd
        except ValueError:  # shapes that do not broadcast
            raise broadcast_error(ad.shape, bd.shape, "sub") from None
        if STATE.enabled and (a._rg or b._rg):
            return out(
                res,
                SubBackward0(),
                (a if a._rg else None, b if b._rg else None),
                meta=(ad.shape, bd.shape, alpha),
            )
        return plain(res)
    res = a._data - (b if alpha == 1 else alpha * b)
    if a._rg and STATE.enabled:
        return out(res, SubBackward0(), (a, None), meta=(a._data.shape, None, 1))
    return plain(res)


class RsubBackward1(Node):
    """y = s - a for a number s: dy/da = -1."""

    __slots__ = ()

    def backward(self, g):
        return (-g,)


def rsub(a, s):
    """``s - a`` for a Python number ``s``."""
    if isinstance(s, Tensor):
        return sub(s, a)
    a, s = operands(a, s)
    res = s - a._data
    if a._rg and STATE.enabled:
        return out(res, RsubBackward1(), (a,))
    return plain(res)


class MulBackward0(Node):
    """y = a b: dy/da = b, dy/db = a."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        if bd is None:  # b was a Python scalar
            return (g * self.meta,)
        return (
            sum_to(g * bd, ad.shape) if a is not None else None,
            sum_to(g * ad, bd.shape) if b is not None else None,
        )


def mul(a, b):
    """``a * b`` (broadcasting)."""
    a, b = _binary_operands(a, b)
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        try:
            res = ad * bd
        except ValueError:  # shapes that do not broadcast
            raise broadcast_error(ad.shape, bd.shape, "mul") from None
        if STATE.enabled and (a._rg or b._rg):
            # save only what the other operand's gradient needs
            if a._rg and b._rg:
                vers = (ver(a), ver(b))
            elif a._rg:
                vers = (ver(b),)
            else:
                vers = (ver(a),)
            return out(
                res, MulBackward0(), (a if a._rg else None, b if b._rg else None), (ad, bd), vers
            )
        return plain(res)
    res = a._data * b
    if a._rg and STATE.enabled:
        return out(res, MulBackward0(), (a, None), (a._data, None), meta=b)
    return plain(res)


class DivBackward0(Node):
    """y = a / b: dy/da = 1 / b, dy/db = -a / b^2."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        if bd is None:
            return (g / self.meta,)
        ga = sum_to(g / bd, ad.shape) if a is not None else None
        gb = sum_to(-g * ad / (bd * bd), bd.shape) if b is not None else None
        return ga, gb


def div(a, b, rounding_mode=None):
    """``a / b`` (true division: integer inputs give a float result)."""
    if rounding_mode is not None:
        return floor_divide(a, b) if rounding_mode == "floor" else trunc(div(a, b))
    if not isinstance(a, Tensor):
        a = to_tensor(a, b if isinstance(b, Tensor) else None)
    if a._data.dtype.kind != "f":
        a = a.to(
            _dt.get_default_dtype()
            if not (isinstance(b, Tensor) and b._data.dtype.kind == "f")
            else b.dtype
        )
    a, b = _binary_operands(a, b)
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        try:
            with quiet():
                res = ad / bd
        except ValueError:  # shapes that do not broadcast
            raise broadcast_error(ad.shape, bd.shape, "div") from None
        if STATE.enabled and (a._rg or b._rg):
            vers = (ver(b),) if not b._rg else (ver(a), ver(b))
            return out(
                res, DivBackward0(), (a if a._rg else None, b if b._rg else None), (ad, bd), vers
            )
        return plain(res)
    # only a divisor of 0 (or nearly) makes numpy warn; quiet() costs about 1 us a call
    if -1e-30 < b < 1e-30:
        with quiet():
            res = a._data / b
    else:
        res = a._data / b
    if a._rg and STATE.enabled:
        return out(res, DivBackward0(), (a, None), (None, None), meta=b)
    return plain(res)


def rdiv(a, s):
    """``s / a`` for a Python number ``s`` (recorded as ``reciprocal(a) * s``, as PyTorch does)."""
    if isinstance(s, Tensor):
        return div(s, a)
    return mul(reciprocal(a), s)


class PowBackward0(Node):
    """``a ** p`` with a number ``p``: d/da = p a^(p-1)."""

    __slots__ = ()

    def backward(self, g):
        (ad,) = self.saved
        p = self.meta
        if p == 2:
            return (g * (2 * ad),)
        return (g * (p * ad ** (p - 1)),)


class PowBackward1(Node):
    """``a ** b`` with tensors: d/da = b a^(b-1), d/db = a^b log a."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd, res = self.saved
        ga = sum_to(g * bd * ad ** (bd - 1), ad.shape) if a is not None else None
        gb = None
        if b is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                lg = np.where(ad > 0, np.log(np.where(ad > 0, ad, 1)), np.where(ad == 0, 0, np.nan))
            gb = sum_to(g * res * lg, bd.shape)
        return ga, gb


def pow(a, b):
    """``a ** b``."""
    if not isinstance(a, Tensor):
        return rpow(b, a)
    if isinstance(b, Tensor):
        a, b = operands(a, b)
        ad, bd = a._data, b._data
        with quiet():
            res = ad**bd
        if STATE.enabled and (a._rg or b._rg):
            return out(
                res,
                PowBackward1(),
                (a if a._rg else None, b if b._rg else None),
                (ad, bd, res),
                (ver(a), ver(b)),
            )
        return plain(res)
    a, b = operands(a, b)
    ad = a._data
    if ad.dtype.kind in "iu" and isinstance(b, numbers.Integral) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with quiet():
        res = ad * ad if b == 2 else ad**b
    if ad.dtype.kind == "b":
        res = res.astype(np.bool_)  # bool ** bool stays bool (numpy gives int8)
    if a._rg and STATE.enabled:
        return out(res, PowBackward0(), (a,), (ad,), (ver(a),), meta=b)
    return plain(res)


class PowBackward2(Node):
    """``s ** a`` with a number ``s``: d/da = s^a log s."""

    __slots__ = ()

    def backward(self, g):
        (res,) = self.saved
        return (g * res * np.log(self.meta),)


def rpow(a, s):
    """``s ** a`` for a Python number ``s``."""
    if isinstance(s, Tensor):
        return pow(s, a)
    a, s = operands(a, s)
    with quiet():
        res = np.asarray(s, dtype=a._data.dtype) ** a._data
    if a._rg and STATE.enabled:
        return out(res, PowBackward2(), (a,), (res,), meta=s)
    return plain(res)


class NegBackward0(Node):
    """y = -a: dy/da = -1."""

    __slots__ = ()

    def backward(self, g):
        return (-g,)


def neg(a):
    if a._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you "
            "are trying to invert a mask, use the `~` or `logical_not()` operator "
            "instead."
        )
    res = -a._data
    if a._rg and STATE.enabled:
        return out(res, NegBackward0(), (a,))
    return plain(res)


class ToCopyBackward0(Node):
    """y = a converted to another dtype: dy/da = 1, converted back to a's dtype."""

    __slots__ = ()

    def backward(self, g):
        return (g.astype(self.meta),)


def to_dtype(a, dtype, copy=False):
    """``a`` as ``dtype`` (``a`` itself when it already is, unless ``copy``); gradients flow
    through conversions between floating-point dtypes."""
    d = _dt.as_dtype(dtype)
    x = a._data
    if x.dtype == d.np and not copy:
        return a
    res = x.astype(d.np)
    if a._rg and STATE.enabled and d.is_floating_point:
        return out(res, ToCopyBackward0(), (a,), meta=x.dtype)
    return plain(res)


# ---------------------------------------------------------------------------------------------
# unary math: ``y = f(x)``; each node saves ``x`` or ``y``, whichever its derivative is written in
# ---------------------------------------------------------------------------------------------
def _float(a):
    if a._data.dtype.kind != "f":
        return a.to(_dt.get_default_dtype())
    return a


def _unary_out(a, y, node_cls, save="x"):
    """The result ``y = f(a)``, recording ``node_cls`` when gradients are recorded; the node saves
    the input (``save="x"``) or the output (``save="y"``)."""
    if a._rg and STATE.enabled:
        if save == "x":
            return out(y, node_cls(), (a,), (a._data,), (ver(a),))
        t = out(y, node_cls(), (a,), (y,))
        t._fn._versions = (ver(t),)
        return t
    return plain(y)


class ExpBackward0(Node):
    """y = exp(x): dy/dx = y."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (g * y,)


def exp(a):
    a = _float(a)
    with quiet():
        y = np.exp(a._data)
    return _unary_out(a, y, ExpBackward0, save="y")


class LogBackward0(Node):
    """y = log(x): dy/dx = 1 / x."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * (1 / x),)


def log(a):
    a = _float(a)
    with quiet():
        y = np.log(a._data)
    return _unary_out(a, y, LogBackward0)


class SqrtBackward0(Node):
    """y = sqrt(x): dy/dx = 1 / (2 y)."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (g * (0.5 / y),)


def sqrt(a):
    a = _float(a)
    with quiet():
        y = np.sqrt(a._data)
    return _unary_out(a, y, SqrtBackward0, save="y")


class RsqrtBackward0(Node):
    """y = 1 / sqrt(x): dy/dx = -y^3 / 2."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (g * (-0.5 * y * y * y),)


def rsqrt(a):
    a = _float(a)
    with quiet():
        y = 1 / np.sqrt(a._data)
    return _unary_out(a, y, RsqrtBackward0, save="y")


class ReciprocalBackward0(Node):
    """y = 1 / x: dy/dx = -y^2."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (g * (-y * y),)


def reciprocal(a):
    a = _float(a)
    with quiet():
        y = 1 / a._data
    return _unary_out(a, y, ReciprocalBackward0, save="y")


class SinBackward0(Node):
    """y = sin(x): dy/dx = cos(x)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * np.cos(x),)


def sin(a):
    a = _float(a)
    return _unary_out(a, np.sin(a._data), SinBackward0)


class CosBackward0(Node):
    """y = cos(x): dy/dx = -sin(x)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * -np.sin(x),)


def cos(a):
    a = _float(a)
    return _unary_out(a, np.cos(a._data), CosBackward0)


class Log1PBackward0(Node):
    """y = log(1 + x): dy/dx = 1 / (1 + x)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * (1 / (1 + x)),)


def log1p(a):
    a = _float(a)
    with quiet():
        y = np.log1p(a._data)
    return _unary_out(a, y, Log1PBackward0)


class Expm1Backward0(Node):
    """y = exp(x) - 1: dy/dx = y + 1."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (g * (y + 1),)


def expm1(a):
    a = _float(a)
    return _unary_out(a, np.expm1(a._data), Expm1Backward0, save="y")


def square(a):
    """``a * a``, recorded as ``a ** 2`` (``PowBackward0``) as PyTorch does; integers become
    float."""
    return pow(_float(a), 2)


class AbsBackward0(Node):
    """y = |x|: dy/dx = sign(x)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * np.sign(x),)


def abs(a):
    """|a|; integer tensors keep their dtype (and have no gradient)."""
    if a._data.dtype.kind != "f":
        return plain(np.abs(a._data))
    return _unary_out(a, np.abs(a._data), AbsBackward0)


def _erf_np(x):
    """erf elementwise: scipy's vectorised version when installed, else ``math.erf`` per element."""
    try:
        from scipy.special import erf as _erf
    except ImportError:
        import math

        return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()
    return _erf(x).astype(x.dtype, copy=False)


class ErfBackward0(Node):
    """y = erf(x): dy/dx = 2/sqrt(pi) exp(-x^2)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (g * (2 / np.sqrt(np.pi) * np.exp(-x * x)),)


def erf(a):
    a = _float(a)
    return _unary_out(a, _erf_np(a._data), ErfBackward0)


# -- activations with fused kernels (``kernels/elementwise.py``, each beside its numpy reference) --
def _kern1(kernel, x):
    """Run a flat elementwise kernel on any-shaped ``x``."""
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        x32 = x.astype(np.float32)
        return kernel(x32.ravel()).reshape(x.shape).astype(x.dtype)
    return kernel(contig(x).reshape(-1)).reshape(x.shape)


def _kern2(kernel, g, y):
    if g.dtype != y.dtype:
        g = g.astype(y.dtype)
    if y.dtype.itemsize < 4:
        return (
            kernel(contig(g, np.float32).reshape(-1), contig(y, np.float32).reshape(-1))
            .reshape(y.shape)
            .astype(y.dtype)
        )
    return kernel(contig(g).reshape(-1), contig(y).reshape(-1)).reshape(y.shape)


class TanhBackward0(Node):
    """y = tanh(x): dy/dx = 1 - y^2 (``kernels.tanh_bwd``)."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (_kern2(K.tanh_bwd, g, y),)


def tanh(a):
    """Forward: ``kernels.tanh_fwd``; backward: ``kernels.tanh_bwd``."""
    a = _float(a)
    return _unary_out(a, _kern1(K.tanh_fwd, a._data), TanhBackward0, save="y")


class SigmoidBackward0(Node):
    """y = 1 / (1 + exp(-x)): dy/dx = y (1 - y) (``kernels.sigmoid_bwd``)."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (_kern2(K.sigmoid_bwd, g, y),)


def sigmoid(a):
    """Forward: ``kernels.sigmoid_fwd``; backward: ``kernels.sigmoid_bwd``."""
    a = _float(a)
    return _unary_out(a, _kern1(K.sigmoid_fwd, a._data), SigmoidBackward0, save="y")


class ReluBackward0(Node):
    """y = max(x, 0): dy/dx = 1 where y > 0, else 0 (``kernels.relu_bwd``)."""

    __slots__ = ()

    def backward(self, g):
        (y,) = self.saved
        return (_kern2(K.relu_bwd, g, y),)


def relu(a):
    """max(a, 0); integer tensors stay integer. Forward: ``kernels.relu_fwd``; backward:
    ``kernels.relu_bwd``."""
    if a._data.dtype.kind != "f":
        return plain(np.maximum(a._data, 0))
    return _unary_out(a, _kern1(K.relu_fwd, a._data), ReluBackward0, save="y")


# -- composite activations (built from the primitives above, so their gradients come for free) --
def silu(a):
    return mul(a, sigmoid(a))


def gelu(a, approximate="none"):
    if approximate == "tanh":
        inner = mul(add(a, mul(pow(a, 3), 0.044715)), float(np.sqrt(2 / np.pi)))
        return mul(mul(a, 0.5), add(tanh(inner), 1.0))
    return mul(mul(a, 0.5), add(erf(mul(a, float(1 / np.sqrt(2)))), 1.0))


def leaky_relu(a, negative_slope=0.01):
    return where(gt(a, 0), a, mul(a, negative_slope))


def elu(a, alpha=1.0):
    return where(gt(a, 0), a, mul(expm1(a), alpha))


def softplus(a, beta=1.0, threshold=20.0):
    ba = mul(a, beta)
    soft = div(log1p(exp(neg(abs(ba)))), beta)
    soft = add(soft, div(relu(ba), beta))
    return where(gt(ba, threshold), a, soft)


def relu6(a):
    return hardtanh(a, 0.0, 6.0)


def hardtanh(a, min_val=-1.0, max_val=1.0):
    return clamp(a, min_val, max_val)


class SignBackward0(Node):
    """y = sign(a): dy/da = 0."""

    __slots__ = ()

    def backward(self, g):
        return (np.zeros_like(g),)


def sign(a):
    res = np.sign(a._data)
    if a._rg and STATE.enabled:
        return out(res, SignBackward0(), (a,))
    return plain(res)


def _no_grad_unary(fn):
    def op(a):
        return plain(fn(a._data))

    return op


floor = _no_grad_unary(np.floor)
ceil = _no_grad_unary(np.ceil)
trunc = _no_grad_unary(np.trunc)


def round(a, decimals=0):
    return plain(np.round(a._data, decimals))


def floor_divide(a, b):
    a, b = operands(a, b)
    return plain(np.floor_divide(a._data, b._data if isinstance(b, Tensor) else b))


class RemainderBackward0(Node):
    """y = a mod s for a number s: dy/da = 1 (almost everywhere)."""

    __slots__ = ()

    def backward(self, g):
        return (g,)


class RemainderBackward1(Node):
    """y = a - b floor(a / b): dy/da = 1, dy/db = -floor(a / b)."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (
            sum_to(g, ad.shape) if a is not None else None,
            sum_to(-g * np.floor(ad / bd), bd.shape) if b is not None else None,
        )


def remainder(a, b):
    """``a % b`` with the sign of ``b`` (Python's rule)."""
    a, b = operands(a, b)
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        res = np.remainder(ad, bd)
        if STATE.enabled and (a._rg or b._rg):
            return out(
                res,
                RemainderBackward1(),
                (a if a._rg else None, b if b._rg else None),
                (ad, bd),
                (ver(a), ver(b)),
            )
        return plain(res)
    res = np.remainder(ad, b)
    if a._rg and STATE.enabled:
        return out(res, RemainderBackward0(), (a,))
    return plain(res)


# ---------------------------------------------------------------------------------------------
# clamp, maximum, minimum, where
# ---------------------------------------------------------------------------------------------
class ClampBackward1(Node):
    """y = clamp(a, min, max): dy/da = 1 inside [min, max], else 0."""

    __slots__ = ()

    def backward(self, g):
        (mask,) = self.saved
        return (g * mask,)


def clamp(a, min=None, max=None):
    """Limit values to ``[min, max]``; the gradient passes where the value was inside."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = a
        if min is not None:
            r = maximum(r, to_tensor(min, a))
        if max is not None:
            r = minimum(r, to_tensor(max, a))
        return r
    x = a._data
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        a = _float(a)
        x = a._data
    res = np.clip(x, min, max)
    if a._rg and STATE.enabled:
        mask = np.ones(x.shape, dtype=bool)
        if min is not None:
            mask &= x >= min
        if max is not None:
            mask &= x <= max
        return out(res, ClampBackward1(), (a,), (mask,))
    return plain(res)


clip = clamp


class MaximumBackward0(Node):
    """y = max(a, b): dy/da = 1 where a wins, dy/db = 1 where b wins; a tie splits the gradient
    in half, as PyTorch does."""

    __slots__ = ()
    wins = np.greater  # does ``a`` win? (``MinimumBackward0`` asks np.less)

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        wa = self.wins(ad, bd) + 0.5 * (ad == bd)
        return (
            sum_to(g * wa, ad.shape) if a is not None else None,
            sum_to(g * (1 - wa), bd.shape) if b is not None else None,
        )


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()
    wins = np.less


def _binary_select(a, b, fn, node_cls):
    if not isinstance(a, Tensor):
        a = to_tensor(a, b)
    b = to_tensor(b, a)
    a, b = operands(a, b)
    res = fn(a._data, b._data)
    if STATE.enabled and (a._rg or b._rg):
        return out(
            res,
            node_cls(),
            (a if a._rg else None, b if b._rg else None),
            (a._data, b._data),
            (ver(a), ver(b)),
        )
    return plain(res)


def maximum(a, b):
    return _binary_select(a, b, np.maximum, MaximumBackward0)


def minimum(a, b):
    return _binary_select(a, b, np.minimum, MinimumBackward0)


class WhereBackward0(Node):
    """y = where(cond, a, b): dy/da = cond, dy/db = not cond."""

    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        (cond,) = self.saved
        sa, sb = self.meta
        return (
            sum_to(np.where(cond, g, 0), sa) if a is not None else None,
            sum_to(np.where(cond, 0, g), sb) if b is not None else None,
        )


def where(condition, a=None, b=None):
    """``a`` where ``condition`` holds, else ``b`` (broadcasting); one argument: ``nonzero``."""
    if a is None and b is None:
        return tuple(plain(i) for i in np.nonzero(condition._data))
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {to_tensor(condition).dtype}; compare first, e.g. x > 0"
        )
    if not isinstance(a, Tensor):
        a = to_tensor(a, b if isinstance(b, Tensor) else None)
    b = to_tensor(b, a)
    a, b = operands(a, b)
    res = np.where(cond, a._data, b._data)
    if STATE.enabled and (a._rg or b._rg):
        return out(
            res,
            WhereBackward0(),
            (a if a._rg else None, b if b._rg else None),
            (cond,),
            meta=(a._data.shape, b._data.shape),
        )
    return plain(res)


# ---------------------------------------------------------------------------------------------
# comparisons and logic (no gradients; results are bool tensors)
# ---------------------------------------------------------------------------------------------
def _compare(fn):
    def op(a, b):
        if not isinstance(a, Tensor):
            a = to_tensor(a)
        bd = b._data if isinstance(b, Tensor) else b
        if isinstance(bd, (list, tuple)):
            bd = np.asarray(bd)
        return plain(fn(a._data, bd))

    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
logical_xor = _compare(np.logical_xor)


def logical_not(a):
    return plain(np.logical_not(a._data))


def bitwise_not(a):
    if a._data.dtype.kind == "f":
        raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
    return plain(np.invert(a._data))


def isnan(a):
    return plain(np.isnan(a._data))


def isinf(a):
    return plain(np.isinf(a._data))


def isfinite(a):
    return plain(np.isfinite(a._data))


def _bitwise(fn):
    def op(a, b):
        bd = b._data if isinstance(b, Tensor) else b
        return plain(fn(a._data, bd))

    return op


bitwise_and = _bitwise(np.bitwise_and)
bitwise_or = _bitwise(np.bitwise_or)
bitwise_xor = _bitwise(np.bitwise_xor)
