"""The analysis model: registered vs. held in plain containers vs. used by forward."""

import warnings

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import ForwardPassError, analyze
from d2lmods.viz.tree import INSIDE_UNREGISTERED, REGISTERED, UNREGISTERED
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


def numel(model):
    return sum(p.numel() for p in model.parameters())


def test_plain_list_heads_are_found_with_their_attribute_path():
    model = build(M.PlainList)
    tree = analyze(model)
    assert [m.path for m in tree.unregistered] == ["heads[0]", "heads[1]"]
    h0 = tree.modules["heads[0]"]
    assert h0.status == UNREGISTERED and h0.parent == "" and h0.class_name == "Linear"
    assert h0.holder == "plain list 'heads'"
    assert [(p.name, p.shape, p.visible) for p in h0.params] == [
        ("weight", (2, 8), False),
        ("bias", (2,), False),
    ]
    assert "nn.ModuleList" in h0.fix and "18 parameters" in h0.problem
    assert tree.modules["body"].status == REGISTERED and not tree.modules["body"].flagged
    t = tree.totals
    assert t.registered_params == numel(model) == 40
    assert t.hidden_params == 2 * 8 + 2 + 3 * 8 + 3
    assert t.hidden_tensors == 4 and t.unregistered_modules == 2
    assert t.state_dict_keys == len(model.state_dict()) == 2


def test_module_list_twin_has_nothing_to_flag():
    model = build(M.FixedList)
    tree = analyze(model)
    assert tree.unregistered == [] and tree.problems == []
    assert list(tree.modules) == ["", "body", "heads", "heads.0", "heads.1"]
    assert tree.totals.registered_params == numel(model) == 85
    assert tree.totals.hidden_params == 0


def test_plain_dict_paths_and_fix():
    tree = analyze(build(M.PlainDict))
    assert sorted(m.path for m in tree.unregistered) == ["blocks['dec']", "blocks['enc']"]
    assert all("nn.ModuleDict" in m.fix for m in tree.unregistered)
    assert tree.totals.registered_params == 0
    assert tree.totals.hidden_params == 4 * 6 + 6 + 6 * 4 + 4


def test_plain_tuple():
    tree = analyze(build(M.PlainTuple))
    assert [m.path for m in tree.unregistered] == ["pair[0]", "pair[1]"]
    assert tree.modules["pair[1]"].class_name == "ReLU"
    assert tree.modules["pair[0]"].holder == "plain tuple 'pair'"
    assert tree.totals.hidden_params == 12 and tree.totals.registered_params == 4


def test_nested_lists_keep_every_index():
    tree = analyze(build(M.NestedList))
    assert [m.path for m in tree.unregistered] == ["layers[0][0]", "layers[1][0]", "layers[1][1]"]
    assert tree.totals.hidden_params == (4 + 2) + (6 + 3) + (6 + 2)


def test_list_filled_after_assignment():
    tree = analyze(build(lambda: M.AppendedLater(4)))
    assert [m.path for m in tree.unregistered] == [f"layers[{i}]" for i in range(4)]
    assert tree.totals.hidden_params == 4 * 30


def test_parameters_in_a_plain_list_are_flagged_on_their_owner():
    model = build(M.ParamList)
    tree = analyze(model)
    root = tree.modules[""]
    hidden = [p for p in root.params if not p.visible]
    assert [(p.name, p.shape) for p in hidden] == [("scales[0]", (4,)), ("scales[1]", (4,))]
    assert all("nn.ParameterList" in p.fix for p in hidden)
    assert tree.totals.hidden_params == 8 and tree.totals.registered_params == numel(model) == 20
    assert root.flagged and [x[0] for x in tree.problems] == ["scales[0]", "scales[1]"]


def test_tied_parameters_are_grouped_and_counted_once():
    model = build(M.Tied)
    tree = analyze(model)
    assert tree.tied == [("encoder.weight", "decoder.weight")]
    enc = tree.modules["encoder"].params[0]
    assert enc.tied_with == ("decoder.weight",)
    assert tree.totals.registered_params == numel(model) == 24
    assert tree.totals.tied_groups == 1
    assert tree.totals.state_dict_keys == len(model.state_dict()) == 2


