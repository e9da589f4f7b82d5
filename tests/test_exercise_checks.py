"""The visible checks of the "modules" exercise speak in the student's terms."""
import importlib.util
import pathlib

import pytest

import d2lmods as torch
from d2lmods import nn

CHECKS = pathlib.Path(__file__).parents[1] / "exercises" / "source" / "modules" / "checks_public.py"


@pytest.fixture(scope="module")
def checks():
    spec = importlib.util.spec_from_file_location("checks_public", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parallel(dim, fail=None):
    class ParallelModule(nn.Module):
        def __init__(self, *modules):
            super().__init__()
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

        def forward(self, X):
            if fail is not None:
                raise fail
            return torch.cat([m(X) for m in self.children()], dim=dim)

    return ParallelModule


def test_wrong_concatenation_dim_is_explained_not_dumped(checks, capsys):
    with pytest.raises(AssertionError):
        checks.check_parallel_module(_parallel(0))
    out = capsys.readouterr().out
    assert "Sizes of tensors must match" not in out and "raised inside" not in out
    assert "the branches give (4, 3) and (4, 2)" in out and "torch.cat([...], dim=1)" in out
    assert out.count("[FAILED]") == 3 and "[ok] every branch is registered" in out


def test_other_errors_keep_their_text_without_the_internal_place(checks, capsys):
    with pytest.raises(AssertionError):
        checks.check_parallel_module(_parallel(1, fail=ValueError("boom")))
    out = capsys.readouterr().out
    assert "raised ValueError: boom" in out and "raised inside" not in out


def test_correct_parallel_module_passes(checks, capsys):
    checks.check_parallel_module(_parallel(1))
    assert "All visible checks passed." in capsys.readouterr().out


def test_factory_with_a_repeated_instance_notes_the_runnable_fix_once(checks, capsys):
    def factory(module_cls, n, *args, **kwargs):
        return nn.ModuleList([module_cls(*args, **kwargs)] * n)

    def stack(module_cls, n, *args, **kwargs):
        return nn.Sequential(*factory(module_cls, n, *args, **kwargs))

    with pytest.raises(AssertionError):
        checks.check_factory(factory, stack)
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if "note: SharedInstanceWarning" in line]
    assert len(notes) == len(set(notes)) and notes
    assert "nn.ModuleList(*[" not in out
    fix = out.split("list comprehension: ")[1].split(". If the sharing")[0]
    layers = eval(fix, {"nn": nn})
    assert len({id(m) for m in layers}) == len(layers) > 1
