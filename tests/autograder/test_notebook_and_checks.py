"""Fast tests of the pieces that need no sandbox: reading submissions, spotting tampering,
turning sandbox outcomes into scores, and the judges' resistance to made-up observations."""

import json
from pathlib import Path

import numpy as np
import pytest

from autograder import notebook, parts
from autograder.parts import score_part
from autograder.parts.factory import judge as factory
from autograder.parts.my_sequential import judge as my_sequential
from autograder.parts.parallel_module import judge as parallel_module
from autograder.results import Category, Status

SOURCE = Path(__file__).resolve().parents[2] / "exercises" / "source" / "modules" / "modules.ipynb"


def cells():
    return json.loads(SOURCE.read_text())["cells"]


@pytest.mark.parametrize(
    "data, flag",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{not json", "invalid_notebook"),
        (b"[1, 2]", "invalid_notebook"),
        (b'{"cells": 3}', "invalid_notebook"),
        (b"\xff\xfe", "invalid_notebook"),
        (b'{"cells": []}', "empty"),
    ],
)
def test_unreadable_notebooks_are_flagged(data, flag):
    assert notebook.read_notebook(data).flags == [flag]


def test_huge_notebook_is_refused_before_parsing():
    sub = notebook.read_notebook(b" " * (notebook.MAX_BYTES + 1))
    assert sub.cells is None and sub.flags == ["invalid_notebook"]


def test_solution_cells_are_taken_by_grade_id_wherever_they_are():
    cs = cells()
    cs.reverse()  # order does not matter for extraction
    sources = notebook.solution_sources(
        notebook.Submission(cs), ["my_sequential", "factory", "nope"]
    )
    assert "class MySequential" in sources["my_sequential"] and "def stack" in sources["factory"]
    assert sources["nope"] is None


def test_untouched_notebook_shows_no_tampering():
    assert notebook.tampering(notebook.Submission(cells()), cells()) == []


def test_tampering_is_detected_and_named():
    cs = cells()
    ids = [notebook.grade_id(c) for c in cs]
    cs[ids.index("test_my_sequential_behaviour")]["source"] = "pass"
    cs[ids.index("test_parallel_module_behaviour")]["metadata"]["nbgrader"]["points"] = 100
    del cs[ids.index("test_factory_behaviour")]
    found = notebook.tampering(notebook.Submission(cs), cells())
    assert found == [
        "edited:test_my_sequential_behaviour",
        "points_changed:test_parallel_module_behaviour",
        "deleted:test_factory_behaviour",
    ]


def test_reordering_is_tampering_but_editing_answers_is_not():
    cs = cells()
    ids = [notebook.grade_id(c) for c in cs]
    cs[ids.index("my_sequential")]["source"] = "class MySequential: pass"
    cs[ids.index("list_problems")]["source"] = "my own answer"
    assert notebook.tampering(notebook.Submission(cs), cells()) == []
    cs.append(cs.pop(ids.index("test_my_sequential_behaviour")))
    assert notebook.tampering(notebook.Submission(cs), cells()) == ["reordered"]


def test_other_assignment_is_recognised():
    other = [{"cell_type": "code", "source": "x", "metadata": {"nbgrader": {"grade_id": "q1"}}}]
    assert notebook.is_other_assignment(notebook.Submission(other), cells())
    assert not notebook.is_other_assignment(notebook.Submission(cells()), cells())


def test_ipython_syntax_becomes_python():
    assert "get_ipython()" in notebook.to_python("%time x = 1\n")


