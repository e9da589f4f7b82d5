"""Buffers, lazy placeholders and torch's import paths, run on d2lmods and on torch 2.13 (``lib``)."""

import copy
import importlib
import io
import pickle
import warnings

import pytest


@pytest.fixture(autouse=True)
def _silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---- nn.Buffer -----------------------------------------------------------------------------


def test_buffer_keeps_its_identity_when_assigned(lib):
    nn = lib.nn
    m = nn.Module()
    b = nn.Buffer(lib.arange(3.0))
    m.buf = b
    assert m.buf is b
    assert [n for n, _ in m.named_buffers()] == ["buf"]
    assert list(m.state_dict()) == ["buf"]
    assert type(b) is lib.Tensor and isinstance(b, nn.Buffer)
    assert not isinstance(lib.zeros(1), nn.Buffer)
    assert repr(b) == repr(lib.arange(3.0))


def test_buffer_shares_memory_and_requires_grad_of_its_data(lib):
    nn = lib.nn
    t = lib.zeros(2)
    b = nn.Buffer(t)
    b.add_(1)
    assert t.tolist() == [1.0, 1.0]
    assert not b.requires_grad
    assert nn.Buffer(lib.zeros(2, requires_grad=True)).requires_grad
    assert tuple(nn.Buffer().shape) == (0,)


def test_reassigning_a_buffer_attribute_keeps_it_registered(lib):
    nn = lib.nn
    m = nn.Module()
    m.register_buffer("stat", lib.zeros(1))
    m.register_buffer("tmp", lib.zeros(1), persistent=False)
    new = lib.ones(3)
    m.stat = new  # a plain tensor on a buffer's name stays a buffer
    m.tmp = lib.ones(2)  # ... and keeps its persistence
    assert m._buffers["stat"] is new and m.stat is new
    assert "stat" not in m.__dict__
    assert list(m.state_dict()) == ["stat"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "tmp"]
    m.stat = None
    assert "stat" in m._buffers and m.stat is None and list(m.state_dict()) == []


