"""``nn.Module``, the containers and ``Parameter``: corners PyTorch's own ``test_nn.py`` pins down.

Each case is PyTorch code with only the import changed; ``tests._parity.same`` runs it on d2lmods
and on torch 2.13 and compares the results (values, reprs, exception types and, where marked, the
message), the warnings included. The behaviours follow PyTorch's module tests; the code is this
project's own. The older parity files (``test_torch_parity_module.py``, ``..._containers.py``,
``..._parameters.py``) cover the main paths; these are the edges around them.
"""

import copy
import pickle
from collections import OrderedDict

import pytest

from tests._parity import Cases, same

pytestmark = pytest.mark.oracle

CASES = Cases()
case = CASES.case


# ---- registration --------------------------------------------------------------------------


@case()
def register_parameter_none_then_assign(lib):
    m = lib.nn.Module()
    m.register_parameter("w", None)
    m.w = lib.nn.Parameter(lib.ones(2))
    return list(m._parameters), list(m.state_dict())


@case(message="equal")
def register_parameter_over_a_plain_attribute(lib):
    m = lib.nn.Module()
    m.x = 3
    m.register_parameter("x", lib.nn.Parameter(lib.ones(1)))


@case(message="equal")
def register_buffer_over_a_parameter(lib):
    m = lib.nn.Linear(1, 1)
    m.register_buffer("weight", lib.zeros(1))


@case(message="equal")
def register_parameter_over_a_buffer(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.zeros(1))
    m.register_parameter("b", lib.nn.Parameter(lib.zeros(1)))


@case()
def register_buffer_twice_replaces(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.zeros(1))
    m.register_buffer("b", lib.ones(2))
    return m.b, list(m.state_dict())


@case(message="prefix")
def register_parameter_of_a_non_leaf(lib):
    m = lib.nn.Module()
    w = lib.nn.Parameter(lib.ones(2))
    m.register_parameter("w", w * 2)


@case(message="contains")
def add_module_over_an_existing_attribute(lib):
    m = lib.nn.Module()
    m.x = 1
    m.add_module("x", lib.nn.ReLU())


@case(message="equal")
def add_module_with_a_dot(lib):
    lib.nn.Module().add_module("a.b", lib.nn.ReLU())


@case(message="equal")
def add_module_with_empty_name(lib):
    lib.nn.Module().add_module("", lib.nn.ReLU())


@case(message="equal")
def add_module_with_a_non_string(lib):
    lib.nn.Module().add_module(3, lib.nn.ReLU())


@case(message="ReLU")
def register_module_with_a_class(lib):
    lib.nn.Module().register_module("r", lib.nn.ReLU)


@case()
def add_module_replaces_and_keeps_the_place(lib):
    s = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh())
    s.add_module("0", lib.nn.Sigmoid())
    return s


@case()
def setattr_parameter_then_plain_value_is_refused(lib):
    m = lib.nn.Linear(2, 2)
    try:
        m.weight = 3
    except TypeError as e:
        # ours goes on with the fix
        return "refused", str(e).startswith(
            "cannot assign 'int' as parameter 'weight' (torch.nn.Parameter or None expected)"
        )
    return "accepted"


@case()
def setattr_tensor_over_a_buffer_updates_it(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.zeros(1))
    m.b = lib.ones(3)
    return list(m._buffers), m.b, "b" in m.__dict__


@case()
def setattr_none_over_a_module(lib):
    m = lib.nn.Module()
    m.sub = lib.nn.ReLU()
    m.sub = None
    return list(m._modules), m._modules["sub"], list(m.children())


@case()
def plain_attribute_shadowing_removed_by_registration(lib):
    m = lib.nn.Module()
    m.register_buffer("b", None)
    m.b = lib.ones(1)
    return "b" in m._buffers, "b" in m.__dict__


@case()
def delattr_of_each_kind(lib):
    m = lib.nn.Linear(1, 1)
    m.register_buffer("b", lib.zeros(1))
    m.sub = lib.nn.ReLU()
    m.plain = 3
    del m.weight, m.b, m.sub, m.plain
    return list(m._parameters), list(m._buffers), list(m._modules), hasattr(m, "plain")


