"""Graphviz drawings of a module tree: registered vs. merely held, lazy and tied parameters.

>>> from d2lmods import nn
>>> from d2lmods.viz import draw
>>> g = draw(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
>>> g.source.splitlines()[0]    # DOT text, deterministic; as a cell's result: the SVG
'digraph Sequential {'
>>> g.targets                   # SVG id -> module path ("(root)" is the model itself)
{'(root)': '', '0': '0', '1': '1', '2': '2'}

What the picture means:

* a module with submodules is a box (cluster) labelled ``name: Class``; a leaf is a table of its
  parameters (name, shape, element count) and buffers;
* red, dashed: held in a plain list/tuple/dict/set, so not registered -- not trained, saved or
  moved; the last row names the attribute that holds it;
* grey italic rows: lazy parameters whose shape is not known before the first forward;
* dotted purple lines join parameters that are the same object (tied weights);
* with a sample ``input``, each module shows ``input -> output`` shapes and modules the forward
  never called are drawn faded;
* a module forward called that the model does not hold (created inside ``forward``) hangs
  below its caller, red and dashed, as ``<forward #0>: Class``;
* when the sample forward fails, the drawing goes up to the error: the modules that ran have
  their shapes, the failing one is outlined in orange with the input that did not fit and the
  error's one-line cause, and the modules after it are drawn faded as "not reached";
* ``depth=`` cuts the tree (deeper modules are summarised), and runs of ``collapse`` or more
  identical siblings are drawn once as ``Block x 12``.

SVG hooks: every module's node or cluster has ``id`` = its path (the root is ``"(root)"``) and
``class`` words such as ``module leaf unregistered called lazy tied collapsed``; control
characters in a path are written as escapes (``"a\\nb"``), in the ids as in the labels.

Rendering needs Graphviz's ``dot``. When it is missing, fails on the drawing or runs longer
than ``DOT_TIMEOUT`` seconds, a notebook shows the text tree with a one-line hint instead.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import graphviz

from ._format import clip, dot_id, fmt_count, fmt_others, fmt_shape, html, printable
from .text import text_tree
from .tree import NAMES_SHOWN, NOT_IN_MODEL, REGISTERED, UNREGISTERED, ModelTree, analyze

ROOT_ID = "(root)"
FONT = "Helvetica"
RED = "#d62728"
RED_FILL = "#fde0e0"
BLUE_FILL = "#e3ecf7"
GREY = "#8a8a8a"
FAILED = "#e65100"    # the module where the sample forward failed
MARK = "#c2185b"      # a difference between two models (diff)
TIE = "#8a2be2"
INSTALL_HINT = ("Graphviz's `dot` program is not on PATH, so this is a text tree; install Graphviz "
                "to see the drawing (Debian/Ubuntu: apt-get install graphviz, macOS: brew install "
                "graphviz, conda: conda install graphviz).")
DOT_TIMEOUT = 60    # seconds dot may take to lay out one drawing before the text tree is shown


def have_dot() -> bool:
    """True when Graphviz's ``dot`` executable can be found on PATH."""
    return shutil.which("dot") is not None


def failure_hint(reason: str) -> str:
    """The one line shown above the text tree when ``dot`` is installed but did not render."""
    return (f"Graphviz's `dot` could not render this drawing ({reason}), so this is a text tree; "
            "the DOT text is in `.source`.")


