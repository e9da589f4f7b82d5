"""``Module``: the base class of every layer and model.

A Module keeps three ordered registries -- ``_parameters``, ``_buffers`` and
``_modules`` -- filled by attribute assignment (``self.fc = nn.Linear(2, 3)``)
or by ``register_parameter`` / ``register_buffer`` / ``add_module``. Everything
else (``parameters()``, ``state_dict()``, ``to()``, ``train()``, ``repr``) is a
walk over those registries, exactly as in PyTorch::

    >>> from d2lmods import nn
    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(20, 256)
    ...         self.out = nn.Linear(256, 10)
    ...     def forward(self, X):
    ...         return self.out(self.hidden(X).relu())
    >>> [name for name, _ in MLP().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']

Beyond PyTorch, the module system explains the usual mistakes: modules kept in
plain lists (``UnregisteredModuleWarning``), a missing ``super().__init__()``,
a misspelled ``forward``, dtype and shape mismatches (errors name the module
path), and ``state_dict`` misuse.
"""
from __future__ import annotations

import difflib
import functools
import itertools
import sys
import threading
import warnings
import weakref
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from . import _messages as msg
from .parameter import (Buffer, Parameter, Tensor, _array, _bump_version, _same_storage, is_lazy,
                        no_grad)

__all__ = ["Module", "RemovableHandle", "StateDict"]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _addindent(s: str, num_spaces: int) -> str:
    """Indent every line of ``s`` but the first (PyTorch's repr helper; blank lines stay blank)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    lines = [(num_spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(lines)


class RemovableHandle:
    """Returned by ``register_forward_hook`` & co.; ``handle.remove()`` takes the hook off again."""

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
        return (self.hooks_dict_ref(), self.id,
                self.extra_dict_ref() if self.extra_dict_ref is not None else None)

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
                    msg.warn(_state_dict_edit_text([key]), msg.StateDictWarning, stacklevel=2)
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
                msg.warn(_state_dict_edit_text(self._edited), msg.StateDictWarning, stacklevel=1)
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
        self.__dict__.setdefault("_edited", [])
        self.__dict__.setdefault("_loaded", False)


def _state_dict_edit_text(keys) -> str:
    shown = ", ".join(repr(k) for k in keys[:4]) + (", ..." if len(keys) > 4 else "")
    return (f"Assigning a new tensor to state_dict()[{shown}] changes only that dict, not the model: "
            "state_dict() returns references to the parameters, and replacing an entry does not "
            "write into them. Fix: edit the dict and pass it to net.load_state_dict(sd), or change "
            "the parameter in place: `with torch.no_grad(): sd[key].copy_(value)`.")


class _CallState(threading.local):
    def __init__(self):
        self.stack: list = []        # modules inside __call__, outermost first
        self.apply_depth = 0         # nesting of Module.apply (warn once, at the top)


_call_state = _CallState()


def _child_step(parent, child) -> str | None:
    """How ``child`` is reached from ``parent``: ``.name`` if registered, ``.attr[i]`` if kept in a list."""
    pd = parent.__dict__
    for name, m in pd.get("_modules", {}).items():
        if m is child:
            return "." + name
    for attr, value in pd.items():
        if attr.startswith("_"):
            continue
        if value is child:
            return "." + attr
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                if v is child:
                    return f".{attr}[{i}]"
        elif isinstance(value, dict):
            for k, v in value.items():
                if v is child:
                    return f".{attr}[{k!r}]"
    return None


def current_module_path(stack=None) -> str:
    """Path of the module running right now, from the outermost module called, e.g. ``MLP.net.0``.

    Layers use it to say *where* an error happened. Outside any call it is ``""``.
    """
    stack = _call_state.stack if stack is None else stack
    if not stack:
        return ""
    parts = [type(stack[0]).__name__]
    for parent, child in zip(stack, stack[1:]):
        step = _child_step(parent, child)
        parts.append(step if step is not None else f" -> {type(child).__name__}")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Unregistered-object checks (the scan itself lives in utils.find_unregistered)
# --------------------------------------------------------------------------------------------

_CONTAINERS = (list, tuple, dict, set, frozenset)

# Module's own bookkeeping attributes: never checked for hidden modules.
_INTERNAL_ATTRS = frozenset({
    "training", "_parameters", "_buffers", "_non_persistent_buffers_set", "_modules",
    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_state_dict_hooks",
    "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
    "_load_hook", "_initialize_hook", "_d2l_called", "_d2l_warned_ids", "_d2l_scanned",
    "_d2l_init_depth", "_d2l_pending",
})


def _hidden_in(value, _path: str = "", _seen: set | None = None, _depth: int = 0):
    """Yield ``(subpath, obj, kind)`` for Modules/Parameters/trainable tensors inside a plain container.

    Depth first, in the container's own order; cycle-safe.
    """
    seen = set() if _seen is None else _seen
    if id(value) in seen or _depth > 32:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        items = [(f"{_path}[{k!r}]", x) for k, x in value.items()]
    elif isinstance(value, (set, frozenset)):
        ordered = sorted(value, key=lambda x: (type(x).__name__, id(x)))
        items = [(f"{_path}{{{i}}}", x) for i, x in enumerate(ordered)]
    else:
        items = [(f"{_path}[{i}]", x) for i, x in enumerate(value)]
    for sub, x in items:
        if isinstance(x, Module):
            yield sub, x, "module"
        elif isinstance(x, Parameter):
            yield sub, x, "parameter"
        elif isinstance(x, Tensor) and _is_trainable_leaf(x):
            yield sub, x, "tensor"
        elif isinstance(x, _CONTAINERS):
            yield from _hidden_in(x, sub, seen, _depth + 1)


def _iter_modules(module):
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


def _is_trainable_leaf(t) -> bool:
    try:
        return bool(t.requires_grad) and t.grad_fn is None and not isinstance(t, Parameter)
    except Exception:
        return False


def _registered_ids(module) -> set[int]:
    ids = set()
    for m in _iter_modules(module):
        ids.add(id(m))
        for p in m._parameters.values():
            if p is not None:
                ids.add(id(p))
    return ids


def _unregistered_text(owner: str, attr: str, found, container: str) -> str:
    where = [f"{owner}.{attr}{sub} ({type(obj).__name__})" for sub, obj, _ in found[:4]]
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    kinds = {k for _, _, k in found}
    noun = "modules" if "module" in kinds else "parameters"
    fix = msg.container_fix(container)
    return (f"{', '.join(where)}{more} {'is' if len(found) == 1 else 'are'} kept in a plain Python "
            f"{container}, so nn.Module does not register {'it' if len(found) == 1 else 'them'}: "
            f"{msg.LOST}. Fix: store the {noun} in self.{attr} = {fix}, or register each one "
            f"with self.add_module(name, module) / self.register_parameter(name, param).")


def _tensor_attr_text(owner: str, attr: str, t) -> str:
    shape = tuple(getattr(t, "shape", ()))
    return (f"{owner}.{attr} is a plain tensor with requires_grad=True (shape {shape}), not an "
            f"nn.Parameter, so nn.Module does not register it: it is not in parameters() or "
            f"state_dict() and the optimizer will not train it. Fix: self.{attr} = "
            f"nn.Parameter(...) (or register_buffer('{attr}', tensor) for a non-trained tensor).")


# --------------------------------------------------------------------------------------------
# Module
# --------------------------------------------------------------------------------------------

def _forward_unimplemented(self, *input: Any) -> None:
    """Placeholder ``forward``: subclasses must define their own."""
    raise NotImplementedError(_missing_forward_text(self))


def _missing_forward_text(module) -> str:
    name = type(module).__name__
    text = f'Module [{name}] is missing the required "forward" function'
    if getattr(module, "_is_container_without_forward", False):
        return (text + f" -- a {name} only holds modules, it does not run them. Loop over it in "
                "your own forward (`for layer in self.layers: X = layer(X)`), or use "
                "nn.Sequential(...) if the layers simply run one after another.")
    base = set(dir(Module))
    candidates = [a for a in dir(type(module))
                  if a not in base and not a.startswith("__") and callable(getattr(type(module), a, None))]
    close = difflib.get_close_matches("forward", candidates, n=1, cutoff=0.6)
    if close:
        return (text + f" \u2014 did you mean to name `{close[0]}` forward? "
                f"Rename `def {close[0]}(self, ...)` to `def forward(self, ...)` in {name}.")
    return text + f". Fix: define `def forward(self, X): ...` in {name}."


class Module:
    """Base class for all neural-network layers and models (PyTorch's ``nn.Module``).

    Subclass it, call ``super().__init__()`` first in ``__init__``, assign layers
    and ``nn.Parameter`` s as attributes, and define ``forward``. Call the module
    (``net(X)``), not ``net.forward(X)``, so hooks run and lazy layers initialize.
    """

    dump_patches = False
    _version = 1
    training: bool
    call_super_init = False
    _is_container_without_forward = False

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            typo = _misspelled_init(type(self))
            if typo:
                raise TypeError(f"{type(self).__name__}() got arguments, but {type(self).__name__} "
                                f"defines `{typo}` instead of `__init__`, so they went to "
                                f"Module.__init__, which takes none. Fix: rename `def {typo}(self, ...)` "
                                "to `def __init__(self, ...)`.")
            given = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments ({given}) that "
                            "were passed on to Module.__init__(), which takes none. Fix: call "
                            "super().__init__() without arguments.")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_forward_pre_hooks", _HookDict())
        setattr_(self, "_forward_pre_hooks_with_kwargs", _HookDict())
        setattr_(self, "_forward_hooks", _HookDict())
        setattr_(self, "_forward_hooks_with_kwargs", _HookDict())
        setattr_(self, "_forward_hooks_always_called", _HookDict())
        setattr_(self, "_state_dict_hooks", _HookDict())
        setattr_(self, "_state_dict_pre_hooks", _HookDict())
        setattr_(self, "_load_state_dict_pre_hooks", _HookDict())
        setattr_(self, "_load_state_dict_post_hooks", _HookDict())
        setattr_(self, "_modules", {})

    forward: Callable[..., Any] = _forward_unimplemented

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_d2l_wrapped", False):
            cls.__init__ = _wrap_init(init)

    # ---- registration ----------------------------------------------------------------------

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is part of the state but not trained (e.g. BatchNorm's running mean).

        ``persistent=False`` keeps it out of ``state_dict()``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(msg.before_init("buffer", name, type(self).__name__))
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {msg.typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{msg.typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
            tensor = tensor.as_tensor()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter under ``name``; ``None`` keeps an empty slot (e.g. ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(msg.before_init("parameter", name, type(self).__name__))
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {msg.typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{msg.typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required). Fix: wrap it, "
                            f"nn.Parameter(tensor).")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                             "must be created explicitly. To express '{name}' as a function of another "
                             "Tensor, compute the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name: str, module) -> None:
        """Register ``module`` as a child called ``name`` (any string without ``.``; spaces are fine)."""
        if "_modules" not in self.__dict__:
            raise AttributeError(msg.before_init("module", name, type(self).__name__))
        if isinstance(name, Module) and not isinstance(module, Module):
            raise TypeError(f"add_module takes (name, module), but the first argument is a "
                            f"{type(name).__name__} module. Fix: self.add_module('{type(name).__name__.lower()}', "
                            "layer) -- the name comes first.")
        if not isinstance(module, Module) and module is not None:
            if isinstance(module, type) and issubclass(module, Module):
                raise TypeError(f"{module.__name__} is a Module class, not a Module: add_module('{name}', "
                                f"...) needs an instance. Fix: did you mean {module.__name__}(...)?")
            raise TypeError(f"{msg.typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {msg.typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        old = self._modules.get(name)
        if old is not None and module is not None and old is not module:
            msg.warn(f"{type(self).__name__}.add_module('{name}', {type(module).__name__}) replaces the "
                     f"child already registered as '{name}' ({type(old).__name__}); the old one is "
                     "dropped from the model. Fix: give each child its own name, e.g. "
                     f"add_module(f'{name}_{{i}}', ...) or str(len(self._modules)).",
                     msg.ModuleUsageWarning, stacklevel=2)
        self._modules[name] = module

    def register_module(self, name: str, module) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> "Module":
        """The module at dotted path ``target`` (``""`` is ``self``), e.g. ``net.get_submodule("0.1")``."""
        if target == "":
            return self
        mod = self
        walked = []
        for item in target.split("."):
            if not isinstance(mod, Module) or item not in mod._modules:
                where = ".".join(walked) or type(self).__name__
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`"
                                     f" (looking up '{target}' from {where}); children are "
                                     f"{list(mod._modules) if isinstance(mod, Module) else []}")
            mod = mod._modules[item]
            walked.append(item)
            if mod is None:
                raise AttributeError(f"`{item}` is None in '{target}'")
        return mod

    def get_parameter(self, target: str):
        """The parameter at dotted path ``target``, e.g. ``net.get_parameter("0.weight")``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # ---- attribute routing ------------------------------------------------------------------

    def __getattr__(self, name: str):
        d = self.__dict__
        if "_parameters" in d:
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        elif not name.startswith("__"):
            # Internal registries are missing: __init__ never reached Module.__init__.
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}' because "
                f"{type(self).__name__}.__init__ did not call super().__init__(). "
                f"Fix: call super().__init__() as the first line of {type(self).__name__}.__init__.")
        raise AttributeError(_no_attribute_text(self, name))

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__

        def remove_from(*dicts_or_sets):
            for s in dicts_or_sets:
                if name in s:
                    if isinstance(s, dict):
                        del s[name]
                    else:
                        s.discard(name)

        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(msg.before_init("parameters", name, type(self).__name__))
            remove_from(d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{msg.typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected). Fix: wrap it, "
                                f"self.{name} = nn.Parameter(value), or change the values in place "
                                f"with `with torch.no_grad(): self.{name}.copy_(value)`.")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError(msg.before_init("module", name, type(self).__name__))
            remove_from(d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{msg.typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, (Tensor, Buffer)):
                raise TypeError(f"cannot assign '{msg.typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if buffers is None:
                raise AttributeError(msg.before_init("buffer", name, type(self).__name__))
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            # A buffer that is re-assigned stays a registered buffer.
            remove_from(d)
            self.register_buffer(name, value, persistent)
            return
        if isinstance(value, Tensor) and params is None:
            raise AttributeError(msg.before_init("tensors", name, type(self).__name__))
        if name not in _INTERNAL_ATTRS and msg.warn_unregistered_enabled():
            self._check_plain_attribute(name, value)
        object.__setattr__(self, name, value)

    def _check_plain_attribute(self, name: str, value) -> None:
        """Warn when a plain attribute hides modules/parameters (PyTorch would ignore them silently).

        Inside ``__init__`` the check waits until the outermost ``__init__`` returns (a list
        of layers assigned first and registered a line later is fine), then warns pointing at
        the assignment line. Lists filled after assignment are reported at the first call
        (or when ``parameters()``/``state_dict()``/``.to()`` first look at the model).
        """
        d = self.__dict__
        if not isinstance(value, _CONTAINERS) and not (isinstance(value, Tensor) and _is_trainable_leaf(value)):
            return
        frame = sys._getframe(2)       # 0: here, 1: __setattr__, 2: the assignment
        where = (frame.f_code.co_filename, frame.f_lineno, frame.f_globals)
        if d.get("_d2l_init_depth"):
            # Judged when construction ends. A container still empty here is left to the
            # first call / parameters() check, as documented for `self.layers = []` + appends.
            if not isinstance(value, _CONTAINERS) or next(_hidden_in(value), None) is not None:
                d.setdefault("_d2l_pending", {})[name] = where
            return
        if isinstance(value, Tensor) and any(m is self for m in _call_state.stack):
            # Stored while running forward (e.g. keeping the input for a saliency map):
            # a cache, not a forgotten Parameter.
            d.setdefault("_d2l_warned_ids", set()).add(id(value))
            return
        _warn_hidden_attribute(self, name, value, where)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            del d["_parameters"][name]
        elif "_buffers" in d and name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif "_modules" in d and name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        module_attrs = dir(self.__class__)
        attrs = list(self.__dict__.keys())
        parameters = list(self._parameters.keys())
        modules = list(self._modules.keys())
        buffers = list(self._buffers.keys())
        keys = module_attrs + attrs + parameters + modules + buffers
        keys = [key for key in keys if not key[0].isdigit()]
        return sorted(set(keys))

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_forward_pre_hooks", "_forward_hooks", "_state_dict_hooks",
                     "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                self.__dict__[name] = _HookDict()
        for name in ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs",
                     "_forward_hooks_always_called"):
            self.__dict__.setdefault(name, _HookDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_d2l_warned_ids", None)   # ids are meaningless in another process
        return state

    # ---- calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if "_d2l_called" not in d:
            self._first_call_checks()
        stack = _call_state.stack
        stack.append(self)
        try:
            if args and args[0].__class__ is np.ndarray:
                raise _numpy_input_error(self, args[0], stack)
            if d["_forward_pre_hooks"] or d["_forward_hooks"]:
                result = self._call_with_hooks(args, kwargs)
            else:
                result = self.forward(*args, **kwargs)
            if isinstance(result, Module):
                raise _returned_module_error(self, result, stack)
            return result
        except Exception as exc:
            if isinstance(exc, TypeError) and exc.__traceback__ is not None \
                    and exc.__traceback__.tb_next is None:
                _explain_call_signature(self, exc, args, kwargs)   # the arguments did not fit forward
            _annotate(exc, stack)
            raise
        finally:
            stack.pop()

    _call_impl = __call__

    def _first_call_checks(self) -> None:
        d = self.__dict__
        if "_modules" not in d:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ did not call super().__init__(), so this module "
                "was never set up (no parameter, buffer or submodule registry). "
                f"Fix: call super().__init__() as the first line of {type(self).__name__}.__init__.")
        object.__setattr__(self, "_d2l_called", True)
        if msg.warn_unregistered_enabled():
            # Objects registered anywhere in the model being called are not lost: judge
            # against the outermost module of this call.
            stack = _call_state.stack
            _scan_own_attributes(self, None, stacklevel=3, root=stack[0] if stack else self)

    def _call_with_hooks(self, args, kwargs):
        with_kwargs = self._forward_pre_hooks_with_kwargs
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            # Hooks registered with always_call=True still run (their errors are not raised).
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception:
                        pass
            raise
        post_kwargs = self._forward_hooks_with_kwargs
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in post_kwargs:
                hook_result = hook(self, args, kwargs, result)
            else:
                hook_result = hook(self, args, result)
            if hook_result is not None:
                result = hook_result
        return result

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Run ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before every forward.

        A non-``None`` return value replaces the input. Returns a handle with ``.remove()``.
        """
        handle = RemovableHandle(self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """Run ``hook(module, args, output)`` after every forward; a non-``None`` return replaces the output."""
        handle = RemovableHandle(self._forward_hooks, extra_dict=self._forward_hooks_with_kwargs)
        handle.extra_dict_refs = (weakref.ref(self._forward_hooks_always_called),)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = functools.partial(hook, self) if with_module else hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module's entries are loaded."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_state_dict_post_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata)`` after this module's entries are saved."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_post_hook(self, hook):
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ---- traversal --------------------------------------------------------------------------

    def _get_name(self) -> str:
        return self.__class__.__name__

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(qualified_name, module)`` for this module and all below it, depth first.

        A module object reachable at two places is yielded once unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        if self not in memo:
            if remove_duplicate:
                memo.add(self)
            yield prefix, self
            for name, module in self._modules.items():
                if module is None:
                    continue
                submodule_prefix = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(name, Parameter)``; a tied parameter appears once unless ``remove_duplicate=False``."""
        _check_tree_once(self, stacklevel=2)
        return self._named_members(lambda m: m._parameters.items(), prefix=prefix,
                                   recurse=recurse, remove_duplicate=remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield every parameter once (what an optimizer should train): ``optim.SGD(net.parameters(), lr)``."""
        _check_tree_once(self, stacklevel=2)
        return (param for _, param in self._named_members(lambda m: m._parameters.items(),
                                                          recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix=prefix,
                                       recurse=recurse, remove_duplicate=remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ---- modes, gradients, conversion ----------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        _check_tree_once(self, stacklevel=2)
        for _, p in self._named_members(lambda m: m._parameters.items()):
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        _check_tree_once(self, stacklevel=2)
        for _, p in self._named_members(lambda m: m._parameters.items()):
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = _array(p.grad)
                g[...] = 0
                _bump_version(p.grad)

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every submodule (children first) and then on ``self``; e.g. ``net.apply(init_weights)``.

        Run it after the first forward when the model has lazy layers: before that they
        have no weights to initialize (d2lmods warns).
        """
        state = _call_state
        if state.apply_depth == 0:
            _warn_lazy_before_apply(self, fn)
        state.apply_depth += 1
        try:
            for module in self.children():
                module.apply(fn)
            try:
                fn(self)
            except AttributeError as exc:
                _explain_apply_attribute_error(self, fn, exc)
                raise
        finally:
            state.apply_depth -= 1
        return self

    def _apply(self, fn, lazy_fn=None) -> "Module":
        for module in self.children():
            module._apply(fn, lazy_fn)
        for key, param in self._parameters.items():
            if param is None:
                continue
            if is_lazy(param):
                if lazy_fn is not None:
                    lazy_fn(param)
                continue
            with no_grad():
                applied = fn(param)
            if applied is not param:
                # Keep the Parameter object (optimizers hold it); swap only its data.
                param.data = applied
                if param.grad is not None:
                    param.grad = fn(param.grad)
        for key, buf in self._buffers.items():
            if buf is None:
                continue
            if is_lazy(buf):
                if lazy_fn is not None:
                    lazy_fn(buf)
                continue
            self._buffers[key] = fn(buf)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Convert floating-point parameters and buffers: ``net.to(torch.float64)``, ``net.to('cpu')``.

        Integer buffers keep their dtype; the Parameter objects stay the same (only their data changes).
        """
        from .._tensor.methods import parse_to

        dtype, _ = parse_to(args, kwargs)
        if dtype is None:
            return self
        _check_tree_once(self, stacklevel=2)
        if not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}. Fix: use a float dtype (torch.float32 or torch.float64); "
                            "integer data belongs in the inputs, not in the model's parameters.")
        return self._convert_floats(dtype)

    def _convert_floats(self, dtype) -> "Module":
        def convert(t):
            return t.to(dtype) if t.dtype.is_floating_point else t

        def convert_lazy(t):
            t.to(dtype)   # a placeholder remembers the dtype for its materialization

        return self._apply(convert, convert_lazy)

    def float(self) -> "Module":
        from .._tensor.dtypes import float32
        _check_tree_once(self, stacklevel=2)
        return self._convert_floats(float32)

    def double(self) -> "Module":
        from .._tensor.dtypes import float64
        _check_tree_once(self, stacklevel=2)
        return self._convert_floats(float64)

    def half(self) -> "Module":
        from .._tensor.dtypes import float16
        return self._convert_floats(float16)

    def type(self, dst_type) -> "Module":
        from .._tensor.dtypes import as_dtype
        dtype = as_dtype(dst_type)
        return self._apply(lambda t: t.to(dtype))

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        from .._tensor.dtypes import device as _device
        _device("cuda")
        return self

    # ---- state dict ---------------------------------------------------------------------------

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars or is_lazy(param) else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars or is_lazy(buf) else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered ``{dotted_name: tensor}`` of parameters and persistent buffers.

        The tensors share memory with the model. To keep a snapshot (e.g. the best
        weights so far) copy it: ``copy.deepcopy(net.state_dict())``.
        """
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead.", FutureWarning,
                          stacklevel=2)
            names = ["destination", "prefix", "keep_vars"]
            values = dict(zip(names, args))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        top = destination is None
        if top:
            _check_tree_once(self, stacklevel=2)
            destination = StateDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, {"version": self._version})
            if result is not None:
                destination = result
        if top and isinstance(destination, StateDict):
            destination._live = True
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for hook in list(self._load_state_dict_pre_hooks.values()):
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        persistent_buffers = {k: v for k, v in self._buffers.items()
                              if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent_buffers.items())
                       if v is not None}
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                fix = (" (convert numpy arrays with torch.from_numpy(a))"
                       if isinstance(input_param, np.ndarray) else "")
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                  f'Tensor-like object from checkpoint but received {type(input_param)}'
                                  + fix)
                continue
            if is_lazy(param) and is_lazy(input_param):
                continue   # nothing to copy between two placeholders
            if not is_lazy(param) and tuple(input_param.shape) != tuple(param.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {input_param.shape} "
                                  f"from checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                src = _array(input_param)
                dst = _array(param)
                if dst is not src:
                    np.copyto(dst, src.astype(dst.dtype, copy=False))
                    _bump_version(param)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the '
                                  f"model are {param.shape} and whose dimensions in the checkpoint are "
                                  f"{input_param.shape}, an exception occurred : {ex.args}.")
        extra_state_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_state_key in state_dict:
                self.set_extra_state(state_dict[extra_state_key])
            elif strict:
                missing_keys.append(extra_state_key)
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix) and key != extra_state_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy tensors from ``state_dict`` into this model's parameters and buffers, in place.

        Parameter objects (and tying between them) are kept. With ``strict=True``
        missing, unexpected or mis-shaped keys raise one RuntimeError listing all
        of them; with ``strict=False`` the missing/unexpected keys are returned.
        """
        if isinstance(state_dict, Module):
            raise TypeError(
                f"load_state_dict() expects a state_dict (a dict of tensors), but got the whole model "
                f"{type(state_dict).__name__}. Fix: {type(self).__name__.lower()}.load_state_dict("
                f"other.state_dict()), or, if you saved the model object, save `net.state_dict()` instead.")
        if callable(state_dict) and getattr(state_dict, "__name__", "") == "state_dict":
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}: the method "
                            "state_dict itself was passed. Fix: call it, "
                            "model.load_state_dict(other.state_dict()).")
        if not isinstance(state_dict, dict) and not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        if isinstance(state_dict, StateDict):
            state_dict._loaded = True
        self._warn_if_loading_itself(state_dict)
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {k: v for k, v in local_state_dict.items()
                                        if k.startswith(child_prefix)}
                    load(child, child_state_dict, child_prefix)
            incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, incompatible)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if not strict and state_dict and not error_msgs:
            _warn_if_nothing_loaded(self, state_dict)
        if error_msgs:
            text = "Error(s) in loading state_dict for {}:\n\t{}".format(
                self.__class__.__name__, "\n\t".join(error_msgs))
            hint = _load_hint(self, state_dict, missing_keys if strict else [],
                              unexpected_keys if strict else [], error_msgs)
            raise RuntimeError(text + ("\n" + hint if hint else ""))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    def _warn_if_loading_itself(self, state_dict) -> None:
        """Warn when every tensor given IS the live storage of the matching parameter: nothing is restored."""
        own = dict(itertools.chain(
            self._named_members(lambda m: m._parameters.items(), remove_duplicate=False),
            self._named_members(lambda m: m._buffers.items(), remove_duplicate=False)))
        pairs = [(k, v) for k, v in state_dict.items() if k in own and isinstance(v, Tensor)
                 and not is_lazy(own[k])]
        if pairs and all(_same_storage(v, own[k]) for k, v in pairs):
            msg.warn(
                f"load_state_dict() was given tensors that ARE {type(self).__name__}'s current "
                f"parameters (e.g. '{pairs[0][0]}'), so nothing is restored. state_dict() returns "
                "references that follow the model as it trains, not a saved copy. Fix: take a real "
                "snapshot when saving the best weights: best = copy.deepcopy(net.state_dict()) or "
                "best = {k: v.clone() for k, v in net.state_dict().items()}.",
                msg.StateDictWarning, stacklevel=3)

    # ---- repr ---------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """Extra text shown inside ``Name(...)`` in the repr; override in layers (e.g. ``in_features=2, ...``)."""
        return ""

    def __repr__(self) -> str:
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str

    def __bool__(self):
        return True


def _warn_hidden_attribute(module, name: str, value, where) -> None:
    """Warn at ``where`` (filename, lineno, globals) if attribute ``name`` hides something."""
    d = module.__dict__
    if isinstance(value, _CONTAINERS):
        found = list(_hidden_in(value))
        if not found:
            return
        registered = _registered_ids(module) if "_modules" in d else set()
        warned = d.get("_d2l_warned_ids", set())
        lost = [f for f in found if id(f[1]) not in registered and id(f[1]) not in warned]
        if not lost:
            return
        container = "dict" if isinstance(value, dict) else type(value).__name__
        container = "set" if container == "frozenset" else container
        text = _unregistered_text(type(module).__name__, name, lost, container)
        ids = [id(f[1]) for f in lost]
    elif isinstance(value, Tensor) and _is_trainable_leaf(value) and id(value) not in d.get("_d2l_warned_ids", ()):
        text = _tensor_attr_text(type(module).__name__, name, value)
        ids = [id(value)]
    else:
        return
    if "_modules" in d:
        d.setdefault("_d2l_warned_ids", set()).update(ids)
    filename, lineno, module_globals = where
    kwargs = dict(module=module_globals.get("__name__", "__main__"),
                  registry=module_globals.setdefault("__warningregistry__", {}))
    try:
        warnings.warn_explicit(text, msg.UnregisteredModuleWarning, filename, lineno,
                               module_globals=module_globals, **kwargs)
    except ImportError:
        # Code read from stdin (`python -`) has a __main__ whose loader cannot give the
        # source line; warn without it rather than fail the user's model.
        warnings.warn_explicit(text, msg.UnregisteredModuleWarning, filename, lineno, **kwargs)


def _wrap_init(init):
    """Wrap a subclass's ``__init__`` so hidden-module checks run once, when construction ends."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        d = self.__dict__
        depth = d.get("_d2l_init_depth", 0)
        d["_d2l_init_depth"] = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            d["_d2l_init_depth"] = depth
        if depth == 0:
            del d["_d2l_init_depth"]
            pending = d.pop("_d2l_pending", None)
            if pending and msg.warn_unregistered_enabled():
                for name, where in pending.items():
                    if name in d:
                        _warn_hidden_attribute(self, name, d[name], where)

    __init__._d2l_wrapped = True
    return __init__


