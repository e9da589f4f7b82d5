"""Bounded reads of the plain Python containers a model holds (list, tuple, dict, set).

Model code is arbitrary: a ``list`` subclass may define an endless ``__iter__``, a ``dict``
subclass an ``items`` that never returns. The module system looks into such containers on
its own (to find modules hidden in them, to name a layer's place), so it reads them through
the built-in types' own iteration, never a subclass's, and at most a fixed number of elements.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

CONTAINERS = (list, tuple, dict, set, frozenset)
MAX_DEPTH = 32  # nesting levels of plain containers looked into
MAX_ITEMS = 10_000  # elements read per scan of one attribute (all levels together)


_PLAIN_KEYS = (str, int, float, bool, bytes, type(None))


def _key_text(k) -> str:
    # repr runs code of the key's class: only built-in keys (and short tuples of them) are
    # shown as themselves, any other key by its type.
    if type(k) in _PLAIN_KEYS or (
        type(k) is tuple and len(k) <= 8 and all(type(x) in _PLAIN_KEYS for x in k)
    ):
        return repr(k)
    return f"<{type(k).__name__}>"


def container_items(value, limit: int = MAX_ITEMS):
    """Up to ``limit`` ``(path suffix, element)`` pairs of a plain container, in its own order.

    Reads the storage of the built-in type (``list.__iter__``, ``dict.items``...), so a
    subclass's ``__iter__`` is never called. Sets are ordered by (type name, id). Anything
    that is not really one of these containers gives no items.
    """
    t = type(value)  # not isinstance(): an object can claim any __class__
    if issubclass(t, dict):
        items = OrderedDict.items(value) if issubclass(t, OrderedDict) else dict.items(value)
        return [(f"[{_key_text(k)}]", v) for k, v in itertools.islice(items, limit)]
    if issubclass(t, (set, frozenset)):
        it = set.__iter__(value) if issubclass(t, set) else frozenset.__iter__(value)
        ordered = sorted(itertools.islice(it, limit), key=lambda x: (type(x).__name__, id(x)))
        return [(f"{{{i}}}", v) for i, v in enumerate(ordered)]
    if issubclass(t, (list, tuple)):
        it = list.__iter__(value) if issubclass(t, list) else tuple.__iter__(value)
        return [(f"[{i}]", v) for i, v in enumerate(itertools.islice(it, limit))]
    return []


def container_kind(value) -> str:
    """``'list'``, ``'tuple'``, ``'dict'`` or ``'set'`` (frozensets and subclasses by their base)."""
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, (set, frozenset)):
        return "set"
    if isinstance(value, tuple):
        return "tuple"
    return "list"