class ModuleDrawing:
    """The drawing of a module tree: DOT text that Graphviz's ``dot`` renders to SVG.

    ``source`` is the DOT text; ``tree`` the :class:`~d2lmods.viz.tree.ModelTree` drawn;
    ``targets`` maps every SVG id to the module path it stands for (collapsed runs stand for
    several paths) and ``drawn`` every module path to the SVG id that shows it. A notebook shows
    the SVG, or the text tree and a one-line hint (:attr:`hint`) when ``dot`` cannot render it.
    ``pipe``/``render`` (and the rest of :class:`graphviz.Source`, as :attr:`graphviz`) work as
    with any Graphviz object; ``graph_attr`` can be changed before rendering (e.g. ``dpi``).
    """

    def __init__(self, name: str, body: list, tree: ModelTree, targets: dict, drawn: dict, *,
                 graph_attr: dict, node_attr: dict, edge_attr: dict):
        self.name = name
        self.body = list(body)            # DOT statements, one per line, already indented
        self.tree = tree
        self.targets = dict(targets)
        self.drawn = dict(drawn)
        self.graph_attr = dict(graph_attr)
        self.node_attr = dict(node_attr)
        self.edge_attr = dict(edge_attr)
        self.hint: str | None = None      # why the last svg() returned None

    @property
    def source(self) -> str:
        """The DOT text of the drawing (deterministic: the same model gives the same text)."""
        lines = [f"digraph {_dot_name(self.name)} {{"]
        for kind, attrs in (("graph", self.graph_attr), ("node", self.node_attr),
                            ("edge", self.edge_attr)):
            if attrs:
                lines.append(f"\t{kind} [{_dot_attrs(attrs)}]")
        return "\n".join(lines + self.body + ["}"]) + "\n"

    def __str__(self) -> str:
        return self.source

    def copy(self) -> ModuleDrawing:
        """A drawing of the same tree whose attributes can be changed on their own."""
        return ModuleDrawing(self.name, self.body, self.tree, self.targets, self.drawn,
                             graph_attr=self.graph_attr, node_attr=self.node_attr,
                             edge_attr=self.edge_attr)

    @property
    def graphviz(self) -> graphviz.Source:
        """The drawing as a :class:`graphviz.Source`, for everything else Graphviz offers."""
        return graphviz.Source(self.source, engine="dot")

    def pipe(self, format=None, **kwargs):
        """Render with ``dot`` and return the output, as :meth:`graphviz.Source.pipe` does."""
        return self.graphviz.pipe(format=format, **kwargs)

    def render(self, *args, **kwargs):
        """Render to a file, as :meth:`graphviz.Source.render` does; returns its path."""
        return self.graphviz.render(*args, **kwargs)

    def text(self) -> str:
        """The text tree of the drawn model (what a notebook shows when ``dot`` cannot render)."""
        return text_tree(self.tree)

    def svg(self, timeout: float | None = None) -> str | None:
        """The SVG text rendered by ``dot``, or ``None`` (then :attr:`hint` says why).

        Any failure gives ``None``: ``dot`` missing, exiting with an error, or running longer
        than ``timeout`` seconds (default ``DOT_TIMEOUT``).
        """
        self.hint = None
        exe = shutil.which("dot")
        if exe is None:
            self.hint = INSTALL_HINT
            return None
        timeout = DOT_TIMEOUT if timeout is None else timeout
        try:
            run = subprocess.run([exe, "-Tsvg"], input=self.source.encode("utf-8"),
                                 capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            self.hint = failure_hint(f"it ran longer than {timeout:g} s")
            return None
        except (OSError, ValueError) as err:   # vanished, not executable, unencodable text
            self.hint = failure_hint(f"{type(err).__name__}: {clip(printable(err), 200)}")
            return None
        if run.returncode != 0:
            first = next((ln for ln in run.stderr.decode("utf-8", "replace").splitlines()
                          if ln.strip()), "no message")
            self.hint = failure_hint(f"exit status {run.returncode}: "
                                     f"{clip(printable(first.strip()), 200)}")
            return None
        return run.stdout.decode("utf-8", "replace")

    # Only a mimebundle (as graphviz's own classes): IPython also asks every _repr_*_ method the
    # bundle lacks, so a _repr_svg_ would run dot a second time after a failure.
    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        svg = self.svg()
        if svg is not None:
            return {"image/svg+xml": svg}
        body = self.text() + "\n\n" + self.hint
        return {"text/plain": body, "text/html": f"<pre>{html(body)}</pre>"}


_DOT_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)")
_DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _dot_name(text: str) -> str:
    """A DOT identifier for ``text``: as it is when that is a plain name or number, else quoted."""
    plain = _DOT_PLAIN.fullmatch(text) and text.lower() not in _DOT_KEYWORDS
    return text if plain else dot_id(text)


def _dot_attrs(attrs: dict) -> str:
    return " ".join(f"{_dot_name(k)}={_dot_name(v)}" for k, v in sorted(attrs.items()))


