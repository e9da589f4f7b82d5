"""Tiny models with each registration mistake a learner makes (and the correct twins).

Building a model that holds modules in plain containers emits
``nn.UnregisteredModuleWarning`` by design; ``quiet()`` silences exactly that category
while building, so tests see only warnings the viz code itself would add.
"""
import contextlib
import warnings

import d2lmods
from d2lmods import nn


@contextlib.contextmanager
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        yield


class PlainList(nn.Module):
    """Two heads in a plain list: the classic silent bug."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]

    def forward(self, X):
        h = self.body(X)
        return [head(h) for head in self.heads]


class FixedList(nn.Module):
    """The same model with ``nn.ModuleList``: nothing to flag."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 3)])

    def forward(self, X):
        h = self.body(X)
        return [head(h) for head in self.heads]


class PlainDict(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = {"enc": nn.Linear(4, 6), "dec": nn.Linear(6, 4)}

    def forward(self, X):
        return self.blocks["dec"](self.blocks["enc"](X))


class PlainTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.pair = (nn.Linear(3, 3), nn.ReLU())
        self.out = nn.Linear(3, 1)

    def forward(self, X):
        return self.out(self.pair[1](self.pair[0](X)))


class NestedList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [[nn.Linear(2, 2)], [nn.Linear(2, 3), nn.Linear(3, 2)]]

    def forward(self, X):
        for group in self.layers:
            for layer in group:
                X = layer(X)
        return X


class AppendedLater(nn.Module):
    """The list is empty when assigned and filled afterwards: no warning can fire at assignment."""

    def __init__(self, n=3):
        super().__init__()
        self.layers = []
        for _ in range(n):
            self.layers.append(nn.Linear(5, 5))

    def forward(self, X):
        for layer in self.layers:
            X = layer(X)
        return X


class ParamList(nn.Module):
    """Parameters (not modules) in a plain list."""

    def __init__(self):
        super().__init__()
        self.scales = [nn.Parameter(d2lmods.ones(4)), nn.Parameter(d2lmods.ones(4))]
        self.proj = nn.Linear(4, 4)

    def forward(self, X):
        return self.proj(X) * self.scales[0] * self.scales[1]


class Tied(nn.Module):
    """Decoder weight tied to the encoder weight: one Parameter under two names."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(6, 4, bias=False)
        self.decoder = nn.Linear(6, 4, bias=False)
        self.decoder.weight = self.encoder.weight

    def forward(self, X):
        return self.encoder(X)


class SharedModule(nn.Module):
    """The same Linear registered under two names (weight sharing by module)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = self.a

    def forward(self, X):
        return self.b(self.a(X))


def lazy_mlp():
    return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))


class Deep(nn.Module):
    """Nesting four levels deep, with a plain list at the bottom."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Sequential(nn.Linear(2, 4), nn.Sequential(nn.Linear(4, 4), nn.ReLU())),
            nn.Linear(4, 2))
        self.encoder[1].extras = [nn.Linear(2, 2)]

    def forward(self, X):
        return self.encoder(X)


class Cyclic(nn.Module):
    """Containers that point back at the model and at each other."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        loop = [nn.Linear(2, 2)]
        loop.append(loop)                     # a list that contains itself
        self.loop = loop
        self.me = [self]                      # the root itself, in a list
        self.fc.peers = [self]                # a child pointing back at its parent

    def forward(self, X):
        return self.loop[0](self.fc(X))


class Stack(nn.Module):
    """Twelve identical blocks: drawn collapsed as ``Block x 12``."""

    def __init__(self, n=12):
        super().__init__()
        self.embed = nn.Linear(4, 8)
        self.blocks = nn.Sequential(*[Block() for _ in range(n)])

    def forward(self, X):
        return self.blocks(self.embed(X))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.act = nn.ReLU()

    def forward(self, X):
        return self.act(self.fc(X))


def build(factory):
    with quiet():
        return factory()


# name -> (model factory, sample-input factory or None): the models whose text tree and summary
# table are kept as golden files (tests/viz/golden/<name>.tree.txt and <name>.summary.txt)
TEXT_GOLDEN_MODELS = {
    "plain_list": (PlainList, None),
    "plain_list_with_input": (PlainList, lambda: d2lmods.randn(2, 4)),
    "fixed_list": (FixedList, None),
    "plain_dict": (PlainDict, None),
    "plain_tuple": (PlainTuple, None),
    "nested_list": (NestedList, None),
    "appended_later": (AppendedLater, None),
    "params_in_list": (ParamList, None),
    "tied": (Tied, None),
    "tied_with_input": (Tied, lambda: d2lmods.randn(1, 6)),
    "shared_module": (SharedModule, None),
    "lazy": (lazy_mlp, None),
    "lazy_with_input": (lazy_mlp, lambda: d2lmods.randn(3, 5)),
    "deep": (Deep, None),
    "deep_with_input": (Deep, lambda: d2lmods.randn(2, 2)),
    "cyclic": (Cyclic, None),
    "stack": (Stack, None),
}
