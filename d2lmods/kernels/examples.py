"""Small example calls for every kernel, per dtype: ``warmup`` compiles with them and the tests
compare each kernel with its numpy reference on them.

Each entry is ``(name, kernel, reference, make_args)``; ``make_args(rng, dtype)`` returns fresh
arguments (kernels may write into them), typed exactly as the ops layer passes them.
"""

import numpy as np

from . import conv as C, elementwise as E, normalization as N, optim as O, softmax as S

__all__ = ["KERNELS", "DTYPES"]

DTYPES = (np.float32, np.float64)


def _a(rng, dt, *shape):
    return rng.standard_normal(shape).astype(dt)


def _pos(rng, dt, *shape):
    return rng.random(shape).astype(dt) + 0.1


def _targets(rng, n, c):
    t = rng.integers(0, c, n).astype(np.int64)
    t[0] = -100  # one ignored row
    return t


def _ce_bwd_args(rng, dt):
    x = _a(rng, dt, 5, 4)
    t = _targets(rng, 5, 4)
    _, lse, _ = S.cross_entropy_fwd_ref(x, t, -100)
    return (x, lse, t, rng.random(5), -100)


def _pool_x(rng, dt):
    return _a(rng, dt, 2, 3, 7, 6)


def _maxpool_bwd_args(rng, dt):
    x = _pool_x(rng, dt)
    y, idx = C.max_pool2d_fwd_ref(x, 3, 2, 2, 2, 1, 1, 4, 4)
    return (_a(rng, dt, *y.shape), idx, 7, 6)


def _sgd_args(momentum, nesterov, first):
    def make(rng, dt):
        return (
            _a(rng, dt, 7),
            _a(rng, dt, 7),
            0.1,
            _a(rng, dt, 7) if momentum else None,
            momentum,
            0.1 if momentum and not nesterov else 0.0,
            0.01,
            nesterov,
            first,
        )

    return make


def _adam_args(amsgrad, decoupled):
    def make(rng, dt):
        return (
            _a(rng, dt, 7),
            _a(rng, dt, 7),
            _a(rng, dt, 7),
            _pos(rng, dt, 7),
            0.01,
            0.9,
            0.999,
            1e-8,
            0.01,
            3,
            amsgrad,
            _pos(rng, dt, 7) if amsgrad else None,
            decoupled,
        )

    return make


def _ties_and_nans(rng, dt, *shape):
    """Pooling input with equal values in a window and NaNs: argmax order and NaN propagation."""
    x = _a(rng, dt, *shape)
    x[0, 0, 0, 0] = np.nan
    x[0, 1, 1, 1] = x[0, 1, 1, 0]
    x[-1, -1] = 1.0
    return x


def _ties(rng, dt, *shape):
    """Pooling input with equal values inside windows (no NaNs): ties go to the first."""
    x = _q(rng, dt, *shape)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 9.0
    x[0, 1, 2, 2] = x[0, 1, 3, 3] = 9.0
    x[1, 0, 4, 0] = x[1, 0, 4, 1] = 9.0
    return x


