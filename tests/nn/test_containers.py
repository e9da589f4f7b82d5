"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: behaviour as in PyTorch."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest

import d2lmods
from d2lmods import nn


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def lin(i=2, o=2):
    return nn.Linear(i, o)


# ---- Sequential ------------------------------------------------------------------------------


def test_sequential_runs_in_order_and_names_children():
    a, b = nn.Linear(3, 4), nn.Linear(4, 2)
    net = nn.Sequential(a, b)
    x = d2lmods.randn(5, 3)
    np.testing.assert_allclose(net(x).detach().numpy(), b(a(x)).detach().numpy(), rtol=1e-6)
    assert list(net._modules) == ["0", "1"]
    assert net[0] is a and net[-1] is b and len(net) == 2
    assert list(net) == [a, b]


def test_sequential_from_ordered_dict():
    net = nn.Sequential(OrderedDict([("hidden", lin()), ("out", lin())]))
    assert list(net._modules) == ["hidden", "out"]
    assert net.hidden is net[0]


def test_sequential_index_errors_and_slices(torch):
    net = nn.Sequential(lin(), lin(), lin())
    with pytest.raises(IndexError, match="index 5 is out of range"):
        net[5]
    tail = net[1:]
    assert isinstance(tail, nn.Sequential)
    assert list(tail._modules) == ["1", "2"]  # original keys kept, as in torch
    assert tail[0] is net[1]
    t = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(3)])
    assert list(t[1:]._modules) == list(tail._modules)


def test_sequential_mutation_matches_torch(torch):
    def ops(lib, mk):
        s = lib.nn.Sequential(mk(), mk())
        s.append(mk())
        s.insert(1, mk())
        s.extend([mk()])
        del s[0]
        popped = s.pop(0)
        s[0] = mk()
        s2 = s + lib.nn.Sequential(mk())
        s += lib.nn.Sequential(mk())
        return list(s._modules), list(s2._modules), len(s), type(popped).__name__

    ours = ops(d2lmods, lambda: nn.Linear(2, 2))
    theirs = ops(torch, lambda: torch.nn.Linear(2, 2))
    assert ours == theirs


def test_sequential_delete_renumbers():
    net = nn.Sequential(lin(), nn.Identity(), lin())
    del net[1]
    assert list(net._modules) == ["0", "1"]
    assert isinstance(net[1], nn.Linear)
    del net[0:1]
    assert list(net._modules) == ["0"]


def test_sequential_mul_repeats_same_instances():
    net = nn.Sequential(nn.Identity())
    rep = net * 3
    assert len(rep) == 3 and rep[0] is rep[2]
    with pytest.raises(ValueError, match="Non-positive"):
        net * 0


def test_sequential_add_rejects_non_sequential():
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        nn.Sequential(lin()) + [lin()]


def test_empty_sequential_is_identity():
    x = d2lmods.ones(2)
    assert nn.Sequential()(x) is x


# ---- ModuleList -------------------------------------------------------------------------------


