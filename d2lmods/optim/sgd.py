"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov.

>>> import d2lmods
>>> from d2lmods import nn
>>> net = nn.Linear(2, 1)
>>> opt = d2lmods.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
>>> loss = net(d2lmods.ones(4, 2)).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from __future__ import annotations

from d2lmods.optim import _updates
from d2lmods.optim.optimizer import Optimizer, _array, required

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Implements (optionally Nesterov) momentum SGD exactly as PyTorch does::

    g = grad + weight_decay * p
    buf = momentum * buf + (1 - dampening) * g      (buf = g at the first step)
    g = g + momentum * buf if nesterov else buf
    p = p - lr * g
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group):
        import d2lmods

        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            w, g = _array(p), _array(p.grad)
            buf = None
            first = True
            if momentum != 0:
                state = self.state.setdefault(p, {})
                t = state.get("momentum_buffer")
                if t is None:
                    t = d2lmods.zeros_like(p)
                    state["momentum_buffer"] = t
                else:
                    first = False
                buf = _array(t)
            _updates.sgd(w, g, buf, lr, momentum, dampening, wd, nesterov, maximize, first)
