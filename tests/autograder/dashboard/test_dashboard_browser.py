"""The HTML dashboard opened in headless Debian chromium: it renders, and its numbers are the gradebook's."""

import os
import statistics
from pathlib import Path

import pytest

from autograder.dashboard.cli import main
from autograder.dashboard.data import course_settings
from tests.autograder.dashboard.dashkit import ASSIGNMENT, CHROMIUM, CHROMIUM_FLAGS as FLAGS

BUILD = Path(__file__).resolve().parents[3] / "build"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (python) is not installed"
    )
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as exc:  # e.g. missing shared libraries in a slim image
            pytest.skip(f"chromium did not start: {exc}")
        yield b
        b.close()


def _gradebook(course):
    from nbgrader.api import Gradebook

    course_id, db_url = course_settings(course)
    with Gradebook(db_url, course_id=course_id) as gb:
        subs = {
            s.student.id: (s.score, s.max_score) for s in gb.find_assignment(ASSIGNMENT).submissions
        }
        return [s.id for s in gb.students], subs


def test_dashboard_renders_in_chromium_with_the_gradebooks_numbers(course, tmp_path, browser):
    out = tmp_path / "dashboard.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    requests = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")

    # Every chart decoded to a real picture with a visible size on the page.
    images = page.evaluate("""Array.from(document.images).map(i => ({alt: i.alt, w: i.naturalWidth,
        h: i.naturalHeight, shown: i.getBoundingClientRect().width}))""")
    assert len(images) == 5
    for img in images:
        assert img["w"] > 100 and img["h"] > 100 and img["shown"] > 100, img
    # Nothing but the page itself (and its data: images) was requested: it works offline.
    assert all(u.startswith(("file:", "data:")) for u in requests), requests

    students, subs = _gradebook(course)
    rows = page.locator("table.students > tbody > tr")
    assert rows.count() == len(students)
    shown = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        shown[row.get_attribute("data-student")] = row.locator(":scope > td").nth(3).inner_text()
    assert set(shown) == set(students)
    for sid, text in shown.items():
        if sid in subs:
            assert float(text) == pytest.approx(subs[sid][0], abs=0.0051 + 1e-9), sid
        else:
            assert text == "–", sid

    def card(metric):
        return page.locator(f'.card[data-metric="{metric}"] .value').inner_text()

    assert card("students") == str(len(students))
    assert card("submitted") == str(len(subs))
    graded = [subs[s][0] for s in ("alice", "bob", "carol", "dan")]  # the ones with results files
    mean, top = card("mean score").split(" / ")
    assert float(mean) == pytest.approx(statistics.fmean(graded), abs=0.0051 + 1e-9)
    assert float(top) == pytest.approx(max(m for _, m in subs.values()))

    # Drill-down: opening a student's details shows their results JSON.
    bob = page.locator('table.students tr[data-student="bob"] details')
    bob.locator("summary").click()
    assert '"student": "bob"' in bob.locator("pre").inner_text()

    BUILD.mkdir(exist_ok=True)
    shot = BUILD / "dashboard-test.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
