"""Shape ops: views that rearrange the same numbers, and joining/splitting tensors.

Views (``reshape view flatten permute transpose T unsqueeze squeeze expand``) share storage and
the version counter with their source; their backward just undoes the rearrangement::

    y = x.permute(p)     dx = dy.permute(inverse(p))
    y = x.expand(s)      dx = dy summed over the expanded axes
"""

import numbers

import numpy as np

from ._util import STATE, Node, OpError, Size, Tensor, norm_dim, out, out_view, plain, sum_to

__all__ = [
    "reshape",
    "view",
    "flatten",
    "unflatten",
    "permute",
    "transpose",
    "t",
    "T",
    "unsqueeze",
    "squeeze",
    "expand",
    "expand_as",
    "broadcast_to",
    "cat",
    "stack",
    "split",
    "chunk",
    "unbind",
    "contiguous",
    "flip",
    "repeat",
    "tile",
    "movedim",
    "view_as",
    "reshape_as",
    "hstack",
    "vstack",
    "roll",
    "tril",
    "triu",
    "narrow",
    "clone",
    "swapaxes",
    "concat",
]


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


class ViewBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.reshape(self.meta),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


def _infer_shape(shape, numel, src_shape):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel} "
            f"(the tensor has shape {Size(src_shape)})"
        )
    return shape


def reshape(a, *shape):
    """Same numbers, new shape (one dimension may be -1). A view when the layout allows."""
    shape = _infer_shape(_shape_arg(shape), a._data.size, a._data.shape)
    x = a._data
    res = x.reshape(shape)
    if np.shares_memory(res, x) or x.size == 0:
        return out_view(res, a, ViewBackward0, x.shape)
    # a copy, which no longer aliases ``a`` (so it gets a version counter of its own)
    if a._rg and STATE.enabled:
        return out(res, UnsafeViewBackward0(), (a,), meta=x.shape)
    return plain(res)


