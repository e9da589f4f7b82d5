"""The D2L builders'-guide models, written once for any torch-like library.

``build(lib, name)`` returns the model built with ``lib`` (``torch`` or ``d2lmods``),
so the same code is compared between the two (reprs, names, outputs, gradients).
"""


def models(lib):
    nn = lib.nn
    F = lib.nn.functional

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 256)
            self.out = nn.Linear(256, 10)

        def forward(self, X):
            return self.out(F.relu(self.hidden(X)))

    class MySequential(nn.Module):
        def __init__(self, *args):
            super().__init__()
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

        def forward(self, X):
            for module in self.children():
                X = module(X)
            return X

    class FixedHiddenMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.rand_weight = lib.rand((20, 20))
            self.linear = nn.Linear(20, 20)

        def forward(self, X):
            X = self.linear(X)
            X = F.relu(X @ self.rand_weight + 1)
            X = self.linear(X)
            while X.abs().sum() > 1:
                X /= 2
            return X.sum()

    class NestMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
            self.linear = nn.Linear(32, 16)

        def forward(self, X):
            return self.linear(self.net(X))

    class CenteredLayer(nn.Module):
        def forward(self, X):
            return X - X.mean()

    class MyLinear(nn.Module):
        def __init__(self, in_units, units):
            super().__init__()
            self.weight = nn.Parameter(lib.randn(in_units, units))
            self.bias = nn.Parameter(lib.randn(units,))

        def forward(self, X):
            linear = lib.matmul(X, self.weight.data) + self.bias.data
            return F.relu(linear)

    class LazyMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.blks = nn.ModuleList([nn.LazyLinear(10) for _ in range(5)])
            self.out = nn.Linear(10, 1)

        def forward(self, X):
            for b in self.blks:
                X = F.relu(b(X))
            return self.out(X)

    def tied():
        shared = nn.Linear(8, 8)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                             nn.Linear(8, 1))

    def lazy_tied():
        shared = nn.LazyLinear(8)
        return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                             nn.LazyLinear(1))

    def block1():
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

    def block2():
        net = nn.Sequential()
        for i in range(4):
            net.add_module(f'block {i}', block1())
        return net

    return {
        "seq": (lambda: nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)), (2, 20)),
        "mlp": (MLP, (2, 20)),
        "mysequential": (lambda: MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)), (2, 20)),
        "fixedhidden": (FixedHiddenMLP, (2, 20)),
        "nest": (NestMLP, (2, 20)),
        "chimera": (lambda: nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP()), (2, 20)),
        "tied": (tied, (2, 4)),
        "rgnet": (lambda: nn.Sequential(block2(), nn.Linear(4, 1)), (2, 4)),
        "centered": (lambda: nn.Sequential(nn.Linear(8, 128), CenteredLayer()), (4, 8)),
        "mylinear": (lambda: MyLinear(5, 3), (2, 5)),
        "lazy_mlp": (LazyMLP, (2, 20)),
        "lazy_tied": (lazy_tied, (2, 4)),
    }


EAGER = ["seq", "mlp", "mysequential", "fixedhidden", "nest", "chimera", "tied", "rgnet",
         "centered", "mylinear"]
LAZY = ["lazy_mlp", "lazy_tied"]


def build(lib, name):
    """``(model, input_shape)`` for model ``name`` built with ``lib``."""
    ctor, shape = models(lib)[name]
    return ctor(), shape
