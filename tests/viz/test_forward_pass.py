"""The sample forward: drawn up to the error when it fails; layers created inside forward."""

import warnings

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import ForwardPassError, analyze, draw, summary, text_tree
from d2lmods.viz.tree import NOT_IN_MODEL, REGISTERED
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


class MakesOne(nn.Module):
    """Creates its head inside forward: new random weights at every call."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)

    def forward(self, X):
        return nn.Linear(8, 2)(self.body(X))


class MakesOneOnce(nn.Module):
    """The corrected twin: the head is created once, in __init__."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, X):
        return self.head(self.body(X))


def test_a_failing_forward_is_drawn_up_to_the_error():
    model = build(M.PlainList)
    g = draw(model, input=d2lmods.randn(2, 5))  # body expects 4 features
    tree = g.tree
    failed = tree.failed
    assert failed.path == "body" and failed.failed_inputs == (2, 5)
    assert failed.failed.startswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied")
    assert "\n" not in failed.failed
    assert tree.root.unfinished and tree.root.failed is None
    assert "failed in module 'body' (Linear) with input (2, 5)" in tree.error
    line = next(ln for ln in g.source.splitlines() if ln.strip().startswith('"body" ['))
    assert "failed here: input (2, 5) did not fit" in line and "mat1 and mat2" in line
    assert 'color="#e65100"' in line and "failed" in line.split('class="')[1].split('"')[0]
    assert "not reached" in next(
        ln for ln in g.source.splitlines() if ln.strip().startswith('"heads[0]" [')
    )
    assert "(2, 5) -> (failed here)" in text_tree(tree)
    assert "FAILED: RuntimeError" in str(summary(model, d2lmods.randn(2, 5)))
    # the hooks are gone and the flags restored, as after a forward that ran
    for mod in [model, model.body, *model.heads]:
        assert len(mod._forward_hooks) == 0 and len(mod._forward_pre_hooks) == 0
    assert model.training


def test_analyze_still_raises_unless_asked_to_keep_going():
    with pytest.raises(ForwardPassError):
        analyze(build(M.PlainList), d2lmods.randn(2, 5))
    with pytest.raises(ValueError, match="on_error"):
        analyze(build(M.PlainList), d2lmods.randn(2, 4), on_error="ignore")


def test_failure_in_the_models_own_forward_marks_the_root():
    class Joins(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)
            self.b = nn.Linear(2, 4)

        def forward(self, X):
            return d2lmods.cat([self.a(X), self.b(X)], dim=0)  # wrong dim: 3 vs 4 columns

    g = draw(Joins(), input=d2lmods.randn(5, 2))
    assert g.tree.failed is g.tree.root
    assert g.tree.modules["a"].output_shapes == (5, 3)  # what ran keeps its shapes
    assert g.tree.modules["b"].output_shapes == (5, 4)
    assert "failed in its own forward: input (5, 2) did not fit" in g.source


def test_a_dtype_error_is_drawn_too():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    g = draw(model, input=d2lmods.ones((1, 2), dtype=d2lmods.int64))
    assert g.tree.failed is not None and g.tree.failed.path == "0"


def test_layer_created_inside_forward_is_drawn_as_such():
    # the library says it too, once, as the model runs
    with pytest.warns(nn.TrainingWarning, match="created inside MakesOne.forward"):
        tree = analyze(MakesOne(), d2lmods.randn(3, 4))
    [made] = tree.not_in_model
    assert made.path == "<forward #0>" and made.status == NOT_IN_MODEL and made.parent == ""
    assert made.class_name == "Linear" and made.output_shapes == (3, 2) and made.calls == 1
    assert "new random parameters, at every call" in made.problem and "__init__" in made.fix
    assert tree.modules["body"].status == REGISTERED
    assert tree.totals.not_in_model == 1
    src = draw(MakesOne(), input=d2lmods.randn(3, 4)).source
    assert "&lt;forward #0&gt;: Linear" in src
    assert "not in the model: created inside forward" in src
    assert "used by forward, never trained" in src


def test_the_twin_that_creates_its_layer_once_has_nothing_to_flag():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree = analyze(MakesOneOnce(), d2lmods.randn(3, 4))
    assert tree.not_in_model == [] and tree.problems == [] and tree.totals.not_in_model == 0


def test_layers_created_in_a_submodules_forward_hang_below_it():
    outer = nn.Sequential(MakesOne(), nn.ReLU())
    tree = analyze(outer, d2lmods.randn(3, 4))
    assert [m.path for m in tree.not_in_model] == ["0.<forward #0>"]
    assert tree.modules["0.<forward #0>"].parent == "0"


def test_a_failure_inside_a_layer_created_in_forward_is_marked_on_it():
    class MakesWrongOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 8)

        def forward(self, X):
            return nn.Linear(7, 2)(self.body(X))  # expects 7 features, gets 8

    with pytest.warns(nn.TrainingWarning, match="created inside MakesWrongOne.forward"):
        g = draw(MakesWrongOne(), input=d2lmods.randn(3, 4))
    failed = g.tree.failed
    assert failed.path == "<forward #0>" and failed.failed_inputs == (3, 8)
    assert "failed in a Linear the model does not hold" in g.tree.error
    assert g.tree.modules["body"].output_shapes == (3, 8)


def test_a_forward_making_thousands_of_layers_is_drawn_with_bounds():
    class Factory(nn.Module):
        def forward(self, X):
            for _ in range(500):
                X = nn.ReLU()(X)
            return X

    tree = analyze(Factory(), d2lmods.randn(2, 2))
    assert len(tree.not_in_model) == 64
    assert any("436 more modules than the 64 drawn" in n for n in tree.notes)
