"""``check(model)``: the registration checks of d2lmods in one call, for any model (PyTorch too).

d2lmods warns as a model is built and first used; a PyTorch model never does. ``check`` runs
the same scan (``find_unregistered``), warns each problem with the text d2lmods' own
:class:`~d2lmods.nn.UnregisteredModuleWarning` gives, and returns the findings as data:

>>> import warnings
>>> from d2lmods import nn
>>> from d2lmods.viz import check
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.body = nn.Linear(4, 8)
...         self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]   # plain list: not registered
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     net = Net()
...     result = check(net)
>>> result.ok, [(p.path, p.kind) for p in result.problems]
(False, [('heads[0]', 'unregistered'), ('heads[1]', 'unregistered')])
>>> print(result.messages[0].split(", so")[0])     # the text d2lmods warns with
Net.heads[0] (Linear), Net.heads[1] (Linear) are kept in a plain Python list

With a sample ``input``, one forward also tells which hidden modules are used (never
trained), which modules ``forward`` creates on every call, and where the forward fails.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from d2lmods._messages import UnregisteredModuleWarning, modules as texts

from ._format import html, printable
from .text import with_fix
from .tree import NOT_IN_MODEL, UNREGISTERED, ModelTree, analyze

__all__ = ["check", "CheckResult", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing the model holds or does that ``parameters()`` and optimizers do not see."""

    path: str  # module or parameter path, "heads[0]"
    kind: str  # 'unregistered' | 'hidden-parameter' | 'hidden-tensor' | 'not-in-model'
    #                      | 'forward-failed'
    message: str  # the text d2lmods warns with (or the analysis' explanation)
    fix: str | None
    used: bool | None  # with a sample input: the forward called it (used, never trained)


class CheckResult:
    """What :func:`check` found: ``problems`` (data), ``messages`` (texts), the analysed ``tree``."""

    def __init__(self, tree: ModelTree, problems: list, messages: list):
        self.tree = tree
        self.problems = problems
        self.messages = messages

    @property
    def ok(self) -> bool:
        """True when nothing is hidden, created in forward, or failing."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return (
                f"{printable(self.tree.root.class_name)}: every module and parameter is "
                "registered. " + " ".join(self.tree.totals.lines()[:1])
            )
        lines = [f"{printable(self.tree.root.class_name)}: {len(self.problems)} problem(s)"]
        lines += [f"- {printable(m)}" for m in self.messages]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.ok:
            return f"<p>{html(str(self))}</p>"
        items = "".join(f"<li>{html(m)}</li>" for m in self.messages)
        return (
            f"<div class='d2lmods-check'><b>{html(self.tree.root.class_name)}: "
            f"{len(self.problems)} problem(s)</b><ul>{items}</ul></div>"
        )


def _group_key(f):
    return (f.owner, f.attribute, f.container)


def check(model, input=None, *, warn: bool = True) -> CheckResult:
    """Check ``model`` (d2lmods or ``torch.nn.Module``) for what ``nn.Module`` cannot see.

    Each problem is warned (``warn=True``) as an :class:`~d2lmods.nn.UnregisteredModuleWarning`
    with the text d2lmods gives while a model is built, once per attribute; the result holds
    them as :class:`Problem` data. ``input``: an optional sample input, as for ``draw``.
    """
    tree = analyze(model, input, on_error="keep")
    owners = {path: m.module for path, m in tree.modules.items()}
    problems: list = []
    messages: list = []
    groups: dict = {}
    for f in tree.findings:
        if f.registered_as is None:
            groups.setdefault(_group_key(f), []).append(f)
    for (owner, attr, container), found in groups.items():
        cls = type(owners.get(owner, model)).__name__
        base = f"{owner}.{attr}" if owner else attr
        if container == "attribute":
            f = found[0]
            if f.kind == "tensor":
                text = texts.tensor_attribute(cls, attr, tuple(getattr(f.obj, "shape", ())))
            else:
                info = tree.modules.get(f.path)
                text = (
                    info.problem
                    if info is not None and info.problem
                    else (
                        f"{cls}.{attr} ({f.type_name}) was stored past Module.__setattr__, so "
                        "nn.Module does not register it."
                    )
                )
        else:
            text = texts.unregistered(
                cls, attr, [(f.path[len(base) :], f.obj, f.kind) for f in found], container
            )
        messages.append(text)
        for f in found:
            info = tree.modules.get(f.path)
            used = None if not tree.dynamic else bool(info is not None and info.calls)
            kind = {
                "module": "unregistered",
                "parameter": "hidden-parameter",
                "tensor": "hidden-tensor",
            }[f.kind]
            fix = info.fix if info is not None else _param_fix(tree, f.path)
            problems.append(Problem(f.path, kind, text, fix, used))
    for m in tree.modules.values():
        if m.status == NOT_IN_MODEL:
            messages.append(with_fix(m.problem, m.fix) + ".")
            problems.append(Problem(m.path, "not-in-model", m.problem, m.fix, True))
    if tree.error is not None:
        messages.append(tree.error)
        failed = tree.failed
        problems.append(
            Problem(failed.path if failed else "", "forward-failed", tree.error, None, None)
        )
    used = [m.path for m in tree.modules.values() if m.status == UNREGISTERED and m.calls]
    if used:
        messages.append(
            f"The sample forward called {', '.join(used)}: used by forward, never trained."
        )
    if warn:
        for text in messages:
            warnings.warn(text, UnregisteredModuleWarning, stacklevel=2)
    return CheckResult(tree, problems, messages)


def _param_fix(tree, path):
    for m in tree.modules.values():
        for p in m.params:
            if p.path == path:
                return p.fix
    return None