def _scan_own_attributes(module, registered, stacklevel: int, root=None) -> None:
    """Warn (once per object) about modules/parameters hidden in ``module``'s plain attributes.

    ``registered`` is the set of ids registered in the tree being checked (computed
    lazily when ``None``); ``stacklevel`` counts from the caller of this function.
    """
    d = module.__dict__
    warned = d.get("_d2l_warned_ids", set())
    for name, value in list(d.items()):
        if name in _INTERNAL_ATTRS:
            continue
        if isinstance(value, _CONTAINERS):
            found = [f for f in _hidden_in(value) if id(f[1]) not in warned]
            if not found:
                continue
            if registered is None:
                registered = _registered_ids(root if root is not None else module)
            lost = [f for f in found if id(f[1]) not in registered]
            if lost:
                container = "dict" if isinstance(value, dict) else type(value).__name__
                container = "set" if container == "frozenset" else container
                warned.update(id(f[1]) for f in lost)
                msg.warn(_unregistered_text(type(module).__name__, name, lost, container),
                         msg.UnregisteredModuleWarning, stacklevel=stacklevel + 1)
        elif isinstance(value, Tensor) and id(value) not in warned and _is_trainable_leaf(value):
            warned.add(id(value))
            msg.warn(_tensor_attr_text(type(module).__name__, name, value),
                     msg.UnregisteredModuleWarning, stacklevel=stacklevel + 1)
    if warned:
        d["_d2l_warned_ids"] = warned


