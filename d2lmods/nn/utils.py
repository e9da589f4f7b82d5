"""``find_unregistered``: what a model holds but ``nn.Module`` does not see.

PyTorch registers only Modules and Parameters assigned *directly* as
attributes. Ones kept in a plain ``list``/``tuple``/``dict``/``set`` (and
trainable tensors that are not ``nn.Parameter``) are silently left out of
``parameters()``, ``state_dict()``, ``.to()`` and ``train()/eval()``. This scan
lists them, with their path from the root::

    >>> from d2lmods import nn
    >>> import warnings
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.body = nn.Linear(4, 8)
    ...         self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]   # warns; silenced below
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     net = Net()
    >>> [(f.path, f.type_name, f.num_params) for f in find_unregistered(net)]
    [('heads[0]', 'Linear', 18), ('heads[1]', 'Linear', 27)]

``find_shared_norms(model)`` lists the BatchNorm layers registered at several places (their
running statistics then mix two distributions); the same check warns during training.
``find_mode_overrides(model)`` lists the ``train``/``eval`` methods a model's classes define that
``model.eval()`` cannot call (warned when the class is defined).

It walks containers with the same bounded scanner as the ``UnregisteredModuleWarning``
checks (``nn._unregistered.hidden_in``): a subclass's ``__iter__`` is never called, and at
most 10,000 elements per attribute, 32 levels deep, are read.

A ``torch.nn.Module`` is scanned the same way, with torch's classes (torch is not imported
unless the model is a torch model).

``set_warn_unregistered`` turns those checks off for the process;
``unregistered_checks_paused()`` pauses them for the current thread only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._loop import mode_overrides, shared_norms
from ._plain_containers import CONTAINERS, container_kind
from . import clip_grad, convert_parameters
from ._unregistered import (
    Kinds,
    first_calls_seen,
    hidden_in,
    is_trainable_leaf,
    iter_modules,
    kinds_of,
    paused,
    plain_attributes,
    set_warn_unregistered,
)
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .module import Module

__all__ = ["UnregisteredFinding", "find_unregistered", "set_warn_unregistered",
           "unregistered_checks_paused", "Kinds", "kinds_of", "first_calls_seen",
           "SharedNormFinding", "find_shared_norms", "ModeOverrideFinding", "find_mode_overrides",
           # torch.nn.utils
           "clip_grad", "convert_parameters", "clip_grad_norm", "clip_grad_norm_",
           "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]

#: ``with unregistered_checks_paused(): ...`` walks a model in this thread without setting off
#: the one-time unregistered-module warnings (they stay armed for later calls).
unregistered_checks_paused = paused


@dataclass(frozen=True)
class UnregisteredFinding:
    """One object a model holds without registering it."""

    path: str                 # full attribute path from the root, e.g. "heads[0]", "layers[1][0]"
    owner: str                # qualified name of the module whose attribute holds it ("" = root)
    attribute: str            # the attribute name on the owner, e.g. "heads"
    container: str            # 'list' | 'tuple' | 'dict' | 'set' | 'attribute' (plain tensor attribute)
    kind: str                 # 'module' | 'parameter' | 'tensor'
    obj: object               # the Module / Parameter / Tensor itself
    type_name: str            # e.g. "Linear"
    num_params: int           # parameter elements hidden (0 if lazy/unknown)
    registered_as: str | None  # qualified name if the object is ALSO registered elsewhere in the tree


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _numel(t, kinds) -> int:
    try:
        return 0 if kinds.is_lazy(t) else kinds.numel(t)
    except Exception:
        return 0


def _module_numel(m, kinds) -> int:
    total = 0
    seen = set()
    for mod in iter_modules(m):
        for p in mod._parameters.values():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                total += _numel(p, kinds)
    return total


def find_unregistered(module) -> list[UnregisteredFinding]:
    """Every Module/Parameter/trainable tensor under ``module`` that ``nn.Module`` does not register.

    Looks into plain containers (nested, cycle-safe), into registered children and
    into the unregistered modules themselves. Plain tensors are reported only when
    they require grad (they look like parameters but are not trained). Objects also
    registered elsewhere in the tree carry ``registered_as`` (then nothing is lost).
    ``module`` may be a d2lmods or a ``torch.nn.Module``.
    """
    kinds = kinds_of(module)
    Module, Parameter, Tensor = kinds.module, kinds.parameter, kinds.tensor
    reg_modules: dict[int, str] = {}
    for name, m in Module.named_modules(module):
        reg_modules.setdefault(id(m), name)
    reg_params: dict[int, str] = {}
    for name, p in Module._named_members(module, lambda m: m._parameters.items(), remove_duplicate=False):
        reg_params.setdefault(id(p), name)

    findings: list[UnregisteredFinding] = []
    scanned: set[int] = set()

    def add(path, owner, attribute, container, obj):
        if isinstance(obj, Module):
            kind, registered, n = "module", reg_modules.get(id(obj)), _module_numel(obj, kinds)
        elif isinstance(obj, Parameter):
            kind, registered, n = "parameter", reg_params.get(id(obj)), _numel(obj, kinds)
        else:
            kind, registered, n = "tensor", None, _numel(obj, kinds)
        findings.append(UnregisteredFinding(path, owner, attribute, container, kind, obj,
                                            type(obj).__name__, n, registered))
        if kind == "module" and registered is None:
            # Look inside the hidden module too: its own hidden lists, at paths below it.
            for sub, m in Module.named_modules(obj):
                scan_module(m, _join(path, sub) if sub else path)

    def scan_module(m, owner: str):
        if id(m) in scanned:
            return
        scanned.add(id(m))
        for attr, value in plain_attributes(m, kinds.internal):
            path = _join(owner, attr)
            if isinstance(value, CONTAINERS):
                kind = container_kind(value)
                for sub, obj, _ in hidden_in(value, path, kinds):
                    add(sub, owner, attr, kind, obj)
            elif isinstance(value, (Module, Parameter)):
                # Stored past Module.__setattr__ (e.g. object.__setattr__ or __dict__ writes).
                add(path, owner, attr, "attribute", value)
            elif isinstance(value, Tensor) and is_trainable_leaf(value, Parameter):
                add(path, owner, attr, "attribute", value)

    for name, m in Module.named_modules(module):
        scan_module(m, name)
    return findings


@dataclass(frozen=True)
class SharedNormFinding:
    """One normalization layer registered at several places of a model."""

    obj: object               # the layer itself
    type_name: str            # e.g. "BatchNorm1d"
    paths: list               # its qualified names, e.g. ["1", "4"]
    problem: str              # what goes wrong, and the fix (the warning's text)


def find_shared_norms(module: Module) -> list[SharedNormFinding]:
    """Every BatchNorm layer registered at more than one place under ``module``.

    >>> from d2lmods import nn
    >>> bn = nn.BatchNorm1d(4)
    >>> [f.paths for f in find_shared_norms(nn.Sequential(nn.Linear(4, 4), bn, nn.Linear(4, 4), bn))]
    [['1', '3']]
    """
    from .._messages import modules as texts
    from ._loop import _ctor

    return [SharedNormFinding(m, type(m).__name__, paths,
                              texts.shared_batchnorm(type(m).__name__, paths, _ctor(m)))
            for m, paths in shared_norms(module)]


@dataclass(frozen=True)
class ModeOverrideFinding:
    """A ``train``/``eval`` method defined by a model's class that replaces nn.Module's."""

    path: str                 # qualified name of a module of that class ("" = the root)
    type_name: str            # the class, e.g. "Model"
    method: str               # "train" or "eval"
    problem: str              # what goes wrong, and the fix (the warning's text)


def find_mode_overrides(module: Module) -> list[ModeOverrideFinding]:
    """Each module under ``module`` whose class defines a ``train``/``eval`` nn.Module cannot call."""
    out = []
    for name, m in Module.named_modules(module):
        for klass in type(m).__mro__:
            if klass is Module:
                break
            out.extend(ModeOverrideFinding(name, type(m).__name__, method, text)
                       for method, _fn, text in mode_overrides(klass))
    return out