def draw(model, input=None, depth=None, *, collapse=3, rankdir="TB") -> ModuleDrawing:
    """Draw ``model``'s module tree as a :class:`ModuleDrawing` (see the module docstring).

    ``input``: optional sample input (tensor, tuple of arguments or dict of keyword arguments);
    one forward runs to record shapes and which modules are called (lazy layers materialize);
    if it fails, the drawing shows the model up to the error (``tree.error`` says what failed).
    ``depth``: draw at most this many levels below the root (``None``: all).
    ``collapse``: draw runs of at least this many identical siblings once (``0``/``None``: never).
    """
    return build(analyze(model, input, on_error="keep"), depth=depth, collapse=collapse,
                 rankdir=rankdir)


def holder_text(m) -> str:
    """What holds a module the model does not register: the last row of its drawing."""
    if m.status == NOT_IN_MODEL:
        return f"not in the model: {m.holder}"
    return f"not registered: {m.holder}"


def io_text(m, tree) -> str:
    """``(2, 4) -> (2, 8)``, or what stopped the sample forward from reaching or leaving it."""
    if m.failed is not None:
        return f"{fmt_shape(m.failed_inputs)} \u2192 (failed here)"
    if m.unfinished:
        return f"{fmt_shape(m.failed_inputs)} \u2192 (failed inside)"
    if not m.calls:
        return "not reached" if tree.error else "not called"
    return f"{fmt_shape(m.input_shapes)} \u2192 {fmt_shape(m.output_shapes)}"


def svg_id(path: str) -> str:
    """The SVG id of the node or cluster drawing ``path``, as it appears in the SVG."""
    return printable(path) if path else ROOT_ID


