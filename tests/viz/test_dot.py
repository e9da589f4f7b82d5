"""The Graphviz drawing: golden DOT files, real `dot` rendering, styles, depth, collapse, no-dot."""

import pathlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import draw
from d2lmods.viz.dot import INSTALL_HINT, ModuleDrawing
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_groups(svg: str) -> dict:
    """id -> class of every <g> in an SVG produced by dot."""
    root = ET.fromstring(svg)
    return {g.get("id"): g.get("class") for g in root.iter(f"{SVG_NS}g") if g.get("id")}


def node_line(source: str, node_id: str) -> str:
    lines = [ln for ln in source.splitlines() if ln.strip().startswith(f'"{node_id}" [')]
    assert len(lines) == 1, f"expected one node {node_id!r}, found {len(lines)}"
    return lines[0]


GOLDEN_CASES = {
    "plain_list.gv": lambda: draw(build(M.PlainList)),
    "plain_list_with_input.gv": lambda: draw(build(M.PlainList), input=d2lmods.randn(2, 4)),
    "plain_dict.gv": lambda: draw(build(M.PlainDict)),
    "params_in_list.gv": lambda: draw(build(M.ParamList)),
    "tied.gv": lambda: draw(build(M.Tied)),
    "lazy.gv": lambda: draw(nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))),
    "stack_collapsed.gv": lambda: draw(build(M.Stack)),
    "deep_depth2.gv": lambda: draw(build(M.Deep), depth=2),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_dot(name, golden):
    g = GOLDEN_CASES[name]()
    assert isinstance(g, ModuleDrawing)
    golden(name, g.source)


