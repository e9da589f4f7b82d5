"""The one scanner for modules, parameters and trainable tensors that ``nn.Module`` cannot see.

PyTorch registers only what is assigned directly as an attribute; anything kept in a plain
``list``/``tuple``/``dict``/``set`` is silently left out of ``parameters()``, ``state_dict()``,
``.to()`` and ``train()``/``eval()``. :func:`hidden_in` walks such a container; the
``UnregisteredModuleWarning`` checks below, :func:`d2lmods.nn.utils.find_unregistered` and
``d2lmods.viz`` all use it.

The walk is bounded: it reads containers through the built-in types' own iteration (never a
subclass's ``__iter__``, ``items`` or ``__getitem__``), at most :data:`MAX_ITEMS` elements
per attribute and :data:`MAX_DEPTH` levels deep, because ``parameters()`` and ``__setattr__``
run it on whatever a model holds.

When the checks speak: an assignment inside ``__init__`` is judged when the outermost
``__init__`` returns (a list assigned first and registered a line later is fine); one outside
``__init__`` at once; a list filled after assignment at the model's first call, or when
``parameters()``/``state_dict()``/``.to()`` first look at the model.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import warnings
from typing import NamedTuple

from .. import _messages as msg
from .._messages import modules as texts
from . import module as _module  # module.py imports this file: Module is read at call time
from ._callstack import call_state
from ._plain_containers import CONTAINERS, MAX_DEPTH, MAX_ITEMS, container_items, container_kind
from .parameter import Parameter, Tensor

__all__ = [
    "set_warn_unregistered",
    "warn_unregistered_enabled",
    "paused",
    "hidden_in",
    "Kinds",
    "kinds_of",
]

# Module's own bookkeeping attributes: never checked for hidden modules.
INTERNAL_ATTRS = frozenset(
    {
        "training",
        "_parameters",
        "_buffers",
        "_non_persistent_buffers_set",
        "_modules",
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_forward_hooks",
        "_forward_hooks_with_kwargs",
        "_forward_hooks_always_called",
        "_state_dict_hooks",
        "_state_dict_pre_hooks",
        "_load_state_dict_pre_hooks",
        "_load_state_dict_post_hooks",
        "_backward_hooks",
        "_backward_pre_hooks",
        "_load_hook",
        "_initialize_hook",
        "_d2l",
    }
)


# ---- which library's objects are scanned -------------------------------------------------------


class Kinds(NamedTuple):
    """The classes the scan tells apart, for the library a model is built with (d2lmods or torch)."""

    module: type
    parameter: type
    tensor: type
    internal: frozenset  # a Module's own bookkeeping attributes
    is_lazy: object  # tensor -> True while uninitialized
    numel: object  # tensor -> element count


def _d2lmods_numel(t) -> int:
    return int(t._data.size)


_torch_kinds: list = []


def kinds_of(model) -> Kinds:
    """The :class:`Kinds` of ``model``'s library: torch's for a ``torch.nn.Module``, else d2lmods'.

    torch is never imported here: a torch model exists only once its user imported torch.
    """
    torch = sys.modules.get("torch")
    # type(), not isinstance(): an object can claim any __class__
    if torch is not None and issubclass(type(model), torch.nn.Module):
        if not _torch_kinds:
            internal = frozenset(torch.nn.Module().__dict__) | INTERNAL_ATTRS
            _torch_kinds.append(
                Kinds(
                    torch.nn.Module,
                    torch.nn.Parameter,
                    torch.Tensor,
                    internal,
                    torch.nn.parameter.is_lazy,
                    lambda t: int(t.numel()),
                )
            )
        return _torch_kinds[0]
    from .parameter import is_lazy

    return Kinds(_module.Module, Parameter, Tensor, INTERNAL_ATTRS, is_lazy, _d2lmods_numel)


# ---- the switch --------------------------------------------------------------------------------

_settings = {"warn_unregistered": True}


class _Paused(threading.local):
    depth = 0  # nesting of paused() blocks in this thread
    observers = ()  # callables(module, stack) told of every module's first call (first_calls_seen)
    constructing = 0  # nesting of wrapped __init__ calls running in this thread, any module


_local = _Paused()


def set_warn_unregistered(enabled: bool = True) -> None:
    """Turn the :class:`UnregisteredModuleWarning` checks on or off for the whole process.

    >>> import d2lmods
    >>> d2lmods.set_warn_unregistered(False)   # e.g. for code that knows what it does
    >>> d2lmods.set_warn_unregistered(True)
    """
    _settings["warn_unregistered"] = bool(enabled)


def constructing() -> bool:
    """True while some module's ``__init__`` runs in this thread (building a model, not editing one)."""
    return _local.constructing > 0