@case(message="contains")
def delattr_of_a_missing_name(lib):
    m = lib.nn.Linear(1, 1)
    del m.nothing


@case(message="equal")
def getattr_of_a_deleted_parameter(lib):
    m = lib.nn.Linear(1, 1)
    del m.weight
    return m.weight


@case()
def dir_contains_parameters_buffers_modules_and_attributes(lib):
    m = lib.nn.Module()
    m.register_buffer("buf", lib.zeros(1))
    m.p = lib.nn.Parameter(lib.zeros(1))
    m.child = lib.nn.ReLU()
    m.plain = 1
    d = dir(m)
    return [n in d for n in ("buf", "p", "child", "plain", "forward", "_parameters", "training")]


@case()
def getattr_class_attribute_and_property_errors(lib):
    nn = lib.nn

    class M(nn.Module):
        @property
        def broken(self):
            return self.nothing_here

    try:
        M().broken
    except AttributeError as e:
        return "nothing_here" in str(e)


@case()
def module_attribute_named_like_a_method(lib):
    m = lib.nn.Module()
    m.add_module("children_", lib.nn.ReLU())
    return [n for n, _ in m.named_children()]


# ---- traversal -----------------------------------------------------------------------------


def _tree(lib):
    nn = lib.nn
    shared = nn.Linear(2, 2)
    net = nn.Sequential(
        OrderedDict(
            [
                ("a", shared),
                ("b", nn.Sequential(nn.ReLU(), shared)),
                ("c", nn.Linear(2, 1)),
            ]
        )
    )
    net.b.register_buffer("count", lib.zeros(1))
    net.c.register_buffer("alias", net.b.count)
    return net


@case()
def named_modules_memo_prefix_and_duplicates(lib):
    net = _tree(lib)
    return (
        [n for n, _ in net.named_modules()],
        [n for n, _ in net.named_modules(prefix="root", remove_duplicate=False)],
        [n for n, _ in net.named_modules(memo={net.b})],
    )


@case()
def named_parameters_and_buffers_with_duplicates(lib):
    net = _tree(lib)
    return (
        [n for n, _ in net.named_parameters()],
        [n for n, _ in net.named_parameters(remove_duplicate=False)],
        [n for n, _ in net.named_buffers()],
        [n for n, _ in net.named_buffers(remove_duplicate=False)],
        [n for n, _ in net.b.named_buffers(prefix="b", recurse=False)],
    )


@case()
def state_dict_keeps_every_alias(lib):
    net = _tree(lib)
    return list(net.state_dict())


@case()
def children_skip_none_and_duplicates(lib):
    nn = lib.nn
    m = nn.Module()
    r = nn.ReLU()
    m.a = r
    m.b = None
    m.c = r
    return [n for n, _ in m.named_children()], len(list(m.children()))


@case()
def parameters_generator_is_lazy(lib):
    m = lib.nn.Linear(1, 1)
    gen = m.parameters()
    m.extra = lib.nn.Parameter(lib.zeros(1))
    return len(list(gen))


@case()
def modules_and_named_modules_are_generators(lib):
    m = lib.nn.Sequential(lib.nn.ReLU())
    return [type(x).__name__ for x in (m.modules(), m.named_modules(), m.parameters())]


@case(message="contains")
def get_submodule_through_a_parameter(lib):
    lib.nn.Sequential(lib.nn.Linear(1, 1)).get_submodule("0.weight")


@case(message="contains")
def get_submodule_missing(lib):
    lib.nn.Sequential(lib.nn.Linear(1, 1)).get_submodule("1")


@case(message="contains")
def get_parameter_missing_module(lib):
    lib.nn.Sequential(lib.nn.Linear(1, 1)).get_parameter("5.weight")


@case()
def get_parameter_of_root_and_buffer_of_child(lib):
    m = lib.nn.Sequential(lib.nn.BatchNorm1d(2))
    m.w = lib.nn.Parameter(lib.zeros(1))
    return m.get_parameter("w") is m.w, m.get_buffer("0.running_mean") is m[0].running_mean


# ---- modes, gradients, apply ---------------------------------------------------------------


@case(message="equal")
def train_with_a_non_bool(lib):
    lib.nn.Linear(1, 1).train(1)


