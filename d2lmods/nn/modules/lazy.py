"""torch's path ``torch.nn.modules.lazy``: ``from d2lmods.nn.modules.lazy import LazyModuleMixin``."""

from ..lazy import LazyModuleMixin

__all__ = ["LazyModuleMixin"]
