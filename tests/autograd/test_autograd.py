"""The backward engine, grad modes, Function, in-place rules and saved-tensor checks."""

import numpy as np
import pytest

import d2lmods as torch
from d2lmods import autograd


@pytest.fixture
def torch_oracle(torch):
    """The real PyTorch (the shared ``torch`` fixture), under a name that doesn't shadow ours."""
    return torch


def leaf(*values, dtype=None):
    return torch.tensor(
        np.array(values, dtype=np.float64 if dtype is None else dtype), requires_grad=True
    )


# -- backward ----------------------------------------------------------------------------------
def test_implicit_gradient_only_for_scalars_and_message_names_the_fix():
    x = leaf(1.0, 2.0)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ) as e:
        (x * 2).backward()
    assert ".sum()" in str(e.value) and "gradient=" in str(e.value) and "[2]" in str(e.value)


def test_backward_with_explicit_gradient():
    x = leaf(1.0, 2.0, 3.0)
    (x * x).backward(torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 0.0])


def test_gradient_shape_mismatch_is_an_error():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3, dtype=torch.float64))


def test_hundred_thousand_op_chain_does_not_hit_the_recursion_limit():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**100_000], rtol=1e-9)


def test_wide_diamond_graph_sums_all_paths():
    x = leaf(2.0)
    parts = [x * float(i) for i in range(50)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    total.sum().backward()
    assert x.grad.item() == pytest.approx(sum(range(50)))


def test_parameter_used_twice_gets_the_sum_and_grads_accumulate_across_backwards():
    w = leaf(3.0)
    (w * 2 + w * 5).sum().backward()
    assert w.grad.item() == 7.0
    (w * w).sum().backward()  # accumulates: 7 + 2*3
    assert w.grad.item() == 13.0


def test_leaf_grads_do_not_share_storage():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_grad_is_none_before_backward_and_for_non_leaves_after():
    x = leaf(1.0)
    y = x * 2
    assert x.grad is None and x.is_leaf and not y.is_leaf
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    assert x.grad is not None


def test_graph_is_freed_after_backward_and_second_backward_explains_the_real_fix():
    x = leaf(1.0, 2.0)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time") as e:
        loss.backward()
    msg = str(e.value)
    assert "inside every iteration" in msg and "retain_graph=True is rarely the right fix" in msg


def test_retain_graph_allows_a_second_backward():
    x = leaf(1.0, 2.0)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_backward_of_output_not_requiring_grad_names_the_cause():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        torch.ones(2).sum().backward()


def test_int_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)


def test_requires_grad_flag_of_non_leaf_cannot_be_cleared():
    y = leaf(1.0) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False


def test_backward_inputs_argument_limits_accumulation():
    a, b = leaf(1.0), leaf(2.0)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