def _check_tree_once(root, stacklevel: int) -> None:
    """Scan every module under ``root`` not scanned yet (called by parameters(), state_dict(), to()).

    This catches ``self.layers = []`` filled later when the model is handed to an
    optimizer, saved or converted before it was ever called.
    """
    if not msg.warn_unregistered_enabled() or "_modules" not in root.__dict__:
        return
    pending = [m for m in _iter_modules(root) if "_d2l_scanned" not in m.__dict__]
    if not pending:
        return
    registered = _registered_ids(root)
    for m in pending:
        object.__setattr__(m, "_d2l_scanned", True)
        _scan_own_attributes(m, registered, stacklevel + 1)


def _warn_lazy_before_apply(root, fn) -> None:
    lazy = [name for name, m in Module.named_modules(root)
            if any(is_lazy(p) for p in m.__dict__.get("_parameters", {}).values())]
    if not lazy:
        return
    first = lazy[0] or type(root).__name__
    fn_name = getattr(fn, "__name__", "fn")
    more = f" (and {len(lazy) - 1} more)" if len(lazy) > 1 else ""
    msg.warn(f"apply({fn_name}) was called before the first forward: the lazy layer '{first}'{more} "
             "has no weights yet, so an init function skips it (type(m) == nn.Linear is False for "
             "nn.LazyLinear) or fails on m.weight, and the layer later gets the default "
             "initialization instead. Fix: run one forward with a sample batch first, net(X), then "
             f"net.apply({fn_name}).", msg.ModuleUsageWarning, stacklevel=3)


