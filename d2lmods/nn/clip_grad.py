"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``.

Call it between ``loss.backward()`` and ``optimizer.step()``; it scales or clamps the ``.grad``
of each parameter in place and returns the total norm measured before clipping::

    >>> import d2lmods as torch
    >>> from d2lmods import nn
    >>> w = nn.Parameter(torch.tensor([3.0, 4.0]))
    >>> w.sum().backward()
    >>> float(nn.utils.clip_grad_norm_([w], max_norm=1.0))
    1.4142135381698608
    >>> [round(g, 4) for g in w.grad.tolist()]
    [0.7071, 0.7071]
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor.core import Tensor, wrap
from .._tensor.dtypes import get_default_dtype
from .parameter import _array, _bump_version

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _norm(a: np.ndarray, norm_type: float) -> float:
    a = np.abs(np.asarray(a, dtype=np.float64)).ravel()
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(a.max())
    if norm_type == -math.inf:
        return float(a.min())
    if norm_type == 0:
        return float(np.count_nonzero(a))
    return float(np.sum(a**norm_type) ** (1.0 / norm_type))


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The ``norm_type`` norm of all ``tensors`` together, as if they were one vector."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return wrap(np.array(0.0, dtype=get_default_dtype().np))
    norms = [_norm(_array(t), norm_type) for t in tensors]
    total = _norm(np.array(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return wrap(np.array(total, dtype=_array(tensors[0]).dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale every ``.grad`` by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        a = _array(g)
        if isinstance(a, np.ndarray):
            np.multiply(a, coef, out=a, casting="unsafe")
        else:  # a 0-dim gradient held as a numpy scalar
            g._data = np.asarray(a * coef, dtype=a.dtype)
        _bump_version(g)


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale the gradients so that their total ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-dim tensor). Parameters without ``.grad``
    are skipped.
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every ``.grad`` element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        a = _array(g)
        if isinstance(a, np.ndarray):
            np.clip(a, -clip_value, clip_value, out=a)
        else:
            g._data = np.clip(np.asarray(a), -clip_value, clip_value)
        _bump_version(g)


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Deprecated spelling of :func:`clip_grad_norm_` (torch warns the same way)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
