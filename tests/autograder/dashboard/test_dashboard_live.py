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
