"""Formgrader, as exercises/README.md says to open it: JupyterLab in the course folder, then
Nbgrader > Formgrader. It opens, and Manage Submissions shows the autograder's scores."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.batch import grade_course
from autograder.demo import build_course
from tests.jupyterlab import CHROMIUM, CHROMIUM_FLAGS as FLAGS, running_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    base = tmp_path_factory.mktemp("formgrader")
    root = base / "course"
    build_course(root, names=["correct", "seq_plain_list"])
    results = grade_course(root, "modules", feedback=False, log=lambda *a: None)
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "RUNTIME"):
        env[f"JUPYTER_{name}_DIR"] = str(base / name.lower())
    env["IPYTHONDIR"] = str(base / "ipython")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    try:
        with running_lab(base, root, env) as (url, token):
            yield {"url": url, "token": token, "results": {r.student: r for r in results}}
    finally:
        shutil.rmtree(base / "runtime", ignore_errors=True)


def test_formgrader_opens_from_the_menu_and_shows_the_autograded_scores(course_lab):
    from playwright.sync_api import sync_playwright

    url, token, results = course_lab["url"], course_lab["token"], course_lab["results"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/lab?token={token}", timeout=90_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=90_000)
            page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
            frame = page.frame_locator("iframe[src*='formgrader']")
            frame.locator("text=Manage Assignments").first.wait_for(timeout=60_000)
            # Manage Submissions: one row per student, with the autograder's score out of 12
            page.goto(f"{url}/formgrader/manage_submissions/modules?token={token}")
            for student in ("correct", "seq_plain_list"):
                page.locator(f"tr:has-text('{student}')").first.wait_for(timeout=60_000)
            text = page.locator("body").inner_text()
            assert "10 / 12" in text and "7.5 / 12" in text, text[:2000]
            assert results["correct"].score == 10.0 and results["seq_plain_list"].score == 7.5
        finally:
            browser.close()
