"""Hook handles, as in PyTorch's ``torch/utils/hooks.py``.

``register_forward_hook`` & co. store each hook in an ordered dict under a fresh id and
return a :class:`RemovableHandle` that can take it out again::

    >>> from d2lmods import nn
    >>> layer = nn.Linear(2, 2)
    >>> handle = layer.register_forward_hook(lambda m, args, out: None)
    >>> len(layer._forward_hooks)
    1
    >>> handle.remove(); len(layer._forward_hooks)
    0
"""

from .._tensor.hooks import HOOKS_SEEN, RemovableHandle, _HookDict

__all__ = ["HOOKS_SEEN", "RemovableHandle", "_HookDict"]
