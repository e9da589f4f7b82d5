"""nn.init: in-place fills, no graph recorded, the right distributions, PyTorch's gains and fans."""

import math
import warnings

import numpy as np
import pytest

import d2lmods
from d2lmods import nn
from d2lmods.nn import init


def _param(*shape):
    return nn.Parameter(d2lmods.empty(*shape))


ALL = [
    ("uniform_", {}),
    ("normal_", {}),
    ("constant_", {"val": 0.3}),
    ("ones_", {}),
    ("zeros_", {}),
    ("xavier_uniform_", {}),
    ("xavier_normal_", {}),
    ("kaiming_uniform_", {}),
    ("kaiming_normal_", {}),
    ("trunc_normal_", {}),
]


@pytest.mark.parametrize("name,kw", ALL)
def test_fills_in_place_without_recording_a_graph(name, kw):
    w = _param(30, 20)
    arr_before = w.detach().numpy()
    version = w._version_count
    out = getattr(init, name)(w, **kw)
    assert out is w
    assert w.detach().numpy() is arr_before  # same storage, changed in place
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert w._version_count > version
    assert np.isfinite(w.detach().numpy()).all()


def test_eye_and_constants():
    w = _param(3, 4)
    init.eye_(w)
    np.testing.assert_array_equal(w.detach().numpy(), np.eye(3, 4))
    init.constant_(w, 42)
    assert (w.detach().numpy() == 42).all()
    init.ones_(w)
    assert (w.detach().numpy() == 1).all()
    init.zeros_(w)
    assert not w.detach().numpy().any()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(_param(2, 2, 2))


def test_distributions_have_the_documented_moments():
    d2lmods.manual_seed(0)
    w = _param(400, 500)
    fan_in, fan_out = 500, 400

    init.uniform_(w, -2, 3)
    a = w.detach().numpy()
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.02

    init.normal_(w, mean=1.5, std=0.5)
    a = w.detach().numpy()
    assert abs(a.mean() - 1.5) < 0.01 and abs(a.std() - 0.5) < 0.01

    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    a = w.detach().numpy()
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound

    init.xavier_normal_(w)
    assert abs(w.detach().numpy().std() - math.sqrt(2 / (fan_in + fan_out))) < 1e-3

    init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(fan_in)  # = 1/sqrt(fan_in)
    a = w.detach().numpy()
    assert np.abs(a).max() <= bound + 1e-7 and np.abs(a).max() > 0.99 * bound

    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.detach().numpy().std() - math.sqrt(2 / fan_out)) < 1e-3

    init.trunc_normal_(w, mean=0.0, std=1.0, a=-0.5, b=1.0)
    a = w.detach().numpy()
    assert a.min() >= -0.5 and a.max() <= 1.0 and a.min() < -0.49 and a.max() > 0.99


def test_seed_makes_draws_repeatable():
    w1, w2 = _param(5, 5), _param(5, 5)
    d2lmods.manual_seed(7)
    init.normal_(w1)
    d2lmods.manual_seed(7)
    init.normal_(w2)
    np.testing.assert_array_equal(w1.detach().numpy(), w2.detach().numpy())


def test_conv_fans_use_the_receptive_field():
    w = _param(16, 6, 5, 5)
    assert init._calculate_fan_in_and_fan_out(w) == (6 * 25, 16 * 25)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(_param(4))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")


@pytest.mark.oracle
@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("conv2d",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("selu",),
    ],
)
def test_calculate_gain_matches_torch(torch, args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")


def test_zero_element_tensor_warns_like_torch():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(_param(0, 3))


def test_uninitialized_lazy_parameter_says_run_a_forward_first():
    layer = nn.LazyLinear(4)
    with pytest.raises(RuntimeError, match="run one forward pass first"):
        init.xavier_uniform_(layer.weight)
    layer(d2lmods.ones(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.xavier_uniform_(layer.weight)


def test_apply_with_init_function_like_d2l():
    def init_normal(module):
        if type(module) == nn.Linear:  # noqa: E721 (the book's own test)
            init.normal_(module.weight, mean=0, std=0.01)
            init.zeros_(module.bias)

    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    net.apply(init_normal)
    assert abs(float(net[0].weight.detach().numpy().std()) - 0.01) < 0.01
    assert not net[0].bias.detach().numpy().any()


def test_default_initializations_follow_pytorch():
    d2lmods.manual_seed(0)
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    for p in (conv.weight, conv.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
    bn = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    emb = nn.Embedding(1000, 50)
    a = emb.weight.detach().numpy()
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.02
    emb = nn.Embedding(10, 3, padding_idx=2)
    assert not emb.weight.detach().numpy()[2].any()
    ln = nn.LayerNorm(4)
    np.testing.assert_array_equal(ln.weight.detach().numpy(), np.ones(4))
