"""The whole nbgrader round trip in a temporary course, with every bundled sample submission.

nbgrader generates the release, each sample (correct, typical mistakes, attacks) is submitted as
its own student, ``grade_course`` grades them in worker processes, and then we look at what an
instructor and a student would see: results files, grades.csv, the gradebook through nbgrader's
own API and ``nbgrader export``, the feedback HTML.  One grading run per library serves every
test here: the course teaching with d2lmods, and its PyTorch edition (``c.D2LCourse.library =
"torch"``), whose samples are the torch twins of the same ones and must get the same scores,
flags and categories (skipped when torch is not installed).
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import parts, samples
from autograder.batch import grade_course
from autograder.dashboard.data import FLAG_LABELS, load_assignment
from autograder.demo import build_course
from autograder.results import Flag, Status

pytestmark = pytest.mark.slow
BIN = str(Path(sys.executable).parent)

# sample -> ((my_sequential, parallel_module, factory), flags)
EXPECTED = {
    "correct": ((4, 3, 3), []),
    "correct_alt": ((4, 3, 3), []),
    "release": ((0, 0, 0), ["no_solution"]),
    "seq_plain_list": ((1.5, 3, 3), []),
    "seq_wrong_order": ((2.5, 3, 3), []),
    "seq_name_clash": ((0.5, 3, 3), []),
    "seq_skips_last": ((2.5, 3, 3), []),
    "seq_repeats": ((2.5, 3, 3), []),
    "par_wrong_dim": ((4, 2, 3), []),
    "par_plain_list": ((4, 2.25, 3), []),
    "par_mutates": ((4, 0.75, 3), []),
    "fac_shared": ((4, 3, 1), []),
    "fac_plain_list": ((4, 3, 2), []),
    "fac_ignores_kwargs": ((4, 3, 2.5), []),
    "fac_n_zero": ((4, 3, 2.5), []),
    "infinite_loop": ((4, 0, 3), ["timeout"]),
    "memory_bomb": ((0, 3, 3), ["memory_limit"]),
    # os._exit in the forked children: held for review (and it left processes behind)
    "fork_bomb": ((4, 3, 0), ["leftover_processes", "grader_tampering"]),
    "exits": ((0, 0, 0), ["crash", "grader_tampering"]),  # os._exit
    "tamper": ((4, 3, 3), ["tampered_tests"]),
    "reorder": ((4, 3, 3), ["tampered_tests"]),
    "missing_cell": ((4, 0, 3), []),
    "monkeypatch": ((0, 0, 0), ["grader_tampering", "library_patched"]),
    "fake_autograder": ((0, 0, 0), ["grader_tampering"]),
    "forge_results": ((0, 0, 0), ["grader_tampering"]),
    # it tries to write /job/in/probe.py and read the grader's files: held for review
    "snoop": ((0, 3, 3), ["grader_tampering"]),
    # issue 11: no solution, yet full marks at 92e401f; now the part is held at 0
    "steal_inputs": ((0, 3, 3), ["grader_tampering"]),
    "forge_fd": ((0, 3, 3), ["grader_tampering", "forged_report", "blocked_access"]),
    "rebind_helpers": ((0, 3, 0), ["grader_tampering"]),
    "par_overrides": (
        (4, 0, 3),
        ["grader_tampering", "overrides_traversal", "inconsistent_structure"],
    ),
    "seq_getattribute": (
        (0, 3, 3),
        ["grader_tampering", "overrides_traversal", "inconsistent_structure"],
    ),
    "invalid_json": ((0, 0, 0), ["invalid_notebook"]),
    "empty": ((0, 0, 0), ["empty"]),
    "other_assignment": ((0, 0, 0), ["wrong_assignment"]),
    # the host must survive (issue 11)
    "fill_disk": ((0, 3, 3), ["disk_limit"]),
    "deep_chain": ((0, 3, 3), ["disk_limit"]),
    # they write out.json themselves (the channel of 92e401f) and leave with os._exit: nothing
    # reads that file now, and the scan holds the part (os._exit, out.json)
    "bad_numbers": ((0, 0, 0), ["grader_tampering"]),
    "wrong_shape": ((0, 0, 0), ["grader_tampering"]),
    "xss_answer": ((4, 3, 3), []),
}

# the samples of a PyTorch course only (autograder/samples/torch/): attacks through torch's own API
TORCH_ONLY = {
    # a global forward hook rewrites the dim-0 concatenation: held at 0 (par_wrong_dim gets 2)
    "torch_global_hook": ((4, 0, 3), ["library_patched"]),
}
LIBRARIES = ["d2lmods", "torch"]


def expected(library: str) -> dict:
    return {**EXPECTED, **(TORCH_ONLY if library == "torch" else {})}


# sample -> {check: category} for the checks that must fail, and why
CATEGORIES = {
    "seq_plain_list": {
        "registers_children": "plain_list",
        "parameters_state_dict": "plain_list",
        "double_and_modes": "plain_list",
        "repr_children": "plain_list",
    },
    "seq_wrong_order": {"forward_chains": "wrong_order"},
    "seq_name_clash": {"registers_children": "name_clash"},
    "seq_skips_last": {"forward_chains": "skips_module"},
    "seq_repeats": {"forward_chains": "repeats_module"},
    "par_wrong_dim": {"concat_features": "wrong_concat_dim"},
    "par_plain_list": {"registers_branches": "plain_list"},
    "par_mutates": {"same_input": "mutated_input"},
    "fac_shared": {"independent_instances": "shared_instance", "stack_chains": "shared_instance"},
    "fac_plain_list": {"factory_modulelist": "plain_list", "n_zero": "n_zero"},
    "fac_ignores_kwargs": {"passes_arguments": "ignored_kwargs"},
    "fac_n_zero": {"n_zero": "n_zero"},
    "release": {
        "registers_children": "not_implemented",
        "concat_features": "not_implemented",
        "stack_chains": "not_implemented",
    },
    "infinite_loop": {"concat_features": "timeout"},
    "memory_bomb": {"registers_children": "memory_limit"},
    "fill_disk": {"registers_children": "disk_limit"},
    "deep_chain": {"registers_children": "disk_limit"},
}


@pytest.fixture(scope="module", params=LIBRARIES)
def graded(request, tmp_path_factory):
    if request.param == "torch":
        pytest.importorskip("torch")
    root = tmp_path_factory.mktemp(f"course-{request.param}")
    course = build_course(root, library=request.param)
    # a busy loop stops at 6 CPU seconds; the wall clock only guards against sleeping code
    results = grade_course(
        root, "modules", limits={"cpu_seconds": 6, "part_seconds": 120}, log=lambda *a: None
    )
    return course, {r.student: r.to_json() for r in results}


def test_every_sample_is_graded_once(graded):
    course, results = graded
    want = expected(course.library)
    assert sorted(results) == sorted(samples.names(library=course.library)) == sorted(want)
    assert {r["extra_data"]["library"] for r in results.values()} == {course.library}


# what these attacks get depends on the file system being hidden and on a separate uid
NEEDS_ISOLATION = {"snoop", "fork_bomb"}
# hostile sample -> (part, the honest sample making the same mistake): held or not, the hostile one
# may never have earned more than the honest one
HONEST_TWIN = {
    "torch_global_hook": ("parallel_module", "par_wrong_dim"),
    "seq_getattribute": ("my_sequential", "seq_plain_list"),
    "par_overrides": ("parallel_module", "par_plain_list"),
    "rebind_helpers": ("factory", "fac_plain_list"),
    "steal_inputs": ("my_sequential", "release"),
    "forge_fd": ("my_sequential", "release"),
}


@pytest.mark.parametrize("name", sorted({**EXPECTED, **TORCH_ONLY}))
def test_scores_and_flags(graded, name):
    course, results = graded
    if name not in expected(course.library):
        pytest.skip(f"a sample of the PyTorch edition only; this course uses {course.library}")
    r = results[name]
    if name in NEEDS_ISOLATION and r["extra_data"]["sandbox"] != "bwrap":
        pytest.skip("bubblewrap is not usable here: the fallback cannot hide the file system")
    want, flags = expected(course.library)[name]
    got = tuple(r["parts"][p]["score"] for p in parts.parts_of("modules"))
    assert got == pytest.approx(want), [
        (t["check"], t["category"], t["output"]) for t in r["tests"] if t["status"] != "passed"
    ]
    assert sorted(r["flags"]) == sorted(flags)
    assert r["score"] == pytest.approx(sum(want)) and r["max_score"] == 10.0


@pytest.mark.parametrize("name", sorted(CATEGORIES))
def test_failure_categories(graded, name):
    tests = {t["check"]: t for t in graded[1][name]["tests"]}
    for check, category in CATEGORIES[name].items():
        assert tests[check]["score"] == 0 and tests[check]["category"] == category, tests[check]


def test_results_files_follow_the_interface(graded):
    course, results = graded
    for name in expected(course.library):
        r = json.loads((course.root / "results" / "modules" / f"{name}.json").read_text())
        assert {
            "student",
            "assignment",
            "score",
            "max_score",
            "tests",
            "parts",
            "flags",
            "extra_data",
            "feedback",
        } <= set(r)
        assert r["feedback"] == f"feedback/{name}/modules/modules.html"
        assert r["extra_data"]["sandbox"] in ("bwrap", "unsandboxed")
        assert {"grading_seconds", "timings", "grader_version", "graded_at"} <= set(r["extra_data"])
        assert len(r["tests"]) == sum(
            len(m.CHECKS) for m in map(parts.PARTS.get, parts.parts_of("modules"))
        )
        for t in r["tests"]:
            assert t["status"] in ("passed", "failed")  # Gradescope's two; the outcome says more
            assert Status(t["outcome"]) and (t["outcome"] == "ok") == (t["status"] == "passed")
            assert (t["category"] is None) == (t["status"] == "passed")
            assert t["visibility"] == "visible" and t["output"]
        for f in r["flags"]:
            assert Flag(f) in FLAG_LABELS
        for p, info in r["parts"].items():
            assert info["status"] in ("ok", "timeout", "memory", "disk", "crash", "not_run", "held")
            assert info["score"] == pytest.approx(
                sum(t["score"] for t in r["tests"] if t["part"] == p)
            )


def test_attacks_do_not_leak_hidden_material(graded):
    course, results = graded
    # without bubblewrap the snooping sample does find files (the fallback is flagged unsandboxed)
    shown = [n for n, r in results.items() if n != "snoop" or r["extra_data"]["sandbox"] == "bwrap"]
    texts = [json.dumps(results[n]) for n in shown]
    texts += [
        (course.root / "feedback" / n / "modules" / "modules.html").read_text(errors="replace")
        for n in shown
    ]
    # source of the hidden checks, solution markers, and what the snooping sample would report
    hidden = [
        "def judge",
        "make_inputs",
        "_state_dict_ok",
        "BEGIN SOLUTION",
        "LEAK /",
        "wrote /",
        "wrote .",
    ]
    for text in texts:
        for marker in hidden:
            assert marker not in text
    # the snooping student found nothing, so its correct code got full marks
    if results["snoop"]["extra_data"]["sandbox"] == "bwrap":
        assert results["snoop"]["parts"]["my_sequential"]["held_score"] == 4.0  # its code is right


def test_grades_csv(graded):
    course, results = graded
    rows = list(csv.DictReader(open(course.root / "grades.csv")))
    assert [r["student"] for r in rows] == sorted(expected(course.library))
    assert set(rows[0]) == {
        "student",
        "assignment",
        *parts.parts_of("modules"),
        "score",
        "max_score",
        "flags",
    }
    by = {r["student"]: r for r in rows}
    assert (
        float(by["seq_plain_list"]["my_sequential"]) == 1.5
        and by["infinite_loop"]["flags"] == "timeout"
    )


def test_gradebook_holds_the_scores_and_awaits_the_written_answer(graded):
    from nbgrader.api import Gradebook

    course, results = graded
    with Gradebook(course.db_url, course.course_id) as gb:
        # nobody added or renamed
        assert sorted(s.id for s in gb.students) == sorted(expected(course.library))
        for name, r in results.items():
            sub = gb.find_submission("modules", name)
            assert sub.code_score == pytest.approx(r["score"])
            manual = gb.find_grade("list_problems", "modules", "modules", name)
            assert manual.auto_score is None and manual.needs_manual_grade
        flagged = gb.find_submission_notebook("modules", "modules", "tamper").flagged
        assert flagged and not gb.find_submission_notebook("modules", "modules", "correct").flagged
        assert gb.find_submission_notebook("modules", "modules", "fill_disk").flagged


def test_nbgrader_export_and_feedback(graded):
    course, results = graded
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", "export.csv"],
        cwd=course.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = {r["student_id"]: r for r in csv.DictReader(open(course.root / "export.csv"))}
    for name, r in results.items():
        assert float(rows[name]["raw_score"]) == pytest.approx(r["score"])
        assert float(rows[name]["max_score"]) == 12.0  # 10 autograded + 2 for the written answer
    html = (course.root / "feedback" / "seq_plain_list" / "modules" / "modules.html").read_text()
    assert "Hidden checks for MySequential: 1.5 / 4 points" in html
    assert "plain Python list" in html
    # written before the hand grading: it says so, and the hidden-check blocks wrap
    assert (
        "Written response</a> (not graded yet, 2 points)" in html and "Score: 0.0 / 2.0" not in html
    )
    assert "(Score: 7.5 / 12.0; 2 points not graded yet)</h4>" in html
    assert "div.output_subarea pre, div.output_text pre { white-space: pre-wrap;" in html


def test_release_has_no_hidden_tests_or_solutions(graded):
    course, _ = graded
    release = course.root / "release" / "modules"
    assert sorted(p.name for p in release.iterdir()) == ["checks_public.py", "modules.ipynb"]
    text = (release / "modules.ipynb").read_text()
    for marker in (
        "BEGIN SOLUTION",
        "BEGIN HIDDEN",
        "add_module(str(idx)",
        "torch.cat([branch",
        "autograder",
        "nn.ModuleList([module_cls",
    ):
        assert marker not in text
    assert text.count("raise NotImplementedError()") >= 5
    # the course's library: the PyTorch edition imports torch and names d2lmods nowhere
    setup = "import torch\nfrom torch import nn" if course.library == "torch" else "import d2lmods"
    assert setup in "".join(json.loads(text)["cells"][1]["source"])
    if course.library == "torch":
        for f in release.iterdir():
            assert "d2lmods" not in f.read_text() and "ONLY" not in f.read_text(), f.name
    ids = {c["metadata"].get("nbgrader", {}).get("grade_id") for c in json.loads(text)["cells"]}
    assert {
        "my_sequential",
        "parallel_module",
        "factory",
        "list_problems",
        "test_my_sequential_behaviour",
        "test_parallel_module_behaviour",
        "test_factory_behaviour",
    } <= ids


def test_nbgrader_validate_invert_on_the_release(graded):
    course, _ = graded
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", "--invert", "modules.ipynb"],
        cwd=course.root / "release" / "modules",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Success! The notebook does not pass any tests." in out.stdout, (
        out.stdout[-2000:] + out.stderr[-2000:]
    )


def test_test_cell_points_match_the_hidden_checks(graded):
    course, _ = graded
    cells = json.loads(course.source_notebook("modules").read_text())["cells"]
    points = {
        c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points")
        for c in cells
        if c["metadata"].get("nbgrader", {}).get("grade")
    }
    for part in parts.parts_of("modules"):
        assert points[f"test_{part}_behaviour"] == parts.part_points(part)
    assert points["list_problems"] == 2  # the written answer, graded by hand


@pytest.mark.parametrize("name", sorted(HONEST_TWIN))
def test_no_solution_never_beats_the_honest_mistake(graded, name):
    course, results = graded
    if name not in results:
        pytest.skip(f"a sample of the PyTorch edition only; this course uses {course.library}")
    part, twin = HONEST_TWIN[name]
    held = results[name]["parts"][part]
    assert held["status"] == "held" and held["score"] == 0 and held["review"]
    assert held["held_score"] <= results[twin]["parts"][part]["score"]


def test_correct_solutions_are_never_held(graded):
    _, results = graded
    for name in ("correct", "correct_alt") + tuple(
        n for n, (_, flags) in EXPECTED.items() if not flags
    ):
        assert all(p["status"] != "held" for p in results[name]["parts"].values()), name


def test_held_parts_say_why_in_feedback_gradebook_and_dashboard(graded):
    from nbgrader.api import Gradebook

    course, _ = graded
    html = (course.root / "feedback" / "par_overrides" / "modules" / "modules.html").read_text()
    assert "Held for review" in html and "redefines" in html
    with Gradebook(course.db_url, course.course_id) as gb:
        grade = gb.find_grade(
            "test_parallel_module_behaviour", "modules", "modules", "par_overrides"
        )
        assert grade.auto_score == 0 and grade.needs_manual_grade
        assert gb.find_submission_notebook("modules", "modules", "par_overrides").flagged
    data = load_assignment(course.root, "modules")
    rec = next(s for s in data.flagged() if s.student == "par_overrides")
    assert Flag.OVERRIDES_TRAVERSAL in rec.flags and rec.result.held_parts == ["parallel_module"]


def test_results_files_are_strict_json_and_the_dashboard_reads_them_all(graded, tmp_path):
    from autograder.dashboard.cli import build_dashboard

    course, _ = graded

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    for name in expected(course.library):
        r = json.loads(
            (course.root / "results" / "modules" / f"{name}.json").read_text(),
            parse_constant=refuse,
        )
        for v in r["extra_data"]["timings"].values():
            assert isinstance(v, float) and 0 <= v < 1e5
    html = Path(build_dashboard(course.root, "modules", tmp_path / "dash.html")).read_text()
    assert all(name in html for name in expected(course.library))


def test_the_written_answer_cannot_run_script_in_the_feedback(graded):
    course, _ = graded
    page = course.root / "feedback" / "xss_answer" / "modules" / "modules.html"
    html = page.read_text()
    assert "The list is not registered." in html
    for bad in ("<script>document.title", "onerror", 'href="javascript:', 'src="javascript:'):
        assert bad not in html
    chromium = "/usr/bin/chromium"
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(chromium):
        pytest.skip(f"{chromium} is missing")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.goto(page.resolve().as_uri())
            tab.wait_for_timeout(500)
            for link in tab.query_selector_all("a"):
                if "click me" in (link.inner_text() or "") or "or me" in (link.inner_text() or ""):
                    link.click()
            assert tab.title() != "XSS-RAN"
        finally:
            browser.close()


@pytest.mark.parametrize("name", ["bad_numbers", "wrong_shape"])
def test_observations_written_by_the_cell_cost_that_part_only(graded, name):
    # absurd numbers or wrong-shaped observations in out.json: not read (the report comes back signed
    # on a pipe), the part gets nothing even before the hold, and the other parts are graded on their own
    r = graded[1][name]
    part = r["parts"]["my_sequential"]
    assert part["status"] == "held" and part["score"] == 0 and part["held_score"] == 0
    assert part["flags"] == ["grader_tampering"] and "os._exit" in " ".join(part["review"])
    assert r["parts"]["parallel_module"]["status"] == r["parts"]["factory"]["status"] == "ok"


def test_feedback_shows_the_registered_tree_only_where_the_structure_check_failed(graded):
    course, results = graded

    def feedback(student):
        return (course.root / "feedback" / student / "modules" / "modules.html").read_text()

    marker = "registered tree next to what the check expected"
    html = feedback("seq_plain_list")
    assert marker in html and "0: Linear in the check, missing in your model" in html
    assert "4: Tag in the check, missing in your model" in html
    assert "1: Branch in the check, missing in your model" in feedback("par_plain_list")
    for student in ("correct", "correct_alt", "seq_wrong_order", "par_wrong_dim"):
        assert marker not in feedback(student)
    test = next(t for t in results["seq_plain_list"]["tests"] if t["check"] == "registers_children")
    assert marker in test["output"]
    assert not any(
        marker in t["output"]
        for r in results.values()
        for t in r["tests"]
        if t["check"] not in ("registers_children", "registers_branches")
    )


# parts the fork server did not run, graded again in a sandbox of their own: the parts after one
# that the host stopped (over the disk limit) -- the stopped part cost only itself
RUN_ALONE = {
    "fill_disk": {"parallel_module", "factory"},
    "deep_chain": {"parallel_module", "factory"},
}
# deep_chain makes its 1,500 folders in a few milliseconds and stops: whether the host's watch
# sees the chain while the part runs (and stops the sandbox) or the host just empties the folder
# after it is a race, and either way the scores are the same (test_scores_and_flags)
MAY_RUN_TOGETHER = {"deep_chain"}


def test_every_sample_ran_on_the_fork_path(graded):
    """The default runner: one sandbox per submission, a forked process per part."""
    _, results = graded
    for name, r in results.items():
        runs = r["extra_data"]["parts"]
        ran = {p: run.get("runner") for p, run in runs.items() if run.get("sandbox")}
        alone = {p for p, how in ran.items() if how != "fork"}
        want = RUN_ALONE.get(name, set())
        assert alone == want or (name in MAY_RUN_TOGETHER and not alone), (name, ran)
