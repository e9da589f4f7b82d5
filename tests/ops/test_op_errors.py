"""Bad inputs to ops give PyTorch's message (plus what to do), never a numpy traceback."""

import numpy as np
import pytest

import d2lmods as torch
from d2lmods import ops
from d2lmods.ops import OpError


def test_linear_shape_mismatch_uses_torch_wording_and_carries_shapes():
    x, w = torch.rand(2, 10), torch.rand(256, 20)
    with pytest.raises(
        RuntimeError,
        match=r"mat1 and mat2 shapes cannot be multiplied "
        r"\(2x10 and 20x256\)",
    ) as e:
        ops.linear(x, w, torch.zeros(256))
    assert isinstance(e.value, OpError) and e.value.op == "linear"
    assert e.value.shapes[:2] == ((2, 10), (256, 20))
    with pytest.raises(OpError, match=r"\(6x10 and 20x256\)"):
        ops.linear(torch.rand(2, 3, 10), w)


def test_linear_and_matmul_do_not_silently_upcast():
    x = torch.rand(2, 3, dtype=torch.float64)
    w = torch.rand(4, 3)
    with pytest.raises(
        RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"
    ):
        ops.linear(x, w)
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        x @ w.T
    with pytest.raises(RuntimeError, match="Input type \\(Double\\) and weight type \\(Float\\)"):
        ops.conv2d(torch.rand(1, 1, 4, 4, dtype=torch.float64), torch.rand(1, 1, 3, 3))


def test_op_error_context_keeps_type_and_attributes():
    try:
        ops.linear(torch.rand(2, 10), torch.rand(3, 20))
    except OpError as e:
        err = e.add_context("in net.0 (Linear)")
    assert isinstance(err, OpError) and str(err).startswith("in net.0 (Linear): mat1 and mat2")
    assert err.op == "linear" and err.shapes == ((2, 10), (3, 20))


def test_matmul_shape_errors():
    with pytest.raises(RuntimeError, match=r"\(2x3 and 4x5\)"):
        torch.rand(2, 3) @ torch.rand(4, 5)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        torch.tensor(1.0) @ torch.rand(2)


def test_conv_channel_mismatch_names_groups_weight_and_input():
    with pytest.raises(
        RuntimeError,
        match=r"Given groups=1, weight of size \[6, 1, 5, 5\], "
        r"expected input\[8, 3, 28, 28\] to have 1 channels, "
        r"but got 3 channels instead",
    ):
        ops.conv2d(torch.rand(8, 3, 28, 28), torch.rand(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        ops.conv2d(torch.rand(1, 1, 2, 2), torch.rand(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        ops.conv2d(torch.rand(4, 4), torch.rand(1, 1, 3, 3))


def test_cross_entropy_target_errors():
    x = torch.rand(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        ops.cross_entropy(x, torch.tensor([0, 7, 1]))
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(3\) to match target "
        r"batch_size \(2\)",
    ):
        ops.cross_entropy(x, torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="class probabilities") as e:
        ops.cross_entropy(x, torch.tensor([0.0, 1.0, 1.0]))
    assert "target.long()" in str(e.value)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        ops.cross_entropy(x, torch.tensor([0, 1, 1]), reduction="avg")


def test_cross_entropy_with_all_targets_ignored_is_nan_like_torch():
    assert np.isnan(ops.cross_entropy(torch.rand(2, 3), torch.tensor([-100, -100])).item())


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        ops.max_pool2d(torch.rand(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D"):
        ops.max_pool2d(torch.rand(4, 4), 2)


def test_indexing_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"shape d2lmods\.Size\(\[2, 3\]\)"):
        torch.zeros(2, 3)[5]
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        torch.zeros(3)[torch.tensor([0.0, 1.0])]


def test_bool_arithmetic_errors_match_torch():
    b = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool"):
        b - b
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -b


def test_inplace_broadcast_mismatch():
    with pytest.raises(
        RuntimeError,
        match=r"output with shape \[3\] doesn't match the broadcast "
        r"shape \[2, 3\]",
    ):
        torch.zeros(3).add_(torch.zeros(2, 3))