# -- grad modes --------------------------------------------------------------------------------
def test_no_grad_as_context_and_decorator_and_enable_grad_inside():
    w = leaf(1.0)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        assert not (w * 2).requires_grad
        with torch.enable_grad():
            assert (w * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.no_grad
    def g(t):
        return t * 2

    assert not f(w).requires_grad and not g(w).requires_grad and torch.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    w = leaf(1.0)
    with torch.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    assert (w * 2).requires_grad


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError
    assert torch.is_grad_enabled()


# -- autograd.grad -----------------------------------------------------------------------------
def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x, y = leaf(3.0), leaf(4.0)
    z = (x * x * y).sum()
    gx, gy = autograd.grad(z, (x, y))
    assert gx.item() == 24.0 and gy.item() == 9.0
    assert x.grad is None and y.grad is None


def test_autograd_grad_of_intermediate_and_unused_inputs():
    x = leaf(1.0, 2.0)
    h = x * 3
    out = (h * h).sum()
    (gh,) = autograd.grad(out, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    u = leaf(5.0)
    with pytest.raises(RuntimeError, match="not have been used"):
        autograd.grad(out, [x, u], retain_graph=True)
    gx, gu = autograd.grad(out, [x, u], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_autograd_grad_of_an_output_with_respect_to_itself(torch_oracle):
    results = []
    for lib in (torch, torch_oracle):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x * 2).sum()
        (gy,) = lib.autograd.grad(y, y, retain_graph=True)
        gy2, gx = lib.autograd.grad(y * 3, [y, x])
        results.append([g.detach().numpy() for g in (gy, gy2, gx)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(results[0][0], 1.0)


def test_backward_inputs_may_name_a_non_leaf_and_leave_other_leaves_alone(torch_oracle):
    results = []
    for lib in (torch, torch_oracle):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        h = x * w
        (h * h).sum().backward(inputs=[h, x])
        results.append((h.grad.numpy(), x.grad.numpy(), w.grad))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] is None and results[1][2] is None


# -- custom Function ---------------------------------------------------------------------------
class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * x**2 * ctx.scale, None


def test_custom_function_forward_backward_and_name():
    x = leaf(1.0, 2.0)
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    assert repr(y).endswith("grad_fn=<CubeBackward>)")
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])


def test_custom_function_needs_input_grad_and_no_graph_without_grad():
    seen = {}

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            seen["enabled"] = torch.is_grad_enabled()
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a, b = leaf(1.0), torch.tensor([2.0], dtype=torch.float64)
    Probe.apply(a, b)
    assert seen == {"needs": (True, False), "enabled": False}
    with torch.no_grad():
        assert Probe.apply(a, b).grad_fn is None


def test_custom_function_with_two_outputs():
    class SplitTwo(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    x = leaf(1.0, 1.0)
    a, b = SplitTwo.apply(x)
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [32.0, 32.0])


def test_custom_function_wrong_number_of_gradients_is_reported():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(leaf(1.0), leaf(2.0)).sum().backward()


def test_custom_function_saved_tensor_modified_in_place_is_detected():
    x = leaf(1.0, 2.0)
    h = x * 1
    y = Cube.apply(h, 1.0)
    with torch.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- in-place rules ----------------------------------------------------------------------------
def test_inplace_on_leaf_requiring_grad_raises_like_torch_with_the_fix():
    w = leaf(1.0, 2.0)
    for op in (
        lambda: w.add_(1),
        lambda: w.__isub__(1),
        lambda: w.zero_(),
        lambda: w.__setitem__(0, 5.0),
        lambda: w.uniform_(),
    ):
        with pytest.raises(
            RuntimeError,
            match="a leaf Variable that requires grad is being used in an in-place operation",
        ) as e:
            op()
        assert "torch.no_grad()" in str(e.value) and "[2]" in str(e.value)
    with torch.no_grad():
        w -= 0.5
        w[0] = 7.0
    np.testing.assert_allclose(w.numpy(force=True), [7.0, 1.5])
    assert w.is_leaf and w.requires_grad


def test_inplace_rescale_loop_on_non_leaf_keeps_gradients_right():
    # D2L's FixedHiddenMLP: ``while X.abs().sum() > 1: X /= 2``
    w = leaf(0.9, -0.7, 0.4)
    x = w * 3
    halvings = 0
    while x.abs().sum() > 1:
        x /= 2
        halvings += 1
    assert type(x.grad_fn).__name__ == "DivBackward0"
    x.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3 / 2**halvings] * 3)


def test_inplace_mul_by_tensor_uses_the_old_values():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    x = a * 1
    x *= b
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])


def test_inplace_on_plain_tensor_with_grad_operand_makes_it_non_leaf():
    acc = torch.zeros(2, dtype=torch.float64)
    w = leaf(1.0, 2.0)
    acc += w * 2
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])


