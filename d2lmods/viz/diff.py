"""``diff(a, b)``: two models side by side, and what differs between their module trees.

Modules are matched by their place in the tree, whether registered or merely held: ``heads[0]``
(a plain list) and ``heads.0`` (an ``nn.ModuleList``) are the same place, so a model that
forgot ``nn.ModuleList`` differs from its fixed twin only in *registration*:

>>> import warnings
>>> from d2lmods import nn
>>> from d2lmods.viz import diff
>>> class Fixed(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 3)])
>>> class Broken(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.heads = [nn.Linear(8, 2), nn.Linear(8, 4)]
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     d = diff(Fixed(), Broken(), names=("expected", "submitted"))
>>> print(d.text())                     # doctest: +NORMALIZE_WHITESPACE
expected: Fixed (45 registered parameters) vs submitted: Broken (0 registered parameters)
- heads: ModuleList in expected, missing in submitted
- heads.0 / heads[0]: registered in expected, not registered (plain list 'heads') in submitted
- heads.1 / heads[1]: registered in expected, not registered (plain list 'heads') in submitted
- heads.1 / heads[1]: weight (3, 8) in expected, (4, 8) in submitted
- heads.1 / heads[1]: bias (3,) in expected, (4,) in submitted

``d.drawing`` draws both trees side by side (differences outlined in magenta, with a note);
``d.changes`` holds them as data; ``d.html()`` is an HTML fragment (the list, and the drawing
when Graphviz can render it) for reports such as a grader's feedback: it shows module names,
classes, shapes and registration, never source code. Either side may be a model (d2lmods or
PyTorch), a :class:`~d2lmods.viz.tree.ModelTree` from :func:`~d2lmods.viz.analyze`, or the
plain data of ``ModelTree.to_json()`` -- what a grader reads back from a sandboxed run (read with
bounds, see :mod:`d2lmods.viz.plain`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._format import dot_id, fmt_count, fmt_shape, html, printable
from .dot import ModuleDrawing, _Builder, drawing_attrs
from .tree import REGISTERED, ModelTree, analyze

__all__ = ["diff", "ModelDiff", "Change", "diff_text", "diff_html"]

_INDEX = re.compile(r"\[(\d+)\]|\[(['\"])(.*?)\2\]")


def place(path: str) -> str:
    """The place of a module in its tree, however it is held: ``"heads[0]" -> "heads.0"``."""
    return _INDEX.sub(
        lambda m: "." + (m.group(1) if m.group(1) is not None else m.group(3)), path
    ).lstrip(".")


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is 'missing' (in a only), 'added' (in b only), 'class', 'shape'
    or 'registration'; ``path_a``/``path_b`` are the module paths in each model (``None`` where
    it has none)."""

    kind: str
    path_a: str | None
    path_b: str | None
    text: str


class ModelDiff:
    """The differences between two module trees; a notebook shows the side-by-side drawing."""

    def __init__(self, tree_a: ModelTree, tree_b: ModelTree, names, changes, drawing):
        self.trees = (tree_a, tree_b)
        self.names = tuple(names)
        self.changes = list(changes)
        self.drawing = drawing

    @property
    def same(self) -> bool:
        return not self.changes

    def text(self) -> str:
        """The differences as text, one line each, after a line naming both models."""
        (ta, tb), (na, nb) = self.trees, self.names
        lines = [
            f"{na}: {ta.root.class_name} ({fmt_count(ta.totals.registered_params)} "
            f"registered parameters) vs {nb}: {tb.root.class_name} "
            f"({fmt_count(tb.totals.registered_params)} registered parameters)"
        ]
        if self.same:
            lines.append("- no differences in modules, classes, parameter shapes or registration")
        lines += [f"- {c.text}" for c in self.changes]
        return "\n".join(printable(line) for line in lines)

    __str__ = text

    def __repr__(self) -> str:
        return f"<ModelDiff {self.names[0]} vs {self.names[1]}: {len(self.changes)} changes>"

    def html(self, drawing: bool = True) -> str:
        """An HTML fragment: the list of differences, then (``drawing``) the SVG if ``dot`` runs."""
        lines = self.text().splitlines()
        items = "".join(f"<li>{html(line[2:])}</li>" for line in lines[1:])
        out = (
            f"<div class='d2lmods-diff'><p><b>{html(lines[0])}</b></p>"
            f"<ul style='white-space:normal'>{items}</ul>"
        )
        if drawing:
            svg = self.drawing.svg()
            if svg is not None:
                out += f"<div class='d2lmods-diff-drawing'>{_strip_xml_header(svg)}</div>"
        return out + "</div>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        svg = self.drawing.svg()
        text = self.text()
        if svg is not None:
            return {"image/svg+xml": svg, "text/plain": text}
        body = text + "\n\n" + self.drawing.hint
        return {"text/plain": body, "text/html": f"<pre>{html(body)}</pre>"}


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _tree(x, input) -> ModelTree:
    if isinstance(x, ModelTree):
        return x
    if type(x) is dict:  # ModelTree.to_json() data, e.g. read back from a sandbox
        return ModelTree.from_json(x)
    return analyze(x, input, on_error="keep")


def _param_shapes(m) -> dict:
    return {p.name: p.shape for p in m.params if p.kind == "parameter" and not p.lazy}


def _describe_status(m) -> str:
    if m.status == REGISTERED:
        return "registered"
    if m.holder:
        return f"not registered ({m.holder})"
    return "not registered (inside an unregistered module)"