def test_module_registered_twice_is_drawn_once_and_aliased():
    model = build(M.SharedModule)
    tree = analyze(model)
    assert tree.modules["b"].alias_of == "a" and tree.modules["b"].params == []
    assert tree.totals.registered_params == numel(model) == 12
    assert tree.tied == []  # the alias's parameters are the first occurrence's


def test_lazy_parameters_are_marked_then_materialized_by_the_sample_forward():
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    tree = analyze(model)
    lazy = [p for m in tree.modules.values() for p in m.params]
    assert all(p.lazy and p.shape is None and p.numel == 0 for p in lazy) and len(lazy) == 4
    assert tree.totals.lazy_tensors == 4 and tree.totals.registered_params == 0
    tree = analyze(model, d2lmods.randn(3, 5))
    assert tree.modules["0"].params[0].shape == (8, 5)
    assert tree.modules["2"].params[0].shape == (2, 8)
    assert tree.totals.lazy_tensors == 0 and tree.totals.registered_params == numel(model) == 66
    assert any("materialized" in n and "0.weight" in n for n in tree.notes)


def test_deep_nesting_depths_and_owner_of_a_list_deep_inside():
    tree = analyze(build(M.Deep))
    assert tree.modules["encoder.0.1.0"].depth == 4
    extra = tree.modules["encoder.1.extras[0]"]
    assert extra.status == UNREGISTERED and extra.parent == "encoder.1" and extra.depth == 3


def test_cycles_terminate_and_self_references_are_harmless():
    model = build(M.Cyclic)
    tree = analyze(model)
    assert [m.path for m in tree.unregistered] == ["loop[0]"]
    assert sorted(tree.root.also_held_at) == ["fc.peers[0]", "me[0]"]
    assert tree.totals.hidden_params == 6 and tree.totals.registered_params == 6


def test_module_inside_an_unregistered_module_is_lost_with_it():
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = [nn.Sequential(nn.Linear(2, 3), nn.ReLU())]

    tree = analyze(build(Outer))
    assert tree.modules["stages[0]"].status == UNREGISTERED
    inner = tree.modules["stages[0].0"]
    assert inner.status == INSIDE_UNREGISTERED and "stages[0]" in inner.problem
    assert tree.totals.hidden_params == 9
    assert [p for p, _, _ in tree.problems] == ["stages[0]"]  # explained once, at the top


def test_sample_forward_records_shapes_and_used_but_unregistered_modules():
    model = build(M.PlainList)
    tree = analyze(model, d2lmods.randn(2, 4))
    assert tree.dynamic
    assert tree.modules["body"].calls == 1
    assert tree.modules["body"].input_shapes == (2, 4)
    assert tree.modules["heads[1]"].output_shapes == (2, 3)
    assert tree.modules[""].output_shapes == [(2, 2), (2, 3)]
    assert [m.path for m in tree.used_unregistered] == ["heads[0]", "heads[1]"]
    assert "used, but never trained" in tree.modules["heads[0]"].problem
    assert tree.totals.used_hidden_params == tree.totals.hidden_params == 45


