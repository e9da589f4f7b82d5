"""The structural parts' feedback shows the student's registered tree next to what the check
expected, only when the structure check failed; the tree data is the student's process talking,
so a forged, huge or malformed tree never raises and never changes a score."""

import copy
import json
from pathlib import Path

import pytest

from autograder import feedback_diff, notebook, parts, pipeline
from autograder.course import feedback_text
from autograder.results import Status, SubmissionResult
from autograder.sandbox import Limits

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "exercises" / "source" / "modules" / "modules.ipynb"
REF = notebook.solution_sources(notebook.read_notebook(SOURCE.read_bytes()), list(parts.PARTS))
PRELUDE = "import d2lmods as torch\nfrom d2lmods import nn\n"
CHECK = {"my_sequential": "registers_children", "parallel_module": "registers_branches"}


def sample_cell(name: str, part: str) -> str:
    text = (ROOT / "autograder" / "samples" / f"{name}.cells").read_text()
    return PRELUDE + text.split(f"# %% {part}\n", 1)[1].split("\n# %%", 1)[0]


@pytest.fixture(scope="module")
def runs():
    """One sandbox run each, with the observations kept (the tests below re-judge them)."""
    kept, real = {}, parts.score_part

    def keep(part, status, obs, inputs, library="d2lmods"):
        kept[part] = (status, copy.deepcopy(obs), inputs)
        return real(part, status, obs, inputs, library)

    out = {}
    parts.score_part = keep
    try:
        cases = {
            "seq_plain": ("my_sequential", sample_cell("seq_plain_list", "my_sequential")),
            "seq_ok": ("my_sequential", PRELUDE + REF["my_sequential"]),
            "par_plain": ("parallel_module", sample_cell("par_plain_list", "parallel_module")),
            "par_ok": ("parallel_module", PRELUDE + REF["parallel_module"]),
        }
        for key, (part, cell) in cases.items():
            result = pipeline.run_part(part, notebook.to_python(cell), Limits(part_seconds=60))
            out[key] = (result, kept.pop(part))
    finally:
        parts.score_part = real
    return out


def structure_test(result):
    return next(t for t in result.tests if t.check == CHECK[result.part])


def feedback_of(result) -> str:
    sub = SubmissionResult("s", "modules", parts.max_score(), parts={result.part: result})
    return feedback_text(result, sub)


def test_a_plain_list_sequential_shows_the_diff(runs):
    result, _ = runs["seq_plain"]
    t = structure_test(result)
    assert t.outcome is Status.FAILED and t.category == "plain_list"
    assert feedback_diff.HEADER in t.output
    assert "your model: MySequential with no registered children" in t.output
    assert "the check: MySequential with children 0, 1, 2, 3, 4" in t.output
    for k, cls in enumerate(["Linear", "Tag", "ReLU", "Linear", "Tag"]):
        assert f"{k}: {cls} in the check, missing in your model" in t.output
    text = feedback_of(result)  # what the test cell's output (and the feedback HTML) shows
    assert "0: Linear in the check, missing in your model" in text
    # no solution code: only module names and classes
    block = t.output.split(feedback_diff.HEADER)[1]
    assert not any(
        code in block for code in ("add_module", "def ", "self.", "ModuleList", "(", "=")
    )
    # only the structure check carries it
    assert sum(feedback_diff.HEADER in x.output for x in result.tests) == 1


def test_a_plain_list_parallel_module_shows_the_diff(runs):
    result, _ = runs["par_plain"]
    t = structure_test(result)
    assert t.outcome is Status.FAILED
    assert "0: Branch in the check, missing in your model" in t.output
    assert "1: Branch in the check, missing in your model" in t.output


@pytest.mark.parametrize("key", ["seq_ok", "par_ok"])
def test_a_correct_solution_shows_no_diff(runs, key):
    result, _ = runs[key]
    assert result.score == result.max_score
    assert not any(feedback_diff.HEADER in t.output for t in result.tests)
    assert feedback_diff.HEADER not in feedback_of(result)


