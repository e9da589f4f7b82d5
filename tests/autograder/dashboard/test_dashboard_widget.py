"""The live ipywidgets dashboard shows the same views as the page and follows the course on reload."""

import json
from pathlib import Path

import pytest

from tests.autograder.dashboard.dashkit import ASSIGNMENT

pytest.importorskip("ipywidgets")

from autograder.dashboard import Dashboard  # noqa: E402


def test_tabs_hold_every_view_and_students_drill_down(course):
    dash = Dashboard(course, link_base=course)
    assert dash.assignment.value == ASSIGNMENT and dash.assignment.options == (ASSIGNMENT,)
    assert list(dash.tabs.titles) == [
        "Summary",
        "Score distribution",
        "Checks",
        "Common mistakes",
        "Answer clusters",
        "Similar submissions",
        "Flagged submissions",
        "Students",
        "Grading time",
    ]
    assert "data:image/svg+xml;base64," in dash.panes["scores"].value
    assert "kept modules in a plain Python list" in dash.panes["failures"].value
    assert dash.student.options == ("alice", "bob", "carol", "dan", "erin", "frank")
    dash.student.value = "bob"
    assert "&quot;student&quot;: &quot;bob&quot;" in dash.student_detail.value
    assert 'href="feedback/bob/modules/modules.html"' in dash.student_detail.value
    dash.student.value = "erin"
    assert "No submission." in dash.student_detail.value


def test_reload_picks_up_new_results(course):
    dash = Dashboard(course, link_base=course)
    assert '2</div><div class="label">flagged' in dash.panes["summary"].value
    path = Path(course) / "results" / ASSIGNMENT / "alice.json"
    result = json.loads(path.read_text())
    result["flags"] = ["crash"]
    path.write_text(json.dumps(result))
    dash.student.value = "carol"
    dash.reload_button.click()
    assert '3</div><div class="label">flagged' in dash.panes["summary"].value
    assert "crashed: 1" in dash.panes["flags"].value
    assert dash.student.value == "carol"  # the drill-down stays where the instructor was


def test_empty_folder_explains_itself(tmp_path):
    dash = Dashboard(tmp_path)
    assert dash.assignment.value is None and "nothing graded yet" in dash.status.value


def test_styles_stay_inside_the_dashboard(course):
    from autograder.dashboard.widget import SCOPE, _css

    dash = Dashboard(course, link_base=course)
    assert SCOPE in dash.widget._dom_classes
    rules = [line for line in _css().splitlines() if line.strip()]
    assert rules and all(line.startswith(f".{SCOPE}") for line in rules)
    assert all(
        f".{SCOPE} " in sel or sel.strip() == f".{SCOPE}"
        for line in rules
        for sel in line.split("{")[0].split(",")
    )
