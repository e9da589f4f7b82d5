"""``nn.Module`` behaves as torch's: the same code runs on d2lmods and on torch 2.13 (``lib``).

The behaviours are the ones PyTorch's own module tests pin down (registration and its errors,
traversal with ``prefix``/``recurse``/``remove_duplicate``, state dicts, hooks, modes, conversion,
copying, repr); the test code is this project's own.
"""

import copy
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _silent():
    # Every program here is correct PyTorch code: any warning is a false alarm.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Linear(3, 4)
            self.block = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
            self.register_buffer("steps", lib.zeros(1))

        def forward(self, x):
            return self.block(self.l1(x))

    return Net()


def _tname(lib, short):
    return f"{lib.__name__}.{short}"


# ---- registration ----------------------------------------------------------------------------


def test_assignment_routes_parameters_modules_and_buffers(lib):
    nn = lib.nn
    m = nn.Module()
    m.w = nn.Parameter(lib.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("b", lib.ones(1))
    m.plain = lib.ones(1)
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert list(m._buffers) == ["b"]
    assert "plain" in m.__dict__ and "plain" not in m._buffers
    # a Parameter replacing a module moves the name to the other registry
    m.sub = nn.Parameter(lib.zeros(1))
    assert "sub" in m._parameters and "sub" not in m._modules
    # but a module never silently replaces a parameter: the slot must be emptied first
    with pytest.raises(TypeError, match="cannot assign '.*ReLU' as parameter 'w'"):
        m.w = nn.ReLU()
    del m.w
    m.w = nn.ReLU()
    assert "w" in m._modules and "w" not in m._parameters
    del m.w, m.sub, m.b
    assert not m._parameters and not m._modules and not m._buffers


def test_none_keeps_a_slot_and_is_skipped_everywhere(lib):
    nn = lib.nn
    m = nn.Module()
    m.register_parameter("bias", None)
    m.register_buffer("stat", None)
    m.add_module("child", None)
    assert m.bias is None and m.stat is None and m.child is None
    assert list(m.named_parameters()) == [] and list(m.named_buffers()) == []
    assert list(m.named_children()) == [] and list(m.state_dict()) == []
    m.bias = nn.Parameter(lib.zeros(1))
    m.bias = None
    assert "bias" in m._parameters and m.bias is None


def test_setattr_type_errors(lib):
    nn = lib.nn
    lin = nn.Linear(2, 2)
    with pytest.raises(
        TypeError,
        match=re.escape(
            f"cannot assign '{_tname(lib, 'FloatTensor')}' as parameter 'weight' "
            "(torch.nn.Parameter or None expected)"
        ),
    ):
        lin.weight = lib.zeros(2, 2)
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(
        TypeError,
        match=re.escape(
            "cannot assign 'int' as child module '0' (torch.nn.Module or None expected)"
        ),
    ):
        setattr(seq, "0", 3)
    m = nn.Module()
    m.register_buffer("b", lib.zeros(1))
    with pytest.raises(
        TypeError,
        match=re.escape(
            "cannot assign 'int' as buffer 'b' (torch.nn.Buffer, torch.Tensor or None expected)"
        ),
    ):
        m.b = 3


def test_registration_before_init_is_refused(lib):
    nn = lib.nn

    class Early(nn.Module):
        def __init__(self, what):
            if what == "module":
                self.l = nn.Linear(1, 1)
            else:
                self.w = nn.Parameter(lib.zeros(1))
            super().__init__()

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        Early("module")
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early("parameter")


@pytest.mark.parametrize("method", ["register_parameter", "register_buffer", "add_module"])
def test_name_validation(lib, method):
    nn = lib.nn
    m = nn.Module()
    m.attr = 1
    value = {
        "register_parameter": lambda: nn.Parameter(lib.zeros(1)),
        "register_buffer": lambda: lib.zeros(1),
        "add_module": lambda: nn.ReLU(),
    }[method]
    kind = {"register_parameter": "parameter", "register_buffer": "buffer", "add_module": "module"}[
        method
    ]
    register = getattr(m, method)
    with pytest.raises(KeyError, match=f"{kind} name can.{{1,2}}t contain"):
        register("a.b", value())
    with pytest.raises(KeyError, match=f"{kind} name can.{{1,2}}t be empty string"):
        register("", value())
    with pytest.raises(KeyError, match="attribute 'attr' already exists"):
        register("attr", value())
    with pytest.raises(TypeError, match=f"{kind} name should be a string. Got int"):
        register(1, value())
    register("ok name", value())  # spaces are fine (D2L's `block {i}`)
    assert getattr(m, "ok name") is not None


def test_register_errors_for_wrong_values(lib):
    nn = lib.nn
    m = nn.Module()
    with pytest.raises(
        TypeError,
        match=re.escape(
            f"cannot assign '{_tname(lib, 'FloatTensor')}' object to parameter 'w' "
            "(torch.nn.Parameter or None required)"
        ),
    ):
        m.register_parameter("w", lib.zeros(1))
    with pytest.raises(
        TypeError,
        match=re.escape("cannot assign 'int' object to buffer 'b' (torch Tensor or None required)"),
    ):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("c", 3)
    w = lib.zeros(2, requires_grad=True)
    p = nn.Parameter(lib.zeros(2))
    p2 = p * 2
    with pytest.raises((TypeError, ValueError)):
        m.register_parameter("nonleaf", p2)
    assert w.requires_grad


def test_register_module_is_add_module(lib):
    nn = lib.nn
    m = nn.Module()
    m.register_module("first", nn.ReLU())
    m.add_module("second", nn.Tanh())
    assert [n for n, _ in m.named_children()] == ["first", "second"]


def test_getattr_error_names_the_class(lib):
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nonexistent'"):
        lib.nn.Linear(1, 1).nonexistent  # noqa: B018


def test_dir_lists_registered_names(lib):
    nn = lib.nn
    net = _net(lib)
    keys = dir(net)
    for name in ("l1", "block", "steps", "forward", "training"):
        assert name in keys
    assert "weight" in dir(nn.Linear(1, 1)) and "bias" in dir(nn.Linear(1, 1))
    assert keys == sorted(keys)
    assert not [k for k in dir(nn.Sequential(nn.ReLU())) if k[0].isdigit()]


# ---- traversal ------------------------------------------------------------------------------


def test_named_modules_prefix_and_duplicates(lib):
    nn = lib.nn
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in net.named_modules(prefix="net")] == ["net", "net.0", "net.1"]
    assert len(list(net.modules())) == 3
    assert [n for n, _ in net.named_children()] == ["0", "1"]
    assert len(list(net.children())) == 2


