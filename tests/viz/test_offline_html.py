"""The HTML copies `make demo` writes work offline: headless chromium with every non-file request
blocked shows the explorer's drawing and tree and the formulas, and no request leaves the page.

The export (``python -m d2lmods.viz.offline``) runs the chapter's notebook 07 (two explorers) and
03 (formulas); the page is opened from ``file://`` with Playwright's routing aborting anything
else, and every attempt is recorded.
"""

import base64
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests.viz.test_browser import CHROMIUM, FLAGS

REPO = pathlib.Path(__file__).parents[2]
NOTEBOOKS = ["07-seeing-your-model.ipynb", "03-parameter-initialization.ipynb"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    pytest.importorskip("latex2mathml", reason="latex2mathml is not installed")
    out = tmp_path_factory.mktemp("html")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    run = subprocess.run(
        [sys.executable, "-m", "d2lmods.viz.offline", "--execute", "--output-dir", str(out)]
        + [str(REPO / "notebooks" / nb) for nb in NOTEBOOKS],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {nb: out / nb.replace(".ipynb", ".html") for nb in NOTEBOOKS}


def open_offline(path, check):
    """Open ``path`` in chromium with the network blocked; ``check(page)``; the blocked URLs."""
    from playwright.sync_api import sync_playwright

    blocked = []

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            check(page)
        finally:
            browser.close()
    assert errors == [], errors
    return blocked


def test_the_explorer_outputs_show_their_drawing_and_tree_offline(pages):
    path = pages["07-seeing-your-model.ipynb"]
    html = path.read_text()
    assert "unpkg.com" not in html and "cdnjs" not in html and "<script src=" not in html
    shots = REPO / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)

    def check(page):
        explorers = page.locator(".d2lm-static")
        assert explorers.count() == 2
        first = explorers.first
        first.scroll_into_view_if_needed()
        image = first.locator(".d2lm-drawing img")
        assert image.evaluate("(img) => img.complete && img.naturalWidth") > 100  # drawn
        box = image.bounding_box()
        assert box["width"] > 100 and box["height"] > 100
        svg = base64.b64decode(image.get_attribute("src").split(",", 1)[1]).decode()
        assert 'class="node module leaf unregistered called"' in svg  # the explorer's drawing
        items = first.locator(".d2lm-tree .d2lm-item")
        assert items.count() >= 3
        assert first.locator(".d2lm-tree .d2lm-item.unregistered").count() >= 1
        assert "static copy" in first.inner_text()
        first.screenshot(path=str(shots / "offline-explorer.png"))

    blocked = open_offline(path, check)
    assert blocked == [], f"the page asked the network for {blocked}"


def test_no_page_refers_to_the_network(pages):
    for path in pages.values():
        html = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path.name
        assert "mathjax" not in html.lower() and "require.js" not in html, path.name


def test_formulas_render_as_mathml_offline(pages):
    path = pages["03-parameter-initialization.ipynb"]

    def check(page):
        maths = page.locator("math")
        assert maths.count() >= 6
        for i in range(maths.count()):
            box = maths.nth(i).bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
        assert "\\sqrt" not in page.locator("body").inner_text()  # no raw LaTeX left
        page.locator("math[display='block']").first.screenshot(
            path=str(REPO / "build" / "screenshots" / "offline-formula.png")
        )

    blocked = open_offline(path, check)
    assert blocked == [], f"the page asked the network for {blocked}"
