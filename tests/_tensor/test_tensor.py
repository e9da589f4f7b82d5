"""Tensor attributes, dtypes, creation, conversion, promotion and seeding."""

import copy
import pickle

import numpy as np
import pytest

import d2lmods as torch
from d2lmods import Tensor


def test_defaults_float32_and_python_types():
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor(np.zeros(2, np.float64)).dtype == torch.float64
    assert torch.tensor(np.zeros(2, np.int32)).dtype == torch.int32
    assert torch.zeros(2).dtype == torch.float32 and torch.arange(3).dtype == torch.int64
    assert torch.arange(0, 1, 0.25).dtype == torch.float32
    assert torch.rand(2).dtype == torch.float32 and torch.randint(0, 5, (3,)).dtype == torch.int64
    assert torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_dtype_and_size_print_like_torch():
    assert repr(torch.float32) == "d2lmods.float32"
    assert repr(torch.int64) == "d2lmods.int64" and torch.long is torch.int64
    assert repr(torch.zeros(2, 10).shape) == "d2lmods.Size([2, 10])"
    assert torch.zeros(2, 10).size() == (2, 10) and torch.zeros(2, 10).size(1) == 10
    assert torch.zeros(2, 10).shape[1:] == torch.Size([10])
    assert torch.float16.is_floating_point and not torch.int32.is_floating_point
    assert pickle.loads(pickle.dumps(torch.float64)) is torch.float64


