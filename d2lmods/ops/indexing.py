"""Indexing: ``x[...]`` (basic indexing gives views, advanced indexing copies), the out-of-place
``index_put`` that backs ``x[idx] = v`` while recording gradients, ``gather``, ``index_select``,
``masked_fill``.

    y = x[idx]          dx = zeros, then dy scatter-added at idx (repeated indices add up)
"""

import numbers
import re

import numpy as np

from ._util import STATE, Node, Size, Tensor, norm_dim, out, out_view, plain, sum_to

__all__ = [
    "getitem",
    "index_put",
    "gather",
    "index_select",
    "masked_fill",
    "embedding",
    "convert_key",
]


def _conv(i):
    if isinstance(i, Tensor):
        d = i._data
        if d.ndim == 0 and d.dtype.kind in "iu":
            return int(d)
        return d
    if isinstance(i, list):
        return np.asarray([_conv(v) if isinstance(v, Tensor) else v for v in i])
    return i


def convert_key(key):
    """A numpy index for ``key`` (tensors become arrays) and whether it is basic (a view)."""
    if isinstance(key, tuple):
        k = tuple(_conv(i) for i in key)
        basic = all(
            i is None
            or i is Ellipsis
            or isinstance(i, (slice, numbers.Integral))
            and not isinstance(i, bool)
            for i in k
        )
        return k, basic
    k = _conv(key)
    basic = (
        k is None
        or k is Ellipsis
        or (isinstance(k, (slice, numbers.Integral)) and not isinstance(k, bool))
    )
    return k, basic


class SelectBackward0(Node):
    """Basic indexing (ints, slices, None, ...): the gradient fills the indexed region."""

    __slots__ = ()

    def backward(self, g):
        shape, key = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        gx[key] = g
        return (gx,)


class SliceBackward0(SelectBackward0):
    __slots__ = ()


class AliasBackward0(SelectBackward0):
    __slots__ = ()


class IndexBackward0(Node):
    """Advanced indexing: indices may repeat, so gradients are scatter-added."""

    __slots__ = ()

    def backward(self, g):
        (key,) = self.saved
        shape = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        if isinstance(key, np.ndarray) and key.dtype == np.bool_:
            gx[key] = g
        else:
            np.add.at(gx, key, g)
        return (gx,)


def _basic_node(key):
    items = key if isinstance(key, tuple) else (key,)
    if any(isinstance(i, numbers.Integral) for i in items):
        return SelectBackward0
    if any(isinstance(i, slice) for i in items):
        return SliceBackward0
    if any(i is None for i in items):
        return UnsqueezeBackward0
    return AliasBackward0


class UnsqueezeBackward0(SelectBackward0):
    """``x[None]``: PyTorch records indexing with ``None`` as an unsqueeze (``shape.py`` has the
    node of ``unsqueeze`` itself); the gradient is a select's."""

    __slots__ = ()


def _index_error(x, key, err):
    # numpy's "for axis 0" is torch's "for dimension 0"
    text = re.sub(r"\bfor axis (\d+)", r"for dimension \1", str(err))
    return IndexError(f"{text} (indexing a tensor of shape {Size(x.shape)} with {key!r})")


def getitem(a, key):
    x = a._data
    k, basic = convert_key(key)
    if basic:
        try:
            res = x[k]
        except IndexError as e:
            raise _index_error(x, key, e) from None
        if not isinstance(res, np.ndarray):
            # integers for every axis give a numpy scalar (a copy); "..." keeps a 0-d view
            res = x[(k if isinstance(k, tuple) else (k,)) + (Ellipsis,)]
        return out_view(res, a, _basic_node(k), (x.shape, k))
    if (
        isinstance(k, np.ndarray)
        and k.dtype.kind == "f"
        or isinstance(k, tuple)
        and any(isinstance(i, np.ndarray) and i.dtype.kind == "f" for i in k)
    ):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    try:
        res = x[k]
    except IndexError as e:
        raise _index_error(x, key, e) from None
    if a._rg and STATE.enabled:
        # the index is saved (as PyTorch saves it): a second backward needs retain_graph
        return out(res, IndexBackward0(), (a,), (k,), meta=x.shape)
    return plain(res)


