"""A corpus of correct programs: none of them may set off any d2lmods warning.

Each program runs with every warning an error (d2lmods' own classes and any other), so a false
alarm of any check, old or new, fails here. The programs are what learners correctly write
around the mistakes d2lmods explains: training loops with evaluation, validation under no_grad
after eval(), loss terms summed before one backward, gradient accumulation, parameters replaced
before the optimizer exists, weight tying, state_dict round trips, container edits.
"""
import copy
import warnings
from collections import OrderedDict

import pytest

import d2lmods as torch
from d2lmods import nn
from d2lmods.nn import functional as F

CORPUS = {}


def program(fn):
    CORPUS[fn.__name__] = fn
    return fn


def _data(n=16, classes=3):
    torch.manual_seed(0)
    return torch.randn(n, 4), torch.randint(0, classes, (n,))


def _mlp(*extra):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), *extra, nn.Linear(8, 3))


@program
def training_loop_with_evaluation():
    X, y = _data()
    net = _mlp(nn.Dropout(0.2), nn.BatchNorm1d(8))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for _epoch in range(2):
        net.train()
        total_loss, correct = 0.0, 0
        for i in range(0, 16, 4):
            out = net(X[i:i + 4])
            loss = loss_fn(out, y[i:i + 4])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            correct += int((out.argmax(dim=1) == y[i:i + 4]).sum())
        net.eval()
        with torch.no_grad():
            val_loss = loss_fn(net(X), y).item()
            probs = F.softmax(net(X), dim=1)           # probabilities to show, not to train on
        assert val_loss > 0 and probs.shape == (16, 3)


@program
def d2l_style_accumulator_and_evaluate_accuracy():
    X, y = _data()
    net = _mlp(nn.Dropout(0.5))

    def evaluate_accuracy(net, X, y):
        if isinstance(net, nn.Module):
            net.eval()
        with torch.no_grad():
            return float((net(X).argmax(dim=1) == y).float().mean())

    metric = [0.0, 0.0]
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(2):
        net.train()
        loss = F.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        metric = [metric[0] + float(loss) * len(y), metric[1] + len(y)]
        evaluate_accuracy(net, X, y)


@program
def loss_terms_summed_before_one_backward():
    X, y = _data()
    net = _mlp()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, weight_decay=1e-4)
    for _ in range(2):
        out = net(X)
        loss = F.cross_entropy(out, y) + 0.1 * (out ** 2).mean()
        loss += 1e-3 * sum((p ** 2).sum() for p in net.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@program
def gradient_accumulation_over_micro_batches():
    X, y = _data()
    net = _mlp()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    steps = 4
    optimizer.zero_grad()
    for i in range(16):
        loss = F.cross_entropy(net(X[i:i + 1]), y[i:i + 1]) / steps
        loss.backward()
        if (i + 1) % steps == 0:
            optimizer.step()
            optimizer.zero_grad()


@program
def closure_optimizer_step():
    X, y = _data()
    net = _mlp()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(net(X), y)
        loss.backward()
        return loss

    for _ in range(2):
        optimizer.step(closure)


@program
def parameters_replaced_before_the_optimizer():
    X, y = _data()
    net = _mlp()
    net[0].weight = nn.Parameter(torch.zeros(8, 4))       # deliberate, before training
    net[2] = nn.Linear(8, 3)                              # a new head
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    F.cross_entropy(net(X), y).backward()
    optimizer.step()
    net.requires_grad_(False)
    net[2] = nn.Linear(8, 3)                              # fine-tuning: only the new head
    head_optimizer = torch.optim.SGD(net[2].parameters(), lr=0.1)
    F.cross_entropy(net(X), y).backward()
    head_optimizer.step()


@program
def weight_tying():
    X, _ = _data()
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                        nn.Linear(8, 1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    net(X).sum().backward()
    optimizer.step()
    assert net[2].weight is net[4].weight

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.out = nn.Linear(4, 10, bias=False)
            self.out.weight = self.emb.weight
        def forward(self, ids):
            return self.out(self.emb(ids))

    Tied()(torch.tensor([1, 2, 3])).sum().backward()


@program
def state_dict_round_trips(tmp_path):
    net = _mlp(nn.BatchNorm1d(8))
    net.load_state_dict(net.state_dict())                 # a no-op, not a mistake
    best = copy.deepcopy(net.state_dict())
    snapshot = {k: v.clone() for k, v in net.state_dict().items()}
    X, y = _data()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    F.cross_entropy(net(X), y).backward()
    optimizer.step()
    net.load_state_dict(best)
    net.load_state_dict(snapshot)
    torch.save(net.state_dict(), tmp_path / "net.pt")
    clone = _mlp(nn.BatchNorm1d(8))
    clone.load_state_dict(torch.load(tmp_path / "net.pt"))
    clone.load_state_dict(net.state_dict())               # another model's live dict
    opt_state = optimizer.state_dict()
    optimizer.load_state_dict(opt_state)


@program
def container_edits():
    md = nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "act": nn.ReLU()})
    md["conv"] = nn.Conv2d(1, 4, 3)                       # deliberate replacement
    md.update({"act": nn.Sigmoid()})
    md.update([("act", nn.Tanh())])
    net = nn.Sequential(nn.Linear(2, 2))
    net.add_module("0", nn.Linear(2, 3))                  # re-using a name outside __init__
    net[0] = nn.Linear(2, 2)
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    layers.extend([nn.Linear(2, 2)])
    layers.insert(0, nn.Identity())
    del layers[1]