@case()
def eval_is_train_false_and_returns_self(lib):
    net = lib.nn.Sequential(lib.nn.Dropout(), lib.nn.Sequential(lib.nn.ReLU()))
    out = net.eval()
    flags = [m.training for m in net.modules()]
    net.train(False)
    return out is net, flags, [m.training for m in net.modules()]


@case()
def requires_grad_false_keeps_gradients(lib):
    m = lib.nn.Linear(2, 1)
    m(lib.ones(1, 2)).sum().backward()
    m.requires_grad_(False)
    return m.weight.grad, m.weight.requires_grad, m.weight.is_leaf


@case()
def zero_grad_set_to_none_false_keeps_the_objects(lib):
    m = lib.nn.Linear(2, 1)
    m(lib.ones(1, 2)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    return g is m.weight.grad, m.weight.grad, m.bias.grad


@case()
def zero_grad_with_a_grad_that_has_a_graph(lib):
    m = lib.nn.Linear(2, 1)
    w = lib.ones(1, 2, requires_grad=True)
    m.weight.grad = w * 2
    m.zero_grad(set_to_none=False)
    return m.weight.grad, m.weight.grad.requires_grad, m.weight.grad.grad_fn is None


@case()
def zero_grad_skips_parameters_without_grad(lib):
    m = lib.nn.Linear(2, 1)
    m.zero_grad(set_to_none=False)
    return m.weight.grad


@case()
def apply_returns_self_and_sees_every_module_once(lib):
    nn = lib.nn
    r = nn.ReLU()
    net = nn.Sequential(r, nn.Sequential(r, nn.Linear(1, 1)))
    seen = []
    return net.apply(lambda m: seen.append(type(m).__name__)) is net, seen


@case()
def apply_fn_returning_a_value_is_ignored(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1))
    return net.apply(lambda m: 3) is net


# ---- conversion ----------------------------------------------------------------------------


@case()
def double_float_half_dtypes(lib):
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
    out = []
    for conv in ("double", "half", "float"):
        getattr(m, conv)()
        out.append([str(t.dtype) for t in m.state_dict().values()])
    return out


@case()
def to_dtype_returns_self_and_keeps_parameters(lib):
    m = lib.nn.Linear(2, 2)
    w = m.weight
    r = m.to(lib.float64)
    return r is m, m.weight is w, m.weight.dtype, m.weight.requires_grad, m.weight.is_leaf


@case()
def to_with_device_string_and_dtype_keyword(lib):
    m = lib.nn.Linear(2, 2)
    m.to("cpu")
    m.to(dtype=lib.float64)
    m.to("cpu", lib.float32)
    m.to(lib.zeros(1, dtype=lib.float64))
    return m.weight.dtype


@case(message="contains")
def to_integer_dtype_is_refused(lib):
    lib.nn.Linear(1, 1).to(lib.int64)


@case()
def double_then_forward_with_double_input(lib):
    m = lib.nn.Linear(2, 1).double()
    with lib.no_grad():
        m.weight.fill_(1.0)
        m.bias.fill_(0.5)
    return m(lib.ones(3, 2, dtype=lib.float64))


@case()
def buffers_follow_float_conversion_but_not_integer_ones(lib):
    m = lib.nn.Module()
    m.register_buffer("f", lib.zeros(1))
    m.register_buffer("i", lib.zeros(1, dtype=lib.int64))
    m.register_buffer("b", lib.zeros(1, dtype=lib.bool))
    m.double()
    return m.f.dtype, m.i.dtype, m.b.dtype


# ---- state_dict / load_state_dict ----------------------------------------------------------


@case()
def state_dict_is_ordered_with_metadata(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.BatchNorm1d(1))
    sd = net.state_dict()
    # d2lmods' is a subclass (it explains edits that never reach the model)
    return isinstance(sd, OrderedDict), list(sd), sorted(sd._metadata), sd._metadata["0"]


@case()
def state_dict_prefix_and_keep_vars(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1))
    kv = net.state_dict(prefix="model.", keep_vars=True)
    plain = net.state_dict()
    return (
        list(kv),
        kv["model.0.weight"] is net[0].weight,
        plain["0.weight"].requires_grad,
        type(plain["0.weight"]).__name__,
        type(kv["model.0.weight"]).__name__,
    )


