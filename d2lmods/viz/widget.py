"""An interactive model explorer for Jupyter: drawing, collapsible tree and a detail panel.

>>> import d2lmods
>>> from d2lmods import nn
>>> from d2lmods.viz import explore
>>> model = nn.Sequential(nn.LazyLinear(8), nn.ReLU())
>>> w = explore(model)          # a cell's last expression shows it
>>> w.selected = "0"            # select from Python: drawing and tree highlight it
>>> w.module_info.params[0].lazy
True
>>> _ = model(d2lmods.randn(2, 3))   # the first forward materializes the lazy layer...
>>> _ = w.refresh()                  # ...and refresh() redraws it; the selection stays
>>> w.selected, w.module_info.params[0].shape
('0', (8, 3))

Selection is two-way: clicking a node in the SVG or an item in the tree sets ``selected`` (a
module path, ``""`` for the root); setting ``selected`` from Python highlights both views and
fills the detail panel (parameters, shapes, where tied, why it is flagged and how to fix it).

The SVG is rendered in the kernel with Graphviz's ``dot``; without it, or when ``dot`` fails or
times out, the widget shows the text tree and a one-line hint (the tree and detail panel work
either way).

Where no widget can run -- a notebook opened before its cells ran, an HTML export, a terminal --
the output says what it is: ``text/plain`` names the model and asks to run the cell, above the
text tree, and ``text/html`` is a static copy (drawing, tree and problems; see
:mod:`d2lmods.viz.static`).
"""
from __future__ import annotations

import pathlib

import anywidget
import traitlets

from ._format import printable
from .dot import build
from .static import static_html
from .text import text_tree
from .tree import analyze

_HERE = pathlib.Path(__file__).parent


class ModelExplorer(anywidget.AnyWidget):
    """The explorer widget; build it with :func:`d2lmods.viz.explore`."""

    _esm = _HERE / "widget.js"
    _css = _HERE / "widget.css"

    svg = traitlets.Unicode("").tag(sync=True)        # kernel-rendered drawing, "" without dot
    text = traitlets.Unicode("").tag(sync=True)       # text tree (always sent; shown without dot)
    hint = traitlets.Unicode("").tag(sync=True)       # why there is no SVG (dot missing or failed)
    tree = traitlets.Dict().tag(sync=True)            # ModelTree.to_json() + svg id maps
    selected = traitlets.Unicode("").tag(sync=True)   # module path; "" is the root
    version = traitlets.Int(0).tag(sync=True)         # bumped by every refresh()

    def __init__(self, model, input=None, depth=None, collapse=3, **kwargs):
        self._model = model
        self._input = input
        self.depth = depth
        self.collapse = collapse
        self.analysis = None
        self.drawing = None
        super().__init__(**kwargs)
        self.refresh()
        self.on_msg(self._on_front_end_message)

    def refresh(self, input=None):
        """Analyse and draw the model again (after a forward materialized lazy layers, after the
        model was edited, or with a new sample ``input``); keeps the selection if it still exists."""
        if input is not None:
            self._input = input
        self.analysis = analyze(self._model, self._input, on_error="keep")
        self.drawing = build(self.analysis, depth=self.depth, collapse=self.collapse)
        svg = self.drawing.svg()
        data = self.analysis.to_json()
        data["targets"] = dict(self.drawing.targets)   # svg id -> module path
        data["drawn"] = dict(self.drawing.drawn)       # module path -> svg id showing it
        data["problems"] = [list(p) for p in self.analysis.problems]
        keep = self.selected if self.selected in self.analysis.modules else ""
        with self.hold_sync():
            self.text = text_tree(self.analysis, fixes=False)
            self.hint = "" if svg else self.drawing.hint
            self.svg = svg or ""
            self.tree = data
            self.selected = keep
            self.version += 1
        return self

    @traitlets.validate("selected")
    def _check_selected(self, proposal):
        path = proposal["value"]
        if self.analysis is not None and path not in self.analysis.modules:
            known = ", ".join(repr(p) for p in list(self.analysis.modules)[:12])
            raise traitlets.TraitError(
                f"no module {path!r} in this {self.analysis.root.class_name}; module paths are "
                f"{known}{', ...' if len(self.analysis.modules) > 12 else ''} ('' is the root)")
        return path

    def _on_front_end_message(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("event") == "refresh":
            self.refresh()

    def __repr__(self) -> str:
        name = self.analysis.root.class_name if self.analysis is not None else "a model"
        return (f"<ModelExplorer of {printable(name)}: an interactive widget; run this cell in "
                "Jupyter to explore the drawing, the tree and the details>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None or self.analysis is None:
            return bundle
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/plain"] = repr(self) + "\n" + self.text
        data["text/html"] = static_html(
            self.analysis, self.svg, self.hint,
            note=f"Model explorer of {self.analysis.root.class_name} (a static copy: run the "
                 "notebook in Jupyter to click through it)")
        return data, metadata

    @property
    def module_info(self):
        """The :class:`~d2lmods.viz.tree.ModuleInfo` of the selected module."""
        return self.analysis.modules[self.selected]