def _compare(ta, tb, na, nb):
    """(changes, notes on a's paths, notes on b's paths)."""
    at = {place(p): m for p, m in ta.modules.items()}
    bt = {place(p): m for p, m in tb.modules.items()}
    changes: list = []
    marks_a: dict = {}
    marks_b: dict = {}

    def both(ma, mb):
        return (
            ma.path
            if place(ma.path) == ma.path == mb.path
            else (f"{ma.path or '(root)'}" if ma.path == mb.path else f"{ma.path} / {mb.path}")
        )

    def note(marks, path, text):
        marks.setdefault(path, []).append(text)

    for key, ma in at.items():
        mb = bt.get(key)
        if mb is None:
            parent = ta.modules[ma.parent] if ma.parent is not None else None
            if parent is not None and place(parent.path) not in bt:
                continue  # said once, on the top module that is missing
            changes.append(
                Change(
                    "missing", ma.path, None, f"{ma.path}: {ma.class_name} in {na}, missing in {nb}"
                )
            )
            note(marks_a, ma.path, f"missing in {nb}")
            continue
        where = both(ma, mb) or "(root)"
        if ma.class_name != mb.class_name and ma.parent is not None:  # not the roots' names
            text = f"{where}: {ma.class_name} in {na}, {mb.class_name} in {nb}"
            changes.append(Change("class", ma.path, mb.path, text))
            note(marks_a, ma.path, f"{nb} has {mb.class_name}")
            note(marks_b, mb.path, f"{na} has {ma.class_name}")
        if (ma.status == REGISTERED) != (mb.status == REGISTERED):
            text = f"{where}: {_describe_status(ma)} in {na}, {_describe_status(mb)} in {nb}"
            changes.append(Change("registration", ma.path, mb.path, text))
            note(
                marks_a,
                ma.path,
                f"{'registered' if ma.status == REGISTERED else 'hidden'} "
                f"here, {'registered' if mb.status == REGISTERED else 'hidden'} in {nb}",
            )
            note(
                marks_b,
                mb.path,
                f"{'registered' if mb.status == REGISTERED else 'hidden'} "
                f"here, {'registered' if ma.status == REGISTERED else 'hidden'} in {na}",
            )
        if ma.class_name == mb.class_name or ma.parent is None:
            pa, pb = _param_shapes(ma), _param_shapes(mb)
            for name in list(pa) + [n for n in pb if n not in pa]:
                sa, sb = pa.get(name, "no such parameter"), pb.get(name, "no such parameter")
                if sa == sb:
                    continue
                fa = fmt_shape(sa) if isinstance(sa, tuple) else sa
                fb = fmt_shape(sb) if isinstance(sb, tuple) else sb
                changes.append(
                    Change("shape", ma.path, mb.path, f"{where}: {name} {fa} in {na}, {fb} in {nb}")
                )
                note(marks_a, ma.path, f"{name} {fa}; {fb} in {nb}")
                note(marks_b, mb.path, f"{name} {fb}; {fa} in {na}")
    for key, mb in bt.items():
        if key in at:
            continue
        parent = tb.modules[mb.parent] if mb.parent is not None else None
        if parent is not None and place(parent.path) not in at:
            continue
        changes.append(
            Change("added", None, mb.path, f"{mb.path}: {mb.class_name} in {nb}, not in {na}")
        )
        note(marks_b, mb.path, f"not in {na}")
    order = {"missing": 0, "added": 1, "class": 2, "registration": 3, "shape": 4}
    changes.sort(key=lambda c: (order[c.kind],))
    return changes, marks_a, marks_b


def _side(tree, name, marks, indent="\t\t"):
    b = _Builder(tree, None, 0, prefix=f"{name}:", marks=marks)
    b.module(tree.root.path, indent)
    b.ties()
    b.aliases()
    label = f"<<B>{html(name)}</B>: {html(tree.root.class_name)}>"
    lines = [
        f"\tsubgraph {dot_id('cluster_side_' + name)} {{",
        f"\t\tlabel={label};",
        '\t\tcolor="white";',
        '\t\tlabeljust="c";',
        '\t\tfontsize="13";',
    ]
    lines += b.lines + ["\t}"]
    return lines, b.targets, {f"{name}:{p}": sid for p, sid in b.drawn.items()}


class DiffDrawing(ModuleDrawing):
    """The side-by-side drawing of a :class:`ModelDiff`; its text is the list of differences."""

    diff: ModelDiff | None = None

    def text(self) -> str:
        return self.diff.text() if self.diff is not None else super().text()


def diff(a, b, input=None, *, names=("a", "b"), rankdir="TB") -> ModelDiff:
    """Compare two models' module trees (see the module docstring).

    ``input``: an optional sample input given to both (shapes in the drawing, "used by forward").
    ``names``: how the two sides are called in the text and the drawing.
    """
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"names must be two different labels, got {names!r}")
    na, nb = (printable(n) for n in names)
    ta, tb = _tree(a, input), _tree(b, input)
    changes, marks_a, marks_b = _compare(ta, tb, na, nb)
    lines_a, targets_a, drawn_a = _side(ta, na, marks_a)
    lines_b, targets_b, drawn_b = _side(tb, nb, marks_b)
    attrs = drawing_attrs(rankdir)
    drawing = DiffDrawing(
        f"diff {ta.root.class_name} {tb.root.class_name}",
        lines_a + lines_b,
        ta,
        {**targets_a, **targets_b},
        {**drawn_a, **drawn_b},
        **attrs,
    )
    result = ModelDiff(ta, tb, (na, nb), changes, drawing)
    drawing.diff = result
    return result


def diff_text(a, b, input=None, names=("expected", "submitted")) -> str:
    """The differences as text (for a grader: the submission next to what was expected)."""
    return diff(a, b, input, names=names).text()


def diff_html(a, b, input=None, names=("expected", "submitted"), drawing=True) -> str:
    """The differences as an HTML fragment, with the side-by-side SVG when ``dot`` renders it."""
    return diff(a, b, input, names=names).html(drawing=drawing)
