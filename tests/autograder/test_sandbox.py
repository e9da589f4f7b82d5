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
needs_bwrap = pytest.mark.skipif(
    not sandbox.bwrap_usable(), reason="bubblewrap is not installed or not usable"
)
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="changing to an unprivileged uid needs root"
)

FORK_UID = sandbox.UID_BASE - 7  # a uid no other job uses
WRITE_OUT = (
    "import json, sys\ndef report(**kw):\n    json.dump(kw, open(sys.argv[2] + '/out.json', 'w'))\n"
)


def go(body: str, kind="bwrap", uid=None, **limits):
    return run(
        {"probe.py": (WRITE_OUT + body).encode()},
        Limits.from_dict({"part_seconds": 10, **limits}),
        kind=kind,
        uid=uid,
    )


@needs_bwrap
def test_plain_data_comes_back():
    res = go("report(answer=42, text='hi')")
    assert (res.status, res.output, res.sandbox) == ("ok", {"answer": 42, "text": "hi"}, "bwrap")


@needs_bwrap
def test_file_system_shows_no_course_no_autograder_no_repository():
    res = go(f"""
import os
report(root=sorted(os.listdir('/')), repo=sorted(os.listdir({str(REPO)!r})),
       autograder=os.path.exists({str(REPO / "autograder")!r}), etc=os.path.exists('/etc/passwd'),
       home=os.path.expanduser('~'))
""")
    assert res.status == "ok", res.stderr_tail
    out = res.output
    # the venv may live inside the checkout (it is mounted read-only); nothing else may show
    assert set(out["repo"]) - {".venv"} == {"d2lmods"}, (
        "only d2lmods may be visible from the repository"
    )
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
    res = go(
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
        cpu_seconds=1,
        part_seconds=60,
    )
    assert res.status == "timeout"


@needs_bwrap
def test_sleeping_forever_is_stopped_too():
    res = go("import time\ntime.sleep(3600)\n", part_seconds=1.5)
    assert res.status == "timeout"


@needs_bwrap
def test_memory_bomb_gets_memory_error_not_the_machine():
    res = go(
        """
try:
    hoard = [bytearray(1 << 30) for _ in range(64)]
    report(got='all')
except MemoryError:
    report(got='MemoryError')
""",
        memory_mb=512,
    )
    assert res.output == {"got": "MemoryError"}


@needs_bwrap
@needs_root
def test_fork_bomb_is_capped_and_leftover_processes_are_killed():
    res = go(
        """
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
""",
        nproc=32,
        uid=FORK_UID,
    )
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
    for body in (
        "import sys\nsys.exit(0)\n",
        "import os\nos._exit(3)\n",
        "raise KeyboardInterrupt\n",
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    ):
        res = go(body)
        assert res.status == "crash" and res.output is None, body


@needs_bwrap
def test_output_must_be_a_small_json_object():
    assert go("open(sys.argv[2] + '/out.json', 'w').write('[1, 2]')").output is None
    assert go("open(sys.argv[2] + '/out.json', 'w').write('{bad')").output is None
    big = go(
        "open(sys.argv[2] + '/out.json', 'w').write('{\"a\": \"' + 'x' * 3_000_000 + '\"}')",
        output_kb=1024,
    )
    assert big.output is None and "larger" in big.detail
    link = go("import os\nos.symlink('/etc/hostname', sys.argv[2] + '/out.json')")
    assert link.output is None


def test_fallback_without_bubblewrap_still_limits_and_says_so():
    res = go("report(ok=1)", kind="unsandboxed")
    assert (res.status, res.output, res.sandbox) == ("ok", {"ok": 1}, "unsandboxed")
    res = go("while True:\n    pass\n", kind="unsandboxed", cpu_seconds=1)
    assert res.status == "timeout"
    res = go(
        """
try:
    x = bytearray(8 << 30); report(got='all')
except MemoryError:
    report(got='MemoryError')
""",
        kind="unsandboxed",
        memory_mb=512,
    )
    assert res.output == {"got": "MemoryError"}


def test_a_part_graded_without_bubblewrap_says_unsandboxed():
    from autograder import notebook, parts, pipeline

    source = REPO / "exercises" / "source" / "modules" / "modules.ipynb"
    ref = notebook.solution_sources(notebook.read_notebook(source.read_bytes()), ["factory"])[
        "factory"
    ]
    info = pipeline.run_part("factory", ref, Limits(), kind="unsandboxed")
    assert info.run["sandbox"] == "unsandboxed" and info.status == "ok", info.run
    assert info.score == parts.part_points("factory") and not info.flags


# -- the host must survive the job (issue 11) ------------------------------------------------
@needs_bwrap
def test_private_tmp_and_dev_shm_are_sized_tmpfs():
    res = go(
        """
import os
got = {}
for d in ('/tmp', '/dev/shm'):
    n = 0
    try:
        with open(d + '/fill', 'wb') as f:
            for _ in range(64):
                f.write(b'x' * (1 << 20)); f.flush(); n += 1
    except OSError as e:
        got[d + ':error'] = e.errno
    got[d] = n
    try:
        os.unlink(d + '/fill')
    except OSError:
        pass
report(**got)
""",
        tmp_mb=8,
        fsize_mb=128,
    )
    assert res.status == "ok", res.stderr_tail
    assert res.output["/tmp"] <= 8 and res.output["/dev/shm"] <= 8, res.output