def test_setitem_with_grad_records_copy_slices():
    w, v = leaf(1.0, 2.0, 3.0), leaf(10.0)
    x = w * 1
    x[1] = v[0] * 2
    assert type(x.grad_fn).__name__ == "CopySlices"
    (x * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_allclose(v.grad.numpy(), [4.0])


@pytest.mark.parametrize("how", ["subscript", "view_method"])
def test_inplace_on_an_indexing_view_updates_the_base_graph(torch_oracle, how):
    def run(lib):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        x = w * 1
        if how == "subscript":
            x[0] *= 3  # getitem, in-place mul on the view, setitem
        else:
            x[:, 1].mul_(5)  # in-place on a view only
        x[1, 0] += w[0, 0]
        (x * x).sum().backward()
        return x.detach().numpy().copy(), w.grad.numpy().copy()

    ours, theirs = run(torch), run(torch_oracle)
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


def test_nodes_recorded_before_an_inplace_op_keep_the_old_history(torch_oracle):
    def run(lib):
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        x = w * 1
        y = x * 2  # uses x's history as it is now
        x *= 3  # x gets a new grad_fn; y must not see it
        (y.sum() + (x * x).sum()).backward()
        return w.grad.numpy().copy()

    np.testing.assert_allclose(run(torch), run(torch_oracle))


def test_inplace_on_other_views_of_grad_tensors_is_refused_clearly():
    x = leaf(1.0, 2.0, 3.0, 4.0) * 1
    with pytest.raises(
        RuntimeError, match=r"on a view \(ViewBackward0, shape d2lmods\.Size\(\[2, 2\]\)\)"
    ):
        x.reshape(2, 2).mul_(2)
    w = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0].add_(1)


def test_setitem_under_no_grad_and_on_plain_tensors():
    x = torch.zeros(2, 3)
    x[0, 1] = 5
    x[1] = torch.tensor([1.0, 2.0, 3.0])
    x[x > 2] = -1
    np.testing.assert_array_equal(x.numpy(), [[0, -1, 0], [1, 2, -1]])


def test_inplace_result_type_that_cannot_be_cast_is_an_error():
    x = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x /= 2
    x += 1
    assert x.tolist() == [2, 3]


# -- version counter ---------------------------------------------------------------------------
def test_inplace_change_of_saved_tensor_is_detected_with_op_shape_versions_and_fix():
    w = leaf(1.0, 2.0, 3.0)
    h = w * 2
    y = h * h  # MulBackward0 saves h
    h.add_(1)  # allowed (non-leaf), but h is needed by y's backward
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    msg = str(e.value)
    assert "modified by an inplace operation" in msg
    assert "[d2lmods.DoubleTensor [3]]" in msg and "MulBackward0" in msg
    assert "is at version 1; expected version 0" in msg
    assert "clone" in msg and "no_grad" in msg


def test_writes_through_data_are_counted_and_caught():
    w = leaf(1.0, 2.0)
    y = (w * w).sum()  # saves w
    w.data[0] = 100.0  # learners' .data write corrupting the gradient
    assert w._version_count == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_version_counter_is_shared_by_views_detach_and_data():
    x = torch.zeros(2, 3)
    v, d, dd = x[0], x.detach(), x.data
    r = x.reshape(6)
    v.add_(1)
    d[1, 1] = 5.0
    assert x._version_count == v._version_count == d._version_count == dd._version_count == 2
    assert r._version_count == 2
    np.testing.assert_array_equal(x.numpy(), [[1, 1, 1], [0, 5, 0]])


def test_data_setter_swaps_storage_keeping_identity_and_may_change_shape_and_dtype():
    w = leaf(1.0, 2.0)
    ident = id(w)
    w.data = torch.ones(3, 4, dtype=torch.float32)
    assert id(w) == ident and w.shape == (3, 4) and w.dtype == torch.float32
    assert w.requires_grad and w.is_leaf


def test_data_shares_storage_with_the_original():
    w = leaf(1.0, 2.0)
    w.data[0] = 100.0
    assert w.tolist() == [100.0, 2.0]
    assert not w.data.requires_grad


def test_detach_cuts_the_graph():
    w = leaf(1.0)
    y = (w * 2).detach() * w
    y.sum().backward()
    assert w.grad.item() == 2.0
