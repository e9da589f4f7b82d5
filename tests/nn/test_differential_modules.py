"""Differential suite: the D2L builders'-guide models in d2lmods and in PyTorch, same weights.

Each model is built with both libraries from the same source (``tests/fixtures/models.py``),
PyTorch's weights are copied into d2lmods through ``load_state_dict``, and the
outputs, the gradients of every parameter and a few SGD steps are compared.
"""

import warnings

import numpy as np
import pytest

import d2lmods
from tests.fixtures.models import EAGER, LAZY, build

pytestmark = pytest.mark.oracle


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _to_ours(t):
    return d2lmods.tensor(t.detach().cpu().numpy())


def _copy_weights(theirs, ours):
    """Copy torch's state (and D2L's constant `rand_weight` tensors) into the d2lmods model."""
    result = ours.load_state_dict({k: _to_ours(v) for k, v in theirs.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    for (n1, m_t), (n2, m_o) in zip(theirs.named_modules(), ours.named_modules()):
        assert n1 == n2
        if hasattr(m_t, "rand_weight"):
            m_o.rand_weight = _to_ours(m_t.rand_weight)


def _close(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _pair(torch, name, seed=0):
    torch.manual_seed(seed)
    theirs, shape = build(torch, name)
    ours, _ = build(d2lmods, name)
    if name in LAZY:  # materialize both with the same batch shape first
        theirs(torch.randn(*shape))
        ours(d2lmods.randn(*shape))
    _copy_weights(theirs, ours)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return ours, theirs, d2lmods.tensor(x), torch.tensor(x)


@pytest.mark.parametrize("name", EAGER + LAZY)
def test_forward_and_gradients_match_torch(torch, name):
    ours, theirs, x_o, x_t = _pair(torch, name)
    out_o, out_t = ours(x_o), theirs(x_t)
    _close(out_o, out_t)
    assert out_o.requires_grad == out_t.requires_grad
    if not out_t.requires_grad:  # MyLinear computes from .data: nothing to differentiate
        return
    out_o.sum().backward()
    out_t.sum().backward()
    grads_o = dict(ours.named_parameters(remove_duplicate=False))
    for pname, p_t in theirs.named_parameters(remove_duplicate=False):
        p_o = grads_o[pname]
        if p_t.grad is None:
            assert p_o.grad is None, pname
        else:
            _close(p_o.grad, p_t.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["seq", "mlp", "nest", "tied", "rgnet", "lazy_mlp"])
def test_sgd_steps_match_torch(torch, name):
    ours, theirs, x_o, x_t = _pair(torch, name, seed=3)
    lr = 0.05
    for _ in range(3):
        for model, x, lib in ((ours, x_o, d2lmods), (theirs, x_t, torch)):
            model.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
    for (n_o, p_o), (n_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n_o == n_t
        _close(p_o, p_t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["seq", "nest", "tied"])
def test_double_precision_models_match_torch(torch, name):
    ours, theirs, x_o, x_t = _pair(torch, name)
    ours.double()
    theirs.double()
    assert all(p.dtype == d2lmods.float64 for p in ours.parameters())
    _close(ours(x_o.double()), theirs(x_t.double()), rtol=1e-10, atol=1e-12)


def test_state_dict_exported_from_ours_loads_into_torch(torch):
    ours, _ = build(d2lmods, "chimera")
    theirs, _ = build(torch, "chimera")
    theirs.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )
    for m_t, m_o in zip(theirs.modules(), ours.modules()):
        if hasattr(m_o, "rand_weight"):
            m_t.rand_weight = torch.from_numpy(m_o.rand_weight.numpy().copy())
    x = np.ones((2, 20), np.float32)
    _close(ours(d2lmods.tensor(x)), theirs(torch.tensor(x)))


def test_train_eval_flags_match_torch(torch):
    ours, _ = build(d2lmods, "rgnet")
    theirs, _ = build(torch, "rgnet")
    ours[0].eval()
    theirs[0].eval()
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]


# ---- random architectures ------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_LEAF = st.one_of(
    st.tuples(st.just("linear"), st.integers(1, 6), st.booleans()),
    st.tuples(st.just("lazy"), st.integers(1, 6), st.booleans()),
    st.tuples(st.just("relu")),
)
_SPEC = st.recursive(
    _LEAF,
    lambda kids: st.tuples(
        st.sampled_from(["seq", "list", "dict"]), st.lists(kids, min_size=1, max_size=4)
    ),
    max_leaves=10,
)


def _stack_class(lib):
    class Stack(lib.nn.Module):
        """A custom module looping over a ModuleList or ModuleDict (registered containers)."""

        def __init__(self, mods, as_dict):
            super().__init__()
            if as_dict:
                self.body = lib.nn.ModuleDict({f"m{i}": m for i, m in enumerate(mods)})
            else:
                self.body = lib.nn.ModuleList(mods)

        def forward(self, X):
            for m in self.body.values() if isinstance(self.body, lib.nn.ModuleDict) else self.body:
                X = m(X)
            return X

    return Stack


def _build(lib, spec, n_in, Stack):
    kind = spec[0]
    if kind == "linear":
        return lib.nn.Linear(n_in, spec[1], bias=spec[2]), spec[1]
    if kind == "lazy":
        return lib.nn.LazyLinear(spec[1], bias=spec[2]), spec[1]
    if kind == "relu":
        return lib.nn.ReLU(), n_in
    mods, n = [], n_in
    for child in spec[1]:
        m, n = _build(lib, child, n, Stack)
        mods.append(m)
    if kind == "seq":
        return lib.nn.Sequential(*mods), n
    return Stack(mods, kind == "dict"), n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_SPEC, n_in=st.integers(1, 5), batch=st.integers(1, 3))
def test_random_architectures_match_torch(spec, n_in, batch):
    torch = pytest.importorskip("torch")
    theirs, _ = _build(torch, spec, n_in, _stack_class(torch))
    ours, _ = _build(d2lmods, spec, n_in, _stack_class(d2lmods))
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = np.random.default_rng(0).standard_normal((batch, n_in)).astype(np.float32)
    out_t = theirs(torch.tensor(x))  # materializes lazy layers
    ours(d2lmods.tensor(x))
    assert repr(ours) == repr(theirs)
    _copy_weights(theirs, ours)
    out_o = ours(d2lmods.tensor(x))
    _close(out_o, out_t)
    if out_t.requires_grad:
        out_t.sum().backward()
        out_o.sum().backward()
        grads = dict(ours.named_parameters())
        for name, p in theirs.named_parameters():
            _close(grads[name].grad, p.grad, rtol=1e-4, atol=1e-5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
