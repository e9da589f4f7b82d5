"""ModelTree.from_json: a tree rebuilt from plain data (what a grader reads back from a sandbox)."""

import json

import pytest

import d2lmods
from d2lmods.viz import analyze, build, diff_html, diff_text, text_tree
from d2lmods.viz.tree import ModelTree
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)


def through_json(tree):
    return ModelTree.from_json(json.loads(json.dumps(tree.to_json())))


@pytest.mark.filterwarnings("ignore::d2lmods.nn.UnregisteredModuleWarning")
@pytest.mark.parametrize("name", sorted(M.TEXT_GOLDEN_MODELS))
def test_every_golden_model_survives_the_round_trip(name):
    factory, sample = M.TEXT_GOLDEN_MODELS[name]
    tree = analyze(M.build(factory), None if sample is None else sample())
    again = through_json(tree)
    assert build(again).source == build(tree).source
    assert text_tree(again) == text_tree(tree)
    assert all(m.module is None for m in again.modules.values())


def test_a_grader_diffs_plain_data_from_both_sides():
    expected = json.dumps(analyze(M.build(M.FixedList)).to_json())
    submitted = json.dumps(analyze(M.build(M.PlainList), d2lmods.randn(2, 4)).to_json())
    text = diff_text(json.loads(expected), json.loads(submitted))
    assert "heads.0 / heads[0]: registered in expected, not registered" in text
    assert text == diff_text(M.build(M.FixedList), M.build(M.PlainList))
    assert "<li>" in diff_html(json.loads(expected), json.loads(submitted), drawing=False)


def tree_data(**modules):
    return {"root": "", "modules": {"": {"class_name": "Net"}, **modules}}


def test_malformed_data_is_refused_with_a_reason():
    for bad in (None, [], {"modules": []}, {"root": "x", "modules": {"": {}}}):
        with pytest.raises(ValueError):
            ModelTree.from_json(bad)
    with pytest.raises(ValueError, match="more than the 10"):
        ModelTree.from_json(
            tree_data(**{f"m{i}": {"parent": ""} for i in range(20)}), max_modules=10
        )


def test_hostile_data_is_read_with_bounds():
    data = tree_data(
        a={"parent": "b", "class_name": "A"},  # a cycle of parent links, off the root
        b={"parent": "a", "class_name": "B"},
        c={
            "parent": "",
            "class_name": "x" * 10_000,
            "calls": -5,
            "status": "evil",
            "params": [{"name": 7, "numel": "many", "shape": ["no"]}] * 500,
        },
        d={"parent": "d"},  # its own parent
    )
    chain = {f"n{i}": {"parent": f"n{i - 1}" if i else ""} for i in range(300)}
    data["modules"].update(chain)
    tree = ModelTree.from_json(data, max_depth=50)
    assert "a" not in tree.modules and "b" not in tree.modules and "d" not in tree.modules
    c = tree.modules["c"]
    assert len(c.class_name) == 500 and c.calls == 0 and c.status == "registered"
    assert len(c.params) == 64 and c.params[0].name == "int" and c.params[0].numel == 0
    assert max(m.depth for m in tree.modules.values()) == 50
    assert "n60" not in tree.modules
    build(tree).source  # drawable
    text_tree(tree)
