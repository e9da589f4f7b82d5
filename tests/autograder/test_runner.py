"""One sandbox per submission, a forked child per part: what one part may reach of another."""

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import notebook, parts, pipeline, runner, sandbox

pytestmark = pytest.mark.slow
LIMITS = sandbox.Limits(cpu_seconds=10, part_seconds=30)
HONEST = "from d2lmods import nn\n"

# Part 1 looks for the other parts' secrets below the audit hook: through a program it starts
# (no audit hook there), every descriptor it holds, and every process's fd table; then it leaves
# a process behind in a session of its own.
SNOOP = r"""
import os, subprocess, sys
held = []
for fd in range(3, 256):
    try:
        os.fstat(fd)
        held.append(fd)
    except OSError:
        pass
print("HELD", held, file=sys.stderr)
print("PIDS", os.getpid(), os.getppid(), file=sys.stderr)
r = subprocess.run(["/bin/sh", "-c",
                    "for p in /proc/[0-9]*; do ls $p/fd >/dev/null 2>&1 && echo OPEN $p; done"],
                   capture_output=True, text=True)
print(r.stdout.replace("\n", " "), file=sys.stderr)
subprocess.Popen(["/bin/sleep", "100"], start_new_session=True)
"""
# Part 2 lists the processes it can see.
LOOK = r"""
import os, subprocess, sys
r = subprocess.run(["/bin/sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"], capture_output=True,
                   text=True)
print("SEEN", r.stdout, file=sys.stderr)
"""


def _job(part, source):
    inputs = parts.PARTS[part].make_inputs(np.random.default_rng(0))
    key = secrets.token_bytes(32)
    files = pipeline.probe_files(part, source)
    return (part, files, lambda fd: pipeline.probe_stdin(part, inputs, key, fd)), key


@pytest.mark.skipif(not sandbox.bwrap_usable(), reason="needs bubblewrap")
def test_a_part_reaches_no_other_part_and_leaves_nothing_behind():
    (j1, k1), (j2, k2) = _job("my_sequential", SNOOP), _job("parallel_module", LOOK)
    out = runner.run_parts([j1, j2], LIMITS, "bwrap")
    first, second = out["my_sequential"], out["parallel_module"]
    held = [line for line in first.stderr_tail.splitlines() if line.startswith("HELD")]
    # only its own report pipe beyond stdin/stdout/stderr (no other part's stdin or report)
    assert len(held) == 1 and len(eval(held[0][5:])) <= 2, first.stderr_tail
    opened = {w for w in first.stderr_tail.split() if w.startswith("/proc/")}
    pids = [line.split()[1:] for line in first.stderr_tail.splitlines() if line.startswith("PIDS")][
        0
    ]
    # neither the part's own process nor the server holding the other parts' pipes can be opened
    # from outside: both are non-dumpable (only the shell's own table is listed)
    assert opened and not opened & {f"/proc/{p}" for p in pids}, first.stderr_tail
    assert first.leftovers_killed >= 1
    # part 2 lists every process it can see: the server, itself, not what part 1 left
    assert "forkserver.py" in second.stderr_tail and "sleep" not in second.stderr_tail, (
        second.stderr_tail
    )
    obs1, forged1 = pipeline.read_report(first.report, k1)
    obs2, forged2 = pipeline.read_report(second.report, k2)
    assert not forged1 and not forged2 and obs1 and obs2
    assert obs2.get("timings", {}).get("total") is not None


def test_a_loop_in_one_part_costs_that_part_only():
    src = notebook.solution_sources(
        notebook.read_notebook(
            (
                pipeline.Path(__file__).resolve().parents[2]
                / "exercises"
                / "source"
                / "modules"
                / "modules.ipynb"
            ).read_bytes()
        ),
        list(parts.PARTS),
    )
    loop = "while True:\n    pass\n"
    jobs = [
        _job("my_sequential", loop),
        _job("parallel_module", notebook.to_python(src["parallel_module"])),
        _job("factory", "import os\nos._exit(3)\n"),
    ]
    out = runner.run_parts([j for j, _ in jobs], sandbox.Limits(cpu_seconds=2, part_seconds=20))
    assert out["my_sequential"].status == "timeout"
    obs, _ = pipeline.read_report(out["parallel_module"].report, jobs[1][1])
    assert (
        out["parallel_module"].status == "ok"
        and obs["exec"] == {"ok": True}
        and "total" in obs["timings"]
    )
    assert out["factory"].exit_code == 3


