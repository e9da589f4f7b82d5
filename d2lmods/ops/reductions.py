"""Reductions: ``sum mean max min amax amin argmax argmin var std prod all any norm logsumexp``.

``dim`` may be an int, a tuple or ``None`` (everything); ``keepdim`` keeps reduced axes as size 1.
The backward of a reduction broadcasts the gradient back over the reduced axes::

    y = x.sum(dim)     dy/dx = 1 (spread over dim)
    y = x.max(dim)     dy/dx = 1 at the arg-max only
"""

import collections
import warnings

import numpy as np

from .._messages import user_stacklevel
from .._tensor import dtypes as _dt
from ._util import STATE, Node, Tensor, norm_dim, norm_dims, out, plain, quiet, ver

__all__ = [
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "var",
    "std",
    "prod",
    "all",
    "any",
    "norm",
    "logsumexp",
    "cumsum",
    "count_nonzero",
    "max_values",
]


def _unreduce(r, ndim, axes, keepdim):
    """The result ``r`` of a reduction over ``axes`` (``None``: all) of an ``ndim``-dimensional
    input, with the reduced axes put back as size 1 so that it broadcasts against the input."""
    if axes is None:
        return r.reshape((1,) * ndim) if ndim else r
    return r if keepdim else np.expand_dims(r, axes)


def _expand_back(g, shape, axes, keepdim):
    """Gradient of a reduction over ``axes``: put the reduced axes back, then broadcast."""
    return np.broadcast_to(_unreduce(g, len(shape), axes, keepdim), shape)


class SumBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (np.full(self.meta, g, dtype=g.dtype),)


class SumBackward1(Node):
    __slots__ = ()

    def backward(self, g):
        shape, axes, keepdim = self.meta
        return (_expand_back(g, shape, axes, keepdim),)


def sum(a, dim=None, keepdim=False, dtype=None):
    """Sum of all elements, or along ``dim``. Bool and integer tensors sum to int64."""
    x = a._data
    if dtype is not None:
        x = x.astype(_dt.as_dtype(dtype).np)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    if dim is None:
        res = np.asarray(x.sum(), dtype=x.dtype)
        if keepdim:
            res = res.reshape((1,) * x.ndim)
        if a._rg and STATE.enabled:
            return out(
                res,
                SumBackward0() if not keepdim else SumBackward1(),
                (a,),
                meta=x.shape if not keepdim else (x.shape, None, True),
            )
        return plain(res)
    axes = norm_dims(dim, x.ndim)
    res = np.asarray(x.sum(axis=axes, keepdims=keepdim), dtype=x.dtype)
    if a._rg and STATE.enabled:
        return out(res, SumBackward1(), (a,), meta=(x.shape, axes, keepdim))
    return plain(res)


class MeanBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        shape, n = self.meta
        return (np.full(shape, g / n, dtype=g.dtype),)


class MeanBackward1(Node):
    __slots__ = ()

    def backward(self, g):
        shape, axes, keepdim, n = self.meta
        return (_expand_back(g / n, shape, axes, keepdim),)


def _np_mean(x, axes, keepdims):
    """``x.mean``; of no elements, nan without numpy's "Mean of empty slice" (torch says nothing)."""
    if x.size:
        return x.mean(axis=axes, keepdims=keepdims)
    with warnings.catch_warnings(), quiet():
        warnings.simplefilter("ignore", RuntimeWarning)
        return x.mean(axis=axes, keepdims=keepdims)


def mean(a, dim=None, keepdim=False, dtype=None):
    """Mean of all elements, or along ``dim`` (floating-point tensors only, as in PyTorch)."""
    x = a._data
    if dtype is not None:
        x = x.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {a.dtype.torch_name}. Convert first, e.g. x.float().mean()"
        )
    if dim is None:
        res = np.asarray(_np_mean(x, None, False), dtype=x.dtype)
        if keepdim:
            res = res.reshape((1,) * x.ndim)
        if a._rg and STATE.enabled:
            if keepdim:
                return out(res, MeanBackward1(), (a,), meta=(x.shape, None, True, x.size))
            return out(res, MeanBackward0(), (a,), meta=(x.shape, x.size))
        return plain(res)
    axes = norm_dims(dim, x.ndim)
    res = np.asarray(_np_mean(x, axes, keepdim), dtype=x.dtype)
    if a._rg and STATE.enabled:
        n = 1
        for ax in axes:
            n *= x.shape[ax]
        return out(res, MeanBackward1(), (a,), meta=(x.shape, axes, keepdim, n))
    return plain(res)


