"""Small formatting helpers shared by the text tree, the summary table and the DOT builder.

Names come from the learner's code (attribute names, dict keys, class names) and may hold any
character; every renderer passes them through :func:`printable` so that a control character can
neither break a line of the text tree nor make Graphviz reject the drawing.
"""

from __future__ import annotations

import re

# C0/C1 control characters, DEL, lone surrogates (not encodable as UTF-8), U+FFFE/U+FFFF (not
# allowed in XML, so not in Graphviz's HTML labels or an SVG), the Unicode line and paragraph
# separators (line breaks to Graphviz and browsers) and the bidirectional overrides (which can
# make a name read as another one)
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text) -> str:
    r"""``text`` with every control character written as its Python escape.

    >>> printable("heads\n[0]"), printable("a\x01b"), printable("plain")
    ('heads\\n[0]', 'a\\x01b', 'plain')
    """
    text = str(text)
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(
        lambda m: (
            _SHORT_ESCAPES.get(m.group())
            or (
                f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
            )
        ),
        text,
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


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


def fmt_others(names, total: int) -> str:
    """``'a, b, c'``, or ``'a, b, c and 3,996 more'`` when ``names`` are the first of ``total``.

    >>> fmt_others(("a", "b"), 2), fmt_others(("a", "b", "c"), 3999)
    ('a, b', 'a, b, c and 3,996 more')
    """
    text = ", ".join(names)
    if total > len(names):
        text += f" and {fmt_count(total - len(names))} more"
    return text


def html(text) -> str:
    """Escape text for HTML and for Graphviz HTML-like labels (``& < > "``, control characters)."""
    # Graphviz 2.43 knows the named entities below; keep to them (no &#x27; for quotes).
    return (
        printable(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def dot_id(text: str) -> str:
    """Quote any string as a DOT identifier (double quotes, backslashes and quotes escaped).

    ``&`` is written ``&amp;``: Graphviz copies an ``id`` into the SVG as it is when it looks like
    an entity already, so a name holding ``&amp;`` would otherwise arrive as ``&``.
    """
    return (
        '"' + printable(text).replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"') + '"'
    )