def test_buffer_persistence(lib):
    nn = lib.nn
    m = nn.Module()
    m.keep = nn.Buffer(lib.zeros(1))
    m.skip = nn.Buffer(lib.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["keep"]
    # register_buffer's own argument decides, whatever the Buffer says
    m.register_buffer("explicit", nn.Buffer(lib.zeros(1), persistent=False))
    assert list(m.state_dict()) == ["keep", "explicit"]
    # a persistent Buffer assigned onto a non-persistent name makes it persistent
    m.skip = nn.Buffer(lib.ones(1))
    assert list(m.state_dict()) == ["keep", "skip", "explicit"]


def test_buffer_in_a_custom_layer_follows_the_module(lib):
    nn = lib.nn

    class Norm(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = nn.Buffer(lib.zeros(2))
            self.scale = nn.Parameter(lib.ones(2))

        def forward(self, x):
            return (x - self.mean) * self.scale

    m = Norm()
    assert [n for n, _ in m.named_parameters()] == ["scale"]
    assert m(lib.ones(2)).tolist() == [1.0, 1.0]
    m.double()
    assert m.mean.dtype == lib.float64
    clone = copy.deepcopy(m)
    assert clone.mean is not m.mean and clone.mean.tolist() == [0.0, 0.0]
    restored = pickle.loads(pickle.dumps(m.state_dict()))
    assert list(restored) == ["scale", "mean"]  # parameters first, then buffers
    buf = io.BytesIO()
    lib.save(m.state_dict(), buf)
    buf.seek(0)
    loaded = lib.load(buf)
    assert list(loaded) == ["scale", "mean"]
    other = Norm().double()
    assert repr(other.load_state_dict(loaded)) == "<All keys matched successfully>"


# ---- lazy placeholders ---------------------------------------------------------------------


def _lazy_stats(lib, persistent=True):
    nn = lib.nn
    from_path = importlib.import_module(f"{lib.__name__}.nn.modules.lazy").LazyModuleMixin

    class LazyStats(from_path, nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.UninitializedParameter()
            self.mean = nn.UninitializedBuffer(persistent=persistent)

        def initialize_parameters(self, x):
            with lib.no_grad():
                self.weight.materialize(x.shape[-1:])
                self.mean.materialize(x.shape[-1:])
                self.weight.fill_(1.0)
                self.mean.zero_()

        def forward(self, x):
            return (x - self.mean) * self.weight

    return LazyStats()


def test_uninitialized_buffer_registers_and_counts_as_uninitialized(lib):
    nn = lib.nn
    m = _lazy_stats(lib)
    assert list(m._buffers) == ["mean"]
    assert list(m.state_dict()) == ["weight", "mean"]
    assert m.has_uninitialized_params()
    assert isinstance(m.mean, nn.UninitializedBuffer) and isinstance(m.mean, nn.Buffer)
    assert repr(m.mean) == "<UninitializedBuffer>" and not m.mean.requires_grad
    assert repr(m.weight) == "<UninitializedParameter>" and m.weight.requires_grad
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        m.mean.shape  # noqa: B018
    out = m(lib.ones(2, 3))
    assert out.tolist() == [[1.0] * 3] * 2
    assert not m.has_uninitialized_params()
    assert type(m.mean) is lib.Tensor and tuple(m.mean.shape) == (3,)
    assert type(m.weight) is nn.Parameter


def test_non_persistent_uninitialized_buffer(lib):
    m = _lazy_stats(lib, persistent=False)
    assert list(m.state_dict()) == ["weight"]
    assert [n for n, _ in m.named_buffers()] == ["mean"]


def test_lazy_layer_counts_uninitialized_parameters(lib):
    nn = lib.nn
    lazy = nn.LazyLinear(3)
    assert lazy.has_uninitialized_params()
    assert isinstance(lazy.weight, nn.UninitializedParameter)
    assert isinstance(
        lazy, importlib.import_module(f"{lib.__name__}.nn.modules.lazy").LazyModuleMixin
    )
    opt = lib.optim.SGD(lazy.parameters(), lr=0.1)  # fine before the first call
    lazy(lib.ones(2, 5)).sum().backward()
    opt.step()
    assert type(lazy) is nn.Linear and not hasattr(lazy, "has_uninitialized_params")
    assert tuple(lazy.weight.shape) == (3, 5)


def test_lazy_batchnorm_buffers_are_placeholders(lib):
    nn = lib.nn
    bn = nn.LazyBatchNorm1d()
    assert isinstance(bn.running_mean, nn.UninitializedBuffer)
    assert bn.has_uninitialized_params()
    bn(lib.ones(4, 3))
    assert type(bn) is nn.BatchNorm1d and tuple(bn.running_mean.shape) == (3,)
    assert bn.num_features == 3


def test_lazy_to_dtype_before_the_first_call(lib):
    lazy = lib.nn.LazyLinear(2).to(lib.float64)
    lazy(lib.ones(1, 4, dtype=lib.float64))
    assert lazy.weight.dtype == lib.float64


# ---- torch's import paths ------------------------------------------------------------------


PATHS = [
    ("nn.modules.module", "Module"),
    ("nn.modules.container", "Sequential"),
    ("nn.modules.container", "ModuleList"),
    ("nn.modules.container", "ModuleDict"),
    ("nn.modules.container", "ParameterList"),
    ("nn.modules.container", "ParameterDict"),
    ("nn.modules.lazy", "LazyModuleMixin"),
    ("nn.modules.linear", "Linear"),
    ("nn.modules.linear", "LazyLinear"),
    ("nn.modules.linear", "Identity"),
    ("nn.modules.activation", "ReLU"),
    ("nn.modules.activation", "Softmax"),
    ("nn.modules.batchnorm", "BatchNorm2d"),
    ("nn.modules.batchnorm", "LazyBatchNorm2d"),
    ("nn.modules.conv", "Conv2d"),
    ("nn.modules.conv", "LazyConv2d"),
    ("nn.modules.dropout", "Dropout"),
    ("nn.modules.flatten", "Flatten"),
    ("nn.modules.loss", "CrossEntropyLoss"),
    ("nn.modules.normalization", "LayerNorm"),
    ("nn.modules.pooling", "MaxPool2d"),
    ("nn.modules.sparse", "Embedding"),
    ("nn.modules", "Linear"),
    ("nn.parameter", "Parameter"),
    ("nn.parameter", "Buffer"),
    ("nn.parameter", "UninitializedParameter"),
    ("nn.parameter", "UninitializedBuffer"),
    ("nn.init", "xavier_uniform_"),
    ("nn.functional", "relu"),
    ("nn.utils", "parameters_to_vector"),
    ("nn.utils", "vector_to_parameters"),
    ("nn.utils", "clip_grad_norm_"),
    ("nn.utils", "clip_grad_value_"),
    ("nn.utils", "clip_grad_norm"),
    ("nn.utils", "get_total_norm"),
    ("nn.utils", "clip_grads_with_norm_"),
]


@pytest.mark.parametrize("path,name", PATHS)
def test_torch_module_paths(lib, path, name):
    module = importlib.import_module(f"{lib.__name__}.{path}")
    obj = getattr(module, name)
    public = getattr(lib.nn, name, None)
    if public is not None and path.startswith("nn.modules"):
        assert obj is public


def test_custom_layer_written_against_module_paths(lib):
    Module = importlib.import_module(f"{lib.__name__}.nn.modules.module").Module
    Linear = importlib.import_module(f"{lib.__name__}.nn.modules.linear").Linear
    Sequential = importlib.import_module(f"{lib.__name__}.nn.modules.container").Sequential

    class Head(Module):
        def __init__(self):
            super().__init__()
            self.body = Sequential(Linear(2, 3), Linear(3, 1))

        def forward(self, x):
            return self.body(x)

    assert tuple(Head()(lib.ones(4, 2)).shape) == (4, 1)
    assert isinstance(Head(), lib.nn.Module)


# ---- nn.utils ------------------------------------------------------------------------------


def _two_params(lib):
    nn = lib.nn
    a = nn.Parameter(lib.tensor([[3.0, -4.0]]))
    b = nn.Parameter(lib.tensor([12.0]))
    (a.sum() * 1 + b.sum()).backward()
    with lib.no_grad():
        a.grad.copy_(lib.tensor([[3.0, -4.0]]))
        b.grad.copy_(lib.tensor([12.0]))
    return a, b


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")])
def test_clip_grad_norm(lib, norm_type):
    a, b = _two_params(lib)
    total = lib.nn.utils.clip_grad_norm_([a, b], max_norm=1.0, norm_type=norm_type)
    expected = {2.0: 13.0, 1: 19.0, float("inf"): 12.0}[norm_type]
    assert total.shape == () and abs(float(total) - expected) < 1e-4
    coef = 1.0 / (expected + 1e-6)
    assert a.grad.tolist()[0] == pytest.approx([3.0 * coef, -4.0 * coef], rel=1e-5)
    assert b.grad.tolist() == pytest.approx([12.0 * coef], rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones(lib):
    a, b = _two_params(lib)
    c = lib.nn.Parameter(lib.zeros(2))
    total = lib.nn.utils.clip_grad_norm_([a, b, c], max_norm=100.0)
    assert float(total) == pytest.approx(13.0) and c.grad is None
    assert b.grad.tolist() == [12.0]
    assert float(lib.nn.utils.clip_grad_norm_(c, 1.0)) == 0.0  # a single tensor, no grads


def test_clip_grad_norm_nonfinite(lib):
    a, _ = _two_params(lib)
    with lib.no_grad():
        a.grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients"):
        lib.nn.utils.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_deprecated_clip_grad_norm(lib):
    a, b = _two_params(lib)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        total = lib.nn.utils.clip_grad_norm([a, b], 1.0)
    assert float(total) == pytest.approx(13.0)


def test_clip_grad_value(lib):
    a, b = _two_params(lib)
    assert lib.nn.utils.clip_grad_value_([a, b], clip_value=3.5) is None
    assert a.grad.tolist() == [[3.0, -3.5]] and b.grad.tolist() == [3.5]


def test_clip_in_a_training_step(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.ReLU(), lib.nn.Linear(8, 1))
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    loss = ((net(lib.ones(4, 3)) - 100) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    lib.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.5)
    total = lib.nn.utils.get_total_norm([p.grad for p in net.parameters()])
    assert float(total) == pytest.approx(0.5, rel=1e-4)
    opt.step()


def test_parameters_to_vector_and_back(lib):
    nn = lib.nn
    lin = nn.Linear(3, 2)
    w = lin.weight
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert tuple(vec.shape) == (8,)
    assert vec[:6].tolist() == lin.weight.reshape(-1).tolist()
    vec.sum().backward()
    assert lin.weight.grad.tolist() == [[1.0] * 3] * 2
    nn.utils.vector_to_parameters(lib.arange(8.0), lin.parameters())
    assert lin.weight is w
    assert lin.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert lin.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], lin.parameters())