# -- the host-side limits of a sandbox of its own, on the fork path --------------------------------
needs_bwrap = pytest.mark.skipif(not sandbox.bwrap_usable(), reason="needs bubblewrap")
PARTS3 = ["my_sequential", "parallel_module", "factory"]


def _parts(*sources, kind="bwrap", preload=runner.PRELOAD["d2lmods"], **limits):
    """Run ``sources`` as the parts of one submission; returns the results in order (None for a
    part the server never ran) and the report keys."""
    jobs = [_job(part, src) for part, src in zip(PARTS3, sources, strict=False)]
    out = runner.run_parts(
        [j for j, _ in jobs],
        sandbox.Limits.from_dict({"cpu_seconds": 10, "part_seconds": 30, **limits}),
        kind,
        preload=preload,
    )
    return [out.get(part) for part in PARTS3[: len(sources)]], [k for _, k in jobs]


def _said(res, tag):
    """What a part printed on a line starting with ``tag`` (its stderr comes back per part)."""
    lines = [ln for ln in res.stderr_tail.splitlines() if ln.startswith(tag + " ")]
    assert lines, res.stderr_tail
    return eval(lines[-1][len(tag) + 1 :])


WRITE_OUT = """
import os
for i in range(%d):
    with open(f'f{i}', 'wb') as f:   # the working folder: the output folder on the host's disk
        f.write(b'x' * (4 << 20))
print("OUT", sorted(os.listdir('.')), file=sys.stderr)
"""


@needs_bwrap
def test_fork_path_writing_past_the_disk_limit_costs_that_part_only():
    t = time.perf_counter()
    loop = (
        "import os\ni = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (4 << 20)); i += 1\n"
    )
    (first, second), _ = _parts(
        "import sys\n" + WRITE_OUT % 2, loop, out_mb=16, fsize_mb=8, part_seconds=60
    )
    # the first part's 8 MiB are under the cap, and gone before the next part starts
    assert first.status == "ok" and _said(first, "OUT") == ["f0", "f1"], first.stderr_tail
    assert second.status == "disk" and "output folder" in second.detail, second
    assert time.perf_counter() - t < 30


@needs_bwrap
def test_fork_path_each_part_finds_an_empty_output_folder_and_its_own_cap():
    src = "import sys\n" + WRITE_OUT % 3  # 12 MiB each: 24 together, over the cap of 16
    (first, second, third), _ = _parts(src, src, src, out_mb=16, fsize_mb=8)
    for r in (first, second, third):
        assert r.status == "ok" and _said(r, "OUT") == ["f0", "f1", "f2"], r.stderr_tail


@needs_bwrap
def test_fork_path_many_small_files_and_a_deep_chain_are_stopped():
    many = "i = 0\nwhile True:\n    open(f'f{i}', 'w').close(); i += 1\n"
    deep = "import os\nfor i in range(1500):\n    os.mkdir('d'); os.chdir('d')\n"
    (first,), _ = _parts(many, out_entries=2000, part_seconds=60)
    assert first.status == "disk", first
    (first, second), _ = _parts(deep, "import sys\n" + WRITE_OUT % 1)
    assert first.status == "disk", first
    # the part after a disk kill was never run in this sandbox (the pipeline runs it alone)
    assert second is None


TMP_FILL = """
import os, sys
got = {}
for d in ('/tmp', '/dev/shm'):
    left = sorted(os.listdir(d))
    n = 0
    try:
        with open(d + '/fill', 'wb') as f:
            for _ in range(64):
                f.write(b'x' * (1 << 20)); f.flush(); n += 1
    except OSError as e:
        got[d + ':errno'] = e.errno
    got[d] = n
    got[d + ':before'] = left
    os.makedirs(d + '/deep/' + '/'.join(['d'] * 50), exist_ok=True)
    os.chmod(d + '/deep', 0)
print("TMP", got, file=sys.stderr)
"""


