"""Typed tensor names (``LongTensor``, ...), ``x.type()``, and the in-place random fills,
compared with PyTorch."""

import numpy as np
import pytest

import d2lmods

_NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
          "CharTensor", "ByteTensor", "BoolTensor"]


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


@pytest.mark.oracle
@pytest.mark.parametrize("name", _NAMES)
def test_typed_constructors_build_their_dtype(torch, name):
    cases = [(lambda L: ([0, 2, 1],), True), (lambda L: ([[1.7, 0.0], [2.2, 3.9]],), True),
             (lambda L: (np.array([3, 0]),), True), (lambda L: (2, 3), False),
             (lambda L: (L.Size([4]),), False)]
    for args, initialised in cases:
        ours, theirs = getattr(d2lmods, name)(*args(d2lmods)), getattr(torch, name)(*args(torch))
        assert _dtype_name(ours) == _dtype_name(theirs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert not ours.requires_grad and ours.is_leaf
        if initialised:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tuple(getattr(d2lmods, name)().shape) == tuple(getattr(torch, name)().shape) == (0,)


@pytest.mark.oracle
@pytest.mark.parametrize("name", _NAMES)
def test_isinstance_checks_the_dtype(torch, name):
    def verdicts(lib):
        cls = getattr(lib, name)
        samples = [lib.tensor([1]), lib.tensor([1.0]), lib.tensor([True]),
                   lib.tensor([1.0], dtype=lib.float64), lib.tensor([1], dtype=lib.int32),
                   lib.tensor([1.0], dtype=lib.float16), lib.tensor([1], dtype=lib.uint8),
                   lib.nn.Parameter(lib.tensor(1.0)), cls([1]), 3, [1]]
        return [isinstance(s, cls) for s in samples] + [issubclass(cls, lib.Tensor),
                                                       isinstance(cls, type)]

    assert verdicts(d2lmods) == verdicts(torch)


@pytest.mark.oracle
def test_typed_constructor_of_a_tensor(torch):
    for lib in (d2lmods, torch):
        t = lib.tensor([1.0, 2.0])
        same = lib.FloatTensor(t)
        same[0] = 5.0
        assert t[0].item() == 5.0           # the same storage, as in PyTorch
        with pytest.raises(TypeError):
            lib.LongTensor(t)


@pytest.mark.oracle
def test_type_names_and_conversions(torch):
    def run(lib):
        x = lib.tensor([1.5, -2.0])
        out = [x.type(), lib.tensor([1]).type(), lib.tensor([True]).type(),
               lib.tensor([1.0], dtype=lib.float64).type(),
               lib.tensor([1.0], dtype=lib.float16).type(),
               lib.tensor([1], dtype=lib.uint8).type(), lib.tensor([1], dtype=lib.int8).type(),
               lib.tensor([1], dtype=lib.int16).type(), lib.tensor([1], dtype=lib.int32).type()]
        for spec in (lib.DoubleTensor, "torch.DoubleTensor", "torch.IntTensor", lib.float64,
                     lib.LongTensor, lib.BoolTensor):
            y = x.type(spec)
            out.append((_dtype_name(y), y.tolist()))
        out.append(x.type(lib.FloatTensor) is x)
        return out

    assert run(d2lmods) == run(torch)


def test_type_with_an_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="torch.FloatTensor"):
        d2lmods.ones(1).type("torch.NotATensor")


# -- in-place random fills ---------------------------------------------------------------------
_FILLS = {
    "bernoulli_": lambda t: t.bernoulli_(0.3),
    "bernoulli_tensor": lambda t: t.bernoulli_(d2lmods.full(t.shape, 0.7)),
    "random_": lambda t: t.random_(),
    "random_to": lambda t: t.random_(10),
    "random_from_to": lambda t: t.random_(-3, 4),
    "exponential_": lambda t: t.exponential_(2.0),
    "geometric_": lambda t: t.geometric_(0.25),
    "cauchy_": lambda t: t.cauchy_(1.0, 0.5),
    "log_normal_": lambda t: t.log_normal_(0.0, 0.5),
    "uniform_": lambda t: t.uniform_(-2, 3),
    "normal_": lambda t: t.normal_(1.0, 0.5),
}


@pytest.mark.parametrize("name", sorted(_FILLS))
def test_random_fills_are_seeded_in_place_and_keep_dtype(name):
    fill = _FILLS[name]
    draws = []
    for _ in range(2):
        d2lmods.manual_seed(123)
        t = d2lmods.empty(4000)
        r = fill(t)
        assert r is t and t.dtype == d2lmods.float32 and t._version == 1
        draws.append(t.numpy().copy())
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(fill(d2lmods.empty(4000)).numpy(), draws[0])


def test_random_fills_have_the_right_distribution():
    d2lmods.manual_seed(0)
    n = 20000

    def fill(name, dtype=d2lmods.float64):
        return _FILLS[name](d2lmods.empty(n, dtype=dtype)).numpy()

    b = fill("bernoulli_")
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    assert abs(fill("bernoulli_tensor").mean() - 0.7) < 0.02
    r = fill("random_to")
    assert set(np.unique(r)) == set(range(10))
    r = fill("random_from_to")
    assert r.min() == -3 and r.max() == 3 and np.all(r == np.round(r))
    assert 0 <= fill("random_").min() and fill("random_").max() <= 2 ** 53
    assert abs(fill("exponential_").mean() - 0.5) < 0.03
    g = fill("geometric_")
    assert g.min() == 1 and abs(g.mean() - 4.0) < 0.15
    assert abs(np.median(fill("cauchy_")) - 1.0) < 0.05
    assert abs(np.log(fill("log_normal_")).std() - 0.5) < 0.02
    u = fill("uniform_")
    assert -2 <= u.min() and u.max() < 3
    assert abs(fill("normal_").std() - 0.5) < 0.02


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16"])
def test_random_fill_of_other_dtypes_stays_in_range(torch, dtype):
    for lib in (d2lmods, torch):
        t = lib.empty(500, dtype=getattr(lib, dtype)).random_(0, 2)
        assert _dtype_name(t) == dtype
        assert set(np.unique(t.numpy().astype(np.float64))) == {0.0, 1.0}
        b = lib.empty(500, dtype=getattr(lib, dtype)).bernoulli_(0.5)
        assert _dtype_name(b) == dtype


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_FILLS))
def test_random_fill_of_a_leaf_that_requires_grad_is_torchs_error(torch, name):
    torch_fill = {"bernoulli_tensor": lambda t: t.bernoulli_(torch.full(t.shape, 0.7))}.get(
        name, _FILLS[name])
    with pytest.raises(RuntimeError) as theirs:
        torch_fill(torch.empty(3, requires_grad=True))
    with pytest.raises(RuntimeError) as ours:
        _FILLS[name](d2lmods.empty(3, requires_grad=True))
    assert str(ours.value).startswith(str(theirs.value).rstrip("."))
    w = d2lmods.empty(3, requires_grad=True)
    with d2lmods.no_grad():
        _FILLS[name](w)                 # the way nn.init fills parameters
    assert w.is_leaf and w.requires_grad
