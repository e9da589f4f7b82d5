"""Leaf gradients the engine hands over without copying: ``.grad`` accumulates as in PyTorch
and never shares memory with anything a later in-place write could change."""

import numpy as np
import pytest

import d2lmods
from d2lmods import autograd, nn


def _leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return d2lmods.tensor(rng.standard_normal(shape), requires_grad=True)


def _alone(t, *others):
    return not any(np.shares_memory(t.grad._data, o._data) for o in others)


def test_grad_accumulates_in_place_over_two_backward_calls(torch):
    x = _leaf(2, 3)
    (x * x).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    (xt * xt).sum().backward()
    (xt * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_slices_of_one_gradient_become_separate_grads():
    a, b = _leaf(2, 3), _leaf(2, 3, seed=1)
    (d2lmods.cat((a, b), dim=1) * 2).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.full((2, 3), 2.0))


def test_one_gradient_for_two_leaves_is_copied_for_the_second():
    a, b = _leaf(4), _leaf(4, seed=1)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


class _ReturnsSaved(autograd.Function):
    """A backward that returns an array still held elsewhere (the saved tensor itself)."""

    @staticmethod
    def forward(ctx, x, keep):
        ctx.save_for_backward(keep)
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        (keep,) = ctx.saved_tensors
        return keep, None


def test_a_gradient_that_is_another_tensors_data_is_copied():
    x = _leaf(3)
    keep = d2lmods.tensor([1.0, 2.0, 3.0], dtype=d2lmods.float64)
    _ReturnsSaved.apply(x, keep).sum().backward()
    assert _alone(x, keep)
    keep.mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


class _KeepsGradView(autograd.Function):
    """A backward that keeps the incoming gradient and returns a reshaped view of it."""

    kept = []

    @staticmethod
    def forward(ctx, x):
        return x.reshape(-1) * 1.0

    @staticmethod
    def backward(ctx, g):
        _KeepsGradView.kept.append(g)
        return g.reshape(2, 3)


def test_a_view_of_a_gradient_held_elsewhere_is_copied():
    x = _leaf(2, 3)
    _KeepsGradView.kept.clear()
    (_KeepsGradView.apply(x) * 2).sum().backward()
    kept = _KeepsGradView.kept.pop()
    assert _alone(x, kept)
    kept.mul_(0)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_retained_non_leaf_grad_and_leaf_grad_are_separate():
    x = _leaf(5)
    y = x * 1.0
    y.retain_grad()
    y.sum().backward()
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    y.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(5))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_conv_and_batchnorm_grads_own_their_memory_and_match_torch(torch, set_to_none):
    """Weight gradients come out of GEMM buffers and reshapes: each must be the parameter's own
    array, unchanged by the next step's forward and backward, and equal to PyTorch's."""
    d2lmods.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU()
    )
    with torch.no_grad():
        for p, q in zip(net.parameters(), tnet.parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((3, 2, 20, 20)).astype(np.float32)
    for m in (net, tnet):
        m.zero_grad(set_to_none=set_to_none)
    net(d2lmods.tensor(x)).square().sum().backward()
    tnet(torch.tensor(x)).square().sum().backward()
    grads = [p.grad.numpy().copy() for p in net.parameters()]
    for p, q in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=2e-4, atol=2e-4)
    held = [p.grad for p in net.parameters()]
    for i, p in enumerate(net.parameters()):
        others = [q.grad for j, q in enumerate(net.parameters()) if j != i]
        assert _alone(p, p, *others)
    # a second network of the same shapes reuses the pooled work buffers
    twin = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    twin(d2lmods.tensor(x * 2)).square().sum().backward()
    for h, g in zip(held, grads):
        np.testing.assert_array_equal(h.numpy(), g)
