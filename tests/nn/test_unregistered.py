"""Unregistered modules/parameters: the warnings and ``nn.utils.find_unregistered``."""

import copy
import dataclasses
import pickle
import threading
import time
import warnings

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.nn.utils import UnregisteredFinding, find_unregistered
from d2lmods.viz import analyze


@pytest.fixture(autouse=True)
def _errors_on_unexpected_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


class MySequential(nn.Module):
    """D2L's MySequential written with a plain list: the classic mistake."""

    def __init__(self, *args):
        super().__init__()
        self.modules = []
        for m in args:
            self.modules.append(m)

    def forward(self, X):
        for m in self.modules:
            X = m(X)
        return X


class LateFill(nn.Module):
    """Modules appended to the plain list only after construction (e.g. by a helper function)."""

    def __init__(self):
        super().__init__()
        self.modules = []

    def forward(self, X):
        for m in self.modules:
            X = m(X)
        return X


def late(*layers):
    net = LateFill()
    net.modules.extend(layers)
    return net


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]

    def forward(self, X):
        h = self.body(X)
        return [head(h) for head in self.heads]


# ---- warnings ----------------------------------------------------------------------------------


def test_assigning_a_list_of_modules_warns_with_path_loss_and_fix():
    with pytest.warns(nn.UnregisteredModuleWarning) as rec:
        Heads()
    assert len(rec) == 1
    text = str(rec[0].message)
    assert "Heads.heads[0] (Linear), Heads.heads[1] (Linear)" in text
    assert "parameters() or state_dict()" in text and "optimizer" in text
    assert ".to()/.double()" in text and "train()/eval()" in text
    assert "nn.ModuleList" in text
    assert rec[0].filename == __file__  # points at the user's assignment line
    assert issubclass(nn.UnregisteredModuleWarning, UserWarning)


def test_list_filled_in_init_warns_once_at_first_call():
    net = MySequential(nn.Linear(2, 3), nn.Linear(3, 1))  # empty list assigned: silent
    with pytest.warns(
        nn.UnregisteredModuleWarning, match=r"MySequential\.modules\[1\] \(Linear\)"
    ) as rec:
        net(d2lmods.randn(1, 2))
    assert len(rec) == 1
    net(d2lmods.randn(1, 2))  # second call: silent


def test_list_of_layers_in_init_warns_at_construction_pointing_at_the_assignment():
    import inspect

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"Heads\.heads\[0\]") as rec:
        net = Heads()
    src, first = inspect.getsourcelines(Heads.__init__)
    assignment = first + next(i for i, line in enumerate(src) if "self.heads = [" in line)
    assert (rec[0].filename, rec[0].lineno) == (__file__, assignment)
    net(d2lmods.randn(1, 4))  # already reported: calls are silent


def test_list_registered_a_line_later_is_silent():
    class Net(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.layer_list = layers  # hidden for one line ...
            self.body = nn.Sequential(*layers)  # ... then registered: nothing lost

        def forward(self, X):
            return self.body(X)

    net = Net([nn.Linear(2, 2), nn.Linear(2, 1)])
    net(d2lmods.randn(1, 2))
    assert [f.registered_as for f in find_unregistered(net)] == ["body.0", "body.1"]


def test_list_filled_after_construction_warns_once_at_first_call():
    net = late(nn.Linear(2, 3), nn.Linear(3, 1))  # empty list at construction: silent
    with pytest.warns(
        nn.UnregisteredModuleWarning, match=r"LateFill\.modules\[1\] \(Linear\)"
    ) as rec:
        net(d2lmods.randn(1, 2))
    assert len(rec) == 1
    net(d2lmods.randn(1, 2))  # second call: silent


def test_dict_tuple_set_and_nested_containers_warn():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.d = {"enc": nn.Linear(1, 1)}
            self.t = (nn.Linear(1, 1),)
            self.s = {nn.Identity()}
            self.nested = [[nn.Linear(1, 1)]]
            self.params = [nn.Parameter(d2lmods.zeros(1))]

    with pytest.warns(nn.UnregisteredModuleWarning) as rec:
        M()
    texts = [str(r.message) for r in rec]
    assert any("M.d['enc'] (Linear)" in t and "nn.ModuleDict" in t for t in texts)
    assert any("M.t[0] (Linear)" in t and "plain Python tuple" in t for t in texts)
    assert any("M.nested[0][0] (Linear)" in t for t in texts)
    assert any("M.params[0] (Parameter)" in t and "nn.ParameterList" in t for t in texts)
    assert any("M.s{0} (Identity)" in t and "plain Python set" in t for t in texts)
    assert len(texts) == 5


def test_plain_tensor_that_requires_grad_warns():
    class MyLinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = d2lmods.randn(3, 2, requires_grad=True)

    with pytest.warns(
        nn.UnregisteredModuleWarning, match=r"MyLinear.weight is a plain tensor.*nn.Parameter"
    ):
        MyLinear()


def test_correct_code_is_silent():
    class Fine(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2)])
            self.rand_weight = d2lmods.rand(2, 2)  # constant, no grad: fine (D2L FixedHiddenMLP)
            self.sizes = [2, 2]
            self.kernel = (3, 3)
            self.names = {"a": 1}
            self.alias = [self.layers[0]]  # also registered: nothing lost

        def forward(self, X):
            cache = [X]  # locals are none of our business
            for layer in self.layers:
                X = layer(X)
            self.last = X  # non-leaf tensor cached: fine
            return X + cache[0]

    net = Fine()
    net(d2lmods.randn(1, 2))
    assert [f.registered_as for f in find_unregistered(net)] == ["layers.0"]