class CopySlices(Node):
    """``x[idx] = v`` with gradients: x's gradient is zero at idx; v's is the gradient there."""

    __slots__ = ()

    def backward(self, g):
        key, vshape, basic = self.meta
        a, v = self.inputs
        ga = None
        if a is not None:
            ga = g.copy()
            ga[key] = 0
        gv = None
        if v is not None:
            part = g[key]
            gv = sum_to(part, vshape)
        return ga, gv


def index_put(a, key, value):
    """A new tensor equal to ``a`` with ``value`` written at ``key`` (records ``CopySlices``)."""
    k, basic = convert_key(key)
    res = a._data.copy()
    vd = value._data if isinstance(value, Tensor) else value
    try:
        res[k] = vd
    except (IndexError, ValueError) as e:
        raise RuntimeError(
            f"cannot assign a value of shape {Size(np.shape(vd))} to the indexed "
            f"region of a tensor of shape {Size(a._data.shape)}: {e}"
        ) from None
    v_rg = isinstance(value, Tensor) and value._rg
    if STATE.enabled and (a._rg or v_rg):
        return out(
            res,
            CopySlices(),
            (a if a._rg else None, value if v_rg else None),
            meta=(k, np.shape(vd), basic),
        )
    return plain(res)


class GatherBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, axis = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(gx, _along_axis_key(idx, axis), g)
        return (gx,)


def _along_axis_key(idx, axis):
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    return tuple(grids)


def gather(a, dim, index):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int64 for index")
    res = x[_along_axis_key(idx, axis)]
    if a._rg and STATE.enabled:
        return out(res, GatherBackward0(), (a,), (idx,), meta=(x.shape, axis))
    return plain(res)


class IndexSelectBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, axis = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        key = (slice(None),) * axis + (idx,)
        np.add.at(gx, key, g)
        return (gx,)


def index_select(a, dim, index):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    res = np.take(x, idx, axis=axis)
    if a._rg and STATE.enabled:
        return out(res, IndexSelectBackward0(), (a,), (idx,), meta=(x.shape, axis))
    return plain(res)


class MaskedFillBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (mask,) = self.saved
        return (sum_to(np.where(mask, 0, g), self.meta),)


def masked_fill(a, mask, value):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    v = value._data if isinstance(value, Tensor) else value
    res = np.where(m, np.asarray(v, dtype=a._data.dtype), a._data)
    if res.shape != a._data.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {Size(m.shape)} does not broadcast to the "
            f"tensor's shape {Size(a._data.shape)}"
        )
    if a._rg and STATE.enabled:
        return out(res, MaskedFillBackward0(), (a,), (m,), meta=a._data.shape)
    return plain(res)


class EmbeddingBackward0(Node):
    """y = weight[idx]: d weight = zeros, then dy scatter-added at the looked-up rows (a row
    looked up twice gets both gradients); the ``padding_idx`` row gets none."""

    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, padding_idx = self.meta
        gw = np.zeros(shape, dtype=g.dtype)
        np.add.at(gw, idx.reshape(-1), g.reshape(-1, shape[1]))
        if padding_idx is not None:
            gw[padding_idx] = 0
        return (gw,)


def embedding(weight, indices, padding_idx=None):
    """Rows of the 2-D ``weight`` picked by the integer ids ``indices`` (an array or a tensor of
    any shape, already checked to be in range; ``nn.functional.embedding`` checks them)."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    w = weight._data
    res = w[idx]
    if weight._rg and STATE.enabled:
        return out(res, EmbeddingBackward0(), (weight,), (idx,), meta=(w.shape, padding_idx))
    return plain(res)
