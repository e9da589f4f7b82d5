"""LeNet training step, d2lmods vs PyTorch CPU, same threads, separate processes.

    python -m bench.lenet                 # full run (3 rounds x 7 samples per library)
    python -m bench.lenet --quick         # 1 round, for a smoke test
    python -m bench.lenet --variant relu  # the ReLU / max-pooling variant
    python -m bench.lenet --profile       # where d2lmods spends one step (cProfile, top entries)

Workload ``lenet_step``: one SGD step (zero_grad, forward, cross-entropy, backward, step) of
D2L's LeNet-5 on a batch of 64 single-channel 28x28 images, float32:

    Conv2d(1, 6, 5, padding=2) -> Sigmoid -> AvgPool2d(2, 2) ->
    Conv2d(6, 16, 5) -> Sigmoid -> AvgPool2d(2, 2) -> Flatten ->
    Linear(400, 120) -> Sigmoid -> Linear(120, 84) -> Sigmoid -> Linear(84, 10)

``--variant relu`` swaps Sigmoid/AvgPool2d for ReLU/MaxPool2d (the "modern" LeNet).
Both libraries run the identical code with the same weights and data. Target: <= 2x PyTorch.
"""

import argparse
import os
import sys

import numpy as np

from tests.fixtures.models import lenet

from ._harness import compare, report


def lenet_step(lib, batch=64, variant="sigmoid", lr=0.9):
    net = lenet(lib, variant)
    rng = np.random.default_rng(0)
    with lib.no_grad():  # identical weights in both libraries
        for p in net.parameters():
            fan_in = int(np.prod(p.shape[1:])) if len(p.shape) > 1 else p.shape[0]
            bound = 1.0 / np.sqrt(fan_in)
            p.copy_(lib.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    X = lib.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(net.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()

    return step


def profile(variant, steps=30, top=15):
    import cProfile
    import pstats

    import d2lmods

    step = lenet_step(d2lmods, variant=variant)
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv=None):
    p = argparse.ArgumentParser(description="LeNet training step vs PyTorch")
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--variant", choices=("sigmoid", "relu"), default="sigmoid")
    p.add_argument("--quick", action="store_true", help="one round, fewer samples")
    p.add_argument("--profile", action="store_true", help="profile d2lmods in this process")
    args = p.parse_args(argv)
    if args.profile:
        profile(args.variant)
        return
    rounds, repeats = (1, 3) if args.quick else (args.rounds, args.repeats)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    res = compare(
        "bench.lenet:lenet_step",
        {"batch": args.batch, "variant": args.variant},
        threads=args.threads,
        rounds=rounds,
        repeats=repeats,
        inner=5,
        warmup=3,
    )
    print(report(res))


if __name__ == "__main__":
    main()