def _conv_ref(x, w, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """The convolution from the (C*kh*kw, N*OH*OW) columns and plain matrix products (and the
    batch-major columns the kernel keeps for its backward)."""
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    cols = C.im2col_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    og, kk = o // groups, cg * kh * kw
    y = np.concatenate(
        [
            w[g * og : (g + 1) * og].reshape(og, kk) @ cols[g * kk : (g + 1) * kk]
            for g in range(groups)
        ]
    )
    if oh * ow < o and not C._is_pointwise(kh, kw, sh, sw, ph, pw):
        saved = cols  # few positions: one product on the (C*kh*kw, N*OH*OW) columns
    else:
        saved = C.im2col_batched_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return y.reshape(o, n, oh * ow).transpose(1, 0, 2), saved


def _conv_bwd_ref(g, cols, w, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups, need_x, need_w, x):
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    if cols is None:
        cols = C.im2col_batched_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    elif cols.ndim == 2:  # the one-product layout (C*kh*kw, N*OH*OW)
        cols = cols.reshape(c * kh * kw, n, oh * ow).transpose(1, 0, 2)
    og, kk = o // groups, cg * kh * kw
    gw = np.concatenate(
        [
            np.einsum("nop,nkp->ok", g[:, i * og : (i + 1) * og], cols[:, i * kk : (i + 1) * kk])
            for i in range(groups)
        ]
    )
    gcols = np.concatenate(
        [
            np.einsum(
                "ok,nop->nkp", w[i * og : (i + 1) * og].reshape(og, kk), g[:, i * og : (i + 1) * og]
            )
            for i in range(groups)
        ],
        axis=1,
    )
    gx = C.col2im_batched_ref(gcols, c, h, wd, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return (gx if need_x else None, gw.reshape(w.shape) if need_w else None)


def _q(rng, dt, *shape):
    """Multiples of 1/4 in [-2, 2]: their products and sums are exact in float32, so BLAS and
    the reference agree whatever order either adds in."""
    return (np.clip(np.round(rng.standard_normal(shape) * 4), -8, 8) / 4).astype(dt)


def _conv_args(x_shape, w_shape, sh, sw, ph, pw, dh, dw, groups):
    def make(rng, dt):
        n, c, h, wd = x_shape
        kh, kw = w_shape[2:]
        oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        return (
            _q(rng, dt, *x_shape),
            _q(rng, dt, *w_shape),
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
            oh,
            ow,
            groups,
        )

    return make


def _conv_bwd_args(x_shape, w_shape, sh, sw, ph, pw, dh, dw, groups, need_x=True, rebuild=False):
    fwd = _conv_args(x_shape, w_shape, sh, sw, ph, pw, dh, dw, groups)

    def make(rng, dt):
        x, w, sh_, sw_, ph_, pw_, dh_, dw_, oh, ow, g_ = fwd(rng, dt)
        if oh * ow < w.shape[0] and w.shape[2:] != (1, 1):
            cols = C.im2col_ref(x, *w.shape[2:], sh, sw, ph, pw, dh, dw, oh, ow)
        else:
            cols = C.im2col_batched_ref(x, *w.shape[2:], sh, sw, ph, pw, dh, dw, oh, ow)
        return (
            _q(rng, dt, x.shape[0], w.shape[0], oh * ow),
            None if rebuild else cols,
            w,
            x.shape,
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
            oh,
            ow,
            groups,
            need_x,
            True,
            x,
        )

    return make


def _bn_x(rng, dt, n=3, c=3, s=13):
    return (rng.standard_normal((n, c, s)) * 2 + 5).astype(dt)  # an offset mean, as after a conv


def _bn_sums_args(s):
    def make(rng, dt):
        x = _bn_x(rng, dt, 3, 4, s)
        return (_a(rng, dt, 3, 4, s), x, x.mean(axis=(0, 2)).astype(dt))

    return make


def _bn_input_args(s):
    def make(rng, dt):
        x = _bn_x(rng, dt, 3, 4, s)
        k1, k2, k3 = (_a(rng, dt, 4) for _ in range(3))
        return (_a(rng, dt, 3, 4, s), x, x.mean(axis=(0, 2)).astype(dt), k1, k2, k3)

    return make


KERNELS = [
    ("relu_fwd", E.relu_fwd, E.relu_fwd_ref, lambda r, d: (_a(r, d, 11),)),
    ("relu_bwd", E.relu_bwd, E.relu_bwd_ref, lambda r, d: (_a(r, d, 11), _a(r, d, 11))),
    ("sigmoid_fwd", E.sigmoid_fwd, E.sigmoid_fwd_ref, lambda r, d: (_a(r, d, 11) * 30,)),
    ("sigmoid_bwd", E.sigmoid_bwd, E.sigmoid_bwd_ref, lambda r, d: (_a(r, d, 11), _pos(r, d, 11))),
    ("tanh_fwd", E.tanh_fwd, E.tanh_fwd_ref, lambda r, d: (_a(r, d, 11),)),
    ("tanh_bwd", E.tanh_bwd, E.tanh_bwd_ref, lambda r, d: (_a(r, d, 11), _a(r, d, 11))),
    ("sum_rows", E.sum_rows, E.sum_rows_ref, lambda r, d: (_a(r, d, 6, 5),)),
    ("softmax_fwd", S.softmax_fwd, S.softmax_fwd_ref, lambda r, d: (_a(r, d, 5, 4) * 10,)),
    (
        "log_softmax_fwd",
        S.log_softmax_fwd,
        S.log_softmax_fwd_ref,
        lambda r, d: (_a(r, d, 5, 4) * 10,),
    ),
    (
        "softmax_bwd",
        S.softmax_bwd,
        S.softmax_bwd_ref,
        lambda r, d: (_a(r, d, 5, 4), S.softmax_fwd_ref(_a(r, d, 5, 4))),
    ),
    (
        "log_softmax_bwd",
        S.log_softmax_bwd,
        S.log_softmax_bwd_ref,
        lambda r, d: (_a(r, d, 5, 4), S.log_softmax_fwd_ref(_a(r, d, 5, 4))),
    ),
    (
        "cross_entropy_fwd",
        S.cross_entropy_fwd,
        S.cross_entropy_fwd_ref,
        lambda r, d: (_a(r, d, 5, 4), _targets(r, 5, 4), -100),
    ),
    ("cross_entropy_bwd", S.cross_entropy_bwd, S.cross_entropy_bwd_ref, _ce_bwd_args),
    (
        "im2col",
        C.im2col,
        C.im2col_ref,
        lambda r, d: (_a(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 1, 1, 1, 2, 4, 6),
    ),
    (
        "col2im",
        C.col2im,
        C.col2im_ref,
        lambda r, d: (_a(r, d, 3 * 3 * 2, 2 * 4 * 6), 2, 3, 7, 6, 3, 2, 2, 1, 1, 1, 1, 2, 4, 6),
    ),
    (
        "max_pool2d_fwd",
        C.max_pool2d_fwd,
        C.max_pool2d_fwd_ref,
        lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4),
    ),
    (  # overlapping windows (the separable kernel) with ties and NaNs
        "max_pool2d_fwd_separable",
        C.max_pool2d_fwd,
        C.max_pool2d_fwd_ref,
        lambda r, d: (_ties_and_nans(r, d, 2, 3, 7, 6), 3, 3, 2, 2, 1, 1, 4, 3),
    ),
    (  # ceil-mode overhang: the last windows reach past the input
        "max_pool2d_fwd_separable_overhang",
        C.max_pool2d_fwd,
        C.max_pool2d_fwd_ref,
        lambda r, d: (_ties(r, d, 2, 3, 7, 6), 3, 3, 2, 2, 0, 0, 3, 3),
    ),
    (  # windows that do not overlap vertically (the one-pass kernel), padded
        "max_pool2d_fwd_any",
        C.max_pool2d_fwd,
        C.max_pool2d_fwd_ref,
        lambda r, d: (_ties_and_nans(r, d, 2, 3, 7, 6), 2, 2, 2, 2, 1, 1, 4, 4),
    ),
    ("max_pool2d_bwd", C.max_pool2d_bwd, C.max_pool2d_bwd_ref, _maxpool_bwd_args),
    (
        "avg_pool2d_fwd",
        C.avg_pool2d_fwd,
        C.avg_pool2d_fwd_ref,
        lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4, True),
    ),
    (
        "avg_pool2d_fwd_nopad",
        C.avg_pool2d_fwd,
        C.avg_pool2d_fwd_ref,
        lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4, False),
    ),
    (
        "avg_pool2d_bwd",
        C.avg_pool2d_bwd,
        C.avg_pool2d_bwd_ref,
        lambda r, d: (_a(r, d, 2, 3, 4, 4), 7, 6, 3, 2, 2, 2, 1, 1, True),
    ),
    (
        "avg_pool2d_bwd_nopad",
        C.avg_pool2d_bwd,
        C.avg_pool2d_bwd_ref,
        lambda r, d: (_a(r, d, 2, 3, 4, 4), 7, 6, 3, 2, 2, 2, 1, 1, False),
    ),
    (
        "im2col_auto_small",
        C.im2col_auto,
        C.im2col_ref,
        lambda r, d: (_a(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 1, 1, 1, 2, 4, 6),
    ),
    (
        "im2col_auto_large",
        C.im2col_auto,
        C.im2col,
        lambda r, d: (_a(r, d, 4, 3, 30, 29), 5, 5, 1, 1, 2, 2, 1, 1, 30, 29),
    ),
    (
        "avg_pool2d_fwd_inside",
        C.avg_pool2d_fwd_inside,
        lambda x, kh, kw, sh, sw, oh, ow: C.avg_pool2d_fwd_ref(
            x, kh, kw, sh, sw, 0, 0, oh, ow, True
        ),
        lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 3, 3),
    ),
    (
        "avg_pool2d_bwd_inside",
        C.avg_pool2d_bwd_inside,
        lambda g, h, w, kh, kw, sh, sw: C.avg_pool2d_bwd_ref(g, h, w, kh, kw, sh, sw, 0, 0, True),
        lambda r, d: (_a(r, d, 2, 3, 3, 3), 7, 6, 3, 2, 2, 2),
    ),
    # batch-major columns: padded unit stride (LeNet's conv1), strided + dilated, 1x1 (a view)
    (
        "im2col_batched",
        C.im2col_batched,
        C.im2col_batched_ref,
        lambda r, d: (_a(r, d, 3, 2, 9, 8), 5, 5, 1, 1, 2, 2, 1, 1, 9, 8),
    ),
    (
        "im2col_batched_strided",
        C.im2col_batched,
        C.im2col_batched_ref,
        lambda r, d: (_a(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 1, 1, 2, 1, 3, 5),
    ),
    (
        "im2col_batched_1x1",
        C.im2col_batched,
        C.im2col_batched_ref,
        lambda r, d: (_a(r, d, 2, 3, 4, 5), 1, 1, 1, 1, 0, 0, 1, 1, 4, 5),
    ),
    (
        "col2im_batched",
        C.col2im_batched,
        C.col2im_batched_ref,
        lambda r, d: (_a(r, d, 3, 2 * 25, 72), 2, 9, 8, 5, 5, 1, 1, 2, 2, 1, 1, 9, 8),
    ),
    (
        "col2im_batched_strided",
        C.col2im_batched,
        C.col2im_batched_ref,
        lambda r, d: (_a(r, d, 2, 3 * 6, 15), 3, 7, 6, 3, 2, 2, 1, 1, 1, 2, 1, 3, 5),
    ),
    (
        "max_pool2d_fwd_inside_2x2",
        C.max_pool2d_fwd_inside,
        C.max_pool2d_fwd_inside_ref,
        lambda r, d: (_ties_and_nans(r, d, 2, 3, 8, 6), 2, 2, 2, 2, 4, 3),
    ),
    (
        "max_pool2d_fwd_inside_2x2_finite",
        C.max_pool2d_fwd_inside,
        C.max_pool2d_fwd_inside_ref,
        lambda r, d: (_ties(r, d, 2, 3, 8, 6), 2, 2, 2, 2, 4, 3),
    ),
    (
        "max_pool2d_fwd_inside_3x2",
        C.max_pool2d_fwd_inside,
        C.max_pool2d_fwd_inside_ref,
        lambda r, d: (_ties_and_nans(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 3, 5),
    ),
    (
        "avg_pool2d_bwd_tiles",
        C.avg_pool2d_bwd_tiles,
        C.avg_pool2d_bwd_tiles_ref,
        lambda r, d: (_a(r, d, 2, 3, 4, 3), 2, 3),
    ),
    # the whole convolution against plain matrix products on the (C*kh*kw, N*OH*OW) columns
    (
        "conv2d_forward",
        C.conv2d_forward,
        _conv_ref,
        _conv_args((3, 2, 9, 8), (4, 2, 5, 5), 1, 1, 2, 2, 1, 1, 1),
    ),
    (
        "conv2d_forward_groups_strided",
        C.conv2d_forward,
        _conv_ref,
        _conv_args((2, 4, 7, 6), (6, 2, 3, 2), 2, 1, 1, 1, 2, 1, 2),
    ),
    (
        "conv2d_forward_few_positions",
        C.conv2d_forward,
        _conv_ref,
        _conv_args((3, 2, 4, 4), (9, 2, 3, 3), 2, 2, 1, 1, 1, 1, 1),
    ),
    (
        "conv2d_forward_few_positions_groups",
        C.conv2d_forward,
        _conv_ref,
        _conv_args((3, 4, 4, 4), (8, 2, 3, 3), 2, 2, 1, 1, 1, 1, 2),
    ),
    (
        "conv2d_forward_1x1",
        C.conv2d_forward,
        _conv_ref,
        _conv_args((2, 3, 4, 5), (4, 3, 1, 1), 1, 1, 0, 0, 1, 1, 1),
    ),
    (
        "conv2d_backward",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((3, 2, 9, 8), (4, 2, 5, 5), 1, 1, 2, 2, 1, 1, 1),
    ),
    (
        "conv2d_backward_groups_strided",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((2, 4, 7, 6), (6, 2, 3, 2), 2, 1, 1, 1, 2, 1, 2),
    ),
    (
        "conv2d_backward_1x1",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((2, 3, 4, 5), (4, 3, 1, 1), 1, 1, 0, 0, 1, 1, 1),
    ),
    (
        "conv2d_backward_weight_only",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((3, 1, 9, 8), (4, 1, 5, 5), 1, 1, 2, 2, 1, 1, 1, need_x=False),
    ),
    (
        "conv2d_backward_few_positions",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((3, 2, 4, 4), (9, 2, 3, 3), 2, 2, 1, 1, 1, 1, 1),
    ),
    (
        "conv2d_backward_few_positions_groups",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((3, 4, 4, 4), (8, 2, 3, 3), 2, 2, 1, 1, 1, 1, 2),
    ),
    (
        "conv2d_backward_few_positions_rebuilt",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((3, 2, 4, 4), (9, 2, 3, 3), 2, 2, 1, 1, 1, 1, 1, rebuild=True),
    ),
    (
        "conv2d_backward_rebuilt_columns",
        C.conv2d_backward,
        _conv_bwd_ref,
        _conv_bwd_args((2, 4, 7, 6), (6, 2, 3, 2), 2, 1, 1, 1, 2, 1, 2, rebuild=True),
    ),
    # batch norm on (N, C, S): odd spatial sizes, and S = 1 (BatchNorm1d on (N, C))
    ("batch_norm_stats", N.batch_norm_stats, N.batch_norm_stats_ref, lambda r, d: (_bn_x(r, d),)),
    (
        "batch_norm_stats_1d",
        N.batch_norm_stats,
        N.batch_norm_stats_ref,
        lambda r, d: (_bn_x(r, d, 7, 5, 1),),
    ),
    (
        "batch_norm_affine",
        N.batch_norm_affine,
        N.batch_norm_affine_ref,
        lambda r, d: (_bn_x(r, d), _a(r, d, 3), _a(r, d, 3)),
    ),
    (
        "batch_norm_affine_1d",
        N.batch_norm_affine,
        N.batch_norm_affine_ref,
        lambda r, d: (_bn_x(r, d, 7, 5, 1), _a(r, d, 5), _a(r, d, 5)),
    ),
    ("batch_norm_bwd_sums", N.batch_norm_bwd_sums, N.batch_norm_bwd_sums_ref, _bn_sums_args(13)),
    ("batch_norm_bwd_sums_1d", N.batch_norm_bwd_sums, N.batch_norm_bwd_sums_ref, _bn_sums_args(1)),
    (
        "batch_norm_bwd_input",
        N.batch_norm_bwd_input,
        N.batch_norm_bwd_input_ref,
        _bn_input_args(13),
    ),
    (
        "batch_norm_bwd_input_1d",
        N.batch_norm_bwd_input,
        N.batch_norm_bwd_input_ref,
        _bn_input_args(1),
    ),
    ("sgd_update", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.0, False, False)),
    (
        "sgd_update_momentum_first",
        O.sgd_update_kernel,
        O.sgd_update_ref,
        _sgd_args(0.9, False, True),
    ),
    ("sgd_update_momentum", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.9, False, False)),
    ("sgd_update_nesterov", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.9, True, False)),
    ("adam_update", O.adam_update_kernel, O.adam_update_ref, _adam_args(False, False)),
    ("adam_update_amsgrad", O.adam_update_kernel, O.adam_update_ref, _adam_args(True, False)),
    ("adamw_update", O.adam_update_kernel, O.adam_update_ref, _adam_args(False, True)),
]