class _ExtremeBackward(Node):
    """Gradient of max/min/amax/amin: shared equally among the tied extreme positions."""

    __slots__ = ()

    def backward(self, g):
        x, res = self.saved
        shape, axes, keepdim = self.meta
        mask = x == _unreduce(res, x.ndim, axes, keepdim)
        cnt = mask.sum(axis=axes, keepdims=True)
        gg = _expand_back(g, shape, axes, keepdim)
        return (gg * mask / cnt,)


class MaxBackward1(_ExtremeBackward):
    __slots__ = ()


class MinBackward1(_ExtremeBackward):
    __slots__ = ()


class AmaxBackward0(_ExtremeBackward):
    __slots__ = ()


class AminBackward0(_ExtremeBackward):
    __slots__ = ()


class MaxBackward0(Node):
    """``max(dim)``: the gradient goes to the returned index only."""

    __slots__ = ()

    def backward(self, g):
        (idx,) = self.saved
        shape, axis, keepdim = self.meta
        if not shape:
            return (g,)
        gx = np.zeros(shape, dtype=g.dtype)
        i = idx if keepdim else np.expand_dims(idx, axis)
        gi = g if keepdim else np.expand_dims(g, axis)
        np.put_along_axis(gx, i, gi, axis)
        return (gx,)


class MinBackward0(MaxBackward0):
    __slots__ = ()


_values_indices = collections.namedtuple("return_types", ["values", "indices"])


class MaxReturn(_values_indices):
    """``(values, indices)`` from ``max(dim)``/``min(dim)``, printed like PyTorch's."""

    __slots__ = ()

    def __repr__(self):
        return f"{self._name}(\nvalues={self.values!r},\nindices={self.indices!r})"


def _named_return(name):
    return type(name, (MaxReturn,), {"__slots__": (), "_name": f"torch.return_types.{name}"})


_MaxRet = _named_return("max")
_MinRet = _named_return("min")


def _extreme(a, dim, keepdim, fn, argfn, full_node, dim_node, ret_cls, name):
    x = a._data
    if x.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() "
            "== 0. Specify the reduction dim with the 'dim' argument."
        )
    if dim is None:
        res = np.asarray(fn(x))
        if a._rg and STATE.enabled:
            return out(res, full_node(), (a,), (x, res), (ver(a),), meta=(x.shape, None, False))
        return plain(res)
    if isinstance(dim, Tensor):
        return maximum_other(a, dim, fn)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:  # a 0-d tensor is its own max, at index 0
        vals, idx, keepdim = x.copy(), np.zeros((), np.int64), True
        if a._rg and STATE.enabled:
            return ret_cls(
                out(vals, dim_node(), (a,), (idx,), meta=(x.shape, axis, True)), plain(idx)
            )
        return ret_cls(plain(vals), plain(idx))
    idx = argfn(x, axis=axis, keepdims=True)
    vals = np.take_along_axis(x, idx, axis)
    if not keepdim:
        vals = np.squeeze(vals, axis)
        idx = np.squeeze(idx, axis)
    if a._rg and STATE.enabled:
        v = out(vals, dim_node(), (a,), (idx,), meta=(x.shape, axis, keepdim))
    else:
        v = plain(vals)
    return ret_cls(v, plain(idx.astype(np.int64)))


def maximum_other(a, b, fn):
    from .elementwise import maximum, minimum

    return maximum(a, b) if fn is np.max else minimum(a, b)


def max(a, dim=None, keepdim=False):
    """Largest element, or ``(values, indices)`` along ``dim``; ``max(a, b)`` is ``maximum``."""
    return _extreme(a, dim, keepdim, np.max, np.argmax, MaxBackward1, MaxBackward0, _MaxRet, "max")


def min(a, dim=None, keepdim=False):
    return _extreme(a, dim, keepdim, np.min, np.argmin, MinBackward1, MinBackward0, _MinRet, "min")


def _amax_like(a, dim, keepdim, fn, node_cls):
    x = a._data
    axes = norm_dims(dim, x.ndim) if dim is not None and dim != () else None
    res = np.asarray(fn(x, axis=axes, keepdims=keepdim))
    if a._rg and STATE.enabled:
        return out(res, node_cls(), (a,), (x, res), (ver(a),), meta=(x.shape, axes, keepdim))
    return plain(res)


def amax(a, dim=(), keepdim=False):
    return _amax_like(a, dim, keepdim, np.max, AmaxBackward0)


