"""Optimizer updates, fused and in place on numpy arrays (for ``d2lmods.optim``).

    >>> p = np.ones(3, np.float32); g = np.full(3, 0.5, np.float32)
    >>> sgd_update(p, g, 0.1, None, 0.0, 0.0, 0.0, False); p
    array([0.95, 0.95, 0.95], dtype=float32)

Arguments follow PyTorch's ``torch.optim.SGD``/``Adam`` definitions; arrays must be contiguous
and ``p``, ``g`` and the state buffers must have the same shape and dtype.
"""

import numpy as np

from ._jit import jit_enabled, njit

__all__ = [
    "sgd_update",
    "adam_update",
    "sgd_update_ref",
    "adam_update_ref",
    "sgd_update_kernel",
    "adam_update_kernel",
]


@njit
def _sgd_plain(p, g, lr, weight_decay):
    for i in range(p.size):
        p[i] -= lr * (g[i] + weight_decay * p[i])


@njit
def _sgd_momentum(p, g, lr, buf, momentum, dampening, weight_decay, nesterov, first):
    for i in range(p.size):
        d = g[i] + weight_decay * p[i]
        if first:
            b = d
        else:
            b = momentum * buf[i] + (1 - dampening) * d
        buf[i] = b
        if nesterov:
            d = d + momentum * b
        else:
            d = b
        p[i] -= lr * d


def sgd_update_kernel(
    p, g, lr, momentum_buf, momentum, dampening, weight_decay, nesterov, first=False
):
    """One SGD step on ``p`` in place. ``momentum_buf`` (same shape as ``p``) is updated in place;
    pass ``first=True`` on the first step with momentum (the buffer is then set to the gradient),
    and ``momentum_buf=None`` when ``momentum == 0``."""
    pf, gf = _flat(p, "p"), _flat(g, "g", p.dtype)
    if momentum == 0 or momentum_buf is None:
        _sgd_plain(pf, gf, float(lr), float(weight_decay))
    else:
        _sgd_momentum(
            pf,
            gf,
            float(lr),
            _flat(momentum_buf, "momentum_buf"),
            float(momentum),
            float(dampening),
            float(weight_decay),
            bool(nesterov),
            bool(first),
        )


def _flat(a, name, dtype=None):
    """1-D view of an array the kernel may write through (so it must be contiguous)."""
    if dtype is not None and a.dtype != dtype:
        return a.astype(dtype).reshape(-1)
    if not (a.flags.c_contiguous and a.flags.writeable):
        if name == "g":
            return np.array(a, order="C").reshape(-1)
        raise ValueError(
            f"{name} must be a C-contiguous writeable array to be updated in place "
            f"(got strides {a.strides} for shape {a.shape})"
        )
    return a.reshape(-1)


def sgd_update_ref(
    p, g, lr, momentum_buf, momentum, dampening, weight_decay, nesterov, first=False
):
    d = g + weight_decay * p
    if momentum != 0 and momentum_buf is not None:
        if first:
            momentum_buf[...] = d
        else:
            momentum_buf[...] = momentum * momentum_buf + (1 - dampening) * d
        d = d + momentum * momentum_buf if nesterov else momentum_buf
    p -= (lr * d).astype(p.dtype)


@njit
def _adam(p, g, m, v, vmax, lr, beta1, beta2, eps, weight_decay, step, amsgrad, decoupled):
    bc1 = 1 - beta1**step
    bc2 = 1 - beta2**step
    step_size = lr / bc1
    sq_bc2 = np.sqrt(bc2)
    for i in range(p.size):
        gi = g[i]
        if decoupled:
            p[i] *= 1 - lr * weight_decay
        else:
            gi = gi + weight_decay * p[i]
        m[i] = beta1 * m[i] + (1 - beta1) * gi
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
        if amsgrad:
            if v[i] > vmax[i]:
                vmax[i] = v[i]
            denom = np.sqrt(vmax[i]) / sq_bc2 + eps
        else:
            denom = np.sqrt(v[i]) / sq_bc2 + eps
        p[i] -= step_size * m[i] / denom


def adam_update_kernel(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    step,
    amsgrad=False,
    max_exp_avg_sq=None,
    decoupled_weight_decay=False,
):
    """One Adam (or AdamW with ``decoupled_weight_decay=True``) step in place; ``step`` counts from 1."""
    vmax = exp_avg_sq if max_exp_avg_sq is None else max_exp_avg_sq
    _adam(
        _flat(p, "p"),
        _flat(g, "g", p.dtype),
        _flat(exp_avg, "exp_avg"),
        _flat(exp_avg_sq, "exp_avg_sq"),
        _flat(vmax, "max_exp_avg_sq"),
        float(lr),
        float(beta1),
        float(beta2),
        float(eps),
        float(weight_decay),
        float(step),
        bool(amsgrad),
        bool(decoupled_weight_decay),
    )


def adam_update_ref(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    step,
    amsgrad=False,
    max_exp_avg_sq=None,
    decoupled_weight_decay=False,
):
    if decoupled_weight_decay:
        p *= 1 - lr * weight_decay
    else:
        g = g + weight_decay * p
    exp_avg[...] = beta1 * exp_avg + (1 - beta1) * g
    exp_avg_sq[...] = beta2 * exp_avg_sq + (1 - beta2) * g * g
    bc1 = 1 - beta1**step
    bc2 = 1 - beta2**step
    v = exp_avg_sq
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    denom = np.sqrt(v) / np.sqrt(bc2) + eps
    p -= ((lr / bc1) * exp_avg / denom).astype(p.dtype)


# The public names: the compiled kernels, or with NUMBA_DISABLE_JIT=1 the numpy references
# (the kernels' Python loops would make every optimizer step crawl; tests still run them).
sgd_update = sgd_update_kernel if jit_enabled() else sgd_update_ref
adam_update = adam_update_kernel if jit_enabled() else adam_update_ref
