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
path), and ``state_dict`` misuse. Each of these is one call from the class into
a helper module, so the class reads as PyTorch's:

* ``_unregistered`` -- the scan for modules hidden in plain containers and its warnings
* ``_explain``      -- what went wrong in a call or an attribute look-up
* ``_callstack``    -- which module is running, for messages that name the place
* ``state_dict``    -- the ``StateDict`` view and the hints of a failed load
* ``hooks``         -- hook handles

and every text comes from ``d2lmods._messages``.
"""

from __future__ import annotations

import functools
import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from .._messages import (
    ModuleUsageWarning,
    modules as _texts,
    state_dict as _sd_texts,
    typename,
    warn,
)
from ..autograd.grad_mode import STATE as _GRAD_STATE
from . import (
    _explain,
    _loop,
    _unregistered as unregistered,
    backward_hooks as _backward_hooks,
    state_dict as _state_dict,
)
from ._callstack import NUMBERED, annotate, call_state, next_call_number as _next_call_number
from .hooks import HOOKS_SEEN, RemovableHandle, _HookDict
from .parameter import (
    Buffer,
    Parameter,
    Tensor,
    _array,
    _bump_version,
    buffer_persistent,
    is_lazy,
    no_grad,
)
from .state_dict import StateDict, _IncompatibleKeys

__all__ = ["Module", "RemovableHandle", "StateDict"]

_ndarray = np.ndarray
# The hook dicts Module.__call__ reads.
_CALL_HOOK_DICTS = frozenset(
    {"_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks"}
)


_MISSING = object()


def _addindent(s: str, num_spaces: int) -> str:
    """Indent every line of ``s`` but the first (PyTorch's repr helper; blank lines stay blank)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    lines = [(num_spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(lines)


# ``module.type("torch.DoubleTensor")``: torch's tensor type names and their dtypes.
_TENSOR_TYPE_DTYPES = {
    "FloatTensor": "float32",
    "DoubleTensor": "float64",
    "HalfTensor": "float16",
    "LongTensor": "int64",
    "IntTensor": "int32",
    "ShortTensor": "int16",
    "ByteTensor": "uint8",
    "CharTensor": "int8",
    "BoolTensor": "bool",
}


def _forward_unimplemented(self, *input: Any) -> None:
    """Placeholder ``forward``: subclasses must define their own."""
    raise NotImplementedError(_explain.missing_forward(self))


class Module:
    """Base class for all neural-network layers and models (PyTorch's ``nn.Module``).

    Subclass it, call ``super().__init__()`` first in ``__init__``, assign layers
    and ``nn.Parameter`` s as attributes, and define ``forward``. Call the module
    (``net(X)``), not ``net.forward(X)``, so hooks run and lazy layers initialize.
    """

    dump_patches = False
    T_destination = TypeVar("T_destination", bound=dict)
    _version = 1
    training: bool
    call_super_init = False
    _is_container_without_forward = False

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise _explain.init_arguments(self, args, kwargs)
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
        setattr_(self, "_backward_hooks", _HookDict())
        setattr_(self, "_backward_pre_hooks", _HookDict())
        setattr_(self, "_modules", {})
        if call_state.stack:
            _loop.created(self)  # a layer built inside a forward: a new one at every call

    forward: Callable[..., Any] = _forward_unimplemented

    def __init_subclass__(cls, **kwargs):
        # Beyond PyTorch: every subclass's own __init__ is wrapped so that the checks for modules
        # hidden in plain lists run once construction ends, not at each assignment (a list
        # assigned first and registered a line later is fine). See _unregistered.wrap_init.
        super().__init_subclass__(**kwargs)
        if "named_modules" in cls.__dict__ or "_named_members" in cls.__dict__:
            _WALK_OVERRIDDEN[0] = True  # parameters() must go through them, as it does for Module
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_d2l_wrapped", False):
            cls.__init__ = unregistered.wrap_init(init)
        _loop.check_mode_methods(cls)  # train()/eval() that nn.Module's callers cannot call

    # ---- registration ----------------------------------------------------------------------

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is part of the state but not trained (e.g. BatchNorm's running mean).

        ``persistent=False`` keeps it out of ``state_dict()``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(_texts.before_init("buffer", name, type(self).__name__))
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        # As in torch, the object itself is stored (``m.buf = b; m.buf is b``) and ``persistent``
        # comes from the argument: ``__setattr__`` passes a Buffer's own flag.
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter under ``name``; ``None`` keeps an empty slot (e.g. ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(_texts.before_init("parameter", name, type(self).__name__))
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {typename(name)}")
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
            raise TypeError(_texts.not_a_parameter(typename(param), name))
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                "must be created explicitly. To express '{name}' as a function of another "
                "Tensor, compute the value in the forward() method."
            )
        old = self._parameters.get(name)
        self._parameters[name] = param
        if old is not None and old is not param:
            _loop.replaced(self, name, old, "parameter")  # an optimizer may still hold the old one

    def add_module(self, name: str, module) -> None:
        """Register ``module`` as a child called ``name`` (any string without ``.``; spaces are fine)."""
        if "_modules" not in self.__dict__:
            raise AttributeError(_texts.before_init("module", name, type(self).__name__))
        if isinstance(name, Module) and not isinstance(module, Module):
            raise TypeError(_texts.add_module_swapped(type(name).__name__))
        if not isinstance(module, Module) and module is not None:
            if isinstance(module, type) and issubclass(module, Module):
                raise TypeError(_texts.add_module_class(name, module.__name__))
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        old = self._modules.get(name)
        replaces = old is not None and module is not None and old is not module
        if replaces and unregistered.constructing():
            # One name used again while a model is being built (add_module('block', ...) in a
            # loop of __init__) drops a layer by mistake; outside __init__, replacing a child by
            # name (md['conv'] = new, update()) is what the learner asked for.
            warn(
                _texts.add_module_replaces(
                    type(self).__name__, name, type(module).__name__, type(old).__name__
                ),
                ModuleUsageWarning,
                stacklevel=2,
            )
        self._modules[name] = module
        if replaces:
            _loop.replaced(self, name, old, "module")  # an optimizer may still hold its weights

    def register_module(self, name: str, module) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path ``target`` (``""`` is ``self``), e.g. ``net.get_submodule("0.1")``."""
        if target == "":
            return self
        mod = self
        walked = []
        for item in target.split("."):
            child = mod._modules.get(item, _MISSING)
            if child is _MISSING:
                if not hasattr(mod, item):
                    where = ".".join(walked) or type(self).__name__
                    raise AttributeError(
                        _texts.no_submodule(
                            type(mod).__name__, item, target, where, list(mod._modules)
                        )
                    )
                child = getattr(mod, item)  # as torch: a module held as a plain attribute counts
            if not isinstance(child, Module):
                # torch's text; a parameter, a buffer, None or any other value ends the path
                raise AttributeError(
                    f"`{item}` is not an nn.Module"
                    + (f" (it is None in '{target}')" if child is None else "")
                )
            mod = child
            walked.append(item)
        return mod

    def set_submodule(self, target: str, module, strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target``, e.g. ``net.set_submodule("0.1", nn.Tanh())``.

        The parent must exist. With ``strict=True`` only an existing child is replaced;
        otherwise a missing last name is added as a new child.
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        name = atoms[-1]
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

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
        """The buffer at dotted path ``target``, e.g. ``net.get_buffer("1.running_mean")``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
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
            raise AttributeError(_texts.no_super_init_attribute(type(self).__name__, name))
        raise AttributeError(_explain.no_attribute(self, name))

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
                raise AttributeError(_texts.before_init("parameters", name, type(self).__name__))
            remove_from(d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(_texts.assign_to_parameter(typename(value), name))
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError(_texts.before_init("module", name, type(self).__name__))
            remove_from(d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            old = modules.get(name)
            modules[name] = value
            if old is not None and old is not value:
                _loop.replaced(self, name, old, "module")  # an optimizer may still hold its weights
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, (Tensor, Buffer)):
                raise TypeError(
                    f"cannot assign '{typename(value)}' as buffer '{name}' "
                    "(torch.nn.Buffer, torch.Tensor or None expected)"
                )
            if buffers is None:
                raise AttributeError(_texts.before_init("buffer", name, type(self).__name__))
            if isinstance(value, Buffer):
                persistent = buffer_persistent(value)
            else:
                persistent = name not in self._non_persistent_buffers_set
            # A buffer that is re-assigned stays a registered buffer.
            remove_from(d)
            self.register_buffer(name, value, persistent)
            return
        if isinstance(value, Tensor) and params is None:
            raise AttributeError(_texts.before_init("tensors", name, type(self).__name__))
        if name in _CALL_HOOK_DICTS:
            HOOKS_SEEN[0] = True  # m._forward_hooks = OrderedDict(...): read the dicts from now on
        if name == "requires_grad" and isinstance(value, bool):
            _loop.requires_grad_attribute(self, value)  # a plain attribute, not a switch
        # Beyond PyTorch: warn when the value hides modules or parameters (a plain list of layers).
        # note_assignment reads the caller's frame (sys._getframe) so that the warning, even one
        # deferred to the end of __init__, points at this assignment's line in the learner's code.
        unregistered.note_assignment(self, name, value)
        object.__setattr__(self, name, value)

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
        if any(type(state[k]) is not _HookDict for k in _CALL_HOOK_DICTS if k in state):
            HOOKS_SEEN[0] = True  # plain dicts (an older pickle) may hold hooks: read them
        for name in (
            "_forward_pre_hooks",
            "_forward_hooks",
            "_state_dict_hooks",
            "_state_dict_pre_hooks",
            "_load_state_dict_pre_hooks",
            "_load_state_dict_post_hooks",
        ):
            if name not in self.__dict__:
                self.__dict__[name] = _HookDict()
        for name in (
            "_forward_pre_hooks_with_kwargs",
            "_forward_hooks_with_kwargs",
            "_forward_hooks_always_called",
            "_backward_hooks",
            "_backward_pre_hooks",
        ):
            self.__dict__.setdefault(name, _HookDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    # ---- calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        stack, calls = call_state.lists  # this thread's modules being called, and their numbers
        try:
            called = d["_d2l"].called
        except KeyError:
            called = False
        if not called:
            unregistered.first_call(self, stack)
        if not stack:
            _loop.root_call(self)  # evaluation under no_grad in training mode, and the like
        stack.append(self)
        if NUMBERED[0]:
            calls.append(_next_call_number())  # a check needs to tell two calls apart
        try:
            if args and args[0].__class__ is _ndarray:
                raise _explain.numpy_input(self, args[0], stack)
            # Until some module holds a hook (HOOKS_SEEN), no module's hook dicts need reading.
            if HOOKS_SEEN[0] and (
                d["_forward_pre_hooks"]
                or d["_forward_hooks"]
                or d.get("_backward_hooks")
                or d.get("_backward_pre_hooks")
            ):
                result = self._call_with_hooks(args, kwargs)
            else:
                result = self.forward(*args, **kwargs)
            if isinstance(result, Module):
                raise _explain.returned_module(self, result, stack)
            return result
        except Exception as exc:
            if (
                isinstance(exc, TypeError)
                and exc.__traceback__ is not None
                and exc.__traceback__.tb_next is None
            ):
                _explain.call_signature(
                    self, exc, args, kwargs
                )  # the arguments did not fit forward
            annotate(exc, stack)
            raise
        finally:
            stack.pop()
            if calls:
                calls.pop()

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        with_kwargs = self._forward_pre_hooks_with_kwargs
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result}."
                        )
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_state = None
        if (self._backward_hooks or self._backward_pre_hooks) and _GRAD_STATE.enabled:
            args, backward_state = _backward_hooks.hook_inputs(self, args)
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
        if backward_state is not None:
            result = _backward_hooks.hook_outputs(backward_state, result)
        return result

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Run ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before every forward.

        A non-``None`` return value replaces the input. Returns a handle with ``.remove()``.
        """
        handle = RemovableHandle(
            self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs
        )
        HOOKS_SEEN[0] = True  # also when the dict was replaced by a plain one
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """Run ``hook(module, args, output)`` after every forward.

        A non-``None`` return replaces the output."""
        handle = RemovableHandle(self._forward_hooks, extra_dict=self._forward_hooks_with_kwargs)
        handle.extra_dict_refs = (weakref.ref(self._forward_hooks_always_called),)
        HOOKS_SEEN[0] = True  # also when the dict was replaced by a plain one
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Run ``hook(module, grad_input, grad_output)`` once the gradients of the inputs are known.

        A non-``None`` return replaces ``grad_input``. ``grad_input`` has one entry per input
        tensor that requires grad (``(None,)`` when none does).
        """
        handle = RemovableHandle(self._backward_hooks)
        HOOKS_SEEN[0] = True  # also when the dict was replaced by a plain one
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Run ``hook(module, grad_output)`` when the gradients of the outputs arrive.

        A non-``None`` return replaces ``grad_output``.
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        HOOKS_SEEN[0] = True  # also when the dict was replaced by a plain one
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = (
            functools.partial(hook, self) if with_module else hook
        )
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

    def register_state_dict_pre_hook(self, hook):
        """Run ``hook(module, prefix, keep_vars)`` before this module's entries are saved."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_post_hook(self, hook):
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ---- traversal --------------------------------------------------------------------------

    def _get_name(self) -> str:
        return self.__class__.__name__

    def named_children(self) -> Iterator[tuple[str, Module]]:
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ):
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

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        """Yield ``(name, Parameter)``; a tied parameter appears once unless ``remove_duplicate=False``."""
        unregistered.check_tree_once(self, stacklevel=2)
        return self._named_members(
            lambda m: m._parameters.items(),
            prefix=prefix,
            recurse=recurse,
            remove_duplicate=remove_duplicate,
        )

    def parameters(self, recurse: bool = True):
        """Yield every parameter once (what an optimizer should train).

        E.g. ``optim.SGD(net.parameters(), lr)``."""
        unregistered.check_tree_once(self, stacklevel=2)
        if (
            recurse
            and not _WALK_OVERRIDDEN[0]
            and Module.named_modules is _NAMED_MODULES
            and Module._named_members is _NAMED_MEMBERS
        ):
            return _walk_parameters(self)  # the same parameters in the same order, without names
        return (
            param
            for _, param in self._named_members(lambda m: m._parameters.items(), recurse=recurse)
        )

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(
            lambda m: m._buffers.items(),
            prefix=prefix,
            recurse=recurse,
            remove_duplicate=remove_duplicate,
        )

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ---- modes, gradients, conversion ----------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        unregistered.check_tree_once(self, stacklevel=2)
        for _, p in self._named_members(lambda m: m._parameters.items()):
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        unregistered.check_tree_once(self, stacklevel=2)
        for _, p in self._named_members(lambda m: m._parameters.items()):
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()  # as torch: the zeroed gradient is cut from any graph
                g = _array(p.grad)
                if isinstance(g, np.ndarray):
                    g[...] = 0
                else:  # a 0-dim gradient held as a numpy scalar
                    p.grad._data = np.zeros((), dtype=g.dtype)
                _bump_version(p.grad)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on ``self``.

        E.g. ``net.apply(init_weights)``.

        Run it after the first forward when the model has lazy layers: before that they
        have no weights to initialize (d2lmods warns).
        """
        state = call_state
        lazy = _explain.lazy_layers(self) if state.apply_depth == 0 else None
        state.apply_depth += 1
        try:
            for module in self.children():
                module.apply(fn)
            try:
                fn(self)
            except AttributeError as exc:
                _explain.apply_attribute_error(self, fn, exc)
                raise
        finally:
            state.apply_depth -= 1
        if lazy:
            _explain.warn_lazy_before_apply(self, fn, lazy)
        return self

    def _apply(self, fn, lazy_fn=None) -> Module:
        for module in self.children():
            module._apply(fn, lazy_fn)
        for param in self._parameters.values():
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

    def to(self, *args, **kwargs) -> Module:
        """Convert floating-point parameters and buffers: ``net.to(torch.float64)``, ``net.to('cpu')``.

        Integer buffers keep their dtype; the Parameter objects stay the same (only their data changes).
        """
        from .._tensor.methods import parse_to

        dtype, _ = parse_to(args, kwargs)
        if dtype is None:
            return self
        unregistered.check_tree_once(self, stacklevel=2)
        if not dtype.is_floating_point:
            raise TypeError(_texts.to_integer_dtype(dtype))
        return self._convert_floats(dtype)

    def _convert_floats(self, dtype) -> Module:
        def convert(t):
            return t.to(dtype) if t.dtype.is_floating_point else t

        def convert_lazy(t):
            t.to(dtype)  # a placeholder remembers the dtype for its materialization

        return self._apply(convert, convert_lazy)

    def float(self) -> Module:
        from .._tensor.dtypes import float32

        unregistered.check_tree_once(self, stacklevel=2)
        return self._convert_floats(float32)

    def double(self) -> Module:
        from .._tensor.dtypes import float64

        unregistered.check_tree_once(self, stacklevel=2)
        return self._convert_floats(float64)

    def half(self) -> Module:
        from .._tensor.dtypes import float16

        return self._convert_floats(float16)

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer.

        E.g. ``net.type(torch.float64)`` or ``net.type("torch.DoubleTensor")``."""
        from .._tensor.dtypes import as_dtype

        if isinstance(dst_type, str) and dst_type.endswith("Tensor"):
            dst_type = _TENSOR_TYPE_DTYPES.get(dst_type.rsplit(".", 1)[-1], dst_type)
        elif isinstance(dst_type, type) and not isinstance(
            getattr(dst_type, "dtype", None), property
        ):
            dst_type = getattr(dst_type, "dtype", dst_type)  # a typed tensor class (LongTensor)
        dtype = as_dtype(dst_type)
        return self._apply(lambda t: t.to(dtype))

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        from .._tensor.dtypes import check_device

        check_device("cuda" if device is None else device)
        return self

    def share_memory(self) -> Module:
        """No-op returning ``self``: d2lmods tensors live in one process's memory."""
        return self

    def compile(self, *args, **kwargs) -> None:
        """Accepted for torch code (``net.compile()``); d2lmods runs the module as it is."""
        return None

    # ---- state dict ---------------------------------------------------------------------------

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = (
                    param if keep_vars or is_lazy(param) else param.detach()
                )
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars or is_lazy(buf) else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def get_extra_state(self):
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called."
        )

    def set_extra_state(self, state):
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called."
        )

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered ``{dotted_name: tensor}`` of parameters and persistent buffers.

        The tensors share memory with the model. To keep a snapshot (e.g. the best
        weights so far) copy it: ``copy.deepcopy(net.state_dict())``.
        """
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead.",
                FutureWarning,
                stacklevel=2,
            )
            names = ["destination", "prefix", "keep_vars"]
            values = dict(zip(names, args))
            destination = values.get("destination", destination)
            prefix = values.get("prefix", prefix)
            keep_vars = values.get("keep_vars", keep_vars)
        top = destination is None
        if top:
            unregistered.check_tree_once(self, stacklevel=2)
            destination = StateDict()
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, {"version": self._version})
            if result is not None:
                destination = result
        if top and isinstance(destination, StateDict):
            _state_dict.mark_live(destination)
        return destination

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        for hook in list(self._load_state_dict_pre_hooks.values()):
            hook(
                state_dict,
                prefix,
                local_metadata,
                strict,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )
        persistent_buffers = {
            k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set
        }
        local_state = {
            k: v
            for k, v in itertools.chain(self._parameters.items(), persistent_buffers.items())
            if v is not None
        }
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                fix = _sd_texts.NUMPY_ENTRY if isinstance(input_param, np.ndarray) else ""
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(input_param)}" + fix
                )
                continue
            if is_lazy(param) and is_lazy(input_param):
                continue  # nothing to copy between two placeholders
            if not is_lazy(param) and tuple(input_param.shape) != tuple(param.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {input_param.shape} "
                    f"from checkpoint, the shape in current model is {param.shape}."
                )
                continue
            if local_metadata.get("assign_to_params_buffers", False):
                # load_state_dict(assign=True): take the checkpoint's tensors themselves.
                if isinstance(param, Parameter):
                    if not isinstance(input_param, Parameter):
                        input_param = Parameter(input_param, requires_grad=param.requires_grad)
                    else:
                        input_param.requires_grad_(param.requires_grad)
                setattr(self, name, input_param)
                continue
            try:
                src = _array(input_param)
                dst = _array(param)
                if dst is not src:
                    np.copyto(dst, src.astype(dst.dtype, copy=False))
                    _bump_version(param)
            except Exception as ex:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the '
                    f"model are {param.shape} and whose dimensions in the checkpoint are "
                    f"{input_param.shape}, an exception occurred : {ex.args}."
                )
        extra_state_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_state_key in state_dict:
                self.set_extra_state(state_dict[extra_state_key])
            elif strict:
                missing_keys.append(extra_state_key)
        elif strict and extra_state_key in state_dict:
            unexpected_keys.append(extra_state_key)
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix) and key != extra_state_key:
                    input_name = key[len(prefix) :].split(".", 1)
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
            raise TypeError(_sd_texts.whole_model(type(state_dict).__name__, type(self).__name__))
        if callable(state_dict) and getattr(state_dict, "__name__", "") == "state_dict":
            raise TypeError(_sd_texts.method_passed(type(state_dict)))
        if not isinstance(state_dict, dict) and not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        _state_dict.note_load(self, state_dict)
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata = dict(local_metadata, assign_to_params_buffers=assign)
            module._load_from_state_dict(
                local_state_dict,
                prefix,
                local_metadata,
                True,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {
                        k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)
                    }
                    load(child, child_state_dict, child_prefix)
            incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, incompatible)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(
                    0,
                    "Unexpected key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in unexpected_keys)
                    ),
                )
            if missing_keys:
                error_msgs.insert(
                    0,
                    "Missing key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in missing_keys)
                    ),
                )
        if not strict and state_dict and not error_msgs:
            _state_dict.warn_if_nothing_loaded(self, state_dict)
        if error_msgs:
            text = "Error(s) in loading state_dict for {}:\n\t{}".format(
                self.__class__.__name__, "\n\t".join(error_msgs)
            )
            hint = _state_dict.load_hint(
                missing_keys if strict else [], unexpected_keys if strict else [], error_msgs
            )
            raise RuntimeError(text + ("\n" + hint if hint else ""))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ---- repr ---------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """Extra text shown inside ``Name(...)`` in the repr.

        Override it in layers (e.g. ``in_features=2, ...``)."""
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


_NAMED_MODULES = Module.named_modules
_NAMED_MEMBERS = Module._named_members
#: ``[True]`` once a subclass defines ``named_modules`` or ``_named_members``: from then on
#: ``parameters()`` walks through them (``_walk_parameters`` stands for the two as Module has them).
_WALK_OVERRIDDEN = [False]


def _walk_parameters(root):
    """What ``(p for _, p in root._named_members(lambda m: m._parameters.items()))`` yields, read
    from the registries directly: modules depth first, each once, parameters each once, and no
    names built (``parameters()`` is read at every training step)."""
    seen_modules = set()
    seen = set()
    todo = [root]
    while todo:
        m = todo.pop()
        if m in seen_modules:  # by the module's own hash, as named_modules' memo
            continue
        seen_modules.add(m)
        d = m.__dict__
        for p in d["_parameters"].values():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                yield p
        children = d["_modules"]
        if children:
            for c in reversed(children.values()):
                if c is not None:
                    todo.append(c)
