"""Mistakes of the training and evaluation loop, which PyTorch lets pass in silence.

Each check is one call from the place where the fact is known (``Module.__call__``, a loss
function, ``Tensor.data``, the backward engine through :mod:`d2lmods._tensor.observers`) and
speaks once per model, optimizer or line of the learner's code. The line between a mistake and
correct code comes from context: a model called under ``no_grad`` is an evaluation, ``F.dropout``
matters only once the module is in eval mode, a loss summed after ``backward()`` went through
it keeps a used graph alive while ``loss = a + b`` before one backward does not.

Structural findings (one BatchNorm at two places of a model) are also returned as data by
:func:`shared_norms`, for ``d2lmods.nn.utils`` and the viewer.
"""

from __future__ import annotations

import inspect
import sys
import threading
import warnings

from .. import _messages as msg
from .._messages import core as core_texts, layers as layer_texts, modules as texts
from .._tensor import observers
from ..autograd.grad_mode import STATE
from . import _unregistered as unregistered
from ._callstack import call_numbers, call_state, current_module_path

__all__ = ["root_call", "shared_norms"]


class _LoopState(threading.local):
    def __init__(self):
        self.no_grad_model = (
            None  # the last outermost model with parameters called, if under no_grad
        )
        self.norm_calls: dict = {}  # id(norm layer) -> (parent's call number, path), last call


state = _LoopState()
_spoken: dict = {}  # (check, id(code), lineno) -> code, already warned about


def _once_at_user_line(check: str) -> bool:
    """True the first time ``check`` fires at this line of this code of the learner's.

    Keyed by the code object, not the file name: a notebook cell run again (a new code object)
    is told again, while a loop over batches is told once.
    """
    frame = msg.user_frame(2)
    code = frame.f_code if frame is not None else None
    key = (check, id(code), frame.f_lineno if frame is not None else 0)
    if key in _spoken:
        return False
    _spoken[key] = code  # kept alive, so its id is not reused
    return True


def _once_per(obj, check: str) -> bool:
    flags = unregistered.marks(obj).flags
    if check in flags:
        return False
    flags.add(check)
    return True


def _modules_under(module):
    """``module`` and every module registered under it, each once, in no particular order."""
    seen = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m is None or id(m) in seen:
            continue
        seen.add(id(m))
        yield m
        children = m.__dict__.get("_modules")
        if children:
            todo.extend(children.values())


def _has_parameters(module) -> bool:
    for m in _modules_under(module):
        params = m.__dict__.get("_parameters")
        if params:
            for p in params.values():
                if p is not None:
                    return True
    return False


_mode_layers: list = []  # (Dropout, _BatchNorm), imported at the first use


def _stochastic_layers(module) -> list:
    """Paths of the layers in training mode whose output depends on the mode (Dropout, BatchNorm)."""
    if not _mode_layers:
        from .modules.dropout import Dropout
        from .modules.normalization import _BatchNorm

        _mode_layers.extend((Dropout, _BatchNorm))
    Dropout, _BatchNorm = _mode_layers
    kinds = (Dropout, _BatchNorm)

    def depends(m):
        return (
            isinstance(m, kinds)
            and m.training
            and (isinstance(m, _BatchNorm) or (isinstance(m, Dropout) and m.p > 0))
        )

    # Evaluation loops under no_grad call this at every batch: names only when there is one.
    for m in _modules_under(module):
        if isinstance(m, kinds) and depends(m):
            break
    else:
        return []
    return [
        f"{type(m).__name__} at {name}" if name else type(m).__name__
        for name, m in module.named_modules()
        if depends(m)
    ]


# ---- Module.__call__ ---------------------------------------------------------------------------


def root_call(module) -> None:
    """An outermost ``module(...)`` call starts (nothing else of d2lmods is running)."""
    if STATE.enabled:
        d = module.__dict__
        if d.get("_modules") or d.get("_parameters"):  # a model, not a loss or an activation
            state.no_grad_model = None
        return
    if unregistered.warn_unregistered_enabled() and _has_parameters(module):
        state.no_grad_model = type(module).__name__
        if module.training and "eval" not in unregistered.marks(module).flags:
            layers = _stochastic_layers(module)
            if layers and _once_per(module, "eval"):
                msg.warn(
                    texts.eval_in_train_mode(type(module).__name__, layers), msg.TrainingWarning
                )


