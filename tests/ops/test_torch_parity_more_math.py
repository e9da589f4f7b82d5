"""The functions of ``d2lmods.ops.more_math`` against torch 2.13 (values, dtypes, gradients,
``grad_fn`` names, exception types) and against central finite differences (float64)."""

import numpy as np
import pytest

import d2lmods
from tests._parity import Cases, same, t32 as _t

from .test_ops_gradcheck import fd_check

CASES = Cases()
case = CASES.case

X = [[0.3, 1.7, -0.6], [2.2, -1.1, 0.9]]
POS = [[0.3, 1.7, 0.6], [2.2, 1.1, 0.9]]
UNIT = [[0.3, -0.7, 0.6], [0.2, 0.1, -0.9]]


def _grad(lib, fn, values=X, w=None):
    """``(y, grad_fn name, dy/dx)`` of ``y = fn(x)`` (``y`` weighted by ``w`` before summing)."""
    x = _t(lib, values, requires_grad=True)
    y = fn(x)
    v = y.values if isinstance(y, tuple) else y
    (v * (lib.ones_like(v) if w is None else _t(lib, w))).sum().backward()
    return v.detach(), type(v.grad_fn).__name__, x.grad


def _unary(name, values):
    def snippet(lib):
        fn = getattr(lib, name)
        return (
            _grad(lib, fn, values),
            getattr(_t(lib, values), name)(),
            fn(lib.tensor([1, 2, 4])),  # integers become float32
        )

    snippet.__name__ = name
    return case()(snippet)


for _name, _vals in [
    ("log2", POS),
    ("log10", POS),
    ("exp2", X),
    ("sinh", X),
    ("cosh", X),
    ("tan", X),
    ("asin", UNIT),
    ("acos", UNIT),
    ("atan", X),
    ("arcsin", UNIT),
    ("asinh", X),
    ("acosh", [[1.3, 2.7, 1.6], [3.2, 1.1, 1.9]]),
    ("atanh", UNIT),
    ("frac", X),
    ("nan_to_num", X),
]:
    _unary(_name, _vals)


@case()
def edge_values_are_inf_and_nan_silently(lib):
    x = _t(lib, [0.0, -1.0, 2.0])
    return lib.log2(x), lib.log10(x), lib.asin(x), lib.acos(x), x.tan(), lib.exp2(_t(lib, [200.0]))


@case()
def frac_of_an_integer_tensor_raises(lib):
    return lib.frac(lib.tensor([1, 2]))


@case()
def nan_to_num_replaces(lib):
    x = _t(lib, [float("nan"), float("inf"), -float("inf"), 1.5], requires_grad=True)
    y = lib.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    y.sum().backward()
    return y, x.grad, type(y.grad_fn).__name__, lib.nan_to_num(lib.tensor([1, 2]))


def _binary_grad(lib, fn, a, b):
    x = _t(lib, a, requires_grad=True)
    y = _t(lib, b, requires_grad=True)
    z = fn(x, y)
    z.sum().backward()
    return z, type(z.grad_fn).__name__, x.grad, y.grad


@case()
def atan2_and_hypot(lib):
    return (
        _binary_grad(lib, lib.atan2, X, [[1.0], [-2.0]]),
        _binary_grad(lib, lib.hypot, X, [0.5, -1.5, 2.0]),
        _binary_grad(lib, lambda a, b: a.atan2(b), X, X),
        lib.atan2(lib.tensor([1, -1]), lib.tensor([2, 2])),
    )


@case()
def fmod_follows_the_sign_of_the_dividend(lib):
    return (
        _binary_grad(lib, lib.fmod, [[5.5, -5.5, 3.0]], [[2.0, 2.0, -2.5]]),
        _grad(lib, lambda x: lib.fmod(x, 0.7)),
        lib.fmod(lib.tensor([-7, 7]), 3),
        lib.tensor([-7, 7]).fmod(lib.tensor([3, -3])),
        lib.fmod(lib.tensor([5.0]), 0.0),
    )


@case()
def fmax_fmin_ignore_nan(lib):
    nan = float("nan")
    return (
        _binary_grad(lib, lib.fmax, [[1.0, nan, 3.0, 2.0]], [[2.0, 1.0, nan, 2.0]]),
        _binary_grad(lib, lib.fmin, [[1.0, nan, 3.0, 2.0]], [[2.0, 1.0, nan, 2.0]]),
        lib.fmax(lib.tensor([1, 5]), lib.tensor([3, 2])),
    )


@case()
def lerp_with_number_and_tensor_weights(lib):
    return (
        _binary_grad(lib, lambda a, b: lib.lerp(a, b, 0.3), X, [1.0, 2.0, 3.0]),
        _binary_grad(lib, lambda a, w: a.lerp(lib.zeros(2, 3), w), X, [[0.1], [0.9]]),
    )


@case()
def lerp_of_mixed_dtypes_raises(lib):
    return lib.lerp(_t(lib, [1.0]), lib.tensor([2.0], dtype=lib.float64), 0.5)