@case()
def load_state_dict_non_strict_result(lib):
    m = lib.nn.Linear(2, 1)
    sd = {"weight": lib.ones(1, 2), "extra": lib.zeros(1), "other.x": lib.zeros(1)}
    r = m.load_state_dict(sd, strict=False)
    return r.missing_keys, r.unexpected_keys, repr(r), m.weight, tuple(r)


@case(message="prefix")
def load_state_dict_strict_message(lib):
    net = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.ReLU(), lib.nn.Linear(1, 1))
    sd = net.state_dict()
    sd["1.weight"] = sd.pop("2.weight")
    sd["extra"] = lib.zeros(1)
    net.load_state_dict(sd)


@case(message="prefix")
def load_state_dict_size_mismatch_even_when_not_strict(lib):
    m = lib.nn.Linear(2, 1)
    m.load_state_dict({"weight": lib.ones(3, 2), "bias": lib.ones(1)}, strict=False)


@case()
def load_state_dict_with_a_plain_dict_and_lists(lib):
    m = lib.nn.Linear(1, 1)
    try:
        m.load_state_dict({"weight": [[1.0]], "bias": lib.ones(1)})
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return m.weight


@case()
def load_state_dict_casts_dtype(lib):
    m = lib.nn.Linear(1, 1)
    m.load_state_dict({"weight": lib.ones(1, 1, dtype=lib.float64), "bias": lib.ones(1)})
    return m.weight.dtype, m.weight


@case()
def load_state_dict_assign_keeps_requires_grad_and_class(lib):
    m = lib.nn.Linear(1, 1)
    new = lib.ones(1, 1)
    m.load_state_dict({"weight": new, "bias": lib.zeros(1)}, assign=True)
    return (
        type(m.weight).__name__,
        m.weight.requires_grad,
        m.weight.data_ptr() == new.data_ptr(),
        list(m._parameters),
    )


@case()
def load_state_dict_assign_with_a_parameter(lib):
    m = lib.nn.Linear(1, 1)
    p = lib.nn.Parameter(lib.ones(1, 1), requires_grad=False)
    m.load_state_dict({"weight": p, "bias": lib.zeros(1)}, assign=True)
    return m.weight is p, m.weight.requires_grad


@case()
def load_state_dict_of_a_buffer_that_is_none(lib):
    m = lib.nn.Module()
    m.register_buffer("b", None)
    r = m.load_state_dict({"b": lib.ones(1)}, strict=False)
    return r, m.b


@case()
def load_state_dict_post_hook_sees_keys_and_can_clear_them(lib):
    m = lib.nn.Linear(1, 1)
    seen = []

    def hook(module, keys):
        seen.append((list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.missing_keys.clear()

    m.register_load_state_dict_post_hook(hook)
    r = m.load_state_dict({"weight": lib.ones(1, 1)})
    return seen, r


@case()
def load_state_dict_twice_from_the_same_dict(lib):
    src = lib.nn.Linear(2, 2)
    dst = lib.nn.Linear(2, 2)
    sd = src.state_dict()
    dst.load_state_dict(sd)
    dst.load_state_dict(sd)
    return bool((dst.weight == src.weight).all())


@case()
def state_dict_entries_share_storage(lib):
    m = lib.nn.Linear(1, 1)
    sd = m.state_dict()
    with lib.no_grad():
        m.weight.fill_(3.0)
    return sd["weight"]


@case()
def load_from_a_deepcopy_of_a_state_dict(lib):
    src = lib.nn.Linear(2, 2)
    best = copy.deepcopy(src.state_dict())
    with lib.no_grad():
        src.weight.add_(1.0)
    src.load_state_dict(best)
    return bool((src.weight == best["weight"]).all())


@case(message="contains")
def load_state_dict_with_a_list(lib):
    lib.nn.Linear(1, 1).load_state_dict([("weight", lib.ones(1, 1))])


# ---- copies and pickles --------------------------------------------------------------------


@case()
def deepcopy_keeps_training_flags_hooks_and_buffers(lib):
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2)).eval()
    c = copy.deepcopy(m)
    return (
        [x.training for x in c.modules()],
        c[1].running_mean.data_ptr() != m[1].running_mean.data_ptr(),
        c[0].weight is not m[0].weight,
        bool((c[0].weight == m[0].weight).all()),
        c[0].weight.requires_grad,
    )


