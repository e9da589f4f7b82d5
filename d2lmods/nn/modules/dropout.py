"""``Dropout``: zero random elements while training, identity in eval mode.

>>> import d2lmods
>>> from d2lmods import nn
>>> drop = nn.Dropout(0.5).eval()
>>> drop(d2lmods.ones(3))
tensor([1., 1., 1.])
"""

from __future__ import annotations

from d2lmods.nn import functional as F
from d2lmods.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; after ``net.eval()`` pass the input through unchanged."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
