"""Learner-facing warnings and error texts of the module system.

Every message says three things, in this order: what went wrong (the cause),
where (module path, attribute, parameter or key names, shapes, dtypes) and how
to fix it. Keeping the wording here keeps it consistent across ``module.py``,
``containers.py``, ``lazy.py`` and the layers.

Warnings can be silenced with the standard :mod:`warnings` filters::

    import warnings
    from d2lmods import nn
    warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)

or, for the unregistered-module checks only, ``d2lmods.set_warn_unregistered(False)``.
"""
from __future__ import annotations

import os
import sys
import warnings

__all__ = [
    "ModuleUsageWarning",
    "UnregisteredModuleWarning",
    "SharedInstanceWarning",
    "StateDictWarning",
    "set_warn_unregistered",
    "warn_unregistered_enabled",
]


class ModuleUsageWarning(UserWarning):
    """Base class of the warnings d2lmods.nn gives about how modules are used."""


class UnregisteredModuleWarning(ModuleUsageWarning):
    """A Module, Parameter or trainable tensor is held where ``nn.Module`` cannot see it.

    PyTorch silently ignores modules kept in plain ``list``/``dict``/``tuple``/``set``
    attributes; d2lmods says so, because their parameters are then not trained,
    not saved, not converted and not switched between train and eval mode.
    """


class SharedInstanceWarning(ModuleUsageWarning):
    """One layer instance was placed several times where separate layers were likely meant."""


class StateDictWarning(ModuleUsageWarning):
    """A ``state_dict`` was used in a way that does not do what it seems to."""


_settings = {"warn_unregistered": True}


def set_warn_unregistered(enabled: bool = True) -> None:
    """Turn the :class:`UnregisteredModuleWarning` checks on or off for the whole process.

    >>> import d2lmods
    >>> d2lmods.set_warn_unregistered(False)   # e.g. for code that knows what it does
    >>> d2lmods.set_warn_unregistered(True)
    """
    _settings["warn_unregistered"] = bool(enabled)


def warn_unregistered_enabled() -> bool:
    return _settings["warn_unregistered"]


def typename(obj) -> str:
    """``torch.typename``-like name: ``'d2lmods.FloatTensor'`` for tensors, else the class name."""
    dtype = getattr(obj, "dtype", None)
    if dtype is not None and any(c.__name__ == "Tensor" for c in type(obj).__mro__):
        short = {
            "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
            "int64": "LongTensor", "int32": "IntTensor", "bool": "BoolTensor",
        }.get(str(dtype).split(".")[-1])
        if short:
            return "d2lmods." + short
    module = type(obj).__module__
    if module in ("builtins", None):
        return type(obj).__qualname__
    return f"{module}.{type(obj).__qualname__}"


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str, category=ModuleUsageWarning, stacklevel: int = 2) -> None:
    """Issue ``message`` at the learner's line: the first frame outside the d2lmods package.

    (Counting frames with ``stacklevel`` breaks as soon as a subclass or a wrapper adds one;
    ``stacklevel`` is only the fallback when no outside frame exists.)
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
        return
    g = frame.f_globals
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=g.get("__name__", "__main__"),
                           registry=g.setdefault("__warningregistry__", {}), module_globals=g)


# --- texts shared by several places --------------------------------------------------------

LOST = ("its parameters are not in parameters() or state_dict(), the optimizer will not "
        "train them, .to()/.double() will not convert them and train()/eval() will not "
        "switch them")


def before_init(what: str, name: str, cls_name: str) -> str:
    """AttributeError text for registering something before ``super().__init__()``."""
    return (f"cannot assign {what} before Module.__init__() call: "
            f"'{name}' was assigned in {cls_name}.__init__ before the Module was set up. "
            f"Fix: call super().__init__() as the first line of {cls_name}.__init__.")


def container_fix(container: str) -> str:
    if container == "dict":
        return "nn.ModuleDict({...}) (or nn.ParameterDict for parameters)"
    return "nn.ModuleList([...]) (or nn.ParameterList for parameters)"


def located(exc: BaseException, where: str) -> BaseException:
    """Mark ``exc`` as already naming its module path (so ``Module.__call__`` adds no second note)."""
    exc._d2l_module_path = where
    return exc


def who(cls_name: str, where: str) -> str:
    """``'Linear at MLP.out'``, or just ``'Linear'`` when the layer itself was called."""
    return cls_name if where == cls_name else f"{cls_name} at {where}"