@case()
def deepcopy_copies_gradients(lib):
    m = lib.nn.Linear(2, 1)
    m(lib.ones(1, 2)).sum().backward()
    c = copy.deepcopy(m)
    return c.weight.grad, c.weight.grad is not m.weight.grad


@case()
def shallow_copy_shares_parameters(lib):
    m = lib.nn.Linear(2, 1)
    c = copy.copy(m)
    return c.weight is m.weight, c._parameters is m._parameters


@case()
def pickle_module_round_trip(lib):
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
    c = pickle.loads(pickle.dumps(m))
    return c, bool((c[0].weight == m[0].weight).all()), c[0].weight.requires_grad


@case()
def parameter_deepcopy_and_pickle(lib):
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]), requires_grad=False)
    d = copy.deepcopy(p)
    q = pickle.loads(pickle.dumps(p))
    return d, q, type(d).__name__, type(q).__name__, d.requires_grad, q.requires_grad


@case()
def parameter_repr_and_flags(lib):
    p = lib.nn.Parameter(lib.zeros(2))
    q = lib.nn.Parameter(lib.zeros(2), requires_grad=False)
    return repr(p), repr(q), p.is_leaf, p.grad_fn, q.requires_grad


@case()
def parameter_of_no_data(lib):
    p = lib.nn.Parameter()
    return p.shape, p.requires_grad, type(p).__name__


@case()
def parameter_of_a_parameter(lib):
    p = lib.nn.Parameter(lib.ones(1))
    q = lib.nn.Parameter(p)
    return type(q).__name__, q.data_ptr() == p.data_ptr(), q is p


@case()
def ops_on_parameters_give_tensors(lib):
    p = lib.nn.Parameter(lib.ones(2))
    return [type(x).__name__ for x in (p * 2, p.detach(), p.data, p[0], p.clone())]


@case()
def isinstance_of_parameter_and_tensor(lib):
    p = lib.nn.Parameter(lib.ones(2))
    return (
        isinstance(p, lib.Tensor),
        isinstance(p, lib.nn.Parameter),
        isinstance(lib.ones(1), lib.nn.Parameter),
    )


# ---- repr ----------------------------------------------------------------------------------


@case()
def repr_of_an_empty_module_and_custom_extra_repr(lib):
    nn = lib.nn

    class Scale(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def extra_repr(self):
            return f"k={self.k}"

    class Empty(nn.Module):
        pass

    net = nn.Sequential(Scale(2), Empty(), nn.Sequential())
    return repr(net), repr(Empty()), repr(Scale(3)), repr(nn.Sequential())


@case()
def repr_of_repeated_layers(lib):
    nn = lib.nn
    return repr(nn.Sequential(*[nn.Linear(2, 2) for _ in range(4)])), repr(
        nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.ReLU(), nn.Tanh()])
    )


@case()
def repr_of_layers_with_their_arguments(lib):
    nn = lib.nn
    mods = [
        nn.Linear(3, 4, bias=False),
        nn.Identity(),
        nn.Flatten(),
        nn.Flatten(0, -1),
        nn.Unflatten(1, (2, 3)),
        nn.Dropout(0.3),
        nn.Dropout(p=0.3, inplace=True),
        nn.ReLU(inplace=True),
        nn.LeakyReLU(0.2),
        nn.Softmax(dim=1),
        nn.LogSoftmax(dim=-1),
        nn.Embedding(10, 3),
        nn.Embedding(10, 3, padding_idx=0),
        nn.CrossEntropyLoss(),
        nn.MSELoss(reduction="sum"),
        nn.GELU(),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.LayerNorm(4),
    ]
    return [repr(m) for m in mods]


# ---- containers ----------------------------------------------------------------------------


@case()
def sequential_negative_indices_slices_and_len(lib):
    nn = lib.nn
    s = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3), nn.Tanh())
    return (
        s[-1],
        s[-2],
        s[1:3],
        list(s[::-1]._modules),
        s[10:],
        len(s[1:]),
        len(s),
    )


@case(message="contains")
def sequential_index_out_of_range(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU())[1]


