"""Helpers shared by the op families: building outputs, un-broadcasting, dtype promotion."""

import numbers

import numpy as np

from .._tensor import dtypes as _dt
from .._tensor.core import Tensor, as_array, norm_dim, wrap
from .._tensor.dtypes import Size
from ..autograd.grad_mode import STATE
from ..autograd.node import Node
from ..kernels import contig, sum_rows

__all__ = [
    "Tensor",
    "Size",
    "Node",
    "STATE",
    "out",
    "out_view",
    "edge",
    "plain",
    "wrap",
    "sum_to",
    "ver",
    "to_tensor",
    "operands",
    "OpError",
    "OpNotImplementedError",
    "broadcast_error",
    "norm_dim",
    "norm_dims",
]


class OpError(RuntimeError):
    """An op refused its inputs (wrong shapes or dtypes).

    ``op`` names the op (``"linear"``), ``shapes`` the input shapes involved. The ``nn`` layer
    catches it to add which module raised it, then re-raises with ``add_context``.
    """

    def __init__(self, message, op=None, shapes=()):
        super().__init__(message)
        self.op = op
        self.shapes = tuple(shapes)

    def add_context(self, where):
        """A copy of this error whose message starts with ``where`` (e.g. ``"in net.0 (Linear)"``)."""
        err = type(self)(f"{where}: {self.args[0]}", self.op, self.shapes)
        return err


def broadcast_error(sa, sb, op):
    """PyTorch's error for operands of shapes ``sa`` and ``sb`` that do not broadcast."""
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            return OpError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {n - i}\n"
                f"{op} of tensors of shapes {Size(sa)} and {Size(sb)}: shapes broadcast when, "
                "aligned from the last dimension, each pair of sizes is equal or one of them is 1.",
                op=op,
                shapes=(sa, sb),
            )
    return OpError(f"{op}: shapes {Size(sa)} and {Size(sb)} do not broadcast", op, (sa, sb))


class OpNotImplementedError(OpError, NotImplementedError):
    """An op that has no kernel for the input's dtype (torch raises NotImplementedError)."""


_new = object.__new__
_ndarray = np.ndarray
_asarray = np.asarray


def quiet():
    """numpy's floating-point warnings off for one computation: torch returns inf and nan without
    a word (log(0), 1 / 0, sqrt(-1), exp overflow), and so do the ops here, even where a test
    runner turns warnings into errors."""
    return np.errstate(all="ignore")


# A new leaf tensor around an array: the result of an op that records nothing.
plain = wrap


def edge(t):
    """What a node remembers of an input: the tensor and, frozen now, its place in the graph.

    Freezing ``grad_fn`` matters for in-place ops: ``x *= 3`` gives ``x`` a new ``grad_fn``,
    but nodes recorded earlier must still lead to the history ``x`` had when they used it.
    """
    return None if t is None else (t, t._fn, t._out_nr)


def out(arr, node, inputs, saved=(), versions=(), meta=None):
    """A tensor produced by ``node`` from ``inputs`` (tensors, or ``None`` for inputs that need
    no gradient)."""
    # ``edge`` written out for the one- and two-input ops: this runs once per recorded op
    if len(inputs) == 1:
        t = inputs[0]
        node.inputs = (None if t is None else (t, t._fn, t._out_nr),)
    elif len(inputs) == 2:
        a, b = inputs
        node.inputs = (
            None if a is None else (a, a._fn, a._out_nr),
            None if b is None else (b, b._fn, b._out_nr),
        )
    else:
        node.inputs = tuple(map(edge, inputs))
    node.saved = saved
    node._versions = versions
    node.meta = meta
    # ``wrap(arr, node, True)`` written out: one call fewer for every recorded op (the body must
    # stay what wrap does; tests/_tensor/test_wrap.py compares the two)
    t = _new(Tensor)
    t._data = arr if arr.__class__ is _ndarray or isinstance(arr, _ndarray) else _asarray(arr)
    t._rg = True
    t._grad = None
    t._fn = node
    t._vcell = [0]
    t._out_nr = 0
    t._view_of = None
    return t


