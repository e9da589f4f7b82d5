"""Tensor behaviour a student meets while building models, as PyTorch's tests pin it down: the
errors of shape ops and indexing, dtype rules of reductions and layers, gradients at the kinks
of activations, inf/nan without warnings, and the warnings torch itself gives.

Each case is PyTorch code with only the import changed, run by ``tests._parity.same`` on d2lmods
and on torch 2.13; values, exception types, warnings and (where marked) messages must agree.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests._parity import Cases, same, t32 as _t

CASES = Cases()
case = CASES.case


# ---- errors of shape ops and indexing ------------------------------------------------------


@case(message="start")
def add_of_shapes_that_do_not_broadcast(lib):
    lib.ones(2, 3) + lib.ones(2, 4)


@case(message="start")
def mul_of_shapes_that_do_not_broadcast(lib):
    lib.ones(3) * lib.ones(2, 4)


@case(message="start")
def div_of_shapes_that_do_not_broadcast(lib):
    lib.ones(5, 1, 3) / lib.ones(2, 4)


@case(message="start")
def sub_of_shapes_that_do_not_broadcast(lib):
    lib.ones(2) - lib.ones(3)


@case()
def broadcasting_that_works(lib):
    return (lib.ones(2, 1) + lib.ones(3)).shape, (lib.ones(4, 1, 3) * lib.ones(2, 1)).shape


@case(message="start")
def reshape_to_the_wrong_size(lib):
    lib.ones(12).reshape(3, 5)


@case(message="start")
def view_of_a_transposed_tensor(lib):
    lib.ones(3, 4).t().view(12)


@case(message="start")
def cat_of_mismatched_sizes(lib):
    lib.cat([lib.ones(2, 3), lib.ones(2, 4)])


@case(message="start")
def cat_of_different_ranks(lib):
    lib.cat([lib.ones(2, 3), lib.ones(3)])


@case(message="equal")
def cat_along_a_missing_dimension(lib):
    lib.cat([lib.ones(2, 3), lib.ones(2, 4)], dim=2)


@case(message="equal")
def stack_of_different_shapes(lib):
    lib.stack([lib.ones(2), lib.ones(3)])


@case(message="equal")
def size_of_a_missing_dimension(lib):
    lib.ones(2).size(3)


@case(message="start")
def index_out_of_range(lib):
    lib.ones(2)[5]


@case(message="start")
def index_out_of_range_in_the_second_dimension(lib):
    lib.ones(2, 3)[0, 7]


@case(message="equal")
def matmul_of_shapes_that_do_not_chain(lib):
    lib.ones(2, 3) @ lib.ones(2, 3)


@case(message="start")
def bool_of_a_vector(lib):
    bool(lib.ones(2))


@case(message="start")
def mean_of_an_integer_tensor(lib):
    lib.tensor([1, 2]).mean()


@case(message="start")
def unflatten_to_sizes_that_do_not_multiply_up(lib):
    lib.ones(2, 6).unflatten(1, (4, -1))


@case(message="start")
def linear_of_a_double_input(lib):
    lib.nn.Linear(2, 1)(lib.ones(1, 2, dtype=lib.float64))


@case(message="start")
def linear_of_an_integer_input(lib):
    lib.nn.Linear(2, 1)(lib.ones(1, 2, dtype=lib.int64))


@case()
def linear_of_a_numpy_array(lib):
    try:
        lib.nn.Linear(2, 1)(np.ones((1, 2), dtype=np.float32))
    except TypeError:
        return "TypeError"
    return "ran"


@case(message="start")
def embedding_id_out_of_range(lib):
    lib.nn.Embedding(3, 2)(lib.tensor([3]))


# ---- values and dtypes ---------------------------------------------------------------------


@case()
def reductions_and_their_dtypes(lib):
    x = lib.tensor([[1.0, 3.0], [4.0, 2.0]])
    r = x.max(dim=1)
    return (
        r.values,
        r.indices,
        x.argmax(dim=1, keepdim=True),
        lib.tensor([1, 2]).sum().dtype,
        lib.tensor([True, True]).sum(),
        x.sum(dim=(0, 1)),
        x.mean(dim=0, keepdim=True),
        lib.tensor([1.0, 2.0]).std(unbiased=False),
        lib.tensor([1.0, 2.0]).var(correction=0),
        x.squeeze(),
        lib.ones(1, 2, 1).squeeze((0, 2)).shape,
    )


@case()
def std_and_var_without_degrees_of_freedom(lib):
    return lib.ones(1).std(), lib.ones(1).var(), lib.ones(3, 1).var(dim=1)


@case()
def inf_and_nan_without_warnings(lib):
    return (
        lib.log(lib.zeros(1)),
        lib.ones(1) / 0,
        lib.exp(_t(lib, [1000.0])),
        lib.sqrt(_t(lib, [-1.0])),
        lib.zeros(1) / lib.zeros(1),
        _t(lib, [1e30]) ** 2,
    )


@case()
def gradients_at_zero_and_infinite_gradients(lib):
    out = []
    for fn in (
        lambda x: x.sqrt(),
        lambda x: x**0.5,
        lambda x: x.log(),
        lambda x: x.abs(),
        lambda x: x.relu(),
        lambda x: lib.nn.functional.leaky_relu(x, 0.1),
        lambda x: lib.nn.functional.gelu(x),
        lambda x: lib.nn.functional.gelu(x, approximate="tanh"),
        lambda x: x.clamp(0, 1),
        lambda x: x.norm(),
        lambda x: x.sigmoid(),
        lambda x: x.tanh(),
    ):
        x = lib.zeros(2, requires_grad=True)
        fn(x).sum().backward()
        out.append(x.grad)
    return out


@case()
def activation_gradients_away_from_zero(lib):
    out = []
    for fn in (
        lambda x: lib.nn.functional.leaky_relu(x, 0.2),
        lambda x: lib.nn.functional.gelu(x),
        lambda x: lib.nn.functional.gelu(x, approximate="tanh"),
        lambda x: lib.nn.LeakyReLU()(x),
        lambda x: lib.nn.GELU()(x),
    ):
        x = _t(lib, [-3.0, -0.5, 0.7, 2.5], requires_grad=True)
        y = fn(x)
        y.sum().backward()
        out.append((y, x.grad, type(y.grad_fn).__name__))
    return out


@case()
def leaky_relu_in_place(lib):
    x = _t(lib, [-1.0, 2.0], requires_grad=True)
    y = x * 1
    z = lib.nn.functional.leaky_relu(y, 0.1, inplace=True)
    z.sum().backward()
    return z is y, z, x.grad, lib.nn.LeakyReLU(0.2, inplace=True)(_t(lib, [-1.0, 1.0]))


@case()
def ties_share_the_gradient_of_max(lib):
    x = _t(lib, [1.0, 1.0], requires_grad=True)
    x.max().backward()
    y = _t(lib, [[1.0, 1.0]], requires_grad=True)
    y.max(dim=1).values.sum().backward()
    return x.grad, y.grad


@case()
def conversions_keep_the_graph(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.to(lib.float64)
    d = lib.ones(2, dtype=lib.float64, requires_grad=True).float()
    c = x.clone()
    return (
        (y.requires_grad, y.is_leaf, type(y.grad_fn).__name__, x.to(lib.float32) is x),
        (d.is_leaf, type(d.grad_fn).__name__),
        (c.requires_grad, type(c.grad_fn).__name__, c.is_leaf),
    )


@case()
def tensor_of_a_tensor_warns_as_torch(lib):
    return lib.tensor(lib.ones(2))


@case()
def copies_that_do_not_warn(lib):
    x = lib.ones(2, requires_grad=True)
    return x.detach().clone(), lib.as_tensor(x.detach()), lib.tensor([lib.tensor(1.0), 2.0])


@case()
def device_objects_of_any_kind(lib):
    # D2L's GPU section prints these on a machine without a GPU
    devices = (lib.device("cpu"), lib.device("cuda"), lib.device("cuda:1"), lib.device("cuda", 0))
    return (
        [repr(d) for d in devices],
        [str(d) for d in devices],
        [d.type for d in devices],
        [d.index for d in devices],
        lib.device("cuda") == lib.device("cuda"),
        lib.device("cuda:0") == lib.device("cuda:1"),
        str(lib.device("cuda" if lib.cuda.is_available() else "cpu")),
        lib.cuda.device_count(),
        str(next(lib.nn.Linear(1, 1).parameters()).device),
    )


@case(message="start")
def tensor_to_a_gpu(lib):
    lib.ones(1).to("cuda")


@case(message="start")
def tensor_cuda(lib):
    lib.ones(1).cuda()


@case(message="start")
def module_to_a_gpu_device_object(lib):
    lib.nn.Linear(1, 1).to(lib.device("cuda:0"))


@case(message="start")
def module_cuda(lib):
    lib.nn.Linear(1, 1).cuda()


@case(message="start")
def tensor_created_on_a_gpu(lib):
    lib.zeros(2, device="cuda")


@case()
def factories_with_requires_grad(lib):
    x = lib.ones(2, requires_grad=True)
    return (
        [
            f(2, requires_grad=True).requires_grad
            for f in (lib.zeros, lib.ones, lib.randn, lib.rand)
        ],
        lib.arange(3.0, requires_grad=True).requires_grad,
        lib.full((2,), 1.0, requires_grad=True).is_leaf,
        lib.zeros_like(x).requires_grad,
        lib.ones_like(x, requires_grad=True).requires_grad,
    )


@case(message="(?i)^only Tensors of floating point")
def integer_tensor_that_requires_grad(lib):
    lib.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize(("snippet", "message", "warns"), CASES)
def test_same_on_both(snippet, message, warns):
    same(snippet, message=message, warns=warns)


def test_a_fresh_process_prints_no_numpy_warning_for_inf_and_nan():
    # pytest's warning capture replaces the filters of the process; a learner's process keeps
    # the one ``import d2lmods`` adds, so inf/nan are as silent as in torch there
    program = textwrap.dedent(
        """
        import numpy as np
        import d2lmods as torch
        x = torch.zeros(2, requires_grad=True)
        y = torch.log(x) + torch.ones(2) / 0 + x.sqrt() + torch.exp(torch.tensor([1000.0]))
        y.sum().backward()
        print(x.grad.tolist())
        np.log(np.zeros(1))  # the learner's own numpy code still warns
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    assert r.stdout.strip() == "[inf, inf]"
    lines = [line for line in r.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 1 and "divide by zero encountered in log" in lines[0], r.stderr
    assert "d2lmods" not in r.stderr
