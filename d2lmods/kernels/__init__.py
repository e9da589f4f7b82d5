"""numba kernels: small pure functions on numpy arrays, each beside its plain-numpy reference.

The autograd layer (``d2lmods.ops``) calls these; ``d2lmods.optim`` calls the in-place optimizer
updates ``sgd_update`` and ``adam_update`` directly. ``python -m d2lmods.warmup`` compiles every
kernel for float32 and float64 into numba's on-disk cache.

Set ``NUMBA_DISABLE_JIT=1`` to run the same kernels as plain Python (slow, but debuggable).
"""
import numpy as np

from ._jit import cache_dir, jit_enabled
from .elementwise import (relu_fwd, relu_bwd, sigmoid_fwd, sigmoid_bwd, tanh_fwd, tanh_bwd,
                          sum_rows)
from .softmax import (softmax_fwd, log_softmax_fwd, softmax_bwd, log_softmax_bwd,
                      cross_entropy_fwd, cross_entropy_bwd)
from .conv import (im2col, col2im, max_pool2d_fwd, max_pool2d_bwd, avg_pool2d_fwd,
                   avg_pool2d_bwd)
from .optim import sgd_update, adam_update, sgd_update_ref, adam_update_ref

__all__ = ["relu_fwd", "relu_bwd", "sigmoid_fwd", "sigmoid_bwd", "tanh_fwd", "tanh_bwd", "sum_rows",
           "softmax_fwd", "log_softmax_fwd", "softmax_bwd", "log_softmax_bwd", "cross_entropy_fwd",
           "cross_entropy_bwd", "im2col", "col2im", "max_pool2d_fwd", "max_pool2d_bwd",
           "avg_pool2d_fwd", "avg_pool2d_bwd", "sgd_update", "adam_update", "sgd_update_ref",
           "adam_update_ref", "cache_dir", "jit_enabled", "contig"]


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
