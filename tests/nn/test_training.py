"""End-to-end training on scikit-learn's bundled 8x8 digits (no download): an MLP and a small CNN
reach a stated held-out accuracy within seconds, using only the PyTorch-style API."""

import time

import numpy as np
import pytest

import d2lmods as torch
from d2lmods import nn
from d2lmods.utils.data import DataLoader, TensorDataset

datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X[perm], y[perm].astype(np.int64)
    cut = int(0.8 * len(X))
    return X[:cut], y[:cut], X[cut:], y[cut:]


def _fit(net, X, y, epochs, lr, image=False):
    torch.manual_seed(0)
    if image:
        X = X.reshape(-1, 1, 8, 8)
    loader = DataLoader(
        TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=64, shuffle=True
    )
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        net.train()
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(yb)
        losses.append(total / len(y))
    return losses


def _accuracy(net, X, y, image=False):
    if image:
        X = X.reshape(-1, 1, 8, 8)
    net.eval()
    with torch.no_grad():
        pred = net(torch.tensor(X)).argmax(dim=1).numpy()
    return float((pred == y).mean())


def test_mlp_reaches_95_percent(digits):
    Xtr, ytr, Xte, yte = digits
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
    start = time.perf_counter()
    losses = _fit(net, Xtr, ytr, epochs=15, lr=3e-3)
    acc = _accuracy(net, Xte, yte)
    assert losses[-1] < losses[0] / 5
    assert acc >= 0.95, f"held-out accuracy {acc:.3f}"
    print(f"MLP: held-out accuracy {acc:.3f} in {time.perf_counter() - start:.1f}s")


def test_small_cnn_reaches_93_percent(digits):
    Xtr, ytr, Xte, yte = digits
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.LazyLinear(64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    start = time.perf_counter()
    _fit(net, Xtr, ytr, epochs=8, lr=3e-3, image=True)
    acc = _accuracy(net, Xte, yte, image=True)
    assert acc >= 0.93, f"held-out accuracy {acc:.3f}"
    print(f"CNN: held-out accuracy {acc:.3f} in {time.perf_counter() - start:.1f}s")


def test_trained_model_survives_save_and_load(digits, tmp_path):
    Xtr, ytr, Xte, yte = digits
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
    X, y = torch.tensor(Xtr), torch.tensor(ytr)
    for _ in range(60):
        loss = nn.functional.cross_entropy(net(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = _accuracy(net, Xte, yte)
    assert acc > 0.9
    torch.save(net.state_dict(), tmp_path / "digits.params")
    torch.save(opt.state_dict(), tmp_path / "digits.opt")
    clone = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    clone.load_state_dict(torch.load(tmp_path / "digits.params"))
    assert _accuracy(clone, Xte, yte) == acc
    opt2 = torch.optim.SGD(clone.parameters(), lr=0.5, momentum=0.9)
    opt2.load_state_dict(torch.load(tmp_path / "digits.opt"))
    # one more identical step on both keeps them identical (momentum buffers were restored)
    for model, o in ((net, opt), (clone, opt2)):
        model.train()
        loss = nn.functional.cross_entropy(model(X), y)
        o.zero_grad()
        loss.backward()
        o.step()
    for a, b in zip(net.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