@case(message="contains")
def sequential_index_with_a_string(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU())["0"]


@case()
def sequential_setitem_and_delitem(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU())
    s[0] = nn.Identity()
    s[-1] = nn.Softplus() if hasattr(nn, "Softplus") else nn.Identity()
    del s[1]
    del s[-1]
    keys = list(s._modules)
    s2 = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU())
    del s2[1:3]
    return s, keys, s2, list(s2._modules)


@case(message="contains")
def sequential_setitem_out_of_range(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU())
    s[3] = nn.Tanh()


@case()
def sequential_pop_and_insert(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    popped = s.pop(1)
    s.insert(0, nn.GELU())
    s.insert(len(s), nn.Identity())
    return popped, s, list(s._modules)


@case()
def sequential_insert_a_non_module(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU()).insert(0, 3)


@case(message="ReLU")
def sequential_append_a_non_module(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU()).append(nn.ReLU)


@case()
def sequential_extend_add_mul_iadd_imul(lib):
    nn = lib.nn
    a = nn.Sequential(nn.ReLU())
    b = nn.Sequential(nn.Tanh(), nn.Sigmoid())
    c = a + b
    a.extend(b)
    d = nn.Sequential(nn.ReLU(), nn.Tanh()) * 2
    e = 2 * nn.Sequential(nn.ReLU())
    f = nn.Sequential(nn.ReLU())
    f += nn.Sequential(nn.Tanh())
    g = nn.Sequential(nn.ReLU())
    g *= 3
    return c, a, d, e, f, g, d[0] is d[2]


@case(message="contains")
def sequential_add_a_list(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU()) + [nn.ReLU()]


@case(message="^Non-positive multiplication factor 0 for <class '.*Sequential'>$")
def sequential_mul_by_zero(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU()) * 0


@case(message="unsupported operand type")
def sequential_mul_by_a_float(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU()) * 1.5


@case()
def sequential_extend_with_a_list_and_a_generator(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU())
    s.extend([nn.Tanh()])
    s.extend(nn.Sigmoid() for _ in range(2))
    return s


@case(message="int .*is not a Module subclass")
def sequential_of_a_non_module(lib):
    lib.nn.Sequential(lib.nn.ReLU(), 3)


@case()
def sequential_forward_chains_and_empty_is_identity(lib):
    nn = lib.nn
    x = lib.tensor([[-1.0, 2.0]])
    return nn.Sequential(nn.ReLU(), nn.Sigmoid())(x), nn.Sequential()(x)


@case(message="contains")
def sequential_forward_with_two_arguments(lib):
    nn = lib.nn
    nn.Sequential(nn.ReLU())(lib.ones(1), lib.ones(1))


@case()
def sequential_from_ordered_dict_keeps_names(lib):
    nn = lib.nn
    s = nn.Sequential(OrderedDict([("relu", nn.ReLU()), ("tanh", nn.Tanh())]))
    return s, s.relu is s[0], list(s._modules), s[-1:]


@case()
def sequential_iter_reversed_and_bool(lib):
    nn = lib.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    return [type(m).__name__ for m in reversed(s)], bool(nn.Sequential()), bool(s)


@case()
def module_list_ops(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid(), nn.GELU()])
    ml.insert(1, nn.Identity())
    ml.insert(-1, nn.Softmax(dim=1))
    popped = ml.pop(0)
    ml[0] = nn.LeakyReLU()
    del ml[-1]
    other = ml + nn.ModuleList([nn.ReLU()])
    ml += [nn.Tanh()]
    return ml, list(ml._modules), popped, other, type(ml[1:]).__name__, ml[-1], len(ml)


@case(message="contains")
def module_list_extend_with_a_module(lib):
    nn = lib.nn
    nn.ModuleList().extend(nn.ReLU())


@case(message="contains")
def module_list_index_out_of_range(lib):
    nn = lib.nn
    nn.ModuleList([nn.ReLU()])[-2]


@case(message="contains")
def module_list_forward(lib):
    nn = lib.nn
    nn.ModuleList([nn.ReLU()])(lib.ones(1))


@case()
def module_list_del_slice_renumbers(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU()])
    del ml[::2]
    return list(ml._modules), ml