@needs_bwrap
def test_fork_path_tmp_and_dev_shm_are_sized_and_emptied_between_parts():
    (first, second), _ = _parts(TMP_FILL, TMP_FILL, tmp_mb=8, fsize_mb=128)
    for r in (first, second):
        got = _said(r, "TMP")
        assert got["/tmp"] <= 8 and got["/dev/shm"] <= 8, got
        assert got["/tmp:errno"] == 28 and got["/dev/shm:errno"] == 28, got  # ENOSPC
    # what the first part left (a full tmpfs, a mode-000 chain) is gone when the second starts
    # (a checkout or venv under the host's /tmp is bound read-only inside: the folder that holds
    # that mount point stays, untouched)
    assert set(_said(second, "TMP")["/tmp:before"]) <= _tmp_holders()
    assert _said(second, "TMP")["/dev/shm:before"] == []


def _tmp_holders():
    """The names bubblewrap creates in the sandbox's /tmp to hold binds of host paths under /tmp."""
    roots = [Path(__file__).resolve().parents[2], Path(sys.prefix), Path(sys.base_prefix)]
    parts_ = [r.resolve().parts for r in roots]
    return {p[2] for p in parts_ if p[1:2] == ("tmp",) and len(p) > 2}


@needs_bwrap
def test_fork_path_root_dev_and_inputs_are_read_only():
    # /job/numba exists only when the sandbox runs numba kernels (it is watched then)
    src = """
import sys
tried = {}
for path in ['/x', '/job/x', '/dev/x', '/job/in/x', '/job/in/probe.py', '/usr/x', '/job/numba/x']:
    try:
        open(path, 'a').close(); tried[path] = 'written'
    except OSError as e:
        tried[path] = type(e).__name__
print("TRIED", tried, file=sys.stderr)
"""
    (first,), _ = _parts(src)
    tried = _said(first, "TRIED")
    assert len(tried) == 7 and "written" not in tried.values(), tried


@needs_bwrap
def test_fork_path_no_user_namespace():
    # from a program the part starts (no audit hook there): the seccomp filter is what refuses
    src = """
import subprocess, sys
c = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
     "rc = libc.unshare(0x10000000); print(rc, ctypes.get_errno())")
raw = subprocess.run([sys.executable, '-c', c], capture_output=True, text=True).stdout.split()
tool = subprocess.run(['unshare', '-U', 'true'], capture_output=True).returncode
tool_r = subprocess.run(['unshare', '-r', 'id'], capture_output=True).returncode
print("NS", [int(raw[0]), int(raw[1]), tool, tool_r], file=sys.stderr)
"""
    (first,), _ = _parts(src)
    rc, err, tool, tool_r = _said(first, "NS")
    assert rc == -1 and err != 0 and tool != 0 and tool_r != 0, (rc, err, tool, tool_r)


@needs_bwrap
def test_fork_path_sleeping_past_the_wall_clock_costs_that_part_only():
    t = time.perf_counter()
    (first, second), keys = _parts("import time\ntime.sleep(100)\n", HONEST, part_seconds=4)
    assert first.status == "timeout" and first.wall_seconds < 8, first
    obs, forged = pipeline.read_report(second.report, keys[1])
    assert second.status == "ok" and obs and obs["exec"] == {"ok": True} and not forged
    assert time.perf_counter() - t < 25


