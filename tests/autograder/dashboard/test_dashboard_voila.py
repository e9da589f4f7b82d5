"""exercises/dashboard.ipynb served by Voila and opened in headless chromium: the live widgets render."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.autograder.dashboard.dashkit import CHROMIUM, CHROMIUM_FLAGS as FLAGS

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_url(course, tmp_path):
    voila = shutil.which("voila", path=str(Path(sys.executable).parent))
    if voila is None:
        pytest.skip("voila is not installed next to this interpreter")
    port = _free_port()
    env = {**os.environ, "D2LMODS_COURSE": str(course), "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "voila.log", "w")
    proc = subprocess.Popen(
        [voila, "dashboard.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=ROOT / "exercises",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "api/status", timeout=2)
                break
            except urllib.error.HTTPError:  # any HTTP answer means the server is up
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "voila did not start:\n" + (tmp_path / "voila.log").read_text()[-2000:]
                    )
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_voila_serves_the_live_dashboard(voila_url):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (python) is not installed"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(voila_url, timeout=90_000)
            page.wait_for_selector(".widget-tab", timeout=90_000)
            assert page.locator('.card[data-metric="students"] .value').inner_text() == "6"
            tabs = page.locator(".lm-TabBar-tab")
            assert tabs.count() == 9
            tabs.filter(has_text="Checks").click()
            img = page.locator('img[alt="Pass rate per check"]')
            img.wait_for(state="visible", timeout=30_000)
            assert page.evaluate("i => i.naturalWidth", img.element_handle()) > 100
            assert page.locator("table.checks > tbody > tr").count() == 7
        finally:
            browser.close()
