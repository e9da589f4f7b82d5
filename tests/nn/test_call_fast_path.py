"""``Module.__call__``'s fast path: until some module holds a hook it reads no hook dict, and until
a check asks for call numbers it numbers no call. Each test starts from a process where neither
happened yet (the flags are set back for the test) and shows the slow path's behaviour still
arriving: hooks registered after many calls, hooks put in by hand or by unpickling, the shared
BatchNorm check armed in the middle of a forward, errors inside forward."""

import copy
import pickle
import threading
import warnings
from collections import OrderedDict

import pytest

import d2lmods as torch
from d2lmods import nn
from d2lmods._tensor import observers
from d2lmods.nn import _callstack, hooks

TW = nn.TrainingWarning


@pytest.fixture
def fresh():
    """No hook seen and no call numbered yet in this process (as after ``import d2lmods``)."""
    assert not _callstack.call_state.stack and not _callstack.call_state.calls
    hooks.HOOKS_SEEN[0] = _callstack.NUMBERED[0] = False
    try:
        yield
    finally:
        # other tests' modules may hold hooks: back to reading every hook dict
        hooks.HOOKS_SEEN[0] = _callstack.NUMBERED[0] = True
    assert not _callstack.call_state.stack and not _callstack.call_state.calls


def _double(module, args, output):
    return output * 2


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_hooks_registered_after_many_calls_run(fresh):
    net, X = _net(), torch.randn(5, 3, requires_grad=True)
    for _ in range(3):
        plain = net(X)
    assert hooks.HOOKS_SEEN == [False]  # the calls so far took the fast path
    seen = []
    net[0].register_forward_pre_hook(lambda m, args: seen.append("pre"))
    net[2].register_forward_hook(_double)
    net.register_full_backward_hook(lambda m, gi, go: seen.append("backward"))
    assert hooks.HOOKS_SEEN == [True]
    out = net(X)
    assert torch.allclose(out, plain * 2)
    out.sum().backward()
    assert seen == ["pre", "backward"]


def test_hook_put_in_by_hand_runs(fresh):
    net, X = _net(), torch.randn(5, 3)
    plain = net(X)
    net[2]._forward_hooks[12345] = _double  # as some torch code does, no register_* call
    assert torch.allclose(net(X), plain * 2)


def test_hook_dict_replaced_by_a_plain_one_runs(fresh):
    net, X = _net(), torch.randn(5, 3)
    plain = net(X)
    net[2]._forward_hooks = OrderedDict()  # an old way to drop all hooks
    net[2]._forward_hooks[1] = _double  # a plain OrderedDict: no _HookDict.__setitem__
    assert torch.allclose(net(X), plain * 2)


def test_hooks_of_an_unpickled_or_copied_model_run(fresh):
    net, X = _net(), torch.randn(5, 3)
    plain = net(X)
    net[2].register_forward_hook(_double)
    blob = pickle.dumps(net)
    for make in (lambda: pickle.loads(blob), lambda: copy.deepcopy(net)):
        hooks.HOOKS_SEEN[0] = False  # as in a fresh process that only loads the model
        assert torch.allclose(make()(X), plain * 2)


def test_copies_without_hooks_keep_the_fast_path(fresh):
    net, X = _net(), torch.randn(5, 3)
    copy.deepcopy(net)(X)
    pickle.loads(pickle.dumps(net))(X)
    assert hooks.HOOKS_SEEN == [False]


def test_hook_removed_again_stops_running(fresh):
    net, X = _net(), torch.randn(5, 3)
    plain = net(X)
    handle = net[2].register_forward_hook(_double)
    assert torch.allclose(net(X), plain * 2)
    handle.remove()
    assert torch.allclose(net(X), plain)


def test_shared_batchnorm_check_armed_inside_the_first_forward(fresh):
    bn = nn.BatchNorm1d(4)
    net = nn.Sequential(nn.Linear(3, 4), bn, nn.ReLU(), nn.Linear(4, 4), bn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net(torch.randn(6, 3))  # the first forward: numbering starts at bn's first call
    texts = [str(w.message) for w in caught if w.category is TW]
    assert len(texts) == 1 and "runs at Sequential.1, Sequential.4" in texts[0]
    assert _callstack.NUMBERED == [True]


def test_batchnorm_in_a_network_applied_twice_stays_silent(fresh):
    class Siamese(nn.Module):
        def __init__(self):
            super().__init__()
            self.tower = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))

        def forward(self, a, b):
            return self.tower(a) - self.tower(b)

    net = Siamese()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            net(torch.randn(6, 3), torch.randn(6, 3))


def test_call_numbers_stay_matched_to_the_stack(fresh):
    numbers = []

    class Probe(nn.Module):
        def forward(self, x):
            numbers.append(list(_callstack.call_numbers()))
            return x

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = Probe(), Probe()

        def forward(self, x):
            return self.b(self.a(x))

    net = Outer()
    net(torch.ones(1))  # numbering starts inside the first Probe
    net(torch.ones(1))
    (a1, b1), (a2, b2) = numbers[:2], numbers[2:]
    assert len(a1) == len(b1) == 2 and a1[0] == b1[0] and a1[1] != b1[1]
    assert a2[0] == b2[0] != a1[0]  # a new call of Outer, a new number
    assert len(set(a1 + b1[1:] + a2 + b2[1:])) == 6  # every call its own number


