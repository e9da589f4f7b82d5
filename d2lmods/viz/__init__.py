"""Drawings and an explorer that show which modules a model *registers* and which it only *holds*.

A submodule kept in a plain Python list, tuple, dict or set is not registered: ``parameters()``,
``state_dict()``, ``.to()``, ``.train()/.eval()`` and optimizers never see it, yet ``forward`` can
call it. These tools put that difference in front of the learner::

    from d2lmods import nn
    from d2lmods.viz import draw, summary, explore, analyze

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 8)
            self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]   # plain list: NOT registered
        def forward(self, X):
            h = self.body(X)
            return [head(h) for head in self.heads]

    net = Net()
    draw(net)                        # SVG in Jupyter; heads[0], heads[1] red and dashed
    draw(net, input=d2lmods.randn(2, 4), depth=2)   # + shapes, "used but never trained"
    print(summary(net))              # text table; HTML in Jupyter
    w = explore(net)                 # interactive: drawing + tree + details; w.selected = "body"
    analyze(net).unregistered        # the analysis itself, no rendering
    check(net)                       # warns d2lmods' messages and returns them as data
    diff(net, fixed_net)             # two models side by side: what differs

Every function takes a PyTorch model (``torch.nn.Module``) as well: same findings, same drawing.

``draw`` needs Graphviz's ``dot`` program to render; without it (or when it fails or times out)
Jupyter shows the text tree and a one-line hint instead of an error. ``input`` (optional
everywhere) is a sample input: a tensor, a tuple of positional arguments or a dict of keyword
arguments; one forward runs under ``no_grad`` in eval mode (flags restored) and lazy layers
materialize. When it fails, ``draw``, ``summary`` and ``explore`` show the model up to the error.
"""
from .check import CheckResult, Problem, check
from .diff import ModelDiff, diff, diff_html, diff_text
from .dot import ModuleDrawing, build, draw, have_dot
from .summary import Summary, summary
from .text import text_tree
from .tree import ForwardPassError, ModelTree, ModuleInfo, ParamInfo, Totals, analyze

__all__ = ["analyze", "draw", "summary", "explore", "check", "diff", "build", "text_tree", "have_dot",
           "diff_text", "diff_html", "CheckResult", "Problem", "ModelDiff",
           "ModelTree", "ModuleInfo", "ParamInfo", "Totals", "ModuleDrawing", "Summary",
           "ModelExplorer", "ForwardPassError"]


def explore(model, input=None, **kwargs):
    """An interactive explorer widget for ``model`` (see :mod:`d2lmods.viz.widget`)."""
    from .widget import ModelExplorer

    return ModelExplorer(model, input=input, **kwargs)


def __getattr__(name):
    if name == "ModelExplorer":   # imported on demand: anywidget is only needed for the widget
        from .widget import ModelExplorer

        return ModelExplorer
    raise AttributeError(f"module 'd2lmods.viz' has no attribute {name!r}")
