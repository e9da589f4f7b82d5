"""Visible checks for the "custom" assignment: run them from the notebook as often as you like.

Each ``check_*`` function prints one line per check and raises ``AssertionError`` at the end if
any failed; the error's message lists what failed and why.  The grade comes from hidden checks,
which ask the same questions on inputs you have not seen.

    >>> check_custom_layers(CenteredLayer, MyLinear)      # doctest: +SKIP
    [ok] CenteredLayer subtracts the mean of all elements
    ...
"""

import linecache
import os
import tempfile
import warnings

import numpy as np

import d2lmods as torch
from d2lmods import nn


class VisibleChecksFailed(AssertionError):
    """Some visible checks failed; the message lists them."""


_RAISE_LINE = "raise error from None  # what failed, and why:\n"
_RAISE = compile(_RAISE_LINE, "<visible checks>", "exec")
linecache.cache["<visible checks>"] = (len(_RAISE_LINE), None, [_RAISE_LINE], "<visible checks>")


def _run(title, checks):
    """Run (description, function) pairs; print a report; raise if anything failed."""
    __tracebackhide__ = True  # IPython shows the error, not this module's frames
    print(title)
    failures = []
    for description, fn in checks:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                problem = fn()
            except NotImplementedError:
                problem = "not implemented yet (the cell still raises NotImplementedError)"
            except Exception as e:  # the student's code raised: show it as a message
                problem = f"raised {type(e).__name__}: {e}"
        print(
            f"  [{'FAILED' if problem else 'ok'}] {description}"
            + (f": {problem}" if problem else "")
        )
        for w in caught:
            print(f"         note: {w.category.__name__}: {w.message}")
        if problem:
            failures.append(f"{description}: {problem}")
    if failures:
        error = VisibleChecksFailed(
            f"{len(failures)} of {len(checks)} visible checks of {title} failed:\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
        # raised from a one-line frame of its own, so the student reads the failures, not this file
        exec(_RAISE, {"error": error})
    print("All visible checks passed.")


def _close(a, b):
    a, b = np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy())
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


def check_custom_layers(CenteredLayer, MyLinear):
    __tracebackhide__ = True
    torch.manual_seed(4)
    X = torch.randn(3, 4) + 2

    def centered():
        y = CenteredLayer()(X)
        if not _close(y, X - X.mean()):
            return "the output is not X - X.mean() (the mean of all elements)"

    def no_params():
        n = len(list(CenteredLayer().parameters()))
        if n:
            return f"found {n} parameters; a centered layer has nothing to learn"

    def params():
        got = {k: tuple(p.shape) for k, p in MyLinear(4, 2).named_parameters()}
        if got != {"weight": (4, 2), "bias": (2,)}:
            return f"expected Parameters weight (4, 2) and bias (2,), found {got or 'none'}"

    def forward():
        layer = MyLinear(4, 2)
        if not _close(layer(X), X @ layer.weight + layer.bias):
            return "the output is not X @ weight + bias"

    def grads():
        layer = MyLinear(4, 2)
        layer(X).sum().backward()
        if layer.weight.grad is None or layer.bias.grad is None:
            return "after backward() weight.grad or bias.grad is None"

    _run(
        "CenteredLayer and MyLinear",
        [
            ("CenteredLayer subtracts the mean of all elements", centered),
            ("CenteredLayer has no parameters", no_params),
            ("MyLinear registers weight and bias as Parameters", params),
            ("MyLinear computes X @ weight + bias", forward),
            ("gradients reach weight and bias", grads),
        ],
    )


def check_tied_params(get_parameter, tied_net):
    __tracebackhide__ = True
    torch.manual_seed(5)

    def by_name():
        net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Sequential(nn.Linear(2, 2)))
        if get_parameter(net, "2.0.bias") is not dict(net.named_parameters())["2.0.bias"]:
            return "get_parameter(net, '2.0.bias') is not the registered Parameter (a copy?)"

    def tied():
        net = tied_net(3, 4, 1)
        if not isinstance(net, nn.Sequential) or len(net) != 7:
            size = len(net) if isinstance(net, nn.Module) and hasattr(net, "__len__") else "?"
            return f"expected an nn.Sequential of 7 modules, got a {type(net).__name__} of {size}"
        if net[2] is not net[4]:
            return "net[2] and net[4] are different modules: create the shared layer once"

    def count():
        n = len(list(tied_net(3, 4, 1).parameters()))
        if n != 6:
            return f"expected 6 parameter tensors (the shared layer once), found {n}"

    _run(
        "get_parameter and tied_net",
        [
            ("get_parameter returns the Parameter itself", by_name),
            ("tied_net shares one layer", tied),
            ("parameters() lists the shared layer once", count),
        ],
    )


def check_file_io(save_params, load_params):
    __tracebackhide__ = True
    torch.manual_seed(6)

    def make_net():
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2))

    net = make_net()
    X = torch.randn(2, 3)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "net.params")

    def saved():
        save_params(net, path)
        got = torch.load(path)
        if not isinstance(got, dict) or sorted(got) != sorted(net.state_dict()):
            return "the file does not hold net.state_dict()"

    def loaded():
        save_params(net, path)
        clone = load_params(make_net, path)
        if not isinstance(clone, nn.Module):
            return f"load_params returned {type(clone).__name__}, not the net"
        net.eval()
        if not _close(clone(X), net(X)):
            return "the loaded net does not compute what the saved one did (in eval mode)"

    def eval_mode():
        save_params(net, path)
        if load_params(make_net, path).training:
            return "the loaded net is in training mode: call net.eval()"

    _run(
        "save_params and load_params",
        [
            ("save_params saves the state_dict", saved),
            ("load_params loads it into a new net", loaded),
            ("the loaded net is in eval mode", eval_mode),
        ],
    )
