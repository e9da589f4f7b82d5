"""Glue between the optimizers and the core's fused in-place update kernels.

The kernels (``d2lmods.kernels.optim``) update flat contiguous arrays in one
pass; parameters are contiguous almost always, and the numpy reference
versions beside the kernels handle the rest.
"""

from __future__ import annotations

from d2lmods.kernels import optim as _k


def _contiguous(*arrays) -> bool:
    return all(a is None or a.flags.c_contiguous for a in arrays)


def sgd(w, g, buf, lr, momentum, dampening, wd, nesterov, maximize, first):
    """One SGD step on ``w`` in place; ``buf`` is the momentum buffer (``None`` without
    momentum) and ``first`` says it has not been filled yet."""
    if maximize:
        g = -g
    fn = _k.sgd_update if _contiguous(w, g, buf) else _k.sgd_update_ref
    fn(w, g, lr, buf, momentum, dampening, wd, nesterov, first)


def adam(w, g, m, v, vmax, step, lr, b1, b2, eps, wd, decoupled, maximize):
    """One Adam/AdamW step on ``w`` in place at step number ``step`` (counted from 1)."""
    if maximize:
        g = -g
    fn = _k.adam_update if _contiguous(w, g, m, v, vmax) else _k.adam_update_ref
    fn(
        w,
        g,
        m,
        v,
        lr,
        b1,
        b2,
        eps,
        wd,
        step,
        amsgrad=vmax is not None,
        max_exp_avg_sq=vmax,
        decoupled_weight_decay=decoupled,
    )