@needs_dot
@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_dot_renders_each_drawing_with_ids_and_classes(name):
    g = GOLDEN_CASES[name]()
    result = subprocess.run(
        ["dot", "-Tsvg"], input=g.source, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr
    groups = svg_groups(result.stdout)
    for svg_id, path in g.targets.items():
        assert svg_id in groups, f"{svg_id} (module {path!r}) missing from the SVG"
        assert "module" in groups[svg_id]
    for m in g.tree.unregistered:
        # drawn as itself, or summarised (depth limit) by an ancestor that says so
        words = groups[g.drawn[m.path]].split()
        assert "unregistered" in words or "contains-unregistered" in words


def test_unregistered_modules_are_red_dashed_and_name_their_holder():
    src = draw(build(M.PlainList)).source
    for head in ("heads[0]", "heads[1]"):
        line = node_line(src, head)
        assert 'color="#d62728"' in line and "dashed" in line
        assert "not registered: plain list 'heads'" in line
        assert 'class="module leaf unregistered"' in line
    body = node_line(src, "body")
    assert "dashed" not in body and "#d62728" not in body
    assert "<TD>(8, 4)</TD>" in body and ">32</TD>" in body


def test_lazy_rows_are_grey_italic_and_tied_params_are_joined():
    lazy = draw(nn.Sequential(nn.LazyLinear(8))).source
    assert '<FONT COLOR="#8a8a8a"><I>uninitialized</I></FONT>' in lazy
    tied = draw(build(M.Tied)).source
    edges = [ln for ln in tied.splitlines() if 'class="tied"' in ln]
    assert len(edges) == 1
    assert (
        edges[0].strip().startswith('"encoder":p0 -> "decoder":p0') and "style=dotted" in edges[0]
    )


def test_containers_are_clusters_labelled_name_class():
    src = draw(build(M.FixedList)).source
    assert 'subgraph "cluster_heads" {' in src and "<B>heads: ModuleList</B>" in src
    assert 'subgraph "cluster_(root)" {' in src and "<B>FixedList</B>" in src
    assert 'id="heads.1"' in src


def test_output_is_deterministic_across_instances():
    assert draw(build(M.PlainList)).source == draw(build(M.PlainList)).source
    assert draw(build(M.Stack)).source == draw(build(M.Stack)).source


def test_identical_blocks_collapse_and_can_be_expanded():
    model = build(M.Stack)
    src = draw(model).source
    assert "0 \u2026 11: Block \u00d7 12" in src
    assert "72 parameters each, 864 in all" in src  # Linear(8, 8) per block
    ids = re.findall(r'\bid="([^"]+)"', src)
    assert "blocks.0" in ids and "blocks.5" not in ids and "blocks.0.fc" not in ids
    g = draw(model)
    assert g.drawn["blocks.5.fc"] == "blocks.0"  # every hidden path maps to the drawn node
    full = draw(model, collapse=0).source
    assert all(f'id="blocks.{i}.fc"' in full for i in range(12))


def test_depth_limit_summarises_deeper_modules():
    src = draw(build(M.Deep), depth=1).source
    ids = set(re.findall(r'\bid="([^"]+)"', src))
    assert ids == {"(root)", "encoder"}
    # 0, 0.0, 0.1, 0.1.0, 0.1.1, 1 and the unregistered 1.extras[0]
    assert "7 submodules" in src
    line = node_line(src, "encoder")
    assert "inside, not registered: encoder.1.extras[0]" in line  # the cut does not hide it
    assert "contains-unregistered" in line


def test_sample_input_adds_shapes_and_fades_uncalled_modules():
    class Spare(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(2, 3)
            self.spare = nn.Linear(2, 2)

        def forward(self, X):
            return self.used(X)

    src = draw(Spare(), input=d2lmods.randn(4, 2)).source
    assert "(4, 2) \u2192 (4, 3)" in node_line(src, "used")
    spare = node_line(src, "spare")
    assert "not called" in spare and "filled" in spare and "not-called" in spare
    src = draw(build(M.PlainList), input=d2lmods.randn(2, 4)).source
    assert "used by forward, never trained" in node_line(src, "heads[0]")
    assert "never trained" not in node_line(src, "body")


def test_without_dot_the_notebook_shows_the_text_tree_and_a_hint(no_dot):
    g = draw(build(M.PlainList))
    bundle = g._repr_mimebundle_()  # what Jupyter calls to display the cell result
    text = bundle["text/plain"]
    assert "heads[0]: Linear" in text and "NOT REGISTERED" in text
    assert text.rstrip().endswith(INSTALL_HINT)
    assert "<pre>" in bundle["text/html"]
    assert g.svg() is None


def test_ipython_display_never_raises_executable_not_found(no_dot):
    pytest.importorskip("IPython")
    from IPython.core.formatters import DisplayFormatter

    data, _meta = DisplayFormatter().format(draw(build(M.PlainList)))
    assert "install Graphviz" in data["text/plain"]


@needs_dot
def test_with_dot_jupyter_gets_svg():
    bundle = draw(build(M.PlainList))._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert 'id="heads[0]"' in svg


def test_drawing_hands_its_source_to_graphviz_and_keeps_its_own_maps():
    g = draw(build(M.PlainList))
    assert isinstance(g, ModuleDrawing) and g.tree.root.class_name == "PlainList"
    assert isinstance(g.graphviz, graphviz.Source) and g.graphviz.source == g.source == str(g)
    other = draw(nn.Linear(2, 2))          # no state shared between drawings
    assert other.targets == {"(root)": ""} and "heads[0]" in g.targets
    sharp = g.copy()
    sharp.graph_attr["dpi"] = "144"
    assert "dpi=144" in sharp.source and "dpi" not in g.source


@needs_dot
def test_pipe_and_render_work_as_with_graphviz(tmp_path):
    g = draw(build(M.PlainList))
    assert g.pipe(format="svg").startswith(b"<?xml")
    assert 'id="heads[0]"' in g.pipe(format="svg", encoding="utf-8")
    out = g.render(tmp_path / "plain_list", format="svg")
    assert pathlib.Path(out).read_text().count('id="heads[') == 2


@needs_dot
def test_readme_figure_script_draws_the_unregistered_heads(tmp_path):
    script = pathlib.Path(__file__).parents[2] / "docs" / "make_figures.py"
    run = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    groups = svg_groups((tmp_path / "unregistered_heads.svg").read_text())
    assert "unregistered" in groups["heads[0]"].split() and "called" in groups["heads[0]"].split()
    assert "registered" in groups["encoder.0"].split()
    assert (tmp_path / "unregistered_heads.png").read_bytes()[:4] == b"\x89PNG"
    diff_ids = svg_groups((tmp_path / "diff_heads.svg").read_text())
    assert "unregistered" in diff_ids["buggy:heads[0]"].split()
    assert "registered" in diff_ids["fixed:heads.0"].split()
