"""Lazy modules behave as torch's (run on d2lmods and on torch 2.13, ``lib``).

Placeholders before the first call, copying them, loading a checkpoint into a lazy layer,
the class swap, shared lazy instances, dtype requests and training with an optimizer made early.
"""

import copy
import pickle
import warnings

import pytest


@pytest.fixture(autouse=True)
def _silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_placeholders_before_the_first_call(lib):
    nn = lib.nn
    lz = nn.LazyLinear(3)
    assert {k: repr(v) for k, v in lz.state_dict().items()} == {
        "weight": "<UninitializedParameter>",
        "bias": "<UninitializedParameter>",
    }
    assert [n for n, _ in lz.named_parameters()] == ["weight", "bias"]
    assert nn.parameter.is_lazy(lz.weight)
    assert repr(lz) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert (
        repr(nn.LazyLinear(3, bias=False))
        == "LazyLinear(in_features=0, out_features=3, bias=False)"
    )
    assert nn.LazyLinear(3, bias=False).bias is None
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
        sum(p.numel() for p in lz.parameters())
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
        nn.UninitializedParameter() + 1
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        lz.weight.shape  # noqa: B018


def test_copies_before_the_first_call_stay_lazy(lib):
    nn = lib.nn
    lz = nn.LazyLinear(3)
    for clone in (copy.deepcopy(lz), pickle.loads(pickle.dumps(lz))):
        assert type(clone) is nn.LazyLinear and type(clone.weight) is nn.UninitializedParameter
        assert clone.weight is not lz.weight
        clone(lib.ones(2, 4))
        assert type(clone) is nn.Linear and clone.in_features == 4
    assert type(lz) is nn.LazyLinear


def test_load_state_dict_into_a_lazy_layer(lib):
    nn = lib.nn
    lz = nn.LazyLinear(3)
    src = nn.Linear(4, 3)
    assert repr(lz.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    # shapes are known now, but the class (and in_features) change only at the first call
    assert type(lz) is nn.LazyLinear and lz.in_features == 0
    assert type(lz.weight) is nn.Parameter and tuple(lz.weight.shape) == (3, 4)
    assert not lz.has_uninitialized_params()
    assert lz.weight.tolist() == src.weight.tolist()
    out = lz(lib.ones(2, 4))
    assert tuple(out.shape) == (2, 3) and type(lz) is nn.Linear and lz.in_features == 4
    assert lz.weight.tolist() == src.weight.tolist()  # the first call did not re-initialize


def test_loading_placeholders(lib):
    nn = lib.nn
    assert repr(nn.LazyLinear(3).load_state_dict(nn.LazyLinear(3).state_dict())) == (
        "<All keys matched successfully>"
    )
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())


def test_class_swap_removes_the_hooks(lib):
    nn = lib.nn
    lz = nn.LazyLinear(3)
    lz(lib.ones(1, 2))
    assert not hasattr(lz, "_initialize_hook") and len(lz._forward_pre_hooks) == 0
    user = nn.LazyLinear(3)
    user.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    assert user(lib.ones(1, 2)).tolist() == user.bias.reshape(1, 3).tolist()
    assert len(user._forward_pre_hooks) == 1  # the user's hook stays


def test_one_lazy_instance_at_two_places(lib):
    nn = lib.nn
    shared = nn.LazyLinear(3)
    net = nn.Sequential(nn.Linear(3, 3), shared, nn.ReLU(), shared)
    net(lib.ones(1, 3))
    assert [type(m).__name__ for m in net] == ["Linear", "Linear", "ReLU", "Linear"]
    assert net[1] is net[3] and net[1].in_features == 3
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_other_lazy_layers(lib):
    nn = lib.nn
    conv = nn.LazyConv2d(4, 3)
    assert repr(conv) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))"
    conv(lib.ones(1, 2, 5, 5))
    assert repr(conv) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert tuple(conv.weight.shape) == (4, 2, 3, 3)
    bn = nn.LazyBatchNorm2d()
    bn(lib.ones(2, 2, 5, 5))
    assert repr(bn) == (
        "BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert tuple(bn.running_mean.shape) == (2,) and bn.num_batches_tracked.item() == 1


def test_materialize(lib):
    nn = lib.nn
    p = nn.UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad
    q = nn.UninitializedParameter(dtype=lib.float64)
    q.materialize((2,))
    assert q.dtype == lib.float64
    r = nn.UninitializedParameter(requires_grad=False)
    r.materialize((2,))
    assert not r.requires_grad
    b = nn.UninitializedBuffer()
    b.materialize((2,))
    assert type(b) is lib.Tensor and not b.requires_grad


def test_optimizer_built_before_the_first_call_trains(lib):
    nn = lib.nn
    lib.manual_seed(0)
    net = nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyLinear(1))
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    net(lib.ones(4, 2)).sum().backward()
    before = net[2].weight.detach().clone()
    opt.step()
    assert type(net[0]) is nn.Linear
    assert not bool((net[2].weight == before).all())


def test_dtype_requested_before_the_first_call(lib):
    lz = lib.nn.LazyLinear(3).double()
    assert lz(lib.ones(1, 2, dtype=lib.float64)).dtype == lib.float64
    assert lz.weight.dtype == lib.float64
