"""Small formatting helpers shared by the text tree, the summary table and the DOT builder."""
from __future__ import annotations

def fmt_shape(shape) -> str:
    """``(8, 4)`` for a shape tuple, ``(8,)`` for one dimension, ``?`` when unknown (lazy).

    >>> fmt_shape((8, 4)), fmt_shape((8,)), fmt_shape(None)
    ('(8, 4)', '(8,)', '?')
    """
    if shape is None:
        return "?"
    if isinstance(shape, list):  # several inputs or outputs
        return "[" + ", ".join(fmt_shape(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {fmt_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, str):  # a non-tensor value, described by its type name
        return shape
    dims = tuple(shape)
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def fmt_count(n: int) -> str:
    """Thousands separated by commas, as learners read them: ``fmt_count(12345) == '12,345'``."""
    return f"{n:,}"


def html(text) -> str:
    """Escape text for HTML and for Graphviz HTML-like labels (``& < > "``)."""
    # Graphviz 2.43 knows the named entities below; keep to them (no &#x27; for quotes).
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def dot_id(text: str) -> str:
    """Quote any string as a DOT identifier (double quotes, backslashes and quotes escaped)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
