"""Differentiable ops, one module per family; each op's forward and backward sit side by side.

* ``elementwise`` -- arithmetic, math functions, activations, comparisons
* ``reductions``  -- sum, mean, max, var, ...
* ``shape``       -- reshape/view/permute/..., cat/stack/split
* ``indexing``    -- ``x[...]``, gather, masked_fill, embedding
* ``linalg``      -- matmul and friends (numpy BLAS)
* ``nn_ops``      -- linear, conv2d, pooling, softmax, cross_entropy, nll_loss
* ``activations`` -- leaky_relu, gelu, elu, silu, softplus, hardtanh, glu, prelu, ...
* ``losses``      -- mse, bce (with and without logits), smooth_l1, huber
* ``padding``     -- pad (constant, reflect, replicate, circular)
* ``inplace``     -- ``add_``, ``x += y``, ``x[i] = v`` and the rules that keep them safe
* ``more_math``   -- log2/trig/..., sort/topk/median, einsum, diag/trace, finfo/iinfo, ...

Errors about bad inputs are ``OpError`` (a ``RuntimeError`` subclass with ``op`` and ``shapes``).
"""

from ._util import OpError
from .nn_ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    cross_entropy,
    linear,
    log_softmax,
    max_pool2d,
    nll_loss,
    softmax,
)

__all__ = [
    "OpError",
    "linear",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
]
