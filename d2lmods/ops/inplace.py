"""In-place ops: ``add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_ uniform_ normal_ ...``,
``x += y`` and ``x[idx] = v``.

Rules (PyTorch's):

* An in-place op on a leaf that requires grad is an error while gradients are recorded; wrap
  parameter updates in ``with torch.no_grad():``.
* On a non-leaf (``X /= 2`` inside ``forward``), the op is recorded: the tensor keeps its identity,
  its values change, and its ``grad_fn`` becomes the op's node, whose input is a snapshot of the
  tensor's previous state. Gradients stay right.
* Every in-place write bumps the tensor's version counter (shared with views, ``.data`` and
  ``detach()``), so backward notices when a value it saved has been overwritten.
"""

import numpy as np

from .._tensor import dtypes as _dt, observers
from ._util import STATE, Size, Tensor, plain, wrap

__all__ = [
    "inplace_binary",
    "inplace_unary",
    "setitem",
    "zero_",
    "fill_",
    "copy_",
    "uniform_",
    "normal_",
    "bernoulli_",
    "random_",
    "exponential_",
    "geometric_",
    "cauchy_",
    "log_normal_",
    "check_leaf",
]


_VIEW_OF_LEAF = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)


def _raise_view_of_leaf(t):
    raise RuntimeError(
        f"{_VIEW_OF_LEAF} (a view of shape {Size(t._data.shape)}). Update parameters only inside "
        "`with torch.no_grad():`, or write to the leaf itself there (with torch.no_grad(): "
        "w[0] = 1.0)."
    )


def check_leaf(t, what="an in-place operation"):
    if observers.data_aliases:
        observers.alias_written(t)  # a write through .data of a non-leaf (d2lmods.nn explains)
    if not STATE.enabled:
        return
    base = t._view_of
    if base is not None and base._rg and base._fn is None:
        _raise_view_of_leaf(t)
    if t._rg and t._fn is None:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in {what} (tensor of shape "
            f"{list(t._data.shape)}). Parameters are updated in place only outside gradient "
            "recording: wrap the update in `with torch.no_grad():` (e.g. `with torch.no_grad(): "
            "w -= lr * w.grad`), or use an out-of-place op (w2 = w * 2)."
        )


def _snapshot(t, copy=True):
    """A separate tensor object holding ``t``'s current values and graph position.

    ``copy=False`` shares the array: only for ops whose backward never reads the old values
    (``x /= 2``, ``x += y``), so overwriting them in place is harmless.
    """
    return wrap(t._data.copy() if copy else t._data, t._fn, t._rg, out_nr=t._out_nr)


def _write(t, res_arr, opname):
    d = t._data
    if not isinstance(d, np.ndarray):  # a 0-d result held as a numpy scalar (`loss += reg`)
        d = t._data = np.array(d)
    if res_arr.shape != d.shape:
        try:
            res_arr = np.broadcast_to(res_arr, d.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(d.shape)} doesn't match the broadcast "
                f"shape {list(res_arr.shape)} (in-place {opname})"
            ) from None
    if res_arr.dtype != d.dtype and not np.can_cast(res_arr.dtype, d.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {_dt.NP_TO_DTYPE[res_arr.dtype].torch_name} can't be cast "
            f"to the desired output type {t.dtype.torch_name} (in-place {opname}); "
            f"convert first, e.g. x = x.float()"
        )
    np.copyto(d, res_arr, casting="unsafe")
    t._vcell[0] += 1


def _recording(t, other):
    return STATE.enabled and (t._rg or (isinstance(other, Tensor) and other._rg))


def _view_base(t):
    """The tensor ``t`` is a view of (sharing storage and version counter), if it was recorded."""
    fn = t._fn
    if fn is None or not fn.inputs or fn.inputs[0] is None:
        return None
    base = fn.inputs[0][0]
    if base._vcell is not t._vcell:
        return None
    return base


def _recorded_update(t, compute, opname, copy=True):
    """``t <- compute(old t)`` with the graph recorded: ``t`` keeps its identity and storage and
    its ``grad_fn`` becomes the op's node, whose input is a snapshot of the old ``t``.

    If ``t`` is an indexing view of a tensor that needs gradients (``x[0] *= 2``), the update is
    recorded on that base tensor instead (as ``x[0] = x[0] * 2``), so the base's gradient
    accounts for it too.
    """
    base = _view_base(t)
    if base is not None:
        from .indexing import SelectBackward0

        if base._fn is None:
            _raise_view_of_leaf(t)
        fn = t._fn
        if not isinstance(fn, SelectBackward0):
            raise RuntimeError(
                f"in-place {opname} on a view ({fn.name()}, shape {Size(t._data.shape)}) of a "
                f"tensor that requires grad is not supported by d2lmods: the base tensor's "
                f"gradient could not account for it. Use an out-of-place op (y = y * 2), or "
                f"index the base tensor directly (x[idx] = ...)."
            )
        new_value = compute(_snapshot(t))
        setitem(base, fn.meta[1], new_value)
        node = type(fn)()
        node.inputs = ((base, base._fn, base._out_nr),)
        node.saved, node._versions, node.meta = (), (), fn.meta
        t._fn = node
        t._rg = True
        t._out_nr = 0
        return t
    res = compute(_snapshot(t, copy))
    _write(t, res._data, opname)
    t._fn = res._fn
    t._rg = True
    t._out_nr = 0
    return t