def created(module) -> None:
    """A module is being constructed while a forward runs (called by ``Module.__init__``)."""
    owner = call_state.stack[-1]
    unregistered.marks(module).born = (type(owner).__name__, current_module_path())


def first_call(module, stack) -> None:
    """A module created inside a forward is called: say so if its weights are not registered."""
    born = unregistered.marks(module).born
    if born is None or not stack:
        return
    unregistered.marks(module).born = None
    own = [
        p
        for m in unregistered.iter_modules(module)
        for p in m.__dict__.get("_parameters", {}).values()
        if p is not None
    ]
    if not own:
        return  # nn.ReLU()(X), a Sequential slice of registered layers: nothing to train
    registered = unregistered.registered_ids(stack[0])
    if all(id(p) in registered for p in own):
        return
    owner, where = born
    if _once_at_user_line("created"):
        msg.warn(
            texts.layer_created_in_forward(type(module).__name__, where, owner, _ctor(module)),
            msg.TrainingWarning,
        )


# ---- attributes and classes ---------------------------------------------------------------------


def requires_grad_attribute(module, value) -> None:
    msg.warn(texts.requires_grad_attribute(type(module).__name__, value), msg.ModuleUsageWarning)


def _fits(fn, *args) -> bool:
    try:
        inspect.signature(fn).bind(None, *args)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def mode_overrides(cls) -> list:
    """``(name, function, text)`` for each ``train``/``eval`` that ``cls`` defines and that
    nn.Module's callers (``model.eval()``, a parent switching its children) cannot call."""
    found = []
    if cls.__module__.startswith("d2lmods."):
        return found
    for name, args in (("train", ((), (False,))), ("eval", ((),))):
        fn = cls.__dict__.get(name)
        if fn is None or not inspect.isfunction(fn) or all(_fits(fn, *a) for a in args):
            continue
        try:
            full = str(inspect.signature(fn))
        except (TypeError, ValueError):
            full = "(self, *args)"
        sig = full.replace("(self, ", "(").replace("(self)", "()")
        found.append((name, fn, texts.shadowed_mode_method(cls.__name__, name, sig, full)))
    return found


def check_mode_methods(cls) -> None:
    """A subclass defines ``train``/``eval`` that nn.Module's callers cannot call as they do."""
    for _name, fn, text in mode_overrides(cls):
        code = fn.__code__
        g = sys.modules.get(cls.__module__)
        g = vars(g) if g is not None else {}
        warnings.warn_explicit(
            text,
            msg.ModuleUsageWarning,
            code.co_filename,
            code.co_firstlineno,
            module=g.get("__name__", cls.__module__),
            registry=g.setdefault("__warningregistry__", {}) if g else None,
        )


# ---- nn.functional and losses --------------------------------------------------------------------


def functional_dropout(p: float) -> None:
    """``F.dropout(X, p)`` with the default ``training=True`` inside a forward."""
    stack = call_state.stack
    if not stack or p == 0:
        return
    owner = stack[-1]
    if owner.training or not _once_per(owner, "dropout"):
        return
    msg.warn(texts.dropout_without_training(type(owner).__name__), msg.TrainingWarning)


_SQUASHED = {"SoftmaxBackward0": "softmax", "LogSoftmaxBackward0": "log_softmax"}


def loss_input(fn: str, input, target, where: str) -> None:
    """Check what a classification loss was given before it computes anything."""
    t_kind, i_kind = target._data.dtype.kind, input._data.dtype.kind
    if i_kind in "iub" and t_kind == "f" and target.dim() == input.dim() + 1:
        raise ValueError(
            layer_texts.loss_arguments_swapped(fn, tuple(input.shape), tuple(target.shape), where)
        )
    if target._rg and not input._rg and STATE.enabled:
        if _once_at_user_line("swapped"):
            msg.warn(
                layer_texts.loss_arguments_swapped(
                    fn, tuple(input.shape), tuple(target.shape), where
                ),
                msg.TrainingWarning,
            )
        return
    node = input._fn
    op = _SQUASHED.get(type(node).__name__) if node is not None else None
    if op is not None and fn != "nll_loss" and _once_at_user_line(op):
        msg.warn(
            layer_texts.softmax_before_cross_entropy(fn, op, tuple(input.shape), where),
            msg.TrainingWarning,
        )


