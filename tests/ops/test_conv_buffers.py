"""The convolution's reused work buffers never overwrite columns a live graph still needs, and
LeNet-shaped layers (float32, both variants) match PyTorch."""

import numpy as np
import pytest

import d2lmods
import d2lmods.nn.functional as F
from d2lmods.kernels import conv as C

torch = pytest.importorskip("torch")


def _pair(shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return d2lmods.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_scratch_is_reused_only_when_nothing_else_holds_it():
    shape = (4, 1 << 16)  # 1 MiB of float32: pooled
    a = C.scratch(shape, np.float32)
    b = C.scratch(shape, np.float32)
    assert a is not b  # `a` is still held here
    ident = id(a)
    del a
    assert id(C.scratch(shape, np.float32)) == ident
    small = C.scratch((4, 4), np.float32)
    assert small is not C.scratch((4, 4), np.float32)  # small arrays are never pooled
    del b


@pytest.fixture(params=["kept", "rebuilt"])
def columns(request, monkeypatch):
    """Both ways the backward gets its columns: kept from the forward, or rebuilt from x."""
    if request.param == "rebuilt":
        monkeypatch.setattr(C, "KEEP_COLS_BYTES", 0)
        monkeypatch.setattr(C, "CHUNK_BYTES", 1 << 17)  # slices of 1-3 samples, the last short
    return request.param


@pytest.mark.parametrize("retain", [False, True])
def test_two_live_graphs_keep_their_own_columns(retain, columns):
    # columns of the size that is pooled; the second forward runs before the first backward
    (x1, t1), (x2, t2) = _pair((8, 3, 20, 20), 0), _pair((8, 3, 20, 20), 1)
    (w, tw) = _pair((5, 3, 3, 3), 2)
    y1 = F.conv2d(x1, w, padding=1).sum()
    y2 = (F.conv2d(x2, w, padding=1) ** 2).sum()
    y2.backward(retain_graph=retain)
    y1.backward(retain_graph=retain)
    if retain:  # a retained graph's columns stay valid for a second pass
        y1.backward()
    (torch.nn.functional.conv2d(t2, tw, padding=1) ** 2).sum().backward()
    r1 = torch.nn.functional.conv2d(t1, tw, padding=1).sum()
    r1.backward(retain_graph=True)
    if retain:
        r1.backward()
    for mine, theirs in ((x1, t1), (x2, t2), (w, tw)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("kernel", [1, 3])
def test_inplace_change_of_a_kept_input_is_caught(kernel, monkeypatch):
    # a 1x1 convolution's columns are a view of x; large layers keep x itself
    monkeypatch.setattr(C, "KEEP_COLS_BYTES", 0)
    x = d2lmods.randn(2, 3, 4, 4, requires_grad=True)
    h = x * 1
    w = d2lmods.randn(4, 3, kernel, kernel, requires_grad=True)
    y = F.conv2d(h, w)
    with d2lmods.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("variant", ["sigmoid", "relu"])
def test_lenet_layers_match_torch_in_float32(variant, columns):
    (x, tx) = _pair((6, 1, 28, 28), 3)
    (w1, tw1), (b1, tb1) = _pair((6, 1, 5, 5), 4), _pair((6,), 5)
    (w2, tw2), (b2, tb2) = _pair((16, 6, 5, 5), 6), _pair((16,), 7)

    def net(lib, x, w1, b1, w2, b2):
        f = lib.nn.functional
        act = lib.sigmoid if variant == "sigmoid" else f.relu
        pool = f.avg_pool2d if variant == "sigmoid" else f.max_pool2d
        h = pool(act(f.conv2d(x, w1, b1, padding=2)), 2, 2)
        return pool(act(f.conv2d(h, w2, b2)), 2, 2)

    y, ty = net(d2lmods, x, w1, b1, w2, b2), net(torch, tx, tw1, tb1, tw2, tb2)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(d2lmods.tensor(g))
    ty.backward(torch.tensor(g))
    for mine, theirs in ((x, tx), (w1, tw1), (b1, tb1), (w2, tw2), (b2, tb2)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-3, atol=1e-4)