@needs_bwrap
def test_fork_path_forking_many_processes_is_capped_and_they_die_before_the_next_part():
    bomb = """
import os, sys, time
n = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            os.setsid()
            time.sleep(100)
            os._exit(0)
        n += 1
    except OSError:
        break
print("FORKS", n, file=sys.stderr)
"""
    look = r"""
import subprocess, sys
r = subprocess.run(["/bin/sh", "-c", "for p in /proc/[0-9]*; do head -c 60 $p/cmdline; echo; done"],
                   capture_output=True, text=True)
print("PROCS", sorted(ln.split("\0")[0] for ln in r.stdout.splitlines() if ln), file=sys.stderr)
"""
    (first, second), _ = _parts(bomb, look, nproc=32)
    assert 0 < _said(first, "FORKS") < 32, first.stderr_tail
    assert first.leftovers_killed > 0
    procs = _said(second, "PROCS")
    # bubblewrap's init, the server, this part and its shell: nothing the first part left
    assert procs and "sleep" not in str(procs), procs
    assert all(p.endswith(("python", "python3", "bwrap", "sh", "head")) for p in procs), procs


@needs_bwrap
def test_fork_path_a_memory_bomb_costs_that_part_only():
    (first, second), keys = _parts("x = bytearray(3 << 30)\n", HONEST, memory_mb=1024)
    obs, _ = pipeline.read_report(first.report, keys[0])
    assert obs["exec"]["error"]["type"] == "MemoryError", obs  # the address-space limit
    obs, _ = pipeline.read_report(second.report, keys[1])
    assert second.status == "ok" and obs["exec"] == {"ok": True}


@needs_bwrap
def test_fork_path_killing_the_server_loses_only_what_was_not_run():
    src = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
    (first, second), _ = _parts(src, HONEST)
    assert second is None  # never run here: the pipeline grades it in a sandbox of its own
    assert first is None or "server" in first.detail or first.report


def _host_tmp_marker():
    """Things of ours in the host's /tmp: a folder with a file and a sub-folder, a file beside it."""
    keep = tempfile.mkdtemp(prefix="d2lmods-test-host-tmp-")
    os.mkdir(os.path.join(keep, "sub"))
    for name in ("keep.txt", "sub/keep.txt"):
        with open(os.path.join(keep, name), "w") as f:
            f.write("still here")
    fd, single = tempfile.mkstemp(prefix="d2lmods-test-host-tmp-")
    os.close(fd)
    return keep, single


def _still_there(keep, single):
    for name in ("keep.txt", "sub/keep.txt"):
        with open(os.path.join(keep, name)) as f:
            assert f.read() == "still here"
    assert os.path.isfile(single)


@pytest.mark.parametrize("kind", ["bwrap", "unsandboxed"])
def test_host_tmp_survives_the_fork_server(kind):
    if kind == "bwrap" and not sandbox.bwrap_usable():
        pytest.skip("needs bubblewrap")
    keep, single = _host_tmp_marker()
    try:
        writes = "import tempfile\nopen(tempfile.gettempdir() + '/d2lmods-part-file', 'w')\n"
        _parts(writes, HONEST, writes, kind=kind)
        _still_there(keep, single)
    finally:
        shutil.rmtree(keep)
        os.unlink(single)


def test_host_tmp_survives_a_graded_batch(tmp_path):
    """A whole batch on the default (fork) runner: files in the host's /tmp are all still there."""
    from autograder.batch import grade_course
    from autograder.demo import build_course

    keep, single = _host_tmp_marker()
    try:
        build_course(tmp_path / "course", ["correct", "fill_disk", "fork_bomb"])
        results = grade_course(tmp_path / "course", "modules", feedback=False, log=lambda *a: None)
        assert len(results) == 3
        _still_there(keep, single)
    finally:
        shutil.rmtree(keep)
        os.unlink(single)


@needs_bwrap
def test_the_server_imports_the_library_the_job_names():
    src = "import sys\nprint('MODS', [m for m in ('torch', 'd2lmods') if m in sys.modules],"
    src += " file=sys.stderr)\n"
    pytest.importorskip("torch")
    (d2l,), _ = _parts(src)
    (tor,), _ = _parts(src, preload=runner.preload_for("torch"))
    assert "torch" not in _said(d2l, "MODS") and "d2lmods" in _said(d2l, "MODS")
    assert "torch" in _said(tor, "MODS"), tor.stderr_tail


