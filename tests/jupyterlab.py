"""A JupyterLab server for the browser tests: started on a free loopback port with a token,
stopped with everything it started (kernels run in sessions of their own)."""

import contextlib
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
# Headless chromium on a machine without network: no first-run work, no background fetches.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(base: pathlib.Path, root: pathlib.Path, env: dict, start_seconds: float = 60):
    """Yield ``(url, token)`` of JupyterLab serving ``root``; its log is ``base / "server.log"``."""
    port, token = free_port(), secrets.token_hex(16)
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
    )  # own process group: kernels die with it
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
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
        yield url, token
    finally:
        children = _descendants(proc.pid)  # kernels may run in their own sessions
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
        for pid, started in children:  # whatever the server did not shut down itself,
            if _start_time(pid) == started:  # unless the pid now belongs to another process
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        log.close()


def _stat(pid: int):
    """(parent pid, start time) from /proc/<pid>/stat, or None."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _start_time(pid: int):
    st = _stat(pid)
    return st and st[1]


def _descendants(pid: int) -> list:
    """(pid, start time) of every process below ``pid`` (Linux /proc; empty elsewhere)."""
    table = {}
    for entry in pathlib.Path("/proc").glob("[0-9]*"):
        st = _stat(int(entry.name))
        if st:
            table[int(entry.name)] = st
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, (pp, _t) in table.items() if pp == parent]
        found += [(p, table[p][1]) for p in kids]
        frontier += kids
    return found
