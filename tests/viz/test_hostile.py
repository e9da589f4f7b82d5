"""The viewer on hostile or broken models: every read of the learner's objects is bounded, and a
drawing `dot` cannot render falls back to the text tree instead of raising."""

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import ForwardPassError, analyze, draw, explore, summary, text_tree
from d2lmods.viz.dot import INSTALL_HINT, failure_hint
from d2lmods.viz.tree import MAX_DIMS, MAX_ITEMS
from tests.fixtures.models import registration_models

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
SVG_NS = "{http://www.w3.org/2000/svg}"


def Returns(value):
    """A model whose forward returns ``value`` (held by the forward, not as an attribute, so that
    only the viewer's reading of the output is under test)."""

    class Returns(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, X):
            self.fc(X)
            return value

    return Returns()


def limited(items, limit=10_000):
    """``items``, but reading past ``limit`` of them fails the test (rather than running on)."""
    for i, item in enumerate(items):
        if i >= limit:
            raise AssertionError(f"the viewer read more than {limit} items of an endless iterable")
        yield item


# ----------------------------------------------------------------------------- tied, many times
def test_one_parameter_shared_by_4000_modules_gives_a_bounded_summary():
    w = nn.Parameter(d2lmods.ones(2, 1))
    net = nn.Sequential(*[nn.Linear(1, 2, bias=False) for _ in range(4000)])
    for m in net:
        m.weight = w
    start = time.perf_counter()
    tree = analyze(net)
    text, table = text_tree(tree), str(summary(net))
    data = json.dumps(tree.to_json())
    assert time.perf_counter() - start < 60
    # each of the 4,000 lines names a few others, not all 3,999 (that was 194 MiB)
    for out in (text, table, data):  # linear in the number of modules
        assert len(out) < 1_500 * 4000, len(out)
    assert "0.weight tied: 1.weight, 2.weight, 3.weight and 3,996 more" not in table
    assert "weight tied: 1.weight, 2.weight, 3.weight and 3,996 more" in table
    assert "(tied: 0.weight, 1.weight, 2.weight and 3,996 more)" in text
    p = tree.modules["5"].params[0]
    assert p.tied_with == ("0.weight", "1.weight", "2.weight") and p.tied_count == 3999
    assert len(tree.tied) == 1 and len(tree.tied[0]) == 4000  # the full group is still there
    assert tree.totals.registered_params == 2