@case()
def cumprod_with_and_without_zeros(lib):
    return (
        _grad(lib, lambda x: lib.cumprod(x, 1), w=[[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]),
        _grad(lib, lambda x: x.cumprod(dim=1), [[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]),
        _grad(lib, lambda x: x.cumprod(0)),
        lib.cumprod(lib.tensor([1, 2, 3]), 0),
        lib.cumprod(lib.tensor([True, True]), 0),
    )


# ---- sorting and selection -----------------------------------------------------------------
W = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


@case()
def sort_values_indices_and_gradient(lib):
    x = _t(lib, X)
    r = lib.sort(x)
    d = x.sort(dim=0, descending=True)
    return (
        r.values,
        r.indices,
        d.values,
        d.indices,
        _grad(lib, lambda x: x.sort(1).values, w=W),
        _grad(lib, lambda x: lib.sort(x, 0, descending=True), w=W),
        lib.sort(lib.tensor([3, 1, 2])).values,
    )


@case()
def sort_puts_nan_last(lib):
    x = _t(lib, [2.0, float("nan"), -1.0, float("inf")])
    return lib.sort(x).indices, lib.sort(x, descending=True).indices, lib.argsort(x)


@case()
def argsort(lib):
    x = _t(lib, X)
    return lib.argsort(x), x.argsort(dim=0), x.argsort(descending=True), lib.argsort(_t(lib, 1.0))


@case()
def topk_largest_and_smallest(lib):
    x = _t(lib, X)
    r = lib.topk(x, 2)
    s = x.topk(1, dim=0, largest=False)
    return (
        r.values,
        r.indices,
        s.values,
        s.indices,
        _grad(lib, lambda x: x.topk(2), w=[[1.0, 2.0], [3.0, 4.0]]),
    )


@case()
def topk_with_k_too_large_raises(lib):
    return lib.topk(_t(lib, [1.0, 2.0]), 3)


@case()
def kthvalue_and_median(lib):
    x = _t(lib, X)
    k = lib.kthvalue(x, 2, 1)
    m = x.median(dim=1, keepdim=True)
    return (
        k.values,
        k.indices,
        m.values,
        m.indices,
        lib.median(x),
        lib.median(_t(lib, [4.0, 1.0, 3.0, 2.0])),
        _grad(lib, lambda x: x.kthvalue(1, dim=0), w=[1.0, 2.0, 3.0]),
        _grad(lib, lambda x: lib.median(x, 1), w=[1.0, 2.0]),
        _grad(lib, lambda x: lib.median(x)),
    )


@case()
def unique_sorted_inverse_counts(lib):
    x = lib.tensor([[3, 1, 2], [1, 3, 3]])
    return (
        lib.unique(x),
        lib.unique(x, return_inverse=True),
        x.unique(return_counts=True),
        lib.unique(x, return_inverse=True, return_counts=True),
        lib.unique(_t(lib, [2.0, 0.5, 2.0])),
        lib.unique(x, dim=1, return_inverse=True, return_counts=True),
        lib.unique(lib.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True),
    )


# ---- diag, trace, einsum ---------------------------------------------------------------------
@case()
def diag_of_vectors_and_matrices(lib):
    return (
        _grad(lib, lambda x: lib.diag(x), [1.0, 2.0, 3.0], w=np.arange(9.0).reshape(3, 3)),
        _grad(lib, lambda x: lib.diag(x, 1), [1.0, 2.0], w=np.arange(9.0).reshape(3, 3)),
        _grad(lib, lambda x: x.diag(), w=[1.0, 2.0]),
        _grad(lib, lambda x: x.diag(-1), w=[5.0]),
        lib.diag(lib.tensor([1, 2])),
    )


@case()
def trace_of_a_matrix(lib):
    return _grad(lib, lambda x: x.trace()), lib.trace(lib.tensor([[1, 2], [3, 4]]))


@case()
def trace_of_a_vector_raises(lib):
    return lib.trace(_t(lib, [1.0]))


def _einsum(eq, *shapes):
    def snippet(lib):
        rng = np.random.default_rng(len(eq))
        xs = [_t(lib, rng.standard_normal(s), requires_grad=True) for s in shapes]
        y = lib.einsum(eq, *xs)
        w = _t(lib, rng.standard_normal(tuple(y.shape)))
        (y * w).sum().backward()
        return y, [x.grad for x in xs]

    snippet.__name__ = "einsum_" + eq.replace(",", "_").replace("->", "_to_") or "x"
    return case()(snippet)


for _eq, _shapes in [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 2, 2)]),
    ("ij,jk", [(2, 3), (3, 2)]),
]:
    _einsum(_eq, *_shapes)


@case()
def einsum_takes_a_list_of_operands(lib):
    a, b = _t(lib, X), _t(lib, [[1.0], [2.0], [3.0]])
    return lib.einsum("ij,jk->ik", [a, b]), lib.einsum("ij->i", lib.tensor([[1, 2], [3, 4]]))


@case()
def einsum_with_a_wrong_number_of_subscripts_raises(lib):
    return lib.einsum("ijk->i", _t(lib, X))


# ---- nonzero, meshgrid, broadcast_tensors, repeat_interleave ---------------------------------
@case()
def nonzero_and_argwhere(lib):
    x = lib.tensor([[0, 1, 2], [3, 0, 0]])
    return (
        lib.nonzero(x),
        x.nonzero(as_tuple=True),
        lib.nonzero(_t(lib, [0.0, 0.5])),
        lib.argwhere(x),
        lib.nonzero(lib.tensor([False, False])),
    )


@case()
def meshgrid_ij_and_xy(lib):
    a = _t(lib, [1.0, 2.0], requires_grad=True)
    b = _t(lib, [3.0, 4.0, 5.0])
    gi = lib.meshgrid(a, b, indexing="ij")
    gx = lib.meshgrid(a, b, indexing="xy")
    (gi[0] * gx[0].t()).sum().backward()
    return gi, gx, lib.meshgrid([a, b], indexing="ij"), type(gi[0].grad_fn).__name__, a.grad


@case()
def broadcast_tensors(lib):
    a = _t(lib, [1.0, 2.0, 3.0], requires_grad=True)
    b = _t(lib, [[1.0], [2.0]])
    ra, rb = lib.broadcast_tensors(a, b)
    ra.sum().backward()
    return ra, rb, a.grad, type(ra.grad_fn).__name__


