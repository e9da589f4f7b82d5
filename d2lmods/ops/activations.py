"""Activations as single ops, as in PyTorch: ``leaky_relu`` and ``gelu`` (``LeakyReluBackward0``,
``GeluBackward0``) here, the others further down (``EluBackward0``, ``SiluBackward0``, ...):
the ``grad_fn`` torch shows, and torch's derivative at the kinks (``leaky_relu``: the slope at
exactly 0).

    leaky_relu:  y = x if x > 0 else s x          dy/dx = 1 if x > 0 else s
    gelu:        y = x Phi(x)                     dy/dx = Phi(x) + x phi(x)
    gelu tanh:   y = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)
                 dy/dx = (1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2
"""

import math

import numpy as np

from ._util import STATE, Node, OpNotImplementedError, out, plain, sum_to, ver
from .elementwise import _erf_np, _float

__all__ = [
    "leaky_relu",
    "gelu",
    "elu",
    "selu",
    "celu",
    "silu",
    "softplus",
    "hardtanh",
    "logsigmoid",
    "mish",
    "hardswish",
    "hardsigmoid",
    "threshold",
    "glu",
    "prelu",
]

_SQRT_2_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class LeakyReluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (np.where(x > 0, g, g * self.meta).astype(x.dtype, copy=False),)


class LeakyReluBackward1(LeakyReluBackward0):  # the in-place form
    __slots__ = ()


def leaky_relu(a, negative_slope=0.01, _inplace=False):
    a = _float(a)
    x = a._data
    y = np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)
    if a._rg and STATE.enabled:
        node = LeakyReluBackward1() if _inplace else LeakyReluBackward0()
        return out(y, node, (a,), (x,), (ver(a),), meta=negative_slope)
    return plain(y)


class GeluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        if self.meta == "tanh":
            t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3))
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x)
        else:
            d = 0.5 * (1 + _erf_np(x * _INV_SQRT_2)) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return ((g * d).astype(x.dtype, copy=False),)


def gelu(a, approximate="none"):
    a = _float(a)
    x = a._data
    if approximate == "tanh":
        y = 0.5 * x * (1 + np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3)))
    else:
        y = 0.5 * x * (1 + _erf_np(x * _INV_SQRT_2))
    y = np.asarray(y, dtype=x.dtype)
    if a._rg and STATE.enabled:
        return out(y, GeluBackward0(), (a,), (x,), (ver(a),), meta=approximate)
    return plain(y)


# ----------------------------------------------------------------------------- more activations
# Each op below is one node saving its input ``x`` (``PreluKernelBackward0`` also the weight):
#
#   elu/selu/celu: y = s x (x > 0),  s a (exp(x i) - 1) (x <= 0)   dy/dx = s, s a i exp(x i)
#                  (elu: s = i = 1; selu: torch's fixed a and s, i = 1; celu: s = 1, i = 1/a)
#   silu:      y = x sigmoid(x)                   dy/dx = sig (1 + x (1 - sig))
#   softplus:  y = log(1 + exp(b x)) / b          dy/dx = sigmoid(b x)   (x where b x > thr: 1)
#   hardtanh:  y = clip(x, lo, hi)                dy/dx = 1 on (lo, hi), else 0
#   logsigmoid: y = -softplus(-x)                 dy/dx = sigmoid(-x)
#   mish:      y = x tanh(softplus(x))            dy/dx = t + x sigmoid(x) (1 - t^2)
#   hardswish: y = x relu6(x + 3) / 6             dy/dx = 0 (x <= -3), x/3 + 1/2 (x < 3), 1
#   hardsigmoid: y = relu6(x + 3) / 6             dy/dx = 1/6 on (-3, 3), else 0
#   threshold: y = x if x > thr else value        dy/dx = 1 if x > thr else 0
#   glu:       y = a sigmoid(b), [a, b] = halves of x along dim
#                                                 dy/da = sig(b), dy/db = a sig(b) (1 - sig(b))
#   prelu:     y = x if x > 0 else w x            dy/dx = 1 or w, dy/dw = x (x <= 0), summed

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid_np(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # without exp's overflow


def _floating(a, kernel):
    """``a`` if it holds floats; torch's error for integer tensors otherwise."""
    if a._data.dtype.kind != "f":
        raise OpNotImplementedError(
            f"\"{kernel}\" not implemented for '{a.dtype.torch_name}': convert the input with "
            ".float() first",
            op=kernel,
            shapes=(a._data.shape,),
        )
    return a


def _unary(a, y, node, meta=None):
    y = np.asarray(y, dtype=a._data.dtype)
    if a._rg and STATE.enabled:
        return out(y, node, (a,), (a._data,), (ver(a),), meta=meta)
    return plain(y)


class EluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        alpha, scale, iscale = self.meta
        with np.errstate(all="ignore"):
            d = np.where(x > 0, scale, scale * alpha * iscale * np.exp(x * iscale))
        return ((g * d).astype(x.dtype, copy=False),)


class EluBackward1(EluBackward0):  # the in-place form (torch saves the result there)
    __slots__ = ()


class CeluBackward0(EluBackward0):
    __slots__ = ()


class CeluBackward1(EluBackward0):
    __slots__ = ()


def _elu(a, alpha, scale, iscale, node):
    a = _floating(a, "elu_cpu")
    x = a._data
    with np.errstate(all="ignore"):
        y = np.where(x > 0, scale * x, scale * alpha * np.expm1(x * iscale))
    return _unary(a, y, node, (alpha, scale, iscale))


def elu(a, alpha=1.0, _inplace=False):
    return _elu(a, alpha, 1.0, 1.0, EluBackward1() if _inplace else EluBackward0())


def selu(a, _inplace=False):
    return _elu(a, SELU_ALPHA, SELU_SCALE, 1.0, EluBackward1() if _inplace else EluBackward0())


def celu(a, alpha=1.0, _inplace=False):
    return _elu(a, alpha, 1.0, 1.0 / alpha, CeluBackward1() if _inplace else CeluBackward0())


class SiluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        s = _sigmoid_np(x)
        return ((g * s * (1 + x * (1 - s))).astype(x.dtype, copy=False),)


def silu(a):
    a = _floating(a, "silu_cpu")
    x = a._data
    return _unary(a, x * _sigmoid_np(x), SiluBackward0())


class SoftplusBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        beta, threshold = self.meta
        d = np.where(x * beta > threshold, 1.0, _sigmoid_np(x * beta))
        return ((g * d).astype(x.dtype, copy=False),)


def softplus(a, beta=1.0, threshold=20.0):
    a = _floating(a, "softplus_cpu")
    x = a._data
    with np.errstate(all="ignore"):
        y = np.where(x * beta > threshold, x, np.logaddexp(0, x * beta) / beta)
    return _unary(a, y, SoftplusBackward0(), (beta, threshold))


class HardtanhBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        lo, hi = self.meta
        return (np.where((x <= lo) | (x >= hi), 0, g).astype(x.dtype, copy=False),)


def hardtanh(a, min_val=-1.0, max_val=1.0):
    x = a._data  # integer tensors stay integer, as in torch
    return _unary(a, np.clip(x, min_val, max_val), HardtanhBackward0(), (min_val, max_val))


class LogSigmoidBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return ((g * _sigmoid_np(-x)).astype(x.dtype, copy=False),)


def logsigmoid(a):
    a = _floating(a, "log_sigmoid_cpu")
    x = a._data
    return _unary(a, -np.logaddexp(0, -x), LogSigmoidBackward0())


class MishBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        t = np.tanh(np.logaddexp(0, x))
        return ((g * (t + x * _sigmoid_np(x) * (1 - t * t))).astype(x.dtype, copy=False),)


def mish(a):
    a = _floating(a, "mish_cpu")
    x = a._data
    return _unary(a, x * np.tanh(np.logaddexp(0, x)), MishBackward0())


class HardswishBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        d = np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0))
        return ((g * d).astype(x.dtype, copy=False),)


