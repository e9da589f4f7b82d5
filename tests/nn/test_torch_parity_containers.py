"""Containers behave as torch's: the same code runs on d2lmods and on torch 2.13 (``lib``).

Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict: indexing (negative,
slices of the same type), editing (insert/extend/pop/del/+=/+/*), dict APIs, registration
of what they hold, and their reprs.
"""

import copy
import re
import warnings
from collections import OrderedDict

import pytest


@pytest.fixture(autouse=True)
def _silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _lin(lib, n):
    """A distinct layer whose size tells it apart: ``in_features == n``."""
    return lib.nn.Linear(n, 1)


def _sizes(container):
    return [getattr(m, "in_features", type(m).__name__) for m in container]


# ---- Sequential -----------------------------------------------------------------------------


def test_sequential_indexing(lib):
    nn = lib.nn
    s = nn.Sequential(_lin(lib, 1), nn.ReLU(), _lin(lib, 3))
    assert s[-1].in_features == 3 and s[0].in_features == 1
    sliced = s[1:]
    assert type(sliced) is nn.Sequential
    assert list(sliced._modules) == ["1", "2"]  # slices keep the original keys
    assert list(s[::2]._modules) == ["0", "2"]
    assert sliced[1] is s[2]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        s[-4]
    assert len(s) == 3 and list(s) == [s[0], s[1], s[2]]
    assert [m.in_features for m in reversed(nn.Sequential(_lin(lib, 1), _lin(lib, 2)))] == [2, 1]


def test_sequential_editing(lib):
    nn = lib.nn
    s = nn.Sequential(_lin(lib, 1), _lin(lib, 2))
    assert s.append(_lin(lib, 3)) is s
    assert s.insert(1, _lin(lib, 9)) is s
    assert _sizes(s) == [1, 9, 2, 3] and list(s._modules) == ["0", "1", "2", "3"]
    s.insert(-1, _lin(lib, 8))
    assert _sizes(s) == [1, 9, 2, 8, 3]
    with pytest.raises(IndexError, match="Index out of range: 100"):
        s.insert(100, nn.ReLU())
    assert s.extend([_lin(lib, 4)]) is s
    assert s.pop(0).in_features == 1
    assert _sizes(s) == [9, 2, 8, 3, 4] and list(s._modules) == ["0", "1", "2", "3", "4"]
    del s[-1]
    del s[0:2]
    assert _sizes(s) == [8, 3] and list(s._modules) == ["0", "1"]
    s[0] = nn.Tanh()
    assert _sizes(s) == ["Tanh", 3]
    assert [n for n, _ in s.named_parameters()] == ["1.weight", "1.bias"]


def test_sequential_arithmetic(lib):
    nn = lib.nn
    a, b = nn.Sequential(_lin(lib, 1)), nn.Sequential(_lin(lib, 2))
    both = a + b
    assert type(both) is nn.Sequential and _sizes(both) == [1, 2]
    assert both[0] is a[0]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        a + [nn.ReLU()]
    a += b
    assert _sizes(a) == [1, 2] and list(a._modules) == ["0", "1"]


def test_sequential_repetition_repeats_the_same_instances(lib):
    nn = lib.nn
    block = nn.Sequential(_lin(lib, 1), nn.ReLU())
    twice = block * 2
    assert _sizes(twice) == [1, "ReLU", 1, "ReLU"]
    assert twice[0] is twice[2] is block[0]
    assert _sizes(2 * block) == [1, "ReLU", 1, "ReLU"]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        block * 0
    with pytest.raises(TypeError, match="unsupported operand type"):
        block * 1.5


def test_sequential_from_ordered_dict(lib):
    nn = lib.nn
    s = nn.Sequential(OrderedDict([("hidden", _lin(lib, 2)), ("act", nn.ReLU())]))
    assert list(s._modules) == ["hidden", "act"]
    assert s.hidden is s[0]
    assert list(s[1:]._modules) == ["act"]
    assert repr(s) == (
        "Sequential(\n  (hidden): Linear(in_features=2, out_features=1, bias=True)\n"
        "  (act): ReLU()\n)"
    )


def test_sequential_forward_and_empty(lib):
    nn = lib.nn
    x = lib.ones(2, 3)
    assert nn.Sequential()(x) is x
    assert repr(nn.Sequential()) == "Sequential()"
    s = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    assert tuple(s(x).shape) == (2, 1)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        nn.Sequential(3)


def test_sequential_dir_hides_numbered_children(lib):
    s = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh())
    assert not [k for k in dir(s) if k[0].isdigit()]
    assert "append" in dir(s)


# ---- ModuleList -----------------------------------------------------------------------------