def amin(a, dim=(), keepdim=False):
    return _amax_like(a, dim, keepdim, np.min, AminBackward0)


def max_values(a, dim=None, keepdim=False):
    return amax(a, () if dim is None else dim, keepdim)


def argmax(a, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    x = a._data
    if dim is None:
        r = np.asarray(np.argmax(x), dtype=np.int64)
        return plain(r.reshape((1,) * x.ndim) if keepdim else r)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        return plain(np.zeros((), np.int64))
    return plain(np.argmax(x, axis=axis, keepdims=keepdim).astype(np.int64))


def argmin(a, dim=None, keepdim=False):
    x = a._data
    if dim is None:
        r = np.asarray(np.argmin(x), dtype=np.int64)
        return plain(r.reshape((1,) * x.ndim) if keepdim else r)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        return plain(np.zeros((), np.int64))
    return plain(np.argmin(x, axis=axis, keepdims=keepdim).astype(np.int64))


class VarBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        shape, axes, keepdim, n, corr = self.meta
        mu = x.mean(axis=axes, keepdims=True)
        gg = _expand_back(g, shape, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom: nan
            return (gg * (2.0 / np.float64(n - corr)) * (x - mu),)


class StdBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, res = self.saved
        shape, axes, keepdim, n, corr = self.meta
        mu = x.mean(axis=axes, keepdims=True)
        r = _unreduce(res, x.ndim, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom: nan
            gg = _expand_back(g, shape, axes, keepdim) / r
            return (gg * (x - mu) / np.float64(n - corr),)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def _no_degrees_of_freedom(name):
    # torch's warning (the result is nan), not numpy's two RuntimeWarnings
    warnings.warn(
        f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
        "reduction factor (input numel divided by output numel).",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def _var_args(a, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(x, False): positional 'unbiased'
        unbiased, dim = dim, None
    x = a._data
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = norm_dims(dim, x.ndim)
    n = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
    return x, axes, n, _correction(unbiased, correction), keepdim


def _spread(x, name, axes, n, corr, keepdim):
    """``x.var`` or ``x.std`` in ``x``'s dtype; with no degrees of freedom left, torch's warning
    instead of numpy's (the result is nan or inf, as in torch)."""
    if n - corr > 0:
        return np.asarray(getattr(x, name)(axis=axes, ddof=corr, keepdims=keepdim), dtype=x.dtype)
    _no_degrees_of_freedom(name)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Degrees of freedom <= 0"
        return np.asarray(getattr(x, name)(axis=axes, ddof=corr, keepdims=keepdim), dtype=x.dtype)


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance (Bessel-corrected by default, like PyTorch: ``correction=1``)."""
    x, axes, n, corr, keepdim = _var_args(a, dim, unbiased, keepdim, correction)
    res = _spread(x, "var", axes, n, corr, keepdim)
    if a._rg and STATE.enabled:
        return out(
            res, VarBackward0(), (a,), (x,), (ver(a),), meta=(x.shape, axes, keepdim, n, corr)
        )
    return plain(res)


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    x, axes, n, corr, keepdim = _var_args(a, dim, unbiased, keepdim, correction)
    res = _spread(x, "std", axes, n, corr, keepdim)
    if a._rg and STATE.enabled:
        return out(
            res, StdBackward0(), (a,), (x, res), (ver(a),), meta=(x.shape, axes, keepdim, n, corr)
        )
    return plain(res)


class ProdBackward0(Node):
    """Gradient of a product: the product of all the other elements (no division, zeros are fine)."""

    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved
        shape, axes, keepdim = self.meta
        gg = _expand_back(g, shape, axes, keepdim)
        # product of all other elements, computed without dividing (zeros are fine)
        ax = axes if axes is not None else tuple(range(x.ndim))
        flat = np.moveaxis(x, ax, tuple(range(-len(ax), 0))) if ax else x
        lead = flat.shape[: flat.ndim - len(ax)]
        f2 = flat.reshape(lead + (-1,))
        left = np.cumprod(np.concatenate([np.ones(lead + (1,), x.dtype), f2[..., :-1]], -1), -1)
        right = np.cumprod(
            np.concatenate([np.ones(lead + (1,), x.dtype), f2[..., ::-1][..., :-1]], -1), -1
        )[..., ::-1]
        others = (left * right).reshape(flat.shape)
        others = np.moveaxis(others, tuple(range(-len(ax), 0)), ax) if ax else others
        return (gg * others,)


def prod(a, dim=None, keepdim=False, dtype=None):
    x = a._data if dtype is None else a._data.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind in "biu":
        x = x.astype(np.int64)
    axes = norm_dims(dim, x.ndim)
    res = np.asarray(x.prod(axis=axes, keepdims=keepdim), dtype=x.dtype)
    if a._rg and STATE.enabled:
        node = ProdBackward0() if axes is None else ProdBackward1()
        return out(res, node, (a,), (x,), (ver(a),), meta=(x.shape, axes, keepdim))
    return plain(res)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


def all(a, dim=None, keepdim=False):
    return plain(np.asarray(np.all(a._data, axis=norm_dims(dim, a._data.ndim), keepdims=keepdim)))


def any(a, dim=None, keepdim=False):
    return plain(np.asarray(np.any(a._data, axis=norm_dims(dim, a._data.ndim), keepdims=keepdim)))


def count_nonzero(a, dim=None):
    return plain(
        np.asarray(np.count_nonzero(a._data, axis=norm_dims(dim, a._data.ndim)), dtype=np.int64)
    )


class LinalgVectorNormBackward0(Node):
    """d||x||_p: 2-norm x/||x||; 1-norm sign(x); inf-norm at the largest |x| (ties share)."""

    __slots__ = ()

    def backward(self, g):
        x, res = self.saved
        shape, axes, keepdim, p = self.meta
        r = _unreduce(res, x.ndim, axes, keepdim)
        gg = _expand_back(g, shape, axes, keepdim)
        if p == 2:
            with np.errstate(invalid="ignore", divide="ignore"):
                return (np.where(r == 0, 0, gg * x / r),)
        if p == 1:
            return (gg * np.sign(x),)
        if p == np.inf:
            m = np.abs(x) == r
            return (gg * np.sign(x) * m / m.sum(axis=axes, keepdims=True),)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(r == 0, 0, gg * np.sign(x) * np.abs(x) ** (p - 1) / r ** (p - 1)),)


def norm(a, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default); "fro" is the 2-norm."""
    x = a._data if dtype is None else a._data.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point tensor as input. Got "
            f"{a.dtype.torch_name}"
        )
    p = 2 if p in ("fro", None) else (np.inf if p == "inf" else p)
    axes = norm_dims(dim, x.ndim)
    ax = np.abs(x)
    if p == 2:
        res = np.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
    elif p == 1:
        res = ax.sum(axis=axes, keepdims=keepdim)
    elif p == np.inf:
        res = ax.max(axis=axes, keepdims=keepdim)
    else:
        res = (ax**p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
    res = np.asarray(res, dtype=x.dtype)
    if a._rg and STATE.enabled:
        return out(
            res,
            LinalgVectorNormBackward0(),
            (a,),
            (x, res),
            (ver(a),),
            meta=(x.shape, axes, keepdim, p),
        )
    return plain(res)


class LogsumexpBackward0(Node):
    """d logsumexp(x) = softmax(x) along the reduced dims."""

    __slots__ = ()

    def backward(self, g):
        x, res = self.saved
        shape, axes, keepdim = self.meta
        r = _unreduce(res, x.ndim, axes, keepdim)
        return (_expand_back(g, shape, axes, keepdim) * np.exp(x - r),)


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed stably."""
    x = a._data
    axes = norm_dims(dim, x.ndim) or tuple(range(x.ndim))
    m = x.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    res = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
    if not keepdim:
        res = np.squeeze(res, axes)
    res = np.asarray(res, dtype=x.dtype)
    if a._rg and STATE.enabled:
        return out(
            res, LogsumexpBackward0(), (a,), (x, res), (ver(a),), meta=(x.shape, axes, keepdim)
        )
    return plain(res)


class CumsumBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        axis = self.meta
        if axis is None:  # a 0-d input: cumsum is the identity
            return (g,)
        return (np.flip(np.cumsum(np.flip(g, axis), axis), axis),)


def cumsum(a, dim, dtype=None):
    x = a._data if dtype is None else a._data.astype(_dt.as_dtype(dtype).np)
    if x.dtype.kind in "biu":
        x = x.astype(np.int64)
    axis = norm_dim(dim, x.ndim)
    if not x.ndim:
        axis = None  # numpy's cumsum flattens then; reshaped back to 0-d below
    res = np.cumsum(x, axis=axis).reshape(x.shape)
    if a._rg and STATE.enabled:
        return out(res, CumsumBackward0(), (a,), meta=axis)
    return plain(res)
