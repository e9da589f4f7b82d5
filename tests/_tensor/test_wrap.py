"""``wrap`` and its written-out copy in ``ops._util.out`` build the same tensor, and every way of
making a tensor sets every slot (in-place ops read ``_view_of`` without a default)."""

import copy
import pickle

import numpy as np
import pytest

import d2lmods as torch
from d2lmods import nn
from d2lmods._tensor.core import Tensor, wrap
from d2lmods.autograd.node import Node
from d2lmods.ops._util import out

SLOTS = [s for s in Tensor.__slots__ if s != "__weakref__"]


class _Probe(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


def _slots(t):
    return {s: getattr(t, s) for s in SLOTS}  # raises AttributeError for a slot never set


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.float32(2.5),  # what a reduction to 0-d returns
        np.bool_(True),  # what a 0-d comparison returns
        np.asarray(1.0),
    ],
    ids=["2x3", "float32 scalar", "bool scalar", "0-d array"],
)
def test_out_builds_what_wrap_builds(arr):
    x = torch.ones(1, requires_grad=True)
    node = _Probe()
    made = out(arr, node, (x,))
    ref = wrap(arr, node, True)
    a, b = _slots(made), _slots(ref)
    assert type(made) is type(ref) is Tensor
    assert type(a["_data"]) is type(b["_data"]) is np.ndarray
    assert a["_data"].shape == b["_data"].shape and a["_data"].dtype == b["_data"].dtype
    assert a["_vcell"] == b["_vcell"] == [0] and a["_vcell"] is not b["_vcell"]
    for s in ("_rg", "_grad", "_fn", "_out_nr", "_view_of"):
        assert a[s] is b[s] or a[s] == b[s], s
    assert node.inputs == ((x, None, 0),)


def test_zero_d_results_take_in_place_writes():
    loss = (torch.ones(3, requires_grad=True) * 2).sum()
    assert isinstance(loss._data, np.ndarray) and loss.dim() == 0
    flag = torch.ones(()) > 0
    assert isinstance(flag._data, np.ndarray)
    total = torch.zeros(()).sum()
    total += 3.0
    assert total.item() == 3.0


def test_every_constructor_sets_every_slot():
    p = nn.Parameter(torch.ones(2, 2))
    base = torch.arange(6.0)
    made = [
        torch.tensor([1.0, 2.0]),
        Tensor([1.0, 2.0]),
        Tensor(2, 3),
        torch.zeros(3),
        p,
        p.detach(),
        p.data,
        base[1:3],
        base.view(2, 3),
        copy.deepcopy(p),
        pickle.loads(pickle.dumps(p)),
        Tensor._make_subclass(nn.Parameter, torch.ones(2)),
        torch.ones(2, requires_grad=True) * 3,
    ]
    lazy = nn.LazyLinear(3)
    lazy(torch.ones(2, 4))
    made += [lazy.weight, lazy.bias]
    for t in made:
        _slots(t)
    assert base[1:3]._view_of is base
    assert base[1:3][0:1]._view_of is base  # a view of a view: the tensor that owns the storage
    assert p._view_of is None
