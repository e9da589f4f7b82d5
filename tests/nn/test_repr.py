"""Module reprs compared with the strings PyTorch prints for the same models (live)."""

import re
import warnings
from collections import OrderedDict

import pytest

import d2lmods
from d2lmods import nn
from tests.fixtures.models import EAGER, LAZY, build


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("name", EAGER + LAZY)
def test_d2l_model_reprs_match_torch(torch, name):
    ours, _ = build(d2lmods, name)
    theirs, _ = build(torch, name)
    assert repr(ours) == repr(theirs)


def _pair(torch, make):
    return repr(make(nn, d2lmods)), repr(make(torch.nn, torch))


@pytest.mark.parametrize(
    "make",
    [
        lambda nn, t: nn.Linear(20, 256),
        lambda nn, t: nn.Linear(3, 1, bias=False),
        lambda nn, t: nn.LazyLinear(8),
        lambda nn, t: nn.Identity(),
        lambda nn, t: nn.Sequential(),
        lambda nn, t: nn.ModuleList(),
        lambda nn, t: nn.ModuleDict(),
        lambda nn, t: nn.Sequential(
            *[nn.Linear(4, 4) for _ in range(5)]
        ),  # Sequential never compresses
        lambda nn, t: nn.ModuleList([nn.Linear(4, 4) for _ in range(5)]),
        lambda nn, t: nn.ModuleList([nn.LazyLinear(10) for _ in range(5)]),
        lambda nn, t: nn.ModuleList(
            [nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 4)]
        ),
        lambda nn, t: nn.ModuleList(
            [nn.Sequential(nn.Linear(2, 2), nn.Identity()) for _ in range(3)]
        ),
        lambda nn, t: nn.ModuleList([nn.ModuleList([nn.Linear(1, 1)] * 1) for _ in range(2)]),
        lambda nn, t: nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.Identity()}),
        lambda nn, t: nn.Sequential(
            OrderedDict([("hidden", nn.Linear(2, 4)), ("act", nn.Identity())])
        ),
        lambda nn, t: nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(1, 1)))),
        lambda nn, t: nn.ParameterList(),
        lambda nn, t: nn.ParameterList([nn.Parameter(t.ones(2, 3)), nn.Parameter(t.ones(3))]),
        lambda nn, t: nn.ParameterDict({"a": nn.Parameter(t.ones(2, 3))}),
    ],
    ids=lambda f: "case",
)
def test_layer_and_container_reprs_match_torch(torch, make):
    ours, theirs = _pair(torch, make)
    assert ours == theirs.replace("torch.", "d2lmods.")


def test_nested_parameterlist_repr_matches_torch(torch):
    def make(lib):
        class A(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.p = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2))])

        return A()

    assert repr(make(d2lmods)) == repr(make(torch)).replace("torch.", "d2lmods.")


def test_extra_repr_multiline_and_custom(torch):
    def make(lib):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.Linear(2, 2)

            def extra_repr(self):
                return "scale=2\nshift=1"

        return lib.nn.Sequential(Scaled())

    assert repr(make(d2lmods)) == repr(make(torch))


def test_lazy_repr_changes_after_first_call(torch):
    ours = nn.Sequential(nn.LazyLinear(256), nn.Identity(), nn.LazyLinear(10))
    theirs = torch.nn.Sequential(
        torch.nn.LazyLinear(256), torch.nn.Identity(), torch.nn.LazyLinear(10)
    )
    assert repr(ours) == repr(theirs)
    ours(d2lmods.randn(2, 20))
    theirs(torch.randn(2, 20))
    assert repr(ours) == repr(theirs)


def test_parameter_reprs(torch):
    p = nn.Parameter(d2lmods.tensor([0.0659]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([0.0659])))
    assert repr(nn.parameter.UninitializedParameter()) == repr(
        torch.nn.parameter.UninitializedParameter()
    )
    assert repr(nn.Parameter(d2lmods.zeros(2), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.zeros(2), requires_grad=False)
    )


def test_state_dict_and_incompatible_keys_reprs(torch):
    ours = nn.Linear(1, 1)
    theirs = torch.nn.Linear(1, 1)
    with d2lmods.no_grad():
        ours.weight.fill_(0.5)
        ours.bias.fill_(0.25)
    with torch.no_grad():
        theirs.weight.fill_(0.5)
        theirs.bias.fill_(0.25)
    assert repr(ours.state_dict()) == repr(theirs.state_dict())
    r_ours = ours.load_state_dict({"weight": d2lmods.zeros(1, 1)}, strict=False)
    r_theirs = theirs.load_state_dict({"weight": torch.zeros(1, 1)}, strict=False)
    assert repr(r_ours) == repr(r_theirs)
    assert repr(ours.load_state_dict({k: v.clone() for k, v in ours.state_dict().items()})) == repr(
        theirs.load_state_dict({k: v.clone() for k, v in theirs.state_dict().items()})
    )


def test_repr_of_a_model_with_unregistered_list_shows_only_registered(torch):
    def make(lib):
        class D(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [lib.nn.Linear(1, 1)]

        return D()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(make(d2lmods)) == repr(make(torch)) == "D()"


def test_no_blank_indentation_lines():
    text = repr(nn.Sequential(nn.ModuleList([nn.Linear(1, 1)]), nn.Linear(1, 1)))
    assert not re.search(r"\n\s+\n", text)


def test_lazy_state_dict_and_named_parameters_reprs(torch):
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(ours.state_dict()) == repr(theirs.state_dict())
    assert repr(list(ours.named_parameters())) == repr(list(theirs.named_parameters()))
    assert (ours.weight.requires_grad, ours.weight.is_leaf, ours.weight.grad) == (
        theirs.weight.requires_grad,
        theirs.weight.is_leaf,
        theirs.weight.grad,
    )
