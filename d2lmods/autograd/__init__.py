"""Reverse-mode automatic differentiation: the engine, ``Function`` and gradient-mode switches.

    >>> import d2lmods as torch
    >>> x = torch.tensor(2.0, requires_grad=True)
    >>> y = x ** 3
    >>> torch.autograd.grad(y, x)
    (tensor(12.),)
"""
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .node import Node, AccumulateGrad, GraphFreedError, SavedTensorModifiedError

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "backward", "grad", "Function", "FunctionCtx", "once_differentiable", "Node",
           "AccumulateGrad", "GraphFreedError", "SavedTensorModifiedError"]
