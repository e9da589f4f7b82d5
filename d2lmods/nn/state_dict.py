"""What ``Module.state_dict()`` returns and what ``load_state_dict()`` reports.

:class:`StateDict` is PyTorch's ``OrderedDict`` of references to the parameters, plus one
teaching aid: it notices an entry replaced in a dict that can never be loaded. The helpers
below the class explain a load that restores nothing or fails.
"""
from __future__ import annotations

import itertools
import sys
from collections import OrderedDict, namedtuple

from .. import _messages as msg
from .._messages import state_dict as texts
from .parameter import Tensor, _same_storage, is_lazy

__all__ = ["StateDict"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns; prints ``<All keys matched successfully>`` when both are empty."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


class StateDict(OrderedDict):
    """The ordered ``name -> tensor`` mapping ``Module.state_dict()`` returns.

    The tensors share memory with the model's parameters (as in PyTorch), so
    the dict is a *view*, not a snapshot. Replacing an entry changes this dict
    only, never the model; d2lmods warns when that happens on a throw-away
    ``net.state_dict()[key] = value`` or on a dict that is later dropped
    without being loaded, because the learner most likely expected the model to
    change.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._metadata = OrderedDict()
        self._live = False           # True once handed out by Module.state_dict
        self._versions = None        # key -> the tensor's version when it was handed out
        self._edited: list[str] = []
        self._loaded = False

    def __setitem__(self, key, value):
        if self.__dict__.get("_live") and key in self and isinstance(value, Tensor):
            old = OrderedDict.__getitem__(self, key)
            if isinstance(old, Tensor) and not _same_storage(old, value):
                # 3 references = the caller's expression stack + this frame's `self` + getrefcount's
                # argument (CPython): nobody else holds the dict, so it can never be loaded and
                # the edit is lost for sure. A dict kept in a variable is checked when dropped.
                if sys.getrefcount(self) <= 3:
                    msg.warn(texts.edited([key]), msg.StateDictWarning, stacklevel=2)
                else:
                    self._edited.append(key)
        OrderedDict.__setitem__(self, key, value)

    def _consume(self):
        # Reading the edited dict (saving it, printing it, loading it) means it was put to use.
        if self.__dict__.get("_edited"):
            self._loaded = True

    def keys(self):
        self._consume()
        return OrderedDict.keys(self)

    def values(self):
        self._consume()
        return OrderedDict.values(self)

    def items(self):
        self._consume()
        return OrderedDict.items(self)

    def __iter__(self):
        self._consume()
        return OrderedDict.__iter__(self)

    def __del__(self):
        try:
            if self._edited and not self._loaded:
                msg.warn(texts.edited(self._edited), msg.StateDictWarning, stacklevel=1)
        except Exception:
            pass

    def __repr__(self):
        # Print exactly as the OrderedDict PyTorch returns.
        text = OrderedDict.__repr__(self)
        return "OrderedDict" + text[len(type(self).__name__):]

    def __reduce__(self):
        # Pickle/deepcopy as a plain OrderedDict snapshot (plus metadata).
        self._consume()
        state = {"_metadata": self._metadata}
        return (StateDict, (list(OrderedDict.items(self)),), state)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_live", False)
        self.__dict__.setdefault("_versions", None)
        self.__dict__.setdefault("_edited", [])
        self.__dict__.setdefault("_loaded", False)


def mark_live(sd: StateDict) -> None:
    """``sd`` is handed out by ``Module.state_dict()``: remember how far each tensor was written."""
    sd._live = True
    sd._versions = {k: v._version for k, v in OrderedDict.items(sd) if isinstance(v, Tensor)}


def _unchanged_since_taken(state_dict, pairs) -> bool:
    versions = state_dict.__dict__.get("_versions") if isinstance(state_dict, StateDict) else None
    return versions is not None and all(versions.get(k) == v._version for k, v in pairs)


def _own_tensors(module) -> dict:
    """``{qualified name: tensor}`` of every parameter and buffer, tied ones under each name."""
    return dict(itertools.chain(
        module._named_members(lambda m: m._parameters.items(), remove_duplicate=False),
        module._named_members(lambda m: m._buffers.items(), remove_duplicate=False)))


def note_load(module, state_dict) -> None:
    """``module.load_state_dict(state_dict)`` starts: the dict was put to use (its edits are not lost),
    and loading the model's own live tensors into it restores nothing (warned)."""
    if isinstance(state_dict, StateDict):
        state_dict._loaded = True
    own = _own_tensors(module)
    pairs = [(k, v) for k, v in state_dict.items() if k in own and isinstance(v, Tensor)
             and not is_lazy(own[k])]
    if pairs and all(_same_storage(v, own[k]) for k, v in pairs) \
            and not _unchanged_since_taken(state_dict, pairs):
        # Loading a dict taken a moment ago (nothing trained since) is a harmless no-op; the
        # mistake is a "best weights" dict that followed the model while it trained.
        msg.warn(texts.loading_itself(type(module).__name__, pairs[0][0]), msg.StateDictWarning,
                 stacklevel=3)


def warn_if_nothing_loaded(module, state_dict) -> None:
    """strict=False that matched no key at all: almost surely a naming mismatch, not a partial load."""
    own_keys = set(_own_tensors(module))
    given = list(state_dict.keys())
    if not own_keys or any(k in own_keys for k in given):
        return
    hint = common_prefix_fix(sorted(own_keys), given) or texts.COMPARE_KEYS
    msg.warn(texts.nothing_loaded(len(given), given[0], type(module).__name__, hint),
             msg.StateDictWarning, stacklevel=3)


def common_prefix_fix(missing: list[str], unexpected: list[str]) -> str:
    """Detect checkpoints whose keys carry an extra prefix like 'module.' / 'net.' (or lack one)."""
    if not missing or not unexpected:
        return ""
    miss = set(missing)
    for key in unexpected:
        parts = key.split(".")
        for i in range(1, len(parts)):
            pre = ".".join(parts[:i]) + "."
            stripped = {k[len(pre):] for k in unexpected if k.startswith(pre)}
            if miss <= stripped:
                return texts.strip_prefix(pre)
        break
    for key in missing:
        parts = key.split(".")
        for i in range(1, len(parts)):
            pre = ".".join(parts[:i]) + "."
            stripped = {k[len(pre):] for k in missing if k.startswith(pre)}
            if set(unexpected) <= stripped and len(stripped) == len(missing):
                return texts.add_prefix(pre)
        break
    return ""


def load_hint(missing, unexpected, error_msgs) -> str:
    """The "How to fix" line under the error list of a failed ``load_state_dict``."""
    fix = common_prefix_fix(missing, unexpected)
    if fix:
        return fix
    if any(m.startswith("size mismatch") for m in error_msgs):
        return texts.SIZE_MISMATCH
    if missing and unexpected:
        return texts.NAMES_MISMATCH
    if missing:
        return texts.MISSING
    if unexpected:
        return texts.UNEXPECTED
    return ""
