"""CNN training steps, d2lmods vs PyTorch CPU: time and peak memory, each library in its own process.

    python -m bench.cnn                          # every model, 1 thread, 3 rounds
    python -m bench.cnn --quick                  # 1 round, small ResNet batch: a smoke test
    python -m bench.cnn lenet resnet18 --threads 2
    python -m bench.cnn --resnet-batch 8         # smaller ResNet batch for a quick look

Workloads (one SGD step: zero_grad, forward, cross-entropy, backward, step; float32; identical
weights and data in both libraries):

* ``lenet`` / ``lenet_relu``: D2L's LeNet-5 (sigmoid + average pooling) and its ReLU +
  max-pooling variant, batch 64 of 1x28x28 (the model of ``tests/fixtures/models.py``).
* ``resnet18``: D2L's ResNet-18 (``Residual`` blocks with BatchNorm2d, 1x1 projection shortcuts,
  global average pooling), batch 32 of 1x96x96. Built with eager layers (``Conv2d``,
  ``BatchNorm2d``) where D2L uses lazy ones; the computation is the same.
* ``vgg``: a VGG-style stack of ``vgg_block``s ((1, 16), (1, 32), (2, 64)) and a two-layer
  head, batch 16 of 1x64x64.
* ``densenet``: D2L's DenseNet stem, one dense block (4 conv blocks, growth rate 32) and a
  transition block, global average pooling and a linear head, batch 32 of 1x96x96.

Peak memory: in a separate process per library, one step on a batch of 2 first loads every
kernel; then ``/proc/self/clear_refs`` resets the peak RSS and three steps run at full size.
The figure is peak RSS during those steps minus RSS before them (both libraries alike; arrays
either library keeps between steps count, since they were allocated in the measured steps).
"""

import argparse
import gc
import json
import os
import subprocess
import sys

import numpy as np

from tests.fixtures.models import lenet

from ._harness import ROOT, child_env, compare, report

MODELS = ("lenet", "lenet_relu", "resnet18", "vgg", "densenet")
DEFAULT_BATCH = {"lenet": 64, "lenet_relu": 64, "resnet18": 32, "vgg": 16, "densenet": 32}
INPUT_HW = {"lenet": 28, "lenet_relu": 28, "resnet18": 96, "vgg": 64, "densenet": 96}


# -- models, written once for either library ---------------------------------------------------
def resnet18(lib, num_classes=10):
    nn = lib.nn
    F = nn.functional

    class Residual(nn.Module):
        """D2L's residual block: two 3x3 convolutions, an optional 1x1 projection shortcut."""

        def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(
                in_channels, num_channels, kernel_size=3, padding=1, stride=strides
            )
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = (
                nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
                if use_1x1conv
                else None
            )
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            return F.relu(Y + X)

    def block(in_channels, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels, num_channels))
        return nn.Sequential(*blk)

    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        ),
        block(64, 2, 64, first_block=True),
        block(64, 2, 128),
        block(128, 2, 256),
        block(256, 2, 512),
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes)),
    )


def vgg(lib, arch=((1, 16), (1, 32), (2, 64)), hw=64, num_classes=10):
    nn = lib.nn

    def vgg_block(num_convs, in_channels, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            in_channels = out_channels
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    blocks, c = [], 1
    for num_convs, out_channels in arch:
        blocks.append(vgg_block(num_convs, c, out_channels))
        c = out_channels
    side = hw // 2 ** len(arch)
    return nn.Sequential(
        *blocks,
        nn.Flatten(),
        nn.Linear(c * side * side, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),
    )


def densenet(lib, num_convs=4, growth_rate=32, num_classes=10):
    nn = lib.nn

    def conv_block(in_channels, num_channels):
        return nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),
            nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1),
        )

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, in_channels, num_channels):
            super().__init__()
            self.net = nn.Sequential(
                *[
                    conv_block(in_channels + i * num_channels, num_channels)
                    for i in range(num_convs)
                ]
            )

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = lib.cat((X, Y), dim=1)  # concatenate along the channels
            return X

    c = 64 + num_convs * growth_rate
    return nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        DenseBlock(num_convs, 64, growth_rate),
        nn.BatchNorm2d(c),  # transition block: halve channels and size
        nn.ReLU(),
        nn.Conv2d(c, c // 2, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(c // 2, num_classes),
    )