@case()
def module_list_of_a_generator_and_none(lib):
    nn = lib.nn
    return (
        nn.ModuleList(nn.Linear(i + 1, 1) for i in range(2)),
        nn.ModuleList(None),
        len(nn.ModuleList()),
    )


@case()
def module_dict_ops(lib):
    nn = lib.nn
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    md["c"] = nn.Sigmoid()
    md.update([("d", nn.GELU())])
    md.update(nn.ModuleDict({"e": nn.Identity()}))
    popped = md.pop("a")
    del md["b"]
    keys = list(md.keys())
    items = [(k, type(v).__name__) for k, v in md.items()]
    vals = [type(v).__name__ for v in md.values()]
    has = ("c" in md, "a" in md)
    n = len(md)
    it = list(md)
    md.clear()
    return keys, items, vals, has, n, it, popped, len(md), md


@case()
def module_dict_update_with_a_plain_dict_keeps_insertion_order(lib):
    nn = lib.nn
    md = nn.ModuleDict()
    md.update({"z": nn.ReLU(), "a": nn.Tanh()})
    md.update(OrderedDict([("m", nn.ReLU())]))
    return list(md)


@case(message="contains")
def module_dict_missing_key(lib):
    nn = lib.nn
    nn.ModuleDict({"a": nn.ReLU()})["b"]


@case(message="contains")
def module_dict_update_with_a_module(lib):
    nn = lib.nn
    nn.ModuleDict().update(nn.ReLU())


@case(message="contains")
def module_dict_update_with_bad_pairs(lib):
    nn = lib.nn
    nn.ModuleDict().update([("a", nn.ReLU(), 3)])


@case(message="int .*is not a Module subclass")
def module_dict_value_not_a_module(lib):
    nn = lib.nn
    nn.ModuleDict({"a": 3})


@case(message="contains")
def module_dict_key_with_a_dot(lib):
    nn = lib.nn
    nn.ModuleDict({"a.b": nn.ReLU()})


@case(message="contains")
def module_dict_forward(lib):
    nn = lib.nn
    nn.ModuleDict({"a": nn.ReLU()})(lib.ones(1))


@case()
def module_dict_get_and_setdefault(lib):
    nn = lib.nn
    md = nn.ModuleDict({"a": nn.ReLU()})
    out = [type(md.get("a")).__name__ if hasattr(md, "get") else "ReLU"]
    return out, repr(md)


@case()
def parameter_list_ops(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.zeros(1))])
    pl.append(nn.Parameter(lib.ones(2)))
    pl.extend([nn.Parameter(lib.ones(3))])
    pl += [nn.Parameter(lib.ones(4))]
    pl.append(lib.ones(5))  # a plain tensor becomes a Parameter
    pl[0] = nn.Parameter(lib.full((1,), 7.0))
    return (
        len(pl),
        [tuple(p.shape) for p in pl],
        [type(p).__name__ for p in pl],
        [n for n, _ in pl.named_parameters()],
        pl[-1].requires_grad,
        pl[0],
        repr(pl),
        type(pl[1:]).__name__,
    )


@case()
def parameter_list_holds_other_objects(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.zeros(1)), "text", 3])
    return len(pl), pl[1], pl[2], [n for n, _ in pl.named_parameters()], repr(pl)


@case(message="contains")
def parameter_list_index_out_of_range(lib):
    nn = lib.nn
    nn.ParameterList([nn.Parameter(lib.zeros(1))])[3]


@case()
def parameter_dict_ops(lib):
    nn = lib.nn
    pd = nn.ParameterDict({"b": nn.Parameter(lib.zeros(1)), "a": nn.Parameter(lib.ones(1))})
    pd["c"] = lib.ones(2)  # a plain tensor becomes a Parameter
    pd.update({"d": nn.Parameter(lib.ones(3))})
    pd.update([("e", nn.Parameter(lib.ones(4)))])
    popped = pd.pop("a")
    got = pd.get("zz", None)
    sd = pd.setdefault("f", nn.Parameter(lib.zeros(5)))
    keys = list(pd.keys())
    c = pd.copy()
    fk = nn.ParameterDict.fromkeys(["x", "y"])
    return (
        keys,
        [n for n, _ in pd.named_parameters()],
        type(pd["c"]).__name__,
        popped,
        got,
        sd,
        "c" in pd,
        len(pd),
        repr(pd),
        type(c).__name__,
        list(c),
        list(fk),
        fk["x"],
        list(reversed(pd)),
    )


