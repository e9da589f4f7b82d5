"""A plain-text module tree: what a terminal, a static export or a machine without Graphviz shows.

>>> from d2lmods import nn
>>> from d2lmods.viz import analyze
>>> from d2lmods.viz.text import text_tree
>>> print(text_tree(analyze(nn.Sequential(nn.Linear(4, 8), nn.ReLU()))))  # doctest: +ELLIPSIS
Sequential
├── 0: Linear  weight (8, 4)  bias (8,)
└── 1: ReLU
<BLANKLINE>
registered: 40 parameters in 2 tensors (what parameters(), ...; state_dict has 2 keys)
"""
from __future__ import annotations

from ._format import fmt_count, fmt_shape, printable
from .tree import NAMES_SHOWN, NOT_IN_MODEL, REGISTERED, UNREGISTERED, ModelTree

FIX_LABEL = "Fix:"   # the label every renderer puts before a problem's fix


def with_fix(problem: str, fix: str | None) -> str:
    """``problem``, then ``Fix: <fix>`` when there is one: how every renderer writes the pair."""
    return f"{problem} {FIX_LABEL} {fix}" if fix else problem


def _param_text(p) -> str:
    if p.lazy:
        return f"{p.name} ? (lazy)"
    text = f"{p.name} {fmt_shape(p.shape)}"
    if p.kind == "buffer":
        text += " (buffer)"
    if p.tied_with:
        text += f" (tied: {p.tied_text})"
    if p.problem:
        text += " (NOT REGISTERED)"
    return text


def module_line(m) -> str:
    """One line for one module: label, parameters, shapes, status."""
    parts = [m.label]
    parts += [_param_text(p) for p in m.params + m.buffers]
    if m.calls is not None:
        if m.failed is not None or m.unfinished:
            parts.append(f"{fmt_shape(m.failed_inputs)} -> (failed "
                         f"{'here' if m.failed is not None else 'inside'})")
        else:
            parts.append(f"{fmt_shape(m.input_shapes)} -> {fmt_shape(m.output_shapes)}"
                         if m.calls else "not called")
    if m.alias_of is not None:
        parts.append(f"[same module as {m.alias_of or '(root)'}]")
    for held in m.also_held_at[:NAMES_SHOWN]:
        parts.append(f"[also held in {held}; registered, so harmless]")
    if len(m.also_held_at) > NAMES_SHOWN:
        parts.append(f"[also held in {fmt_count(len(m.also_held_at) - NAMES_SHOWN)} more places]")
    if m.status == UNREGISTERED:
        parts.append(f"!! NOT REGISTERED ({m.holder})")
    elif m.status == NOT_IN_MODEL:
        parts.append(f"!! NOT IN THE MODEL ({m.holder})")
    elif m.status != REGISTERED:
        parts.append("!! inside an unregistered module")
    if m.failed is not None:
        parts.append(f"!! FAILED: {m.failed}")
    return "  ".join(parts)


def text_tree(tree: ModelTree, fixes: bool = True) -> str:
    """The whole tree with box-drawing branches, the totals, and (``fixes``) how to fix each problem.

    Control characters in names are written as escapes (``\\n``), one module per line.
    """
    lines = [module_line(tree.root)]

    def walk(path, prefix):
        kids = tree.modules[path].children
        for i, c in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(prefix + ("\u2514\u2500\u2500 " if last else "\u251c\u2500\u2500 ")
                         + module_line(tree.modules[c]))
            walk(c, prefix + ("    " if last else "\u2502   "))

    walk(tree.root.path, "")
    lines.append("")
    lines += tree.totals.lines()
    if fixes:
        for _path, problem, fix in tree.problems:
            lines.append(f"- {with_fix(problem, fix)}")
    lines += tree.notes
    return "\n".join(printable(line) for line in lines)
