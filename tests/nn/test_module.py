"""Module registration, attribute routing, traversal, modes, hooks, conversion, pickling.

PyTorch 2.x is the spec: where behaviour must match, the same code runs on torch
(``torch`` fixture) and the results are compared.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import d2lmods
from d2lmods import nn


@pytest.fixture(autouse=True)
def _no_warnings():
    # Correct code must stay silent: every test here fails on any warning it does not expect.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class Holder(nn.Module):
    def __init__(self):
        super().__init__()


# ---- registration through attributes ---------------------------------------------------------


def test_parameter_module_and_none_are_registered_by_assignment():
    m = Holder()
    m.w = nn.Parameter(d2lmods.zeros(3))
    m.sub = nn.Linear(2, 2)
    m.plain = 5
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert "w" not in m.__dict__ and "sub" not in m.__dict__
    assert m.__dict__["plain"] == 5
    m.w = None
    assert m._parameters["w"] is None and m.w is None
    m.sub = None
    assert m._modules["sub"] is None
    assert [n for n, _ in m.named_parameters()] == []


def test_reassigning_a_registered_name_moves_between_registries():
    m = Holder()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(d2lmods.ones(1))
    assert "x" not in m._modules and "x" in m._parameters
    # As in torch, a parameter slot only takes Parameters or None (branch order of __setattr__) ...
    with pytest.raises(
        TypeError, match="cannot assign 'd2lmods.nn.modules.linear.Identity' as parameter 'x'"
    ):
        m.x = nn.Identity()
    m.x = None
    del m.x
    m.x = nn.Identity()  # ... and a freed name takes a module again
    assert "x" in m._modules and "x" not in m._parameters


def test_parameter_slot_rejects_plain_tensor(torch):
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError) as ours:
        lin.weight = d2lmods.zeros(2, 2)
    with pytest.raises(TypeError) as theirs:
        torch.nn.Linear(2, 2).weight = torch.zeros(2, 2)
    # Same first sentence as torch (type names differ only in the library prefix), plus a fix.
    head = str(theirs.value).replace("'torch.FloatTensor'", "'d2lmods.FloatTensor'")
    assert str(ours.value).startswith(head)
    assert "nn.Parameter(" in str(ours.value)


def test_child_module_slot_rejects_non_module():
    m = Holder()
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        m.sub = 3


def test_register_parameter_validation(torch):
    for lib, mod in ((nn, Holder()), (torch.nn, torch.nn.Module())):
        p = lib.Parameter((d2lmods if lib is nn else torch).zeros(1))
        with pytest.raises(KeyError, match=r'contain "\."'):
            mod.register_parameter("a.b", p)
        with pytest.raises(KeyError, match="empty string"):
            mod.register_parameter("", p)
        mod.plain = 1
        with pytest.raises(KeyError, match="attribute 'plain' already exists"):
            mod.register_parameter("plain", p)
        with pytest.raises(TypeError, match="cannot assign 'int' object to parameter 'x'"):
            mod.register_parameter("x", 3)
        with pytest.raises(TypeError, match="parameter name should be a string"):
            mod.register_parameter(1, p)


def test_register_parameter_rejects_non_leaf():
    w = d2lmods.ones(2, requires_grad=True)
    nonleaf = nn.Parameter(d2lmods.ones(2))
    nonleaf._fn = (w * 2).grad_fn  # a Parameter posing as the result of a computation
    assert not nonleaf.is_leaf
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        Holder().register_parameter("w", nonleaf)


def test_add_module_validation(torch):
    m = Holder()
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(KeyError, match=r'module name can.+t contain "\.", got: a.b'):
        m.add_module("a.b", nn.Linear(1, 1))
    with pytest.raises(KeyError, match="empty string"):
        m.add_module("", nn.Linear(1, 1))
    m.z = 1
    with pytest.raises(KeyError, match="attribute 'z' already exists"):
        m.add_module("z", nn.Linear(1, 1))
    # Names with spaces are legal (D2L: add_module(f'block {i}', ...)).
    m.add_module("block 0", nn.Linear(1, 1))
    assert "block 0.weight" in m.state_dict()
    m.register_module("r", nn.Identity())
    assert list(m._modules) == ["block 0", "r"]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        torch.nn.Module().add_module("x", 3)


def test_register_buffer_persistent_and_not():
    m = Holder()
    m.register_buffer("mean", d2lmods.zeros(3))
    m.register_buffer("tmp", d2lmods.ones(2), persistent=False)
    m.register_buffer("nothing", None)
    assert list(m.state_dict()) == ["mean"]
    assert [n for n, _ in m.named_buffers()] == ["mean", "tmp"]
    # A registered buffer stays a buffer when re-assigned.
    m.mean = d2lmods.ones(3)
    assert "mean" in m._buffers and "mean" not in m.__dict__
    np.testing.assert_array_equal(m.mean.numpy(), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'mean'"):
        m.mean = 3
    with pytest.raises(KeyError, match="buffer name can.+t contain"):
        m.register_buffer("a.b", d2lmods.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'x'"):
        m.register_buffer("x", [1, 2])


def test_buffer_class_registers_on_assignment():
    m = Holder()
    m.running = nn.Buffer(d2lmods.zeros(2))
    m.scratch = nn.Buffer(d2lmods.zeros(2), persistent=False)
    assert list(m._buffers) == ["running", "scratch"]
    assert list(m.state_dict()) == ["running"]
    assert type(m.running) is d2lmods.Tensor


# ---- before super().__init__() --------------------------------------------------------------


@pytest.mark.parametrize(
    "what,value,torch_text",
    [
        ("module", lambda: nn.Linear(1, 1), "cannot assign module before Module.__init__() call"),
        (
            "parameters",
            lambda: nn.Parameter(d2lmods.zeros(1)),
            "cannot assign parameters before Module.__init__() call",
        ),
        (
            "tensors",
            lambda: d2lmods.zeros(1),
            "cannot assign tensors before Module.__init__() call",
        ),
    ],
)
def test_assigning_before_super_init_says_call_super_first(what, value, torch_text):
    class Net(nn.Module):
        def __init__(self):
            self.x = value()
            super().__init__()

    with pytest.raises(AttributeError) as err:
        Net()
    assert torch_text in str(err.value)
    assert "super().__init__()" in str(err.value).split("call:", 1)[1]
    assert "Net.__init__" in str(err.value)


def test_add_module_before_super_init():
    class Net(nn.Module):
        def __init__(self):
            self.add_module("a", nn.Linear(1, 1))
            super().__init__()

    with pytest.raises(
        AttributeError, match=r"call super\(\)\.__init__\(\) as the first line of Net"
    ):
        Net()


def test_plain_attribute_before_super_init_is_fine():
    class Net(nn.Module):
        def __init__(self):
            self.num_hiddens = 4
            super().__init__()
            self.fc = nn.Linear(2, self.num_hiddens)

    assert Net().fc.out_features == 4


def test_forgot_super_init_entirely():
    class Centered(nn.Module):
        def __init__(self):
            pass

        def forward(self, X):
            return X - X.mean()

    with pytest.raises(
        RuntimeError, match=r"Centered.__init__ did not call super\(\).__init__\(\)"
    ):
        Centered()(d2lmods.ones(2))


def test_module_init_rejects_arguments():
    class Net(nn.Module):
        def __init__(self, n):
            super().__init__(n)

    with pytest.raises(TypeError, match=r"Fix: call super\(\).__init__\(\) without arguments"):
        Net(3)


# ---- attribute lookup, deletion, dir --------------------------------------------------------


def test_getattr_delattr_dir():
    lin = nn.Linear(2, 3)
    assert lin.weight is lin._parameters["weight"]
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nonexistent'"):
        lin.nonexistent
    m = Holder()
    m.a = nn.Linear(1, 1)
    m.register_buffer("b", d2lmods.zeros(1))
    m.c = nn.Parameter(d2lmods.zeros(1))
    m.d = 1
    d = dir(m)
    assert {"a", "b", "c", "d", "forward", "state_dict"} <= set(d)
    del m.a, m.b, m.c, m.d
    assert not m._modules and not m._buffers and not m._parameters and "d" not in m.__dict__
    with pytest.raises(AttributeError):
        del m.never


def test_dir_hides_numbered_children():
    net = nn.Sequential(nn.Linear(1, 1))
    assert "0" not in dir(net)


# ---- traversal -------------------------------------------------------------------------------


def _tied():
    shared = nn.Linear(8, 8)
    return nn.Sequential(
        nn.Linear(4, 8),
        nn.Identity(),
        shared,
        nn.Identity(),
        shared,
        nn.Identity(),
        nn.Linear(8, 1),
    ), shared


def test_named_parameters_dedups_tied_parameters():
    net, shared = _tied()
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "6.weight",
        "6.bias",
    ]
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
        "6.weight",
        "6.bias",
    ]
    assert list(net.state_dict()) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
        "6.weight",
        "6.bias",
    ]
    assert len(list(net.parameters())) == 6
    assert net[2].weight is net[4].weight is shared.weight


def test_named_parameters_prefix_and_recurse():
    net = nn.Sequential(nn.Linear(1, 2))
    net.register_parameter("scale", nn.Parameter(d2lmods.ones(1)))
    assert [n for n, _ in net.named_parameters(prefix="model")] == [
        "model.scale",
        "model.0.weight",
        "model.0.bias",
    ]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert len(list(net.parameters(recurse=False))) == 1


def test_named_modules_children_and_memo():
    net, shared = _tied()
    names = [n for n, _ in net.named_modules()]
    assert names == [
        "",
        "0",
        "1",
        "2",
        "3",
        "5",
        "6",
    ]  # shared (4) visited once; Identity 3 vs 5 distinct
    all_names = [n for n, _ in net.named_modules(remove_duplicate=False)]
    assert all_names == ["", "0", "1", "2", "3", "4", "5", "6"]
    assert [n for n, _ in net.named_children()] == ["0", "1", "2", "3", "5", "6"]
    assert len(list(net.children())) == 6
    assert [n for n, _ in net.named_modules(prefix="root")][:2] == ["root", "root.0"]
    assert list(net.modules())[0] is net


def test_traversal_matches_torch_on_d2l_models(torch):
    from tests.fixtures.models import EAGER, build

    for name in EAGER:
        ours, _ = build(d2lmods, name)
        theirs, _ = build(torch, name)
        for fn in ("named_parameters", "named_modules", "named_children", "named_buffers"):
            assert [n for n, _ in getattr(ours, fn)()] == [n for n, _ in getattr(theirs, fn)()], (
                name,
                fn,
            )
        assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == [
            n for n, _ in theirs.named_parameters(remove_duplicate=False)
        ]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [tuple(p.shape) for p in ours.parameters()] == [
            tuple(p.shape) for p in theirs.parameters()
        ]


def test_get_submodule_and_get_parameter():
    net, _ = _tied()
    outer = nn.Sequential(net)
    assert outer.get_submodule("0.2") is net[2]
    assert outer.get_submodule("") is outer
    assert outer.get_parameter("0.6.bias") is net[6].bias
    with pytest.raises(AttributeError, match="has no attribute `9`"):
        outer.get_submodule("0.9")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        outer.get_parameter("0.2.in_features")


# ---- modes, gradients, apply -----------------------------------------------------------------


def test_train_eval_propagate():
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.Linear(1, 1)))
    assert net.training and net[1][0].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    lin = nn.Linear(3, 2)
    lin(d2lmods.randn(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert float(lin.weight.grad.abs().sum()) == 0.0
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    assert lin.requires_grad_(False) is lin
    assert not any(p.requires_grad for p in lin.parameters())


def test_apply_is_post_order():
    seen = []
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.Linear(1, 1)))
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Sequential", "Sequential"]


# ---- hooks -----------------------------------------------------------------------------------


def test_forward_hooks_modify_and_remove():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(d2lmods.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == [d2lmods.Size([1, 2])]
    h1.remove()
    h2.remove()
    assert not lin._forward_pre_hooks and not lin._forward_hooks
    x = d2lmods.ones(1, 2)
    np.testing.assert_allclose(
        lin(x).detach().numpy(), (x @ lin.weight.T + lin.bias).detach().numpy()
    )


def test_forward_hooks_with_kwargs_and_prepend():
    lin = nn.Linear(2, 2)
    order = []
    lin.register_forward_pre_hook(lambda m, a, k: order.append("kw") or None, with_kwargs=True)
    lin.register_forward_pre_hook(lambda m, a: order.append("first") or None, prepend=True)
    lin.register_forward_hook(
        lambda m, a, k, out: order.append(("post", sorted(k))) or None, with_kwargs=True
    )
    lin(d2lmods.ones(1, 2))
    assert order == ["first", "kw", ("post", [])]
    with lin.register_forward_hook(lambda m, a, out: out * 0):
        assert float(lin(d2lmods.ones(1, 2)).abs().sum()) == 0.0
    assert len(lin._forward_hooks) == 1


def test_pre_hook_with_kwargs_bad_return():
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        lin(d2lmods.ones(1, 2))


# ---- dtype conversion ------------------------------------------------------------------------


def test_to_double_keeps_parameter_identity_and_int_buffers():
    net = nn.Sequential(nn.Linear(2, 3))
    net.register_buffer("steps", d2lmods.tensor(0))
    net.register_buffer("stat", d2lmods.zeros(3))
    w = net[0].weight
    assert net.to(d2lmods.float64) is net
    assert net[0].weight is w and w.dtype == d2lmods.float64
    assert net.stat.dtype == d2lmods.float64
    assert net.steps.dtype == d2lmods.int64
    net.float()
    assert w.dtype == d2lmods.float32
    net.double()
    assert net[0].bias.dtype == d2lmods.float64
    net.half()
    assert w.dtype == d2lmods.float16
    net.to(dtype=d2lmods.float32)
    assert w.dtype == d2lmods.float32
    net.to("cpu")
    net.to(d2lmods.zeros(1, dtype=d2lmods.float64))
    assert w.dtype == d2lmods.float64


def test_to_rejects_integer_dtype_and_other_devices(torch):
    with pytest.raises(TypeError) as theirs:
        torch.nn.Linear(1, 1).to(torch.int32)
    with pytest.raises(TypeError) as ours:
        nn.Linear(1, 1).to(d2lmods.int32)
    assert str(ours.value).startswith(str(theirs.value).replace("torch.", "d2lmods."))
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(1, 1).to("cuda")


def test_to_converts_grads_and_optimizer_still_holds_params():
    lin = nn.Linear(2, 1)
    params = list(lin.parameters())
    lin(d2lmods.ones(1, 2)).sum().backward()
    lin.double()
    assert list(lin.parameters()) == params or all(a is b for a, b in zip(lin.parameters(), params))
    assert lin.weight.grad.dtype == d2lmods.float64
    out = lin(d2lmods.ones(1, 2, dtype=d2lmods.float64))
    assert out.dtype == d2lmods.float64


# ---- pickling and copying --------------------------------------------------------------------


def _same_values(a, b):
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())


def test_deepcopy_and_pickle_round_trip():
    net, _ = _tied()
    net.register_buffer("stat", d2lmods.ones(2))
    x = d2lmods.randn(3, 4)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert repr(clone) == repr(net)
        _same_values(clone, net)
        assert clone[2].weight is clone[4].weight  # tying survives
        assert clone[0].weight is not net[0].weight  # but storage is new
        assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
        np.testing.assert_allclose(clone(x).detach().numpy(), net(x).detach().numpy())
        clone(x).sum().backward()  # hooks/registries still work


def test_pickled_lazy_module_initializes_later():
    net = nn.Sequential(nn.LazyLinear(3))
    clone = pickle.loads(pickle.dumps(net))
    assert (
        repr(clone) == "Sequential(\n  (0): LazyLinear(in_features=0, out_features=3, bias=True)\n)"
    )
    clone(d2lmods.randn(2, 5))
    assert repr(clone[0]) == "Linear(in_features=5, out_features=3, bias=True)"


# ---- forward ---------------------------------------------------------------------------------


def test_bare_module_has_no_forward(torch):
    with pytest.raises(NotImplementedError) as ours:
        nn.Module()(d2lmods.ones(1))
    with pytest.raises(NotImplementedError) as theirs:
        torch.nn.Module()(torch.ones(1))
    assert str(ours.value).startswith(str(theirs.value))


def test_module_call_passes_args_and_kwargs():
    class Scale(nn.Module):
        def forward(self, X, factor=1.0):
            return X * factor

    out = Scale()(d2lmods.ones(2), factor=3.0)
    np.testing.assert_array_equal(out.numpy(), [3.0, 3.0])


def test_identity():
    x = d2lmods.ones(2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


def test_always_call_forward_hook_runs_when_forward_fails():
    class Boom(nn.Module):
        def forward(self, X):
            raise ValueError("boom")

    seen = []
    m = Boom()
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(d2lmods.ones(1))
    assert seen == [None]
    h.remove()
    assert not m._forward_hooks_always_called


def test_state_dict_and_load_hooks():
    lin = nn.Linear(1, 1)
    seen = []
    lin.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("save", list(sd))))
    lin.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *rest: seen.append(("pre", mod is lin, sorted(sd)))
    )
    lin.register_load_state_dict_post_hook(lambda mod, keys: seen.append(("post", repr(keys))))
    lin.load_state_dict({k: v.clone() for k, v in lin.state_dict().items()})
    assert seen == [
        ("save", ["weight", "bias"]),
        ("pre", True, ["bias", "weight"]),
        ("post", "<All keys matched successfully>"),
    ]
