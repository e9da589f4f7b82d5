"""d2lmods: tensors with autograd on numpy, a PyTorch-faithful ``nn`` package, notebook tools.

Code written for the PyTorch subset taught in "Dive into Deep Learning" runs after changing
only the imports::

    import d2lmods as torch
    from d2lmods import nn
    from d2lmods.nn import functional as F

    >>> import d2lmods as torch
    >>> x = torch.arange(4.0, requires_grad=True)
    >>> y = 2 * torch.dot(x, x)
    >>> y.backward(); x.grad
    tensor([ 0.,  4.,  8., 12.])

Everything computes on the CPU; hot loops are numba kernels (``d2lmods.kernels``).
"""
from ._tensor.core import Tensor
from ._tensor import methods as _methods  # noqa: F401  (attaches the ops to Tensor)
from ._tensor import typed as _typed
from ._tensor.dtypes import (dtype, Size, device, float16, float32, float64, int8, int16, int32,
                             int64, uint8, bool, half, float, double, short, int, long,
                             get_default_dtype, set_default_dtype)
from ._tensor.creation import (tensor, as_tensor, from_numpy, zeros, ones, full, empty, eye,
                               arange, linspace, logspace, rand, randn, randint, normal, randperm,
                               zeros_like, ones_like, full_like, empty_like, rand_like, randn_like,
                               randint_like, bernoulli, multinomial)
from ._tensor.printing import set_printoptions
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, Generator
from . import autograd, cuda
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .ops import OpError
from .ops.elementwise import (add, sub, mul, div, pow, neg, exp, log, sqrt, rsqrt, abs, tanh,
                              sigmoid, relu, clamp, clip, maximum, minimum, where, sin, cos, log1p,
                              expm1, sign, square, reciprocal, eq, ne, lt, le, gt, ge,
                              logical_not, logical_and, logical_or, logical_xor, isnan, isinf,
                              isfinite, floor, ceil, round, trunc, floor_divide, remainder, erf)
from .ops.reductions import (sum, mean, max, min, amax, amin, argmax, argmin, var, std, prod,
                             all, any, norm, logsumexp, cumsum, count_nonzero)
from .ops.shape import (reshape, flatten, unflatten, permute, transpose, t, unsqueeze, squeeze,
                        cat, concat, concatenate, stack, split, chunk, unbind, flip, tile, roll,
                        movedim, hstack, vstack, tril, triu, narrow, clone, broadcast_to,
                        swapaxes)
from .ops.indexing import gather, index_select, masked_fill
from .ops.linalg import matmul, mm, bmm, dot, mv, outer
from .ops.nn_ops import softmax, log_softmax

__version__ = "0.1.0"

subtract, multiply, divide, true_divide = sub, mul, div, div
absolute, negative = abs, neg
greater, less, greater_equal, less_equal = gt, lt, ge, le
(FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
 ByteTensor, BoolTensor) = _typed.TYPED.values()


def is_tensor(obj):
    """True for d2lmods tensors (and subclasses such as ``nn.Parameter``)."""
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def is_floating_point(t):
    return t.is_floating_point()


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as _np
    return _builtin_bool(_np.allclose(a._data, b._data if isinstance(b, Tensor) else b, rtol, atol,
                                      equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as _np
    from ._tensor.core import wrap
    return wrap(_np.isclose(a._data, b._data if isinstance(b, Tensor) else b, rtol, atol,
                            equal_nan))


def equal(a, b):
    """True if ``a`` and ``b`` have the same shape and values."""
    return a.equal(b)


def get_num_threads():
    import numba
    return numba.get_num_threads()


def set_num_threads(n):
    """Set the thread count used by numba kernels (BLAS threads follow OMP/OPENBLAS_NUM_THREADS)."""
    import numba
    numba.set_num_threads(n)


import builtins as _builtins  # noqa: E402

_builtin_bool = _builtins.bool
del _builtins

# ---- the layers built on the core: modules, optimizers, data loading, safe save/load ----------
from . import nn  # noqa: E402
from .nn.utils import set_warn_unregistered  # noqa: E402
from . import optim, utils  # noqa: E402
from .serialization import save, load  # noqa: E402
