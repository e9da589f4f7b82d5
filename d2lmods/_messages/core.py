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


def backward_of_no_grad_output(i: int, module: str) -> str:
    """``backward()`` on a tensor computed while gradient recording was off."""
    return (f"element {i} of tensors does not require grad and does not have a grad_fn: it was "
            f"computed under torch.no_grad() ({module} last ran with gradient recording off), so "
            "no graph was recorded and there is nothing to differentiate. Fix: compute the loss "
            "for training outside the `with torch.no_grad():` block (keep no_grad for evaluation "
            "only), then call loss.backward().")


BACKWARD_INSIDE_NO_GRAD = (
    " backward() itself is called inside `with torch.no_grad():`, and so was the forward pass. "
    "Fix: run the training step (forward, loss, backward) outside the no_grad block.")