def test_points_add_up():
    assert parts.max_score() == 10.0
    assert [parts.part_points(p) for p in parts.parts_of("modules")] == [4.0, 3.0, 3.0]
    assert parts.max_score("custom") == 10.0
    assert [parts.part_points(p) for p in parts.parts_of("custom")] == [4.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "status, category",
    [
        (Status.TIMEOUT, Category.TIMEOUT),
        (Status.MEMORY, Category.MEMORY_LIMIT),
        (Status.DISK, Category.DISK_LIMIT),
        (Status.CRASH, Category.CRASH),
        (Status.NOT_RUN, Category.TIMEOUT),
    ],
)
def test_sandbox_failures_zero_the_part_with_a_reason(status, category):
    part = score_part("parallel_module", status, None, None)
    assert part.status is status
    assert all(t.score == 0 and t.outcome is status and t.category is category for t in part.tests)
    assert all(
        t.to_json()["status"] == "failed" for t in part.tests
    )  # Gradescope: passed or failed
    assert len(part.tests) == len(parallel_module.CHECKS)


def test_stub_is_reported_as_not_implemented():
    probes = {
        "exec": {"error": {"type": "NotImplementedError", "message": ""}},
        "timings": {"total": 1},
    }
    tests = score_part("factory", Status.OK, probes, {}).tests
    assert {t.category for t in tests} == {Category.NOT_IMPLEMENTED}
    assert "NotImplementedError" in tests[0].output


def _fake(shape, value=0.0):
    return {"shape": list(shape), "dtype": "float32", "data": np.full(shape, value).tolist()}


def test_made_up_structural_facts_earn_nothing():
    """A report claiming perfect structure, without the values only real code can produce."""
    inputs = my_sequential.make_inputs(np.random.default_rng(0))
    probes = {
        "build": {"is_module": True, "mro": ["MySequential"], "builtin": False},
        "children": [[str(i), i] for i in range(5)],
        "forward": {"y": _fake((7, 5)), "log": ["a", "b"]},
        "parameters": list(my_sequential.PARAM_LABELS),
        "state_dict": [
            ["0.weight", _fake((5, 5))],
            ["0.bias", _fake((5,))],
            ["3.weight", _fake((5, 5))],
            ["3.bias", _fake((5,))],
        ],
        "repr": {"repr": "Linear", "children": ["Linear"]},
        "modes": {"eval": [False] * 5, "train": [True] * 5},
        "double": {"param_dtypes": ["float64"] * 4, "y": _fake((7, 5))},
        "lazy": {"y": _fake((4, 2)), "n_params": 4},
    }
    verdicts = my_sequential.judge(probes, inputs)
    assert not any(v.passed for v in verdicts.values()), verdicts

    inputs = factory.make_inputs(np.random.default_rng(0))
    probes = {
        "factory": {
            "type": "ModuleList",
            "is_modulelist": True,
            "len": 3,
            "distinct": 3,
            "y": [_fake((6, 5))] * 3,
        },
        "kwargs": {
            "bias_none": [True, True],
            "shapes": [[3, 4]] * 2,
            "named_shapes": [[3, 4]] * 2,
            "y": [_fake((6, 3))] * 2,
        },
        "zero": {
            "factory": {"is_modulelist": True, "len": 0},
            "stack": {"is_sequential": True, "len": 0},
            "stack_y": _fake((6, 4)),
        },
        "stack": {"is_sequential": True, "len": 3, "distinct": 3, "y": _fake((6, 4))},
    }
    assert not any(v.passed for v in factory.judge(probes, inputs).values())


def test_judges_survive_garbage_observations():
    for name, mod in parts.PARTS.items():
        for probes in (
            {},
            {"exec": {"ok": True}, "probes": {"build": 7, "case_A": "x", "factory": [1]}},
            {
                "exec": {"ok": True},
                "probes": {"_part": {"error": {"type": "KeyError", "message": "'MySequential'"}}},
            },
        ):
            tests = score_part(
                name, Status.OK, probes, mod.make_inputs(np.random.default_rng(0))
            ).tests
            assert all(t.score == 0 for t in tests)


def test_inputs_are_fresh_for_each_seed():
    a = my_sequential.make_inputs(np.random.default_rng(1))
    b = my_sequential.make_inputs(np.random.default_rng(2))
    assert not np.array_equal(a["W1"], b["W1"]) and a["W1"].dtype == np.float32