def view(a, *shape):
    """Like ``reshape`` but, as in PyTorch, only for layouts that allow a view."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral)):
        return a.to(shape[0])
    shape = _infer_shape(_shape_arg(shape), a._data.size, a._data.shape)
    x = a._data
    try:
        res = x.view()
        res.shape = shape
    except AttributeError:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces). Use .reshape(...) instead "
            f"(input shape {Size(x.shape)}, requested {Size(shape)})."
        ) from None
    return out_view(res, a, ViewBackward0, x.shape)


def view_as(a, other):
    return view(a, other.shape)


def reshape_as(a, other):
    return reshape(a, other.shape)


def flatten(a, start_dim=0, end_dim=-1):
    x = a._data
    if x.ndim == 0:
        norm_dim(start_dim, 0)
        norm_dim(end_dim, 0)
        return reshape(a, 1)
    s = norm_dim(start_dim, x.ndim)
    e = norm_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(a, x.shape[:s] + (n,) + x.shape[e + 1 :])


def unflatten(a, dim, sizes):
    x = a._data
    d = norm_dim(dim, x.ndim)
    given = tuple(int(s) for s in sizes)
    sizes = given
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes = tuple(x.shape[d] // known if s == -1 and known else s for s in sizes)
    if int(np.prod(sizes)) != x.shape[d] or -1 in sizes:
        raise OpError(
            f"unflatten: Provided sizes {list(given)} don't multiply up to the size of dim {dim} "
            f"({x.shape[d]}) in the input tensor (shape {Size(x.shape)})",
            op="unflatten",
            shapes=(x.shape,),
        )
    return reshape(a, x.shape[:d] + sizes + x.shape[d + 1 :])


def contiguous(a, memory_format=None):
    if a._data.flags.c_contiguous:
        return a
    return clone(a)


class CloneBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


def clone(a, memory_format=None):
    res = np.array(a._data, copy=True, order="C")
    if a._rg and STATE.enabled:
        return out(res, CloneBackward0(), (a,))
    return plain(res)


class PermuteBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.meta)),)


def permute(a, *dims):
    dims = _shape_arg(dims)
    x = a._data
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does "
            f"not match the length of the desired ordering of dimensions i.e. "
            f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(norm_dim(d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return out_view(np.transpose(x, dims), a, PermuteBackward0, dims)


class TransposeBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        d0, d1 = self.meta
        return (np.swapaxes(g, d0, d1),)


def transpose(a, dim0, dim1):
    x = a._data
    d0, d1 = norm_dim(dim0, x.ndim), norm_dim(dim1, x.ndim)
    return out_view(np.swapaxes(x, d0, d1), a, TransposeBackward0, (d0, d1))


swapaxes = transpose


class TBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.T,)


def t(a):
    """Transpose of a tensor with at most 2 dimensions."""
    x = a._data
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return out_view(x.T, a, TBackward0, None)


def T(a):
    """All dimensions reversed (``x.T``)."""
    x = a._data
    # recorded even for 0-d and 1-d tensors, where it changes nothing (PyTorch's grad_fn too)
    return out_view(x.T, a, PermuteBackward0, tuple(range(x.ndim))[::-1])


class UnsqueezeBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (np.squeeze(g, self.meta),)


def unsqueeze(a, dim):
    x = a._data
    d = norm_dim(dim, x.ndim + 1)
    return out_view(np.expand_dims(x, d), a, UnsqueezeBackward0, d)


class SqueezeBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.reshape(self.meta),)


class SqueezeBackward1(SqueezeBackward0):
    __slots__ = ()


def squeeze(a, dim=None):
    x = a._data
    if dim is None:
        return out_view(np.squeeze(x), a, SqueezeBackward0, x.shape)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(d for d in (norm_dim(d, x.ndim) for d in dims) if x.ndim and x.shape[d] == 1)
    return out_view(np.squeeze(x, axes) if axes else x.view(), a, SqueezeBackward1, x.shape)


class ExpandBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (sum_to(g, self.meta),)


def expand(a, *sizes):
    """Broadcast singleton dimensions to ``sizes`` without copying (-1 keeps a size)."""
    sizes = _shape_arg(sizes)
    x = a._data
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand(d2lmods.{a.dtype.torch_name}Tensor{{{list(x.shape)}}}, "
            f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must "
            f"be greater or equal to the number of dimensions in the tensor "
            f"({x.ndim})"
        )
    lead = len(sizes) - x.ndim
    target = tuple(x.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    try:
        res = np.broadcast_to(x, target)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor must match the existing size at "
            f"non-singleton dimensions. Target sizes: {list(sizes)}. Tensor "
            f"sizes: {list(x.shape)}"
        ) from None
    return out_view(res, a, ExpandBackward0, x.shape)


def expand_as(a, other):
    return expand(a, other.shape)


def broadcast_to(a, shape):
    return expand(a, tuple(shape))


class CatBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        axis, bounds = self.meta
        parts = np.split(g, bounds, axis=axis)
        return tuple(p if t is not None else None for p, t in zip(parts, self.inputs))


def _as_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{name}(): argument 'tensors' must be a tuple or list of Tensors, not a Tensor"
        )
    return list(tensors)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    ts = _as_list(tensors, "cat")
    if not ts:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ts = [t if isinstance(t, Tensor) else plain(np.asarray(t)) for t in ts]
    # PyTorch skips legacy empty 1-D tensors in cat
    ts_nonempty = [t for t in ts if not (t._data.ndim == 1 and t._data.size == 0)] or ts[:1]
    ts = ts_nonempty
    nd = ts[0]._data.ndim
    axis = norm_dim(dim, nd)
    from .._tensor.dtypes import NP_TO_DTYPE
    from ._util import promote

    dt = ts[0]._data.dtype
    for t in ts[1:]:
        if t._data.dtype != dt:
            dt = promote(dt, False, t._data.dtype, False)
    ts = [t if t._data.dtype == dt else t.to(NP_TO_DTYPE[dt]) for t in ts]
    arrays = [t._data for t in ts]
    for i, arr in enumerate(arrays):
        if arr.ndim != nd or any(
            arr.shape[k] != arrays[0].shape[k] for k in range(nd) if k != axis
        ):
            if arr.ndim != nd:
                raise RuntimeError(
                    f"Tensors must have same number of dimensions: got {nd} and {arr.ndim} "
                    f"(shapes: {[list(a.shape) for a in arrays]})"
                )
            k = next(k for k in range(nd) if k != axis and arr.shape[k] != arrays[0].shape[k])
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {axis}. Expected size "
                f"{arrays[0].shape[k]} but got size {arr.shape[k]} for tensor number {i} in the "
                f"list (shapes: {[list(a.shape) for a in arrays]}; along dimension {axis} they "
                "are joined, every other dimension must agree)."
            )
    res = np.concatenate(arrays, axis=axis)
    if STATE.enabled and any(t._rg for t in ts):
        bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return out(
            res, CatBackward0(), tuple(t if t._rg else None for t in ts), meta=(axis, bounds)
        )
    return plain(res)


concat = cat
concatenate = cat


class StackBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        axis = self.meta
        return tuple(
            np.take(g, i, axis=axis) if t is not None else None for i, t in enumerate(self.inputs)
        )


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension."""
    ts = _as_list(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    ts = [t if isinstance(t, Tensor) else plain(np.asarray(t)) for t in ts]
    s0 = ts[0]._data.shape
    for i, t in enumerate(ts):
        if t._data.shape != s0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(s0)} at "
                f"entry 0 and {list(t._data.shape)} at entry {i}"
            )
    axis = norm_dim(dim, len(s0) + 1)
    from .._tensor.dtypes import NP_TO_DTYPE
    from ._util import promote

    dt = ts[0]._data.dtype
    for t in ts[1:]:
        if t._data.dtype != dt:
            dt = promote(dt, False, t._data.dtype, False)
    ts = [t if t._data.dtype == dt else t.to(NP_TO_DTYPE[dt]) for t in ts]
    res = np.stack([t._data for t in ts], axis=axis)
    if STATE.enabled and any(t._rg for t in ts):
        return out(res, StackBackward0(), tuple(t if t._rg else None for t in ts), meta=axis)
    return plain(res)


