"""``leaky_relu`` and ``gelu`` as single ops, as in PyTorch (``LeakyReluBackward0``,
``GeluBackward0``): the ``grad_fn`` torch shows, and torch's derivative at the kink of
``leaky_relu`` (the slope at exactly 0).

    leaky_relu:  y = x if x > 0 else s x          dy/dx = 1 if x > 0 else s
    gelu:        y = x Phi(x)                     dy/dx = Phi(x) + x phi(x)
    gelu tanh:   y = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)
                 dy/dx = (1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2
"""

import math

import numpy as np

from ._util import STATE, Node, out, plain, ver
from .elementwise import _erf_np, _float

__all__ = ["leaky_relu", "gelu"]

_SQRT_2_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class LeakyReluBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        return (np.where(x > 0, g, g * self.meta).astype(x.dtype, copy=False),)


def leaky_relu(a, negative_slope=0.01):
    a = _float(a)
    x = a._data
    y = np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)
    if a._rg and STATE.enabled:
        return out(y, LeakyReluBackward0(), (a,), (x,), (ver(a),), meta=negative_slope)
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
