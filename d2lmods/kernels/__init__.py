"""numba kernels: small pure functions on numpy arrays, each beside its plain-numpy reference.

The autograd layer (``d2lmods.ops``) calls these; ``d2lmods.optim`` calls the in-place optimizer
updates ``sgd_update`` and ``adam_update`` directly. ``python -m d2lmods.warmup`` compiles every
kernel for float32 and float64 into numba's on-disk cache.

Set ``NUMBA_DISABLE_JIT=1`` to run the same kernels as plain Python (slow, but debuggable), or
``D2LMODS_KERNELS=numpy`` to use the numpy references without importing numba.
"""

import os

import numpy as np

from . import conv as _C, elementwise as _E, normalization as _N, softmax as _S
from ._blas import OPENBLAS_SPLITS, SERIAL_BELOW, restore_threads, serial_gemm, serial_gemm_threads
from ._jit import cache_dir, choose_cache_dir, jit_enabled
from .optim import adam_update, adam_update_ref, sgd_update, sgd_update_ref

# D2LMODS_KERNELS=numpy: the numpy references, and numba is never imported (the grader's sandbox
# sets it: its tiny models would pay numba's start-up in every process for nothing).
_JIT = jit_enabled() and os.environ.get("D2LMODS_KERNELS", "") != "numpy"


def _pick(kernel, reference):
    # With NUMBA_DISABLE_JIT=1 the kernels would run as Python loops; the ops then use the numpy
    # references instead (the kernel tests still run the loops against them).
    return kernel if _JIT else reference


relu_fwd = _pick(_E.relu_fwd, _E.relu_fwd_ref)
relu_bwd = _pick(_E.relu_bwd, _E.relu_bwd_ref)
sigmoid_fwd = _pick(_E.sigmoid_fwd, _E.sigmoid_fwd_ref)
sigmoid_bwd = _pick(_E.sigmoid_bwd, _E.sigmoid_bwd_ref)
tanh_fwd = _pick(_E.tanh_fwd, _E.tanh_fwd_ref)
tanh_bwd = _pick(_E.tanh_bwd, _E.tanh_bwd_ref)
sum_rows = _pick(_E.sum_rows, _E.sum_rows_ref)
softmax_fwd = _pick(_S.softmax_fwd, _S.softmax_fwd_ref)
log_softmax_fwd = _pick(_S.log_softmax_fwd, _S.log_softmax_fwd_ref)
softmax_bwd = _pick(_S.softmax_bwd, _S.softmax_bwd_ref)
log_softmax_bwd = _pick(_S.log_softmax_bwd, _S.log_softmax_bwd_ref)
cross_entropy_fwd = _pick(_S.cross_entropy_fwd, _S.cross_entropy_fwd_ref)
cross_entropy_bwd = _pick(_S.cross_entropy_bwd, _S.cross_entropy_bwd_ref)
im2col = _pick(_C.im2col_auto, _C.im2col_ref)
col2im = _pick(_C.col2im, _C.col2im_ref)
im2col_batched = _pick(_C.im2col_batched, _C.im2col_batched_ref)
col2im_batched = _pick(_C.col2im_batched, _C.col2im_batched_ref)
max_pool2d_fwd = _pick(_C.max_pool2d_fwd, _C.max_pool2d_fwd_ref)
max_pool2d_bwd = _pick(_C.max_pool2d_bwd, _C.max_pool2d_bwd_ref)
avg_pool2d_fwd = _pick(_C.avg_pool2d_fwd, _C.avg_pool2d_fwd_ref)
avg_pool2d_bwd = _pick(_C.avg_pool2d_bwd, _C.avg_pool2d_bwd_ref)
max_pool2d_fwd_inside = _pick(_C.max_pool2d_fwd_inside, _C.max_pool2d_fwd_inside_ref)
avg_pool2d_bwd_tiles = _pick(_C.avg_pool2d_bwd_tiles, _C.avg_pool2d_bwd_tiles_ref)
tiles_exactly = _C.tiles_exactly
batch_norm_stats = _pick(_N.batch_norm_stats, _N.batch_norm_stats_ref)
batch_norm_affine = _pick(_N.batch_norm_affine, _N.batch_norm_affine_ref)
batch_norm_bwd_sums = _pick(_N.batch_norm_bwd_sums, _N.batch_norm_bwd_sums_ref)
batch_norm_bwd_input = _pick(_N.batch_norm_bwd_input, _N.batch_norm_bwd_input_ref)
conv2d_forward = _C.conv2d_forward  # both pick the numba or numpy loops themselves
conv2d_backward = _C.conv2d_backward
scratch = _C.scratch
temp = _C.temp
release_scratch = _C.release_scratch
# numpy-only (strided slices), used when no window needs padding
windows_inside = _C.windows_inside
avg_pool2d_fwd_inside = _C.avg_pool2d_fwd_inside
avg_pool2d_bwd_inside = _C.avg_pool2d_bwd_inside

__all__ = [
    "relu_fwd",
    "relu_bwd",
    "sigmoid_fwd",
    "sigmoid_bwd",
    "tanh_fwd",
    "tanh_bwd",
    "sum_rows",
    "softmax_fwd",
    "log_softmax_fwd",
    "softmax_bwd",
    "log_softmax_bwd",
    "cross_entropy_fwd",
    "cross_entropy_bwd",
    "im2col",
    "col2im",
    "im2col_batched",
    "col2im_batched",
    "scratch",
    "temp",
    "release_scratch",
    "max_pool2d_fwd_inside",
    "avg_pool2d_bwd_tiles",
    "tiles_exactly",
    "batch_norm_stats",
    "batch_norm_affine",
    "batch_norm_bwd_sums",
    "batch_norm_bwd_input",
    "conv2d_forward",
    "conv2d_backward",
    "max_pool2d_fwd",
    "max_pool2d_bwd",
    "avg_pool2d_fwd",
    "avg_pool2d_bwd",
    "windows_inside",
    "avg_pool2d_fwd_inside",
    "avg_pool2d_bwd_inside",
    "sgd_update",
    "adam_update",
    "sgd_update_ref",
    "adam_update_ref",
    "cache_dir",
    "jit_enabled",
    "OPENBLAS_SPLITS",
    "SERIAL_BELOW",
    "serial_gemm",
    "serial_gemm_threads",
    "restore_threads",
    "contig",
]


def contig(a, dtype=None):
    """``a`` as a C-contiguous, writeable array (copied only when needed).

    numba compiles one version per array type, and read-only or strided arrays are different
    types; feeding kernels only this layout keeps them to the signatures ``warmup`` compiled.
    """
    if dtype is not None and a.dtype != dtype:
        return np.ascontiguousarray(a, dtype=dtype) if a.ndim else np.array(a, dtype=dtype)
    if a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, order="C")