def hstack(tensors):
    ts = list(tensors)
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    ts = [t if t.ndim > 1 else t.reshape(1, -1) for t in tensors]
    return cat(ts, 0)


class SplitBackward0(Node):
    """One piece of a split: its gradient lands in its slice of a zero gradient."""

    __slots__ = ()

    def backward(self, g):
        shape, axis, start, stop = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        idx = [slice(None)] * len(shape)
        idx[axis] = slice(start, stop)
        gx[tuple(idx)] = g
        return (gx,)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()


class UnbindBackward0(SplitBackward0):
    __slots__ = ()

    def backward(self, g):
        shape, axis, start, stop = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        idx = [slice(None)] * len(shape)
        idx[axis] = start
        gx[tuple(idx)] = g
        return (gx,)


def _pieces(a, bounds, axis, node_cls):
    x = a._data
    res = []
    for start, stop in bounds:
        idx = [slice(None)] * x.ndim
        idx[axis] = slice(start, stop)
        res.append(out_view(x[tuple(idx)], a, node_cls, (x.shape, axis, start, stop)))
    return tuple(res)


def split(a, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    x = a._data
    axis = norm_dim(dim, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        if s <= 0 and n:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        bounds = [(i, min(i + s, n)) for i in range(0, n, s)] or [(0, 0)]
        return _pieces(a, bounds, axis, SplitBackward0)
    sizes = list(split_size_or_sections)
    if builtin_sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
            f"tensor's size at dimension {axis}), but got split_sizes={sizes}"
        )
    starts = np.cumsum([0] + sizes)
    return _pieces(
        a,
        [(int(starts[i]), int(starts[i + 1])) for i in range(len(sizes))],
        axis,
        SplitWithSizesBackward0,
    )


builtin_sum = sum


def chunk(a, chunks, dim=0):
    """``chunks`` pieces along ``dim`` (fewer if the size does not allow that many)."""
    n = a._data.shape[norm_dim(dim, a._data.ndim)]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return split(a, 1, dim) if n else (a,)
    return split(a, size, dim)


def unbind(a, dim=0):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    res = []
    for i in range(x.shape[axis]):
        res.append(
            out_view(x[(slice(None),) * axis + (i,)], a, UnbindBackward0, (x.shape, axis, i, i + 1))
        )
    return tuple(res)


def narrow(a, dim, start, length):
    x = a._data
    axis = norm_dim(dim, x.ndim)
    return _pieces(a, [(start, start + length)], axis, SliceBackward0)[0]


class SliceBackward0(SplitBackward0):
    __slots__ = ()


def movedim(a, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``, keeping the others' order."""
    x = a._data
    src = [norm_dim(d, x.ndim) for d in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [
        norm_dim(d, x.ndim)
        for d in (destination if isinstance(destination, (list, tuple)) else [destination])
    ]
    perm = [None] * x.ndim
    for s_, d in zip(src, dst):
        perm[d] = s_
    rest = iter(i for i in range(x.ndim) if i not in src)
    return permute(a, *[p if p is not None else next(rest) for p in perm])


class FlipBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (np.flip(g, self.meta),)


def flip(a, dims):
    x = a._data
    dims = tuple(norm_dim(d, x.ndim) for d in (dims if isinstance(dims, (list, tuple)) else [dims]))
    if not x.ndim:
        dims = ()  # a 0-d tensor has nothing to flip
    res = np.flip(x, dims).copy()
    if a._rg and STATE.enabled:
        return out(res, FlipBackward0(), (a,), meta=dims)
    return plain(res)


class RepeatBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        shape, reps = self.meta
        lead = len(reps) - len(shape)
        full = (1,) * lead + tuple(shape)
        gg = g.reshape(tuple(x for r, s in zip(reps, full) for x in (r, s)))
        gg = gg.sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return (gg.reshape(shape),)


def repeat(a, *sizes):
    reps = _shape_arg(sizes)
    x = a._data
    if len(reps) < x.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of "
            "dimensions of tensor"
        )
    res = np.tile(x, reps)
    if a._rg and STATE.enabled:
        return out(res, RepeatBackward0(), (a,), meta=(x.shape, reps))
    return plain(res)


def tile(a, *dims):
    dims = _shape_arg(dims)
    dims = (1,) * (a._data.ndim - len(dims)) + dims
    return repeat(a, *dims)


class RollBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        shifts, dims = self.meta
        return (np.roll(g, tuple(-s for s in shifts), dims),)


def roll(a, shifts, dims=None):
    x = a._data
    if dims is None:
        res = np.roll(x.reshape(-1), shifts).reshape(x.shape)
        return reshape(roll(flatten(a), shifts, 0), x.shape) if a._rg else plain(res)
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    res = np.roll(x, shifts, dims)
    if a._rg and STATE.enabled:
        return out(res, RollBackward0(), (a,), meta=(shifts, dims))
    return plain(res)


class TrilBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        fn, k = self.meta
        return (fn(g, k),)


def tril(a, diagonal=0):
    res = np.tril(a._data, diagonal)
    if a._rg and STATE.enabled:
        return out(res, TrilBackward0(), (a,), meta=(np.tril, diagonal))
    return plain(res)


class TriuBackward0(TrilBackward0):
    __slots__ = ()


def triu(a, diagonal=0):
    res = np.triu(a._data, diagonal)
    if a._rg and STATE.enabled:
        return out(res, TriuBackward0(), (a,), meta=(np.triu, diagonal))
    return plain(res)