def test_uncalled_module_is_recorded_as_such():
    class Spare(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(2, 2)
            self.spare = nn.Linear(2, 2)

        def forward(self, X):
            return self.used(X)

    tree = analyze(Spare(), d2lmods.randn(1, 2))
    assert tree.modules["used"].calls == 1 and tree.modules["spare"].calls == 0


def test_sample_forward_runs_in_eval_mode_without_grad_and_restores_every_flag():
    model = build(M.PlainList)
    model.train()
    model.heads[1].train(False)  # the mixed state a learner gets with plain lists
    seen = {}

    def spy(mod, args, out):
        seen["training"] = mod.training
        seen["requires_grad"] = out.requires_grad

    handle = model.heads[0].register_forward_hook(spy)
    analyze(model, d2lmods.randn(2, 4))
    handle.remove()
    assert seen == {"training": False, "requires_grad": False}
    assert model.training and model.body.training and model.heads[0].training
    assert model.heads[1].training is False


def test_failing_forward_names_the_module_and_removes_hooks():
    model = build(M.PlainList)
    with pytest.raises(ForwardPassError) as err:
        analyze(model, d2lmods.randn(2, 5))
    text = str(err.value)
    assert "'body' (Linear)" in text and "(2, 5)" in text and "input" in text
    for mod in [model, model.body, *model.heads]:
        assert len(mod._forward_hooks) == 0 and len(mod._forward_pre_hooks) == 0
    assert model.training


def test_analysis_adds_no_warnings_of_its_own():
    model = build(M.PlainList)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyze(model)
    assert caught == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyze(model, d2lmods.randn(2, 4))
    # the model's own first-call check may warn about its plain list; nothing else may appear
    assert all(issubclass(w.category, nn.UnregisteredModuleWarning) for w in caught)


def test_to_json_is_plain_data():
    import json

    tree = analyze(build(M.Tied), d2lmods.randn(1, 6))
    data = json.loads(json.dumps(tree.to_json()))
    assert data["modules"]["encoder"]["params"][0]["tied_with"] == ["decoder.weight"]
    assert data["modules"]["encoder"]["output_shapes"] == "(1, 4)"


@pytest.mark.oracle
def test_registered_split_matches_what_pytorch_registers(torch):
    """The same architectures in PyTorch register exactly what the analysis calls registered."""
    T = registration_models(torch)
    for ours, theirs in [(build(M.PlainList), T.PlainList()), (build(M.Tied), T.Tied())]:
        t = analyze(ours).totals
        assert t.registered_params == sum(p.numel() for p in theirs.parameters())
        assert t.registered_tensors == len(list(theirs.parameters()))
        assert t.state_dict_keys == len(theirs.state_dict())
        hidden = sum(p.numel() for m in getattr(theirs, "heads", []) for p in m.parameters())
        assert t.hidden_params == hidden


def test_attribute_set_past_setattr_and_trainable_tensor_attribute():
    class Sneaky(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = d2lmods.ones(3, requires_grad=True)  # should be an nn.Parameter
            object.__setattr__(self, "hidden", nn.Linear(3, 3))

    tree = analyze(build(Sneaky))
    hidden = tree.modules["hidden"]
    assert hidden.status == UNREGISTERED and "past Module.__setattr__" in hidden.problem
    w = next(p for p in tree.root.params if p.name == "w")
    assert not w.visible and "plain tensor attribute" in w.problem
    assert w.fix == "self.w = nn.Parameter(...) so optimizers train it"


def test_bad_arguments_get_clear_errors():
    from d2lmods.viz import draw

    with pytest.raises(TypeError, match=r"expected an nn.Module .*got Tensor .*not model\(X\)"):
        analyze(d2lmods.ones(2))
    with pytest.raises(ValueError, match="depth must be None"):
        draw(nn.Linear(2, 2), depth=-1)
    with pytest.raises(ValueError, match="collapse must be"):
        draw(nn.Linear(2, 2), collapse=1)


def test_a_single_layer_is_a_one_node_drawing():
    from d2lmods.viz import draw

    g = draw(nn.Linear(2, 3))
    assert list(g.targets) == ["(root)"] and 'id="(root)"' in g.source


def test_analysis_leaves_nns_own_checks_armed_for_the_learner():
    """nn warns once when a list filled after assignment is first enumerated; the analysis must
    neither emit that warning itself nor use it up."""
    model = M.AppendedLater(2)  # no warning yet: the list was empty when assigned
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = analyze(model)
    assert caught == [] and len(tree.unregistered) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(model.parameters())  # the learner's own call still gets the warning
    assert any(issubclass(w.category, nn.UnregisteredModuleWarning) for w in caught)


def test_plain_list_inside_an_unregistered_module_hangs_under_it():
    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = [nn.Linear(2, 2)]
            self.fc = nn.Linear(2, 2)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = [Inner()]
            self.ok = Inner()

    tree = analyze(build(Outer))
    nested = tree.modules["heads[0].parts[0]"]
    assert nested.status == UNREGISTERED and nested.parent == "heads[0]"
    assert tree.modules["heads[0].fc"].status == INSIDE_UNREGISTERED
    assert tree.modules["ok.parts[0]"].parent == "ok"
    assert tree.totals.hidden_params == 18 and tree.totals.registered_params == 6
    assert "12 parameters" in tree.modules["heads[0]"].problem  # everything lost with it