def test_the_correct_tree_matches_what_the_check_expected(runs):
    """The diff compares like with like: a correct solution's tree differs in nothing."""
    for key in ("seq_ok", "par_ok"):
        result, (_, obs, _) = runs[key]
        assert feedback_diff.structure_diff(result.part, obs["probes"]) is None


def _hostile_trees():
    big = "x" * 10**6
    yield "not a list", "tree"
    yield "empty", []
    yield "no root", [["0", "Linear", 0]]
    yield "huge", [["", "MySequential", -1]] + [[str(i), "Linear", i] for i in range(200_000)]
    yield "long texts", [["", big, -1], [big, big, 0], [big + "\n<script>", "\x00\x1b[31m", 1]]
    yield "deep", [["", "M", -1]] + [[".".join(["a"] * (i + 1)), "M", -1] for i in range(5000)]
    yield (
        "wrong types",
        [
            ["", "M", -1],
            [1, 2, 3],
            None,
            {"a": 1},
            ["0"],
            [["0"], ["L"], [0]],
            ["0", "Linear", 10**400],
            ["1", "Tag", True],
            ["2", "ReLU", -7.5],
            "0",
        ],
    )
    yield "self parent", [["", "M", -1], ["0.0", "Linear", 0], ["0", "Tag", 1], ["0", "X", 2]]
    classes = ["Linear", "Tag", "ReLU", "Linear", "Tag"]
    yield (
        "forged as correct",
        [["", "MySequential", -1]] + [[str(i), c, i] for i, c in enumerate(classes)],
    )
    yield "forged nonsense", [["", "MySequential", -1], ["evil", "<img src=x onerror=alert(1)>", 0]]


@pytest.mark.parametrize("name,tree", list(_hostile_trees()), ids=[n for n, _ in _hostile_trees()])
@pytest.mark.parametrize("key", ["seq_plain", "seq_ok", "par_plain", "par_ok"])
def test_a_forged_tree_never_raises_and_never_changes_a_score(runs, key, name, tree):
    honest, (status, obs, inputs) = runs[key]
    obs = copy.deepcopy(obs)
    if honest.part == "my_sequential":
        obs["probes"]["tree"] = tree
    else:
        for case in ("case_A", "case_B", "case_C"):
            obs["probes"][case]["tree"] = tree
    forged = parts.score_part(honest.part, status, obs, inputs)
    assert [(t.check, t.score, t.outcome, t.category) for t in forged.tests] == [
        (t.check, t.score, t.outcome, t.category) for t in honest.tests
    ]
    for t, h in zip(forged.tests, honest.tests):
        if t.check != CHECK[honest.part] or t.passed:
            assert (
                t.output == h.output
            )  # nothing but the failed structure check's message may differ
        else:
            assert t.output.startswith(h.output.split("\n", 1)[0])
            assert len(t.output) < 20_000
            assert "\x00" not in t.output and "\x1b" not in t.output
    json.dumps(forged.tests[0].to_json())


def test_structure_diff_is_bounded_and_never_raises():
    lines = feedback_diff.structure_diff(
        "my_sequential",
        {"tree": [["", "M", -1]] + [[str(i), "L" * 10**5, -1] for i in range(10**5)]},
    )
    assert lines is not None and len(lines) <= feedback_diff.MAX_MODULES + 2
    assert max(map(len, lines)) < 2_000
    for obs in (
        None,
        [],
        {"tree": object()},
        {"case_A": "x"},
        {"case_A": {"error": {}}},
        {"case_A": {"tree": [["", "P", -1], ["0", "Branch", 0]]}},
    ):
        for part in ("my_sequential", "parallel_module", "factory", "nope"):
            feedback_diff.structure_diff(part, obs)
    html = feedback_diff.as_html(["a: <script>alert(1)</script> & more"])
    assert "<script>" not in html and "&lt;script&gt;" in html
