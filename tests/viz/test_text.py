"""The plain-text module tree: golden files for every fixture model, and the line format."""

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import analyze, text_tree
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


def analysed(name):
    factory, sample = M.TEXT_GOLDEN_MODELS[name]
    return analyze(build(factory), None if sample is None else sample())


@pytest.mark.filterwarnings("ignore::d2lmods.nn.UnregisteredModuleWarning")  # the models' own
@pytest.mark.parametrize("name", sorted(M.TEXT_GOLDEN_MODELS))
def test_golden_text_tree(name, golden):
    tree = analysed(name)
    text = text_tree(tree)
    golden(f"{name}.tree.txt", text)
    assert str(tree) == text


def test_one_line_per_module_then_totals_and_fixes():
    text = text_tree(analysed("plain_list"))
    head, rest = text.split("\n\n", 1)
    assert len(head.splitlines()) == 4  # root, body, heads[0], heads[1]
    assert rest.splitlines()[0].startswith("registered: 40 parameters")
    assert "Fix: self.heads = nn.ModuleList(...)" in rest
    assert "Fix:" not in text_tree(analysed("plain_list"), fixes=False)


def test_tied_names_are_listed_on_each_side():
    text = text_tree(analysed("tied"))
    assert "encoder: Linear  weight (4, 6) (tied: decoder.weight)" in text
    assert "decoder: Linear  weight (4, 6) (tied: encoder.weight)" in text
    assert text_tree(analyze(nn.Linear(2, 2))).splitlines()[0] == "Linear  weight (2, 2)  bias (2,)"
