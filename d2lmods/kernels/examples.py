"""Small example calls for every kernel, per dtype: ``warmup`` compiles with them and the tests
compare each kernel with its numpy reference on them.

Each entry is ``(name, kernel, reference, make_args)``; ``make_args(rng, dtype)`` returns fresh
arguments (kernels may write into them), typed exactly as the ops layer passes them.
"""
import numpy as np

from . import elementwise as E, softmax as S, conv as C, optim as O

__all__ = ["KERNELS", "DTYPES"]

DTYPES = (np.float32, np.float64)


def _a(rng, dt, *shape):
    return rng.standard_normal(shape).astype(dt)


def _pos(rng, dt, *shape):
    return rng.random(shape).astype(dt) + 0.1


def _targets(rng, n, c):
    t = rng.integers(0, c, n).astype(np.int64)
    t[0] = -100                      # one ignored row
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
        return (_a(rng, dt, 7), _a(rng, dt, 7), 0.1, _a(rng, dt, 7) if momentum else None,
                momentum, 0.1 if momentum and not nesterov else 0.0, 0.01, nesterov, first)
    return make


def _adam_args(amsgrad, decoupled):
    def make(rng, dt):
        return (_a(rng, dt, 7), _a(rng, dt, 7), _a(rng, dt, 7), _pos(rng, dt, 7), 0.01, 0.9, 0.999,
                1e-8, 0.01, 3, amsgrad, _pos(rng, dt, 7) if amsgrad else None, decoupled)
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
    ("log_softmax_fwd", S.log_softmax_fwd, S.log_softmax_fwd_ref,
     lambda r, d: (_a(r, d, 5, 4) * 10,)),
    ("softmax_bwd", S.softmax_bwd, S.softmax_bwd_ref,
     lambda r, d: (_a(r, d, 5, 4), S.softmax_fwd_ref(_a(r, d, 5, 4)))),
    ("log_softmax_bwd", S.log_softmax_bwd, S.log_softmax_bwd_ref,
     lambda r, d: (_a(r, d, 5, 4), S.log_softmax_fwd_ref(_a(r, d, 5, 4)))),
    ("cross_entropy_fwd", S.cross_entropy_fwd, S.cross_entropy_fwd_ref,
     lambda r, d: (_a(r, d, 5, 4), _targets(r, 5, 4), -100)),
    ("cross_entropy_bwd", S.cross_entropy_bwd, S.cross_entropy_bwd_ref, _ce_bwd_args),
    ("im2col", C.im2col, C.im2col_ref,
     lambda r, d: (_a(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 1, 1, 1, 2, 4, 6)),
    ("col2im", C.col2im, C.col2im_ref,
     lambda r, d: (_a(r, d, 3 * 3 * 2, 2 * 4 * 6), 2, 3, 7, 6, 3, 2, 2, 1, 1, 1, 1, 2, 4, 6)),
    ("max_pool2d_fwd", C.max_pool2d_fwd, C.max_pool2d_fwd_ref,
     lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4)),
    ("max_pool2d_bwd", C.max_pool2d_bwd, C.max_pool2d_bwd_ref, _maxpool_bwd_args),
    ("avg_pool2d_fwd", C.avg_pool2d_fwd, C.avg_pool2d_fwd_ref,
     lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4, True)),
    ("avg_pool2d_fwd_nopad", C.avg_pool2d_fwd, C.avg_pool2d_fwd_ref,
     lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 1, 1, 4, 4, False)),
    ("avg_pool2d_bwd", C.avg_pool2d_bwd, C.avg_pool2d_bwd_ref,
     lambda r, d: (_a(r, d, 2, 3, 4, 4), 7, 6, 3, 2, 2, 2, 1, 1, True)),
    ("avg_pool2d_bwd_nopad", C.avg_pool2d_bwd, C.avg_pool2d_bwd_ref,
     lambda r, d: (_a(r, d, 2, 3, 4, 4), 7, 6, 3, 2, 2, 2, 1, 1, False)),
    ("im2col_auto_small", C.im2col_auto, C.im2col_ref,
     lambda r, d: (_a(r, d, 2, 3, 7, 6), 3, 2, 2, 1, 1, 1, 1, 2, 4, 6)),
    ("im2col_auto_large", C.im2col_auto, C.im2col,
     lambda r, d: (_a(r, d, 4, 3, 30, 29), 5, 5, 1, 1, 2, 2, 1, 1, 30, 29)),
    ("avg_pool2d_fwd_inside", C.avg_pool2d_fwd_inside,
     lambda x, kh, kw, sh, sw, oh, ow: C.avg_pool2d_fwd_ref(x, kh, kw, sh, sw, 0, 0, oh, ow, True),
     lambda r, d: (_pool_x(r, d), 3, 2, 2, 2, 3, 3)),
    ("avg_pool2d_bwd_inside", C.avg_pool2d_bwd_inside,
     lambda g, h, w, kh, kw, sh, sw: C.avg_pool2d_bwd_ref(g, h, w, kh, kw, sh, sw, 0, 0, True),
     lambda r, d: (_a(r, d, 2, 3, 3, 3), 7, 6, 3, 2, 2, 2)),
    ("sgd_update", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.0, False, False)),
    ("sgd_update_momentum_first", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.9, False, True)),
    ("sgd_update_momentum", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.9, False, False)),
    ("sgd_update_nesterov", O.sgd_update_kernel, O.sgd_update_ref, _sgd_args(0.9, True, False)),
    ("adam_update", O.adam_update_kernel, O.adam_update_ref, _adam_args(False, False)),
    ("adam_update_amsgrad", O.adam_update_kernel, O.adam_update_ref, _adam_args(True, False)),
    ("adamw_update", O.adam_update_kernel, O.adam_update_ref, _adam_args(False, True)),
]
