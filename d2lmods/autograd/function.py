"""``Function``: define an op by its forward and its derivative, as with ``torch.autograd.Function``.

    >>> import d2lmods as torch
    >>> class Square(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         x, = ctx.saved_tensors
    ...         return 2 * x * grad_out
    >>> x = torch.tensor([3.], requires_grad=True)
    >>> y = Square.apply(x); y.backward(torch.ones(1)); x.grad
    tensor([6.])

``forward`` runs with gradient recording off and sees plain tensors; ``backward`` gets one gradient
per output and returns one gradient (or ``None``) per ``forward`` argument.
"""

import numpy as np

from .._tensor.core import Tensor, wrap
from .grad_mode import STATE
from .node import _FREED_MESSAGE, GraphFreedError, Node

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx(Node):
    """The ``ctx`` object passed to ``forward``/``backward``; it is also the output's ``grad_fn``."""

    __slots__ = (
        "_fn_cls",
        "_arg_is_tensor",
        "needs_input_grad",
        "_saved_tensors",
        "n_outputs",
        "_non_differentiable",
        "materialize_grads",
        "_out_meta",
        "_saved_flag",
        "_freed",
        "_dirty",
        "__dict__",
    )

    # The engine frees a node's saved values after its backward (``node.saved = None``) and
    # refuses to run a freed node. PyTorch refuses a Function only when its backward reads
    # ``ctx.saved_tensors`` again, so here freeing just marks the ctx and that read raises.
    @property
    def saved(self):
        return self._saved_flag

    @saved.setter
    def saved(self, value):
        if value is None:
            self._freed = True
        else:
            self._saved_flag = value

    def save_for_backward(self, *tensors):
        """Keep tensors for ``backward``; a later in-place change to them is detected."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save tensors (or None), but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}; store other "
                    "values as attributes of ctx instead (ctx.k = k)"
                )
        self._saved_tensors = tensors
        self.saved = (True,)  # something to free: reading it in a second backward then raises
        self._versions = tuple((t._vcell, t._vcell[0], t._data) for t in tensors if t is not None)

    @property
    def saved_tensors(self):
        if self._freed:
            raise GraphFreedError(_FREED_MESSAGE)
        self.check_saved()
        return self._saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        """Say that ``forward`` changed these inputs in place: returned, they take this op as their
        ``grad_fn`` (the same tensor objects, as in PyTorch)."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def backward(self, grad):
        grads = [grad] if self.n_outputs == 1 else [grad.get(i) for i in range(self.n_outputs)]
        tgrads = []
        for g, meta in zip(grads, self._out_meta):
            if g is None and self.materialize_grads and meta is not None:
                g = np.zeros(meta[0], dtype=meta[1])
            tgrads.append(None if g is None else wrap(g))
        result = self._fn_cls.backward(self, *tgrads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        name = type(self).__name__
        if len(result) != n_args and not (
            len(result) > n_args and all(g is None for g in result[n_args:])
        ):
            # PyTorch accepts extra trailing Nones, nothing else
            raise RuntimeError(
                f"function {name} returned an incorrect number of gradients "
                f"(expected {n_args}, got {len(result)})"
            )
        out = []
        index = 0  # PyTorch counts the tensor inputs only when naming a bad gradient
        for pos, (is_tensor, edge, g) in enumerate(zip(self._arg_is_tensor, self.inputs, result)):
            if not is_tensor:
                if g is not None:
                    raise RuntimeError(
                        f"function {name} returned a gradient different than None at position "
                        f"{pos + 1}, but the corresponding forward input was not a Variable"
                    )
                out.append(None)
                continue
            index += 1
            if g is None or edge is None:
                out.append(None)
                continue
            arr = g._data if isinstance(g, Tensor) else np.asarray(g)
            d = edge[0]._data
            if arr.shape != d.shape:
                arr = _reduce_to(arr, d.shape, name, index - 1)
            if arr.dtype != d.dtype:
                arr = arr.astype(d.dtype)
            out.append(arr)
        return out

    @property
    def saved_variables(self):
        return self.saved_tensors


def _reduce_to(arr, shape, name, index):
    """A gradient of a broadcast shape summed back to its input's ``shape``; any other shape is
    PyTorch's error."""
    lead = arr.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != a for s, a in zip(shape, arr.shape[lead:])):
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index {index} - got "
            f"{list(arr.shape)} but expected shape compatible with {list(shape)}"
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and arr.shape[lead + i] != 1
    )
    return arr.sum(axis=axes).reshape(shape)


class _FunctionMeta(type):
    """Gives each ``Function`` subclass a node class named ``<Name>Backward`` (as PyTorch does)."""

    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"__slots__": ()})


class Function(metaclass=_FunctionMeta):
    """Base class for ops with a hand-written derivative. Subclass it and call ``MyFn.apply(...)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your "
            "custom autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):  # pragma: no cover - only used when overridden
        return None

    vjp = backward

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "Function objects are not instantiated: call the class's apply() "
            f"instead ({type(self).__name__}.apply(x))"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx._fn_cls = cls
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._arg_is_tensor = is_tensor
        ctx.needs_input_grad = tuple(t and a._rg for t, a in zip(is_tensor, args))
        ctx._saved_tensors = ()
        ctx._versions = ()
        ctx.saved = ()
        ctx._freed = False
        ctx.meta = None
        ctx.n_outputs = 1
        ctx._non_differentiable = ()
        ctx._dirty = ()
        ctx.materialize_grads = True
        record = STATE.enabled and any(ctx.needs_input_grad)

        custom_setup = cls.setup_context is not Function.setup_context
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev

        if not record:
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        name = cls.__name__
        ctx.inputs = tuple(
            (a, a._fn, a._out_nr) if (t and a._rg) else None for t, a in zip(is_tensor, args)
        )
        ctx.n_outputs = len(outputs)
        ctx._out_meta = []
        for i, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                ctx._out_meta.append(None)
                continue
            ctx._out_meta.append((o._data.shape, o._data.dtype))
            if id(o) in ctx._non_differentiable or o._data.dtype.kind != "f":
                continue
            if id(o) in ctx._dirty and any(o is a for a in args):
                if o._fn is None and o._rg:
                    raise RuntimeError(
                        "a leaf Variable that requires grad has been used in an in-place "
                        f"operation ({name}.forward changed it and called ctx.mark_dirty); apply "
                        f"{name} to a copy (x.clone()) or change the leaf under torch.no_grad()"
                    )
                # the input itself, changed in place: its history now goes through this op
                o._rg = True
                o._fn = ctx
                o._out_nr = i
                continue
            if o._fn is not None or any(o is a for a in args):
                # forward returned an input or a tensor that already has a graph: alias it so the
                # caller's tensor keeps its own history.
                o = o.detach()
                outputs = outputs[:i] + (o,) + outputs[i + 1 :]
            o._rg = True
            o._fn = ctx
            o._out_nr = i
        return outputs if isinstance(output, tuple) else outputs[0]


def once_differentiable(fn):
    """Decorator accepted for compatibility (d2lmods never builds graphs inside backward)."""
    return fn