def test_numbering_started_in_another_thread(fresh):
    """Calls already running in a thread when another thread starts the numbering."""
    started, go = threading.Event(), threading.Event()
    seen = {}

    class Wait(nn.Module):
        def forward(self, x):
            started.set()
            go.wait(10)
            return self.inner(x)

        def __init__(self):
            super().__init__()
            self.inner = nn.Identity()

    class Look(nn.Module):
        def forward(self, x):
            seen["numbers"] = list(_callstack.call_numbers())
            seen["stack"] = [type(m).__name__ for m in _callstack.call_state.stack]
            return x

    def other():
        w = Wait()
        w.inner = Look()
        w(torch.ones(1))
        w(torch.ones(1))
        seen["left"] = (list(_callstack.call_state.stack), list(_callstack.call_state.calls))

    t = threading.Thread(target=other)
    t.start()
    started.wait(10)
    _callstack.call_numbers()  # this thread starts the numbering, the other is inside Wait
    go.set()
    t.join(10)
    assert seen["stack"] == ["Wait", "Look"] and len(seen["numbers"]) == 2
    assert seen["left"] == ([], [])


def test_errors_inside_forward_leave_no_call_behind(fresh):
    _callstack.call_numbers()

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    net = nn.Sequential(nn.Identity(), nn.Sequential(Boom()))
    for _ in range(2):
        with pytest.raises(ValueError, match="boom") as err:
            net(torch.ones(1))
    assert "Sequential.1.0" in str(err.value)  # the module path is still named


def test_used_graph_leaves_the_watch_when_it_dies():
    x = torch.ones(3, requires_grad=True)
    loss = (x * 2).sum()
    loss.backward()
    assert observers.consumed and observers.is_consumed(loss.grad_fn)
    with pytest.warns(TW, match="total_loss"):
        total = torch.zeros(()) + loss
    del loss, total
    assert not observers.consumed  # nothing alive to watch: `+` is one truth test again


def test_retain_grad_entries_leave_with_their_tensor():
    from d2lmods._tensor.core import RETAINS_GRAD

    x = torch.ones(3, requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.retain_grad()
    assert h.retains_grad and [r() for r in RETAINS_GRAD.values()].count(h) == 1
    h.sum().backward()
    assert torch.equal(h.grad, torch.ones(3))
    key = id(h)
    del h
    assert key not in RETAINS_GRAD


# ---- parameters(): the registries walked directly ------------------------------------------------


def _all_models():
    from tests.fixtures.models import d2l_models, registration_models

    M = registration_models(torch)
    models = {name: ctor for name, (ctor, _) in d2l_models(torch).items()}
    models.update({name: ctor for name, (ctor, _) in M.TEXT_GOLDEN_MODELS.items()})
    return {name: M.build(ctor) for name, ctor in models.items()}


def test_parameters_match_the_named_walk():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)  # some hide layers by design
        for name, net in _all_models().items():
            slow = [p for _, p in net._named_members(lambda m: m._parameters.items())]
            fast = list(net.parameters())
            assert [id(p) for p in fast] == [id(p) for p in slow], name
            assert [id(p) for p in fast] == [id(p) for _, p in net.named_parameters()], name
            assert [id(p) for p in net.parameters(recurse=False)] == [
                id(p) for p in net._parameters.values() if p is not None
            ], name


def test_parameters_match_torch_order():
    real_torch = pytest.importorskip("torch")
    from tests.fixtures.models import d2l_models

    ours, theirs = d2l_models(torch), d2l_models(real_torch)
    for name in ours:
        if "lazy" in name:
            continue
        a, b = ours[name][0](), theirs[name][0]()
        assert [tuple(p.shape) for p in a.parameters()] == [
            tuple(p.shape) for p in b.parameters()
        ], name


def test_parameters_stay_a_lazy_generator():
    net = nn.Sequential(nn.Linear(2, 2))
    params = net.parameters()
    net.append(nn.Linear(2, 3))  # added before the generator is read: included, as in torch
    assert [tuple(p.shape) for p in params] == [(2, 2), (2,), (3, 2), (3,)]


@pytest.fixture
def walk_flag():
    from d2lmods.nn import module

    before = module._WALK_OVERRIDDEN[0]
    yield module._WALK_OVERRIDDEN
    module._WALK_OVERRIDDEN[0] = before  # the class below lives in this test only


def test_a_class_with_its_own_named_modules_is_honoured(walk_flag):
    hidden = nn.Linear(2, 2)

    class Filtered(nn.Module):
        def __init__(self):
            super().__init__()
            self.keep, self.skip = nn.Linear(2, 3), nn.Linear(2, 4)

        def named_modules(self, memo=None, prefix="", remove_duplicate=True):
            yield prefix, self
            yield prefix + ("." if prefix else "") + "keep", self.keep

    net = Filtered()
    assert walk_flag == [True]
    assert [tuple(p.shape) for p in net.parameters()] == [(3, 2), (3,)]
    assert [tuple(p.shape) for p in nn.Sequential(net, hidden).parameters()] == [
        (3, 2),
        (3,),
        (2, 2),
        (2,),
    ]
