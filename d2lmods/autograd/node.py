"""Graph nodes: what an op leaves behind so ``backward`` can run it in reverse.

Every differentiable op creates one ``Node`` subclass instance, named like PyTorch's
(``MulBackward0``), and stores it as the output's ``grad_fn``. A node keeps

* ``inputs``  -- per input, ``(tensor, its grad_fn, output number)`` frozen when the op ran
  (``None`` for inputs that need no gradient),
* ``saved``   -- the arrays its backward formula needs (``None`` once the graph is freed),
* ``_versions`` -- for each saved array that belongs to a tensor: ``(counter, version, array)``,
  the tensor's version counter and the version it had when saved, so a later in-place write is detected,
* ``meta``    -- anything else the formula needs (shapes, axes).

``backward(grad)`` receives the gradient of the output (a numpy array; a node with several
outputs gets ``{output number: array}`` for the outputs that received one) and returns one array
(or ``None``) per input. It never loops over elements in Python: kernels do that.
"""
from .._messages.core import INPLACE_MODIFIED
from .._tensor.dtypes import NP_TO_DTYPE

__all__ = ["Node", "AccumulateGrad", "SavedTensorModifiedError", "GraphFreedError"]


class GraphFreedError(RuntimeError):
    """Backward reached a node whose saved values were already freed by an earlier backward."""


class SavedTensorModifiedError(RuntimeError):
    """A tensor saved for backward was changed in place after the op that saved it."""


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.\n"
    "In a training loop the usual cause is a loss (or an output such as y_hat = net(X)) computed "
    "once, before the loop, and reused: compute the forward pass and the loss again inside every "
    "iteration, so each backward() gets a fresh graph. retain_graph=True is rarely the right fix; "
    "it keeps the old graph and its stale values alive.")


class Node:
    """One recorded op. Subclasses implement ``backward(self, grad)``."""

    __slots__ = ("inputs", "saved", "_versions", "meta", "__weakref__")
    n_outputs = 1

    def backward(self, grad):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """``((node_or_AccumulateGrad_or_None, 0), ...)`` per input, as in PyTorch."""
        out = []
        for e in self.inputs:
            if e is None:
                out.append((None, 0))
            elif e[1] is not None:
                out.append((e[1], e[2]))
            else:
                out.append((AccumulateGrad(e[0]), 0))
        return tuple(out)

    # -- saved values ---------------------------------------------------------------------------
    def check_saved(self):
        """Raise a clear error if the graph was freed or a saved tensor changed in place."""
        if self.saved is None:
            raise GraphFreedError(_FREED_MESSAGE)
        for counter, version, arr in self._versions:
            if counter[0] != version:
                raise SavedTensorModifiedError(_modified_message(self, arr.shape, arr.dtype,
                                                                 counter[0], version))


def _modified_message(node, shape, np_dtype, now, expected):
    dtype = NP_TO_DTYPE[np_dtype]
    shape_s = ", ".join(str(s) for s in shape)
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [d2lmods.{dtype.torch_name}Tensor [{shape_s}]], "
        f"which {node.name()} saved for its backward, is at version {now}; expected version "
        f"{expected} instead.\n" + INPLACE_MODIFIED)


class AccumulateGrad:
    """Stand-in node for a leaf tensor in ``next_functions`` (its ``variable`` is the leaf)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"