def test_module_list_indexing(lib):
    nn = lib.nn
    ml = nn.ModuleList([_lin(lib, 1), _lin(lib, 2), _lin(lib, 3)])
    assert ml[-1].in_features == 3
    part = ml[1:]
    assert type(part) is nn.ModuleList and list(part._modules) == ["0", "1"]  # renumbered
    assert part[0] is ml[1]
    assert _sizes(ml[::-1]) == [3, 2, 1]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        ml[5]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        ml[-4]
    with pytest.raises(TypeError):
        ml["0"]
    assert ml[0] in ml and list(ml).index(ml[2]) == 2


def test_module_list_editing(lib):
    nn = lib.nn
    ml = nn.ModuleList([_lin(lib, 1), _lin(lib, 2)])
    ml.insert(0, _lin(lib, 10))
    ml.insert(len(ml), _lin(lib, 9))
    assert _sizes(ml) == [10, 1, 2, 9] and list(ml._modules) == ["0", "1", "2", "3"]
    assert ml.append(_lin(lib, 5)) is ml and ml.extend([_lin(lib, 6)]) is ml
    assert ml.pop(1).in_features == 1 and ml.pop(-1).in_features == 6
    assert _sizes(ml) == [10, 2, 9, 5] and list(ml._modules) == ["0", "1", "2", "3"]
    del ml[0:2]
    assert _sizes(ml) == [9, 5] and list(ml._modules) == ["0", "1"]
    ml[-1] = nn.ReLU()
    assert _sizes(ml) == [9, "ReLU"]
    ml += [_lin(lib, 7)]
    assert _sizes(ml) == [9, "ReLU", 7]
    joined = ml + nn.ModuleList([_lin(lib, 8)])
    assert type(joined) is nn.ModuleList and _sizes(joined) == [9, "ReLU", 7, 8]
    assert _sizes(ml + [nn.Tanh()]) == [9, "ReLU", 7, "Tanh"]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert not [k for k in dir(ml) if k[0].isdigit()]


def test_module_list_errors(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="is not a Module subclass"):
        ml.append(3)
    with pytest.raises(
        TypeError, match="ModuleList.extend should be called with an iterable, but got int"
    ):
        ml.extend(3)
    with pytest.raises(TypeError):
        ml[0] = 3
    with pytest.raises(
        NotImplementedError,
        match=re.escape('Module [ModuleList] is missing the required "forward" function'),
    ):
        ml(lib.ones(1))


def test_module_list_in_a_model_is_registered(lib):
    nn = lib.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.blks = nn.ModuleList([nn.LazyLinear(4) for _ in range(3)])
            self.out = nn.Linear(4, 1)

        def forward(self, x):
            for blk in self.blks:
                x = blk(x).relu()
            return self.out(x)

    net = MLP()
    assert repr(net) == (
        "MLP(\n  (blks): ModuleList(\n"
        "    (0-2): 3 x LazyLinear(in_features=0, out_features=4, bias=True)\n  )\n"
        "  (out): Linear(in_features=4, out_features=1, bias=True)\n)"
    )
    net(lib.ones(2, 5))
    assert [n for n, _ in net.named_parameters()][:4] == [
        "blks.0.weight",
        "blks.0.bias",
        "blks.1.weight",
        "blks.1.bias",
    ]
    assert "(0): Linear(in_features=5, out_features=4, bias=True)" in repr(net)
    assert "(1-2): 2 x Linear(in_features=4, out_features=4, bias=True)" in repr(net)


# ---- ModuleDict -----------------------------------------------------------------------------


def test_module_dict_api(lib):
    nn = lib.nn
    md = nn.ModuleDict({"b": _lin(lib, 1), "a": nn.ReLU()})
    assert list(md) == ["b", "a"]  # insertion order, not sorted
    md.update([("c", _lin(lib, 2))])
    md.update({"z": _lin(lib, 3), "d": _lin(lib, 4)})
    md.update(OrderedDict([("y", nn.Tanh())]))
    md.update(nn.ModuleDict({"x": nn.Sigmoid()}))
    assert list(md.keys()) == ["b", "a", "c", "z", "d", "y", "x"]
    assert md.c is md["c"] and "c" in md and "nope" not in md
    assert type(md.pop("a")).__name__ == "ReLU" and "a" not in md
    del md["y"]
    assert [k for k, _ in md.items()] == list(md) == ["b", "c", "z", "d", "x"]
    assert _sizes(md.values()) == [1, 2, 3, 4, "Sigmoid"]
    assert len(md) == 5
    assert [n for n, _ in md.named_parameters()][:2] == ["b.weight", "b.bias"]
    with pytest.raises(KeyError, match="nope"):
        md["nope"]
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []


def test_module_dict_errors(lib):
    nn = lib.nn
    md = nn.ModuleDict()
    with pytest.raises(TypeError, match="is not a Module subclass"):
        md["x"] = 3
    with pytest.raises(
        TypeError,
        match="ModuleDict.update should be called with an iterable of key/value pairs, but got int",
    ):
        md.update(3)
    with pytest.raises(
        ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"
    ):
        md.update([("a", nn.ReLU(), 3)])
    with pytest.raises(KeyError, match="module name can.{1,2}t contain"):
        md["a.b"] = nn.ReLU()
    with pytest.raises(
        NotImplementedError,
        match=re.escape('Module [ModuleDict] is missing the required "forward" function'),
    ):
        md(lib.ones(1))


def test_module_dict_repr_and_forward_choice(lib):
    nn = lib.nn

    class Choose(nn.Module):
        def __init__(self):
            super().__init__()
            self.acts = nn.ModuleDict(
                {"relu": nn.ReLU(), "neg": nn.Hardtanh(-2.0, 2.0)}
                if hasattr(nn, "Hardtanh")
                else {"relu": nn.ReLU()}
            )

        def forward(self, x, act):
            return self.acts[act](x)

    m = Choose()
    assert m(lib.tensor([-1.0, 2.0]), "relu").tolist() == [0.0, 2.0]
    assert repr(nn.ModuleDict({"act": nn.ReLU(), "lin": _lin(lib, 2)})) == (
        "ModuleDict(\n  (act): ReLU()\n  (lin): Linear(in_features=2, out_features=1, bias=True)\n)"
    )


# ---- ParameterList --------------------------------------------------------------------------


def test_parameter_list_api(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.zeros(1)), nn.Parameter(lib.zeros(2)), lib.zeros(3)])
    assert all(type(p) is nn.Parameter for p in pl)  # plain tensors become Parameters
    assert tuple(pl[-1].shape) == (3,)
    part = pl[1:]
    assert type(part) is nn.ParameterList and part[0] is pl[1]
    assert [tuple(p.shape) for p in pl[::-1]] == [(3,), (2,), (1,)]
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert pl.append(nn.Parameter(lib.zeros(4))) is pl
    assert pl.extend([lib.zeros(5)]) is pl
    pl += [lib.zeros(6)]
    assert len(pl) == 6
    pl[0] = lib.ones(7)
    assert type(pl[0]) is nn.Parameter and tuple(pl[0].shape) == (7,)
    with pytest.raises(IndexError, match="index 10 is out of range"):
        pl[10]
    with pytest.raises(
        TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"
    ):
        pl.extend(lib.zeros(2))
    pl.append("not a tensor")
    assert pl[-1] == "not a tensor" and len(list(pl.parameters())) == 6
    assert not [k for k in dir(pl) if k[0].isdigit()]
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(1)


def test_parameter_list_in_a_model_trains(lib):
    nn = lib.nn

    class Poly(nn.Module):
        def __init__(self):
            super().__init__()
            self.coef = nn.ParameterList([nn.Parameter(lib.tensor(float(i))) for i in range(3)])

        def forward(self, x):
            return sum(c * x**i for i, c in enumerate(self.coef))

    m = Poly()
    opt = lib.optim.SGD(m.parameters(), lr=0.1)
    m(lib.tensor(2.0)).backward()
    assert [float(c.grad) for c in m.coef] == [1.0, 2.0, 4.0]
    opt.step()
    assert [round(c.item(), 4) for c in m.coef] == [-0.1, 0.8, 1.6]
    clone = copy.deepcopy(m)
    assert len(clone.coef) == 3 and clone.coef[0] is not m.coef[0]