def warn_unregistered_enabled() -> bool:
    return _settings["warn_unregistered"] and not _local.depth


@contextlib.contextmanager
def paused():
    """No unregistered-module checks in this thread while the block runs (other threads keep theirs).

    For tools that walk a model and report the same findings themselves (``d2lmods.viz``); the
    checks stay armed for the learner's own later calls.
    """
    _local.depth += 1
    try:
        yield
    finally:
        _local.depth -= 1


@contextlib.contextmanager
def first_calls_seen(observer):
    """Call ``observer(module, stack)`` at every module's first ``__call__`` in this thread.

    ``stack`` holds the modules being called around it. ``d2lmods.viz`` uses it to see modules
    that a forward calls but the model does not hold (e.g. a layer created inside ``forward``);
    the observer runs before the module's hooks are read, so it may add hooks to it.
    """
    before = _local.observers
    _local.observers = before + (observer,)
    try:
        yield
    finally:
        _local.observers = before


# ---- per-module markers ------------------------------------------------------------------------


class Marks:
    """What the checks remember about one module, kept in its ``__dict__`` under ``_d2l``."""

    __slots__ = ("called", "scanned", "warned_ids", "init_depth", "pending", "flags", "born")

    def __init__(self, called: bool = False, scanned: bool = False):
        self.called = called  # __call__ ran its first-call checks
        self.scanned = scanned  # parameters()/state_dict()/to() scanned it
        self.warned_ids: set = set()  # ids of objects already warned about
        self.init_depth = 0  # nesting of wrapped __init__ calls running
        self.pending: dict = {}  # attribute -> where it was assigned, judged after __init__
        self.flags: set = set()  # training-loop checks that already spoke (nn._loop)
        self.born = None  # (owner, path) if created while a forward ran (nn._loop)

    def __reduce__(self):
        # Object ids mean nothing in another process (pickle) or for another object (deepcopy).
        return (Marks, (self.called, self.scanned))


def marks(module) -> Marks:
    d = module.__dict__
    m = d.get("_d2l")
    if m is None:
        m = d["_d2l"] = Marks()
    return m


# ---- the walk ----------------------------------------------------------------------------------


def is_trainable_leaf(t, parameter=Parameter) -> bool:
    try:
        return bool(t.requires_grad) and t.grad_fn is None and not isinstance(t, parameter)
    except Exception:
        return False


def hidden_in(value, path: str = "", kinds: Kinds | None = None):
    """Yield ``(path, obj, kind)`` for each Module/Parameter/trainable tensor inside a plain container.

    ``kind`` is ``'module'``, ``'parameter'`` or ``'tensor'``. Depth first, in the container's
    own order; cycle-safe and bounded (see the module docstring). ``kinds`` names the library's
    classes (default: d2lmods').
    """
    if kinds is None:
        Module, Parameter_, Tensor_ = _module.Module, Parameter, Tensor
    else:
        Module, Parameter_, Tensor_ = kinds.module, kinds.parameter, kinds.tensor
    budget = [MAX_ITEMS]
    seen: set = set()

    def walk(value, path, depth):
        if id(value) in seen or depth > MAX_DEPTH or budget[0] <= 0:
            return
        seen.add(id(value))
        items = container_items(value, budget[0])
        budget[0] -= len(items)
        for sub, x in items:
            sub = path + sub
            t = type(x)  # not isinstance(): an object can claim any __class__
            if issubclass(t, Module):
                yield sub, x, "module"
            elif issubclass(t, Parameter_):
                yield sub, x, "parameter"
            elif issubclass(t, Tensor_) and is_trainable_leaf(x, Parameter_):
                yield sub, x, "tensor"
            elif issubclass(t, CONTAINERS):
                yield from walk(x, sub, depth + 1)

    return walk(value, path, 0)


