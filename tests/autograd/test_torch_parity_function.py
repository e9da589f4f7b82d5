"""Custom ``autograd.Function`` behaves as PyTorch's: each test runs the same code on both
libraries (``lib`` is d2lmods or torch) and compares, and gradients are checked by finite
differences."""

import numpy as np
import pytest

import d2lmods
from tests.ops.test_ops_gradcheck import fd_check

pytestmark = pytest.mark.oracle


def _fn(lib, name, forward, backward, setup_context=None):
    """A Function subclass named ``name`` for ``lib``."""
    ns = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    if setup_context is not None:
        ns["setup_context"] = staticmethod(setup_context)
    return type(name, (lib.autograd.Function,), ns)


def _both(torch, build):
    """``build(lib)`` for d2lmods and for torch."""
    return build(d2lmods), build(torch)


def _error(lib, run):
    with pytest.raises(RuntimeError) as e:
        run(lib)
    return str(e.value)


# -- non-tensor arguments and outputs --------------------------------------------------------
def _scaled_sum(lib):
    def forward(ctx, a, k, b, flag=True):
        ctx.k = k
        ctx.needs = ctx.needs_input_grad
        ctx.save_for_backward(a, None, b)
        return a * k + b * b

    def backward(ctx, g):
        a, none, b = ctx.saved_tensors
        assert none is None
        return g * ctx.k, None, 2 * b * g, None

    F = _fn(lib, "ScaledSum", forward, backward)
    a = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([0.5, 3.0], dtype=lib.float64, requires_grad=True)
    y = F.apply(a, 5, b, False)
    y.sum().backward()
    return (y.detach().numpy(), a.grad.numpy(), b.grad.numpy(), y.grad_fn.needs,
            type(y.grad_fn).__name__)


def test_non_tensor_arguments_in_any_position_keep_every_gradient(torch):
    ours, theirs = _both(torch, _scaled_sum)
    for o, t in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(o, t)
    assert ours[3] == theirs[3] == (True, False, True, False)
    assert ours[4] == theirs[4] == "ScaledSumBackward"


def _square_with_constant(lib):
    def forward(ctx, k, x, c):
        ctx.save_for_backward(x)
        ctx.k = k
        return k * x * x + c

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return None, 2 * ctx.k * x * g, None

    return _fn(lib, "SquareK", forward, backward)


def test_function_gradients_match_finite_differences():
    F = _square_with_constant(d2lmods)
    fd_check(lambda x: F.apply(3.0, x, 1.5), [np.array([0.3, -1.2, 2.0])])


def _outputs_of_every_kind(lib, materialize):
    seen = []

    def forward(ctx, a):
        idx = lib.tensor([1])
        ctx.mark_non_differentiable(idx)
        ctx.set_materialize_grads(materialize)
        return a * 2, idx, None, 3, a * 3

    def backward(ctx, g1, gi, gn, g3, g4):
        seen.append(tuple(None if g is None else g.numpy().tolist() for g in
                          (g1, gi, gn, g3, g4)))
        return (0 if g1 is None else g1 * 2) + 3 * g4

    F = _fn(lib, "Mixed", forward, backward)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    out = F.apply(a)
    kinds = [type(o).__name__ for o in out]
    flags = [o.requires_grad for o in out if isinstance(o, lib.Tensor)]
    out[4].sum().backward()
    return kinds[2:4], flags, seen, a.grad.numpy().tolist()


@pytest.mark.parametrize("materialize", [True, False])
def test_none_and_non_tensor_outputs_mark_non_differentiable_and_materialize(torch, materialize):
    ours, theirs = _both(torch, lambda lib: _outputs_of_every_kind(lib, materialize))
    assert ours == theirs


def _twice_output_one_used(lib):
    got = []

    def forward(ctx, a):
        return a * 2, a * 3

    def backward(ctx, g1, g2):
        got.append((g1.numpy().tolist(), g2.numpy().tolist()))
        return g1 + g2

    F = _fn(lib, "Two", forward, backward)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    F.apply(a)[1].sum().backward()
    return got, a.grad.numpy().tolist()


def test_unused_outputs_get_zero_gradients_by_default(torch):
    ours, theirs = _both(torch, _twice_output_one_used)
    assert ours == theirs


def _once(lib):
    from importlib import import_module

    once = import_module(lib.__name__ + ".autograd.function").once_differentiable

    def forward(ctx, a):
        return a * 2

    @once
    def backward(ctx, g):
        return g * 2

    F = _fn(lib, "Once", forward, backward)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    F.apply(a).sum().backward()
    return a.grad.numpy().tolist()


def test_once_differentiable(torch):
    ours, theirs = _both(torch, _once)
    assert ours == theirs


