"""Hook handles, as in PyTorch's ``torch/utils/hooks.py``: ``Tensor.register_hook`` and the
``Module`` hooks (``d2lmods.nn.hooks`` re-exports them) store each hook in an ordered dict under
a fresh id and return a :class:`RemovableHandle` that can take it out again.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict

__all__ = ["HOOKS_SEEN", "RemovableHandle"]

#: ``[True]`` once a hook dict (of a module or a tensor) has held a hook in this process. Until then
#: ``Module.__call__`` reads this one flag instead of a module's four forward/backward hook dicts
#: (PyTorch's ``_call_impl`` likewise skips its hook handling while they are all empty). Every way
#: a hook gets in (``register_*_hook``, a direct ``m._forward_hooks[k] = f``, unpickling, deepcopy)
#: goes through ``_HookDict.__setitem__``, which sets it; it is never reset.
HOOKS_SEEN = [False]


class RemovableHandle:
    """Returned by ``register_hook``, ``register_forward_hook`` & co.; ``handle.remove()`` takes the
    hook off again."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | None = None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        self.extra_dict_ref = weakref.ref(extra_dict) if extra_dict is not None else None

    extra_dict_refs: tuple = ()

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, self.extra_dict_ref, *self.extra_dict_refs):
            d = ref() if ref is not None else None
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        # Weak references cannot be pickled: store the dicts themselves (the module pickles them too).
        return (
            self.hooks_dict_ref(),
            self.id,
            self.extra_dict_ref() if self.extra_dict_ref is not None else None,
        )

    def __setstate__(self, state):
        hooks, self.id, extra = state
        self.hooks_dict_ref = weakref.ref(hooks if hooks is not None else _HookDict())
        self.extra_dict_ref = weakref.ref(extra) if extra is not None else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(OrderedDict):
    """An OrderedDict that can be weak-referenced (a handle keeps only a weak reference)."""

    def __setitem__(self, key, value):
        HOOKS_SEEN[0] = True
        OrderedDict.__setitem__(self, key, value)
