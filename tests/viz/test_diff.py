"""diff(a, b): two module trees side by side, and the text a grader can show."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import analyze, diff
from d2lmods.viz.diff import diff_html, diff_text, place
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def kinds(d):
    return [(c.kind, c.path_a, c.path_b) for c in d.changes]


def test_places_match_registered_and_held_paths():
    assert place("heads[0]") == place("heads.0") == "heads.0"
    assert place("encoder.blocks['enc']") == "encoder.blocks.enc"
    assert place("") == ""


def test_plain_list_against_its_fixed_twin_differs_in_registration_only():
    d = diff(build(M.FixedList), build(M.PlainList), names=("expected", "submitted"))
    assert kinds(d) == [
        ("missing", "heads", None),
        ("registration", "heads.0", "heads[0]"),
        ("registration", "heads.1", "heads[1]"),
    ]
    text = d.text()
    assert text.splitlines()[0] == (
        "expected: FixedList (85 registered parameters) vs submitted: PlainList "
        "(40 registered parameters)"
    )
    assert "heads.0 / heads[0]: registered in expected, not registered (plain list 'heads')" in text
    assert str(d) == text and diff_text(build(M.FixedList), build(M.PlainList)) == text


def test_added_missing_class_and_shape_changes():
    a = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    b = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(8, 2), nn.Linear(2, 1))
    d = diff(a, b)
    assert kinds(d) == [
        ("added", None, "3"),
        ("class", "1", "1"),
        ("shape", "0", "0"),
        ("shape", "0", "0"),
    ]
    assert "1: ReLU in a, Tanh in b" in d.text()
    assert "0: weight (8, 4) in a, (6, 4) in b" in d.text()
    assert "0: bias (8,) in a, (6,) in b" in d.text()
    assert diff(b, a).changes[0].kind == "missing"


def test_identical_models_have_no_changes():
    d = diff(build(M.PlainList), build(M.PlainList))
    assert d.same and "no differences" in d.text()


def test_trees_and_models_can_be_mixed():
    tree = analyze(build(M.FixedList))
    assert kinds(diff(tree, build(M.PlainList))) == kinds(
        diff(build(M.FixedList), build(M.PlainList))
    )


def test_the_drawing_holds_both_sides_with_prefixed_ids(golden):
    d = diff(build(M.FixedList), build(M.PlainList), names=("expected", "submitted"))
    src = d.drawing.source
    golden("diff_fixed_plain_list.gv", src)
    assert 'subgraph "cluster_side_expected"' in src and 'subgraph "cluster_side_submitted"' in src
    assert d.drawing.targets["expected:heads.0"] == "heads.0"
    assert d.drawing.targets["submitted:heads[0]"] == "heads[0]"
    assert "registered here, hidden in submitted" in src
    assert d.drawing.text() == d.text()


@needs_dot
def test_the_diff_drawing_renders_and_its_html_has_no_source_code():
    d = diff(build(M.FixedList), build(M.PlainList), names=("expected", "submitted"))
    run = subprocess.run(
        ["dot", "-Tsvg"], input=d.drawing.source, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and "Warning" not in run.stderr, run.stderr
    ids = {g.get("id") for g in ET.fromstring(run.stdout).iter("{http://www.w3.org/2000/svg}g")}
    assert {"expected:heads.0", "submitted:heads[0]", "expected:(root)"} <= ids
    page = diff_html(build(M.FixedList), build(M.PlainList))
    assert page.startswith("<div class='d2lmods-diff'>") and "<svg" in page
    assert "def forward" not in page and "self.heads" not in page
    assert "<svg" not in d.html(drawing=False)
    assert "image/svg+xml" in d._repr_mimebundle_()


def test_without_dot_the_diff_shows_as_text(no_dot):
    d = diff(build(M.FixedList), build(M.PlainList))
    bundle = d._repr_mimebundle_()
    assert (
        "heads.0 / heads[0]" in bundle["text/plain"] and "install Graphviz" in bundle["text/plain"]
    )
    assert "<svg" not in d.html()


def test_names_must_differ():
    with pytest.raises(ValueError, match="two different labels"):
        diff(nn.Linear(2, 2), nn.Linear(2, 2), names=("x", "x"))


@pytest.mark.oracle
def test_a_torch_model_against_the_d2lmods_twin_is_the_same():
    torch = pytest.importorskip("torch")
    T = registration_models(torch)
    for name in ("PlainList", "FixedList", "Tied", "Deep", "Stack"):
        d = diff(build(getattr(M, name)), T.build(getattr(T, name)))
        assert d.same, d.text()
    assert kinds(diff(build(M.FixedList), T.build(T.PlainList)))[0] == ("missing", "heads", None)


def test_hostile_names_are_escaped_in_the_html():
    a = nn.Sequential()
    a.add_module("<script>alert(1)</script>", nn.Linear(2, 2))
    page = diff_html(a, nn.Sequential(), drawing=False)
    assert "<script>" not in page and "&lt;script&gt;" in page
    text = diff(a, nn.Sequential(), names=("line\nbreak", "b")).text()
    assert "line\\nbreak" in text and "\nbreak" not in text
