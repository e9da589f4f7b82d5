"""Lazy layers: placeholders, materialization in place, class swap, dtype, loading."""

import warnings

import numpy as np
import pytest

import d2lmods
from d2lmods import nn, optim
from d2lmods.nn.parameter import UninitializedParameter, is_lazy


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_lazy_linear_before_and_after_first_call(torch):
    lz = nn.LazyLinear(256)
    assert repr(lz) == "LazyLinear(in_features=0, out_features=256, bias=True)"
    assert type(lz).__name__ == "LazyLinear"
    assert isinstance(lz.weight, UninitializedParameter) and is_lazy(lz.bias)
    assert [n for n, _ in lz.named_parameters()] == ["weight", "bias"]
    assert list(lz.state_dict()) == ["weight", "bias"]
    out = lz(d2lmods.randn(2, 20))
    assert out.shape == d2lmods.Size([2, 256])
    assert type(lz) is nn.Linear
    assert repr(lz) == repr(torch.nn.Linear(20, 256))
    assert lz.in_features == 20
    assert type(lz.weight) is nn.Parameter and lz.weight.shape == d2lmods.Size([256, 20])
    assert not lz._forward_pre_hooks and not lz._load_state_dict_pre_hooks
    assert not hasattr(lz, "_initialize_hook")


def test_lazy_without_bias():
    lz = nn.LazyLinear(3, bias=False)
    assert lz.bias is None
    lz(d2lmods.randn(1, 4))
    assert repr(lz) == "Linear(in_features=4, out_features=3, bias=False)"


def test_materialization_is_in_place_so_early_optimizer_trains():
    net = nn.Sequential(nn.LazyLinear(4), nn.LazyLinear(1))
    before = list(net.parameters())
    assert all(is_lazy(p) for p in before)
    net(d2lmods.randn(8, 3))
    after = list(net.parameters())
    assert len(before) == len(after) and all(a is b for a, b in zip(before, after))
    assert all(type(p) is nn.Parameter and p.requires_grad for p in after)
    # The parameters gathered before the first call receive gradients.
    net(d2lmods.randn(8, 3)).sum().backward()
    assert all(p.grad is not None for p in before)


def test_materialization_draws_torch_default_init_range():
    d2lmods.manual_seed(0)
    lz = nn.LazyLinear(500)
    lz(d2lmods.randn(2, 100))
    w = lz.weight.detach().numpy()
    bound = 1 / np.sqrt(100)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert w.min() >= -bound and w.max() <= bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    b = lz.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound and b.std() > 0


def test_reading_shape_too_early_explains(torch):
    lz = nn.LazyLinear(3)
    with pytest.raises(RuntimeError) as ours:
        lz.weight.shape
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.LazyLinear(3).weight.shape
    assert str(ours.value).startswith(str(theirs.value))
    assert "sample batch" in str(ours.value)
    with pytest.raises(
        ValueError, match="uninitialized parameter.*run one forward with a sample batch"
    ):
        sum(p.numel() for p in lz.parameters())
    with pytest.raises(ValueError, match="run one forward"):
        lz.weight.data
    with pytest.raises(ValueError, match="run one forward"):
        lz.weight[0]


def test_computing_with_placeholder_explains():
    lz = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="uninitialized parameter"):
        d2lmods.ones(2, 3) @ lz.weight.T


def test_direct_forward_call_on_lazy_layer_explains():
    lz = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match=r"forward\(\) was called directly.*layer\(X\)"):
        lz.forward(d2lmods.randn(2, 4))
    # The usual call works afterwards.
    assert lz(d2lmods.randn(2, 4)).shape == d2lmods.Size([2, 3])


def test_to_double_before_first_call_is_honoured(torch):
    net = nn.Sequential(nn.LazyLinear(3)).to(d2lmods.float64)
    out = net(d2lmods.randn(2, 5, dtype=d2lmods.float64))
    assert net[0].weight.dtype == d2lmods.float64 and out.dtype == d2lmods.float64
    t = torch.nn.Sequential(torch.nn.LazyLinear(3)).to(torch.float64)
    t(torch.randn(2, 5, dtype=torch.float64))
    assert t[0].weight.dtype == torch.float64
    lz = nn.LazyLinear(2, dtype=d2lmods.float64)
    lz(d2lmods.randn(1, 3, dtype=d2lmods.float64))
    assert lz.weight.dtype == d2lmods.float64


