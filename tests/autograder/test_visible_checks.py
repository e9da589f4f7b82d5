"""The visible checks' error says which checks failed and why (nbgrader's Validate dialog shows
only the error, never the printed list), raised from a one-line frame of its own."""

import importlib.util
import traceback
from pathlib import Path

import pytest

from d2lmods import nn

SOURCE = Path(__file__).resolve().parents[2] / "exercises" / "source"


def _checks(assignment):
    spec = importlib.util.spec_from_file_location(
        f"checks_{assignment}", SOURCE / assignment / "checks_public.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_error_lists_the_failures_and_comes_from_a_short_frame(capsys):
    checks = _checks("modules")

    def shared(c, n, *a, **k):
        return [c(*a)] * n

    def stack(c, n, *a, **k):
        return nn.Sequential(*[c(*a, **k) for _ in range(n)])

    with pytest.raises(AssertionError) as info:
        checks.check_factory(shared, stack)
    msg = str(info.value)
    assert msg.startswith("3 of 4 visible checks of factory and stack failed:\n")
    assert "  - the instances are independent: the entries are one and the same module" in msg
    assert "  - keyword arguments reach the modules: bias=False did not reach the modules" in msg
    assert (
        "stack chains" not in msg
        and info.value.__cause__ is None
        and info.value.__suppress_context__
    )
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (
        last.filename == "<visible checks>"
        and last.line == "raise error from None  # what failed, and why:"
    )
    assert "[FAILED] the instances are independent" in capsys.readouterr().out


def test_the_custom_checks_fail_and_pass_the_same_way():
    checks = _checks("custom")
    with pytest.raises(
        AssertionError,
        match=r"1 of 3 visible checks of get_parameter and tied_net failed:\n  - "
        r"get_parameter returns the Parameter itself",
    ):
        checks.check_tied_params(lambda net, name: net.state_dict()[name], _tied)
    checks.check_tied_params(lambda net, name: dict(net.named_parameters())[name], _tied)


def _tied(a, b, c):
    shared = nn.Linear(b, b)
    return nn.Sequential(
        nn.Linear(a, b), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(b, c)
    )


@pytest.mark.parametrize("assignment", ["modules", "custom"])
def test_every_part_has_its_cells_and_the_points_agree(assignment):
    import json

    from autograder import notebook, parts

    nb = json.loads((SOURCE / assignment / f"{assignment}.ipynb").read_text())
    meta = {
        notebook.grade_id(c): notebook.nbgrader_meta(c) for c in nb["cells"] if notebook.grade_id(c)
    }
    for part in parts.parts_of(assignment):
        assert meta[part]["solution"] and not meta[part]["grade"]
        test = meta[f"test_{part}_behaviour"]
        assert test["grade"] and test["locked"] and test["points"] == parts.part_points(part)
    assert parts.max_score(assignment) == 10.0
