"""Module-system overhead, d2lmods vs PyTorch CPU: calls, traversal, state_dict round trips.

These workloads are small on purpose: the arithmetic is tiny, so what is timed is
what ``nn.Module`` itself costs (``__call__`` with its checks and hooks, walking the
registries, building and loading state dicts, lazy materialization).

    python -m bench.modules            # all workloads, 2 threads, medians and ratios
"""

import sys

from bench._harness import compare, report


def deep_call(lib, depth=32, width=16):
    """Forward of a Sequential of ``depth`` Linear+ReLU pairs on one example (call-bound)."""
    nn = lib.nn
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    net = nn.Sequential(*layers)
    x = lib.randn(1, width)

    def step():
        with lib.no_grad():
            net(x)

    return step


def traverse(lib, depth=32, width=16):
    """``named_parameters()``, ``named_modules()``, ``train()/eval()`` over a 64-module model."""
    nn = lib.nn
    net = nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(depth)])

    def step():
        list(net.named_parameters())
        list(net.named_modules())
        net.eval()
        net.train()

    return step


def state_dict_round_trip(lib, depth=32, width=64):
    """``state_dict()`` of one model loaded into a second one (copies in place)."""
    nn = lib.nn

    def make():
        return nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)])

    src, dst = make(), make()

    def step():
        dst.load_state_dict(src.state_dict())

    return step


def lazy_materialize(lib, width=256):
    """Build an MLP of LazyLinear layers and run its first (materializing) call."""
    nn = lib.nn
    x = lib.randn(8, width)

    def step():
        net = nn.Sequential(
            nn.LazyLinear(width), nn.ReLU(), nn.LazyLinear(width), nn.ReLU(), nn.LazyLinear(10)
        )
        with lib.no_grad():
            net(x)

    return step


WORKLOADS = ["deep_call", "traverse", "state_dict_round_trip", "lazy_materialize"]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names = argv or WORKLOADS
    for name in names:
        results = compare(f"bench.modules:{name}", threads=2, rounds=3, repeats=7, inner=20)
        print(report(results), flush=True)


if __name__ == "__main__":
    main()
