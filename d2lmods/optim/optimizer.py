"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

Subclasses (``SGD``, ``Adam``, ``AdamW``) only implement ``_update_group``.
The base class also catches two classic training-loop mistakes:

* handing it ``net.parameters`` (the method), an exhausted generator or an
  empty list -- a ``TypeError``/``ValueError`` that says how to fix the call;
* calling ``step()`` again while a parameter's ``.grad`` still holds the
  gradients of the previous step (``zero_grad()`` forgotten) -- a
  :class:`StaleGradientWarning`, once per optimizer, naming the parameter;
* a ``step()`` that finds no gradient at all (no ``backward()`` since ``zero_grad()``, or
  ``zero_grad()`` between ``backward()`` and ``step()``), and a ``step()`` after a parameter
  it holds was replaced in the model -- a ``TrainingWarning``, once per optimizer.
"""
from __future__ import annotations

import inspect
import warnings
import weakref
from copy import deepcopy

import numpy as np

from d2lmods._messages import StaleGradientWarning, TrainingWarning, typename
from d2lmods._messages import training as texts
from d2lmods._messages import warn as _warn

__all__ = ["Optimizer", "StaleGradientWarning", "required"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


#: Every optimizer alive, so that a model can tell the ones holding a parameter it replaces.
LIVE: weakref.WeakSet = weakref.WeakSet()


def _array(t) -> np.ndarray:
    """The numpy array holding a tensor's values (updated in place by optimizers)."""
    return t._data


