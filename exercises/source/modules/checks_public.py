"""Visible checks for the "modules" assignment: run them from the notebook as often as you like.

Each ``check_*`` function prints one line per check and raises ``AssertionError`` at the end if
any failed; the error's message lists what failed and why (nbgrader's Validate shows only that).
Warnings raised while checking are printed as messages too (never to stderr), so they are easy
to read and never count against you.  The grade comes from hidden checks, which ask
the same questions on inputs you have not seen, plus a few more.

    >>> check_factory(my_factory, my_stack)      # doctest: +SKIP
    [ok] factory returns an nn.ModuleList with n modules
    ...
"""

import linecache
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
    noted = set()  # each warning once, even when several checks run into the same mistake
    for description, fn in checks:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                problem = fn()
            except NotImplementedError:
                problem = "not implemented yet (the cell still raises NotImplementedError)"
            except Exception as e:  # the student's code raised: show it as a message
                problem = f"raised {type(e).__name__}: {_own_words(e)}"
        status = "ok" if not problem else "FAILED"
        print(f"  [{status}] {description}" + (f": {problem}" if problem else ""))
        for w in caught:
            note = f"{w.category.__name__}: {w.message}"
            if note not in noted:
                noted.add(note)
                print(f"         note: {note}")
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


def _own_words(exc):
    """The error's text without a "(raised inside X.forward)" line: the check already
    says which class it called."""
    lines = [line for line in str(exc).splitlines() if not line.startswith("(raised inside ")]
    return "\n".join(lines) or type(exc).__name__


def _concat_hint(outputs, got=None):
    """What a wrong concatenation looks like from outside, in the exercise's terms."""
    shapes = " and ".join(str(tuple(o.shape)) for o in outputs)
    rows = outputs[0].shape[0]
    return (
        f"the branches give {shapes}: put them side by side along the feature dimension, "
        f"torch.cat([...], dim=1), so the result keeps the batch of {rows} rows"
        + (
            f" (got {got}, which stacks the batches on top of each other: dim=0)"
            if got is not None and got[0] == rows * len(outputs)
            else ""
        )
    )


def _close(a, b):
    a, b = np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy())
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


def check_my_sequential(MySequential):
    __tracebackhide__ = True
    torch.manual_seed(1)
    mods = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)]
    X = torch.randn(3, 4)

    def children():
        got = list(MySequential(*mods).children())
        if len(got) != 3:
            return f"expected 3 registered children, found {len(got)}"
        if any(a is not b for a, b in zip(got, mods)):
            return "the children are not the given modules, in the given order"

    def forward():
        if not _close(MySequential(*mods)(X), mods[2](mods[1](mods[0](X)))):
            return "the output is not mods[2](mods[1](mods[0](X)))"

    def params():
        n = len(list(MySequential(*mods).parameters()))
        if n != 4:
            return f"expected 4 parameter tensors (2 weights, 2 biases), found {n}"

    def state():
        keys = list(MySequential(*mods).state_dict())
        if len(keys) != 4:
            return f"expected 4 state_dict entries, found {keys}"

    def printed():
        text = repr(MySequential(*mods))
        if "Linear(in_features=4, out_features=8" not in text:
            return "print(model) does not show the children"

    _run(
        "MySequential",
        [
            ("children are registered in order", children),
            ("forward chains the modules", forward),
            ("parameters() reaches every child", params),
            ("state_dict() has every child's tensors", state),
            ("print(model) shows the children", printed),
        ],
    )


def check_parallel_module(ParallelModule):
    __tracebackhide__ = True
    torch.manual_seed(2)
    a, b = nn.Linear(5, 3), nn.Linear(5, 2)
    X = torch.randn(4, 5)

    def run():
        """The output, or what went wrong when torch.cat could not join the branches."""
        try:
            return ParallelModule(a, b)(X), None
        except RuntimeError as e:
            if "Sizes of tensors must match" not in str(e):
                raise
            return (
                None,
                f"torch.cat could not join the branch outputs: {_concat_hint([a(X), b(X)])}",
            )

    def shape():
        y, problem = run()
        if problem:
            return problem
        if tuple(y.shape) != (4, 5):
            return (
                f"expected shape (4, 5) for a batch of 4 and branch outputs 3 + 2, got "
                f"{tuple(y.shape)}; {_concat_hint([a(X), b(X)], tuple(y.shape))}"
            )

    def values():
        y, problem = run()
        if problem:
            return problem
        if not _close(y, torch.cat([a(X), b(X)], dim=1)):
            return "the output is not the branch outputs side by side"

    def registered():
        n = len(list(ParallelModule(a, b).parameters()))
        if n != 4:
            return f"expected 4 parameter tensors, found {n}"

    def grads():
        for p in (a.weight, b.weight):
            p.grad = None
        y, problem = run()
        if problem:
            return problem
        y.sum().backward()
        if a.weight.grad is None or b.weight.grad is None:
            return "after backward() a branch has no gradient"

    _run(
        "ParallelModule",
        [
            ("output shape", shape),
            ("output values", values),
            ("every branch is registered", registered),
            ("gradients reach every branch", grads),
        ],
    )


def check_factory(factory, stack):
    __tracebackhide__ = True
    torch.manual_seed(3)

    def modulelist():
        ms = factory(nn.Linear, 3, 4, 2)
        if not isinstance(ms, nn.ModuleList) or len(ms) != 3:
            return f"expected an nn.ModuleList of 3 modules, got {type(ms).__name__}"

    def independent():
        ms = list(factory(nn.Linear, 2, 4, 2))
        if ms[0] is ms[1] or ms[0].weight is ms[1].weight:
            return "the entries are one and the same module"

    def kwargs():
        ms = list(factory(nn.Linear, 2, 4, 2, bias=False))
        if any(m.bias is not None for m in ms):
            return "bias=False did not reach the modules"

    def stacked():
        s = stack(nn.Linear, 2, 3, 3)
        if not isinstance(s, nn.Sequential) or len(s) != 2:
            return f"expected an nn.Sequential of 2 modules, got {type(s).__name__}"
        X = torch.randn(2, 3)
        if not _close(s(X), s[1](s[0](X))):
            return "stack does not chain its modules"

    _run(
        "factory and stack",
        [
            ("factory returns an nn.ModuleList with n modules", modulelist),
            ("the instances are independent", independent),
            ("keyword arguments reach the modules", kwargs),
            ("stack chains n modules in an nn.Sequential", stacked),
        ],
    )
