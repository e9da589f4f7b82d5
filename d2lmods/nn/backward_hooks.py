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

from .._tensor.core import Tensor, wrap
from ..autograd.function import Function

__all__ = ["hook_inputs", "hook_outputs"]


def _alias(t: Tensor) -> Tensor:
    out = wrap(t._data)
    out._version = t._version
    return out


def _replace(hook_kind: str, old: tuple, new) -> tuple:
    if not isinstance(new, (tuple, list)):
        raise TypeError(
            f"a backward {hook_kind + ' ' if hook_kind else ''}hook must return None or "
            f"a tuple of gradients (one per entry it received), got "
            f"{type(new).__name__}"
        )
    new = tuple(new)
    if len(new) != len(old):
        raise RuntimeError(
            f"Backward {hook_kind} hook returned an invalid number of grad_input, "
            f"got {len(new)}, but expected {len(old)}"
        )
    return new


class _State:
    """What the two identity nodes of one call share."""

    def __init__(self, module, n_inputs: int):
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output = None


class _HookOutputs(Function):
    @staticmethod
    def forward(ctx, *outputs, state):
        ctx.state = state
        return tuple(_alias(o) for o in outputs)

    @staticmethod
    def backward(ctx, *grad_output):
        state = ctx.state
        module = state.module
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grad_output)
            if result is not None:
                grad_output = _replace("pre", grad_output, result)
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
    def backward(ctx, *grad_input):
        state = ctx.state
        module = state.module
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, state.grad_output)
            if result is not None:
                grad_input = _replace("", grad_input, result)
        return tuple(grad_input)


def hook_inputs(module, args: tuple):
    """Route the tensor inputs of one call through the node that runs the backward hooks."""
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    state = _State(module, len(positions))
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
