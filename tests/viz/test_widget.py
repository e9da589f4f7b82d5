"""The explorer widget's state, driven as the front end would (no browser: viz.md 2.3e)."""

import base64
import pathlib
import re
import shutil
import subprocess

import pytest
import traitlets

import d2lmods
from d2lmods import nn
from d2lmods.viz import explore
from d2lmods.viz.dot import INSTALL_HINT
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


def front_end_sets(widget, **state):
    """Deliver the message the JS front end sends for ``model.set(...); model.save_changes()``."""
    widget._handle_msg(
        {
            "content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
            "buffers": [],
        }
    )


def front_end_sends(widget, content):
    """Deliver the message the JS front end sends for ``model.send(content)``."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def test_initial_state_describes_the_model():
    w = explore(build(M.PlainList))
    assert w.selected == ""
    mods = w.tree["modules"]
    assert mods["heads[0]"]["status"] == "unregistered"
    assert mods["heads[0]"]["fix"] == "self.heads = nn.ModuleList(...)"
    assert w.tree["targets"]["heads[0]"] == "heads[0]" and w.tree["targets"]["(root)"] == ""
    assert "heads[0]: Linear" in w.text
    if shutil.which("dot"):
        assert 'id="heads[0]"' in w.svg and w.hint == ""


def test_click_in_the_front_end_reaches_python_observers():
    w = explore(build(M.PlainList))
    seen = []
    w.observe(lambda change: seen.append(change["new"]), "selected")
    front_end_sets(w, selected="heads[1]")
    assert w.selected == "heads[1]" and seen == ["heads[1]"]
    assert w.module_info.class_name == "Linear" and w.module_info.status == "unregistered"


def test_unknown_paths_are_refused_with_the_known_ones():
    w = explore(build(M.PlainList))
    with pytest.raises(traitlets.TraitError, match=r"no module 'head' .*'heads\[0\]'"):
        w.selected = "head"
    front_end_sets(w, selected="nope")  # a bad message changes nothing
    assert w.selected == ""


def test_refresh_message_redraws_after_lazy_layers_materialize():
    model = nn.Sequential(nn.LazyLinear(4), nn.ReLU())
    w = explore(model)
    w.selected = "0"
    assert w.tree["modules"]["0"]["params"][0]["lazy"] is True
    version = w.version
    model(d2lmods.randn(2, 3))  # the learner's first forward
    front_end_sends(w, {"event": "refresh"})  # the refresh button
    assert w.version == version + 1
    assert w.tree["modules"]["0"]["params"][0]["shape"] == "(4, 3)"
    assert w.selected == "0"  # selection survives a refresh


def test_refresh_drops_a_selection_that_no_longer_exists():
    model = build(M.FixedList)
    w = explore(model)
    w.selected = "heads.1"
    del model.heads[1]
    w.refresh()
    assert w.selected == "" and "heads.1" not in w.tree["modules"]


def test_sample_input_reaches_the_detail_data():
    w = explore(build(M.PlainList), input=d2lmods.randn(5, 4))
    h = w.tree["modules"]["heads[0]"]
    assert h["calls"] == 1 and h["output_shapes"] == "(5, 2)"
    assert "used, but never trained" in h["problem"]


def test_collapsed_blocks_map_to_the_drawn_node():
    w = explore(build(M.Stack))
    assert w.tree["drawn"]["blocks.7"] == "blocks.0"
    front_end_sets(w, selected="blocks.7")  # from the tree pane
    assert w.selected == "blocks.7"


def test_without_dot_the_widget_carries_text_and_hint(no_dot):
    w = explore(build(M.PlainList))
    assert w.svg == "" and w.hint == INSTALL_HINT and "NOT REGISTERED" in w.text


def test_front_end_module_is_shipped_and_parses():
    js = pathlib.Path(d2lmods.viz.__file__).parent / "widget.js"
    assert js.exists() and "export default { render }" in js.read_text()
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: cannot syntax-check widget.js")
    check = subprocess.run(
        [node, "--input-type=module", "--check"],
        input=js.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_before_the_cell_runs_the_output_says_what_it_is():
    """text/plain (an unrun notebook, a terminal) names the model and asks to run the cell."""
    w = explore(build(M.PlainList))
    data, _metadata = w._repr_mimebundle_()
    plain = data["text/plain"]
    assert plain.startswith("<ModelExplorer of PlainList: an interactive widget; run this cell")
    assert "object at 0x" not in plain and "heads[0]: Linear" in plain
    assert repr(w).startswith("<ModelExplorer of PlainList")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_the_static_html_copy_holds_the_tree_the_drawing_and_the_fixes():
    w = explore(build(M.PlainDict))
    page = w._repr_mimebundle_()[0]["text/html"]
    assert "static copy" in page and "<script" not in page
    assert "<li data-path=\"blocks['enc']\">" in page
    assert 'class="d2lm-item unregistered"' in page
    assert "Fix:</b> <code>self.blocks = nn.ModuleDict(...)</code>" in page
    if shutil.which("dot"):  # the drawing as an image: sanitizers keep it, scripts are none
        [data] = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
        assert 'id="blocks[&#39;enc&#39;]"' in base64.b64decode(data).decode()


def test_without_dot_the_static_copy_shows_the_text_tree(no_dot):
    page = explore(build(M.PlainList))._repr_mimebundle_()[0]["text/html"]
    assert "<svg" not in page and "install Graphviz" in page and "heads[0]: Linear" in page


def test_a_failing_forward_still_gives_an_explorer():
    w = explore(build(M.PlainList), input=d2lmods.randn(2, 5))
    body = w.tree["modules"]["body"]
    assert body["failed"].startswith("RuntimeError") and body["failed_inputs"] == "(2, 5)"
    assert w.tree["error"] and "failed here" in w.text
