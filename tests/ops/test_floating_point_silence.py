"""inf and nan come out of the ops as they do in torch: as values, never as numpy's warnings,
even where every warning is an error (``-W error``, ``filterwarnings = error``), which replaces
the filter ``import d2lmods`` installs. The values and gradients are compared with torch."""

import warnings

import numpy as np
import pytest

import d2lmods

CASES = {
    "log of 0 and of a negative": lambda L, x: L.log(x - 1) + L.log(-x),
    "log1p of -1": lambda L, x: L.log1p(-x),
    "division by 0": lambda L, x: x / (x - 1),
    "a number over 0": lambda L, x: 2.0 / (x - 1),
    "division by a number 0": lambda L, x: x / 0.0,
    "sqrt of 0 and of a negative": lambda L, x: L.sqrt(x - 1) + L.sqrt(-x),
    "rsqrt of 0": lambda L, x: L.rsqrt(x - 1),
    "reciprocal of 0": lambda L, x: L.reciprocal(x - 1),
    "exp overflow": lambda L, x: L.exp(x * 1000),
    "negative power of 0": lambda L, x: (x - 1) ** -1.0,
    "tensor power of 0": lambda L, x: L.pow(x - 1, -x),
    "number to a huge power": lambda L, x: 10.0 ** (x * 1000),
    "mean of nothing": lambda L, x: x[:0].mean() + x,
    "mean of nothing along a dim": lambda L, x: x.reshape(2, 1)[:, :0].mean(dim=1) + x,
}


def _run(L, fn):
    x = L.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("error")
        y = fn(L, x)
        y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name", list(CASES))
def test_no_warning_and_torchs_values(name):
    y, g = _run(d2lmods, CASES[name])
    torch = pytest.importorskip("torch")
    ty, tg = _run(torch, CASES[name])
    np.testing.assert_array_equal(y, ty)  # inf, -inf and nan in the same places
    np.testing.assert_array_equal(g, tg)


def test_the_learners_own_numpy_still_warns():
    import d2lmods  # noqa: F401, F811  (imported: its filter is installed)

    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.log(np.zeros(1))