def test_silenced_with_filters_and_switch():
    with warnings.catch_warnings(record=True) as control:
        warnings.simplefilter("always")
        Heads()
    assert [w.category for w in control] == [nn.UnregisteredModuleWarning]  # it would warn
    with warnings.catch_warnings(record=True) as filtered:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        net = Heads()
        net(d2lmods.randn(1, 4))
        list(net.parameters())
    assert filtered == []
    d2lmods.set_warn_unregistered(False)
    try:
        with warnings.catch_warnings(record=True) as switched:
            warnings.simplefilter("always")
            net = Heads()
            net(d2lmods.randn(1, 4))
            list(net.parameters())
            net.state_dict()
        assert switched == []
    finally:
        d2lmods.set_warn_unregistered(True)
    assert d2lmods.set_warn_unregistered is nn.utils.set_warn_unregistered


def test_torch_is_silent_about_the_same_code(torch):
    # The reason for the warning: PyTorch accepts this and drops the heads from parameters().
    class T(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = [torch.nn.Linear(8, 2)]

    assert list(T().parameters()) == []
    net = quiet(Heads)
    assert [n for n, _ in net.named_parameters()] == ["body.weight", "body.bias"]


# ---- find_unregistered ---------------------------------------------------------------------------


def test_find_unregistered_contract():
    net = quiet(Heads)
    found = find_unregistered(net)
    assert all(isinstance(f, UnregisteredFinding) for f in found)
    assert [
        (
            f.path,
            f.owner,
            f.attribute,
            f.container,
            f.kind,
            f.type_name,
            f.num_params,
            f.registered_as,
        )
        for f in found
    ] == [
        ("heads[0]", "", "heads", "list", "module", "Linear", 18, None),
        ("heads[1]", "", "heads", "list", "module", "Linear", 27, None),
    ]
    assert found[0].obj is net.heads[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].path = "x"


def test_find_unregistered_nested_paths_and_owners():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = {"enc": nn.Linear(2, 2)}
            self.w = d2lmods.zeros(2, requires_grad=True)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Block()
            self.layers = [nn.Identity(), [nn.Linear(1, 1)]]
            self.params = (nn.Parameter(d2lmods.ones(3)),)

    found = quiet(lambda: find_unregistered(Outer()))
    got = [(f.path, f.owner, f.attribute, f.container, f.kind) for f in found]
    assert got == [
        ("layers[0]", "", "layers", "list", "module"),
        ("layers[1][0]", "", "layers", "list", "module"),
        ("params[0]", "", "params", "tuple", "parameter"),
        ("encoder.blocks['enc']", "encoder", "blocks", "dict", "module"),
        ("encoder.w", "encoder", "w", "attribute", "tensor"),
    ]
    assert [f.num_params for f in found] == [0, 2, 3, 6, 2]


def test_find_unregistered_looks_inside_unregistered_modules_and_is_cycle_safe():
    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = [nn.Linear(1, 1)]

    class Root(nn.Module):
        def __init__(self):
            super().__init__()
            self.things = [Inner()]
            self.things.append(self.things)  # a list containing itself
            self.me = [self]  # a cycle back to the root

    found = quiet(lambda: find_unregistered(Root()))
    # Depth first, in attribute order; the self-containing list and the cycle to the root end.
    assert [(f.path, f.owner, f.registered_as) for f in found] == [
        ("things[0]", "", None),
        ("things[0].hidden[0]", "things[0]", None),
        ("me[0]", "", ""),
    ]


def test_find_unregistered_lazy_and_tied():
    shared = nn.Linear(2, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = shared
            self.again = [shared]
            self.lazy = [nn.LazyLinear(3)]

    found = quiet(lambda: find_unregistered(Net()))
    assert [(f.path, f.registered_as, f.num_params) for f in found] == [
        ("again[0]", "shared", 6),
        ("lazy[0]", None, 0),
    ]


def test_find_unregistered_survives_pickling_of_model():
    net = pickle.loads(pickle.dumps(quiet(Heads)))
    assert [f.path for f in find_unregistered(net)] == ["heads[0]", "heads[1]"]


def test_marks_live_in_one_slot_and_object_ids_do_not_travel():
    net = quiet(Heads)
    quiet(net, d2lmods.randn(1, 4))
    quiet(lambda: list(net.parameters()))
    assert [k for k in vars(net) if k.startswith("_d2l")] == ["_d2l"]
    assert vars(net)["_d2l"].warned_ids
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        marks = vars(clone)["_d2l"]
        assert marks is not vars(net)["_d2l"]
        assert marks.called and marks.scanned and not marks.warned_ids


def test_pausing_the_checks_is_per_thread():
    from d2lmods.nn.utils import unregistered_checks_paused

    other = {}

    def build_elsewhere():
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            Heads()
        other["categories"] = [w.category for w in rec]

    with unregistered_checks_paused():
        with warnings.catch_warnings(record=True) as here:
            warnings.simplefilter("always")
            net = Heads()
            list(net.parameters())
        thread = threading.Thread(target=build_elsewhere)
        thread.start()
        thread.join()
    assert here == []
    assert other["categories"] == [nn.UnregisteredModuleWarning]
    with pytest.warns(nn.UnregisteredModuleWarning):  # still armed once the pause ends
        net(d2lmods.randn(1, 4))


def test_dtype_error_names_path_of_module_missed_by_double():
    net = MySequential(nn.Linear(2, 3), nn.Linear(3, 1))
    quiet(net, d2lmods.randn(1, 2))
    net.double()  # reaches nothing: the list is invisible
    with pytest.raises(RuntimeError) as err:
        net(d2lmods.randn(1, 2, dtype=d2lmods.float64))
    text = str(err.value)
    assert (
        "MySequential.modules[0]" in text
        and "d2lmods.float64" in text
        and "d2lmods.float32" in text
    )
    assert "plain Python list" in text and "X.float()" in text


def test_list_filled_later_warns_when_parameters_are_collected_before_any_call():
    net = late(nn.Linear(2, 3), nn.Linear(3, 1))
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"LateFill\.modules\[0\]") as rec:
        params = list(net.parameters())  # e.g. handed to an optimizer
    assert params == [] and len(rec) == 1
    assert rec[0].filename == __file__
    net(d2lmods.randn(1, 2))  # already reported: silent now
    net.state_dict()


@pytest.mark.parametrize("entry", ["state_dict", "double", "named_parameters", "zero_grad"])
def test_other_entry_points_also_report_hidden_modules(entry):
    net = late(nn.Linear(2, 3))
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"LateFill\.modules\[0\]") as rec:
        result = getattr(net, entry)()
        if entry == "named_parameters":
            list(result)
    assert rec[0].filename == __file__