def build(lib, model):
    if model in ("lenet", "lenet_relu"):
        return lenet(lib, "relu" if model == "lenet_relu" else "sigmoid")
    return {"resnet18": resnet18, "vgg": vgg, "densenet": densenet}[model](lib)


# -- the workload --------------------------------------------------------------------------------
def cnn_step(lib, model="lenet", batch=None, lr=0.05, _net=None):
    """One SGD step of ``model`` on a fixed random batch (the harness times it)."""
    batch = batch or DEFAULT_BATCH[model]
    net = _net or build(lib, model)
    rng = np.random.default_rng(0)
    if _net is None:
        with lib.no_grad():  # identical weights in both libraries
            for p in net.parameters():
                fan_in = int(np.prod(p.shape[1:])) if len(p.shape) > 1 else p.shape[0]
                bound = 1.0 / np.sqrt(fan_in)
                p.copy_(lib.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    hw = INPUT_HW[model]
    X = lib.tensor(rng.standard_normal((batch, 1, hw, hw)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(net.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()

    step.net = net
    return step


# -- peak memory, in a child process -------------------------------------------------------------
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _memory_child(lib_name, model, batch, threads):
    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(threads)
    else:
        import d2lmods as lib
        import d2lmods.nn
        import d2lmods.optim  # noqa: F401
    warm = cnn_step(lib, model, batch=2)  # loads every kernel; small enough to pool nothing
    warm()
    step = cnn_step(lib, model, batch=batch, _net=warm.net)
    del warm
    gc.collect()
    rss0 = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS mark (VmHWM) to the current RSS
    for _ in range(3):
        step()
    peak = _status_kib("VmHWM")
    print(json.dumps({"rss_before_mib": rss0 / 1024, "peak_delta_mib": (peak - rss0) / 1024}))


def peak_memory(lib_name, model, batch, threads):
    cmd = [sys.executable, "-m", "bench.cnn", "--memory-child", lib_name, model,
           "--batch", str(batch), "--threads", str(threads)]  # fmt: skip
    r = subprocess.run(
        cmd, env=child_env(threads), cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if r.returncode != 0:
        raise RuntimeError(f"memory child for {lib_name} {model} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description="CNN training steps vs PyTorch: time and memory")
    p.add_argument("models", nargs="*", help=f"any of {', '.join(MODELS)} (default: all)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=None, help="batch size for every model")
    p.add_argument("--resnet-batch", type=int, default=None, help="batch size for resnet18")
    p.add_argument("--quick", action="store_true", help="1 round, ResNet batch 8")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    p.add_argument("--memory-child", nargs=2, metavar=("LIB", "MODEL"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        _memory_child(*args.memory_child, args.batch, args.threads)
        return
    models = args.models or MODELS
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    rounds, repeats = (1, 3) if args.quick else (args.rounds, args.repeats)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, threads={args.threads}, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for model in models:
        batch = args.batch or DEFAULT_BATCH[model]
        if model == "resnet18":
            batch = args.resnet_batch or (8 if args.quick and not args.batch else batch)
        heavy = model in ("resnet18", "densenet")
        res = compare(
            "bench.cnn:cnn_step",
            {"model": model, "batch": batch},
            threads=args.threads,
            rounds=rounds,
            repeats=repeats,
            inner=1 if heavy else 5,
            warmup=2,
        )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{report(res)}\n  load average after: {load}")
        if not args.no_memory:
            mem = {lib: peak_memory(lib, model, batch, args.threads) for lib in res["results"]}
            line = "  peak memory of a step (RSS above the pre-step level): " + ", ".join(
                f"{lib} {m['peak_delta_mib']:.1f} MiB" for lib, m in mem.items()
            )
            if len(mem) == 2 and mem["torch"]["peak_delta_mib"] > 0:
                ratio = mem["d2lmods"]["peak_delta_mib"] / mem["torch"]["peak_delta_mib"]
                line += f" (ratio {ratio:.2f})"
            print(line)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