# in-place ops whose gradient never needs the old value of the tensor written to
_NO_OLD_VALUES = {"add_", "sub_"}


def inplace_binary(t, other, op, opname):
    """``t = op(t, other)`` written into ``t``'s storage; ``op`` is the out-of-place op."""
    check_leaf(t)
    if _recording(t, other):
        copy = not (
            opname in _NO_OLD_VALUES
            or (opname in ("mul_", "div_") and not isinstance(other, Tensor))
        )
        return _recorded_update(t, lambda old: op(old, other), opname, copy)
    d = t._data
    od = other._data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor) or isinstance(other, (int, float, bool)):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            res = op(plain(d), other if not isinstance(other, Tensor) else plain(od))
        finally:
            STATE.enabled = prev
        _write(t, res._data, opname)
        return t
    return inplace_binary(t, plain(np.asarray(other)), op, opname)


def inplace_unary(t, op, opname, *args, **kwargs):
    check_leaf(t)
    if STATE.enabled and t._rg:
        return _recorded_update(t, lambda old: op(old, *args, **kwargs), opname)
    prev = STATE.enabled
    STATE.enabled = False
    try:
        res = op(plain(t._data), *args, **kwargs)
    finally:
        STATE.enabled = prev
    _write(t, res._data, opname)
    return t


def setitem(t, key, value):
    """``t[key] = value``."""
    from .indexing import convert_key, index_put

    check_leaf(t, "an in-place operation (indexed assignment)")
    if _recording(t, value):
        _recorded_update(t, lambda old: index_put(old, key, value), "index assignment")
        return
    k, _ = convert_key(key)
    vd = value._data if isinstance(value, Tensor) else value
    try:
        t._data[k] = vd
    except (ValueError, IndexError) as e:
        raise RuntimeError(
            f"cannot assign a value of shape {Size(np.shape(vd))} to the indexed "
            f"region of a tensor of shape {Size(t._data.shape)}: {e}"
        ) from None
    t._vcell[0] += 1


def _plain_write(t, arr):
    check_leaf(t)
    np.copyto(t._data, arr, casting="unsafe")
    t._vcell[0] += 1
    return t


def zero_(t):
    check_leaf(t)
    t._data[...] = 0
    t._vcell[0] += 1
    return t


def fill_(t, value):
    check_leaf(t)
    t._data[...] = value._data if isinstance(value, Tensor) else value
    t._vcell[0] += 1
    return t


def copy_(t, src, non_blocking=False):
    """Copy ``src``'s values into ``t`` (broadcasting, converting dtype)."""
    if isinstance(src, Tensor) and src._rg and STATE.enabled:
        from .._tensor.dtypes import NP_TO_DTYPE
        from .shape import expand

        conv = src.to(NP_TO_DTYPE[t._data.dtype]) if src._data.dtype != t._data.dtype else src
        return inplace_binary(t, conv, lambda a, b: expand(b, a._data.shape) + a * 0, "copy_")
    sd = src._data if isinstance(src, Tensor) else np.asarray(src)
    try:
        b = np.broadcast_to(sd, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(t._data.shape)}) must match the size of "
            f"tensor b ({list(np.shape(sd))}) in copy_"
        ) from None
    return _plain_write(t, b)


def _rng(generator):
    from ..random import rng

    return rng(generator)


def uniform_(t, a=0.0, b=1.0, generator=None):
    """Fill with samples from U[a, b)."""
    return _plain_write(t, _rng(generator).uniform(a, b, size=t._data.shape))


def normal_(t, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2)."""
    return _plain_write(t, _rng(generator).normal(mean, std, size=t._data.shape))


def bernoulli_(t, p=0.5, generator=None):
    """Fill with 1 (probability ``p``, a number or a tensor broadcasting to ``t``) or 0."""
    pd = p._data if isinstance(p, Tensor) else p
    return _plain_write(t, _rng(generator).random(t._data.shape) < pd)


def random_(t, from_=0, to=None, generator=None):
    """Fill with integers from ``[from_, to)``; ``random_(to)`` starts at 0, and ``random_()``
    spans the integers the dtype holds exactly (up to 2**mantissa bits for floats)."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        d = t._data.dtype
        if d.kind == "f":
            to = 2 ** (np.finfo(d).nmant + 1) + 1
        elif d.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(d).max) + 1
    return _plain_write(t, _rng(generator).integers(from_, to, size=t._data.shape))


def exponential_(t, lambd=1.0, generator=None):
    """Fill with samples of density ``lambd * exp(-lambd x)``."""
    return _plain_write(t, _rng(generator).exponential(1.0 / lambd, size=t._data.shape))


def geometric_(t, p, generator=None):
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
    return _plain_write(t, _rng(generator).geometric(p, size=t._data.shape))


def cauchy_(t, median=0.0, sigma=1.0, generator=None):
    """Fill with samples from the Cauchy distribution."""
    return _plain_write(t, median + sigma * _rng(generator).standard_cauchy(size=t._data.shape))


def log_normal_(t, mean=1.0, std=2.0, generator=None):
    """Fill with ``exp`` of samples from N(mean, std^2)."""
    return _plain_write(t, _rng(generator).lognormal(mean, std, size=t._data.shape))