def test_find_unregistered_itself_is_silent():
    net = late(nn.Linear(2, 3))
    assert [f.path for f in find_unregistered(net)] == ["modules[0]"]


def test_reference_to_a_module_registered_elsewhere_in_the_model_is_silent_at_call():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.peers = []  # filled by the parent, after creation

        def forward(self, X):
            return self.fc(X)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = Block(), Block()
            self.a.peers.append(self.b)  # b is registered on Net: nothing lost

        def forward(self, X):
            return self.b(self.a(X))

    net = Net()
    net(d2lmods.randn(1, 2))
    list(net.parameters())
    assert [(f.path, f.registered_as) for f in find_unregistered(net)] == [("a.peers[0]", "b")]


def test_input_kept_during_forward_is_not_mistaken_for_a_parameter():
    class Saliency(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 1)

        def forward(self, X):
            self.last_input = X  # X is a leaf that requires grad
            return self.fc(X)

    net = Saliency()
    X = d2lmods.randn(2, 3, requires_grad=True)
    net(X).sum().backward()
    list(net.parameters())
    net.state_dict()
    assert X.grad is not None


def test_warning_from_code_read_on_stdin():
    """`python -` has a __main__ whose loader cannot give source lines; still warn, don't crash."""
    import subprocess
    import sys

    src = (
        "from d2lmods import nn\n"
        "class MySequential(nn.Module):\n"
        "    def __init__(self, *args):\n"
        "        super().__init__()\n"
        "        self.layers = list(args)\n"
        "net = MySequential(nn.Linear(2, 3), nn.ReLU())\n"
        "print(len(list(net.parameters())))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-"], input=src, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
    assert "UnregisteredModuleWarning" in proc.stderr and "MySequential.layers[0]" in proc.stderr


