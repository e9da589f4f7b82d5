"""``parameters_to_vector`` / ``vector_to_parameters``, as ``torch.nn.utils``.

>>> import d2lmods as torch
>>> from d2lmods import nn
>>> lin = nn.Linear(2, 1)
>>> vec = nn.utils.parameters_to_vector(lin.parameters())
>>> vec.shape
d2lmods.Size([3])
>>> nn.utils.vector_to_parameters(torch.zeros(3), lin.parameters())
>>> lin.weight.tolist(), lin.bias.tolist()
([[0.0, 0.0]], [0.0])
"""

from __future__ import annotations

from .._messages import typename
from .._tensor.core import Tensor
from ..ops.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """All ``parameters`` flattened and joined into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their ``.data``), in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer : pointer + n].view_as(param).data
        pointer += n
