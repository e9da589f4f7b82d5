"""Mistakes of the training and evaluation loop (PyTorch is silent or misleading on each).

Each mistake warns or raises once, naming the cause, the place and a fix; its corrected twin
runs with every warning turned into an error.
"""
import warnings

import pytest

import d2lmods as torch
from d2lmods import nn
from d2lmods.nn import functional as F, utils

TW = nn.TrainingWarning


def silent(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def record(fn, *args, **kwargs):
    """Run ``fn``; the d2lmods warnings it gave (each shown, not deduplicated)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    return [w for w in caught if issubclass(w.category, nn.ModuleUsageWarning)]


def _data(n=8):
    torch.manual_seed(0)
    return torch.randn(n, 4), torch.randint(0, 3, (n,))


def _classifier(*extra):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), *extra, nn.Linear(8, 3))


# ---- softmax before the cross-entropy loss ----------------------------------------------------

@pytest.mark.parametrize("squash,name", [(nn.Softmax(dim=1), "softmax"),
                                         (nn.LogSoftmax(dim=1), "log_softmax")])
def test_softmax_before_cross_entropy(squash, name):
    X, y = _data()
    net = nn.Sequential(_classifier(), squash)
    loss_fn = nn.CrossEntropyLoss()

    def train():
        for _ in range(3):
            loss_fn(net(X), y).backward()

    caught = record(train)
    assert len(caught) == 1 and caught[0].category is TW
    text = str(caught[0].message)
    assert f"already went through {name}" in text and "(8, 3)" in text
    assert "raw scores" in text and caught[0].filename == __file__

    def correct():
        plain = _classifier()
        loss_fn(plain(X), y).backward()
        F.cross_entropy(plain(X), y).backward()
        F.nll_loss(F.log_softmax(plain(X), dim=1), y).backward()   # NLLLoss wants log-probs
        F.softmax(plain(X), dim=1).argmax(dim=1)                    # probabilities to show

    silent(correct)


def test_functional_cross_entropy_after_softmax():
    X, y = _data()
    with pytest.warns(TW, match=r"cross_entropy got an input of shape \(8, 3\) that already went "
                                r"through softmax"):
        F.cross_entropy(F.softmax(_classifier()(X), dim=1), y)


# ---- evaluation in training mode -----------------------------------------------------------

@pytest.mark.parametrize("layer,name", [(nn.Dropout(0.5), "Dropout at 2"),
                                        (nn.BatchNorm1d(8), "BatchNorm1d at 2")])
def test_evaluation_without_eval(layer, name):
    X, y = _data()
    net = _classifier(layer)

    def evaluate():
        with torch.no_grad():
            for _ in range(3):
                (net(X).argmax(dim=1) == y).float().mean()

    caught = record(evaluate)
    assert len(caught) == 1 and caught[0].category is TW
    text = str(caught[0].message)
    assert "Sequential is called under torch.no_grad() but is still in training mode" in text
    assert name in text and "net.eval()" in text and caught[0].filename == __file__

    def correct():
        net.eval()
        evaluate()
        net.train()
        F.cross_entropy(net(X), y).backward()
        with torch.no_grad():                       # no Dropout/BatchNorm: the mode is irrelevant
            _classifier()(X)

    silent(correct)


class FunctionalDropout(nn.Module):
    def __init__(self, pass_mode):
        super().__init__()
        self.hidden, self.out = nn.Linear(4, 8), nn.Linear(8, 3)
        self.pass_mode = pass_mode

    def forward(self, X):
        H = self.hidden(X).relu()
        H = F.dropout(H, 0.5, training=self.training) if self.pass_mode else F.dropout(H, 0.5)
        return self.out(H)


def test_functional_dropout_without_training_flag():
    X, _ = _data()
    net = FunctionalDropout(False)
    silent(net, X)                                   # training mode: same as intended
    net.eval()
    caught = record(lambda: [net(X) for _ in range(3)])
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "F.dropout in FunctionalDropout.forward was called without training=" in text
    assert "training=self.training" in text
    good = FunctionalDropout(True)
    silent(good, X)
    good.eval()
    out = silent(lambda: (good(X), good(X)))
    assert torch.equal(out[0], out[1])               # eval() turned it off


# ---- total_loss += loss -----------------------------------------------------------------------

@pytest.mark.parametrize("after_backward", [True, False])
def test_summing_losses_across_batches(after_backward):
    X, y = _data()
    net = _classifier()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def train():
        total_loss = 0
        for _ in range(3):
            loss = F.cross_entropy(net(X), y)
            if not after_backward:
                total_loss += loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if after_backward:
                total_loss += loss
        return total_loss

    caught = record(train)
    assert len(caught) == 1
    assert "total_loss += loss.item()" in str(caught[0].message)


def test_loss_terms_summed_before_one_backward_are_silent():
    X, y = _data()
    net = _classifier()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def train():
        total_loss = 0.0
        for _ in range(3):
            out = net(X)
            a, b = F.cross_entropy(out, y), (out ** 2).mean()
            loss = a + b
            reg = sum((p ** 2).sum() for p in net.parameters())
            loss += 0.01 * reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item()
            total_loss += float(loss.detach())
        return total_loss

    silent(train)


# ---- in-place writes through .data on a non-leaf in forward ---------------------------------

class Rescale(nn.Module):
    def __init__(self, through_data):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.through_data = through_data

    def forward(self, X):
        H = self.fc(X)
        if self.through_data:
            H.data.clamp_(-1, 1)
        else:
            H = H.clamp(-1, 1)
        return H


def test_data_write_on_a_non_leaf_in_forward():
    X, _ = _data()
    net = Rescale(True)
    caught = record(lambda: [net(X).sum().backward() for _ in range(2)])
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "through .data" in text and "(8, 4)" in text and "Rescale" in text
    assert "X.clamp(0, 1)" in text

    def correct():
        Rescale(False)(X).sum().backward()
        lin = nn.Linear(4, 4)
        lin.weight.data.clamp_(-1, 1)                  # a parameter (leaf) through .data: fine
        with torch.no_grad():
            lin(X).data.mul_(2)                        # no graph recorded: nothing to miss
        lin(X).data.numpy()                            # reading is fine

    silent(correct)


# ---- step() without gradients -------------------------------------------------------------

@pytest.mark.parametrize("order", ["no_backward", "zero_after_backward"])
def test_step_without_gradients(order):
    X, y = _data()
    net = _classifier()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def train():
        for _ in range(2):
            loss = F.cross_entropy(net(X), y)
            if order == "no_backward":
                opt.zero_grad()
                opt.step()
            else:
                loss.backward()
                opt.zero_grad()
                opt.step()

    caught = record(train)
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "SGD.step() found no gradient on any parameter" in text
    if order == "no_backward":
        assert "no backward() ran since the last zero_grad()" in text
    else:
        assert "zero_grad() ran after backward()" in text
        assert "optimizer.zero_grad(); loss.backward(); optimizer.step()" in text


@pytest.mark.parametrize("set_to_none", [True, False])
def test_usual_step_orders_are_silent(set_to_none):
    X, y = _data()
    net = _classifier()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)

    def train():
        for _ in range(2):
            opt.zero_grad(set_to_none=set_to_none)
            F.cross_entropy(net(X), y).backward()
            opt.step()
        opt.zero_grad(set_to_none=set_to_none)
        for _ in range(2):                              # backward; step; zero_grad
            F.cross_entropy(net(X), y).backward()
            opt.step()
            opt.zero_grad(set_to_none=set_to_none)

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(net(X), y)
            loss.backward()
            return loss

        opt.step(closure)

    silent(train)


# ---- a layer created inside forward --------------------------------------------------------

def test_layer_created_inside_forward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 20)

        def forward(self, X):
            return nn.Linear(20, 10)(self.hidden(X))

    net = Net()
    caught = record(lambda: [net(torch.randn(2, 20)) for _ in range(3)])
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "A new Linear is created inside Net.forward" in text
    assert "not in Net.parameters()" in text and "Net.__init__" in text

    class Good(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = nn.Linear(20, 20), nn.Linear(20, 10)
            self.body = nn.Sequential(nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 10))

        def forward(self, X):
            H = nn.ReLU()(self.hidden(X))              # no weights: nothing to train
            H = self.body[:2](H)                       # a slice of registered layers
            return self.out(H) + nn.Flatten()(X)[:, :10]

    silent(lambda: Good()(torch.randn(2, 20)))


# ---- the parameters() generator used up ---------------------------------------------------

def test_parameters_generator_used_up():
    net = _classifier()
    params = net.parameters()
    print(sum(p.numel() for p in params))
    with pytest.raises(ValueError) as err:
        torch.optim.SGD(params, lr=0.1)
    text = str(err.value)
    assert "already used up" in text and "optimizer = torch.optim.SGD(net.parameters(), lr=0.1)" in text
    params = list(net.parameters())
    silent(lambda: (sum(p.numel() for p in params), torch.optim.SGD(params, lr=0.1)))


# ---- a loss computed under no_grad, then backward ----------------------------------------

def test_backward_of_a_loss_computed_under_no_grad():
    X, y = _data()
    net = _classifier()
    with torch.no_grad():
        out = net(X)
    loss = nn.CrossEntropyLoss()(out, y)        # the loss outside, the forward inside no_grad
    with pytest.raises(RuntimeError) as err:
        loss.backward()
    text = str(err.value)
    assert text.startswith("element 0 of tensors does not require grad and does not have a grad_fn")
    assert "computed under torch.no_grad() (Sequential last ran" in text
    assert "outside the `with torch.no_grad():` block" in text

    def correct():
        with torch.no_grad():
            F.cross_entropy(net(X), y)                  # validation
        F.cross_entropy(net(X), y).backward()

    silent(correct)


# ---- a parameter or layer replaced after the optimizer was built -----------------------------

def test_parameter_replaced_after_the_optimizer():
    X, y = _data()
    net = _classifier()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net[0].weight = nn.Parameter(torch.zeros(8, 4))
    F.cross_entropy(net(X), y).backward()
    with pytest.warns(TW, match=r"SGD.step\(\) still updates the old parameter 'weight' of Linear"):
        opt.step()
    assert float(net[0].weight.detach().abs().sum()) == 0.0     # indeed never trained


def test_layer_replaced_after_the_optimizer():
    X, y = _data()
    net = _classifier()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net[2] = nn.Linear(8, 3)
    F.cross_entropy(net(X), y).backward()
    with pytest.warns(TW, match=r"still updates the old module '2' of Sequential"):
        opt.step()


def test_replacement_before_the_optimizer_is_silent():
    X, y = _data()

    def correct():
        net = _classifier()
        net[0].weight = nn.Parameter(torch.zeros(8, 4))
        net[2] = nn.Linear(8, 3)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        F.cross_entropy(net(X), y).backward()
        opt.step()
        old = torch.optim.SGD(net.parameters(), lr=0.1)       # transfer learning: new head,
        net[2] = nn.Linear(8, 3)                               # new optimizer, old one unused
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        F.cross_entropy(net(X), y).backward()
        opt.step()
        with torch.no_grad():
            net[0].weight.copy_(torch.ones(8, 4))              # in place: the optimizer sees it
        old.zero_grad()

    silent(correct)


# ---- module.requires_grad = False ----------------------------------------------------------

def test_requires_grad_attribute_on_a_module():
    net = _classifier()
    with pytest.warns(nn.ModuleUsageWarning, match=r"Linear.requires_grad = False sets a plain "
                                                   r"Python attribute.*requires_grad_\(False\)"):
        net[0].requires_grad = False
    assert net[0].weight.requires_grad                          # nothing was frozen

    def correct():
        net[0].requires_grad_(False)
        for p in net[2].parameters():
            p.requires_grad = False

    silent(correct)
    assert not net[0].weight.requires_grad and not net[2].weight.requires_grad


# ---- train()/eval() shadowed --------------------------------------------------------------

def test_model_defining_its_own_train():
    with pytest.warns(nn.ModuleUsageWarning) as rec:
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)

            def train(self, X, y, epochs=10):
                return epochs

    text = str(rec[0].message)
    findings = utils.find_mode_overrides(nn.Sequential(Model()))
    assert [(f.path, f.type_name, f.method, f.problem) for f in findings] == \
        [("0", "Model", "train", text)]
    assert "Model defines its own train(X, y, epochs=10)" in text
    assert "`def fit(self, X, y, epochs=10):`" in text
    assert rec[0].filename == __file__

    def correct():
        class Model(nn.Module):
            def train(self, mode=True):                 # an override that keeps the contract
                super().train(mode)
                return self

            def fit(self, X, y, epochs=10):
                return epochs

        class Frozen(nn.Module):
            def eval(self):
                return super().eval()

        Model().eval()
        Frozen().train()
        assert utils.find_mode_overrides(nn.Sequential(Model(), Frozen())) == []

    silent(correct)


# ---- loss arguments swapped ----------------------------------------------------------------

def test_cross_entropy_arguments_swapped():
    X, y = _data()
    net = _classifier()
    with pytest.raises(ValueError) as err:
        nn.CrossEntropyLoss()(y, net(X))
    text = str(err.value)
    assert "got its arguments the other way round" in text and "(8,)" in text and "(8, 3)" in text
    assert "loss_fn(y_hat, y)" in text
    silent(lambda: nn.CrossEntropyLoss()(net(X), y).backward())


def test_bce_arguments_swapped():
    X, _ = _data()
    net = nn.Linear(4, 1)
    y = (torch.rand(8, 1) > 0.5).float()
    with pytest.warns(TW, match=r"binary_cross_entropy_with_logits got its arguments the other way"):
        nn.BCEWithLogitsLoss()(y, net(X))
    silent(lambda: nn.BCEWithLogitsLoss()(net(X), y).backward())


# ---- cross-entropy targets of the wrong kind ------------------------------------------------

@pytest.mark.parametrize("target,exc,expected", [
    (torch.tensor([0.0, 2.0, 1.0, 1.0]), RuntimeError, "y.long()"),
    (torch.zeros(4, 5), RuntimeError, "argmax"),
    (torch.tensor([[0], [2], [1], [1]]), ValueError, "y.reshape(-1)"),
])
def test_cross_entropy_targets_of_the_wrong_kind(target, exc, expected):
    with pytest.raises(exc) as err:
        F.cross_entropy(torch.randn(4, 3), target)
    text = str(err.value)
    assert ("cross_entropy expects either class indices (int64) of shape (N,), one label per "
            "sample, or class probabilities (float) of the input's shape (N, C)") in text
    assert expected in text


# ---- one BatchNorm at two places -------------------------------------------------------------

def test_one_batchnorm_at_two_places():
    bn = nn.BatchNorm1d(8)
    net = nn.Sequential(nn.Linear(4, 8), bn, nn.ReLU(), nn.Linear(8, 8), bn, nn.Linear(8, 3))
    X, _ = _data()
    caught = record(lambda: [net(X) for _ in range(3)])
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "The same BatchNorm1d instance runs at Sequential.1, Sequential.4" in text
    assert "`nn.BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, " \
           "track_running_stats=True)` for each" in text
    assert [(type(f.obj).__name__, f.paths) for f in utils.find_shared_norms(net)] == \
        [("BatchNorm1d", ["1", "4"])]

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.bn = nn.Linear(8, 8), nn.BatchNorm1d(8)

        def forward(self, X):
            return self.bn(self.fc(self.bn(X)))

    with pytest.warns(TW, match=r"runs at Twice.bn \(twice\)"):
        Twice()(torch.randn(4, 8))

    def correct():
        good = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8),
                             nn.BatchNorm1d(8), nn.Linear(8, 3))
        for _ in range(2):
            good(X)
        assert utils.find_shared_norms(good) == []
        tied = nn.Linear(8, 8)                           # weight tying of a Linear is fine
        nn.Sequential(nn.Linear(4, 8), tied, nn.ReLU(), tied)(X)
        net.eval()
        net(X)

    silent(correct)