def _is_tensor(x) -> bool:
    from d2lmods._tensor.core import Tensor

    return isinstance(x, Tensor)


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, or of dicts with a ``"params"`` entry
    plus per-group options (``[{"params": net[0].parameters(), "lr": 0.01}, ...]``).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list[dict] = []
        self._stale_warned = False
        self._stepped_grads: dict[int, object] = {}  # id(param) -> the grad used at the last step
        self._zeroed: dict[int, int] | None = None   # id(param) -> grad version after zero_grad()
        self._wiped = False           # the last zero_grad() reset gradients that existed
        self._replaced: list = []     # (where, kind) replaced in the model since (nn._loop)
        self._loop_warned: set = set()

        cls = type(self).__name__
        if callable(params) and not _is_tensor(params) and not hasattr(params, "__iter__"):
            owner = getattr(params, "__self__", None)
            name = getattr(params, "__name__", "parameters")
            raise TypeError(texts.method_passed(cls, name, type(owner).__name__ if owner is not None
                                                else None))
        if _is_tensor(params):
            raise TypeError(texts.single_tensor(typename(params), cls))
        if isinstance(params, (set, frozenset)):
            raise TypeError(texts.SET_OF_PARAMETERS)
        exhausted = inspect.isgenerator(params) and inspect.getgeneratorstate(params) == "GEN_CLOSED"
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}. Pass net.parameters()") from None
        if len(param_groups) == 0:
            if exhausted or inspect.isgenerator(params):
                raise ValueError(
                    texts.parameters_generator_used(cls, _arguments(defaults)))
            raise ValueError(texts.NO_PARAMETERS)
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        LIVE.add(self)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. a smaller ``lr``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if _is_tensor(params):
            param_group["params"] = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use "
                            "a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not _is_tensor(p):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{typename(p)}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor: it is the result of an "
                                 "operation. Optimize the leaf it came from, or create it with "
                                 "requires_grad=True (or as nn.Parameter)")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        seen = set()
        for p in param_group["params"]:
            if id(p) in seen:
                warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                              "each parameter will be updated once", UserWarning, stacklevel=3)
            seen.add(id(p))
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & seen:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters (to ``None`` by default)."""
        from d2lmods.autograd.grad_mode import no_grad

        self._stepped_grads.clear()
        self._wiped = False
        self._zeroed = {}
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._wiped = True
                    if set_to_none:
                        p.grad = None
                    else:
                        _array(p.grad)[...] = 0
                        p.grad._vcell[0] += 1
                        self._zeroed[id(p)] = p.grad._version

    def _check_stale(self, p, index: int) -> None:
        """Warn when ``p.grad`` still carries what was already applied at the last step.

        The backward engine adds into the existing ``.grad`` array and bumps its version
        counter once per accumulation; ``zero_grad()`` either drops the gradient (a new tensor
        appears at the next backward) or zeroes it in place (one more version bump). So: the
        same gradient tensor as at the last step, exactly one write since, and non-zero values
        means one backward added to the old gradient without any reset in between.
        """
        last = self._stepped_grads.get(id(p))
        if last is None or self._stale_warned:
            return
        grad_obj, version = last
        g = p.grad
        if g is not grad_obj or g._vcell[0] - version != 1:
            return
        if not _array(g).any():
            return
        self._stale_warned = True
        warnings.warn(
            texts.stale_gradient(type(self).__name__, _param_name(p, index)),
            StaleGradientWarning, stacklevel=3)  # _check_stale -> step -> the loop's line

    def _check_loop(self) -> None:
        """A step that cannot do what the loop means: no gradient at all, or replaced weights."""
        if self._replaced:
            where, kind = self._replaced[0]
            self._replaced.clear()
            if "replaced" not in self._loop_warned:
                self._loop_warned.add("replaced")
                _warn(texts.parameter_replaced(type(self).__name__, where, kind,
                                              _arguments(self.defaults)), TrainingWarning)
        zeroed = self._zeroed or {}
        params = [p for g in self.param_groups for p in g["params"]]
        fresh = [p for p in params if p.grad is not None
                 and zeroed.get(id(p)) != p.grad._version]
        if params and not fresh and "no_grad" not in self._loop_warned:
            self._loop_warned.add("no_grad")
            _warn(texts.step_without_gradients(type(self).__name__, self._wiped), TrainingWarning)

    def _record_grads(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._stepped_grads[id(p)] = (p.grad, p.grad._vcell[0])

    # ------------------------------------------------------------------ step
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        from d2lmods.autograd.grad_mode import enable_grad, no_grad

        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_loop()
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._check_stale(p, index)
                index += 1
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
                for p in group["params"]:
                    if p.grad is not None:
                        p._vcell[0] += 1  # the values changed: graphs that saved p must notice
        self._record_grads()
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``
        -- parameters are replaced by their position, as in PyTorch."""
        index_of: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index_of[id(p)]] = self.state[p]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and buffers saved by :meth:`state_dict`."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            got = type(state_dict).__name__
            hint = ""
            if isinstance(state_dict, dict) and any(isinstance(k, str) and "." in k
                                                    for k in state_dict):
                hint = (" It looks like a model's state_dict; load that with "
                        "net.load_state_dict(...)")
            raise ValueError(f"{type(self).__name__}.load_state_dict expects the dict returned by "
                             f"optimizer.state_dict() (with 'state' and 'param_groups'), got "
                             f"{got}.{hint}")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)} saved, {len(groups)} in this optimizer)")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 f"the size of optimizer's group ({len(sg['params'])} saved, "
                                 f"{len(g['params'])} here)")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            for old, p in zip(sg["params"], g["params"]):
                id_map[old] = p
        import d2lmods

        new_state = {}
        for k, v in state_dict["state"].items():
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {k!r}, which is not "
                                 f"in any parameter group")
            p = id_map[k]
            entry = {}
            for name, value in v.items():
                if _is_tensor(value):
                    arr = np.array(_array(value), copy=True)
                    if name != "step" and arr.dtype.kind == "f":
                        arr = arr.astype(_array(p).dtype, copy=False)
                    if name != "step" and arr.shape != _array(p).shape:
                        raise ValueError(f"loaded state for parameter {k} has {name} of shape "
                                         f"{tuple(arr.shape)}, but the parameter has shape "
                                         f"{tuple(_array(p).shape)}")
                    value = d2lmods.tensor(arr)
                else:
                    value = deepcopy(value)
                entry[name] = value
            new_state[p] = entry
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = {k: deepcopy(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups
        self._stepped_grads.clear()

    # ------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += "\n"
            out += f"Parameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        out += ")"
        return out

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.update(_stale_warned=False, _stepped_grads={}, _zeroed=None, _wiped=False,
                             _replaced=[], _loop_warned=set())
        LIVE.add(self)


def _arguments(defaults: dict) -> str:
    """``", lr=0.1"``: the required options, so a suggested constructor call runs as it is."""
    lr = defaults.get("lr")
    return f", lr={lr}" if isinstance(lr, (int, float)) else ""


def _param_name(p, index: int) -> str:
    """``"parameter 'weight' of Linear(...) (shape (1, 2))"``, found through the owning module."""
    import gc

    shape = tuple(_array(p).shape)
    for ref in gc.get_referrers(p):
        if isinstance(ref, dict):
            names = [k for k, v in ref.items() if v is p and isinstance(k, str)]
            if not names:
                continue
            for owner in gc.get_referrers(ref):
                if isinstance(owner, dict) and owner.get("_parameters") is ref:
                    for mod in gc.get_referrers(owner):
                        if getattr(mod, "__dict__", None) is owner:
                            return (f"parameter '{names[0]}' of {type(mod).__name__} "
                                    f"(shape {shape})")
    return f"parameter {index} of the optimizer (shape {shape})"
