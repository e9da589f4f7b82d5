"""What d2lmods says to a learner: the wording of every warning and error it adds to PyTorch's.

Every message says three things, in this order: what went wrong (the cause), where (module
path, attribute, parameter or key names, shapes, dtypes) and how to fix it, with a fix that
runs. The code that detects a mistake decides *when* to speak; the wording lives here, one
file per topic, so it stays consistent and can be reviewed as a whole:

* ``core``       -- tensors, autograd and ops
* ``modules``    -- ``nn.Module`` registration, attributes, calls, containers, parameters
* ``state_dict`` -- ``state_dict()`` / ``load_state_dict()`` misuse and loading hints
* ``layers``     -- the layers' and ``nn.functional``'s input checks, ``nn.init``
* ``training``   -- optimizers and the training loop

Messages copied from PyTorch stay next to the check that raises them, as in PyTorch.

This package sits below every layer of d2lmods and imports nothing from it, so the core may
use it as well as ``nn``. Warnings can be silenced with the standard :mod:`warnings` filters::

    import warnings
    from d2lmods import nn
    warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)

or, for the unregistered-module checks only, ``d2lmods.set_warn_unregistered(False)``.
"""
from __future__ import annotations

import os
import sys
import warnings

__all__ = ["ModuleUsageWarning", "UnregisteredModuleWarning", "SharedInstanceWarning",
           "StateDictWarning", "TrainingWarning", "StaleGradientWarning", "CATEGORIES", "typename",
           "user_frame", "user_stacklevel", "warn", "who", "install_short_warnings",
           "uninstall_short_warnings"]


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


class TrainingWarning(ModuleUsageWarning):
    """The training or evaluation loop uses a model, a loss or an optimizer in a way that does
    not do what it seems to (``model.eval()`` forgotten, a step without gradients...)."""


class StaleGradientWarning(TrainingWarning):
    """``step()`` saw gradients left over from before the previous ``step()``."""


#: Every warning category d2lmods defines (``display`` prints these short).
CATEGORIES = (ModuleUsageWarning,)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _walk_out(frame):
    """The first frame at or above ``frame`` outside the d2lmods package, and how many were skipped."""
    skipped = 0
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        skipped += 1
    return frame, skipped


def user_frame(depth: int = 1):
    """The learner's frame: the first one outside d2lmods, starting ``depth`` frames above the caller.

    Counting frames with ``stacklevel`` breaks as soon as a subclass, a container or a wrapper
    adds one. ``None`` when every frame is d2lmods' own.
    """
    return _walk_out(sys._getframe(depth + 1))[0]


def user_stacklevel(depth: int = 1) -> int:
    """``stacklevel`` for a ``warnings.warn`` in the caller's caller that points at the learner's line."""
    return 2 + _walk_out(sys._getframe(depth + 1))[1]


def warn(message: str, category=ModuleUsageWarning, stacklevel: int = 2) -> None:
    """Issue ``message`` at the learner's line (see :func:`user_frame`).

    ``stacklevel`` is only the fallback when no frame outside the package exists.
    """
    frame = user_frame(1)
    if frame is None:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
        return
    g = frame.f_globals
    kwargs = dict(module=g.get("__name__", "__main__"),
                  registry=g.setdefault("__warningregistry__", {}))
    try:
        warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                               module_globals=g, **kwargs)
    except ImportError:
        # Code from `python -c` or stdin: its __main__ cannot give the source line.
        warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                               **kwargs)


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


def who(cls_name: str, where: str) -> str:
    """``'Linear at MLP.out'``, or just ``'Linear'`` when the layer itself was called."""
    return cls_name if where == cls_name else f"{cls_name} at {where}"


# ---- how d2lmods' own warnings are printed -----------------------------------------------------
# Python prints a warning as `<file>:<line>: <Category>: <message>` and then the source line. In a
# notebook the file is the kernel's temporary file and the source line repeats what the learner
# just wrote, so d2lmods' categories (CATEGORIES) are printed as `<Category>: <message>` only.
# Every other warning keeps Python's format; filters, catch_warnings(record=True) and pytest see
# the same warning objects as before: only the text written to stderr changes.

def short_format(message, category, filename, lineno, line=None) -> str:
    return f"{category.__name__}: {message}\n"


def _formatter(previous):
    def formatwarning(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, CATEGORIES):
            return short_format(message, category, filename, lineno, line)
        return previous(message, category, filename, lineno, line)

    formatwarning._d2l_previous = previous
    return formatwarning


def install_short_warnings() -> None:
    """Print d2lmods' warnings short from now on (done when d2lmods is imported; idempotent)."""
    if not hasattr(warnings.formatwarning, "_d2l_previous"):
        warnings.formatwarning = _formatter(warnings.formatwarning)


def uninstall_short_warnings() -> None:
    """Python's format for every warning again (if nothing replaced the formatter since)."""
    previous = getattr(warnings.formatwarning, "_d2l_previous", None)
    if previous is not None:
        warnings.formatwarning = previous


install_short_warnings()