def _warn_if_nothing_loaded(module, state_dict) -> None:
    """strict=False that matched no key at all: almost surely a naming mismatch, not a partial load."""
    own_keys = {k for k, _ in itertools.chain(
        module._named_members(lambda m: m._parameters.items(), remove_duplicate=False),
        module._named_members(lambda m: m._buffers.items(), remove_duplicate=False))}
    given = list(state_dict.keys())
    if not own_keys or any(k in own_keys for k in given):
        return
    hint = _common_prefix_fix(sorted(own_keys), given) or (
        "How to fix: compare list(sd.keys()) with list(model.state_dict().keys()).")
    msg.warn(f"load_state_dict(strict=False) matched none of the {len(given)} entries given "
             f"(e.g. '{given[0]}'), so {type(module).__name__} is unchanged. {hint}",
             msg.StateDictWarning, stacklevel=3)


def _explain_apply_attribute_error(module, fn, exc) -> None:
    if getattr(exc, "_d2l_apply_hint", False) or not exc.args or not isinstance(exc.args[0], str):
        return
    name = type(module).__name__
    fn_name = getattr(fn, "__name__", "fn")
    exc.args = (f"{exc.args[0]}\napply({fn_name}) calls {fn_name} on every module, including this "
                f"{name}. Fix: check the type first in {fn_name}, e.g. `if type(m) == nn.Linear:`.",)
    exc._d2l_apply_hint = True