def test_modulelist_registers_and_indexes():
    layers = nn.ModuleList([lin() for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert layers[-1] is layers[2]
    sub = layers[1:]
    assert isinstance(sub, nn.ModuleList) and list(sub._modules) == ["0", "1"]  # renumbered
    with pytest.raises(IndexError, match="index 3 is out of range"):
        layers[3]


def test_modulelist_mutation_matches_torch(torch):
    def ops(lib, mk):
        m = lib.nn.ModuleList([mk()])
        m.append(mk())
        m.extend([mk(), mk()])
        m.insert(0, mk())
        m += [mk()]
        both = m + lib.nn.ModuleList([mk()])
        del m[1]
        m[0] = mk()
        popped = m.pop(-1)
        del m[0:2]
        return list(m._modules), list(both._modules), len(m), type(popped).__name__

    assert ops(d2lmods, lambda: nn.Linear(1, 1)) == ops(torch, lambda: torch.nn.Linear(1, 1))


def test_modulelist_extend_non_iterable():
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        nn.ModuleList().extend(5)


def test_modulelist_used_in_forward_loop():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

        def forward(self, X):
            for b in self.blocks:
                X = b(X)
            return X

    net = Net()
    x = d2lmods.randn(2, 4)
    ref = x
    for b in net.blocks:
        ref = b(ref)
    np.testing.assert_allclose(net(x).detach().numpy(), ref.detach().numpy())
    assert [n for n, _ in net.named_parameters()][:2] == ["blocks.0.weight", "blocks.0.bias"]


# ---- ModuleDict -------------------------------------------------------------------------------


def test_moduledict_behaves_like_an_ordered_dict(torch):
    def ops(lib, mk):
        d = lib.nn.ModuleDict({"b": mk(), "a": mk()})
        d["c"] = mk()
        d.update([("d", mk())])
        d.update({"e": mk()})
        popped = d.pop("a")
        del d["b"]
        return list(d.keys()), "c" in d, len(d), type(popped).__name__, [k for k in d]

    assert ops(d2lmods, lambda: nn.Linear(1, 1)) == ops(torch, lambda: torch.nn.Linear(1, 1))
    d = nn.ModuleDict({"act": nn.Identity()})
    assert list(d.values())[0] is d["act"] and dict(d.items())["act"] is d.act
    d.clear()
    assert len(d) == 0


def test_moduledict_update_errors():
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        nn.ModuleDict().update([("a", lin(), 1)])
    with pytest.raises(TypeError, match="is not a Module subclass"):
        nn.ModuleDict({"a": 3})


# ---- ParameterList / ParameterDict --------------------------------------------------------------


def test_parameterlist_registers_and_wraps_tensors():
    pl = nn.ParameterList([nn.Parameter(d2lmods.ones(2)), d2lmods.zeros(3)])
    assert len(pl) == 2
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    pl.append(d2lmods.ones(1))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert [p.shape for p in pl] == [d2lmods.Size([2]), d2lmods.Size([3]), d2lmods.Size([1])]
    pl[0] = d2lmods.zeros(5)
    assert pl[0].shape == d2lmods.Size([5])


def test_parameterdict_registers_and_wraps_tensors():
    pd = nn.ParameterDict({"w": d2lmods.ones(2, 2)})
    pd["b"] = nn.Parameter(d2lmods.zeros(2))
    assert list(pd.keys()) == ["w", "b"] and "w" in pd and len(pd) == 2
    assert isinstance(pd["w"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["w", "b"]
    assert pd.pop("w").shape == d2lmods.Size([2, 2])
    assert list(pd) == ["b"]


def test_parameter_containers_in_a_model_train():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(d2lmods.randn(3, 3)) for _ in range(2)])
            self.bs = nn.ParameterDict({"b": nn.Parameter(d2lmods.zeros(3))})

        def forward(self, X):
            for w in self.ws:
                X = X @ w
            return X + self.bs["b"]

    net = Net()
    net(d2lmods.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert list(net.state_dict()) == ["ws.0", "ws.1", "bs.b"]


# ---- random edit sequences, compared with torch --------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

_OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["append", "insert", "delitem", "pop", "extend", "setitem", "slice", "iadd"]
        ),
        st.integers(-4, 4),
    ),
    max_size=12,
)


def _replay(lib, kind, ops):
    """Apply ``ops`` to a container of ``lib``; return the keys and a tag per child after each op."""
    counter = iter(range(10_000))

    def mk():
        m = lib.nn.Identity()
        m.tag = next(counter)
        return m

    c = getattr(lib.nn, kind)(*([mk(), mk()] if kind == "Sequential" else [[mk(), mk()]]))
    trace = []
    for op, i in ops:
        try:
            if op == "append":
                c.append(mk())
            elif op == "insert":
                c.insert(i, mk())
            elif op == "delitem":
                del c[i]
            elif op == "pop":
                c.pop(i)
            elif op == "extend":
                c.extend([mk(), mk()])
            elif op == "setitem":
                c[i] = mk()
            elif op == "slice":
                c = c[i:]
            elif op == "iadd":
                c += lib.nn.Sequential(mk()) if kind == "Sequential" else [mk()]
            outcome = "ok"
        except (IndexError, KeyError, ValueError, TypeError, AttributeError) as e:
            outcome = type(e).__name__
        trace.append((op, i, outcome, list(c._modules), [m.tag for m in c]))
    return trace


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
@settings(max_examples=60, deadline=None)
@given(ops=_OPS)
def test_random_edits_match_torch(kind, ops):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ours = _replay(d2lmods, kind, ops)
    assert ours == _replay(torch, kind, ops)
    # d2lmods speaks up exactly when a child silently disappears (torch says nothing).
    for w in rec:
        assert issubclass(w.category, nn.ModuleUsageWarning) and "was dropped" in str(w.message)


def test_append_after_slicing_warns_that_a_child_is_dropped():
    seq = nn.Sequential(nn.Identity(), nn.Linear(1, 1), nn.Linear(1, 1))[1:]  # keys '1', '2'
    with pytest.warns(
        nn.ModuleUsageWarning,
        match=r"(?s)key '2', which already held a Linear.*"
        r"nn.Sequential\(\*container\)",
    ):
        seq.append(nn.Identity())
    assert list(seq._modules) == ["1", "2"]  # what torch does too
    renumbered = nn.Sequential(*seq)
    renumbered.append(nn.Identity())
    assert list(renumbered._modules) == ["0", "1", "2"]