def hardswish(a):
    a = _floating(a, "hardswish_cpu")
    x = a._data
    return _unary(a, x * np.clip(x + 3, 0, 6) / 6, HardswishBackward0())


class HardsigmoidBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (np.where((x > -3) & (x < 3), g / 6, 0).astype(x.dtype, copy=False),)


def hardsigmoid(a):
    a = _floating(a, "hardsigmoid_cpu")
    x = a._data
    return _unary(a, np.clip(x + 3, 0, 6) / 6, HardsigmoidBackward0())


class ThresholdBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (np.where(x <= self.meta, 0, g).astype(x.dtype, copy=False),)


class ThresholdBackward1(ThresholdBackward0):  # the in-place form
    __slots__ = ()


def threshold(a, threshold, value, _inplace=False):
    x = a._data
    y = np.where(x > threshold, x, value).astype(x.dtype, copy=False)
    if a._rg and STATE.enabled:
        node = ThresholdBackward1() if _inplace else ThresholdBackward0()
        return out(y, node, (a,), (x,), (ver(a),), meta=threshold)
    return plain(y)


class GluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        first, second = np.split(x, 2, axis=self.meta)
        s = _sigmoid_np(second)
        gx = np.concatenate([g * s, g * first * s * (1 - s)], axis=self.meta)
        return (gx.astype(x.dtype, copy=False),)


def glu(a, dim=-1):
    a = _floating(a, "glu_cpu")
    x = a._data
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + x.ndim if dim < 0 else dim
    if not 0 <= d < x.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], "
            f"but got {dim})"
        )
    if x.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}"
        )
    first, second = np.split(x, 2, axis=d)
    return _unary(a, first * _sigmoid_np(second), GluBackward0(), d)


class PreluKernelBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, w = self.saved
        wshape = self.meta
        a, b = self.inputs
        gx = gw = None
        if a is not None:
            gx = np.where(x > 0, g, g * w).astype(x.dtype, copy=False)
        if b is not None:
            gw = sum_to(np.where(x > 0, 0, g * x), w.shape)
            gw = gw.reshape(wshape).astype(x.dtype, copy=False)
        return gx, gw


def prelu(a, weight):
    x, wd = a._data, weight._data
    if wd.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {wd.ndim}"
        )
    if wd.size != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim > 1 else 1
        if channels != wd.size:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {wd.size} and channel size = {channels}.\nprelu takes one slope per "
                f"channel of the input's dim 1 ({channels} here) or one shared slope: build the "
                f"layer as nn.PReLU({channels}) or nn.PReLU()."
            )
    w = (
        wd.reshape((1, -1) + (1,) * (x.ndim - 2))
        if wd.size > 1 and x.ndim > 1
        else wd.reshape((1,) * x.ndim if wd.size == 1 else wd.shape)
    )
    y = np.where(x > 0, x, x * w).astype(x.dtype, copy=False)
    rg_a, rg_w = a._rg, weight._rg
    if STATE.enabled and (rg_a or rg_w):
        return out(
            y,
            PreluKernelBackward0(),
            (a if rg_a else None, weight if rg_w else None),
            (x, w),
            (ver(a), ver(weight)),
            meta=wd.shape,
        )
    return plain(y)