def _setup_context_style(lib):
    def forward(x, k):
        return x * k

    def setup_context(ctx, inputs, output):
        ctx.k = inputs[1]

    def backward(ctx, g):
        return g * ctx.k, None

    F = _fn(lib, "WithSetup", forward, backward, setup_context)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    F.apply(x, 4.0).sum().backward()
    return x.grad.numpy().tolist()


def test_setup_context_style(torch):
    ours, theirs = _both(torch, _setup_context_style)
    assert ours == theirs


# -- what backward may return ------------------------------------------------------------------
def _returning(lib, name, n_args, grads, in_shape=(2,)):
    def forward(ctx, *args):
        return args[0].sum() * 1

    def backward(ctx, g):
        return grads(lib)

    F = _fn(lib, name, forward, backward)
    a = lib.ones(*in_shape, requires_grad=True)
    args = [a] + [lib.ones(*in_shape, requires_grad=True) for _ in range(n_args - 1)]
    F.apply(*args).backward()
    return a.grad


@pytest.mark.parametrize("name, n_args, grads", [
    ("TooFew", 2, lambda L: L.ones(2)),
    ("TooMany", 1, lambda L: (L.ones(2), L.ones(2))),
    ("BadShape", 1, lambda L: L.ones(3)),
    ("NotBroadcastBack", 1, lambda L: L.ones(1)),
    ("ScalarGrad", 1, lambda L: L.ones(())),
])
def test_wrong_gradients_give_torchs_error(torch, name, n_args, grads):
    ours = _error(d2lmods, lambda L: _returning(L, name, n_args, grads))
    theirs = _error(torch, lambda L: _returning(L, name, n_args, grads))
    assert ours == theirs


def _gradient_for_a_number(lib):
    def forward(ctx, a, k):
        return a * k

    def backward(ctx, g):
        return g * 2, lib.ones(1)

    F = _fn(lib, "GradForNumber", forward, backward)
    a = lib.ones(2, requires_grad=True)
    F.apply(a, 2).sum().backward()


def test_gradient_for_a_non_tensor_argument_is_an_error(torch):
    assert _error(d2lmods, _gradient_for_a_number) == _error(torch, _gradient_for_a_number)


@pytest.mark.parametrize("grads, shape", [
    (lambda L: (L.ones(3, 2), None, None), (2,)),        # broadcast: summed back to the input
    (lambda L: L.ones(2, 1), (1,)),
])
def test_accepted_gradients_match_torch(torch, grads, shape):
    ours = _returning(d2lmods, "Accepted", 1, grads, shape)
    theirs = _returning(torch, "Accepted", 1, grads, shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert tuple(ours.shape) == tuple(theirs.shape)


# -- which backward functions run -------------------------------------------------------------
def _boom(lib):
    def forward(ctx, a):
        return a * 2

    def backward(ctx, g):
        raise ValueError("this backward is not on the path to the requested inputs")

    return _fn(lib, "Boom", forward, backward)


def _only_on_path(lib):
    Boom = _boom(lib)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0], requires_grad=True)
    shared = a * c.detach()
    out = (shared * 3).sum() + Boom.apply(c).sum() + Boom.apply(shared.detach() * c).sum()
    (ga,) = lib.autograd.grad(out, a, retain_graph=True)
    (gs,) = lib.autograd.grad(out, shared, retain_graph=True)
    out.backward(inputs=[a])
    return ga.numpy().tolist(), gs.numpy().tolist(), a.grad.numpy().tolist(), c.grad


def test_backward_nodes_off_the_path_to_the_inputs_are_not_run(torch):
    ours, theirs = _both(torch, _only_on_path)
    assert ours == theirs
    with pytest.raises(ValueError, match="not on the path"):
        _boom(d2lmods).apply(d2lmods.ones(2, requires_grad=True)).sum().backward()


def _freed_twice(lib, save, read):
    def forward(ctx, a):
        if save:
            ctx.save_for_backward(a)
        return a * 2

    def backward(ctx, g):
        if read:
            ctx.saved_tensors
        return g * 2

    F = _fn(lib, "MaybeSaves", forward, backward)
    a = lib.ones(2, requires_grad=True)
    y = F.apply(a).sum()
    y.backward()
    y.backward()
    return a.grad.numpy().tolist()


@pytest.mark.parametrize("save, read", [(False, False), (True, False)])
def test_a_second_backward_that_reads_no_saved_tensors_runs(torch, save, read):
    assert _freed_twice(d2lmods, save, read) == _freed_twice(torch, save, read) == [4.0, 4.0]


def test_a_second_backward_that_reads_freed_saved_tensors_raises(torch):
    ours = _error(d2lmods, lambda L: _freed_twice(L, True, True))
    theirs = _error(torch, lambda L: _freed_twice(L, True, True))
    assert ours.startswith(theirs.split(".")[0])
