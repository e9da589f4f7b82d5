"""The second assignment, ``custom`` (custom layers, parameter management, file I/O), graded end
to end like ``modules``: every sample in ``autograder/samples/custom/`` gets an exact score per
part, exact flags and the failure category of each mistake it makes, in the d2lmods course and in
its PyTorch edition (the samples' torch twins; skipped when torch is not installed)."""

import json

import pytest

from autograder import parts, samples
from autograder.batch import grade_course
from autograder.dashboard.data import CATEGORY_PHRASES, load_assignment
from autograder.demo import build_course
from autograder.results import Category

pytestmark = pytest.mark.slow

# sample -> ((custom_layers, tied_params, file_io), flags)
EXPECTED = {
    "correct": ((4, 3, 3), []),
    "release": ((0, 0, 0), ["no_solution"]),
    "cl_centers_rows": ((3, 3, 3), []),
    "cl_plain_tensors": ((2.5, 3, 3), []),
    "cl_uses_data": ((3.5, 3, 3), []),
    "tp_untied": ((4, 1, 3), []),
    "tp_state_dict": ((4, 2, 3), []),
    "io_saves_module": ((4, 3, 1.5), []),
    "io_no_eval": ((4, 3, 2.5), []),
    "io_not_loaded": ((4, 3, 1), []),
    # hostile: an endless forward costs its part only; patching d2lmods.load holds the part
    "cl_endless": ((0, 3, 3), ["timeout"]),
    "io_patch_load": ((4, 3, 0), ["library_patched"]),
    # a pickle that runs exec, unpickled by numpy for the cell: refused, the part held
    "io_pickle_exec": ((4, 3, 0), ["blocked_access"]),
}
# the samples of a PyTorch course only (autograder/samples/custom/torch/)
TORCH_ONLY = {
    # the same pickle, unpickled by torch.load(weights_only=False)
    "torch_pickle_exec": ((4, 3, 0), ["blocked_access"]),
}


def expected(library: str) -> dict:
    return {**EXPECTED, **(TORCH_ONLY if library == "torch" else {})}


# sample -> {check: category} for the checks that must fail
CATEGORIES = {
    "cl_centers_rows": {"centered_output": "centers_rows"},
    "cl_plain_tensors": {
        "mylinear_parameters": "missing_parameters",
        "mylinear_gradient": "missing_parameters",
    },
    "cl_uses_data": {"mylinear_gradient": "no_gradient"},
    "tp_untied": {"tied_forward": "not_tied", "tied_parameters": "not_tied"},
    "tp_state_dict": {"param_by_name": "returns_copy"},
    "io_saves_module": {"saves_state_dict": "saves_module", "round_trip": "saves_module"},
    "io_no_eval": {"eval_mode": "left_in_training"},
    "io_not_loaded": {"loads_parameters": "not_loaded"},
    "release": {
        "centered_output": "not_implemented",
        "param_by_name": "not_implemented",
        "saves_state_dict": "not_implemented",
    },
    "cl_endless": {"centered_output": "timeout"},
    "io_patch_load": {"saves_state_dict": "held_for_review"},
    "io_pickle_exec": {"saves_state_dict": "held_for_review"},
}


@pytest.fixture(scope="module", params=["d2lmods", "torch"])
def graded(request, tmp_path_factory):
    if request.param == "torch":
        pytest.importorskip("torch")
    root = tmp_path_factory.mktemp(f"course-{request.param}")
    course = build_course(root, assignments=("custom",), library=request.param)
    results = grade_course(
        root, "custom", limits={"cpu_seconds": 6, "part_seconds": 120}, log=lambda *a: None
    )
    return course, {r.student: r.to_json() for r in results}


def test_every_sample_is_graded_once(graded):
    course, results = graded
    names = samples.names("custom", course.library)
    assert sorted(results) == sorted(names) == sorted(expected(course.library))


@pytest.mark.parametrize("name", sorted({**EXPECTED, **TORCH_ONLY}))
def test_scores_and_flags(graded, name):
    course, results = graded
    if name not in expected(course.library):
        pytest.skip(f"a sample of the PyTorch edition only; this course uses {course.library}")
    r = results[name]
    want, flags = expected(course.library)[name]
    got = tuple(r["parts"][p]["score"] for p in parts.parts_of("custom"))
    assert got == pytest.approx(want), [
        (t["check"], t["category"], t["output"]) for t in r["tests"] if t["status"] != "passed"
    ]
    assert sorted(r["flags"]) == sorted(flags)
    assert r["score"] == pytest.approx(sum(want)) and r["max_score"] == 10.0


@pytest.mark.parametrize("name", sorted(CATEGORIES))
def test_failure_categories(graded, name):
    tests = {t["check"]: t for t in graded[1][name]["tests"]}
    for check, category in CATEGORIES[name].items():
        assert tests[check]["category"] == category, (check, tests[check]["output"])
        assert Category(category) in CATEGORY_PHRASES


def test_gradebook_feedback_and_dashboard(graded):
    course, results = graded
    with open(course.root / "grades.csv") as f:
        head = f.readline().strip().split(",")
    assert head == [
        "student",
        "assignment",
        *parts.parts_of("custom"),
        "score",
        "max_score",
        "flags",
    ]
    html = (course.root / "feedback" / "tp_untied" / "custom" / "custom.html").read_text()
    assert "Hidden checks for get_parameter and tied_net: 1 / 3 points" in html
    saved = json.loads((course.root / "results" / "custom" / "correct.json").read_text())
    assert saved["score"] == 10.0
    data = load_assignment(course.root, "custom")
    assert {s.student for s in data.students} >= set(EXPECTED)
    # every sample is the reference with one mistake: the untouched parts are near-identical
    from autograder.similarity import course_pairs

    pairs = {(p.a, p.b): p for p in course_pairs(course.root, "custom")}
    assert pairs[("correct", "io_no_eval")].parts["tied_params"] == 1.0
    assert not any("release" in pair for pair in pairs)  # the release's code never counts
    untied = [c for c in data.clusters() if "tp_untied" in c.students]
    assert len(untied) == 1 and untied[0].main_category == "not_tied" and not untied[0].non_attempt
    assert [c.students for c in data.clusters() if c.non_attempt and "release" in c.students]