@needs_bwrap
def test_sandbox_root_and_dev_are_read_only():
    res = go("""
tried = {}
for path in ['/x', '/job/x', '/dev/x']:
    try:
        open(path, 'w').close(); tried[path] = 'written'
    except OSError as e:
        tried[path] = type(e).__name__
report(**tried)
""")
    assert res.status == "ok", res.stderr_tail
    assert "written" not in res.output.values(), res.output


@needs_bwrap
def test_the_job_cannot_create_a_user_namespace():
    res = go("""
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.unshare(0x10000000)  # CLONE_NEWUSER
err = ctypes.get_errno()
tool = subprocess.run(['unshare', '-U', 'true'], capture_output=True).returncode
report(rc=rc, errno=err, tool=tool)
""")
    assert res.status == "ok", res.stderr_tail
    assert res.output["rc"] == -1 and res.output["errno"] != 0 and res.output["tool"] != 0, (
        res.output
    )


@needs_bwrap
def test_filling_the_output_folder_is_stopped_and_not_read_back():
    t = time.perf_counter()
    res = go(
        """
import os
i = 0
while True:
    with open(f'{sys.argv[2]}/f{i}', 'wb') as f:
        f.write(b'x' * (4 << 20))
    i += 1
""",
        out_mb=32,
        part_seconds=60,
    )
    assert res.status == "disk" and res.output is None, (res.status, res.stderr_tail)
    assert "output folder" in res.detail and time.perf_counter() - t < 30


@needs_bwrap
def test_many_small_files_in_the_output_folder_are_stopped():
    res = go(
        """
i = 0
while True:
    open(f'{sys.argv[2]}/f{i}', 'w').close(); i += 1
""",
        out_entries=2000,
        part_seconds=60,
    )
    assert res.status == "disk", (res.status, res.stderr_tail)


@needs_bwrap
def test_a_deep_folder_chain_and_mode_000_are_cleaned_up(monkeypatch):
    made = []
    real = sandbox.tempfile.mkdtemp

    def spy(*a, **kw):
        made.append(real(*a, **kw))
        return made[-1]

    monkeypatch.setattr(sandbox.tempfile, "mkdtemp", spy)
    res = go("""
import os
os.chdir(sys.argv[2])
for i in range(1500):
    os.mkdir('d'); os.chdir('d')
os.chdir(sys.argv[2])
os.mkdir('locked'); open('locked/f', 'w').close(); os.chmod('locked', 0)
report(ok=1)
""")
    # the chain is over the depth limit (status disk); what matters here: run() returns, and
    # the job folder is gone
    assert res.status == "disk", res.stderr_tail
    assert made and not any(os.path.lexists(p) for p in made)


def test_remove_tree_takes_a_deep_chain_without_recursion(tmp_path):
    from autograder import safeio

    top = tmp_path / "job"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(3000):  # past PATH_MAX and past the recursion limit
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.mkdir("locked", dir_fd=fd)
    os.chmod("locked", 0, dir_fd=fd)
    os.close(fd)
    assert safeio.remove_tree(top) is True and not top.exists()


@needs_bwrap
def test_data_hidden_below_path_max_is_counted_and_deep_chains_are_stopped():
    body = """
import os
os.chdir(sys.argv[2])
for i in range(%d):
    os.mkdir('d' * 250); os.chdir('d' * 250)
for i in range(8):
    with open(f'f{i}', 'wb') as f:
        f.write(b'x' * (8 << 20))
"""
    res = go(body % 20, out_mb=32, out_depth=100)  # 20 levels of 250 characters: past PATH_MAX
    assert res.status == "disk" and res.output is None, res.stderr_tail
    res = go(body % 100, out_mb=1024)
    assert res.status == "disk" and "folder levels" in res.detail


def test_remove_tree_can_keep_the_folder_and_empty_it(tmp_path):
    """The fork runner empties the output folder between parts: the folder stays (it is the one
    bind-mounted into the sandbox), whatever the last part left in it."""
    from autograder import safeio

    top = tmp_path / "out"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(fd)
    (top / "locked").mkdir()
    (top / "locked" / "f").write_text("x")
    os.chmod(top / "locked", 0)
    os.symlink("/etc", top / "link")
    ino = os.stat(top).st_ino
    os.chmod(top, 0o700)
    assert safeio.remove_tree(top, keep=True) is True
    assert os.listdir(top) == [] and os.stat(top).st_ino == ino
    assert os.listdir("/etc")  # the link went, not what it points to
    assert safeio.remove_tree(tmp_path / "missing", keep=True) is True


def test_remove_tree_never_raises():
    from autograder import safeio

    assert safeio.remove_tree("/nonexistent/d2lmods-x") is True
    assert safeio.remove_tree("/proc/1") is False  # refused by the kernel: reported, not raised


@needs_bwrap
def test_a_job_reporting_on_a_pipe_is_stopped_at_the_output_folder_cap_too():
    body = """import os, sys
fd = int(sys.stdin.readline())
os.write(fd, b'started\\n')
i = 0
while True:
    open(f'{sys.argv[2]}/f{i}', 'w').close(); i += 1
"""
    t = time.perf_counter()
    res = run(
        {"probe.py": body.encode()},
        Limits.from_dict({"part_seconds": 60, "out_entries": 500}),
        kind="bwrap",
        stdin=lambda fd: f"{fd}\n".encode(),
    )
    assert res.status == "disk" and res.output is None, (res.status, res.stderr_tail)
    assert res.report == b"started\n" and time.perf_counter() - t < 30
