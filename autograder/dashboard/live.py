"""Keep an open dashboard up to date while a batch grades: re-read the course when a results file
has been written.

    >>> from autograder.dashboard.widget import Dashboard
    >>> board = Dashboard("build/demo-course")      # doctest: +SKIP
    >>> watcher = follow(board, every=5.0)           # doctest: +SKIP
    >>> watcher.stop()                               # doctest: +SKIP

Checking costs one directory listing every ``every`` seconds; the dashboard is re-read only when
the listing changed (a results file was added or replaced), and at most that often.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def fingerprint(results_dir: Path) -> tuple:
    """(number of results files, newest modification time): changes when one is written."""
    n, newest = 0, 0
    try:
        with os.scandir(results_dir) as it:
            for e in it:
                if e.name.endswith(".json") and e.is_file(follow_symlinks=False):
                    n += 1
                    newest = max(newest, e.stat(follow_symlinks=False).st_mtime_ns)
    except OSError:
        pass
    return n, newest


class Follower:
    """Polls one assignment's results folder and calls ``reload()`` when it changed."""

    def __init__(self, board, every: float = 5.0):
        self.board, self.every = board, every
        self.seen = self._now()
        self.reloads = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="dashboard-follow")

    def _now(self) -> tuple:
        return fingerprint(self.board.course_dir / "results" / str(self.board.assignment.value))

    def poll(self) -> bool:
        """Re-read the dashboard if the results changed since the last look; True when it did."""
        now = self._now()
        if now == self.seen:
            return False
        self.seen = now
        self.board.reload()
        self.reloads += 1
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.poll()
            except Exception:  # a half-written course must not end the updates
                continue

    def stop(self) -> None:
        self._stop.set()


def follow(board, every: float = 5.0) -> Follower:
    """Start following ``board`` (a :class:`~autograder.dashboard.widget.Dashboard`) in a thread."""
    f = Follower(board, every)
    f.thread.start()
    return f
