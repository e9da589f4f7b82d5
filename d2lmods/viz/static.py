"""A static HTML copy of the explorer: the drawing, the module tree and the problems, no script.

The explorer widget puts this in its output as ``text/html`` next to the widget view, so a page
exported without a widget manager (``python -m d2lmods.viz.offline``), a notebook opened before
its cells ran, or any front end without widget support still shows the model. Styles are inline
(no stylesheet is loaded there) and use JupyterLab's theme variables with light fallbacks.
"""

from __future__ import annotations

import base64

from ._format import html
from .text import FIX_LABEL
from .tree import REGISTERED, ModelTree

_RED = "var(--jp-error-color1, #d62728)"
_TEXT = "var(--jp-ui-font-color1, #222)"
_MUTED = "var(--jp-ui-font-color2, #555)"


def strip_svg_header(svg: str) -> str:
    """The ``<svg>`` element of a file Graphviz wrote (no XML declaration or DOCTYPE)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _tree_items(tree: ModelTree, path: str) -> str:
    m = tree.modules[path]
    colour = _TEXT if m.status == REGISTERED else _RED
    note = ""
    if m.status != REGISTERED and m.holder:
        note = f" <i>({html(m.holder)})</i>"
    if m.failed is not None:
        note += f" <b>failed here: {html(m.failed)}</b>"
    kids = "".join(_tree_items(tree, c) for c in m.children)
    inner = f"<ul style='list-style:none;margin:0;padding-left:14px'>{kids}</ul>" if kids else ""
    return (
        f'<li data-path="{html(path)}"><span class="d2lm-item {m.status}" '
        f"style='color:{colour}'>{html(m.label)}</span>{note}{inner}</li>"
    )


def static_html(tree: ModelTree, svg: str | None, hint: str = "", note: str = "") -> str:
    """The explorer as plain HTML: a line saying what it is, the tree, the drawing, the problems."""
    items = _tree_items(tree, tree.root.path)
    if svg:
        # An <img>, not inline SVG: JupyterLab's sanitizer (an untrusted notebook) keeps a data
        # URI image but would flatten an inline SVG into its text.
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        drawing = (
            f'<img class="d2lm-drawing-image" alt="drawing of {html(tree.root.class_name)}" '
            f'src="data:image/svg+xml;base64,{data}" style="max-width:none">'
        )
    else:
        from .text import text_tree

        drawing = f"<p>{html(hint)}</p><pre>{html(text_tree(tree, fixes=False))}</pre>"
    totals = "".join(f"<li>{html(t)}</li>" for t in tree.totals.lines())
    problems = "".join(
        f"<li style='color:{_RED}'>{html(p)}"
        + (f" <b>{FIX_LABEL}</b> <code>{html(f)}</code>" if f else "")
        + "</li>"
        for _path, p, f in tree.problems
    )
    return (
        f"<div class='d2lm-static' style='font-family:Helvetica,Arial,sans-serif;font-size:12px;"
        f"color:{_TEXT}'>"
        f"<p style='color:{_MUTED};margin:2px 0 6px 0'>{html(note)}</p>"
        "<div style='display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap'>"
        f"<div class='d2lm-tree'><ul style='list-style:none;margin:0;padding-left:0'>{items}</ul>"
        "</div>"
        f"<div class='d2lm-drawing' style='background:#fff;color:#222;padding:6px;overflow:auto'>"
        f"{drawing}</div></div>"
        f"<ul>{totals}{problems}</ul></div>"
    )