# ---- normalization layers --------------------------------------------------------------------


def norm_called(layer) -> None:
    """A BatchNorm runs in training mode: twice within one call of the module that holds it means
    it sits at two places of that forward (a sub-network applied twice, as in a Siamese network,
    calls its parent twice and stays silent)."""
    if len(call_state.stack) < 2:
        return  # called on its own: each call is a forward pass of its own
    calls = call_numbers()
    path = current_module_path()
    last = state.norm_calls.get(id(layer))
    state.norm_calls[id(layer)] = (calls[-2], path)
    if last is None or last[0] != calls[-2]:
        return
    if _once_per(layer, "shared"):
        root = call_state.stack[0]
        paths = [
            f"{type(root).__name__}.{p}" for m, ps in shared_norms(root) if m is layer for p in ps
        ] or [path + " (twice)"]
        msg.warn(
            texts.shared_batchnorm(type(layer).__name__, paths, _ctor(layer)), msg.TrainingWarning
        )


def _ctor(layer) -> str:
    from .containers import _constructor

    code = _constructor(layer)
    if "copy.deepcopy" not in code:
        return code
    name = type(layer).__name__
    return f"nn.{name}(...)" if type(layer).__module__.startswith("d2lmods.") else f"{name}(...)"


def shared_norms(model) -> list[tuple[object, list[str]]]:
    """``(layer, [paths])`` for each normalization layer registered at several places of ``model``."""
    from .modules.normalization import _BatchNorm

    paths: dict[int, list] = {}
    layers = {}
    for name, m in model.named_modules(remove_duplicate=False):
        if isinstance(m, _BatchNorm):
            paths.setdefault(id(m), []).append(name)
            layers[id(m)] = m
    return [(layers[k], v) for k, v in paths.items() if len(v) > 1]


# ---- the core's observations -----------------------------------------------------------------


def _scalar_sum() -> None:
    if _once_at_user_line("total_loss"):
        msg.warn(layer_texts.total_loss_graph(), msg.TrainingWarning)


def _data_of_nonleaf(source, alias):
    if not call_state.stack or not STATE.enabled:
        return None
    return (current_module_path(), tuple(source.shape))


def _alias_write(payload) -> None:
    where, shape = payload
    if _once_at_user_line("data"):
        msg.warn(texts.data_write_in_forward(where, shape), msg.TrainingWarning)


def _root_without_grad(index: int):
    if state.no_grad_model is None:
        return None
    text = core_texts.backward_of_no_grad_output(index, state.no_grad_model)
    return text + (core_texts.BACKWARD_INSIDE_NO_GRAD if not STATE.enabled else "")


observers.on_scalar_sum = _scalar_sum
observers.on_data_of_nonleaf = _data_of_nonleaf
observers.on_alias_write = _alias_write
observers.on_root_without_grad = _root_without_grad


# ---- parameters replaced behind an optimizer's back -----------------------------------------------


def replaced(module, name: str, old, kind: str) -> None:
    """``module.name`` (a parameter or a child module) was replaced: optimizers holding the old
    weights are told, and say so at their next ``step()``."""
    from ..optim import optimizer as _optimizer

    if not _optimizer.LIVE:
        return
    if kind == "parameter":
        old_ids = {id(old)}
    else:
        old_ids = {
            id(p)
            for m in unregistered.iter_modules(old)
            for p in m.__dict__.get("_parameters", {}).values()
            if p is not None
        }
    if not old_ids:
        return
    where = f"{kind} '{name}' of {type(module).__name__}"
    for opt in list(_optimizer.LIVE):
        held = {id(p) for g in opt.param_groups for p in g["params"]}
        if old_ids & held:
            opt._replaced.append((where, kind))