def test_parameter_list_repr(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.zeros(2, 3)), lib.zeros(1), "s"])
    name = lib.__name__
    assert repr(pl) == (
        "ParameterList(\n"
        f"    (0): Parameter containing: [{name}.float32 of size 2x3]\n"
        f"    (1): Parameter containing: [{name}.float32 of size 1]\n"
        "    (2): Object of type: str\n)"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"


# ---- ParameterDict --------------------------------------------------------------------------


def _p(lib, n):
    return lib.nn.Parameter(lib.zeros(n))


def test_parameter_dict_key_order(lib):
    nn = lib.nn
    # a plain dict is added in sorted key order; ordered inputs keep their order
    pd = nn.ParameterDict({"b": _p(lib, 1), "a": _p(lib, 2)})
    assert list(pd) == ["a", "b"]
    pd.update({"z": _p(lib, 1), "c": _p(lib, 1)})
    assert list(pd) == ["a", "b", "c", "z"]
    pd.update(OrderedDict([("y", _p(lib, 1)), ("d", _p(lib, 1))]))
    pd.update([("x", _p(lib, 1)), ("e", _p(lib, 1))])
    pd.update(nn.ParameterDict(OrderedDict([("w", _p(lib, 1)), ("f", _p(lib, 1))])))
    assert list(pd) == ["a", "b", "c", "z", "y", "d", "x", "e", "w", "f"]
    assert [n for n, _ in pd.named_parameters()] == list(pd)
    assert list(pd.state_dict()) == list(pd)
    assert list(reversed(pd)) == list(pd)[::-1]
    pd["a"] = _p(lib, 3)  # replacing keeps the position
    assert list(pd)[0] == "a" and tuple(pd["a"].shape) == (3,)


def test_parameter_dict_dict_api(lib):
    nn = lib.nn
    pd = nn.ParameterDict(OrderedDict([("a", _p(lib, 1)), ("b", _p(lib, 2))]))
    c = pd.copy()
    assert type(c) is nn.ParameterDict and list(c) == ["a", "b"] and c["a"] is pd["a"]
    c["new"] = _p(lib, 1)
    assert "new" not in pd
    assert pd.setdefault("a") is pd["a"]
    fresh = _p(lib, 3)
    assert pd.setdefault("c", fresh) is fresh and list(pd) == ["a", "b", "c"]
    assert pd.setdefault("empty") is None and "empty" in pd and pd["empty"] is None
    key, value = pd.popitem()
    assert key == "empty" and value is None and list(pd) == ["a", "b", "c"]
    key, value = pd.popitem()
    assert key == "c" and value is fresh
    fk = pd.fromkeys(["k1", "k2"], lib.zeros(2))
    assert type(fk) is nn.ParameterDict and list(fk) == ["k1", "k2"]
    assert all(type(v) is nn.Parameter for v in fk.values())
    assert list(pd.fromkeys(["u"]).values()) == [None]
    assert pd.get("a") is pd["a"] and pd.get("missing", 5) == 5 and pd.get("missing") is None
    assert tuple(pd.pop("b").shape) == (2,) and "b" not in pd
    pd["t"] = lib.zeros(2)
    assert type(pd["t"]) is nn.Parameter
    pd["o"] = 3
    assert pd["o"] == 3 and [n for n, _ in pd.named_parameters()] == ["a", "t"]
    assert [type(v).__name__ for v in pd.values()] == ["Parameter", "Parameter", "int"]
    assert len(pd) == 3 and "t" in dir(pd)
    del pd["o"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(KeyError, match="popitem"):
        pd.popitem()


def test_parameter_dict_union(lib):
    nn = lib.nn
    pd = nn.ParameterDict(OrderedDict([("b", _p(lib, 1)), ("a", _p(lib, 1))]))
    other = nn.ParameterDict({"q": _p(lib, 2)})
    merged = pd | other
    assert type(merged) is nn.ParameterDict and list(merged) == ["b", "a", "q"]
    assert merged["q"] is other["q"] and "q" not in pd
    assert list(pd | {"q": _p(lib, 1)}) == ["b", "a", "q"]
    left = {"q": _p(lib, 1)} | pd
    assert type(left) is dict and list(left) == ["q", "b", "a"]
    before = id(pd)
    pd |= {"z": _p(lib, 1), "c": _p(lib, 1)}
    assert id(pd) == before and list(pd) == ["b", "a", "c", "z"]


def test_parameter_dict_errors_and_repr(lib):
    nn = lib.nn
    pd = nn.ParameterDict()
    with pytest.raises(AttributeError, match="'ParameterDict' object has no attribute 'nope'"):
        pd["nope"]
    with pytest.raises(
        TypeError,
        match="ParametersDict.update should be called with an "
        "iterable of key/value pairs, but got int",
    ):
        pd.update(3)
    with pytest.raises(
        ValueError, match="ParameterDict update sequence element #0 has length 1; 2 is required"
    ):
        pd.update([("a",)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        pd(1)
    assert repr(pd) == "ParameterDict()"
    pd["w"] = nn.Parameter(lib.zeros(2, 3))
    assert repr(pd) == (
        f"ParameterDict(  (w): Parameter containing: [{lib.__name__}.FloatTensor of size 2x3])"
    )
    clone = copy.deepcopy(nn.ParameterDict(OrderedDict([("b", _p(lib, 1)), ("a", _p(lib, 2))])))
    assert list(clone) == ["b", "a"]


def test_parameter_dict_in_a_model(lib):
    nn = lib.nn

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.params = nn.ParameterDict(
                {"left": nn.Parameter(lib.ones(2, 3)), "right": nn.Parameter(lib.ones(2, 3) * 2)}
            )

        def forward(self, x, choice):
            return self.params[choice].mm(x)

    m = TwoHeads()
    assert m(lib.ones(3, 1), "right").tolist() == [[6.0], [6.0]]
    assert list(m.state_dict()) == ["params.left", "params.right"]
    m.double()
    assert m.params["left"].dtype == lib.float64