def test_named_parameters_prefix_recurse_and_duplicates(lib):
    nn = lib.nn
    shared = nn.Linear(2, 2)
    net = nn.Sequential(nn.Linear(2, 2), shared, nn.ReLU(), shared)  # D2L's tied layer
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "3.weight",
        "3.bias",
    ]
    assert [n for n, _ in net.named_parameters(prefix="m")][:2] == ["m.0.weight", "m.0.bias"]
    assert list(net.named_parameters(recurse=False)) == []
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in shared.named_parameters(recurse=False)] == ["weight", "bias"]
    # one Parameter registered twice on one module is reported once
    m = nn.Module()
    p = nn.Parameter(lib.zeros(1))
    m.a, m.b = p, p
    assert [n for n, _ in m.named_parameters()] == ["a"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == ["a", "b"]


def test_named_buffers_and_state_dict_order(lib):
    nn = lib.nn
    net = _net(lib)
    bn = nn.BatchNorm1d(2)
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    assert [n for n, _ in net.named_buffers(prefix="x")] == ["x.steps"]
    assert list(net.state_dict()) == [
        "steps",
        "l1.weight",
        "l1.bias",
        "block.0.weight",
        "block.0.bias",
        "block.2.weight",
        "block.2.bias",
    ]


def test_get_submodule_parameter_buffer(lib):
    nn = lib.nn
    net = _net(lib)
    assert net.get_submodule("") is net
    assert net.get_submodule("block.0") is net.block[0]
    assert net.get_parameter("block.2.bias") is net.block[2].bias
    assert net.get_buffer("steps") is net.steps
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        net.get_parameter("l1.nope")
    with pytest.raises(AttributeError, match="`steps` is not an nn.Parameter"):
        net.get_parameter("steps")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("l1.weight")
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        net.get_buffer("l1.nope")
    assert isinstance(net.get_submodule("block"), nn.Sequential)


def test_set_submodule(lib):
    nn = lib.nn
    net = _net(lib)
    tanh = nn.Tanh()
    net.set_submodule("block.1", tanh)
    assert net.block[1] is tanh
    net.set_submodule("block.extra", nn.ReLU())  # strict=False adds a new child
    assert "extra" in net.block._modules
    net.set_submodule("head", nn.Identity())
    assert isinstance(net.head, nn.Identity)
    with pytest.raises(AttributeError, match="has no attribute `missing`"):
        net.set_submodule("block.missing", nn.ReLU(), strict=True)
    net.set_submodule("block.0", nn.Linear(4, 4), strict=True)
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name"):
        net.set_submodule("", nn.ReLU())
    with pytest.raises(ValueError, match="`module` is not an nn.Module"):
        net.set_submodule("block.0", 3)
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.set_submodule("l1.weight", nn.ReLU())
    with pytest.raises(AttributeError):
        net.set_submodule("nothere.child", nn.ReLU())


# ---- modes, gradients, apply ----------------------------------------------------------------


def test_train_eval_flags_recurse(lib):
    net = _net(lib)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.block.train()
    assert net.block[0].training and not net.training
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_requires_grad_and_zero_grad(lib):
    net = _net(lib)
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(lib.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net(lib.ones(2, 3)).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_of_a_scalar_parameter(lib):
    m = lib.nn.Module()
    m.s = lib.nn.Parameter(lib.tensor(2.0))
    (m.s * 3).backward()
    m.zero_grad(set_to_none=False)
    assert float(m.s.grad) == 0.0 and m.s.grad.shape == ()


def test_apply_visits_children_first(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU(), nn.Tanh()))
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    net.apply(init)
    assert net[0].weight.detach().tolist() == [[0.5]] and net[0].bias.detach().tolist() == [0.0]


# ---- hooks ---------------------------------------------------------------------------------


class _Add:
    def __init__(self, lib):
        nn = lib.nn

        class AddK(nn.Module):
            def forward(self, x, k=0):
                return x + k

        self.module = AddK()


def test_forward_pre_and_post_hooks(lib):
    m = _Add(lib).module
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 10,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    assert float(m(lib.tensor(1.0))) == 11.0
    assert calls == ["pre", "post"]
    h1.remove()
    h2.remove()
    assert float(m(lib.tensor(1.0))) == 1.0
    h1.remove()  # removing twice is harmless


def test_pre_hook_returning_a_single_value_wraps_it(lib):
    m = _Add(lib).module
    m.register_forward_pre_hook(lambda mod, args: args[0] + 5)
    assert float(m(lib.tensor(1.0))) == 6.0


def test_hooks_with_kwargs(lib):
    m = _Add(lib).module
    seen = {}

    def pre(mod, args, kwargs):
        seen["pre"] = dict(kwargs)
        return args, {"k": kwargs.get("k", 0) + 100}

    def post(mod, args, kwargs, out):
        seen["post"] = dict(kwargs)
        return out * 2

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(post, with_kwargs=True)
    assert float(m(lib.tensor(1.0), k=1)) == 204.0
    assert seen == {"pre": {"k": 1}, "post": {"k": 101}}


def test_hook_order_and_prepend(lib):
    m = _Add(lib).module
    order = []
    m.register_forward_hook(lambda *a: order.append("a"))
    m.register_forward_hook(lambda *a: order.append("b"))
    m.register_forward_hook(lambda *a: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda *a: order.append("pre-a"))
    m.register_forward_pre_hook(lambda *a: order.append("pre-first"), prepend=True)
    m(lib.tensor(0.0))
    assert order == ["pre-first", "pre-a", "first", "a", "b"]


def test_always_call_hook_runs_when_forward_raises(lib):
    nn = lib.nn

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(lib.tensor(0.0))
    assert seen == ["always"]


def test_handle_as_context_manager(lib):
    m = _Add(lib).module
    with m.register_forward_hook(lambda mod, args, out: out * 0):
        assert float(m(lib.tensor(3.0))) == 0.0
    assert float(m(lib.tensor(3.0))) == 3.0


def test_hooks_on_children_see_each_layer(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    shapes = []
    for layer in net:
        layer.register_forward_hook(lambda mod, args, out: shapes.append(tuple(out.shape)))
    net(lib.ones(5, 3))
    assert shapes == [(5, 4), (5, 4), (5, 2)]


# ---- state dict ----------------------------------------------------------------------------


def test_state_dict_detaches_and_keep_vars_does_not(lib):
    nn = lib.nn
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad
    assert sd["weight"].data_ptr() == lin.weight.data_ptr()
    kept = lin.state_dict(keep_vars=True)
    assert kept["weight"] is lin.weight
    assert list(lin.state_dict(prefix="pre.")) == ["pre.weight", "pre.bias"]
    assert sd._metadata[""] == {"version": 1}


def test_non_persistent_buffer_stays_out_of_the_state_dict(lib):
    m = lib.nn.Module()
    m.register_buffer("keep", lib.zeros(1))
    m.register_buffer("tmp", lib.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["keep"]
    assert [n for n, _ in m.named_buffers()] == ["keep", "tmp"]
    assert repr(m.load_state_dict({"keep": lib.ones(1)})) == "<All keys matched successfully>"


def test_load_state_dict_copies_in_place(lib):
    src, dst = _net(lib), _net(lib)
    before = dst.l1.weight
    result = dst.load_state_dict(src.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.l1.weight is before
    assert bool((dst.l1.weight == src.l1.weight).all())
    # the copy does not alias the source
    with lib.no_grad():
        src.l1.weight.fill_(7.0)
    assert not bool((dst.l1.weight == 7.0).any())
    src.load_state_dict(dst.state_dict())  # and back: a round trip is silent


def test_load_state_dict_strict_errors(lib):
    nn = lib.nn
    lin = nn.Linear(4, 2)
    sd = nn.Linear(4, 2).state_dict()
    del sd["bias"]
    sd["extra"] = lib.zeros(1)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict(sd)
    text = str(info.value)
    assert text.startswith("Error(s) in loading state_dict for Linear:\n\t")
    assert 'Missing key(s) in state_dict: "bias". ' in text
    assert 'Unexpected key(s) in state_dict: "extra". ' in text
    result = lin.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
    missing, unexpected = result
    assert (missing, unexpected) == (["bias"], ["extra"])


def test_load_state_dict_size_mismatch_prints_sizes_as_torch(lib):
    lin = lib.nn.Linear(4, 2)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": lib.zeros(2, 3), "bias": lib.zeros(2)})
    assert (
        "size mismatch for weight: copying a param with shape "
        f"{lib.__name__}.Size([2, 3]) from checkpoint, the shape in current model is "
        f"{lib.__name__}.Size([2, 4])."
    ) in str(info.value)
    # strict=False does not excuse a size mismatch
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        lin.load_state_dict({"weight": lib.zeros(2, 3)}, strict=False)


def test_load_state_dict_rejects_a_non_mapping(lib):
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got"):
        lib.nn.Linear(1, 1).load_state_dict([1, 2])


def test_extra_state_round_trip(lib):
    nn = lib.nn

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.count = 0

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    a, b = Counter(), Counter()
    a.count = 5
    sd = a.state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]  # own state first
    assert sd["_extra_state"] == {"count": 5}
    b.load_state_dict(sd)
    assert b.count == 5
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        b.load_state_dict(sd)


def test_state_dict_hooks(lib):
    lin = lib.nn.Linear(1, 1)
    seen = []

    def post(module, state_dict, prefix, local_metadata):
        seen.append(sorted(state_dict))

    handle = lin.register_state_dict_post_hook(post)
    lin.state_dict()
    assert seen == [["bias", "weight"]]
    handle.remove()

    def replace(module, state_dict, prefix, local_metadata):
        return OrderedDict((k.upper(), v) for k, v in state_dict.items())

    lin._register_state_dict_hook(replace)  # the older private spelling; may return a new dict
    assert list(lin.state_dict()) == ["WEIGHT", "BIAS"]
    lin = lib.nn.Linear(1, 1)

    loaded = []
    lin.register_load_state_dict_post_hook(
        lambda module, keys: loaded.append((keys.missing_keys, keys.unexpected_keys))
    )
    lin.load_state_dict(lib.nn.Linear(1, 1).state_dict())
    assert loaded == [([], [])]


# ---- conversion ----------------------------------------------------------------------------


def test_to_dtype_keeps_parameter_objects_and_integer_buffers(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = net[0].weight
    assert net.to(lib.float64) is net
    assert net[0].weight is w and w.dtype == lib.float64
    assert net[1].running_mean.dtype == lib.float64
    assert net[1].num_batches_tracked.dtype == lib.int64
    net.float()
    assert w.dtype == lib.float32
    net.double()
    assert w.dtype == lib.float64
    net.half()
    assert w.dtype == lib.float16
    net.to(dtype=lib.float32)
    assert w.dtype == lib.float32
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex"):
        net.to(lib.int32)
    assert net.to("cpu") is net and net.cpu() is net


def test_to_dtype_converts_gradients_too(lib):
    lin = lib.nn.Linear(2, 1)
    lin(lib.ones(1, 2)).sum().backward()
    lin.double()
    assert lin.weight.grad.dtype == lib.float64


def test_module_type_converts_every_tensor(lib):
    lin = lib.nn.Linear(2, 1)
    assert lin.type(lib.float64) is lin
    assert lin.weight.dtype == lib.float64 and lin.bias.dtype == lib.float64


# ---- copying -------------------------------------------------------------------------------


def test_deepcopy_makes_new_parameters_and_keeps_tying(lib):
    nn = lib.nn
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    net.register_buffer("b", lib.ones(1))
    clone = copy.deepcopy(net)
    assert clone[0] is clone[2] and clone[0] is not shared
    assert clone[0].weight is not shared.weight
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    assert bool((clone[0].weight == shared.weight).all())
    assert list(clone.state_dict()) == list(net.state_dict())
    assert repr(clone) == repr(net)


def test_pickle_round_trip(lib):
    net = _net(lib)
    net.eval()
    clone = pickle.loads(pickle.dumps(net.block))
    assert repr(clone) == repr(net.block) and not clone.training
    x = lib.ones(1, 4)
    np.testing.assert_allclose(clone(x).detach().numpy(), net.block(x).detach().numpy())


def test_deepcopy_of_state_dict_is_a_snapshot(lib):
    lin = lib.nn.Linear(1, 1)
    best = copy.deepcopy(lin.state_dict())
    with lib.no_grad():
        lin.weight.fill_(3.0)
    assert best["weight"].tolist() != [[3.0]]


# ---- repr ----------------------------------------------------------------------------------


def test_extra_repr_and_nested_repr(lib):
    nn = lib.nn

    class Scale(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def extra_repr(self):
            return f"k={self.k}"

    class Two(nn.Module):
        def extra_repr(self):
            return "first\nsecond"

    assert repr(Scale(2)) == "Scale(k=2)"
    assert repr(Two()) == "Two(\n  first\n  second\n)"
    net = nn.Sequential(
        OrderedDict(
            [
                ("scale", Scale(3)),
                ("blocks", nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])),
                ("heads", nn.ModuleDict({"a": nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())})),
            ]
        )
    )
    assert repr(net) == (
        "Sequential(\n"
        "  (scale): Scale(k=3)\n"
        "  (blocks): ModuleList(\n"
        "    (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "    (3): ReLU()\n"
        "  )\n"
        "  (heads): ModuleDict(\n"
        "    (a): Sequential(\n"
        "      (0): Linear(in_features=2, out_features=1, bias=True)\n"
        "      (1): Sigmoid()\n"
        "    )\n"
        "  )\n"
        ")"
    )
    # a module with both extra_repr and children prints both
    s = Scale(1)
    s.inner = nn.ReLU()
    assert repr(s) == "Scale(\n  k=1\n  (inner): ReLU()\n)"


def test_missing_forward(lib):
    with pytest.raises(
        NotImplementedError,
        match=re.escape('Module [Module] is missing the required "forward" function'),
    ):
        lib.nn.Module()(1)


def test_module_init_rejects_arguments(lib):
    with pytest.raises(TypeError):
        lib.nn.Module(3)


# ---- backward hooks ------------------------------------------------------------------------


def test_full_backward_hook_sees_input_and_output_gradients(lib):
    nn = lib.nn
    lin = nn.Linear(2, 1)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[2.0, -1.0]]))
    seen = []
    handle = lin.register_full_backward_hook(
        lambda m, gin, gout: seen.append((m, [g.tolist() for g in gin], [g.tolist() for g in gout]))
    )
    x = lib.ones(3, 2, requires_grad=True)
    (lin(x) * 3).sum().backward()
    assert len(seen) == 1 and seen[0][0] is lin
    assert seen[0][1] == [[[6.0, -3.0]] * 3] and seen[0][2] == [[[3.0]] * 3]
    assert x.grad.tolist() == [[6.0, -3.0]] * 3
    assert lin.weight.grad.tolist() == [[9.0, 9.0]]
    handle.remove()
    lin(x).sum().backward()
    assert len(seen) == 1


