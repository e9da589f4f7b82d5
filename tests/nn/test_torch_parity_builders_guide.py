"""The Builders' Guide chapter's module code (this project's own copy) on d2lmods and torch 2.13.

Parameter access, initialization with ``apply``, tied layers, custom layers, File I/O of
tensors and state dicts, devices: the same program runs under both imports, silently.
"""

import warnings

import pytest


@pytest.fixture(autouse=True)
def _silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _mlp(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.LazyLinear(8), lib.nn.ReLU(), lib.nn.LazyLinear(1))
    net(lib.rand(size=(2, 4)))
    return net


def test_parameter_access(lib):
    net = _mlp(lib)
    assert list(net[2].state_dict().keys()) == ["weight", "bias"]
    assert type(net[2].bias) is lib.nn.Parameter and type(net[2].bias.data) is lib.Tensor
    assert net[2].weight.grad is None
    assert [(name, tuple(p.shape)) for name, p in net.named_parameters()] == [
        ("0.weight", (8, 4)),
        ("0.bias", (8,)),
        ("2.weight", (1, 8)),
        ("2.bias", (1,)),
    ]
    assert type(net.state_dict()["2.bias"].data) is lib.Tensor


def test_initialization(lib):
    nn = lib.nn
    net = _mlp(lib)

    def init_normal(module):
        if type(module) == nn.Linear:  # noqa: E721 (the book's spelling)
            nn.init.normal_(module.weight, mean=0, std=0.01)
            nn.init.zeros_(module.bias)

    net.apply(init_normal)
    assert net[0].bias.data[0].item() == 0.0
    assert float(net[0].weight.data.abs().max()) < 0.1

    def init_constant(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 1)
            nn.init.zeros_(module.bias)

    net.apply(init_constant)
    assert net[0].weight.data[0].tolist() == [1.0] * 4

    def init_xavier(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.xavier_uniform_(module.weight)

    def init_42(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 42)

    net[0].apply(init_xavier)
    net[2].apply(init_42)
    assert net[2].weight.data.tolist() == [[42.0] * 8]
    bound = (6 / (4 + 8)) ** 0.5
    assert float(net[0].weight.data.abs().max()) <= bound

    def my_init(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.uniform_(module.weight, -10, 10)
            module.weight.data *= module.weight.data.abs() >= 5

    net.apply(my_init)
    w = net[0].weight.data
    assert bool(((w == 0) | (w.abs() >= 5)).all())
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    assert net[0].weight.data[0, 0].item() == 42


def test_tied_parameters(lib):
    nn = lib.nn
    shared = nn.LazyLinear(8)
    net = nn.Sequential(
        nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.LazyLinear(1)
    )
    net(lib.rand(size=(2, 4)))
    assert bool((net[2].weight.data[0] == net[4].weight.data[0]).all())
    net[2].weight.data[0, 0] = 100
    assert net[4].weight.data[0, 0].item() == 100
    net(lib.rand(size=(2, 4))).sum().backward()
    assert net[2].weight.grad is net[4].weight.grad


def test_file_io(lib, tmp_path):
    nn = lib.nn
    x, y = lib.arange(4), lib.zeros(4)
    lib.save(x, tmp_path / "x-file")
    assert lib.load(tmp_path / "x-file").tolist() == [0, 1, 2, 3]
    lib.save([x, y], tmp_path / "x-files")
    x2, y2 = lib.load(tmp_path / "x-files")
    assert (x2.tolist(), y2.tolist()) == ([0, 1, 2, 3], [0.0] * 4)
    lib.save({"x": x, "y": y}, tmp_path / "mydict")
    assert sorted(lib.load(tmp_path / "mydict")) == ["x", "y"]

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.LazyLinear(16)
            self.output = nn.LazyLinear(10)

        def forward(self, x):
            return self.output(nn.functional.relu(self.hidden(x)))

    net = MLP()
    X = lib.randn(size=(2, 20))
    Y = net(X)
    lib.save(net.state_dict(), tmp_path / "mlp.params")
    clone = MLP()
    assert repr(clone.load_state_dict(lib.load(tmp_path / "mlp.params"))) == (
        "<All keys matched successfully>"
    )
    assert repr(clone.eval()) == (
        "MLP(\n  (hidden): LazyLinear(in_features=0, out_features=16, bias=True)\n"
        "  (output): LazyLinear(in_features=0, out_features=10, bias=True)\n)"
    )
    assert bool((clone(X) == Y).all())


def test_devices(lib):
    cpu = lib.device("cpu")
    assert repr(cpu) == "device(type='cpu')"
    net = _mlp(lib)
    assert net.to(device=cpu) is net and next(net.parameters()).device == cpu
    assert lib.ones(2).to(cpu).device == cpu
    assert isinstance(lib.cuda.device_count(), int)
    assert isinstance(lib.cuda.is_available(), bool)


def test_custom_layers_and_blocks(lib):
    nn = lib.nn
    F = nn.functional

    class CenteredLayer(nn.Module):
        def forward(self, X):
            return X - X.mean()

    assert CenteredLayer()(lib.tensor([1.0, 2, 3, 4, 5])).tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]

    class MyLinear(nn.Module):
        def __init__(self, in_units, units):
            super().__init__()
            self.weight = nn.Parameter(lib.randn(in_units, units))
            self.bias = nn.Parameter(lib.randn(units))

        def forward(self, X):
            return F.relu(lib.matmul(X, self.weight.data) + self.bias.data)

    layer = MyLinear(5, 3)
    assert tuple(layer(lib.rand(2, 5)).shape) == (2, 3) and repr(layer) == "MyLinear()"
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]

    class FixedHiddenMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.rand_weight = lib.rand((20, 20))  # a constant: not a parameter
            self.linear = nn.LazyLinear(20)

        def forward(self, X):
            X = self.linear(X)
            X = F.relu(X @ self.rand_weight + 1)
            X = self.linear(X)
            while X.abs().sum() > 1:
                X /= 2
            return X.sum()

    fixed = FixedHiddenMLP()
    assert fixed(lib.rand(2, 20)).shape == ()
    assert [n for n, _ in fixed.named_parameters()] == ["linear.weight", "linear.bias"]

    class MySequential(nn.Module):
        def __init__(self, *args):
            super().__init__()
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

        def forward(self, X):
            for module in self.children():
                X = module(X)
            return X

    seq = MySequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(10))
    assert tuple(seq(lib.rand(2, 20)).shape) == (2, 10)
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
