"""PyTorch models through the same viewer: golden files, and the same DOT as the d2lmods twin.

Every model of ``tests/fixtures/models.py`` (``registration_models``) is built with torch 2.x and
with d2lmods from one source; the drawing, text tree and summary of each must be the same text,
and the torch ones are kept as golden files in ``golden/torch/``.
"""

import subprocess
import sys
import textwrap
import warnings

import pytest

import d2lmods
from d2lmods.nn.utils import find_unregistered
from d2lmods.viz import analyze, check, draw, explore, summary, text_tree
from d2lmods.viz.tree import NOT_IN_MODEL, REGISTERED, UNREGISTERED
from tests.fixtures.models import registration_models

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

T = registration_models(torch)
D = registration_models(d2lmods)
NAMES = sorted(T.TEXT_GOLDEN_MODELS)


def built(M, name):
    factory, sample = M.TEXT_GOLDEN_MODELS[name]
    return M.build(factory), None if sample is None else sample()


@pytest.mark.filterwarnings("ignore::d2lmods.nn.UnregisteredModuleWarning")  # the d2lmods twins
@pytest.mark.parametrize("name", NAMES)
def test_torch_golden_files_and_the_d2lmods_twin_draws_the_same(name, golden):
    model, sample = built(T, name)
    dot = draw(model, input=sample).source
    golden(f"torch/{name}.gv", dot)
    model, sample = built(T, name)
    golden(f"torch/{name}.tree.txt", text_tree(analyze(model, sample)))
    model, sample = built(T, name)
    golden(f"torch/{name}.summary.txt", str(summary(model, sample)))
    twin, twin_sample = built(D, name)
    assert draw(twin, input=twin_sample).source == dot


def test_plain_list_heads_of_a_torch_model_are_found():
    model = T.build(T.PlainList)
    found = find_unregistered(model)
    assert [(f.path, f.type_name, f.num_params, f.kind) for f in found] == [
        ("heads[0]", "Linear", 18, "module"),
        ("heads[1]", "Linear", 27, "module"),
    ]
    tree = analyze(model, torch.randn(2, 4))
    assert tree.library == "torch"
    assert [m.path for m in tree.used_unregistered] == ["heads[0]", "heads[1]"]
    assert tree.modules["heads[0]"].fix == "self.heads = nn.ModuleList(...)"
    assert tree.modules["heads[0]"].output_shapes == (2, 2)
    assert tree.totals.registered_params == sum(p.numel() for p in model.parameters()) == 40
    assert tree.totals.hidden_params == 45 and tree.totals.used_hidden_params == 45
    # the pass left no hooks and restored the flags
    for mod in [model, model.body, *model.heads]:
        assert not mod._forward_hooks and not mod._forward_pre_hooks and mod.training


def test_torch_parameters_dicts_tuples_tied_and_lazy():
    assert [f.path for f in find_unregistered(T.build(T.ParamList))] == ["scales[0]", "scales[1]"]
    assert [f.container for f in find_unregistered(T.build(T.PlainDict))] == ["dict", "dict"]
    assert [f.container for f in find_unregistered(T.build(T.PlainTuple))] == ["tuple", "tuple"]
    tree = analyze(T.build(T.Tied))
    assert tree.tied == [("encoder.weight", "decoder.weight")]
    lazy = T.lazy_mlp()
    tree = analyze(lazy)
    assert [p.lazy for p in tree.modules["0"].params] == [True, True]
    assert tree.totals.lazy_tensors == 4
    tree = analyze(lazy, torch.randn(3, 5))
    assert tree.modules["0"].params[0].shape == (8, 5)
    assert any("materialized" in n for n in tree.notes)


