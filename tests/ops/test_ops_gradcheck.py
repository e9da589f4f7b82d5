"""Every differentiable op: autograd's gradient equals central finite differences (float64)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import d2lmods
from d2lmods.autograd import no_grad

from ._cases import CASES, draw


def fd_check(fn, arrays, eps=1e-6, rtol=1e-5, atol=1e-6):
    """Compare d(sum(w * fn(x)))/dx from backward with central differences, for every input."""
    tensors = [d2lmods.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    w = np.random.default_rng(7).standard_normal(tuple(out.shape))
    (out * d2lmods.tensor(w)).sum().backward()

    def value(arrs):
        with no_grad():
            return float((fn(*[d2lmods.tensor(a) for a in arrs]) * d2lmods.tensor(w)).sum())

    for i, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (value(plus) - value(minus)) / (2 * eps)
        assert tensors[i].grad is not None, f"input {i} got no gradient"
        assert tensors[i].grad.dtype == d2lmods.float64
        np.testing.assert_allclose(
            tensors[i].grad.numpy(), numeric, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
        )


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradient_matches_finite_differences(case):
    fd_check(lambda *ts: case.fn(d2lmods, *ts), draw(case.shapes, case.kind))


_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": lambda a, b: d2lmods.maximum(a, b),
    "where": lambda a, b: d2lmods.where(a > b, a * 2, b),
}


@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(_BINARY)),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_binary_gradients(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes)
    # keep a and b apart so max/where have no ties inside the finite-difference step
    b = b + np.where(rng.random(b.shape) > 0.5, 0.3, -0.3)
    fd_check(_BINARY[op], [np.asarray(a, np.float64), np.asarray(b, np.float64)])


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4), data=st.data())
def test_reduction_gradients_random_dims(shape, data):
    nd = len(shape)
    dims = data.draw(
        st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd)
    )
    keep = data.draw(st.booleans())
    op = data.draw(st.sampled_from(["sum", "mean", "var", "amax"]))
    x = np.random.default_rng(len(shape)).permutation(np.prod(shape)).reshape(shape) * 0.5 + 0.1
    if op == "var" and np.prod([shape[d % nd] for d in dims]) < 2:
        return
    fd_check(lambda t: getattr(t, op)(tuple(dims), keepdim=keep), [x.astype(np.float64)])