@program
def sequential_repetition():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    twice = seq * 2
    also = 2 * seq
    seq *= 2
    assert len(twice) == len(also) == len(seq) == 4
    nn.Sequential(*[nn.Linear(8, 8) for _ in range(3)])
    nn.ModuleList([nn.ReLU()] * 3)                        # no weights: sharing is harmless


@program
def lazy_model_initialized_after_the_first_forward():
    def init_weights(m):
        if type(m) == nn.Linear:  # noqa: E721  (the book's exact-type test)
            nn.init.xavier_uniform_(m.weight)

    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(3))
    X, y = _data()
    net(X)
    net.apply(init_weights)
    torch.optim.SGD(net.parameters(), lr=0.1)


@program
def lazy_aware_init_in_init():
    def init_lazily(m):
        if isinstance(m, nn.LazyLinear):
            def hook(module, args, output):
                nn.init.zeros_(module.bias)
                handle.remove()
            handle = m.register_forward_hook(hook)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(3))
            self.net.apply(init_lazily)               # registers hooks: the lazy layers are handled
        def forward(self, X):
            return self.net(X)

    net = Net()
    net(torch.randn(2, 4))
    assert float(net.net[0].bias.detach().abs().sum()) == 0


@program
def siamese_network_shares_its_encoder():
    class Siamese(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
        def forward(self, a, b):
            return (self.encoder(a) - self.encoder(b)).abs().sum(dim=1)

    net = Siamese()
    net(torch.randn(4, 4), torch.randn(4, 4)).sum().backward()


@program
def functional_dropout_with_the_mode():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
        def forward(self, X):
            return F.dropout(self.fc(X), 0.5, training=self.training)

    net = Net()
    net(torch.randn(2, 4))
    net.eval()
    net(torch.randn(2, 4))


@program
def freezing_and_custom_mode_methods():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.bn = nn.Linear(4, 8), nn.BatchNorm1d(8)
        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()                         # keep BatchNorm statistics frozen
            return self
        def forward(self, X):
            return self.bn(self.body(X))

    m = Model()
    m.body.requires_grad_(False)
    for p in m.bn.parameters():
        p.requires_grad = False
    m.train()
    m.eval()
    with torch.no_grad():
        m(torch.randn(4, 4))


@program
def validation_inside_the_training_loop():
    X, y = _data()
    net = _mlp(nn.Dropout(0.3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    history = []
    for _ in range(2):
        net.train()
        loss = F.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        net.eval()
        with torch.no_grad():
            history.append(F.cross_entropy(net(X), y).item())
    assert len(history) == 2


@program
def custom_layers_reading_data():
    class Normalize(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(4))
        def forward(self, X):
            self.weight.data.clamp_(0, 2)              # a parameter (leaf) through .data: fine
            Y = X * self.weight
            _ = Y.data.abs().max()                     # reading through .data
            return Y / Y.norm()

    Normalize()(torch.randn(3, 4)).sum().backward()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_correct_program_is_silent(name, tmp_path):
    fn = CORPUS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if fn.__code__.co_argcount:
            fn(tmp_path)
        else:
            fn()


def test_every_d2lmods_warning_class_is_an_error_here():
    # The corpus runs under simplefilter("error"): each of these would fail it.
    from d2lmods import _messages

    for cls in (nn.UnregisteredModuleWarning, nn.SharedInstanceWarning, nn.StateDictWarning,
                nn.TrainingWarning, torch.optim.StaleGradientWarning, nn.ModuleUsageWarning):
        assert issubclass(cls, _messages.CATEGORIES)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(cls):
                warnings.warn("x", cls, stacklevel=1)


def test_ordered_dict_sequential_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 4)), ("act", nn.ReLU())]))
