"""Tensors, autograd and ops."""
from __future__ import annotations

INPLACE_MODIFIED = (
    "The tensor was changed in place (an in-place op such as +=, add_(), relu_(), an indexed "
    "assignment, or a write through .data) after the forward pass used it and before backward(). "
    "Fix: don't write in place to a tensor the graph still needs -- use an out-of-place op "
    "(y = y * 2 instead of y *= 2), or .clone() it first, or make the update under "
    "`with torch.no_grad():` after backward() (as optimizers do).")


def mixed_dtype(op: str, x_dtype, name: str, t_dtype) -> str:
    """An op given a float input and a parameter or buffer of another float dtype."""
    return (f"mixed dtype (CPU): all inputs must share same datatype. The input is {x_dtype} "
            f"but {name} is {t_dtype}. Fix: convert the input (X.to({t_dtype})) or the model "
            f"(net.to({x_dtype}))")
