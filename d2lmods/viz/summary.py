"""A torchinfo-like table with the registered / unregistered split, for terminals and exports.

>>> from d2lmods import nn
>>> from d2lmods.viz import summary
>>> s = summary(nn.Sequential(nn.Linear(4, 8), nn.ReLU()))
>>> print(s)        # text; in Jupyter the same table as HTML (_repr_html_)  # doctest: +ELLIPSIS
==================================
Module  Class       Params  Status
==================================
(root)  Sequential
  0     Linear          40
  1     ReLU
==================================
registered: 40 parameters in 2 tensors ...
>>> s.tree.totals.registered_params
40

Columns: module path (indented by depth), class, output shape (with a sample ``input``),
parameters the module itself holds, and its status (``NOT REGISTERED (plain list 'heads')``,
``inside unregistered``, ``lazy``, ``tied: other.weight``, ``not called``).
"""
from __future__ import annotations

from ._format import fmt_count, fmt_others, fmt_shape, html, printable
from .tree import NAMES_SHOWN, NOT_IN_MODEL, REGISTERED, UNREGISTERED, ModelTree, analyze


def _status(m) -> str:
    words = []
    if m.status == UNREGISTERED:
        words.append(f"NOT REGISTERED ({m.holder})")
    elif m.status == NOT_IN_MODEL:
        words.append(f"NOT IN THE MODEL ({m.holder})")
    elif m.status != REGISTERED:
        words.append("inside unregistered")
    hidden = [p.name for p in m.params if p.problem]
    if hidden:
        words.append("NOT REGISTERED: " + fmt_others(hidden[:NAMES_SHOWN], len(hidden)))
    if any(p.lazy for p in m.params):
        words.append("lazy")
    for p in m.params:
        if p.tied_with:
            words.append(f"{p.name} tied: {p.tied_text}")
    if m.alias_of is not None:
        words.append(f"same module as {m.alias_of or '(root)'}")
    if m.also_held_at:
        words.append("also in " + fmt_others(m.also_held_at[:NAMES_SHOWN], len(m.also_held_at)))
    if m.failed is not None:
        words.append(f"FAILED: {m.failed}")
    elif m.calls == 0 and not m.unfinished:
        words.append("not called")
    return "; ".join(words)


class Summary:
    """Rows of a model summary; ``str()`` gives the text table, Jupyter shows ``_repr_html_``."""

    HEADERS = ("Module", "Class", "Output shape", "Params", "Status")

    def __init__(self, tree: ModelTree):
        self.tree = tree

    def rows(self) -> list:
        """``(path, class, output, params, status, flagged)`` per module, in tree order."""
        out = []
        for m in self.tree.modules.values():
            name = ("  " * m.depth + (m.name or "(root)"))
            output = fmt_shape(m.output_shapes) if m.calls else ("-" if m.calls == 0 else "")
            n = sum(p.numel for p in m.params if p.kind == "parameter")
            params = fmt_count(n) if n or m.params else ""
            if m.alias_of is not None:
                params = "(shared)"
            out.append((name, m.class_name, output, params, _status(m), m.flagged))
        return out

    def _columns(self):
        show_output = self.tree.dynamic
        keep = [i for i in range(5) if show_output or i != 2]
        return keep

    def __str__(self) -> str:
        keep = self._columns()
        table = [[self.HEADERS[i] for i in keep]]
        table += [[printable(r[i]) for i in keep] for r in self.rows()]
        widths = [max(len(row[j]) for row in table) for j in range(len(keep))]
        numeric = {keep.index(3)}

        def fmt(row):
            cells = [c.rjust(w) if j in numeric else c.ljust(w)
                     for j, (c, w) in enumerate(zip(row, widths))]
            return "  ".join(cells).rstrip()

        rule = "=" * len(fmt(table[0]).ljust(sum(widths) + 2 * (len(widths) - 1)))
        lines = [rule, fmt(table[0]), rule] + [fmt(r) for r in table[1:]] + [rule]
        lines += self.tree.totals.lines()
        for _path, problem, fix in self.tree.problems:
            lines.append(f"- {problem}" + (f" Fix: {fix}" if fix else ""))
        lines += self.tree.notes
        return "\n".join(printable(line) for line in lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        keep = self._columns()
        head = "".join(f"<th style='text-align:left'>{html(self.HEADERS[i])}</th>" for i in keep)
        body = []
        for r in self.rows():
            style = " style='color:#d62728'" if r[5] else ""
            cells = []
            for i in keep:
                text = html(r[i])
                if i == 0:
                    text = text.replace("  ", "&nbsp;&nbsp;")
                align = "right" if i == 3 else "left"
                cells.append(f"<td style='text-align:{align};font-family:monospace'>{text}</td>")
            body.append(f"<tr class='{'flagged' if r[5] else 'ok'}'{style}>{''.join(cells)}</tr>")
        notes = "".join(f"<li>{html(t)}</li>" for t in self.tree.totals.lines())
        fixes = "".join(f"<li style='color:#d62728'>{html(p)}" + (f" <b>Fix:</b> <code>{html(f)}"
                        "</code>" if f else "") + "</li>" for _x, p, f in self.tree.problems)
        extra = "".join(f"<li><i>{html(n)}</i></li>" for n in self.tree.notes)
        return (f"<div class='d2lmods-summary'><table><thead><tr>{head}</tr></thead><tbody>"
                f"{''.join(body)}</tbody></table><ul>{notes}{fixes}{extra}</ul></div>")


def summary(model, input=None) -> Summary:
    """Summarise ``model`` as a table (see the module docstring); ``input`` as for ``draw``
    (a failing sample forward is summarised up to the error)."""
    return Summary(analyze(model, input, on_error="keep"))
