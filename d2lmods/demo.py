"""A small end-to-end run: train an MLP on a synthetic 3-class problem and watch the loss fall.

    python -m d2lmods.demo

The data (three noisy spirals) is generated here, so nothing is downloaded. The model is
written exactly as it would be with PyTorch (``import d2lmods as torch``).
"""

import sys
import time

import numpy as np

import d2lmods as torch
from d2lmods import nn


def spirals(n_per_class=200, classes=3, noise=0.2, seed=0):
    """Points on ``classes`` interleaved spiral arms: (features (N, 2) float32, labels (N,))."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.1, 1.0, n_per_class)
        theta = np.linspace(c * 2 * np.pi / classes, c * 2 * np.pi / classes + 4.0, n_per_class)
        theta = theta + rng.normal(0, noise, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], 1))
        ys.append(np.full(n_per_class, c))
    return (torch.tensor(np.concatenate(xs).astype(np.float32)), torch.tensor(np.concatenate(ys)))


def main(epochs=300, lr=0.5, out=sys.stdout):
    torch.manual_seed(0)
    X, y = spirals()
    net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    print(net, file=out)
    t0 = time.perf_counter()
    losses = []
    for epoch in range(1, epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if epoch == 1 or epoch % 50 == 0:
            with torch.no_grad():
                acc = (net(X).argmax(dim=1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  train accuracy {acc:.3f}", file=out)
    print(
        f"{epochs} full-batch steps on {len(y)} points in {time.perf_counter() - t0:.2f} s",
        file=out,
    )
    return losses


if __name__ == "__main__":
    losses = main()
    if not losses[-1] < losses[0] / 2:
        sys.exit("the loss did not go down: something is wrong")