class _Builder:
    def __init__(self, tree: ModelTree, depth, collapse, prefix="", marks=None):
        self.tree = tree
        self.prefix = prefix        # before every SVG id (two models in one drawing: diff)
        self.marks = marks or {}    # module path -> notes drawn on it in MARK colour (diff)
        self.depth = depth
        self.collapse = collapse or 0
        self.lines: list = []
        self.targets: dict = {}     # svg id -> module path
        self.ports: dict = {}       # parameter path -> (node id, port)
        self.drawn: dict = {}       # module path -> svg id of the node/cluster showing it
        self.anchor: dict = {}      # module path -> (first node id, last node id)
        self.clusters: set = set()

    def sid(self, path: str) -> str:
        return self.prefix + svg_id(path)

    # -- structure ---------------------------------------------------------------------------
    def module(self, path: str, indent: str):
        m = self.tree.modules[path]
        expand = m.children and m.alias_of is None and (self.depth is None or m.depth < self.depth)
        if not expand:
            node = self.sid(path)
            self.leaf(m, node, indent)
            self.anchor[path] = (node, node)
            return
        cid = self.sid(path)
        self.clusters.add(path)
        self.drawn[path] = cid
        self.targets[cid] = path
        style = "rounded,dashed" if m.status != REGISTERED else "rounded"
        color = RED if m.status != REGISTERED else "#6b7d95"
        label = f"<B>{html(m.label)}</B>"
        if m.holder:
            label += f' <FONT COLOR="{RED}">{html(holder_text(m))}</FONT>'
            if m.calls:
                label += f' <FONT COLOR="{RED}"><B>used by forward, never trained</B></FONT>'
        if m.calls is not None:
            label += f' <FONT POINT-SIZE="9">{html(self.io(m))}</FONT>'
        for note in self.marks.get(path, ()):
            label += f' <FONT COLOR="{MARK}"><B>{html(note)}</B></FONT>'
        if m.failed is not None:
            label += (f' <FONT COLOR="{FAILED}"><B>failed in its own forward: input '
                      f"{html(fmt_shape(m.failed_inputs))} did not fit</B> "
                      f"{html(clip(m.failed, 160))}</FONT>")
        self.lines.append(f"{indent}subgraph {dot_id('cluster_' + cid)} {{")
        inner = indent + "\t"
        attrs = {"id": cid, "class": self.classes(m, "container"), "label": f"<{label}>",
                 "style": style, "color": color, "fontcolor": RED if m.status == UNREGISTERED
                 else "black", "labeljust": "l", "penwidth": "1.5" if m.status == UNREGISTERED
                 else "1"}
        if m.failed is not None:
            attrs["color"], attrs["penwidth"] = FAILED, "2.5"
        if path in self.marks:
            attrs["color"], attrs["penwidth"] = MARK, "2.5"
        if m.calls == 0 and not m.ran:
            attrs["bgcolor"] = "#f4f4f4"
        for k, v in attrs.items():
            self.lines.append(f"{inner}{k}={v if v.startswith('<') else dot_id(v)};")
        first = last = None
        if m.params or m.buffers or m.also_held_at:
            node = f"{cid}#params"
            self.table(m, node, inner, header=f"own parameters of {m.label}",
                       classes="params " + self.classes(m, "container"))
            self.targets[node] = path
            first = last = node
        for group in self.runs(m.children):
            if self.collapse and len(group) >= max(self.collapse, 2):
                node = self.sid(group[0])
                self.collapsed(group, node, inner)
                ends = [(node, node)]
            else:
                ends = []
                for child in group:
                    self.module(child, inner)
                    ends.append(self.anchor[child])
            for a, b in ends:   # invisible edges keep siblings in order, top to bottom
                if last is not None:
                    self.lines.append(f"{inner}{dot_id(last)} -> {dot_id(a)} [style=invis];")
                first = first or a
                last = b
        self.lines.append(f"{indent}}}")
        self.anchor[path] = (first, last)

    def runs(self, children):
        """Consecutive children with identical structure, as lists (singletons otherwise)."""
        groups: list = []
        prev = None
        for c in children:
            sig = self.signature(c)
            if groups and sig is not None and sig == prev:
                groups[-1].append(c)
            else:
                groups.append([c])
            prev = sig
        return groups

    def signature(self, path):
        """Structure of a subtree, or None when it must not be merged with its neighbours."""
        m = self.tree.modules[path]
        if m.alias_of or m.also_held_at or any(p.tied_with or p.problem for p in m.params) \
                or m.failed is not None or m.unfinished:
            return None
        kids = []
        for c in m.children:
            s = self.signature(c)
            if s is None:
                return None
            kids.append((self.tree.modules[c].name if not c[-1:].isdigit() else "#", s))
        return (m.class_name, m.status, m.holder and m.holder.split(" '")[0],
                tuple((p.name, p.shape, p.lazy, p.requires_grad) for p in m.params),
                tuple((b.name, b.shape) for b in m.buffers), bool(m.calls), tuple(kids))

    def subtree(self, path) -> list:
        """``path`` and every module path below it, in tree order."""
        out = [path]
        for c in self.tree.modules[path].children:
            out.extend(self.subtree(c))
        return out

    # -- nodes ---------------------------------------------------------------------------------
    def classes(self, m, shape) -> str:
        words = ["module", shape, m.status]
        if m.calls is not None:
            words.append("called" if m.ran else "not-called")
        if m.failed is not None:
            words.append("failed")
        elif m.unfinished:
            words.append("unfinished")
        if any(p.lazy for p in m.params):
            words.append("lazy")
        if any(p.tied_with for p in m.params):
            words.append("tied")
        if m.alias_of:
            words.append("alias")
        return " ".join(words)

    def io(self, m) -> str:
        return io_text(m, self.tree)

    def leaf(self, m, node, indent):
        self.drawn[m.path] = node
        self.targets[node] = m.path
        self.table(m, node, indent, header=m.label, classes=self.classes(m, "leaf"))

    def table(self, m, node, indent, header, classes):
        unreg = m.status != REGISTERED
        rows = []
        head_fill = RED_FILL if unreg else BLUE_FILL
        head_font = RED if unreg else "black"
        rows.append(f'<TR><TD COLSPAN="3" BGCOLOR="{head_fill}"><FONT COLOR="{head_font}">'
                    f"<B>{html(header)}</B></FONT></TD></TR>")
        for i, p in enumerate(m.params + m.buffers):
            port = f"p{i}"
            self.ports[p.path] = (node, port)
            name, shape = html(p.name), html(fmt_shape(p.shape))
            count = fmt_count(p.numel) if p.kind == "parameter" else p.kind
            if p.lazy:
                name = f'<FONT COLOR="{GREY}"><I>{name}</I></FONT>'
                shape = f'<FONT COLOR="{GREY}"><I>uninitialized</I></FONT>'
                count = f'<FONT COLOR="{GREY}"><I>lazy</I></FONT>'
            elif p.problem:
                name = f'<FONT COLOR="{RED}">{name}</FONT>'
                count = f'<FONT COLOR="{RED}">{count} not registered</FONT>'
            elif not p.requires_grad and p.kind == "parameter":
                count += " frozen"
            rows.append(f'<TR><TD ALIGN="LEFT" PORT="{port}">{name}</TD><TD>{shape}</TD>'
                        f'<TD ALIGN="RIGHT">{count}</TD></TR>')
        if m.children and m.alias_of is None and m.path not in self.clusters:
            below = self.subtree(m.path)[1:]     # cut by the depth limit: summarise
            n_sub, hidden = len(below), sum(self.tree.modules[p].own_numel for p in below)
            rows.append(f'<TR><TD COLSPAN="3"><I>{n_sub} submodule{"s" * (n_sub != 1)}, '
                        f"{fmt_count(hidden)} parameters (depth limit)</I></TD></TR>")
            lost = [p for p in below if self.tree.modules[p].status == UNREGISTERED]
            if lost:   # the depth limit must not hide the very bug this drawing is for
                rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{RED}">inside, not registered: '
                            f"{html(fmt_others(lost[:NAMES_SHOWN], len(lost)))}</FONT></TD></TR>")
                classes += " contains-unregistered"
            for p in below:
                self.drawn[p] = node
        if m.alias_of is not None:
            rows.append(f'<TR><TD COLSPAN="3"><I>same module as {html(m.alias_of or ROOT_ID)}'
                        "</I></TD></TR>")
        for held in m.also_held_at[:NAMES_SHOWN]:
            rows.append(f'<TR><TD COLSPAN="3"><I>also held in {html(held)} '
                        "(harmless: it is registered)</I></TD></TR>")
        if len(m.also_held_at) > NAMES_SHOWN:
            rows.append(f'<TR><TD COLSPAN="3"><I>also held in '
                        f"{fmt_count(len(m.also_held_at) - NAMES_SHOWN)} more places</I></TD></TR>")
        if m.calls is not None and m.path not in self.clusters and m.failed is None:
            rows.append(f'<TR><TD COLSPAN="3"><FONT POINT-SIZE="9">{html(self.io(m))}'
                        "</FONT></TD></TR>")
        if m.path not in self.clusters:
            for note in self.marks.get(m.path, ()):
                rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{MARK}"><B>{html(note)}</B>'
                            "</FONT></TD></TR>")
        if m.failed is not None and m.path not in self.clusters:
            rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{FAILED}"><B>failed here: input '
                        f"{html(fmt_shape(m.failed_inputs))} did not fit</B></FONT></TD></TR>")
            rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{FAILED}">{html(clip(m.failed, 120))}'
                        "</FONT></TD></TR>")
        if m.holder and m.path not in self.clusters:
            rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{RED}">{html(holder_text(m))}'
                        "</FONT></TD></TR>")
            if m.calls:
                rows.append(f'<TR><TD COLSPAN="3"><FONT COLOR="{RED}"><B>used by forward, '
                            "never trained</B></FONT></TD></TR>")
        label = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
                 f'COLOR="{"#e8a0a0" if unreg else "#b8c4d4"}">' + "".join(rows) + "</TABLE>>")
        attrs = [f"id={dot_id(node)}", f"class={dot_id(classes)}", f"label={label}"]
        style = ["rounded"]
        if unreg and m.path not in self.clusters:
            style.append("dashed")
            attrs += [f'color="{RED}"', "penwidth=1.5"]
        if m.failed is not None:
            attrs += [f'color="{FAILED}"', "penwidth=2.5"]
        if m.path in self.marks and m.path not in self.clusters:
            attrs += [f'color="{MARK}"', "penwidth=2.5"]
        if m.calls == 0 and not m.ran:        # the sample forward never called it: faded
            style.append("filled")
            attrs.append('fillcolor="#f4f4f4"')
        if style != ["rounded"]:
            attrs.append(f"style={dot_id(','.join(style))}")
        self.lines.append(f"{indent}{dot_id(node)} [{' '.join(attrs)}];")

    def collapsed(self, group, node, indent):
        ms = [self.tree.modules[p] for p in group]
        first, last = ms[0], ms[-1]
        sub_each = sum(self.tree.modules[p].own_numel for p in self.subtree(first.path))
        unreg = first.status != REGISTERED
        name = f"{first.name} \u2026 {last.name}"
        rows = [f'<TR><TD BGCOLOR="{RED_FILL if unreg else BLUE_FILL}"><FONT COLOR='
                f'"{RED if unreg else "black"}"><B>{html(name)}: {html(first.class_name)} '
                f"\u00d7 {len(ms)}</B></FONT></TD></TR>",
                f"<TR><TD>{fmt_count(sub_each)} parameters each, "
                f"{fmt_count(sub_each * len(ms))} in all</TD></TR>"]
        if first.calls is not None:
            rows.append(f'<TR><TD><FONT POINT-SIZE="9">{html(self.io(first))}</FONT></TD></TR>')
        if first.holder:
            rows.append(f'<TR><TD><FONT COLOR="{RED}">{html(holder_text(first))}'
                        "</FONT></TD></TR>")
        label = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
                 f'COLOR="{"#e8a0a0" if unreg else "#b8c4d4"}">' + "".join(rows) + "</TABLE>>")
        classes = self.classes(first, "leaf") + " collapsed"
        attrs = [f"id={dot_id(node)}", f"class={dot_id(classes)}", f"label={label}",
                 'style="rounded"', "peripheries=2"]
        if unreg:
            attrs += [f'color="{RED}"', 'style="rounded,dashed"']
        self.lines.append(f"{indent}{dot_id(node)} [{' '.join(attrs)}];")
        for p in group:
            for q in self.subtree(p):
                self.drawn[q] = node
        self.targets[node] = first.path

    # -- edges between distant nodes -------------------------------------------------------------
    def ties(self):
        for group in self.tree.tied:
            ends = [self.ports[p] for p in group if p in self.ports]
            for (n1, p1), (n2, p2) in zip(ends, ends[1:]):
                if n1 == n2 and p1 == p2:
                    continue
                self.lines.append(
                    f"\t{dot_id(n1)}:{p1} -> {dot_id(n2)}:{p2} [class=\"tied\" style=dotted "
                    f'color="{TIE}" fontcolor="{TIE}" dir=both arrowhead=dot arrowtail=dot '
                    'constraint=false label="tied"];')

    def aliases(self):
        for m in self.tree.modules.values():
            if m.alias_of is None or m.path not in self.drawn:
                continue
            target = self.anchor.get(m.alias_of, (self.drawn.get(m.alias_of),))[0]
            if target is None:
                continue
            extra = ""
            if m.alias_of in self.clusters:
                extra = f" lhead={dot_id('cluster_' + self.sid(m.alias_of))}"
            self.lines.append(f"\t{dot_id(self.drawn[m.path])} -> {dot_id(target)} "
                              f'[class="alias" style=dotted color="{GREY}" constraint=false '
                              f'label="same module"{extra}];')


def build(tree: ModelTree, depth=None, collapse=3, rankdir="TB") -> ModuleDrawing:
    """Build the drawing of an analysed tree (``draw`` = ``analyze`` + ``build``)."""
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be None (everything) or an int >= 0, got {depth!r}")
    if collapse and (isinstance(collapse, bool) or not isinstance(collapse, int) or collapse < 2):
        raise ValueError(f"collapse must be 0/None (never) or an int >= 2 (shortest run drawn "
                         f"once), got {collapse!r}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    b = _Builder(tree, depth, collapse)
    b.module(tree.root.path, "\t")
    b.ties()
    b.aliases()
    return ModuleDrawing(tree.root.class_name, b.lines, tree, b.targets, b.drawn,
                         **drawing_attrs(rankdir))


def drawing_attrs(rankdir="TB") -> dict:
    """The graph, node and edge attributes of every drawing (``ModuleDrawing`` keywords)."""
    return dict(
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11", "compound": "true",
                    "nodesep": "0.25", "ranksep": "0.25", "newrank": "true"},
        node_attr={"shape": "box", "style": "rounded", "color": "#6b7d95", "fontname": FONT,
                   "fontsize": "10", "margin": "0.04"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6"})
