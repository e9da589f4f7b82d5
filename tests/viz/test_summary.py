"""The text/HTML summary table."""

import pytest

import d2lmods
from d2lmods.viz import summary
from tests.fixtures.models import registration_models

M = registration_models(d2lmods)
build = M.build


@pytest.mark.filterwarnings("ignore::d2lmods.nn.UnregisteredModuleWarning")  # the models' own
@pytest.mark.parametrize("name", sorted(M.TEXT_GOLDEN_MODELS))
def test_golden_summary_table(name, golden):
    factory, sample = M.TEXT_GOLDEN_MODELS[name]
    s = summary(build(factory), None if sample is None else sample())
    golden(f"{name}.summary.txt", str(s))
    assert repr(s) == str(s)


def test_text_table_splits_registered_from_unregistered():
    s = summary(build(M.PlainList))
    text = str(s)
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith(("  ", "("))}
    assert "NOT REGISTERED (plain list 'heads')" in rows["heads[0]"]
    assert rows["body"].split()[1:3] == ["Linear", "40"]
    assert "NOT REGISTERED" not in rows["body"]
    assert "registered: 40 parameters in 2 tensors" in text
    assert "NOT registered: 45 parameters in 4 tensors" in text
    assert "Fix: self.heads = nn.ModuleList(...)" in text
    assert "Output shape" not in text  # no sample input, no shape column


def test_sample_input_adds_the_output_shape_column():
    text = str(summary(build(M.PlainList), d2lmods.randn(3, 4)))
    assert "Output shape" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("heads[1]"))
    assert "(3, 3)" in line
    assert "45 of them used by forward" in text


def test_html_rows_are_flagged_for_notebooks():
    html = summary(build(M.PlainList))._repr_html_()
    assert html.count("<tr class='flagged'") == 2
    assert html.count("<tr class='ok'") == 2  # root and body
    assert "heads[0]" in html and "<b>Fix:</b>" in html


def test_tied_and_lazy_statuses():
    from d2lmods import nn

    text = str(summary(build(M.Tied)))
    assert "weight tied: decoder.weight" in text and "tied: 1 parameter(s)" in text
    text = str(summary(nn.Sequential(nn.LazyLinear(3))))
    assert "lazy" in text and "not initialized yet" in text
