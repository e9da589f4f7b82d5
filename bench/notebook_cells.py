"""The last chapter notebook's training cells, timed with d2lmods and with PyTorch.

    python -m bench.notebook_cells                     # 3 rounds, 1 thread
    python -m bench.notebook_cells --rounds 5 --threads 2
    python -m bench.notebook_cells --warm              # one untimed optimizer step first

The notebook (``notebooks/08-putting-it-together.ipynb``) imports ``d2lmods as torch``; the
torch run executes the same cells with its first cell's imports pointed at PyTorch
(``torch``, ``torch.nn``, ``torch.utils.data``). Each run is a fresh process per library (the
harness' environment: equal thread counts, OpenBLAS overrides removed), rounds alternate the
libraries. Cells that only draw (``plt.``) are skipped; every other code cell runs in order,
and the cells that call ``train(...)`` are timed (the MLP's and the CNN's 10 epochs each,
with their per-epoch evaluation), plus the whole sequence of cells.
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

from ._harness import ROOT, child_env

NOTEBOOK = pathlib.Path(ROOT) / "notebooks" / "08-putting-it-together.ipynb"
TORCH_IMPORTS = {
    "import d2lmods as torch": "import torch",
    "from d2lmods import nn": "from torch import nn",
    "from d2lmods.nn import functional as F": "from torch.nn import functional as F",
    "from d2lmods.utils.data import": "from torch.utils.data import",
}


def cells(lib):
    """``(source, is_training)`` for each code cell that runs, imports rewritten for ``lib``."""
    nb = json.loads(NOTEBOOK.read_text())
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "plt." in src:
            continue  # drawing only
        if lib == "torch":
            for ours, theirs in TORCH_IMPORTS.items():
                src = src.replace(ours, theirs)
            if "d2lmods" in src:
                raise RuntimeError(f"a cell still names d2lmods after the rewrite:\n{src}")
        training = any(
            line.split("=", 1)[-1].strip().startswith("train(") for line in src.splitlines()
        )
        out.append((src, training))
    return out


def _warm(lib):
    """One SGD step of a tiny model and conv layer first, untimed (PyTorch's first optimizer
    step loads its compiler stack, about 3 s; d2lmods loads its numba kernels)."""
    if lib == "torch":
        import torch as L
    else:
        import d2lmods as L
        import d2lmods.nn
        import d2lmods.optim  # noqa: F401
    net = L.nn.Sequential(L.nn.Conv2d(1, 2, 3), L.nn.ReLU(), L.nn.MaxPool2d(2), L.nn.Flatten())
    opt = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(L.zeros(2, 1, 6, 6)).sum().backward()
    opt.step()


def _child(lib, threads, warm):
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
    if warm:
        _warm(lib)
    os.environ.setdefault("MPLBACKEND", "Agg")
    ns = {"__name__": "__notebook__"}
    timings = []
    t_all = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for src, training in cells(lib):
            t0 = time.perf_counter()
            exec(compile(src, str(NOTEBOOK), "exec"), ns)
            if training:
                timings.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    acc = {k: ns[k]["test acc"][-1] for k in ("mlp_history", "cnn_history") if k in ns}
    print(json.dumps({"training": timings, "total": total, "test_acc": acc}))


def run(lib, threads, warm):
    cmd = [sys.executable, "-m", "bench.notebook_cells", "--child", lib, "--threads", str(threads)]
    cmd += ["--warm"] if warm else []
    r = subprocess.run(
        cmd, env=child_env(threads), cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if r.returncode != 0:
        raise RuntimeError(f"notebook child for {lib} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    p.add_argument(
        "--warm", action="store_true", help="run one untimed optimizer step first in each process"
    )
    p.add_argument("--child", choices=("d2lmods", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child, args.threads, args.warm)
        return
    print(
        f"{NOTEBOOK.name}, threads={args.threads}, warm={args.warm}, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    libs = ("d2lmods", "torch")
    res = {lib: [] for lib in libs}
    for r in range(args.rounds):
        for lib in libs if r % 2 == 0 else libs[::-1]:
            res[lib].append(run(lib, args.threads, args.warm))
    med = {}
    for lib in libs:
        runs = res[lib]
        n_cells = len(runs[0]["training"])
        med[lib] = [statistics.median(x["training"][i] for x in runs) for i in range(n_cells)]
        med[lib].append(statistics.median(x["total"] for x in runs))
        print(
            f"  {lib:<8} training cells (median s): "
            + ", ".join(f"{t:.2f}" for t in med[lib][:-1])
            + f"; all cells {med[lib][-1]:.2f} s; test accuracy "
            + ", ".join(f"{k.split('_')[0]} {v:.3f}" for k, v in runs[-1]["test_acc"].items())
        )
    ratios = [a / b for a, b in zip(med["d2lmods"], med["torch"])]
    print(
        "  ratio d2lmods/torch: "
        + ", ".join(f"{r:.2f}" for r in ratios[:-1])
        + f" (training cells); {ratios[-1]:.2f} (all cells)"
    )
    print(f"  load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
