"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

They are thin ``Module`` subclasses whose children are named ``"0"``, ``"1"``, ...
(or by key), so everything in them is registered::

    >>> from d2lmods import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> print(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)]))
    ModuleList(
      (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
    )
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import chain, islice

from .._messages import ModuleUsageWarning, SharedInstanceWarning, modules as texts, typename, warn
from ._callstack import call_state, current_module_path, located
from .module import Module, _addindent
from .parameter import Parameter, Tensor

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


# --------------------------------------------------------------------------------------------
# Checks shared by the containers
# --------------------------------------------------------------------------------------------


class SequentialInsertError(TypeError, AssertionError):
    """``Sequential.insert`` of something that is not a Module: torch raises ``AssertionError``
    there (and ``TypeError`` everywhere else), so this is both."""


def _check_module(container: str, where: str, value, error=TypeError) -> None:
    """Raise ``error`` (a TypeError) explaining what was passed instead of a Module instance."""
    if isinstance(value, Module):
        return
    try:
        _explain_not_module(container, where, value)
    except TypeError as e:
        if error is TypeError:
            raise
        raise error(str(e)) from None


def _explain_not_module(container: str, where: str, value) -> None:
    if isinstance(value, type) and issubclass(value, Module):
        raise TypeError(texts.container_got_class(container, _qual(value), where))
    if isinstance(value, dict) and value and all(isinstance(v, Module) for v in value.values()):
        raise TypeError(texts.container_got_dict(container, len(value), where))
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
        raise TypeError(
            texts.container_got_list(container, type(value).__name__, len(value), where)
        )
    raise TypeError(texts.container_not_module(container, typename(value), where))


def _put(container, key: str, module, method: str) -> None:
    """Store ``module`` under ``key`` as PyTorch does, but say so when that drops another child.

    Keys are ``str(len(container))``; after slicing a Sequential (original keys kept) or
    inserting past the end of a ModuleList, that key can already be taken, and PyTorch
    silently replaces the child there.
    """
    old = container._modules.get(key)
    if old is not None and old is not module:
        name = type(container).__name__
        warn(
            texts.key_replaced(
                name,
                method,
                type(module).__name__,
                key,
                type(old).__name__,
                list(container._modules),
            ),
            ModuleUsageWarning,
            stacklevel=3,
        )
    container._modules[key] = module


def _returned_none(seq, child) -> RuntimeError:
    key = next((k for k, m in seq._modules.items() if m is child), "?")
    where = current_module_path(call_state.stack) + f".{key}"
    return located(RuntimeError(texts.returned_none(type(child).__name__, where)), where)


def _qual(cls) -> str:
    mod = cls.__module__ or ""
    if mod.startswith("d2lmods.nn"):
        return f"nn.{cls.__name__}"
    return cls.__name__


def _warn_repeated(container: str, modules: list, stacklevel: int = 3) -> None:
    """Warn when ``[layer] * n`` put one layer with weights at several positions by accident.

    Sharing is flagged when the same instance sits at neighbouring positions, or when
    the whole list is one block repeated (``[a, b] * 3``). D2L's tied layer
    (``shared`` at positions 2 and 4 with distinct layers between) stays silent.
    """
    n = len(modules)
    if n < 2:
        return
    positions: list[int] = []
    for i in range(n - 1):
        if modules[i] is modules[i + 1] and _has_weights(modules[i]):
            positions = [j for j in range(n) if modules[j] is modules[i]]
            break
    if not positions:
        for period in range(2, n // 2 + 1):
            if n % period:
                continue
            if all(modules[j] is modules[j % period] for j in range(n)):
                first = next((j for j in range(period) if _has_weights(modules[j])), None)
                if first is not None:
                    positions = [j for j in range(n) if modules[j] is modules[first]]
                break
    if not positions:
        return
    layer = modules[positions[0]]
    period = next(
        (
            p
            for p in range(1, n // 2 + 1)
            if n % p == 0 and all(modules[j] is modules[j % p] for j in range(n))
        ),
        None,
    )
    block = [_constructor(m) for m in modules[:period]] if period else None
    warn(
        texts.repeated_instance(
            container,
            type(layer).__name__,
            positions,
            block,
            n // period if period else 0,
            _constructor(layer),
        ),
        SharedInstanceWarning,
        stacklevel=stacklevel,
    )


def _constructor(module: Module) -> str:
    """Code that builds a fresh layer like ``module``: its repr for d2lmods' own leaf layers
    (``nn.Linear(in_features=8, out_features=8, bias=True)``), else a deep copy."""
    if type(module).__module__.startswith("d2lmods.nn") and not module._modules:
        code = "nn." + repr(module)
        from d2lmods import nn as nn_package

        try:
            eval(code, {"nn": nn_package, "__builtins__": {}})  # only offered if it builds
            return code
        except Exception:
            pass
    return "copy.deepcopy(layer)"


def _has_weights(module: Module) -> bool:
    for _ in module.parameters():
        return True
    return False


# --------------------------------------------------------------------------------------------
# Sequential
# --------------------------------------------------------------------------------------------


class Sequential(Module):
    """Runs its modules one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Build it from modules as separate arguments, or from an ``OrderedDict`` of
    named modules::

        >>> from collections import OrderedDict
        >>> from d2lmods import nn
        >>> nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 4)), ("act", nn.ReLU())]))
        Sequential(
          (hidden): Linear(in_features=2, out_features=4, bias=True)
          (act): ReLU()
        )
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                _check_module("nn.Sequential", f"key '{key}'", module)
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                _check_module("nn.Sequential", f"position {idx}", module)
                self._modules[str(idx)] = module
            _warn_repeated("nn.Sequential", list(args), stacklevel=3)

    def _get_item_by_idx(self, iterator, idx):
        size = len(self)
        idx = operator.index(idx)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        idx %= size
        return next(islice(iterator, idx, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(self._modules.values(), idx)

    def __setitem__(self, idx, module) -> None:
        _check_module("nn.Sequential", f"index {idx}", module)
        key = self._get_item_by_idx(self._modules.keys(), idx)
        setattr(self, key, module)

    def __delitem__(self, idx) -> None:
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            key = self._get_item_by_idx(self._modules.keys(), idx)
            delattr(self, key)
        # Keep the numbering 0..n-1, as PyTorch does.
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(list(zip(str_indices, self._modules.values())))

    def __len__(self) -> int:
        return len(self._modules)

    def __add__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        ret = Sequential()
        for layer in self:
            ret.append(layer)
        for layer in other:
            ret.append(layer)
        return ret

    def __iadd__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        offset = len(self)
        for i, module in enumerate(other):
            _put(self, str(i + offset), module, "+=")
        return self

    def __mul__(self, other: int) -> Sequential:
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        combined = Sequential()
        offset = 0
        for _ in range(other):
            for module in self:
                combined.add_module(str(offset), module)
                offset += 1
        return combined

    __rmul__ = __mul__

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module) -> Sequential:
        """Add ``module`` at the end; returns the Sequential."""
        _check_module("nn.Sequential.append", f"position {len(self)}", module)
        _put(self, str(len(self)), module, "append")
        return self

    def insert(self, index: int, module) -> Sequential:
        _check_module("nn.Sequential.insert", f"index {index}", module, SequentialInsertError)
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential) -> Sequential:
        for layer in sequential:
            self.append(layer)
        return self

    def forward(self, input):
        for module in self:
            output = module(input)
            if output is None and input is not None:
                raise _returned_none(self, module)
            input = output
        return input


# --------------------------------------------------------------------------------------------
# ModuleList
# --------------------------------------------------------------------------------------------


class ModuleList(Module):
    """A list of registered modules. It has no ``forward``: loop over it in your own forward.

    >>> from d2lmods import nn
    >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
    >>> len(list(blocks.parameters()))
    4
    """

    _is_container_without_forward = True

    def __init__(self, modules: Iterable[Module] | None = None, *more) -> None:
        super().__init__()
        if more:
            raise TypeError(texts.module_list_arguments(1 + len(more)))
        if modules is not None:
            if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
                raise TypeError(texts.module_list_single(type(modules).__name__))
            modules = list(modules)
            for i, m in enumerate(modules):
                _check_module("nn.ModuleList", f"position {i}", m)
            _warn_repeated("nn.ModuleList", modules, stacklevel=3)
            self += modules

    def _get_abs_string_index(self, idx):
        return _abs_string_index(self, idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._get_abs_string_index(idx)]

    def __setitem__(self, idx: int, module) -> None:
        _check_module("nn.ModuleList", f"index {idx}", module)
        idx = self._get_abs_string_index(idx)
        setattr(self, str(idx), module)

    def __delitem__(self, idx) -> None:
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, self._get_abs_string_index(idx))
        str_indices = [str(i) for i in range(len(self._modules))]
        self._modules = OrderedDict(list(zip(str_indices, self._modules.values())))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __repr__(self) -> str:
        """Like Module's repr, but runs of identical children collapse to ``(0-4): 5 x Linear(...)``."""
        list_of_reprs = [repr(item) for item in self]
        if len(list_of_reprs) == 0:
            return self._get_name() + "()"
        start_end_indices = [[0, 0]]
        repeated_blocks = [list_of_reprs[0]]
        for i, r in enumerate(list_of_reprs[1:], 1):
            if r == repeated_blocks[-1]:
                start_end_indices[-1][1] += 1
                continue
            start_end_indices.append([i, i])
            repeated_blocks.append(r)
        lines = []
        main_str = self._get_name() + "("
        for (start_id, end_id), b in zip(start_end_indices, repeated_blocks):
            local_repr = f"({start_id}): {b}"
            if start_id != end_id:
                n = end_id - start_id + 1
                local_repr = f"({start_id}-{end_id}): {n} x {b}"
            local_repr = _addindent(local_repr, 2)
            lines.append(local_repr)
        main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def insert(self, index: int, module) -> None:
        _check_module("nn.ModuleList.insert", f"index {index}", module)
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module) -> ModuleList:
        _check_module("nn.ModuleList.append", f"position {len(self)}", module)
        _put(self, str(len(self)), module, "append")
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if (
            not isinstance(modules, Iterable)
            or isinstance(modules, Module)
            and not isinstance(modules, (ModuleList, Sequential))
        ):
            hint = texts.EXTEND_WITH_MODULE if isinstance(modules, Module) else ""
            raise TypeError(
                "ModuleList.extend should be called with an iterable, but got "
                + type(modules).__name__
                + ("." + hint if hint else "")
            )
        offset = len(self)
        for i, module in enumerate(modules):
            _check_module("nn.ModuleList.extend", f"position {i}", module)
            _put(self, str(offset + i), module, "extend")
        return self

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(texts.MODULE_LIST_CALLED)


# --------------------------------------------------------------------------------------------
# ModuleDict
# --------------------------------------------------------------------------------------------


class ModuleDict(Module):
    """A dict of registered modules, in insertion order: ``nn.ModuleDict({'act': nn.ReLU()})``."""

    _is_container_without_forward = True

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module) -> None:
        _check_module("nn.ModuleDict", f"key '{key}'", module)
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        _update_from(self, modules, "ModuleDict.update", "ModuleDict")


# --------------------------------------------------------------------------------------------
# ParameterList / ParameterDict
# --------------------------------------------------------------------------------------------


def _as_parameter(value):
    """Tensors become Parameters (as in PyTorch); anything else is stored as it is."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _param_repr_line(key, p, type_name) -> str:
    """One line of ParameterList/ParameterDict's repr, in PyTorch's format."""
    if isinstance(p, Tensor):
        from .parameter import is_lazy

        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        if is_lazy(p):
            return f"  ({key}): {kind} containing: [{type_name(p)} of size ]"
        size_str = "x".join(str(size) for size in p.shape)
        return f"  ({key}): {kind} containing: [{type_name(p)} of size {size_str}]"
    return f"  ({key}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of registered parameters: ``nn.ParameterList([nn.Parameter(torch.randn(2))])``."""

    _is_container_without_forward = True

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx):
        return _abs_string_index(self, idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(len(self))[idx]:
                out.append(self[i])
            return out
        idx = self._get_abs_string_index(idx)
        return getattr(self, str(idx))

    def __setitem__(self, idx: int, param) -> None:
        idx = self._get_abs_string_index(idx)
        setattr(self, str(idx), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value) -> ParameterList:
        new_idx = len(self)
        self._size += 1
        setattr(self, str(new_idx), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                + type(values).__name__
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(
            _param_repr_line(k, p, lambda t: repr(t.dtype)) for k, p in enumerate(self)
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(texts.PARAMETER_LIST_CALLED)


class ParameterDict(Module):
    """A dict of registered parameters: ``nn.ParameterDict({'w': nn.Parameter(torch.randn(2))})``."""

    _is_container_without_forward = True

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key: str) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a "
                f"string (type is '{type(key).__name__}'). Open an issue on github if "
                "you need non-string keys."
            )
        return key

    def __getitem__(self, key: str):
        attr = self._key_to_attr(key)
        return getattr(self, attr)

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        attr = self._key_to_attr(key)
        setattr(self, attr, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        attr = self._key_to_attr(key)
        delattr(self, attr)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same Parameter objects, in the same order."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        """``self[key]``, after storing ``default`` there if ``key`` is missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self):
        """Remove and return the last inserted ``(key, parameter)`` pair."""
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def fromkeys(self, keys, default=None) -> ParameterDict:
        """A new ParameterDict with ``keys``, each set to ``default`` (a tensor becomes a Parameter)."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters) -> None:
        """``dict.update``; keys of a plain ``dict`` are added in sorted order, as torch does.

        An ``OrderedDict``, a ParameterDict or a sequence of pairs keeps its own order.
        """
        if isinstance(parameters, Mapping) and not isinstance(
            parameters, (OrderedDict, ParameterDict)
        ):
            parameters = sorted(parameters.items())
        # torch's own message says "ParametersDict" here; keep its text.
        _update_from(self, parameters, "ParametersDict.update", "ParameterDict")

    def __or__(self, other) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_param_repr_line(k, p, typename) for k, p in self.items())

    def __call__(self, input):
        raise RuntimeError(texts.PARAMETER_DICT_CALLED)


def _update_from(container, items, method: str, kind: str) -> None:
    """``dict.update`` semantics with torch's messages: a mapping, or an iterable of (key, value)."""
    if not isinstance(items, Iterable):
        raise TypeError(
            f"{method} should be called with an iterable of key/value pairs, "
            f"but got {type(items).__name__}"
        )
    if isinstance(items, (Mapping, type(container))):
        for key, value in items.items():
            container[key] = value
        return
    for j, pair in enumerate(items):
        if not isinstance(pair, Iterable):
            raise TypeError(
                f"{kind} update sequence element #{j} should be Iterable; is{type(pair).__name__}"
            )
        if not len(pair) == 2:
            raise ValueError(
                f"{kind} update sequence element #{j} has length {len(pair)}; 2 is required"
            )
        container[pair[0]] = pair[1]


def _abs_string_index(container, idx) -> str:
    """The registry key of position ``idx`` (negative counts from the end), as torch checks it."""
    idx = operator.index(idx)
    if not (-len(container) <= idx < len(container)):
        raise IndexError(f"index {idx} is out of range")
    if idx < 0:
        idx += len(container)
    return str(idx)