def test_trainable_plain_tensor_attribute_of_a_torch_model():
    class Scale(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = torch.ones(3, requires_grad=True)  # not a Parameter

        def forward(self, X):
            return X * self.s

    [f] = find_unregistered(Scale())
    assert (f.path, f.kind, f.container) == ("s", "tensor", "attribute")


def test_torch_hook_dicts_are_not_scanned_as_plain_containers():
    model = torch.nn.Linear(2, 2)
    model.register_forward_hook(lambda *a: None)
    model.register_full_backward_hook(lambda *a: None)
    assert find_unregistered(model) == []


def test_explorer_takes_a_torch_model():
    pytest.importorskip("anywidget")
    w = explore(T.build(T.PlainList), input=torch.randn(2, 4))
    assert w.tree["modules"]["heads[0]"]["status"] == UNREGISTERED
    assert w.tree["modules"]["body"]["params"][0]["dtype"] == "float32"
    assert w.tree["library"] == "torch"


def test_layer_created_inside_a_torch_forward_is_drawn_as_such():
    class MakesOne(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 8)

        def forward(self, X):
            return torch.nn.Linear(8, 2)(self.body(X))  # new weights at every call

    tree = analyze(MakesOne(), torch.randn(3, 4))
    [made] = tree.not_in_model
    assert made.path == "<forward #0>" and made.status == NOT_IN_MODEL
    assert made.class_name == "Linear" and made.output_shapes == (3, 2)
    assert "created inside forward" in made.problem and "__init__" in made.fix
    assert tree.modules["body"].status == REGISTERED
    src = draw(MakesOne(), input=torch.randn(3, 4)).source
    assert "&lt;forward #0&gt;: Linear" in src and "created inside forward" in src


def test_a_failing_torch_forward_is_drawn_up_to_the_error():
    model = T.build(T.PlainList)
    g = draw(model, input=torch.randn(2, 5))
    failed = g.tree.failed
    assert failed.path == "body" and failed.failed_inputs == (2, 5)
    assert "mat1 and mat2 shapes cannot be multiplied" in failed.failed
    assert "failed here: input (2, 5) did not fit" in g.source
    assert g.tree.modules["heads[0]"].calls == 0


def test_d2lmods_viz_does_not_import_torch():
    code = textwrap.dedent(
        """
        import sys, warnings
        import d2lmods
        from d2lmods import nn
        from d2lmods.viz import analyze, check, diff, draw, summary
        from d2lmods.nn.utils import find_unregistered
        net = nn.Sequential(nn.Linear(2, 3))
        draw(net, input=d2lmods.randn(1, 2)); summary(net); find_unregistered(net)
        check(net); diff(net, net)
        assert "torch" not in sys.modules, "torch was imported"
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_analysis_of_a_torch_model_warns_nothing():
    model = T.build(T.PlainList)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analyze(model, torch.randn(2, 4))
        draw(model)


def test_the_library_is_told_by_the_real_type():
    from d2lmods.nn.utils import kinds_of

    class Pretender(d2lmods.nn.Module):
        @property
        def __class__(self):  # claims to be a torch module
            return torch.nn.Module

    fake = Pretender()
    assert isinstance(fake, torch.nn.Module)  # what isinstance() believes
    assert kinds_of(fake).module is d2lmods.nn.Module
    assert kinds_of(torch.nn.Linear(2, 2)).module is torch.nn.Module
    assert analyze(fake).library == "d2lmods"


BUILT_IN = {
    "lstm": lambda: (torch.nn.LSTM(4, 8, num_layers=2, batch_first=True), torch.randn(2, 5, 4)),
    "gru": lambda: (torch.nn.GRU(4, 8), torch.randn(5, 2, 4)),
    "conv_bn": lambda: (
        torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU()),
        torch.randn(2, 1, 8, 8),
    ),
    "attention": lambda: (torch.nn.MultiheadAttention(8, 2), (torch.randn(3, 2, 8),) * 3),
    "transformer": lambda: (
        torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False
        ),
        torch.randn(3, 2, 8),
    ),
    "embedding": lambda: (torch.nn.Embedding(10, 4), torch.tensor([[1, 2]])),
}


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_torchs_own_modules_are_never_flagged(name):
    """LSTM keeps its registered weights in a plain list too (_flat_weights): nothing is lost."""
    model, sample = BUILT_IN[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check(model, sample)
        g = draw(model, input=sample)
    assert result.ok, str(result)
    tree = result.tree
    assert tree.tied == [] and tree.totals.hidden_params == 0 and tree.error is None
    assert tree.totals.registered_params == sum(p.numel() for p in model.parameters())
    rows = [p.name for m in tree.modules.values() for p in m.params]
    assert len(rows) == len(list(model.named_parameters(remove_duplicate=False)))
    assert "unregistered" not in g.source
