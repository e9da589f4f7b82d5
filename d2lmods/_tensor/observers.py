"""What the core tells ``d2lmods.nn`` so it can explain training-loop mistakes.

The core (the backward engine, ``Tensor.data``, ``+`` on tensors, in-place ops) only records
facts here and calls back; ``d2lmods.nn._loop`` decides whether a learner made a mistake and
says so. Nothing here changes what the core computes. Each hook costs one truth test while no
observer is armed.
"""

from __future__ import annotations

import weakref

__all__ = ["backward_done", "check_sum", "data_of_nonleaf", "alias_written", "root_text"]

#: Weak references to the grad_fn nodes of tensors ``backward()`` went through without
#: ``retain_graph`` (a plain set, not a ``WeakSet``: ``+`` tests it on every call, and a plain
#: set's truth test and a dead node's removal cost no Python call).
consumed: set = set()
_ref = weakref.ref
_discard = consumed.discard
#: ``id(alias) -> (weakref to alias, payload)`` for ``.data`` of non-leaf tensors read in a forward.
data_aliases: dict = {}

# Set by d2lmods.nn._loop when it is imported.
on_scalar_sum = None  # () -> None: a consumed loss was summed into another tensor
on_data_of_nonleaf = None  # (source, alias) -> payload or None
on_alias_write = None  # (payload) -> None
on_root_without_grad = None  # (index) -> message or None


def backward_done(tensors, retain_graph: bool) -> None:
    if retain_graph:
        return
    for t in tensors:
        fn = getattr(t, "_fn", None)
        if fn is not None:
            consumed.add(_ref(fn, _discard))  # leaves the set when the node dies


def is_consumed(node) -> bool:
    """True if ``backward()`` went through ``node`` (without ``retain_graph``) and it is alive."""
    return _ref(node) in consumed


def _holds_consumed(x) -> bool:
    fn = getattr(x, "_fn", None)
    if fn is None or getattr(x._data, "ndim", 1) != 0:
        return False
    if _ref(fn) in consumed:
        return True
    return any(e is not None and e[1] is not None and _ref(e[1]) in consumed for e in fn.inputs)


def check_sum(a, b) -> None:
    """``a + b`` is about to be recorded: say so if it keeps a consumed loss's graph alive."""
    if on_scalar_sum is not None and (_holds_consumed(a) or _holds_consumed(b)):
        on_scalar_sum()


def data_of_nonleaf(source, alias) -> None:
    if on_data_of_nonleaf is None:
        return
    payload = on_data_of_nonleaf(source, alias)
    if payload is not None:
        key = id(alias)
        data_aliases[key] = (
            weakref.ref(alias, lambda _r, k=key: data_aliases.pop(k, None)),
            payload,
        )


def alias_written(t) -> None:
    entry = data_aliases.get(id(t))
    if entry is not None and entry[0]() is t and on_alias_write is not None:
        data_aliases.pop(id(t), None)
        on_alias_write(entry[1])


def root_text(index: int):
    return on_root_without_grad(index) if on_root_without_grad is not None else None
