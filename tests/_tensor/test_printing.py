"""``repr(tensor)`` compared with PyTorch's, live, on the same values."""

import numpy as np
import pytest

import d2lmods

pytestmark = pytest.mark.oracle

R = np.random.default_rng(0)

ARRAYS = {
    "scalar": np.array(-0.1896, np.float32),
    "scalar_int_mode": np.array(3.0, np.float32),
    "column": np.array([[0.3653], [0.3266]], np.float32),
    "matrix": R.standard_normal((3, 4)).astype(np.float32),
    "int_mode": np.array([[1.0, 2.0], [30.0, -4.0]], np.float32),
    "int_mode_large": np.array([1.0, 2000.0, 5.0], np.float32),
    "sci_small": np.array([1e-5, 1.0], np.float32),
    "sci_large": np.array([1e10, 1.0], np.float32),
    "sci_ratio": np.array([0.001, 2.5], np.float32),
    "nonfinite": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "nonfinite_frac": np.array([1.5, np.nan, -np.inf], np.float32),
    "zeros": np.zeros((2, 3), np.float32),
    "neg_zero": np.array([-0.0, 1.25], np.float32),
    "float64": np.array([[1.5, 2.0], [3.0, 4.25]]),
    "float16": np.array([1.0, 2.5, 3.1], np.float16),
    "ints": np.array([1, 2, -300]),
    "int32": np.array([[1, 2], [3, 4]], np.int32),
    "bools": np.array([True, False, True]),
    "long_row": R.standard_normal(30).astype(np.float32),
    "long_int_row": np.arange(40),
    "three_d": R.standard_normal((2, 3, 4)).astype(np.float32),
    "four_d": R.standard_normal((2, 1, 2, 3)).astype(np.float32),
    "summarised_1d": np.arange(2000, dtype=np.float32),
    "summarised_2d": R.standard_normal((40, 50)).astype(np.float32),
    "summarised_3d": np.arange(3 * 20 * 30).reshape(3, 20, 30),
    "summarised_float64": R.standard_normal((1001,)),
    "empty": np.zeros((0,), np.float32),
    "empty_2d": np.zeros((2, 0), np.float32),
    "empty_int": np.zeros((0,), np.int64),
    "empty_3d_f64": np.zeros((0, 2, 3)),
    "big_values": np.array([123456.789, 0.5], np.float32),
    "mixed_sign": np.array([-1.5, 22.25, -333.125], np.float32),
}


def _same(ours, theirs):
    assert repr(ours) == repr(theirs).replace("torch.", "d2lmods.")


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_repr_matches_torch(torch, name):
    a = ARRAYS[name]
    _same(d2lmods.tensor(a), torch.tensor(a))


@pytest.mark.parametrize("name", ["matrix", "scalar", "float64", "long_row", "summarised_2d"])
def test_requires_grad_suffix_matches_torch(torch, name):
    a = ARRAYS[name]
    _same(d2lmods.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def test_grad_fn_suffix_and_wrapping_match_torch(torch):
    x = R.standard_normal((2, 4)).astype(np.float32)
    w = R.standard_normal((1, 4)).astype(np.float32)
    b = R.standard_normal((1,)).astype(np.float32)
    o = d2lmods.ops.linear(
        d2lmods.tensor(x),
        d2lmods.tensor(w, requires_grad=True),
        d2lmods.tensor(b, requires_grad=True),
    )
    t = torch.nn.functional.linear(
        torch.tensor(x), torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    )
    _same(o, t)
    _same(o.sum(), t.sum())
    _same(o.relu() * 2, t.relu() * 2)
    big_o = d2lmods.tensor(ARRAYS["long_row"], requires_grad=True).double() * 3
    big_t = torch.tensor(ARRAYS["long_row"], requires_grad=True).double() * 3
    _same(big_o, big_t)


def test_grad_fn_suffix_on_int_mode_and_sci_mode(torch):
    for a in (np.array([1.0, 2.0], np.float32), np.array([1e-6, 3.0], np.float32)):
        _same(d2lmods.tensor(a, requires_grad=True) * 1, torch.tensor(a, requires_grad=True) * 1)


def test_print_options_round_trip(torch):
    a = R.standard_normal((3,)).astype(np.float32)
    d2lmods.set_printoptions(precision=2)
    torch.set_printoptions(precision=2)
    try:
        _same(d2lmods.tensor(a), torch.tensor(a))
    finally:
        d2lmods.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    _same(d2lmods.tensor(a), torch.tensor(a))


def test_max_with_dim_prints_like_torch_return_types(torch):
    a = np.array([[1.0, 5.0], [7.0, 2.0]], np.float32)
    assert repr(d2lmods.tensor(a).max(dim=1)) == repr(torch.tensor(a).max(dim=1))