def plain_attributes(module, internal: frozenset = INTERNAL_ATTRS):
    """``(name, value)`` of the attributes ``module`` holds besides its registries."""
    return [(k, v) for k, v in list(module.__dict__.items()) if k not in internal]


def iter_modules(module):
    """All modules registered under ``module`` (itself first), each once.

    Walks ``_modules`` directly, so it works even when a subclass shadows
    ``modules``/``named_modules`` with an attribute (``self.modules = [...]``).
    """
    memo = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if id(m) in memo:
            continue
        memo.add(id(m))
        yield m
        todo.extend(reversed([c for c in m.__dict__.get("_modules", {}).values() if c is not None]))


def registered_ids(module) -> set[int]:
    ids = set()
    for m in iter_modules(module):
        ids.add(id(m))
        for p in m._parameters.values():
            if p is not None:
                ids.add(id(p))
    return ids


# ---- the checks behind UnregisteredModuleWarning ---------------------------------------------------


def _hides_something(value) -> bool:
    return isinstance(value, CONTAINERS) or (isinstance(value, Tensor) and is_trainable_leaf(value))


def note_assignment(module, name: str, value) -> None:
    """``module.name = value`` stored a plain attribute: warn if it hides modules/parameters.

    Called by ``Module.__setattr__``; the warning points at the assignment line.
    """
    if name in INTERNAL_ATTRS or not _hides_something(value) or not warn_unregistered_enabled():
        return
    frame = sys._getframe(2)  # 0: here, 1: Module.__setattr__, 2: the assignment
    where = (frame.f_code.co_filename, frame.f_lineno, frame.f_globals)
    m = marks(module)
    if m.init_depth:
        # Judged when construction ends. A container still empty here is left to the
        # first call / parameters() check, as documented for `self.layers = []` + appends.
        if not isinstance(value, CONTAINERS) or next(hidden_in(value), None) is not None:
            m.pending[name] = where
        return
    if isinstance(value, Tensor) and any(x is module for x in call_state.stack):
        # Stored while running forward (e.g. keeping the input for a saliency map):
        # a cache, not a forgotten Parameter.
        m.warned_ids.add(id(value))
        return
    _warn_hidden_attribute(module, name, value, where)


def _warn_hidden_attribute(module, name: str, value, where) -> None:
    """Warn at ``where`` (filename, lineno, globals) if attribute ``name`` hides something."""
    d = module.__dict__
    warned = d["_d2l"].warned_ids if "_d2l" in d else set()
    if isinstance(value, CONTAINERS):
        found = list(hidden_in(value))
        if not found:
            return
        registered = registered_ids(module) if "_modules" in d else set()
        lost = [f for f in found if id(f[1]) not in registered and id(f[1]) not in warned]
        if not lost:
            return
        text = texts.unregistered(type(module).__name__, name, lost, container_kind(value))
        ids = [id(f[1]) for f in lost]
    elif isinstance(value, Tensor) and is_trainable_leaf(value) and id(value) not in warned:
        text = texts.tensor_attribute(
            type(module).__name__, name, tuple(getattr(value, "shape", ()))
        )
        ids = [id(value)]
    else:
        return
    if "_modules" in d:
        marks(module).warned_ids.update(ids)
    filename, lineno, module_globals = where
    kwargs = dict(
        module=module_globals.get("__name__", "__main__"),
        registry=module_globals.setdefault("__warningregistry__", {}),
    )
    try:
        warnings.warn_explicit(
            text,
            msg.UnregisteredModuleWarning,
            filename,
            lineno,
            module_globals=module_globals,
            **kwargs,
        )
    except ImportError:
        # Code read from stdin (`python -`) has a __main__ whose loader cannot give the
        # source line; warn without it rather than fail the user's model.
        warnings.warn_explicit(text, msg.UnregisteredModuleWarning, filename, lineno, **kwargs)


