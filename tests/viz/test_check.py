"""check(model): d2lmods' registration warnings, in one call, for d2lmods and PyTorch models."""

import warnings

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import check
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


def warned_texts(model, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = check(model, *args)
    return result, [str(w.message) for w in caught if w.category is nn.UnregisteredModuleWarning]


def d2lmods_own_warnings(factory):
    """What d2lmods itself warns while the model is built and first used."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = factory()
        list(model.parameters())
    return model, [str(w.message) for w in caught if w.category is nn.UnregisteredModuleWarning]


@pytest.mark.parametrize("name", ["PlainList", "PlainDict", "PlainTuple", "ParamList", "Deep"])
def test_check_warns_exactly_what_d2lmods_warns(name):
    model, own = d2lmods_own_warnings(getattr(M, name))
    result, texts = warned_texts(model)
    assert own and texts == own == result.messages
    assert not result.ok and not result


def test_problems_are_data_with_paths_kinds_and_fixes():
    result, _ = warned_texts(build(M.PlainList), d2lmods.randn(2, 4))
    assert [(p.path, p.kind, p.used) for p in result.problems] == [
        ("heads[0]", "unregistered", True),
        ("heads[1]", "unregistered", True),
    ]
    assert result.problems[0].fix == "self.heads = nn.ModuleList(...)"
    assert "used by forward, never trained" in result.messages[-1]
    assert "2 problem(s)" in str(result) and "<li>" in result._repr_html_()
    params, _ = warned_texts(build(M.ParamList))
    assert [p.kind for p in params.problems] == ["hidden-parameter", "hidden-parameter"]
    assert params.problems[0].fix == "self.scales = nn.ParameterList(...)"


def test_correct_models_pass_silently():
    for factory in (M.FixedList, M.Tied, M.SharedModule, M.Stack, M.lazy_mlp):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = check(factory())
        assert result.ok and result.problems == [] and "every module" in str(result)


def test_warn_false_only_returns_the_findings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", nn.UnregisteredModuleWarning)
        result = check(build(M.PlainList), warn=False)
    assert len(result.problems) == 2


def test_failing_forward_and_layers_made_in_forward_are_problems_too():
    result, texts = warned_texts(build(M.PlainList), d2lmods.randn(2, 5))
    assert result.problems[-1].kind == "forward-failed" and result.problems[-1].path == "body"
    assert any("the sample forward failed in module 'body'" in t for t in texts)

    class MakesOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 8)

        def forward(self, X):
            return nn.Linear(8, 2)(self.body(X))

    result, texts = warned_texts(MakesOne(), d2lmods.randn(3, 4))
    assert [(p.path, p.kind) for p in result.problems] == [("<forward #0>", "not-in-model")]


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["PlainList", "PlainDict", "PlainTuple", "ParamList", "Deep"])
def test_a_torch_model_gets_the_d2lmods_texts(name):
    torch = pytest.importorskip("torch")
    T = registration_models(torch)
    _, own = d2lmods_own_warnings(getattr(M, name))
    result, texts = warned_texts(getattr(T, name)())
    assert texts == own and [p.path for p in result.problems] == [
        p.path for p in check(build(getattr(M, name)), warn=False).problems
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check(T.FixedList()).ok
