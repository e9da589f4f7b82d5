"""``nn.Parameter`` and the smaller Module APIs, run on d2lmods and on torch 2.13 (``lib``)."""

import copy
import pickle
import warnings

import pytest


@pytest.fixture(autouse=True)
def _silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---- nn.Parameter --------------------------------------------------------------------------


def test_parameter_is_a_leaf_tensor_sharing_memory(lib):
    nn = lib.nn
    t = lib.zeros(2)
    p = nn.Parameter(t)
    assert isinstance(p, lib.Tensor) and p.requires_grad and p.is_leaf and p.grad_fn is None
    with lib.no_grad():
        p.add_(1)
    assert t.tolist() == [1.0, 1.0]
    assert not nn.Parameter(lib.zeros(1), requires_grad=False).requires_grad
    empty = nn.Parameter()
    assert tuple(empty.shape) == (0,) and empty.requires_grad
    assert type(nn.Parameter(nn.Parameter(lib.zeros(1)))) is nn.Parameter


def test_results_of_parameters_are_plain_tensors(lib):
    p = lib.nn.Parameter(lib.ones(2))
    for value in (p * 2, p + p, p.data, p.detach(), p.clone(), p.sum(), p[0]):
        assert type(value) is lib.Tensor


def test_parameter_repr(lib):
    nn = lib.nn
    assert repr(nn.Parameter(lib.ones(2))) == (
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    )
    assert repr(nn.Parameter(lib.ones(1), requires_grad=False)) == (
        "Parameter containing:\ntensor([1.])"
    )


def test_parameter_copies(lib):
    nn = lib.nn
    p = nn.Parameter(lib.ones(2))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p
    assert q.tolist() == p.tolist()
    frozen = copy.deepcopy(nn.Parameter(lib.ones(1), requires_grad=False))
    assert not frozen.requires_grad
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and r.tolist() == [1.0, 1.0]
    pair = copy.deepcopy([p, p])
    assert pair[0] is pair[1]  # tying survives a deepcopy
    assert len({p, p}) == 1  # hashable by identity


def test_integer_parameter_must_not_require_grad(lib):
    nn = lib.nn
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        nn.Parameter(lib.zeros(2, dtype=lib.long))
    assert nn.Parameter(lib.zeros(2, dtype=lib.long), requires_grad=False).dtype == lib.int64


def test_frozen_parameters_are_skipped_by_a_filter(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net[0].requires_grad_(False)
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["2.weight", "2.bias"]
    opt = lib.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    before = net[0].weight.detach().clone()
    net(lib.ones(3, 2)).sum().backward()
    opt.step()
    assert net[0].weight.grad is None
    assert bool((net[0].weight == before).all())


# ---- load_state_dict(assign=True) ----------------------------------------------------------


def test_load_state_dict_assign_takes_the_tensors(lib):
    nn = lib.nn
    lin = nn.Linear(2, 1)
    old = lin.weight
    w = lib.ones(1, 2)
    result = lin.load_state_dict({"weight": w, "bias": lib.zeros(1)}, assign=True)
    assert repr(result) == "<All keys matched successfully>"
    assert lin.weight is not old and type(lin.weight) is nn.Parameter
    assert lin.weight.requires_grad
    with lib.no_grad():
        w.fill_(5.0)
    assert lin.weight.tolist() == [[5.0, 5.0]]  # no copy was made
    frozen = nn.Linear(2, 1).requires_grad_(False)
    frozen.load_state_dict({"weight": lib.ones(1, 2), "bias": lib.zeros(1)}, assign=True)
    assert not frozen.weight.requires_grad


def test_load_state_dict_assign_for_buffers(lib):
    bn = lib.nn.BatchNorm1d(2)
    sd = {k: v.clone() for k, v in lib.nn.BatchNorm1d(2).state_dict().items()}
    bn.load_state_dict(sd, assign=True)
    assert bn.running_mean is sd["running_mean"]
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_load_state_dict_without_assign_keeps_the_objects(lib):
    lin = lib.nn.Linear(2, 1)
    old = lin.weight
    w = lib.ones(1, 2)
    lin.load_state_dict({"weight": w, "bias": lib.zeros(1)})
    assert lin.weight is old
    with lib.no_grad():
        w.fill_(5.0)
    assert lin.weight.tolist() == [[1.0, 1.0]]


# ---- small Module APIs ---------------------------------------------------------------------


def test_conversion_spellings(lib):
    lin = lib.nn.Linear(2, 1)
    assert lin.to(lib.device("cpu")) is lin
    lin.to("cpu", lib.float64)
    assert lin.weight.dtype == lib.float64
    lin.to(lib.zeros(1, dtype=lib.float32))  # like another tensor
    assert lin.weight.dtype == lib.float32
    assert lin.share_memory() is lin


def test_state_dict_positional_arguments_are_deprecated(lib):
    lin = lib.nn.Linear(1, 1)
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        keys = list(lin.state_dict(None, "x."))
    assert keys == ["x.weight", "x.bias"]


def test_attribute_deletion_and_lookup(lib):
    nn = lib.nn
    m = nn.Module()
    m.x = 1
    del m.x
    assert not hasattr(m, "x")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        del m.nope
    assert not hasattr(nn.Linear(1, 1), "nope")
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_buffer("x", lib.zeros(1))


def test_modules_are_hashable_and_compare_by_identity(lib):
    nn = lib.nn
    a, b = nn.Linear(1, 1), nn.Linear(1, 1)
    assert a != b and a == a and len({a, a, b}) == 2
    assert bool(a) is True
    # containers have a length, so an empty one is falsy (``if self.shortcut:``)
    assert not nn.Sequential() and not nn.ModuleList() and not nn.ParameterDict()
    assert nn.Sequential(nn.ReLU()) and nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(TypeError):
        iter(a)
    with pytest.raises(TypeError):
        len(a)


def test_forward_takes_keywords(lib):
    assert tuple(lib.nn.Linear(2, 1)(input=lib.ones(2)).shape) == (1,)


def test_class_attributes(lib):
    Module = lib.nn.Module
    assert Module.dump_patches is False and Module._version == 1
    assert Module.call_super_init is False
    assert hasattr(Module, "T_destination")
    assert lib.nn.Linear(1, 1).training is True


def test_named_modules_with_memo_and_prefix(lib):
    nn = lib.nn
    relu = nn.ReLU()
    net = nn.Sequential(relu, nn.Tanh())
    assert [n for n, _ in net.named_modules(memo={relu}, prefix="p")] == ["p", "p.1"]
    assert list(nn.Linear(1, 1).children()) == []


def test_num_batches_tracked_is_an_integer_buffer(lib):
    bn = lib.nn.BatchNorm1d(2)
    assert bn.num_batches_tracked.dtype == lib.int64 and int(bn.num_batches_tracked) == 0
    bn(lib.randn(4, 2))
    assert int(bn.num_batches_tracked) == 1
    bn.eval()(lib.randn(4, 2))
    assert int(bn.num_batches_tracked) == 1
    assert all(type(v) is lib.Tensor for v in bn.state_dict().values())


def test_simple_layer_reprs(lib):
    nn = lib.nn
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 2))) == "Unflatten(dim=1, unflattened_size=(2, 2))"
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    assert repr(nn.Identity(3, unused=1)) == "Identity()"
    assert nn.Dropout(0.9).eval()(lib.ones(3)).tolist() == [1.0, 1.0, 1.0]
