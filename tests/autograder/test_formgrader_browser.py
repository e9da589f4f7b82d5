"""Formgrader, as exercises/README.md says to open it: JupyterLab in the course folder, then
Nbgrader > Formgrader. It opens, and Manage Submissions shows the autograder's scores."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.batch import grade_course
from autograder.demo import build_course

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start:\n" + (base / "server.log").read_text()[-3000:]
                    )
                time.sleep(0.3)
        yield {"url": url, "token": token, "results": {r.student: r for r in results}}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
        log.close()
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
