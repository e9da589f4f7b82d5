"""The HTML dashboard as written by the CLI: self-contained, complete, honest about empty data."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from autograder.dashboard.cli import main
from tests.autograder.dashboard.dashkit import ASSIGNMENT, Student


class _Page(HTMLParser):
    """Collects what matters for these tests: external references, images, table rows, sections."""

    def __init__(self):
        super().__init__()
        self.external, self.images, self.sections, self.links = [], [], [], []
        self.rows: dict[str, list[str]] = {}
        self._tables = []  # nested tables: the students table holds per-student ones

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(a[key])
        if tag in ("script", "link") and (a.get("src") or a.get("href")):
            self.external.append(a.get("src") or a.get("href"))
        if tag == "img":
            self.images.append(a)
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "table":
            self._tables.append(a.get("class"))
        if tag == "tr" and "data-student" in a and self._tables:
            self.rows.setdefault(self._tables[-1], []).append(a["data-student"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._tables.pop()


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_cli_writes_a_self_contained_page_and_prints_its_path(course, tmp_path, capsys):
    out = tmp_path / "site" / "dash.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = _parse(out)
    assert page.external == []
    assert page.sections == [
        "summary",
        "scores",
        "checks",
        "failures",
        "clusters",
        "similarity",
        "flags",
        "students",
        "timing",
    ]
    assert len(page.images) == 5 and all(
        i["src"].startswith("data:image/svg+xml;base64,") for i in page.images
    )
    assert all(i.get("alt") for i in page.images)
    assert page.rows["students"] == ["alice", "bob", "carol", "dan", "erin", "frank"]
    assert page.rows["flags"] == ["carol", "dan"]


def test_feedback_links_are_relative_and_resolve(course, tmp_path):
    out = tmp_path / "site" / "dash.html"
    main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)])
    feedback = [h for h in _parse(out).links if h.endswith(".html")]
    assert len(feedback) == 4  # the four auto-graded students
    for href in feedback:
        assert not href.startswith("/") and (out.parent / href).resolve().exists(), href


def test_page_tells_the_story_of_the_class(course, tmp_path):
    out = tmp_path / "dash.html"
    main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)])
    text = out.read_text()
    assert "<strong>2 students</strong> kept modules in a plain Python list or dict" in text
    assert "tampered with tests: 1" in text and "timed out: 1" in text
    assert "graded, needs manual grade" in text and "no submission" in text


def test_empty_course_renders_with_explanations(tmp_path, capsys):
    course = tmp_path / "empty"
    course.mkdir()
    out = tmp_path / "dash.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    page = _parse(out)
    assert page.images == [] and len(page.sections) == 9
    text = out.read_text()
    assert "Nobody is enrolled" in text and "No graded submissions yet" in text


def test_assignment_is_optional_when_there_is_only_one(course, tmp_path, capsys):
    out = tmp_path / "dash.html"
    assert main([str(course), "--out", str(out)]) == 0 and out.exists()


def test_no_assignment_and_none_known_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has 0 assignments" in err and "--assignment" in err


def test_gradebook_with_students_but_nothing_graded(course_factory, tmp_path):
    course = course_factory([Student("ann", graded=False), Student("ben", submitted=False)])
    out = tmp_path / "dash.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    page = _parse(out)
    assert page.rows["students"] == ["ann", "ben"]
    text = out.read_text()
    assert re.search(r'data-student="ann" data-status="submitted, needs manual grade"', text)
    assert re.search(r'data-student="ben" data-status="no submission"', text)


def test_runs_as_a_module_with_default_output(course, tmp_path):
    # The same entry the Makefile uses, from a fresh interpreter, default --out under the cwd.
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.dashboard.cli", str(course), "--assignment", ASSIGNMENT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[3]), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        proc.stdout.strip() == "build/dashboard.html"
        and (tmp_path / "build" / "dashboard.html").exists()
    )


def test_large_class_links_results_files_instead_of_inlining_them(tmp_path):
    import json

    from autograder.dashboard.render import INLINE_JSON_LIMIT
    from tests.autograder.dashboard.dashkit import result_json

    course = tmp_path / "big"
    folder = course / "results" / ASSIGNMENT
    folder.mkdir(parents=True)
    n = INLINE_JSON_LIMIT + 10
    for i in range(n):
        fails = (
            {"factory/count": ("failed", "factory returns too few", "got 2 modules")}
            if i % 3
            else {}
        )
        (folder / f"s{i:04d}.json").write_text(
            json.dumps(result_json(Student(f"s{i:04d}", failures=fails)))
        )
    out = tmp_path / "dash.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    text = out.read_text()
    page = _parse(out)
    assert len(page.rows["students"]) == n and "<pre>" not in text
    links = [h for h in page.links if h.endswith(".json")]
    assert len(links) == n and all((out.parent / h).exists() for h in links)
    # what each student missed is still on the page
    assert text.count("got 2 modules") >= sum(1 for i in range(n) if i % 3)
    assert len(text) < 40_000 * 1 + 2_500 * n  # grows by a couple of kB per student, not ~10