def test_full_backward_hook_can_replace_grad_input(lib):
    lin = lib.nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 0,))
    x = lib.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]]
    assert lin.weight.grad.tolist() == [[1.0, 1.0]]  # parameters are not affected


def test_full_backward_hook_without_input_gradients(lib):
    lin = lib.nn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gin, gout: seen.append((gin, len(gout))))
    with pytest.warns(
        UserWarning,
        match="Full backward hook is firing when gradients are "
        "computed with respect to module outputs",
    ):
        lin(lib.ones(1, 2)).sum().backward()
    assert seen == [((None,), 1)]


def test_full_backward_pre_hook_can_scale_grad_output(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    order = []
    net[2].register_full_backward_pre_hook(lambda m, gout: (order.append("pre"), (gout[0] * 2,))[1])
    net[2].register_full_backward_hook(lambda m, gin, gout: order.append(("post", gout[0].item())))
    net[0].register_full_backward_hook(lambda m, gin, gout: order.append("first layer"))
    x = lib.ones(1, 2, requires_grad=True)
    net(x).sum().backward()
    assert order == ["pre", ("post", 2.0), "first layer"]


def test_backward_hooks_record_gradient_norms_per_layer(lib):
    nn = lib.nn
    lib.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    norms = {}
    for name, layer in net.named_children():
        layer.register_full_backward_hook(
            lambda m, gin, gout, name=name: norms.update({name: float(gout[0].norm())})
        )
    x = lib.randn(5, 4, requires_grad=True)
    loss = nn.CrossEntropyLoss()(net(x), lib.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    assert sorted(norms) == ["0", "1", "2"] and all(v > 0 for v in norms.values())


def test_backward_hook_returning_a_non_tuple_is_an_error(lib):
    lin = lib.nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda m, gin, gout: 1.5)
    with pytest.raises(TypeError):
        lin(lib.ones(1, 2, requires_grad=True)).sum().backward()


# ---- more registration and state-dict rules ------------------------------------------------


def test_non_persistent_buffer_rules(lib):
    nn = lib.nn
    m = nn.Module()
    m.register_buffer("b", lib.zeros(1), persistent=False)
    del m.b
    m.register_buffer("b", lib.zeros(1))  # deleting forgets the flag
    assert list(m.state_dict()) == ["b"]
    m.register_buffer("b", lib.zeros(1), persistent=False)
    assert list(m.state_dict()) == []
    m.b = None
    m.b = lib.ones(1)  # re-assigning keeps the flag
    assert list(m.state_dict()) == [] and m.b.tolist() == [1.0]
    assert repr(m.load_state_dict({})) == "<All keys matched successfully>"
    result = m.load_state_dict({"b": lib.ones(1)}, strict=False)
    assert result.unexpected_keys == ["b"]
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "b"'):
        m.load_state_dict({"b": lib.ones(1)})


def test_re_registering_and_moving_between_registries(lib):
    nn = lib.nn
    m = nn.Module()
    m.register_parameter("p", nn.Parameter(lib.zeros(1)))
    m.register_parameter("p", nn.Parameter(lib.ones(1)))
    assert m.p.tolist() == [1.0]
    m.register_buffer("b", lib.zeros(1))
    m.register_buffer("b", lib.ones(1))
    assert m.b.tolist() == [1.0]
    m.x = lib.zeros(1)
    m.x = nn.Parameter(lib.ones(1))  # a plain attribute becomes a parameter
    assert "x" not in m.__dict__ and "x" in m._parameters
    m.y = 3
    m.y = nn.ReLU()
    assert "y" not in m.__dict__ and "y" in m._modules
    m.b = nn.Parameter(lib.zeros(1))  # a buffer becomes a parameter
    assert "b" not in m._buffers and "b" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'y'"):
        m.y = 3
    m.y = None
    assert "y" in m._modules and m.y is None


def test_extra_state_needs_both_methods_to_load(lib):
    nn = lib.nn

    class GetOnly(nn.Module):
        def get_extra_state(self):
            return 5

    class SetOnly(nn.Module):
        def set_extra_state(self, state):
            self.got = state

    assert list(GetOnly().state_dict()) == ["_extra_state"]
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        GetOnly().load_state_dict(GetOnly().state_dict())
    assert repr(GetOnly().load_state_dict(GetOnly().state_dict(), strict=False)) == (
        "_IncompatibleKeys(missing_keys=[], unexpected_keys=['_extra_state'])"
    )
    assert list(SetOnly().state_dict()) == []
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        SetOnly().load_state_dict({})
    target = SetOnly()
    target.load_state_dict({"_extra_state": ["any", "object"]})
    assert target.got == ["any", "object"]


def test_state_dict_pre_hooks_and_load_pre_hooks(lib):
    nn = lib.nn
    lin = nn.Linear(1, 1)
    seen = []
    lin.register_state_dict_pre_hook(lambda m, prefix, keep_vars: seen.append((prefix, keep_vars)))
    lin.state_dict(prefix="a.")
    lin.state_dict(keep_vars=True)
    assert seen == [("a.", False), ("", True)]
    loaded = []
    lin.register_load_state_dict_pre_hook(
        lambda m, sd, prefix, local_metadata, strict, missing, unexpected, errors: loaded.append(
            (m is lin, prefix, strict, sorted(sd))
        )
    )
    lin.load_state_dict(nn.Linear(1, 1).state_dict())
    assert loaded == [(True, "", True, ["bias", "weight"])]


def test_state_dict_into_a_given_destination(lib):
    lin = lib.nn.Linear(1, 1)
    dest = OrderedDict()
    assert lin.state_dict(destination=dest) is dest and list(dest) == ["weight", "bias"]
    plain = {}
    assert lin.state_dict(destination=plain, prefix="l.") is plain
    assert list(plain) == ["l.weight", "l.bias"]


def test_forward_may_return_a_dict(lib):
    nn = lib.nn

    class Heads(nn.Module):
        def forward(self, x):
            return {"a": x, "b": x * 2}

    m = Heads()
    m.register_forward_hook(lambda mod, args, out: {k: v + 1 for k, v in out.items()})
    out = m(lib.ones(1))
    assert {k: v.tolist() for k, v in out.items()} == {"a": [2.0], "b": [3.0]}


def test_module_type_with_a_type_name(lib):
    lin = lib.nn.Linear(1, 1)
    lin.type(f"{lib.__name__}.DoubleTensor")
    assert lin.weight.dtype == lib.float64


def test_nested_multiline_extra_repr_is_indented(lib):
    nn = lib.nn

    class Two(nn.Module):
        def extra_repr(self):
            return "a=1,\nb=2"

    outer = nn.Sequential(Two())
    assert repr(outer) == "Sequential(\n  (0): Two(\n    a=1,\n    b=2\n  )\n)"


def test_containers_pickle(lib):
    nn = lib.nn
    seq = pickle.loads(pickle.dumps(nn.Sequential(nn.Linear(1, 1), nn.ReLU())))
    assert repr(seq) == (
        "Sequential(\n  (0): Linear(in_features=1, out_features=1, bias=True)\n  (1): ReLU()\n)"
    )
    assert list(pickle.loads(pickle.dumps(nn.ModuleDict({"a": nn.ReLU()})))) == ["a"]
    pd = pickle.loads(pickle.dumps(nn.ParameterDict({"a": nn.Parameter(lib.zeros(1))})))
    assert list(pd) == ["a"] and type(pd["a"]) is nn.Parameter
    pl = pickle.loads(pickle.dumps(nn.ParameterList([nn.Parameter(lib.zeros(1))])))
    assert len(pl) == 1 and [n for n, _ in pl.named_parameters()] == ["0"]


def test_compile_is_accepted_and_changes_nothing():
    # torch really compiles (slowly, and with torch-internal warnings), so only d2lmods runs here
    import d2lmods

    lin = d2lmods.nn.Linear(2, 1)
    x = d2lmods.ones(1, 2)
    expected = lin(x).tolist()
    assert lin.compile() is None
    assert lin(x).tolist() == expected


def test_backward_hook_grad_input_has_one_entry_per_argument(lib):
    nn = lib.nn

    class Mix(nn.Module):
        def forward(self, a, k, b, idx):
            return a * 2 + b + idx.float() * k

    m = Mix()
    seen = []
    m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append([None if g is None else g.tolist() for g in gin])
    )
    b = lib.ones(2, requires_grad=True)
    m(lib.ones(2), 3, b, lib.tensor([1, 2])).sum().backward()
    # no grad needed: zeros; not a tensor: None
    assert seen == [[[0.0, 0.0], None, [1.0, 1.0], [0, 0]]]
    assert b.grad.tolist() == [1.0, 1.0]