def test_module_held_in_thousands_of_places_lists_a_few():
    class Many(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.refs = [self.fc] * 3000  # harmless: fc is registered

    model = Many()
    tree = analyze(model)
    assert len(tree.modules["fc"].also_held_at) == 3000
    line = next(ln for ln in str(summary(model)).splitlines() if ln.startswith("  fc"))
    assert line.endswith("also in refs[0], refs[1], refs[2] and 2,997 more")
    text = text_tree(tree)
    assert (
        "[also held in refs[2]; registered, so harmless]  [also held in 2,997 more places]" in text
    )
    assert len(text) < 10_000
    assert "also held in 2,997 more places" in draw(model).source


# ----------------------------------------------------------------------------- endless outputs
def test_an_output_whose_shape_never_ends_is_cut_short():
    class Endless:
        @property
        def shape(self):
            return limited(itertools.count(1))

    start = time.perf_counter()
    tree = analyze(Returns(Endless()), d2lmods.ones(1, 2))
    assert time.perf_counter() - start < 10
    assert tree.root.output_shapes == "Endless (shape unreadable)"
    assert "Endless (shape unreadable)" in str(summary(Returns(Endless()), d2lmods.ones(1, 2)))


def test_shapes_that_are_not_shapes_are_described_not_raised():
    class Odd:
        def __init__(self, shape):
            self._shape = shape

        @property
        def shape(self):
            if self._shape is None:
                raise RuntimeError("no shape today")
            return self._shape

    for shape in [None, (10**5000,), (-1, 2), ("a",), tuple(range(MAX_DIMS + 1))]:
        tree = analyze(Returns(Odd(shape)), d2lmods.ones(1, 2))
        assert tree.root.output_shapes == "Odd (shape unreadable)", shape
    tree = analyze(Returns(Odd(tuple(range(1, MAX_DIMS + 1)))), d2lmods.ones(1, 2))
    assert len(tree.root.output_shapes) == MAX_DIMS


def test_endless_wide_and_deep_output_containers_are_cut_short():
    class EndlessList(list):
        def __iter__(self):
            return limited(itertools.repeat(d2lmods.ones(1)))

        def __len__(self):
            return 10**18

    class EndlessDict(dict):
        def items(self):
            return limited(zip(itertools.count(), itertools.repeat(1)))

    deep = []
    for _ in range(5000):
        deep = [deep]
    loop = []
    loop.append(loop)
    wide = [d2lmods.ones(3)] * 100_000
    cases = {
        "endless list": EndlessList([d2lmods.ones(2)]),
        "endless dict": EndlessDict(a=d2lmods.ones(2)),
        "deep": deep,
        "loop": loop,
        "wide": wide,
    }
    for what, value in cases.items():
        tree = analyze(Returns(value), d2lmods.ones(1, 2))
        text = str(summary(Returns(value), d2lmods.ones(1, 2)))
        assert len(text) < 5_000, what
        assert tree.modules["fc"].output_shapes == (1, 2), what
    assert analyze(Returns(cases["endless list"]), d2lmods.ones(1, 2)).root.output_shapes == [(2,)]
    out = analyze(Returns(wide), d2lmods.ones(1, 2)).root.output_shapes
    assert out[:MAX_ITEMS] == [(3,)] * MAX_ITEMS and out[MAX_ITEMS] == "\u2026 99,992 more"


def test_huge_names_and_messages_are_clipped():
    Huge = type("H" * 1_000_000, (nn.Module,), {"forward": lambda self, X: X})
    text = str(summary(nn.Sequential(Huge())))
    assert len(text) < 2_000

    class Loud(Exception):
        def __str__(self):
            return "x" * 10_000_000

    class Broken(Exception):
        def __str__(self):
            raise ValueError("no message for you")

    for exc, expected in [(Loud, "xxxx\u2026"), (Broken, "could not be read")]:

        class Fails(nn.Module):
            def forward(self, X, exc=exc):
                raise exc()

        with pytest.raises(ForwardPassError) as err:
            analyze(Fails(), d2lmods.ones(1))
        assert expected in str(err.value) and len(str(err.value)) < 5_000


# ----------------------------------------------------------------------------- names and dot
def control_named():
    net = nn.Sequential()
    net.add_module("a\x01b", nn.Linear(2, 2))
    net.add_module("line\nbreak", nn.Sequential(nn.Linear(2, 2)))
    net.add_module("tab\there\u2028", nn.ReLU())
    net.add_module('quote"back\\slash', nn.Linear(2, 2))
    return net


@needs_dot
@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x1b",
        "\x85",
        "\ud800",
        "\ufffe",
        "\uffff",
        "\u202e",
        "\\N",
        "&amp;",
        "<b>",
        "]]>",
        "\U0001f600",
    ],
)
def test_any_character_in_a_name_renders_as_valid_svg(char):
    net = nn.Sequential()
    net.add_module(f"a{char}b", nn.Linear(1, 1))
    g = draw(net)
    svg = g.svg()
    assert svg is not None, g.hint
    ids = {e.get("id") for e in ET.fromstring(svg.encode()).iter(f"{SVG_NS}g") if e.get("id")}
    assert set(g.targets) <= ids


def test_control_characters_in_names_stay_on_one_line_in_text():
    net = control_named()
    text = text_tree(analyze(net)).split("\n\n")[0]
    assert text.splitlines() == [
        "Sequential",
        "\u251c\u2500\u2500 a\\x01b: Linear  weight (2, 2)  bias (2,)",
        "\u251c\u2500\u2500 line\\nbreak: Sequential",
        "\u2502   \u2514\u2500\u2500 0: Linear  weight (2, 2)  bias (2,)",
        "\u251c\u2500\u2500 tab\\there\\u2028: ReLU",
        '\u2514\u2500\u2500 quote"back\\slash: Linear  weight (2, 2)  bias (2,)',
    ]
    rows = str(summary(net)).splitlines()
    assert len(rows) == 3 + 6 + 2 and any(r.startswith("  line\\nbreak ") for r in rows)


