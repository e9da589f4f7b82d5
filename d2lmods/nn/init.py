"""Parameter initialization, as in ``torch.nn.init``.

Every function fills its tensor **in place**, records no gradient, and returns
the same tensor, so it works on parameters that require grad::

    >>> import d2lmods
    >>> from d2lmods import nn
    >>> w = nn.Parameter(d2lmods.empty(3, 4))
    >>> nn.init.zeros_(w) is w
    True
    >>> float(w.abs().sum())
    0.0

Random draws come from d2lmods' global generator: ``d2lmods.manual_seed(0)``
makes them repeatable.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._messages import layers as texts
from .._tensor import dtypes as _dt
from .._tensor.core import Tensor
from .parameter import is_lazy

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "trunc_normal_",
    "orthogonal_",
]


def _array(tensor, fn: str) -> np.ndarray:
    """The array behind ``tensor``, after checking it can be initialized."""
    if is_lazy(tensor):
        raise RuntimeError(texts.init_lazy(fn))
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"nn.init.{fn} expects a d2lmods Tensor or Parameter, got {type(tensor).__name__}"
        )
    return tensor._data


def _random_array(tensor, fn: str, normal: bool) -> np.ndarray:
    """``_array`` for the random fills, which need a floating-point tensor (as in torch)."""
    arr = _array(tensor, fn)
    if arr.dtype.kind != "f":
        kernel = "normal_kernel_cpu" if normal else "check_uniform_bounds"
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_dt.NP_TO_DTYPE[arr.dtype].torch_name}': "
            f"nn.init.{fn} draws floating-point values, and this tensor is {tensor.dtype}; "
            "initialize a floating-point tensor (x.float()), or use nn.init.constant_ for integers"
        )
    return arr


def _fill(tensor, values, fn: str):
    """Write ``values`` into ``tensor`` without recording a gradient; returns ``tensor``."""
    from d2lmods.autograd.grad_mode import no_grad

    arr = _array(tensor, fn)
    with no_grad():
        arr[...] = values
        tensor._vcell[0] += 1  # graphs that saved the old values must notice the change
    return tensor


def _rng(generator=None) -> np.random.Generator:
    """The global generator, or the stream of a ``d2lmods.Generator`` passed as ``generator=``."""
    from d2lmods.random import rng

    return rng(generator)


def _check_nonempty(arr, fn) -> bool:
    if arr.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return False
    return True


def calculate_gain(nonlinearity, param=None):
    r"""The recommended gain for an activation function.

    ==================  ===========================================
    linear / conv / sigmoid   1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope^2))
    selu                      3/4
    ==================  ===========================================

    >>> round(calculate_gain("relu"), 4)
    1.4142
    """
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for tensor with fewer than 2 "
            f"dimensions (got shape {shape}); use uniform_/normal_/zeros_ for biases"
        )
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn from U(a, b)."""
    arr = _random_array(tensor, "uniform_", normal=False)
    return _fill(tensor, _rng(generator).uniform(a, b, arr.shape), "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from N(mean, std^2)."""
    arr = _random_array(tensor, "normal_", normal=True)
    return _fill(tensor, _rng(generator).normal(mean, std, arr.shape), "normal_")


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) values, redrawing any that fall outside [a, b]."""
    arr = _random_array(tensor, "trunc_normal_", normal=True)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    rng = _rng(generator)
    values = rng.normal(mean, std, arr.shape)
    for _ in range(1000):  # rejection sampling: same distribution as PyTorch's inverse CDF
        bad = (values < a) | (values > b)
        if not bad.any():
            break
        values[bad] = rng.normal(mean, std, int(bad.sum()))
    return _fill(tensor, np.clip(values, a, b), "trunc_normal_")


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _array(tensor, "constant_")
    return _fill(tensor, val, "constant_")


def ones_(tensor):
    """Fill with ones."""
    return _fill(tensor, 1, "ones_")


def zeros_(tensor):
    """Fill with zeros."""
    return _fill(tensor, 0, "zeros_")


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal)."""
    arr = _array(tensor, "eye_")
    if arr.ndim != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported (got shape {tuple(arr.shape)})"
        )
    return _fill(tensor, np.eye(*arr.shape), "eye_")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    arr = _random_array(tensor, "xavier_uniform_", normal=False)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _fill(tensor, _rng(generator).uniform(-bound, bound, arr.shape), "xavier_uniform_")


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    arr = _random_array(tensor, "xavier_normal_", normal=True)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, _rng(generator).normal(0.0, std, arr.shape), "xavier_normal_")


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    ``nn.Linear`` and ``nn.Conv2d`` use ``kaiming_uniform_(w, a=math.sqrt(5))``.
    """
    arr = _random_array(tensor, "kaiming_uniform_", normal=False)
    if not _check_nonempty(arr, "kaiming_uniform_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return _fill(tensor, _rng(generator).uniform(-bound, bound, arr.shape), "kaiming_uniform_")


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    arr = _random_array(tensor, "kaiming_normal_", normal=True)
    if not _check_nonempty(arr, "kaiming_normal_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _fill(tensor, _rng(generator).normal(0.0, std, arr.shape), "kaiming_normal_")


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw, times ``gain``;
    dimensions after the first are flattened (Saxe et al., 2013)."""
    arr = _random_array(tensor, "orthogonal_", normal=True)
    if arr.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if arr.size == 0:
        return tensor
    rows = arr.shape[0]
    cols = arr.size // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # a unique decomposition: make the diagonal of r positive
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(arr.shape), "orthogonal_")