def test_a_job_names_its_library_and_the_runner_passes_it_on(monkeypatch, tmp_path):
    from autograder.batch import make_jobs
    from autograder.demo import build_course
    from autograder.resume import wire_job

    assert runner.preload_for(None) == runner.preload_for("d2lmods") == runner.PRELOAD["d2lmods"]
    assert runner.preload_for("torch")[0] == "torch"
    assert runner.preload_for("mylib") == ("mylib",)  # any importable library, generically
    seen = []
    real = runner.run_parts

    def spy(*a, **kw):
        seen.append(kw.get("preload"))
        return real(*a, **kw)

    monkeypatch.setattr(runner, "run_parts", spy)
    course = build_course(tmp_path / "c", ["correct"])
    job = wire_job(make_jobs(course, "modules")[0], course.release_notebook("modules").read_bytes())
    for library, preload in [
        (None, runner.PRELOAD["d2lmods"]),
        ("d2lmods", runner.PRELOAD["d2lmods"]),
    ]:
        res = pipeline.grade_submission({**job, **({"library": library} if library else {})})
        assert [p.score for p in res.parts.values()] == [4, 3, 3], res.to_json()
        assert seen[-1] == preload
        # the default runner: every part ran in the submission's sandbox
        assert all(p.run.get("runner") == "fork" for p in res.parts.values())
        assert res.extra["timings"]["fork server start"] > 0  # paid once, in no part's wall
    res = pipeline.grade_submission({**job, "runner": "separate"})
    assert [p.score for p in res.parts.values()] == [4, 3, 3] and len(seen) == 2
    assert all(p.run.get("runner") == "separate" for p in res.parts.values())


def test_the_cli_and_the_batch_choose_the_runner(tmp_path, monkeypatch):
    import autograder.__main__ as cli
    from autograder import batch
    from autograder.demo import build_course

    seen = {}
    monkeypatch.setattr(batch, "grade_course", lambda *a, **kw: seen.update(kw) or [])
    assert cli.main(["grade", str(tmp_path), "--no-progress"]) == 0
    assert seen["runner"] == "fork" == pipeline.RUNNERS[0]
    assert cli.main(["grade", str(tmp_path), "--runner", "separate"]) == 0
    assert seen["runner"] == "separate"
    monkeypatch.undo()
    course = build_course(tmp_path / "c", ["correct"])
    assert "runner" not in batch.make_jobs(course, "modules")[0]  # the pipeline's default
    assert batch.make_jobs(course, "modules", runner="separate")[0]["runner"] == "separate"
    bad = pipeline.grade_submission({**batch.make_jobs(course, "modules")[0], "runner": "x"})
    assert "unknown runner 'x'" in bad.extra["problem"]


@needs_bwrap
def test_clearing_tmp_leaves_a_read_only_bind_inside_it_and_ends(tmp_path):
    """A checkout or venv under the host's /tmp is bound read-only inside the sandbox's /tmp: the
    server empties what a part left around it, never reaches into it, and stops (it once spun on
    the files it could not remove until its CPU limit killed it)."""
    held, box = tmp_path / "held", tmp_path / "box"  # box: a tmpfs, as the sandbox's /tmp is
    held.mkdir()
    box.mkdir()
    (held / "keep.txt").write_text("mine")
    t = f"{box}/t"
    script = (
        "import json, os, sys, time\n"
        f"sys.path.insert(0, {str(runner.SERVER.parent)!r})\n"
        "import forkserver\n"
        f"os.makedirs({t!r} + '/left/a/b'); open({t!r} + '/left/a/f', 'w').close()\n"
        f"open({t!r} + '/x', 'w').close()\n"
        f"c = time.process_time(); forkserver.clear({t!r})\n"
        f"print(json.dumps([sorted(os.listdir({t!r})), sorted(os.listdir({t!r} + '/h/ro')),"
        " time.process_time() - c]))\n"
    )
    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", str(box), "--dir", t]
    argv += ["--ro-bind", str(held), f"{t}/h/ro", sys.executable, "-c", script]
    import subprocess

    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    left, inside, cpu = json.loads(done.stdout)
    assert left == ["h"] and inside == ["keep.txt"] and cpu < 1.0
    assert (held / "keep.txt").read_text() == "mine"
