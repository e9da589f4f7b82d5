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

import warnings as _warnings

from . import autograd, cuda
from ._tensor import (
    methods as _methods,  # noqa: F401  (attaches the ops to Tensor)
    typed as _typed,
)
from ._tensor.core import Tensor
from ._tensor.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ._tensor.dtypes import (
    Size,
    bool,
    device,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._tensor.printing import set_printoptions
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import OpError
from .ops.elementwise import (
    abs,
    add,
    ceil,
    clamp,
    clip,
    cos,
    div,
    eq,
    erf,
    exp,
    expm1,
    floor,
    floor_divide,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tanh,
    trunc,
    where,
)
from .ops.indexing import gather, index_select, masked_fill
from .ops.linalg import bmm, dot, matmul, mm, mv, outer
from .ops.more_math import (
    acos,
    acosh,
    addcdiv,
    addcmul,
    addmm,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    argsort,
    argwhere,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    baddbmm,
    bincount,
    broadcast_tensors,
    bucketize,
    can_cast,
    cdist,
    clamp_max,
    clamp_min,
    cosh,
    cross,
    cummax,
    cummin,
    cumprod,
    deg2rad,
    diag,
    diag_embed,
    diff,
    dist,
    einsum,
    exp2,
    finfo,
    fmax,
    fmin,
    fmod,
    frac,
    hypot,
    iinfo,
    isin,
    kron,
    kthvalue,
    lerp,
    log2,
    log10,
    logaddexp,
    logcumsumexp,
    logit,
    median,
    meshgrid,
    moveaxis,
    msort,
    nan_to_num,
    nanmean,
    nansum,
    nonzero,
    promote_types,
    rad2deg,
    ravel,
    repeat_interleave,
    result_type,
    rot90,
    searchsorted,
    select,
    sgn,
    sinc,
    sinh,
    sort,
    std_mean,
    swapdims,
    take,
    tan,
    tensordot,
    topk,
    trace,
    tril_indices,
    triu_indices,
    unique,
    var_mean,
    xlogy,
)
from .ops.nn_ops import log_softmax, softmax
from .ops.reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .ops.shape import (
    broadcast_to,
    cat,
    chunk,
    clone,
    concat,
    concatenate,
    flatten,
    flip,
    hstack,
    movedim,
    narrow,
    permute,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__version__ = "0.1.0"

subtract, multiply, divide, true_divide = sub, mul, div, div
absolute, negative = abs, neg
greater, less, greater_equal, less_equal = gt, lt, ge, le
(
    FloatTensor,
    DoubleTensor,
    HalfTensor,
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
) = _typed.TYPED.values()


def is_tensor(obj):
    """True for d2lmods tensors (and subclasses such as ``nn.Parameter``)."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as _np

    return _builtin_bool(
        _np.allclose(a._data, b._data if isinstance(b, Tensor) else b, rtol, atol, equal_nan)
    )


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as _np

    from ._tensor.core import wrap

    return wrap(
        _np.isclose(a._data, b._data if isinstance(b, Tensor) else b, rtol, atol, equal_nan)
    )


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
from . import (  # noqa: E402
    nn,  # noqa: E402
    optim,
    utils,
)
from .nn.utils import set_warn_unregistered  # noqa: E402
from .serialization import load, save  # noqa: E402

# numpy's floating-point warnings raised inside d2lmods (log(0), 1 / 0, exp overflow, sqrt(-1),
# in a forward or a backward): torch returns inf/nan silently, and so does d2lmods. The filter
# matches only warnings whose code is d2lmods' own; the learner's numpy code keeps its warnings.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"d2lmods\.")
