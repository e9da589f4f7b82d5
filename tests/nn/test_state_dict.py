"""state_dict / load_state_dict: keys, order, sharing, strictness and error texts (vs torch)."""

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import d2lmods
from d2lmods import nn
from tests.fixtures.models import EAGER, build


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _arr(t):
    return t.detach().numpy()


def test_state_dict_is_ordered_detached_and_shares_memory():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    net.register_buffer("count", d2lmods.tensor(0))
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["count", "0.weight", "0.bias", "1.weight", "1.bias"]
    assert not sd["0.weight"].requires_grad and type(sd["0.weight"]) is d2lmods.Tensor
    with d2lmods.no_grad():
        net[0].weight[0, 0] = 42.0
    assert float(sd["0.weight"][0, 0]) == 42.0  # a view, not a snapshot
    kv = net.state_dict(keep_vars=True)
    assert kv["0.weight"] is net[0].weight
    assert list(net.state_dict(prefix="model.")) == ["model." + k for k in sd]
    assert sd._metadata == OrderedDict(
        [("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 1})]
    )


def test_state_dict_positional_args_warn_future():
    with pytest.warns(FutureWarning, match="Positional args"):
        nn.Linear(1, 1).state_dict(None, "p.")


def test_state_dict_keys_match_torch_for_d2l_models(torch):
    for name in EAGER:
        ours, _ = build(d2lmods, name)
        theirs, _ = build(torch, name)
        assert list(ours.state_dict()) == list(theirs.state_dict()), name
        assert list(ours.state_dict()._metadata) == list(theirs.state_dict()._metadata), name


def test_round_trip_into_fresh_model_copies_in_place():
    src = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    dst = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    w = dst[0].weight
    result = dst.load_state_dict(src.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst[0].weight is w  # same Parameter object
    np.testing.assert_array_equal(_arr(w), _arr(src[0].weight))
    assert not np.shares_memory(_arr(w), _arr(src[0].weight))  # copied, not aliased


def test_load_preserves_tying():
    def tied():
        shared = nn.Linear(8, 8)
        return nn.Sequential(nn.Linear(4, 8), shared, nn.Identity(), shared)

    src, dst = tied(), tied()
    dst.load_state_dict(src.state_dict())
    assert dst[1].weight is dst[3].weight
    np.testing.assert_array_equal(_arr(dst[3].weight), _arr(src[1].weight))


def test_load_converts_dtype_into_the_models_dtype():
    dst = nn.Linear(2, 2)
    src = nn.Linear(2, 2).double()
    dst.load_state_dict(src.state_dict())
    assert dst.weight.dtype == d2lmods.float32
    np.testing.assert_allclose(_arr(dst.weight), _arr(src.weight).astype(np.float32))


def test_buffers_are_loaded_and_non_persistent_ignored():
    a, b = nn.Module(), nn.Module()
    for m in (a, b):
        m.register_buffer("stat", d2lmods.zeros(2))
        m.register_buffer("tmp", d2lmods.zeros(2), persistent=False)
    with d2lmods.no_grad():
        a.stat += 3
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.stat.numpy(), [3, 3])
    assert "tmp" not in a.state_dict()


def _errors(torch, make_ours, make_theirs, sd_ours, sd_theirs):
    with pytest.raises(RuntimeError) as ours:
        make_ours().load_state_dict(sd_ours)
    with pytest.raises(RuntimeError) as theirs:
        make_theirs().load_state_dict(sd_theirs)
    return str(ours.value), str(theirs.value)


def test_size_mismatch_message_matches_torch_and_adds_fix(torch):
    ours, theirs = _errors(
        torch,
        lambda: nn.Linear(4, 2),
        lambda: torch.nn.Linear(4, 2),
        nn.Linear(3, 2).state_dict(),
        torch.nn.Linear(3, 2).state_dict(),
    )
    assert ours.startswith(theirs.replace("torch.", "d2lmods."))
    assert "size mismatch for weight" in ours and "How to fix" in ours


def test_missing_and_unexpected_message_matches_torch(torch):
    lin_o = nn.Linear(1, 1)
    lin_t = torch.nn.Linear(1, 1)
    ours, theirs = _errors(
        torch,
        lambda: nn.Linear(1, 1),
        lambda: torch.nn.Linear(1, 1),
        {"weight": lin_o.weight.detach(), "extra": d2lmods.zeros(1)},
        {"weight": lin_t.weight.detach(), "extra": torch.zeros(1)},
    )
    assert ours.startswith(theirs)
    assert 'Missing key(s) in state_dict: "bias".' in ours
    assert 'Unexpected key(s) in state_dict: "extra".' in ours


def test_non_strict_returns_keys(torch):
    res = nn.Linear(1, 1).load_state_dict(
        {"weight": d2lmods.zeros(1, 1), "x": d2lmods.zeros(1)}, strict=False
    )
    t_res = torch.nn.Linear(1, 1).load_state_dict(
        {"weight": torch.zeros(1, 1), "x": torch.zeros(1)}, strict=False
    )
    assert res.missing_keys == t_res.missing_keys == ["bias"]
    assert res.unexpected_keys == t_res.unexpected_keys == ["x"]
    assert repr(res) == repr(t_res)


@pytest.mark.parametrize("prefix", ["module.", "net."])
def test_prefixed_checkpoint_suggests_stripping(prefix):
    src = nn.Sequential(nn.Linear(2, 2))
    sd = {prefix + k: v for k, v in copy.deepcopy(src.state_dict()).items()}
    with pytest.raises(RuntimeError) as err:
        nn.Sequential(nn.Linear(2, 2)).load_state_dict(sd)
    text = str(err.value)
    assert text.startswith("Error(s) in loading state_dict for Sequential:")
    assert f"start with '{prefix}'" in text and f"removeprefix('{prefix}')" in text
    # The suggested fix works.
    fixed = {k.removeprefix(prefix): v for k, v in sd.items()}
    assert (
        repr(nn.Sequential(nn.Linear(2, 2)).load_state_dict(fixed))
        == "<All keys matched successfully>"
    )


def test_checkpoint_of_inner_model_into_wrapper_suggests_submodule():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 2))

    sd = copy.deepcopy(nn.Sequential(nn.Linear(2, 2)).state_dict())
    with pytest.raises(RuntimeError, match=r"model.net.load_state_dict\(sd\)"):
        Wrapper().load_state_dict(sd)


def test_missing_only_suggests_same_architecture_or_non_strict():
    sd = copy.deepcopy(nn.Sequential(nn.Linear(2, 2)).state_dict())
    with pytest.raises(RuntimeError, match="strict=False"):
        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).load_state_dict(sd)


def test_load_state_dict_rejects_whole_module():
    with pytest.raises(TypeError, match=r"got the whole model Linear.*other.state_dict\(\)"):
        nn.Linear(1, 1).load_state_dict(nn.Linear(1, 1))


def test_load_state_dict_rejects_non_mapping_and_non_tensor_values():
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        nn.Linear(1, 1).load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        nn.Linear(1, 1).load_state_dict({"weight": d2lmods.zeros(1, 1), "bias": [0.0]})


def test_deepcopied_state_dict_is_a_snapshot():
    net = nn.Linear(2, 1)
    best = copy.deepcopy(net.state_dict())
    before = _arr(net.weight).copy()
    with d2lmods.no_grad():
        net.weight += 1
    net.load_state_dict(best)
    np.testing.assert_array_equal(_arr(net.weight), before)