@case()
def repeat_interleave(lib):
    x = _t(lib, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = lib.repeat_interleave(x, 2)
    z = x.repeat_interleave(lib.tensor([1, 3]), dim=0)
    (y.sum() + (z * z).sum()).backward()
    return y, z, x.repeat_interleave(3, dim=1), lib.repeat_interleave(lib.tensor([2, 0, 1])), x.grad


# ---- std_mean, var_mean, diff, take, select --------------------------------------------------
@case()
def std_mean_and_var_mean(lib):
    x = _t(lib, X, requires_grad=True)
    s, m = lib.std_mean(x, dim=1)
    v, m2 = lib.var_mean(x, 0, keepdim=True, correction=0)
    (s * 2 + m * 3).sum().backward()
    g1 = x.grad.clone()
    x.grad = None
    (v.sum() + m2.sum() * 0.5).backward()
    sa, ma = lib.std_mean(x)
    return (s, m, v, m2, sa, ma, g1, x.grad, type(s.grad_fn).__name__, type(m2.grad_fn).__name__)


@case()
def std_mean_of_integers_raises(lib):
    return lib.std_mean(lib.tensor([1, 2]))


@case()
def diff(lib):
    return (
        _grad(lib, lambda x: lib.diff(x), w=[[1.0, 2.0], [3.0, 4.0]]),
        _grad(lib, lambda x: x.diff(n=2, dim=1)),
        lib.diff(_t(lib, [1.0, 4.0]), prepend=_t(lib, [0.0]), append=_t(lib, [9.0, 10.0])),
        lib.diff(lib.tensor([1, 4, 9])),
        lib.diff(lib.tensor([True, False, False])),
    )


@case()
def take_and_select(lib):
    return (
        _grad(lib, lambda x: lib.take(x, lib.tensor([0, 5, 5, -1])), w=[1.0, 2.0, 3.0, 4.0]),
        _grad(lib, lambda x: x.take(lib.tensor([[1, 2]]))),
        _grad(lib, lambda x: lib.select(x, 1, -1)),
        _grad(lib, lambda x: x.select(0, 1), w=[1.0, 2.0, 3.0]),
    )


@case()
def take_out_of_range_raises(lib):
    return lib.take(_t(lib, [1.0, 2.0]), lib.tensor([2]))


@case()
def select_out_of_range_raises(lib):
    return lib.select(_t(lib, X), 0, 2)


# ---- cross, dist, addmm, baddbmm -------------------------------------------------------------
@case()
def cross_product(lib):
    return (
        _binary_grad(lib, lambda a, b: lib.cross(a, b, dim=1), X, [[1.0, 0.5, -2.0]]),
        _binary_grad(lib, lambda a, b: a.cross(b, dim=-1), X, [[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]]),
    )


@case()
def dist_for_several_p(lib):
    b = [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    return (
        _binary_grad(lib, lambda a, c: lib.dist(a, c), X, b),
        _binary_grad(lib, lambda a, c: a.dist(c, p=1), X, b),
        _binary_grad(lib, lambda a, c: lib.dist(a, c, 3), X, b),
        _binary_grad(lib, lambda a, c: lib.dist(a, c, float("inf")), X, b),
    )


@case()
def addmm_and_baddbmm(lib):
    rng = np.random.default_rng(0)
    c = _t(lib, rng.standard_normal((3,)), requires_grad=True)
    a = _t(lib, rng.standard_normal((2, 4)), requires_grad=True)
    b = _t(lib, rng.standard_normal((4, 3)), requires_grad=True)
    y = lib.addmm(c, a, b, beta=0.5, alpha=2.0)
    (y * y).sum().backward()
    C = _t(lib, rng.standard_normal((2, 2, 3)), requires_grad=True)
    A = _t(lib, rng.standard_normal((2, 2, 4)), requires_grad=True)
    B = _t(lib, rng.standard_normal((2, 4, 3)), requires_grad=True)
    z = C.baddbmm(A, B, alpha=0.5)
    (z * z).sum().backward()
    names = type(y.grad_fn).__name__, type(z.grad_fn).__name__
    return y, z, c.grad, a.grad, b.grad, C.grad, A.grad, B.grad, names


@case()
def addmm_with_mismatched_shapes_raises(lib):
    return lib.addmm(lib.zeros(2, 2), lib.zeros(2, 3), lib.zeros(2, 2))


# ---- bincount, searchsorted, bucketize -------------------------------------------------------
@case()
def bincount_searchsorted_bucketize(lib):
    x = lib.tensor([0, 1, 1, 3])
    s = _t(lib, [1.0, 3.0, 5.0, 7.0])
    v = _t(lib, [[3.0, 6.0, 9.0], [0.0, 5.0, 7.0]])
    return (
        lib.bincount(x),
        x.bincount(minlength=6),
        lib.bincount(x, weights=_t(lib, [0.5, 1.0, 1.0, 2.0])),
        lib.searchsorted(s, v),
        lib.searchsorted(s, v, right=True),
        lib.searchsorted(s, v, side="right", out_int32=True),
        lib.searchsorted(_t(lib, [[1.0, 3.0], [2.0, 4.0]]), _t(lib, [[2.0], [5.0]])),
        lib.bucketize(v, s),
        lib.bucketize(v, s, right=True),
        lib.searchsorted(_t(lib, [3.0, 1.0, 2.0]), _t(lib, [2.5]), sorter=lib.tensor([1, 2, 0])),
        lib.bucketize(lib.tensor([1, 5]), lib.tensor([2, 4])),
    )


@case()
def meshgrid_without_indexing_warns(lib):
    return lib.meshgrid(lib.tensor([1, 2]), lib.tensor([3, 4, 5]))


@case()
def bincount_of_negative_values_raises(lib):
    return lib.bincount(lib.tensor([-1, 2]))


# ---- dtype information -----------------------------------------------------------------------
@case()
def finfo_and_iinfo(lib):
    out = []
    for d in (lib.float16, lib.float32, lib.float64):
        f = lib.finfo(d)
        out.append((f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution))
    for d in (lib.uint8, lib.int8, lib.int16, lib.int32, lib.int64):
        i = lib.iinfo(d)
        out.append((i.bits, i.max, i.min))
    out.append(lib.finfo().eps)
    out.append(str(lib.finfo(lib.float32)))
    out.append(str(lib.iinfo(lib.int32)))
    return out


@case()
def finfo_of_an_integer_dtype_raises(lib):
    return lib.finfo(lib.int64)


@case()
def iinfo_of_a_float_dtype_raises(lib):
    return lib.iinfo(lib.float32)


@case()
def promote_types_result_type_can_cast(lib):
    ds = [
        lib.bool,
        lib.uint8,
        lib.int8,
        lib.int16,
        lib.int32,
        lib.int64,
        lib.float16,
        lib.float32,
        lib.float64,
    ]
    pairs = [lib.promote_types(a, b) for a in ds for b in ds]
    casts = [lib.can_cast(a, b) for a in ds for b in ds]
    f, i, b = _t(lib, [1.0]), lib.tensor([1]), lib.tensor([True])
    f0, i0 = lib.tensor(1.0, dtype=lib.float64), lib.tensor(1, dtype=lib.int16)
    results = [
        lib.result_type(f, i),
        lib.result_type(i, 2.5),
        lib.result_type(i, 2),
        lib.result_type(b, 2),
        lib.result_type(b, True),
        lib.result_type(i, f0),
        lib.result_type(f, f0),
        lib.result_type(i0, i),
        lib.result_type(i0, 3.0),
        lib.result_type(2, 3.0),
    ]
    return pairs, casts, results


# ---- rot90, kron, tensordot, cdist -----------------------------------------------------------
@case()
def rot90_all_quarters(lib):
    return (
        _grad(lib, lambda x: lib.rot90(x), w=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        _grad(lib, lambda x: x.rot90(2), w=W),
        _grad(lib, lambda x: lib.rot90(x, -1, [1, 0]), w=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        lib.rot90(lib.arange(8).reshape(2, 2, 2), 3, dims=(1, 2)),
    )


@case()
def rot90_with_equal_dims_raises(lib):
    return lib.rot90(_t(lib, X), 1, (0, 0))


@case()
def kron_of_matrices_and_vectors(lib):
    return (
        _binary_grad(lib, lib.kron, X, [[1.0, -1.0], [0.5, 2.0]])[::2],
        _binary_grad(lib, lambda a, b: a.kron(b), [1.0, 2.0], [3.0, 4.0, 5.0])[::2],
        _binary_grad(lib, lib.kron, X, [2.0, 3.0])[::2],
        lib.kron(lib.tensor([1, 2]), lib.tensor([[1], [2]])),
    )


@case()
def tensordot_with_int_and_list_dims(lib):
    rng = np.random.default_rng(1)
    a = _t(lib, rng.standard_normal((2, 3, 4)))
    b = _t(lib, rng.standard_normal((3, 4, 2)))
    return (
        _binary_grad(lib, lambda x, y: lib.tensordot(x, y, 2), a.numpy(), b.numpy())[::2],
        _binary_grad(lib, lambda x, y: lib.tensordot(x, y, ([1], [0])), a.numpy(), b.numpy())[::2],
        _binary_grad(
            lib, lambda x, y: lib.tensordot(x, y, dims=([0, 2], [2, 1])), a.numpy(), b.numpy()
        )[::2],
        lib.tensordot(a, b, 0).shape,
    )


@case()
def cdist_for_p_1_2_3(lib):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    A, B = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 1, 2))
    return (
        _binary_grad(lib, lib.cdist, a, b),
        _binary_grad(lib, lambda x, y: lib.cdist(x, y, p=1), a, b),
        _binary_grad(lib, lambda x, y: lib.cdist(x, y, 3.0), a, b),
        _binary_grad(lib, lambda x, y: lib.cdist(x, y, float("inf")), a, b),
        _binary_grad(lib, lambda x, y: lib.cdist(x, y, 0), a, b),
        _binary_grad(lib, lib.cdist, A, B),
    )


@case()
def cdist_with_different_columns_raises(lib):
    return lib.cdist(lib.ones(2, 3), lib.ones(2, 2))


# ---- dtypes and edge cases -------------------------------------------------------------------
@case()
def integer_and_half_dtypes(lib):
    return (
        lib.log2(lib.tensor([1, 2, 4], dtype=lib.int32)),
        lib.log2(lib.tensor([1.0, 2.0], dtype=lib.float64)),
        lib.log2(lib.tensor([1.0, 2.0], dtype=lib.float16)),
        lib.log2(lib.tensor([True])),
        lib.atan2(lib.tensor([1, 2]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
        lib.fmod(lib.tensor([5, 7]), 2.5),
        lib.fmax(lib.tensor([1]), lib.tensor([2.5])),
        lib.cumprod(lib.tensor([1, 2], dtype=lib.int32), 0),
        lib.cumprod(lib.tensor([1, 2]), 0, dtype=lib.float64),
        lib.trace(lib.tensor([[1, 2], [3, 4]], dtype=lib.int32)),
        lib.cross(lib.tensor([1, 0, 0]), lib.tensor([0, 1, 0])),
        lib.nan_to_num(lib.tensor([float("inf")], dtype=lib.float16)),
        lib.bincount(lib.tensor([0, 1]), weights=lib.tensor([1.0, 2.0], dtype=lib.float64)),
        lib.bincount(lib.tensor([0, 1]), weights=lib.tensor([1, 2])),
        lib.bincount(lib.tensor([], dtype=lib.int64)),
        lib.einsum("i,i->", lib.tensor([1, 2]), lib.tensor([3, 4])),
    )


@case()
def zero_dim_and_empty_inputs(lib):
    return (
        tuple(lib.sort(lib.tensor(2.0))),
        lib.nonzero(lib.tensor(3.0)),
        lib.nonzero(lib.tensor(3.0), as_tuple=True),
        lib.meshgrid(lib.tensor(1), lib.tensor([3, 4, 5]), indexing="ij"),
        lib.repeat_interleave(lib.tensor(3.0), 2),
        lib.frac(lib.tensor(-1.5)),
        tuple(lib.topk(lib.tensor([1.0, 2.0]), 0)),
        lib.median(lib.tensor([3, 1, 2, 5])),
        lib.std_mean(lib.tensor([1.0, 2.0, 4.0]), unbiased=False),
    )


@case()
def sort_of_ties_is_stable_and_nan_is_largest(lib):
    nan = float("nan")
    x = _t(lib, [2.0, 1.0, 2.0, 1.0])
    return (
        tuple(lib.sort(x, stable=True)),
        lib.argsort(x, stable=True),
        tuple(lib.sort(lib.tensor([True, False, True]), descending=True)),
        lib.median(_t(lib, [1.0, nan, 2.0])),
        tuple(lib.median(_t(lib, [[1.0, nan, 2.0], [3.0, 1.0, 2.0]]), 1)),
        _grad(lib, lambda x: lib.median(x), [1.0, nan, 2.0]),
    )


@case()
def einsum_with_ellipsis(lib):
    rng = np.random.default_rng(4)
    return (
        _binary_grad(
            lib,
            lambda a, b: lib.einsum("...ij,...jk->...ik", a, b),
            rng.standard_normal((2, 2, 3)),
            rng.standard_normal((2, 3, 2)),
        )[::2],
        _grad(lib, lambda x: lib.einsum("...ij->...ji", x))[::2],
        _grad(lib, lambda x: lib.einsum("b...->...", x))[::2],
        _grad(lib, lambda x: lib.einsum("...", x))[::2],
    )


@case()
def in_place_versions(lib):
    res = []
    for name in ["log2", "log10", "exp2", "sinh", "cosh", "tan", "asin", "acos", "atan", "frac"]:
        x = _t(lib, [0.3, 0.5], requires_grad=True)
        y = x * 1
        getattr(y, name + "_")()
        y.sum().backward()
        res.append((name, y, x.grad, type(y.grad_fn).__name__))
    for name in ["atan2", "hypot", "fmod"]:
        x = _t(lib, [0.3, 0.5], requires_grad=True)
        y = x * 1
        getattr(y, name + "_")(_t(lib, [1.5, 2.0]))
        y.sum().backward()
        res.append((name, y, x.grad, type(y.grad_fn).__name__))
    return res


@case()
def in_place_log2_of_integers_raises(lib):
    return lib.tensor([1, 2]).log2_()


def _modified_after_use(lib, fn):
    x = _t(lib, [[0.3, 0.5], [0.2, 0.4]], requires_grad=True)
    h = x * 1
    y = fn(h)
    h.add_(1)
    y.sum().backward()


@case(message="modified by an inplace operation")
def log2_input_modified_before_backward_raises(lib):
    _modified_after_use(lib, lambda h: h.log2())


@case(message="modified by an inplace operation")
def tan_output_modified_before_backward_raises(lib):
    x = _t(lib, [0.3, 0.5], requires_grad=True)
    y = (x * 1).tan()
    y.mul_(2)
    y.sum().backward()


@case(message="modified by an inplace operation")
def cumprod_input_modified_before_backward_raises(lib):
    _modified_after_use(lib, lambda h: h.cumprod(0))


@case(message="modified by an inplace operation")
def atan2_input_modified_before_backward_raises(lib):
    _modified_after_use(lib, lambda h: lib.atan2(h, h * 2))


@case()
def sort_input_modified_before_backward_is_fine(lib):
    x = _t(lib, [[0.3, 0.5], [0.2, 0.4]], requires_grad=True)
    h = x * 1
    y = h.sort(1).values
    h.add_(1)
    (y * _t(lib, [[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return x.grad


@case()
def unique_records_a_node_without_derivative(lib):
    x = _t(lib, [[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    r = lib.unique(x, return_inverse=True, return_counts=True)
    d = lib.unique(x, dim=0)
    names = [type(t.grad_fn).__name__ for t in r], type(d.grad_fn).__name__
    return names, [t.requires_grad for t in r], d.requires_grad


@case(message="equal")
def backward_through_unique_raises(lib):
    lib.unique(_t(lib, [1.0, 2.0, 1.0], requires_grad=True)).sum().backward()


# ---- logaddexp, xlogy, addcmul, addcdiv, nansum, nanmean, aliases ----------------------------
@case()
def logaddexp_and_xlogy(lib):
    b = [[0.5, 2.0, 1.0], [3.0, 0.1, 1.5]]
    return (
        _binary_grad(lib, lib.logaddexp, X, [1.0, -2.0, 0.5]),
        _binary_grad(lib, lambda a, c: a.xlogy(c), [[0.0, 1.0, 2.0], [3.0, 0.0, 0.5]], b),
        _grad(lib, lambda x: lib.xlogy(x, 2.0)),
        _grad(lib, lambda x: lib.xlogy(2.0, x), POS),
        lib.xlogy(lib.tensor([0, 1]), lib.tensor([0, 2])),
    )


@case()
def addcmul_and_addcdiv(lib):
    rng = np.random.default_rng(5)
    x, t1, t2 = rng.standard_normal((2, 3)), rng.standard_normal((3,)), rng.random((2, 1)) + 0.5

    def three(fn):
        ts = [_t(lib, v, requires_grad=True) for v in (x, t1, t2)]
        y = fn(*ts)
        (y * y).sum().backward()
        return y, type(y.grad_fn).__name__, [t.grad for t in ts]

    return (
        three(lambda a, b, c: lib.addcmul(a, b, c, value=0.5)),
        three(lambda a, b, c: a.addcdiv(b, c, value=-2)),
        three(lambda a, b, c: lib.addcdiv(a, b, c)),
    )


@case()
def addcdiv_of_integers_raises(lib):
    return lib.addcdiv(lib.tensor([1]), lib.tensor([1]), lib.tensor([2]))


@case()
def nansum_nanmean_and_aliases(lib):
    nan = float("nan")
    v = [[1.0, nan, 3.0], [nan, nan, 2.0]]
    return (
        _grad(lib, lambda x: lib.nansum(x), v),
        _grad(lib, lambda x: x.nansum(1, keepdim=True), v),
        _grad(lib, lambda x: lib.nanmean(x, 0), v, w=[1.0, 2.0, 3.0])[::2],
        lib.nanmean(_t(lib, v)),
        lib.nansum(lib.tensor([1, 2])),
        _grad(lib, lambda x: x.msort(), w=W),
        _grad(lib, lambda x: x.ravel(), w=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        _grad(lib, lambda x: x.swapdims(0, 1), w=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        lib.moveaxis(lib.ones(2, 3, 4), 0, -1).shape,
        lib.tril_indices(3, 3),
        lib.triu_indices(3, 2, 1),
        lib.tril_indices(4, 3, -1, dtype=lib.int32),
        lib.isin(lib.tensor([1, 2, 3]), lib.tensor([2, 5])),
        lib.isin(lib.tensor([1, 2, 3]), 2, invert=True),
    )


@case()
def nanmean_of_integers_raises(lib):
    return lib.nanmean(lib.tensor([1, 2]))


# ---- deg2rad, logit, sinc, sgn, clamp_min/max, cummax/cummin, logcumsumexp, diag_embed -------
@case()
def more_unary_functions(lib):
    return (
        _grad(lib, lib.deg2rad),
        _grad(lib, lambda x: x.rad2deg()),
        _grad(lib, lib.sinc, [[0.0, 0.5, -1.5], [2.2, -0.3, 1.0]]),
        _grad(lib, lambda x: lib.logit(x), [[0.3, 0.7, 0.6], [0.2, 0.1, 0.9]]),
        _grad(lib, lambda x: x.logit(0.25), [[0.3, 0.7, 0.6], [0.2, 0.1, 0.9]]),
        _grad(lib, lib.sgn)[:2],  # torch's gradient is a ZeroTensor that numpy() refuses
        lib.deg2rad(lib.tensor([180])),
        lib.sgn(lib.tensor([-2, 0, 3])),
        lib.sgn(lib.tensor([True, False])),
    )


@case()
def clamp_min_and_clamp_max(lib):
    return (
        _grad(lib, lambda x: lib.clamp_min(x, 0.5)),
        _grad(lib, lambda x: x.clamp_max(0.9)),
        lib.clamp_min(lib.tensor([1, 5]), 3),
        lib.clamp_min(lib.tensor([1, 5]), 2.5),
        lib.clamp_max(lib.tensor([1.0, 5.0]), lib.tensor([2.0, 2.0])),
    )


@case()
def cummax_cummin_logcumsumexp(lib):
    v = [[0.3, 1.7, -0.6, 2.0], [2.2, -1.1, 0.9, 3.0]]
    r = lib.cummax(_t(lib, v), 1)
    m = _t(lib, v).cummin(0)
    return (
        r.values,
        r.indices,
        m.values,
        m.indices,
        _grad(lib, lambda x: lib.cummax(x, 1), v, w=[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]),
        _grad(lib, lambda x: x.cummin(1), v, w=[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]),
        _grad(
            lib, lambda x: lib.logcumsumexp(x, 1), v, w=[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]
        ),
        _grad(lib, lambda x: x.logcumsumexp(0), v),
        tuple(lib.cummax(lib.tensor([1, 3, 2, 3]), 0)),
    )


@case()
def diag_embed_of_batches(lib):
    return (
        _grad(lib, lambda x: lib.diag_embed(x), w=np.arange(18.0).reshape(2, 3, 3)),
        _grad(lib, lambda x: x.diag_embed(1), w=np.arange(32.0).reshape(2, 4, 4)),
        _grad(lib, lambda x: x.diag_embed(-1), w=np.arange(32.0).reshape(2, 4, 4)),
    )


@pytest.mark.parametrize(("snippet", "message", "warns"), CASES)
def test_same_on_both(snippet, message, warns):
    same(snippet, message=message, warns=warns)


# ---- finite differences (float64) ------------------------------------------------------------
_rng = np.random.default_rng(3)
A23 = np.array(X, dtype=np.float64)
GRADCHECKS = {
    "log2": (lambda x: d2lmods.log2(x), [np.array(POS)]),
    "log10": (lambda x: x.log10(), [np.array(POS)]),
    "exp2": (lambda x: d2lmods.exp2(x), [A23]),
    "sinh": (lambda x: x.sinh(), [A23]),
    "cosh": (lambda x: x.cosh(), [A23]),
    "tan": (lambda x: x.tan(), [A23 * 0.5]),
    "asin": (lambda x: x.asin(), [np.array(UNIT)]),
    "acos": (lambda x: x.acos(), [np.array(UNIT)]),
    "atan": (lambda x: x.atan(), [A23]),
    "asinh": (lambda x: x.asinh(), [A23]),
    "acosh": (lambda x: x.acosh(), [A23 * A23 + 1.2]),
    "atanh": (lambda x: d2lmods.atanh(x), [np.array(UNIT)]),
    "frac": (lambda x: x.frac(), [A23 + 0.05]),
    "atan2": (lambda a, b: d2lmods.atan2(a, b), [A23, np.array([[1.0], [-2.0]])]),
    "hypot": (lambda a, b: d2lmods.hypot(a, b), [A23, np.array([0.5, -1.5, 2.0])]),
    "fmod": (lambda a, b: d2lmods.fmod(a, b), [A23, np.array([0.7, 2.5, -0.8])]),
    "fmax": (lambda a, b: d2lmods.fmax(a, b), [A23, np.array([0.0, 0.0, 0.0])]),
    "lerp": (
        lambda a, e, w: d2lmods.lerp(a, e, w),
        [A23, A23[::-1].copy(), np.array([0.2, 0.7, 1.3])],
    ),
    "cumprod": (lambda x: x.cumprod(1), [A23]),
    "cumprod_zeros": (lambda x: x.cumprod(1), [np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]])]),
    "sort": (lambda x: x.sort(1).values, [A23]),
    "topk": (lambda x: x.topk(2, 0, largest=False).values, [A23]),
    "kthvalue": (lambda x: x.kthvalue(2).values, [A23]),
    "median": (lambda x: x.median(dim=0).values, [_rng.standard_normal((3, 2))]),
    "diag_vector": (lambda x: d2lmods.diag(x, -1), [np.array([1.0, 2.0])]),
    "diag_matrix": (lambda x: x.diag(1), [A23]),
    "trace": (lambda x: x.trace(), [A23]),
    "einsum_mm": (lambda a, b: d2lmods.einsum("ij,jk->ik", a, b), [A23, A23.T.copy()]),
    "einsum_diag": (lambda a: d2lmods.einsum("ii->i", a), [_rng.standard_normal((3, 3))]),
    "einsum_outer_sum": (lambda a, b: d2lmods.einsum("ij,k->k", a, b), [A23, np.ones(2)]),
    "std_mean": (
        lambda x: sum(t.sum() * (i + 1) for i, t in enumerate(d2lmods.std_mean(x, 1))),
        [A23],
    ),
    "var_mean": (lambda x: d2lmods.var_mean(x, 0)[0] + d2lmods.var_mean(x, 0)[1], [A23]),
    "take": (lambda x: x.take(d2lmods.tensor([0, 5, 5])), [A23]),
    "cross": (lambda a, b: d2lmods.cross(a, b, dim=1), [A23, np.array([[1.0, 0.5, -2.0]])]),
    "dist": (lambda a, b: d2lmods.dist(a, b, 3), [A23, np.ones((2, 3))]),
    "addmm": (
        lambda c, a, b: d2lmods.addmm(c, a, b, beta=0.5, alpha=2.0),
        [np.ones(2), A23, A23.T.copy()],
    ),
    "baddbmm": (
        lambda c, a, b: d2lmods.baddbmm(c, a, b),
        [np.ones((1, 2, 2)), A23[None], A23.T.copy()[None]],
    ),
    "repeat_interleave": (lambda x: x.repeat_interleave(d2lmods.tensor([2, 1]), dim=0), [A23]),
    "diff": (lambda x: x.diff(dim=1), [A23]),
    "rot90": (lambda x: x.rot90(1, [1, 0]), [A23]),
    "kron": (lambda a, b: d2lmods.kron(a, b), [A23, np.array([[1.0, -1.0], [0.5, 2.0]])]),
    "tensordot": (lambda a, b: d2lmods.tensordot(a, b, ([0], [1])), [A23, A23.T.copy()]),
    "cdist": (lambda a, b: d2lmods.cdist(a, b), [A23, _rng.standard_normal((4, 3))]),
    "einsum_ellipsis": (
        lambda a: d2lmods.einsum("...ij->...j", a),
        [_rng.standard_normal((2, 2, 3))],
    ),
    "median_all": (lambda x: x.median(), [_rng.standard_normal((2, 3))]),
    "cdist_inf": (
        lambda a, b: d2lmods.cdist(a, b, float("inf")),
        [A23, _rng.standard_normal((4, 3))],
    ),
    "logaddexp": (lambda a, b: d2lmods.logaddexp(a, b), [A23, np.array([1.0, -2.0, 0.5])]),
    "xlogy": (lambda a, b: d2lmods.xlogy(a, b), [A23, np.array(POS)]),
    "addcmul": (
        lambda a, b, c: d2lmods.addcmul(a, b, c, value=0.5),
        [A23, A23 + 1, np.ones(3) * 2],
    ),
    "addcdiv": (lambda a, b, c: d2lmods.addcdiv(a, b, c, value=0.5), [A23, A23 + 1, np.array(POS)]),
    "nansum": (lambda x: x.nansum(0), [A23]),
    "sinc": (lambda x: x.sinc(), [A23]),
    "logit": (lambda x: x.logit(), [np.array(POS) / 3]),
    "cummax": (lambda x: x.cummax(1).values, [A23]),
    "logcumsumexp": (lambda x: x.logcumsumexp(1), [A23]),
    "diag_embed": (lambda x: x.diag_embed(1), [A23]),
    "cdist_p3": (lambda a, b: d2lmods.cdist(a, b, 3), [A23, _rng.standard_normal((4, 3))]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradient_matches_finite_differences(name):
    fn, arrays = GRADCHECKS[name]
    fd_check(fn, [np.asarray(a, np.float64) for a in arrays])


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        pytest.param(
            lambda lib: lib.lerp(lib.tensor([1]), lib.tensor([2]), 0.5), "equal", id="lerp_int"
        ),
        pytest.param(lambda lib: lib.einsum("ij->i", lib.ones(2)), "equal", id="einsum_dims"),
        pytest.param(lambda lib: lib.cumprod(lib.ones(2), 3), None, id="cumprod_dim"),
        pytest.param(lambda lib: lib.diag(lib.ones(2, 2, 2)), "equal", id="diag_3d"),
        pytest.param(lambda lib: lib.kthvalue(lib.ones(2), 3), "equal", id="kthvalue_k"),
        pytest.param(
            lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="ij"),
            "Expected 0D or 1D tensor",
            id="meshgrid_2d",
        ),
        pytest.param(
            lambda lib: lib.repeat_interleave(lib.ones(3), lib.tensor([1, 2])),
            "equal",
            id="repeats",
        ),
        pytest.param(
            lambda lib: lib.cross(lib.ones(2, 2), lib.ones(2, 2), dim=1), "equal", id="cross_len"
        ),
        pytest.param(lambda lib: lib.broadcast_tensors(lib.ones(2), lib.ones(3)), None, id="bcast"),
        pytest.param(lambda lib: lib.hypot(lib.ones(2), 2.0), "equal", id="hypot_number"),
        pytest.param(
            lambda lib: lib.hypot(lib.tensor([3]), lib.tensor([4])), "equal", id="hypot_int"
        ),
        pytest.param(lambda lib: lib.diff(lib.tensor(1.0)), "equal", id="diff_0d"),
        pytest.param(
            lambda lib: lib.dist(lib.tensor([1]), lib.tensor([3])), "equal", id="dist_int"
        ),
        pytest.param(lambda lib: lib.iinfo(lib.bool), "equal", id="iinfo_bool"),
        pytest.param(lambda lib: lib.fmod(lib.tensor([5, 7]), 0), None, id="fmod_int_by_zero"),
        pytest.param(lambda lib: lib.rot90(lib.ones(2)), "equal", id="rot90_1d"),
        pytest.param(lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(2, 2), 1), None, id="tdot"),
        pytest.param(lambda lib: lib.cdist(lib.ones(2), lib.ones(2, 2)), None, id="cdist_1d"),
        pytest.param(lambda lib: lib.bincount(lib.tensor([[1]])), None, id="bincount_2d"),
        pytest.param(lambda lib: lib.take(lib.ones(2), lib.tensor([0.0])), None, id="take_float"),
        pytest.param(lambda lib: lib.select(lib.tensor(1.0), 0, 0), None, id="select_0d"),
        pytest.param(lambda lib: lib.trace(lib.tensor([[True]])), "equal", id="trace_bool"),
        pytest.param(lambda lib: lib.einsum(123, lib.ones(2)), "equal", id="einsum_equation_type"),
        pytest.param(lambda lib: lib.einsum("i->i", [1, 2]), "equal", id="einsum_operand_type"),
        pytest.param(
            lambda lib: lib.einsum("i,i->i", lib.ones(2), lib.ones(3)), "equal", id="einsum_sizes"
        ),
        pytest.param(lambda lib: lib.einsum("i->j", lib.ones(2)), "equal", id="einsum_output"),
        pytest.param(lambda lib: lib.diag(lib.ones(2), 1.5), "equal", id="diag_float_offset"),
        pytest.param(lambda lib: lib.take(lib.ones(3), [0]), "equal", id="take_list"),
        pytest.param(lambda lib: lib.select(lib.ones(3), 0, 1.5), "equal", id="select_float"),
        pytest.param(lambda lib: lib.nonzero([1, 0]), "equal", id="nonzero_list"),
        pytest.param(
            lambda lib: lib.cross(lib.ones(2, 3), lib.ones(3, 3), dim=1), "start", id="cross_bcast"
        ),
        pytest.param(
            lambda lib: lib.baddbmm(lib.ones(2, 2), lib.ones(2, 2), lib.ones(2, 2)),
            None,
            id="bmm2d",
        ),
        pytest.param(lambda lib: lib.bincount(lib.ones(2)), "equal", id="bincount_float"),
        pytest.param(lambda lib: lib.finfo("float32"), "equal", id="finfo_str"),
        pytest.param(lambda lib: lib.topk(lib.ones(3), 2.5), None, id="topk_float_k"),
        pytest.param(lambda lib: lib.kthvalue(lib.ones(3), 0), None, id="kthvalue_0"),
        pytest.param(lambda lib: lib.rot90(lib.ones(2, 2), 1, [0, 1, 1]), "equal", id="rot90_dims"),
        pytest.param(
            lambda lib: lib.cdist(lib.ones(2, 2), lib.ones(2, 2), -1), "equal", id="cdist_p"
        ),
        pytest.param(lambda lib: lib.atan2(lib.ones(2), 2.0), "equal", id="atan2_number"),
    ],
)
def test_bad_input_raises_like_torch(snippet, message):
    same(snippet, message=message)


def test_names_are_where_torch_has_them():
    """Each function is ``torch.f`` in both libraries, and a ``Tensor`` method exactly where torch
    has one."""
    torch = pytest.importorskip("torch")
    from d2lmods.ops import more_math

    for name in more_math.__all__:
        assert hasattr(torch, name), name
        assert hasattr(d2lmods, name), name
        assert hasattr(d2lmods.Tensor, name) == hasattr(torch.Tensor, name), name