def wrap_init(init):
    """Wrap a subclass's ``__init__`` so the checks of its assignments run once, when construction ends."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        m = marks(self)
        depth = m.init_depth
        m.init_depth = depth + 1
        _local.constructing += 1
        try:
            init(self, *args, **kwargs)
        finally:
            m.init_depth = depth
            _local.constructing -= 1
        if depth == 0 and m.pending:
            pending, m.pending = m.pending, {}
            if warn_unregistered_enabled():
                d = self.__dict__
                for name, where in pending.items():
                    if name in d:
                        _warn_hidden_attribute(self, name, d[name], where)

    __init__._d2l_wrapped = True
    return __init__


def scan_own_attributes(module, registered, stacklevel: int, root=None) -> None:
    """Warn (once per object) about modules/parameters hidden in ``module``'s plain attributes.

    ``registered`` is the set of ids registered in the tree being checked (computed
    lazily when ``None``); ``stacklevel`` counts from the caller of this function.
    """
    warned = None
    for name, value in plain_attributes(module):
        if isinstance(value, CONTAINERS):
            warned = marks(module).warned_ids if warned is None else warned
            found = [f for f in hidden_in(value) if id(f[1]) not in warned]
            if not found:
                continue
            if registered is None:
                registered = registered_ids(root if root is not None else module)
            lost = [f for f in found if id(f[1]) not in registered]
            if lost:
                warned.update(id(f[1]) for f in lost)
                msg.warn(
                    texts.unregistered(type(module).__name__, name, lost, container_kind(value)),
                    msg.UnregisteredModuleWarning,
                    stacklevel=stacklevel + 1,
                )
        elif isinstance(value, Tensor) and is_trainable_leaf(value):
            warned = marks(module).warned_ids if warned is None else warned
            if id(value) not in warned:
                warned.add(id(value))
                msg.warn(
                    texts.tensor_attribute(type(module).__name__, name, tuple(value.shape)),
                    msg.UnregisteredModuleWarning,
                    stacklevel=stacklevel + 1,
                )


def first_call(module, stack) -> None:
    """The checks of a module's first ``__call__`` (``stack``: the modules being called)."""
    if "_modules" not in module.__dict__:
        raise RuntimeError(texts.no_super_init_call(type(module).__name__))
    marks(module).called = True
    for observer in _local.observers:
        observer(module, stack)
    if marks(module).born is not None:
        _module._loop.first_call(module, stack)
    if warn_unregistered_enabled():
        # Objects registered anywhere in the model being called are not lost: judge
        # against the outermost module of this call.
        scan_own_attributes(module, None, stacklevel=3, root=stack[0] if stack else module)


def check_tree_once(root, stacklevel: int) -> None:
    """Scan every module under ``root`` not scanned yet (called by parameters(), state_dict(), to()).

    This catches ``self.layers = []`` filled later when the model is handed to an
    optimizer, saved or converted before it was ever called.
    """
    if not warn_unregistered_enabled() or "_modules" not in root.__dict__:
        return
    # iter_modules written out: parameters() runs this at every training step
    pending = []
    seen = set()
    todo = [root]
    while todo:
        m = todo.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        d = m.__dict__
        marks_ = d.get("_d2l")
        if marks_ is None or not marks_.scanned:
            pending.append(m)
        children = d.get("_modules")
        if children:
            for c in reversed(children.values()):
                if c is not None:
                    todo.append(c)
    if not pending:
        return
    registered = registered_ids(root)
    for m in pending:
        marks(m).scanned = True
        scan_own_attributes(m, registered, stacklevel + 1)