def test_basic_attributes():
    x = torch.arange(6.0).reshape(2, 3)
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert str(x.device) == "cpu" and x.device == "cpu" and not x.is_cuda
    assert float(x.sum()) == 15.0 and int(x[1, 1]) == 4
    with pytest.raises(RuntimeError, match="6 elements cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_cuda_and_other_devices_raise_a_clear_cpu_only_error():
    x = torch.ones(2)
    for call in (
        lambda: x.to("cuda"),
        lambda: x.cuda(),
        lambda: torch.zeros(2, device="cuda:0"),
        lambda: x.to(device="mps"),
    ):
        with pytest.raises(RuntimeError, match="d2lmods runs on the CPU only"):
            call()
    assert x.to("cpu") is x and x.cpu() is x


def test_conversions():
    x = torch.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.double().dtype == torch.float64
    assert x.half().dtype == torch.float16 and x.int().dtype == torch.int32
    assert x.to(torch.float64).dtype == torch.float64 and x.to(torch.float32) is x
    assert x.to(torch.ones(1, dtype=torch.float64)).dtype == torch.float64
    assert x.bool().tolist() == [True, True] and x.float() is x
    assert x.type(torch.float64).dtype == torch.float64 and x.type() == "torch.FloatTensor"


def test_numpy_shares_memory_and_refuses_tensors_requiring_grad():
    a = np.zeros(3, np.float32)
    t = torch.from_numpy(a)
    t[0] = 5
    assert a[0] == 5
    assert t.numpy() is a
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        w.numpy()
    assert np.asarray(w.detach()).tolist() == [1.0, 1.0]


def test_tensor_copies_but_as_tensor_shares():
    a = np.ones(2)
    assert torch.tensor(a).numpy() is not a
    t = torch.as_tensor(a)
    a[0] = 3
    assert t[0].item() == 3


def test_torch_Tensor_constructor_forms():
    assert Tensor(2, 3).shape == (2, 3) and Tensor(2, 3).dtype == torch.float32
    assert Tensor([1, 2]).dtype == torch.float32 and Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert isinstance(torch.ones(1), Tensor) and torch.is_tensor(torch.ones(1))


def test_creation_functions():
    assert torch.zeros((2, 3)).tolist() == [[0] * 3] * 2
    assert torch.ones(2, dtype=torch.int64).tolist() == [1, 1]
    assert torch.full((2,), 7).dtype == torch.int64 and torch.full((2,), 7.0).dtype == torch.float32
    assert torch.eye(2).tolist() == [[1, 0], [0, 1]]
    assert torch.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert torch.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    x = torch.ones(2, 3, dtype=torch.float64)
    for fn in (
        torch.zeros_like,
        torch.ones_like,
        torch.rand_like,
        torch.randn_like,
        torch.empty_like,
    ):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == torch.float64
    assert torch.full_like(x, 2).tolist() == [[2.0] * 3] * 2
    assert torch.empty(0).shape == (0,)
    assert torch.normal(0, 1, size=(3, 2)).shape == (3, 2)
    assert torch.normal(torch.zeros(4), torch.ones(4)).shape == (4,)
    r = torch.randint(3, 5, (100,))
    assert r.min() >= 3 and r.max() <= 4
    assert sorted(torch.randperm(5).tolist()) == list(range(5))
    assert torch.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_runs_reproducible_and_generator_is_shared():
    from d2lmods.random import default_generator

    held = default_generator()
    torch.manual_seed(42)
    a = (torch.rand(3), torch.randn(2), torch.randint(0, 100, (4,)), torch.normal(0, 1, (2,)))
    g_before = default_generator().random()
    torch.manual_seed(42)
    b = (torch.rand(3), torch.randn(2), torch.randint(0, 100, (4,)), torch.normal(0, 1, (2,)))
    assert all(x.tolist() == y.tolist() for x, y in zip(a, b))
    assert default_generator().random() == g_before
    torch.manual_seed(7)
    expected = np.random.default_rng(7).random()
    assert held.random() == expected  # a kept reference follows the reseed
    torch.manual_seed(43)
    assert torch.rand(3).tolist() != a[0].tolist()


def test_promotion_follows_torch():
    i32 = torch.tensor([1, 2], dtype=torch.int32)
    assert (i32 + 1).dtype == torch.int32
    assert (i32 * 2.5).dtype == torch.float32
    assert (i32 / 2).dtype == torch.float32
    assert (torch.arange(3) / 2).tolist() == [0.0, 0.5, 1.0]
    assert (i32 + torch.tensor(1.0, dtype=torch.float64)).dtype == torch.float64
    f32 = torch.ones(2)
    assert (f32 * torch.tensor(2.0, dtype=torch.float64)).dtype == torch.float32
    assert (f32 * torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    assert (torch.ones(2, dtype=torch.float16) * torch.tensor(2.0)).dtype == torch.float16
    assert (torch.tensor([True]) + 1).dtype == torch.int64
    assert (torch.arange(3) > 1).dtype == torch.bool


def test_mixed_precision_gradients_come_back_in_each_leafs_dtype():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64


def test_grad_setter_checks_shape_and_dtype():
    w = torch.ones(2, requires_grad=True)
    w.grad = torch.zeros(2)
    with pytest.raises(
        RuntimeError, match="gradient of size '\\[3\\]' to a tensor of size '\\[2\\]'"
    ):
        w.grad = torch.zeros(3)
    with pytest.raises(RuntimeError, match="gradient with dtype .*float64"):
        w.grad = torch.zeros(2, dtype=torch.float64)
    w.grad = None
    assert w.grad is None


class Param(Tensor):
    def __new__(cls, data, requires_grad=True):
        return Tensor._make_subclass(cls, data, requires_grad)


def test_make_subclass_shares_storage_and_version_and_ops_return_plain_tensors():
    base = torch.zeros(3)
    p = Param(base)
    assert isinstance(p, Tensor) and type(p) is Param and p.requires_grad and p.is_leaf
    base[0] = 4.0
    assert p[0].item() == 4.0 and p._version_count == base._version_count
    assert type(p * 2) is Tensor and type(p.data) is Tensor
    p2 = copy.deepcopy(p)
    assert type(p2) is Param and p2.requires_grad and p2.tolist() == p.tolist()
    p3 = pickle.loads(pickle.dumps(p))
    assert type(p3) is Param and p3.requires_grad and p3.tolist() == [4.0, 0.0, 0.0]


def test_views_share_storage():
    x = torch.zeros(2, 3)
    x.reshape(6)[0] = 1
    x.T[2, 1] = 2
    x[:, 1][0] = 3
    x.unsqueeze(0)[0, 1, 0] = 4
    assert x.tolist() == [[1, 3, 0], [4, 0, 2]]


def test_shape_op_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 4\]' is invalid for input of size 6"):
        torch.zeros(2, 3).reshape(4, 4)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.zeros(2, 3).T.view(6)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1"):
        torch.cat([torch.zeros(2, 3), torch.zeros(3, 3)], dim=1)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        torch.stack([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.zeros(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="expanded size"):
        torch.zeros(2, 3).expand(4, 3)


def test_comparisons_return_bool_tensors_and_all_any():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert (x > 1).tolist() == [False, True, True] and (x == 2).dtype == torch.bool
    assert (x >= torch.tensor([1.0, 3.0, 3.0])).tolist() == [True, False, True]
    assert (x > 0).all().item() and not (x > 2).all().item() and (x > 2).any().item()
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]
    assert x.argmax().item() == 2 and x.argmax(dim=0, keepdim=True).tolist() == [2]
    v, i = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    assert v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]


def test_sum_of_bools_and_ints_is_int64_and_mean_of_ints_is_an_error():
    assert (torch.arange(4) > 1).sum().item() == 2
    assert torch.tensor([1, 2], dtype=torch.int32).sum().dtype == torch.int64
    with pytest.raises(RuntimeError, match="Input dtype must be either a floating point"):
        torch.arange(4).mean()


def test_numpy_operands_defer_to_tensor_like_torch():
    a = np.ones(2) * torch.ones(2)
    assert isinstance(a, Tensor) and a.dtype == torch.float64
    w = torch.ones(2, requires_grad=True)
    y = (np.array([2.0, 3.0], np.float32) * w).sum()
    y.backward()
    assert w.grad.tolist() == [2.0, 3.0]
    assert isinstance(np.float32(2) + torch.ones(1), Tensor)


def test_cuda_queries_report_no_gpu_so_device_selection_picks_cpu():
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert str(dev) == "cpu" and torch.cuda.device_count() == 0
    assert torch.zeros(2, device=dev).device == dev


def test_shape_as_size_keyword_like_torch(torch):
    import d2lmods

    for name in ["zeros", "ones", "empty", "rand", "randn"]:
        ours = getattr(d2lmods, name)(size=(2, 4))
        theirs = getattr(torch, name)(size=(2, 4))
        assert tuple(ours.shape) == tuple(theirs.shape) == (2, 4), name
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    with pytest.raises(TypeError, match="not both"):
        d2lmods.rand(2, size=(2,))