def _no_attribute_text(module, name: str) -> str:
    """AttributeError text; adds a close name, or the submodule a parameter name belongs to."""
    text = f"'{type(module).__name__}' object has no attribute '{name}'"
    if name.startswith("_"):
        return text
    typo = _misspelled_init(type(module))
    if typo:
        return (text + f". {type(module).__name__} defines `{typo}` but no `__init__`, so your "
                f"set-up code never ran. Fix: rename `def {typo}(self, ...)` to "
                "`def __init__(self, ...)`.")
    d = module.__dict__
    own = (list(d["_parameters"]) + list(d["_buffers"]) + list(d["_modules"])
           + [k for k in d if not k.startswith("_") and k != "training"])
    close = difflib.get_close_matches(name, [n for n in own if not n.isdigit()], n=1, cutoff=0.75)
    if close:
        return text + f". Did you mean '{close[0]}'?"
    found = [n for n, _ in itertools.islice(
                 Module._named_members(module, lambda m: m._parameters.items()), 10_000)
             if n.rsplit(".", 1)[-1] == name][:3]
    if found:
        ways = ", ".join(_access_path(n) for n in found)
        return (text + f"; '{name}' belongs to its submodules: use {ways} (names as in "
                "named_parameters()).")
    return text


def _access_path(qualified: str) -> str:
    """'0.weight' -> 'net[0].weight', 'hidden.weight' -> 'net.hidden.weight'."""
    out = "net"
    for part in qualified.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if part.isidentifier() else f"[{part!r}]")
    return out