def out_view(arr, src, node_cls, meta):
    """An output that is a numpy view of ``src``: shares its version counter (and records
    ``node_cls`` when gradients are recorded)."""
    if src._rg and STATE.enabled:
        node = node_cls()
        node.inputs = ((src, src._fn, src._out_nr),)
        node.saved = ()
        node._versions = ()
        node.meta = meta
        return wrap(arr, node, True, src._vcell)
    t = wrap(arr, version=src._vcell)
    # remembered so that writing through the view is refused once ``src`` requires grad
    t._view_of = src if src._view_of is None else src._view_of
    return t


def ver(t):
    """Version record of ``t``'s array for a node that saves it."""
    return (t._vcell, t._vcell[0], t._data)


def sum_to(g, shape):
    """Sum a broadcast gradient back to an operand's ``shape``."""
    if g.shape == shape:
        return g
    nd = g.ndim - len(shape)
    # a bias's gradient, (N, M) -> (M,): kernels.sum_rows
    if nd == 1 and g.ndim == 2 and g.shape[1] == shape[0] and g.dtype.itemsize >= 4:
        return sum_rows(contig(g))
    axes = tuple(range(nd)) + tuple(
        i + nd for i, s in enumerate(shape) if s == 1 and g.shape[i + nd] != 1
    )
    r = g.sum(axis=axes, keepdims=True) if axes else g
    if nd:
        r = r.reshape(r.shape[nd:])
    return r.reshape(shape)


def to_tensor(x, like=None):
    """Turn a Python number/list/array into a tensor (numbers follow ``like``'s dtype rules)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number) and like is not None:
        return plain(np.asarray(x, dtype=scalar_dtype(like._data.dtype, x)))
    return plain(as_array(x))


_CAT = {"b": 0, "i": 1, "u": 1, "f": 2}


def scalar_dtype(arr_dtype, s):
    """numpy dtype of ``tensor op python_scalar`` under PyTorch's rules."""
    if isinstance(s, bool):
        cat = 0
    elif isinstance(s, numbers.Integral):
        cat = 1
    else:
        cat = 2
    if _CAT[arr_dtype.kind] >= cat:
        return arr_dtype
    return _dt.get_default_dtype().np if cat == 2 else np.dtype(np.int64)


_promo_cache = {}


def promote(da, a0, db, b0):
    """numpy dtype of ``a op b`` for tensors (``a0``/``b0``: is it 0-dimensional)."""
    key = (da, a0, db, b0)
    r = _promo_cache.get(key)
    if r is None:
        A, B = _dt.NP_TO_DTYPE[da], _dt.NP_TO_DTYPE[db]
        ca, cb = _CAT[da.kind], _CAT[db.kind]
        if a0 != b0 and ca != cb:
            # A 0-dim tensor only decides the dtype when its category (bool<int<float) is higher.
            dim_t, dim_c, zero_t, zero_c = (B, cb, A, ca) if a0 else (A, ca, B, cb)
            r = zero_t.np if zero_c > dim_c else dim_t.np
        elif a0 != b0:
            r = (B if a0 else A).np
        else:
            r = _dt.result_type(A, B).np
        _promo_cache[key] = r
    return r


def operands(a, b):
    """``(a, b)`` as tensors of one dtype; a Python scalar ``b`` stays a scalar of a suitable type."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da != db:
            r = promote(da, a._data.ndim == 0, db, b._data.ndim == 0)
            if da != r:
                a = a.to(_dt.NP_TO_DTYPE[r])
            if db != r:
                b = b.to(_dt.NP_TO_DTYPE[r])
        return a, b
    if isinstance(b, numbers.Number):
        r = scalar_dtype(a._data.dtype, b)
        if r != a._data.dtype:
            a = a.to(_dt.NP_TO_DTYPE[r])
        return a, b
    if isinstance(b, np.ndarray) or isinstance(b, (list, tuple)):
        return operands(a, plain(as_array(b)))
    raise TypeError(f"unsupported operand type: Tensor and {type(b).__name__}")


def norm_dims(dim, ndim):
    """``None`` -> all axes; int or sequence -> sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        axes = tuple(sorted(norm_dim(d, ndim) for d in dim))
    else:
        axes = (norm_dim(dim, ndim),)
    # a 0-d tensor accepts dim 0 / -1 (as PyTorch does) and has no axis to reduce
    return axes if ndim else ()
