"""Adam and AdamW (decoupled weight decay), numerically matching PyTorch.

>>> import d2lmods
>>> from d2lmods import nn
>>> net = nn.Linear(2, 1)
>>> opt = d2lmods.optim.Adam(net.parameters(), lr=1e-3)
>>> loss = net(d2lmods.ones(4, 2)).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from __future__ import annotations

from d2lmods.optim import _updates
from d2lmods.optim.optimizer import Optimizer, _array

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam with PyTorch's update rule::

    g = grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled)
    m = b1 * m + (1 - b1) * g ;  v = b2 * v + (1 - b2) * g * g
    p = p - lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update_group(self, group):
        import d2lmods

        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = d2lmods.tensor(0.0)
                state["exp_avg"] = d2lmods.zeros_like(p)
                state["exp_avg_sq"] = d2lmods.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = d2lmods.zeros_like(p)
            step = _array(state["step"])
            step[...] = step + 1
            t = float(step)
            max_sq = _array(state["max_exp_avg_sq"]) if amsgrad else None
            _updates.adam(
                _array(p),
                _array(p.grad),
                _array(state["exp_avg"]),
                _array(state["exp_avg_sq"]),
                max_sq,
                t,
                lr,
                b1,
                b2,
                eps,
                wd,
                decoupled,
                maximize,
            )


class AdamW(Adam):
    """Adam with decoupled weight decay (default ``weight_decay=0.01``)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