# ---- the scan is bounded: hostile or broken containers -------------------------------------------


class EndlessList(list):
    """A list subclass whose ``__iter__`` never ends (hostile, or a buggy lazy sequence)."""

    def __iter__(self):
        x = object()
        for _ in range(100_000):
            yield x
        raise AssertionError("the scanner called the subclass's endless __iter__")


class EndlessDict(dict):
    def __iter__(self):
        return EndlessList.__iter__(self)

    def items(self):
        return zip(EndlessList.__iter__(self), EndlessList.__iter__(self))

    keys = values = __iter__


class EndlessSet(set):
    __iter__ = EndlessList.__iter__


class HoldsEndless(nn.Module):
    def __init__(self, container):
        super().__init__()
        self.body = nn.Linear(2, 2)
        self.junk = container

    def forward(self, X):
        return self.body(X)


@pytest.mark.parametrize(
    "make, path",
    [
        (lambda m: EndlessList([m]), "junk[0]"),
        (lambda m: EndlessDict(head=m), "junk['head']"),
        (lambda m: EndlessSet([m]), "junk{0}"),
        (lambda m: (EndlessList([m]),), "junk[0][0]"),
    ],
)
def test_scan_never_calls_a_container_subclass_iter(make, path):
    hidden = nn.Linear(2, 3)
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"HoldsEndless\.junk"):
        net = HoldsEndless(make(hidden))  # judged at the end of __init__
    assert [(f.path, f.obj) for f in find_unregistered(net)] == [(path, hidden)]
    assert len(list(net.parameters())) == 2
    net(d2lmods.randn(1, 2))
    tree = analyze(net, d2lmods.randn(1, 2))
    assert [m.path for m in tree.unregistered] == [path]


def test_scan_of_an_attribute_set_later_is_bounded_too():
    net = HoldsEndless(None)
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"junk\[0\]"):
        net.junk = EndlessList([nn.Linear(2, 2)])
    net.later = EndlessList()
    net.later.append(nn.Linear(2, 2))  # filled after assignment: found at first call
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"later\[0\]"):
        net(d2lmods.randn(1, 2))


class Impostor:
    """Claims to be a list (and, inside one, a module) without being either."""

    def __init__(self, claim):
        self._claim = claim

    @property
    def __class__(self):
        return self._claim


def test_scan_is_not_fooled_by_objects_that_fake_their_class():
    net = HoldsEndless(Impostor(list))
    net.more = [Impostor(nn.Linear), Impostor(dict)]
    assert isinstance(net.junk, list) and isinstance(net.more[0], nn.Module)  # the pretence
    assert find_unregistered(net) == []
    assert len(list(net.parameters())) == 2
    net(d2lmods.randn(1, 2))


def test_error_path_inside_a_model_holding_an_endless_list():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.junk = EndlessList([1, 2])
            self.fc = nn.Linear(4, 2)

        def forward(self, X):
            return self.fc(X)

    with pytest.raises(RuntimeError, match=r"Linear at Net\.fc expects in_features=4"):
        Net()(d2lmods.randn(1, 3))


def test_scan_reads_a_bounded_number_of_elements_and_levels():
    from d2lmods.nn import _plain_containers as pc
    from d2lmods.nn._unregistered import hidden_in

    big = [0] * (3 * pc.MAX_ITEMS) + [nn.Linear(1, 1)]
    assert len(pc.container_items(big)) == pc.MAX_ITEMS
    assert list(hidden_in(big)) == []  # past the cap: not read at all
    nested = [[0] * (pc.MAX_ITEMS // 2) for _ in range(4)] + [[nn.Linear(1, 1)]]
    assert list(hidden_in(nested)) == []  # the cap counts all levels together
    deep = inner = []
    for _ in range(10_000):  # far deeper than the recursion limit
        inner.append([])
        inner = inner[0]
    inner.append(nn.Linear(1, 1))
    assert list(hidden_in(deep)) == []
    shallow = [[[nn.Linear(1, 1)]]]
    assert [p for p, _, _ in hidden_in(shallow)] == ["[0][0][0]"]


def test_huge_plain_list_attribute_does_not_slow_parameters_down():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.history = list(range(2_000_000))  # e.g. a loss log kept on the model

    net = Net()
    start = time.perf_counter()
    assert len(list(net.parameters())) == 2
    assert time.perf_counter() - start < 1.0  # reading 2M elements would take longer
