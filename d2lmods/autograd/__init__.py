"""Reverse-mode automatic differentiation: the engine, ``Function`` and gradient-mode switches.

>>> import d2lmods as torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> y = x ** 3
>>> torch.autograd.grad(y, x)
(tensor(12.),)
"""

from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .node import AccumulateGrad, GraphFreedError, Node, SavedTensorModifiedError

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "Node",
    "AccumulateGrad",
    "GraphFreedError",
    "SavedTensorModifiedError",
]