def _returned_module_error(module, result, stack) -> TypeError:
    where = current_module_path(stack)
    attr = next((k for k, m in module._modules.items() if m is result), None)
    call = f"self.{attr}(X)" if attr else f"the {type(result).__name__} on your input"
    err = TypeError(
        f"{msg.who(type(module).__name__, where)}: forward returned a {type(result).__name__} module "
        f"instead of a tensor. Likely cause: the layer was returned without being called. Fix: "
        f"call it, `return {call}`.")
    err._d2l_module_path = where
    return err


def _explain_call_signature(module, exc, args, kwargs) -> None:
    """Add to a TypeError raised while binding ``net(...)``'s arguments to ``forward``."""
    import inspect
    fwd = type(module).forward
    if (fwd is _forward_unimplemented or getattr(exc, "_d2l_module_path", None) is not None
            or not exc.args or not isinstance(exc.args[0], str)):
        return   # not a binding error (our own errors already carry their place)
    try:
        params = list(inspect.signature(fwd).parameters)
    except (TypeError, ValueError):
        return
    name = type(module).__name__
    given = len(args) + len(kwargs)
    if not params or params[0] != "self":
        hint = (f"{name}.forward is defined as forward({', '.join(params)}) without `self`. "
                f"Fix: def forward(self, {', '.join(params) or 'X'}).")
    else:
        hint = (f"{name} was called with {given} input(s), but its forward takes "
                f"({', '.join(params[1:])}). Fix: pass the inputs forward expects, or change "
                f"the signature of {name}.forward.")
    exc.args = (f"{exc.args[0]}\n{hint}",) + exc.args[1:]
    exc._d2l_module_path = type(module).__name__   # nothing more to add: no second note


