"""torch's path ``torch.nn.modules.module``: ``from d2lmods.nn.modules.module import Module`` works."""

from ..module import Module, _addindent

__all__ = ["Module", "_addindent"]