def test_backward_hook_with_two_outputs(lib):
    nn = lib.nn

    class Two(nn.Module):
        def forward(self, a):
            return a * 2, a * 3

    m = Two()
    seen = []
    m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append([None if g is None else g.tolist() for g in gout])
    )
    a = lib.ones(2, requires_grad=True)
    x, _ = m(a)
    x.sum().backward()
    assert seen == [[[1.0, 1.0], None]]  # the unused output's gradient is None
    assert a.grad.tolist() == [2.0, 2.0]


def test_backward_hook_result_is_checked(lib):
    nn = lib.nn
    lin = nn.Linear(1, 1)
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0], gin[0]))
    with pytest.raises(
        RuntimeError,
        match="Backward hook returned an invalid number of grad_input, got 2, but expected 1",
    ):
        lin(lib.ones(1, requires_grad=True)).sum().backward()
    lin = nn.Linear(1, 1)
    lin.register_full_backward_pre_hook(lambda m, gout: (gout[0], gout[0]))
    with pytest.raises(
        RuntimeError,
        match="Backward pre hook returned an invalid number of grad_output, got 2, but expected 1",
    ):
        lin(lib.ones(1, requires_grad=True)).sum().backward()


def test_backward_hooks_do_nothing_under_no_grad(lib):
    lin = lib.nn.Linear(1, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gin, gout: seen.append(1))
    with lib.no_grad():
        out = lin(lib.ones(1))
    assert not out.requires_grad and seen == []


def test_forward_hook_details(lib):
    nn = lib.nn
    lin = nn.Linear(1, 1)
    lin.register_forward_pre_hook(lambda m, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(
        RuntimeError,
        match="forward pre-hook must return None or a tuple of "
        "\\(new_args, new_kwargs\\), but got 5",
    ):
        lin(lib.ones(1))
    lin = nn.Linear(1, 1)
    seen = []
    lin.register_forward_hook(
        lambda m, args, kwargs, out: seen.append(sorted(kwargs)), with_kwargs=True
    )
    lin.register_forward_hook(lambda m, args, out: seen.append("always"), always_call=True)
    lin(input=lib.ones(1))
    assert seen == [["input"], "always"]
    handles = []
    handles.append(lin.register_forward_pre_hook(lambda m, args: handles[0].remove()))
    lin(lib.ones(1))
    lin(lib.ones(1))
    assert len(lin._forward_pre_hooks) == 0  # a hook may remove itself
