"""One sandbox per submission, a forked child per part: what one part may reach of another."""

import secrets

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
