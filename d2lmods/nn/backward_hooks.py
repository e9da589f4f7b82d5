"""Module backward hooks: ``register_full_backward_hook`` / ``register_full_backward_pre_hook``.

As in torch, the module's tensor inputs and outputs are passed through identity autograd
Functions (their shared state goes as a keyword: only tensors are positional). The one after
the outputs sees ``grad_output`` and runs the pre-hooks, which may replace it; the one before
the inputs sees ``grad_input`` and runs the hooks, which may replace it. When no input requires
grad the hooks run with ``grad_input`` all ``None``, with torch's UserWarning::

    >>> import d2lmods as torch
    >>> from d2lmods import nn
    >>> lin = nn.Linear(2, 1)
    >>> seen = []
    >>> h = lin.register_full_backward_hook(
    ...     lambda m, gin, gout: seen.append((gin[0].shape, gout[0].shape)))
    >>> lin(torch.ones(3, 2, requires_grad=True)).sum().backward()
    >>> seen
    [(d2lmods.Size([3, 2]), d2lmods.Size([3, 1]))]
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor.core import Tensor, wrap
from ..autograd.function import Function

__all__ = ["hook_inputs", "hook_outputs"]


def _alias(t: Tensor) -> Tensor:
    return wrap(t._data, version=t._vcell)


def _zeros_like(t: Tensor) -> Tensor:
    return wrap(np.zeros_like(t._data))


def _replace(hook_kind: str, what: str, old: tuple, new) -> tuple:
    """A hook's replacement for ``old``, checked as torch checks it."""
    if not isinstance(new, (tuple, list)):
        raise TypeError(
            f"a {hook_kind} must return None or a tuple of gradients (one per entry "
            f"of {what}), got {type(new).__name__}"
        )
    new = tuple(new)
    if len(new) != len(old):
        raise RuntimeError(
            f"{hook_kind.capitalize()} returned an invalid number of {what}, "
            f"got {len(new)}, but expected {len(old)}"
        )
    return new


class _State:
    """What the two identity nodes of one call share."""

    def __init__(self, module, layout: list):
        self.module = module
        # per positional argument, as torch reports grad_input: "grad" (routed through the
        # input node), a tensor that does not require grad (reported as zeros), or None
        self.layout = layout
        self.n_inputs = sum(isinstance(kind, str) for kind in layout)
        self.grad_output = None


class _HookOutputs(Function):
    @staticmethod
    def forward(ctx, *outputs, state):
        ctx.state = state
        ctx.set_materialize_grads(False)  # an unused output's gradient stays None
        return tuple(_alias(o) for o in outputs)

    @staticmethod
    def backward(ctx, *grad_output):
        state = ctx.state
        module = state.module
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grad_output)
            if result is not None:
                grad_output = _replace("backward pre hook", "grad_output", grad_output, result)
        state.grad_output = grad_output
        if state.n_inputs == 0 and module._backward_hooks:
            # Nothing upstream needs a gradient: the hooks run now (torch says so too).
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module "
                "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/"
                "main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
                "for more details.",
                UserWarning,
                stacklevel=2,
            )
            for hook in list(module._backward_hooks.values()):
                hook(module, (None,), grad_output)
        return tuple(grad_output)


class _HookInputs(Function):
    @staticmethod
    def forward(ctx, *inputs, state):
        ctx.state = state
        return tuple(_alias(t) for t in inputs)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        module = state.module
        routed = iter(grads)
        grad_input = tuple(
            next(routed) if isinstance(kind, str) else None if kind is None else _zeros_like(kind)
            for kind in state.layout
        )
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, state.grad_output)
            if result is not None:
                grad_input = _replace("backward hook", "grad_input", grad_input, result)
        return tuple(g for g, kind in zip(grad_input, state.layout) if isinstance(kind, str))


def hook_inputs(module, args: tuple):
    """Route the tensor inputs of one call through the node that runs the backward hooks."""
    layout = [("grad" if a.requires_grad else a) if isinstance(a, Tensor) else None for a in args]
    state = _State(module, layout)
    positions = [i for i, kind in enumerate(layout) if isinstance(kind, str)]
    if positions:
        aliased = _HookInputs.apply(*(args[i] for i in positions), state=state)
        aliased = aliased if isinstance(aliased, tuple) else (aliased,)
        args = list(args)
        for i, a in zip(positions, aliased):
            args[i] = a
        args = tuple(args)
    return args, state


def hook_outputs(state: _State, result):
    """Route the call's tensor outputs through the node that sees ``grad_output``."""
    outs = result if isinstance(result, tuple) else (result,)
    slots = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    if not slots:
        return result
    hooked = _HookOutputs.apply(*(outs[i] for i in slots), state=state)
    hooked = hooked if isinstance(hooked, tuple) else (hooked,)
    outs = list(outs)
    for i, o in zip(slots, hooked):
        outs[i] = o
    return tuple(outs) if isinstance(result, tuple) else outs[0]