@needs_dot
def test_control_characters_in_names_render_with_dot():
    g = draw(control_named())
    svg = g._repr_mimebundle_()["image/svg+xml"]
    ids = {e.get("id") for e in ET.fromstring(svg).iter(f"{SVG_NS}g") if e.get("id")}
    assert set(g.targets) <= ids  # the explorer can map every SVG id back to a module
    assert g.targets["a\\x01b"] == "a\x01b" and g.targets["line\\nbreak"] == "line\nbreak"
    assert g.drawn["line\nbreak.0"] == "line\\nbreak.0"
    assert 'quote"back\\slash' in g.targets


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """``fake_dot(code)``: put a ``dot`` running this Python code first on PATH."""

    def install(code, interpreter=sys.executable):
        exe = tmp_path / "bin" / "dot"
        exe.parent.mkdir(exist_ok=True)
        exe.write_text(f"#!{interpreter}\nimport sys, time\n{code}\n")
        exe.chmod(0o755)
        monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        assert shutil.which("dot") == str(exe)

    return install


def check_fallback(g, reason):
    bundle = g._repr_mimebundle_()  # what Jupyter calls; must never raise
    assert "image/svg+xml" not in bundle
    text = bundle["text/plain"]
    tree, hint = text.rsplit("\n\n", 1)
    assert "heads[0]: Linear" in tree and "NOT REGISTERED" in tree
    assert "\n" not in hint and reason in hint and hint == g.hint
    assert "<pre>" in bundle["text/html"]
    assert g.svg() is None


def plain_list():
    M = registration_models(d2lmods)
    PlainList, build = M.PlainList, M.build

    return build(PlainList)


def test_dot_that_fails_gives_the_text_tree_and_a_one_line_hint(fake_dot):
    fake_dot("sys.stderr.write(\"Error: syntax error in line 3 near 'x'\\nmore\\n\"); sys.exit(1)")
    g = draw(plain_list())
    check_fallback(g, "exit status 1: Error: syntax error in line 3")
    assert g.hint == failure_hint("exit status 1: Error: syntax error in line 3 near 'x'")
    w = explore(plain_list())
    assert w.svg == "" and w.hint == g.hint and "NOT REGISTERED" in w.text


def test_jupyter_runs_dot_once_per_display(fake_dot, tmp_path):
    from IPython.core.formatters import DisplayFormatter

    log = tmp_path / "calls"
    fake_dot(f"open({str(log)!r}, 'a').write('call\\n'); sys.exit(3)")
    data, _meta = DisplayFormatter().format(draw(plain_list()))
    assert "exit status 3" in data["text/plain"] and "image/svg+xml" not in data
    assert log.read_text() == "call\n"


def test_dot_that_hangs_is_timed_out(fake_dot, monkeypatch):
    fake_dot("time.sleep(60)")
    monkeypatch.setattr("d2lmods.viz.dot.DOT_TIMEOUT", 1)
    start = time.perf_counter()
    check_fallback(draw(plain_list()), "ran longer than 1 s")
    assert time.perf_counter() - start < 30


def test_dot_that_cannot_start_gives_the_text_tree(fake_dot, tmp_path):
    fake_dot("", interpreter=tmp_path / "no-such-interpreter")  # on PATH, but exec fails
    check_fallback(draw(plain_list()), "FileNotFoundError")


def test_without_dot_the_hint_is_the_install_hint(no_dot):
    g = draw(plain_list())
    check_fallback(g, "install Graphviz")
    assert g.hint == INSTALL_HINT


@needs_dot
def test_a_drawing_dot_rejects_falls_back():
    g = draw(plain_list())
    g.body.append("\tthis is not DOT {")  # what a future bug in the builder would do
    check_fallback(g, "exit status 1")
    real = subprocess.run(
        ["dot", "-Tsvg"], input=g.source, capture_output=True, text=True, check=False, timeout=60
    )
    assert real.returncode != 0
