"""The differentiable ops under test, written once for both libraries.

Each case is ``Case(name, fn, shapes, kind)``: ``fn(lib, *tensors)`` runs the op with ``lib``
being ``d2lmods`` or ``torch`` (same code for both), ``shapes`` are the input shapes and ``kind``
picks how inputs are drawn ("any": standard normal, "pos": positive, "dist": well separated
values so max/sort-like ops have no ties within finite-difference steps).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Case:
    name: str
    fn: object
    shapes: tuple
    kind: str = "any"

    def __repr__(self):
        return self.name


def _ops(lib):
    """Module with linear/conv2d/...: torch.nn.functional, or d2lmods.ops."""
    if lib.__name__ == "torch":
        return lib.nn.functional
    import d2lmods.ops

    return d2lmods.ops


def _t(lib, values, dtype="int64"):
    return lib.tensor(np.asarray(values), dtype=getattr(lib, dtype))


CASES = [
    # arithmetic with broadcasting
    Case("add", lambda L, a, b: a + b, ((3, 4), (4,))),
    Case("add_scalar", lambda L, a: 2.5 + a, ((3,),)),
    Case("add_alpha", lambda L, a, b: L.add(a, b, alpha=2), ((2, 3), (2, 1))),
    Case("sub", lambda L, a, b: a - b, ((3, 1), (1, 4))),
    Case("rsub", lambda L, a: 2 - a, ((3,),)),
    Case("mul", lambda L, a, b: a * b, ((2, 3, 4), (3, 1))),
    Case("mul_scalar", lambda L, a: a * 3, ((2, 3),)),
    Case("div", lambda L, a, b: a / b, ((3, 4), (4,)), "pos"),
    Case("div_scalar", lambda L, a: a / 4, ((3,),)),
    Case("rdiv", lambda L, a: 2 / a, ((3,),), "pos"),
    Case("pow_scalar", lambda L, a: a**3, ((2, 3),)),
    Case("pow_half", lambda L, a: a**0.5, ((4,),), "pos"),
    Case("pow_tensor", lambda L, a, b: a**b, ((3,), (3,)), "pos"),
    Case("rpow", lambda L, a: 2**a, ((4,),)),
    Case("neg", lambda L, a: -a, ((3,),)),
    Case("remainder", lambda L, a, b: a % (b + 1), ((3, 4), (4,)), "pos"),
    Case("remainder_scalar", lambda L, a: a % 0.7, ((3, 4),), "pos"),
    Case("self_reuse", lambda L, a: a * a + a, ((3,),)),
    # math and activations
    Case("exp", lambda L, a: a.exp(), ((3, 2),)),
    Case("log", lambda L, a: a.log(), ((3,),), "pos"),
    Case("sqrt", lambda L, a: L.sqrt(a), ((3,),), "pos"),
    Case("abs", lambda L, a: a.abs(), ((5,),), "dist"),
    Case("tanh", lambda L, a: a.tanh(), ((3, 4),)),
    Case("sigmoid", lambda L, a: L.sigmoid(a), ((3, 4),)),
    Case("relu", lambda L, a: L.relu(a), ((3, 4),), "dist"),
    Case("clamp", lambda L, a: a.clamp(-0.5, 0.5), ((6,),), "dist"),
    Case("clamp_min", lambda L, a: a.clamp(min=0.1), ((6,),), "dist"),
    Case("maximum", lambda L, a, b: L.maximum(a, b), ((3, 4), (4,)), "dist"),
    Case("minimum", lambda L, a, b: L.minimum(a, b), ((3, 4), (3, 1)), "dist"),
    Case("where", lambda L, a, b: L.where(a > 0, a, b), ((3, 4), (4,)), "dist"),
    Case("sin_cos", lambda L, a: a.sin() * a.cos(), ((4,),)),
    Case("rsqrt", lambda L, a: a.rsqrt(), ((3,),), "pos"),
    Case("reciprocal", lambda L, a: a.reciprocal(), ((3,),), "pos"),
    Case("log1p", lambda L, a: a.log1p(), ((3,),), "pos"),
    Case("expm1", lambda L, a: a.expm1(), ((3,),)),
    Case("erf", lambda L, a: L.erf(a), ((4,),)),
    Case("square", lambda L, a: L.square(a), ((3,),)),
    # reductions
    Case("sum", lambda L, a: a.sum(), ((3, 4),)),
    Case("sum_dim", lambda L, a: a.sum(1), ((3, 4),)),
    Case("sum_keepdim", lambda L, a: a.sum(0, keepdim=True), ((3, 4),)),
    Case("sum_dims", lambda L, a: a.sum((0, 2)), ((2, 3, 4),)),
    Case("mean", lambda L, a: a.mean(), ((3, 4),)),
    Case("mean_dim", lambda L, a: a.mean(-1, keepdim=True), ((3, 4),)),
    Case("max", lambda L, a: a.max(), ((3, 4),), "dist"),
    Case("max_dim", lambda L, a: a.max(1)[0], ((3, 4),), "dist"),
    Case("max_dim_keep", lambda L, a: a.max(0, keepdim=True).values, ((3, 4),), "dist"),
    Case("min", lambda L, a: a.min(), ((3, 4),), "dist"),
    Case("min_dim", lambda L, a: a.min(dim=1)[0], ((3, 4),), "dist"),
    Case("amax", lambda L, a: a.amax(0), ((3, 4),), "dist"),
    Case("var", lambda L, a: a.var(), ((3, 4),)),
    Case("var_dim", lambda L, a: a.var(0, unbiased=False), ((3, 4),)),
    Case("std", lambda L, a: a.std(1, keepdim=True), ((3, 4),)),
    Case("prod", lambda L, a: a.prod(1), ((3, 4),)),
    Case("logsumexp", lambda L, a: a.logsumexp(1), ((3, 4),)),
    Case("norm", lambda L, a: a.norm(), ((3, 4),)),
    Case("norm_dim", lambda L, a: a.norm(dim=1, keepdim=True), ((3, 4),)),
    Case("norm_p1", lambda L, a: a.norm(p=1, dim=0), ((3, 4),), "dist"),
    Case("logsumexp_dims", lambda L, a: a.logsumexp((0, 1)), ((3, 4),)),
    # shape ops
    Case("reshape", lambda L, a: a.reshape(4, 3) * 1.5, ((3, 4),)),
    Case("view", lambda L, a: a.view(-1), ((3, 4),)),
    Case("flatten", lambda L, a: a.flatten(1), ((2, 3, 4),)),
    Case("permute", lambda L, a: a.permute(2, 0, 1), ((2, 3, 4),)),
    Case("transpose", lambda L, a: a.transpose(0, 2), ((2, 3, 4),)),
    Case("T", lambda L, a: a.T, ((3, 4),)),
    Case("t", lambda L, a: a.t(), ((3, 4),)),
    Case("unsqueeze", lambda L, a: a.unsqueeze(1), ((3, 4),)),
    Case("squeeze", lambda L, a: a.squeeze(1), ((3, 1, 4),)),
    Case("squeeze_all", lambda L, a: a.squeeze(), ((3, 1, 4),)),
    Case("expand", lambda L, a: a.expand(2, 3, 4), ((3, 1),)),
    Case("reshape_after_permute", lambda L, a: a.permute(1, 0).reshape(-1), ((3, 4),)),
    Case("contiguous", lambda L, a: a.T.contiguous(), ((3, 4),)),
    Case("clone", lambda L, a: a.clone(), ((3,),)),
    Case("flip", lambda L, a: a.flip(0), ((3, 2),)),
    Case("repeat", lambda L, a: a.repeat(2, 3), ((2, 2),)),
    # indexing
    Case("select", lambda L, a: a[1], ((3, 4),)),
    Case("slice", lambda L, a: a[:, 1:3], ((3, 4),)),
    Case(
        "step_slice",
        lambda L, a: a[::2, ::-1] if L.__name__ != "torch" else a[::2].flip(1),
        ((5, 4),),
    ),
    Case("ellipsis", lambda L, a: a[..., 0], ((2, 3, 4),)),
    Case("none_index", lambda L, a: a[None, 1:], ((3, 4),)),
    Case("advanced_repeat", lambda L, a: a[_t(L, [0, 0, 2])], ((3, 4),)),
    Case("advanced_pair", lambda L, a: a[_t(L, [0, 2, 2]), _t(L, [1, 1, 3])], ((3, 4),)),
    Case("mask", lambda L, a: a[a > 0], ((3, 4),), "dist"),
    Case("gather", lambda L, a: a.gather(1, _t(L, [[0, 0], [1, 3], [2, 2]])), ((3, 4),)),
    Case("index_select", lambda L, a: a.index_select(0, _t(L, [2, 0, 2])), ((3, 4),)),
    Case("masked_fill", lambda L, a: a.masked_fill(a > 0, 0.5), ((3, 4),), "dist"),
    # joining / splitting
    Case("cat", lambda L, a, b: L.cat([a, b], 1), ((3, 4), (3, 2))),
    Case("cat_same", lambda L, a: L.cat([a, a * 2], 0), ((2, 3),)),
    Case("stack", lambda L, a, b: L.stack([a, b], 1), ((3, 4), (3, 4))),
    Case("split", lambda L, a: a.split(2)[1] * a.split(2)[2].sum(), ((5, 2),)),
    Case("split_sizes", lambda L, a: a.split([1, 3], 1)[1], ((2, 4),)),
    Case("chunk", lambda L, a: a.chunk(2, 1)[0], ((5, 4),)),
    Case("unbind", lambda L, a: a.unbind(1)[2], ((3, 4),)),
    # products
    Case("mm", lambda L, a, b: a @ b, ((3, 4), (4, 2))),
    Case("mm_fn", lambda L, a, b: L.mm(a, b), ((3, 4), (4, 2))),
    Case("bmm", lambda L, a, b: L.bmm(a, b), ((2, 3, 4), (2, 4, 2))),
    Case("matmul_batched", lambda L, a, b: a @ b, ((2, 3, 4), (2, 4, 2))),
    Case("matmul_broadcast", lambda L, a, b: a @ b, ((2, 3, 4), (4, 2))),
    Case("mv", lambda L, a, b: a @ b, ((3, 4), (4,))),
    Case("dot", lambda L, a, b: L.dot(a, b), ((4,), (4,))),
    Case("vecmat", lambda L, a, b: a @ b, ((4,), (4, 3))),
    # nn primitives
    Case("softmax", lambda L, a: L.softmax(a, 1), ((3, 4),)),
    Case("softmax_dim0", lambda L, a: a.softmax(0), ((3, 4),)),
    Case("log_softmax", lambda L, a: L.log_softmax(a, -1), ((3, 4),)),
    Case("log_softmax_3d", lambda L, a: a.log_softmax(1), ((2, 3, 4),)),
    Case("embedding", lambda L, w: L.nn.functional.embedding(_t(L, [[0, 2, 2], [3, 0, 1]]), w),
         ((4, 3),)),
    Case("linear", lambda L, x, w, b: _ops(L).linear(x, w, b), ((5, 4), (3, 4), (3,))),
    Case("linear_nobias", lambda L, x, w: _ops(L).linear(x, w), ((5, 4), (3, 4))),
    Case("linear_3d", lambda L, x, w, b: _ops(L).linear(x, w, b), ((2, 5, 4), (3, 4), (3,))),
    Case("linear_1d", lambda L, x, w, b: _ops(L).linear(x, w, b), ((4,), (3, 4), (3,))),
    Case("cross_entropy", lambda L, x: _ops(L).cross_entropy(x, _t(L, [0, 2, 1])), ((3, 4),)),
    Case(
        "cross_entropy_sum",
        lambda L, x: _ops(L).cross_entropy(x, _t(L, [0, 2, 1]), reduction="sum"),
        ((3, 4),),
    ),
    Case(
        "cross_entropy_none",
        lambda L, x: _ops(L).cross_entropy(x, _t(L, [3, 2, 1]), reduction="none"),
        ((3, 4),),
    ),
    Case(
        "cross_entropy_ignore",
        lambda L, x: _ops(L).cross_entropy(x, _t(L, [0, -100, 1])),
        ((3, 4),),
    ),
    Case(
        "cross_entropy_spatial",
        lambda L, x: _ops(L).cross_entropy(x, _t(L, [[0, 2], [1, 1]])),
        ((2, 3, 2),),
    ),
    Case(
        "cross_entropy_weight",
        lambda L, x: _ops(L).cross_entropy(
            x, _t(L, [0, 2, 1]), weight=L.tensor([1.0, 2.0, 0.5, 1.0]).to(x.dtype)
        ),
        ((3, 4),),
    ),
    Case(
        "cross_entropy_smoothing",
        lambda L, x: _ops(L).cross_entropy(x, _t(L, [0, 2, 1]), label_smoothing=0.2),
        ((3, 4),),
    ),
    Case(
        "cross_entropy_probs",
        lambda L, x, p: _ops(L).cross_entropy(x, p.softmax(1)),
        ((3, 4), (3, 4)),
    ),
    Case("nll_loss", lambda L, x: _ops(L).nll_loss(x, _t(L, [0, 2, 1])), ((3, 4),)),
    Case(
        "conv2d",
        lambda L, x, w, b: _ops(L).conv2d(x, w, b, padding=1),
        ((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
    ),
    Case(
        "conv2d_stride_dilation",
        lambda L, x, w: _ops(L).conv2d(x, w, stride=2, padding=2, dilation=2),
        ((2, 3, 7, 6), (4, 3, 3, 2)),
    ),
    Case(
        "conv2d_groups",
        lambda L, x, w: _ops(L).conv2d(x, w, groups=2),
        ((1, 4, 5, 5), (6, 2, 3, 3)),
    ),
    Case(
        "conv2d_same",
        lambda L, x, w: _ops(L).conv2d(x, w, padding="same"),
        ((1, 2, 5, 5), (3, 2, 2, 2)),
    ),
    Case("conv2d_unbatched", lambda L, x, w: _ops(L).conv2d(x, w), ((2, 5, 5), (3, 2, 3, 3))),
    Case(
        "conv2d_lenet_first",  # one input channel, padding 2, as in LeNet's first layer
        lambda L, x, w, b: _ops(L).conv2d(x, w, b, padding=2),
        ((2, 1, 6, 5), (3, 1, 5, 5), (3,)),
    ),
    Case("conv2d_1x1", lambda L, x, w: _ops(L).conv2d(x, w), ((2, 3, 4, 5), (4, 3, 1, 1))),
    Case(
        "conv2d_few_positions",  # fewer output positions than channels: one product
        lambda L, x, w, b: _ops(L).conv2d(x, w, b, stride=2, padding=1),
        ((2, 3, 4, 4), (10, 3, 3, 3), (10,)),
    ),
    Case(
        "conv2d_1x1_stride2",
        lambda L, x, w, b: _ops(L).conv2d(x, w, b, stride=2),
        ((2, 3, 5, 5), (4, 3, 1, 1), (4,)),
    ),
    Case("max_pool2d", lambda L, x: _ops(L).max_pool2d(x, 2), ((2, 3, 6, 6),), "dist"),
    Case("max_pool2d_pad", lambda L, x: _ops(L).max_pool2d(x, 3, 2, 1), ((2, 3, 7, 6),), "dist"),
    Case("max_pool2d_3x3_s2", lambda L, x: _ops(L).max_pool2d(x, 3, 2), ((2, 3, 7, 6),), "dist"),
    Case("max_pool2d_2x2_s1", lambda L, x: _ops(L).max_pool2d(x, 2, 1), ((1, 2, 5, 4),), "dist"),
    Case(
        "max_pool2d_ceil",
        lambda L, x: _ops(L).max_pool2d(x, 3, 2, ceil_mode=True),
        ((1, 2, 8, 6),),
        "dist",
    ),
    Case("avg_pool2d", lambda L, x: _ops(L).avg_pool2d(x, 2), ((2, 3, 6, 6),)),
    Case("avg_pool2d_pad", lambda L, x: _ops(L).avg_pool2d(x, 3, 2, 1), ((2, 3, 7, 6),)),
    Case("avg_pool2d_tiles_2x3", lambda L, x: _ops(L).avg_pool2d(x, (2, 3)), ((2, 3, 4, 6),)),
    Case("avg_pool2d_leftover", lambda L, x: _ops(L).avg_pool2d(x, 2), ((1, 2, 5, 7),)),
    Case(
        "avg_pool2d_nopadcount",
        lambda L, x: _ops(L).avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        ((2, 3, 7, 6),),
    ),
    Case(
        "avg_pool2d_ceil",
        lambda L, x: _ops(L).avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        ((1, 2, 8, 6),),
    ),
    Case(
        "avg_pool2d_divisor",
        lambda L, x: _ops(L).avg_pool2d(x, 2, divisor_override=3),
        ((1, 2, 4, 4),),
    ),
    Case(
        "adaptive_avg_pool2d", lambda L, x: _ops(L).adaptive_avg_pool2d(x, (2, 3)), ((2, 3, 7, 6),)
    ),
    Case(
        "adaptive_avg_pool2d_even", lambda L, x: _ops(L).adaptive_avg_pool2d(x, 2), ((2, 3, 8, 6),)
    ),
    Case("adaptive_avg_pool2d_1", lambda L, x: _ops(L).adaptive_avg_pool2d(x, 1), ((2, 3, 5, 6),)),
    # in-place ops on non-leaf tensors (recorded)
    Case("inplace_div_loop", lambda L, a: _rescale(a * 3), ((3, 4),)),
    Case("inplace_mul_tensor", lambda L, a, b: _imul(a * 1, b), ((3, 4), (4,))),
    Case("inplace_add_", lambda L, a, b: (a * 2).add_(b), ((3, 4), (3, 4))),
    Case("setitem_grad", lambda L, a, b: _setitem(a * 1, b), ((3, 4), (4,))),
]


def _rescale(x):
    while x.abs().sum() > 1:
        x /= 2
    return x


def _imul(x, b):
    x *= b
    return x


def _setitem(x, b):
    x[1] = b * 2
    return x


def draw(shapes, kind, seed=0):
    """Input arrays (float64) for a case."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        if kind == "pos":
            a = rng.uniform(0.5, 2.0, shape)
        elif kind == "dist":
            n = int(np.prod(shape))
            vals = (rng.permutation(n) - n / 2 + 0.5) * 0.37 + rng.uniform(-0.05, 0.05, n)
            a = vals.reshape(shape)
        else:
            a = rng.standard_normal(shape)
        out.append(np.asarray(a, dtype=np.float64))
    return out
