"""The sandbox on its own, with tiny programs (no d2lmods import, so each run takes ~0.1 s).

Each test states what a hostile program tries and what must come back.  Tests that need
bubblewrap and root skip with a reason elsewhere; the plain-subprocess fallback runs everywhere.
"""
import os
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox import Limits, run

REPO = Path(__file__).resolve().parents[2]
needs_bwrap = pytest.mark.skipif(not sandbox.bwrap_usable(), reason="bubblewrap is not installed or not usable")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing to an unprivileged uid needs root")

FORK_UID = sandbox.UID_BASE - 7  # a uid no other job uses
WRITE_OUT = "import json, sys\ndef report(**kw):\n    json.dump(kw, open(sys.argv[2] + '/out.json', 'w'))\n"


def go(body: str, kind="bwrap", uid=None, **limits):
    return run({"probe.py": (WRITE_OUT + body).encode()}, Limits(**{"part_seconds": 10, **limits}), kind=kind,
               uid=uid)


@needs_bwrap
def test_plain_data_comes_back():
    res = go("report(answer=42, text='hi')")
    assert (res.status, res.output, res.sandbox) == ("ok", {"answer": 42, "text": "hi"}, "bwrap")


@needs_bwrap
def test_file_system_shows_no_course_no_autograder_no_repository():
    res = go(f"""
import os
report(root=sorted(os.listdir('/')), repo=sorted(os.listdir({str(REPO)!r})),
       autograder=os.path.exists({str(REPO / 'autograder')!r}), etc=os.path.exists('/etc/passwd'),
       home=os.path.expanduser('~'))
""")
    assert res.status == "ok", res.stderr_tail
    out = res.output
    # the venv may live inside the checkout (it is mounted read-only); nothing else may show
    assert set(out["repo"]) - {".venv"} == {"d2lmods"}, "only d2lmods may be visible from the repository"
    assert out["autograder"] is False and out["etc"] is False
    assert "job" in out["root"] and "etc" not in out["root"]


@needs_bwrap
@needs_root
def test_runs_as_unprivileged_uid_and_cannot_write_outside_out():
    res = go("""
import os
tried = {}
for path in ['/job/in/probe.py', '/usr/x', '/job/x', '/work/x']:
    try:
        open(path, 'a').close(); tried[path] = 'written'
    except OSError as e:
        tried[path] = type(e).__name__
open('/tmp/scratch', 'w').write('ok')
report(uid=os.getuid(), euid=os.geteuid(), tried=tried)
""")
    assert res.status == "ok", res.stderr_tail
    assert res.output["uid"] >= sandbox.UID_BASE and res.output["euid"] == res.output["uid"]
    assert "written" not in res.output["tried"].values()


@needs_bwrap
def test_no_network():
    res = go("""
import socket
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2); net = 'open'
except OSError as e:
    net = type(e).__name__
report(net=net)
""")
    assert res.output["net"] != "open"


@needs_bwrap
def test_endless_loop_is_stopped_at_the_cpu_limit():
    t = time.perf_counter()
    res = go("while True:\n    pass\n", cpu_seconds=2, part_seconds=60)
    assert res.status == "timeout"
    assert time.perf_counter() - t < 30


@needs_bwrap
def test_ignoring_sigxcpu_does_not_help():
    res = go("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
             cpu_seconds=1, part_seconds=60)
    assert res.status == "timeout"


@needs_bwrap
def test_sleeping_forever_is_stopped_too():
    res = go("import time\ntime.sleep(3600)\n", part_seconds=1.5)
    assert res.status == "timeout"


@needs_bwrap
def test_memory_bomb_gets_memory_error_not_the_machine():
    res = go("""
try:
    hoard = [bytearray(1 << 30) for _ in range(64)]
    report(got='all')
except MemoryError:
    report(got='MemoryError')
""", memory_mb=512)
    assert res.output == {"got": "MemoryError"}


@needs_bwrap
@needs_root
def test_fork_bomb_is_capped_and_leftover_processes_are_killed():
    res = go("""
import os, subprocess, time
subprocess.Popen(['sleep', '600'], start_new_session=True)
n = 0
while n < 5000:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    n += 1
report(forks=n)
""", nproc=32, uid=FORK_UID)
    assert res.status == "ok", res.stderr_tail
    assert 0 < res.output["forks"] < 32
    # nothing of that uid survives the run
    alive = 0
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = int(open(f"/proc/{d}/status").read().split("Uid:")[1].split()[0])
        except (OSError, IndexError):
            continue
        alive += uid == FORK_UID
    assert alive == 0


@needs_bwrap
def test_exit_before_reporting_is_a_crash_not_a_hang():
    for body in ("import sys\nsys.exit(0)\n", "import os\nos._exit(3)\n", "raise KeyboardInterrupt\n",
                 "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"):
        res = go(body)
        assert res.status == "crash" and res.output is None, body


@needs_bwrap
def test_output_must_be_a_small_json_object():
    assert go("open(sys.argv[2] + '/out.json', 'w').write('[1, 2]')").output is None
    assert go("open(sys.argv[2] + '/out.json', 'w').write('{bad')").output is None
    big = go("open(sys.argv[2] + '/out.json', 'w').write('{\"a\": \"' + 'x' * 3_000_000 + '\"}')", output_kb=1024)
    assert big.output is None and "larger" in big.detail
    link = go("import os\nos.symlink('/etc/hostname', sys.argv[2] + '/out.json')")
    assert link.output is None


def test_fallback_without_bubblewrap_still_limits_and_says_so():
    res = go("report(ok=1)", kind="unsandboxed")
    assert (res.status, res.output, res.sandbox) == ("ok", {"ok": 1}, "unsandboxed")
    res = go("while True:\n    pass\n", kind="unsandboxed", cpu_seconds=1)
    assert res.status == "timeout"
    res = go("""
try:
    x = bytearray(8 << 30); report(got='all')
except MemoryError:
    report(got='MemoryError')
""", kind="unsandboxed", memory_mb=512)
    assert res.output == {"got": "MemoryError"}


def test_a_part_graded_without_bubblewrap_says_unsandboxed():
    from autograder import notebook, parts, pipeline
    source = REPO / "exercises" / "source" / "modules" / "modules.ipynb"
    ref = notebook.solution_sources(notebook.read_notebook(source.read_bytes()), ["factory"])["factory"]
    info = pipeline.run_part("factory", ref, Limits(), kind="unsandboxed")
    assert info.run["sandbox"] == "unsandboxed" and info.status == "ok", info.run
    assert info.score == parts.part_points("factory") and not info.flags
