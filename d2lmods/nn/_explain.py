"""How ``Module`` explains mistakes PyTorch reports tersely or not at all.

Each function here is one call in ``module.py``: it works out what went wrong (a misspelled
``forward`` or ``__init__``, a layer returned instead of called, arguments that do not fit
``forward``...) and takes the wording from ``d2lmods._messages.modules``.
"""
from __future__ import annotations

import difflib
import inspect
import itertools

from .._messages import ModuleUsageWarning, layers, warn, who
from .._messages import modules as texts
from . import module as _module  # module.py imports this file: Module is read at call time
from ._callstack import current_module_path, located
from .parameter import is_lazy


def misspelled_init(cls) -> str | None:
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


def init_arguments(module, args, kwargs) -> TypeError:
    """``Module.__init__`` got arguments: a misspelled ``__init__``, or ``super().__init__(...)``."""
    cls = type(module).__name__
    typo = misspelled_init(type(module))
    if typo:
        return TypeError(texts.init_typo_args(cls, typo))
    given = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return TypeError(texts.init_args(cls, given))


def missing_forward(module) -> str:
    cls = type(module)
    base = set(dir(_module.Module))
    candidates = [a for a in dir(cls)
                  if a not in base and not a.startswith("__") and callable(getattr(cls, a, None))]
    close = difflib.get_close_matches("forward", candidates, n=1, cutoff=0.6)
    return texts.missing_forward(cls.__name__,
                                 container=getattr(module, "_is_container_without_forward", False),
                                 close=close[0] if close else None)


def no_attribute(module, name: str) -> str:
    """AttributeError text; adds a close name, or the submodule a parameter name belongs to."""
    cls = type(module).__name__
    if name.startswith("_"):
        return texts.no_attribute(cls, name)
    typo = misspelled_init(type(module))
    if typo:
        return texts.no_attribute_typo_init(cls, name, typo)
    d = module.__dict__
    own = (list(d["_parameters"]) + list(d["_buffers"]) + list(d["_modules"])
           + [k for k in d if not k.startswith("_") and k != "training"])
    close = difflib.get_close_matches(name, [n for n in own if not n.isdigit()], n=1, cutoff=0.75)
    if close:
        return texts.no_attribute_close(cls, name, close[0])
    found = [n for n, _ in itertools.islice(
                 _module.Module._named_members(module, lambda m: m._parameters.items()), 10_000)
             if n.rsplit(".", 1)[-1] == name][:3]
    if found:
        return texts.no_attribute_in_children(cls, name, ", ".join(_access_path(n) for n in found))
    return texts.no_attribute(cls, name)


def _access_path(qualified: str) -> str:
    """'0.weight' -> 'net[0].weight', 'hidden.weight' -> 'net.hidden.weight'."""
    out = "net"
    for part in qualified.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if part.isidentifier() else f"[{part!r}]")
    return out


def numpy_input(module, x, stack) -> TypeError:
    where = current_module_path(stack)
    return located(TypeError(layers.numpy_input(who(type(module).__name__, where), x.dtype, x.shape)),
                   where)


def returned_module(module, result, stack) -> TypeError:
    where = current_module_path(stack)
    attr = next((k for k, m in module._modules.items() if m is result), None)
    call = f"self.{attr}(X)" if attr else f"the {type(result).__name__} on your input"
    return located(TypeError(texts.returned_module(who(type(module).__name__, where),
                                                   type(result).__name__, call)), where)


def call_signature(module, exc, args, kwargs) -> None:
    """Add to a TypeError raised while binding ``net(...)``'s arguments to ``forward``."""
    fwd = type(module).forward
    if (fwd is _module._forward_unimplemented or getattr(exc, "_d2l_module_path", None) is not None
            or not exc.args or not isinstance(exc.args[0], str)):
        return   # not a binding error (our own errors already carry their place)
    try:
        params = list(inspect.signature(fwd).parameters)
    except (TypeError, ValueError):
        return
    name = type(module).__name__
    if not params or params[0] != "self":
        hint = texts.forward_without_self(name, params)
    else:
        hint = texts.forward_arguments(name, len(args) + len(kwargs), params[1:])
    exc.args = (f"{exc.args[0]}\n{hint}",) + exc.args[1:]
    exc._d2l_module_path = name   # nothing more to add: no second note


def apply_attribute_error(module, fn, exc) -> None:
    if getattr(exc, "_d2l_apply_hint", False) or not exc.args or not isinstance(exc.args[0], str):
        return
    exc.args = (texts.apply_attribute_error(exc.args[0], getattr(fn, "__name__", "fn"),
                                            type(module).__name__),)
    exc._d2l_apply_hint = True


def lazy_layers(root) -> list:
    """``(name, module, number of forward hooks)`` of the layers of ``root`` with lazy parameters."""
    return [(name, m, len(m._forward_hooks) + len(m._forward_pre_hooks))
            for name, m in _module.Module.named_modules(root)
            if any(is_lazy(p) for p in m.__dict__.get("_parameters", {}).values())]


def warn_lazy_before_apply(root, fn, before) -> None:
    """``apply(fn)`` ran while ``before`` (from :func:`lazy_layers`) had no weights.

    Silent when ``fn`` dealt with them: it registered a hook that initializes them after the
    first forward, or they have weights now.
    """
    skipped = [name for name, m, hooks in before
               if any(is_lazy(p) for p in m.__dict__.get("_parameters", {}).values())
               and len(m._forward_hooks) + len(m._forward_pre_hooks) <= hooks]
    if skipped:
        warn(texts.lazy_before_apply(getattr(fn, "__name__", "fn"),
                                     skipped[0] or type(root).__name__, len(skipped)),
             ModuleUsageWarning, stacklevel=3)