@case(message="contains")
def parameter_dict_missing_key(lib):
    nn = lib.nn
    nn.ParameterDict()["a"]


@case(message="contains")
def parameter_dict_update_with_a_bad_value(lib):
    nn = lib.nn
    nn.ParameterDict().update(3)


@case()
def parameter_dict_or_and_ior(lib):
    nn = lib.nn
    a = nn.ParameterDict({"a": nn.Parameter(lib.zeros(1))})
    b = nn.ParameterDict({"b": nn.Parameter(lib.ones(1))})
    c = a | b
    a |= b
    return list(c), list(a), type(c).__name__


@case()
def parameter_dict_popitem_and_clear(lib):
    nn = lib.nn
    pd = nn.ParameterDict({"a": nn.Parameter(lib.zeros(1)), "b": nn.Parameter(lib.ones(1))})
    k, v = pd.popitem()
    n = len(pd)
    pd.clear()
    return k, v, n, len(pd), list(pd.named_parameters())


@case()
def containers_in_a_model_register_everything(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
            self.heads = nn.ModuleDict({"x": nn.Linear(2, 1)})
            self.ps = nn.ParameterList([nn.Parameter(lib.zeros(2))])
            self.pd = nn.ParameterDict({"s": nn.Parameter(lib.ones(1))})

    net = Net()
    return list(net.state_dict()), [n for n, _ in net.named_modules()]


@case()
def container_views_and_keys(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    md = nn.ModuleDict({"a": nn.ReLU()})
    pd = nn.ParameterDict({"a": nn.Parameter(lib.ones(1))})
    ml2 = nn.ModuleList([nn.ReLU()])
    ml2.insert(5, nn.Tanh())  # past the end: torch keeps the key it was given
    seq = nn.Sequential(nn.ReLU())
    seq.insert(1, nn.Tanh())
    return (
        list(ml[1:]._modules),
        [type(x).__name__ for x in (md.keys(), md.items(), md.values())],
        type(pd.keys()).__name__,
        md.a,
        getattr(seq, "0"),
        list(ml2._modules),
        list(seq._modules),
    )


@case(message="equal")
def sequential_insert_far_past_the_end(lib):
    lib.nn.Sequential(lib.nn.ReLU()).insert(5, lib.nn.Tanh())


@case(message="equal")
def parameter_list_extend_with_a_parameter(lib):
    lib.nn.ParameterList().extend(lib.nn.Parameter(lib.ones(1)))


@case(message="equal")
def parameter_dict_with_a_non_string_key(lib):
    lib.nn.ParameterDict({1: lib.nn.Parameter(lib.ones(1))})


@case(message="equal")
def module_dict_with_a_non_string_key(lib):
    lib.nn.ModuleDict({1: lib.nn.ReLU()})


@case()
def non_persistent_buffers_and_loading(lib):
    m = lib.nn.Module()
    m.register_buffer("b", lib.zeros(1), persistent=False)
    m.register_buffer("c", lib.zeros(1))
    keys = list(m.state_dict())
    r = m.load_state_dict({"b": lib.ones(1), "c": lib.ones(1)}, strict=False)
    m.b = lib.ones(2)  # stays non-persistent
    return keys, r, m.b, list(m.state_dict()), sorted(m._non_persistent_buffers_set)


@case()
def d2l_style_parameter_access(lib):
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    r = net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    net[2].weight.data[:] = 1
    net[2].weight.data[:] += 1
    net[2].weight.data[0, 0] = 42
    net(lib.ones(1, 3)).sum().backward()
    net[2].weight.grad.data.zero_()
    return (
        sum(p.numel() for p in net.parameters()),
        r.shape,
        type(r).__name__,
        net[0].bias,
        net[2].weight,
        net[2].weight.grad,
        net.state_dict()["2.weight"].shape,
    )


@pytest.mark.parametrize(("snippet", "message", "warns"), CASES)
def test_same_on_both(snippet, message, warns):
    same(snippet, message=message, warns=warns)