def _misspelled_init(cls) -> str | None:
    """A user-defined method that looks like a misspelled ``__init__`` (``__int__``, ``__inti__``)."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("d2lmods.nn") or klass is object:
            continue
        if "__init__" in vars(klass):
            return None
        names = [n for n, v in vars(klass).items() if callable(v) and n != "__init__"]
        close = difflib.get_close_matches("__init__", names, n=1, cutoff=0.7)
        if close:
            return close[0]
    return None


def _numpy_input_error(module, x, stack) -> TypeError:
    where = current_module_path(stack)
    err = TypeError(
        f"{msg.who(type(module).__name__, where)} got a numpy.ndarray (dtype {x.dtype}, shape {x.shape}) "
        "as its input, but modules take d2lmods tensors. Fix: convert it first, "
        "X = torch.from_numpy(x).float() (float32, like the layers' weights) or "
        "X = torch.tensor(x, dtype=torch.float32).")
    err._d2l_module_path = where
    return err


def _annotate(exc: BaseException, stack: list) -> None:
    """Add the module path to an exception raised inside a forward, once (at the innermost module)."""
    if getattr(exc, "_d2l_module_path", None) is not None:
        return
    path = current_module_path(stack)
    try:
        exc._d2l_module_path = path
    except Exception:
        return
    where = f"(raised inside {type(stack[-1]).__name__} at {path})"
    if (len(exc.args) == 1 and isinstance(exc.args[0], str) and not isinstance(exc, KeyError)
            and type(exc).__str__ is BaseException.__str__):
        # Part of the message itself, so str(err) (and a grader's feedback) shows the place.
        exc.args = (f"{exc.args[0]}\n{where}",)
    elif hasattr(exc, "add_note"):
        exc.add_note(where)


def _common_prefix_fix(missing: list[str], unexpected: list[str]) -> str:
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
                return (f"How to fix: the checkpoint's keys start with '{pre}' (it was saved from a model "
                        f"that held this one as `{pre[:-1]}`); strip the prefix: "
                        f"model.load_state_dict({{k.removeprefix('{pre}'): v for k, v in sd.items()}}).")
        break
    for key in missing:
        parts = key.split(".")
        for i in range(1, len(parts)):
            pre = ".".join(parts[:i]) + "."
            stripped = {k[len(pre):] for k in missing if k.startswith(pre)}
            if set(unexpected) <= stripped and len(stripped) == len(missing):
                return (f"How to fix: this model's keys start with '{pre}' but the checkpoint's do not; "
                        f"load into the submodule instead (model.{pre[:-1]}.load_state_dict(sd)) or add "
                        f"the prefix: {{'{pre}' + k: v for k, v in sd.items()}}.")
        break
    return ""


def _load_hint(module, state_dict, missing, unexpected, error_msgs) -> str:
    fix = _common_prefix_fix(missing, unexpected)
    if fix:
        return fix
    if any(m.startswith("size mismatch") for m in error_msgs):
        return ("How to fix: the checkpoint was saved from a model with different layer sizes. Build "
                "the model with the same sizes as when it was saved (compare print(model) with the "
                "shapes above), or drop the mismatched keys and load with strict=False.")
    if missing and unexpected:
        return ("How to fix: the checkpoint's names do not match this model's (compare "
                "list(sd.keys()) with list(model.state_dict().keys())); rename the keys, or build the "
                "same architecture that was saved.")
    if missing:
        return ("How to fix: the checkpoint lacks some of this model's parameters (a different or "
                "smaller architecture was saved). Build the same model that was saved, or pass "
                "strict=False to load only the keys that match and keep the rest as initialized.")
    if unexpected:
        return ("How to fix: the checkpoint holds entries this model does not have (a bigger or "
                "different architecture was saved). Build the same model, or pass strict=False to "
                "ignore the extra keys.")
    return ""