def test_lazy_float32_layer_rejects_float64_input_after_materializing():
    lz = nn.LazyLinear(2)
    with pytest.raises(RuntimeError, match="Double and Float"):
        lz(d2lmods.randn(1, 3, dtype=d2lmods.float64))


def test_tied_lazy_layer_initializes_once_and_stays_tied():
    shared = nn.LazyLinear(8)
    net = nn.Sequential(
        nn.LazyLinear(8),
        nn.Identity(),
        shared,
        nn.Identity(),
        shared,
        nn.Identity(),
        nn.LazyLinear(1),
    )
    net(d2lmods.randn(2, 4))
    assert type(net[2]) is nn.Linear and type(net[4]) is nn.Linear
    with d2lmods.no_grad():
        net[2].weight.data[0, 0] = 100
    assert float(net[4].weight.data[0, 0]) == 100.0
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "6.weight",
        "6.bias",
    ]


def test_load_state_dict_into_lazy_keeps_class_until_first_call(torch):
    src = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 1))
    clone = nn.Sequential(nn.LazyLinear(8), nn.Identity(), nn.LazyLinear(1))
    assert repr(clone.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    # torch 2.x prints the lazy class and in_features=0 until the first call (D2L's File I/O output).
    assert repr(clone[0]) == "LazyLinear(in_features=0, out_features=8, bias=True)"
    t_clone = torch.nn.Sequential(
        torch.nn.LazyLinear(8), torch.nn.Identity(), torch.nn.LazyLinear(1)
    )
    t_src = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Identity(), torch.nn.Linear(8, 1))
    t_clone.load_state_dict(t_src.state_dict())
    assert repr(clone) == repr(t_clone)
    np.testing.assert_array_equal(clone[0].weight.detach().numpy(), src[0].weight.detach().numpy())
    x = d2lmods.randn(3, 4)
    np.testing.assert_allclose(clone(x).detach().numpy(), src(x).detach().numpy(), rtol=1e-6)
    t_clone(torch.randn(3, 4))
    assert repr(clone) == repr(t_clone)  # Linear(in_features=4, ...) after the call
    assert clone[0].in_features == 4


def test_lazy_load_with_wrong_shape_downstream_is_reported():
    src = nn.Linear(4, 8)
    clone = nn.LazyLinear(8)
    clone.load_state_dict(src.state_dict())
    with pytest.raises(RuntimeError, match="in_features=4 but the input's last dimension is 5"):
        clone(d2lmods.randn(2, 5))


def test_lazy_module_with_optimizer_built_first_trains():
    d2lmods.manual_seed(1)
    net = nn.Sequential(nn.LazyLinear(1))
    params = list(net.parameters())
    x = d2lmods.randn(16, 3)
    y = x @ d2lmods.tensor([[1.0], [-2.0], [0.5]])
    losses = []
    for _ in range(30):
        loss = ((net(x) - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with d2lmods.no_grad():
            for p in params:
                p -= 0.1 * p.grad
        losses.append(float(loss))
    assert losses[-1] < 0.1 * losses[0]


def test_uninitialized_parameter_materialize_directly():
    p = UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == d2lmods.Size([2, 3]) and p.requires_grad
    b = nn.UninitializedBuffer()
    b.materialize(4)
    assert type(b) is d2lmods.Tensor and b.shape == d2lmods.Size([4])


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_optimizer_built_before_first_call_trains_lazy_model(opt_name):
    d2lmods.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    opt = getattr(optim, opt_name)(net.parameters(), lr=0.05 if opt_name == "SGD" else 0.01)
    X = d2lmods.randn(64, 3)
    y = X.sum(1, keepdim=True)
    losses = []
    for _ in range(100):
        loss = ((net(X) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], net.parameters()))
