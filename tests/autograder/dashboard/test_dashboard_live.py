"""The open dashboard follows a batch while it grades: re-read when a results file is written."""

import json
import os
import time
from pathlib import Path

import pytest

from tests.autograder.dashboard.dashkit import ASSIGNMENT

pytest.importorskip("ipywidgets")

from autograder.dashboard import Dashboard  # noqa: E402
from autograder.dashboard.live import follow  # noqa: E402


def test_a_written_result_updates_the_open_dashboard(course):
    dash = Dashboard(course, link_base=course)
    assert '2</div><div class="label">flagged' in dash.panes["summary"].value
    watcher = follow(dash, every=0.05)
    try:
        time.sleep(0.2)
        assert watcher.reloads == 0  # nothing written: nothing re-read
        path = Path(course) / "results" / ASSIGNMENT / "alice.json"
        result = json.loads(path.read_text())
        result["flags"] = ["crash"]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result))
        os.replace(tmp, path)  # the way the grader writes it
        os.utime(path, ns=(time.time_ns() + 10**9,) * 2)  # a coarse clock must still see it change
        deadline = time.monotonic() + 10
        while watcher.reloads == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert watcher.reloads == 1
    assert '3</div><div class="label">flagged' in dash.panes["summary"].value


def test_the_dashboard_follows_a_batch_graded_by_the_cli(tmp_path):
    """``python -m autograder grade`` in another process, the dashboard open here: it is re-read
    while the batch runs, and ends showing every student; the CLI's progress lines (not a
    terminal) reach stderr."""
    import subprocess
    import sys

    from autograder.demo import build_course

    root = Path(__file__).resolve().parents[3]
    names = ["correct", "seq_plain_list", "par_wrong_dim", "fac_shared", "exits"]
    course = build_course(tmp_path / "course", names)
    dash = Dashboard(course.root, link_base=course.root)
    watcher = follow(dash, every=0.1)
    reloads_while_running = 0
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(course.root),
                "--workers",
                "1",
                "--no-feedback",
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while proc.poll() is None:
            reloads_while_running = watcher.reloads
            time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        watcher.stop()
        watcher.thread.join(5)
        watcher.poll()  # the last file may have landed after the last look
    finally:
        watcher.stop()
    assert reloads_while_running >= 1, "the dashboard was not re-read while the batch ran"
    assert f"graded {len(names)}/{len(names)} (100%)" in err and "graded 1/" in err, err[-2000:]
    summary = dash.panes["summary"].value
    assert f'{len(names)}</div><div class="label">' in summary, summary[:2000]
