"""Inside one submission's sandbox: import the libraries once, then fork one child per part.

Started by :mod:`autograder.runner` as ``python -I -B forkserver.py <in> <out> <lib> <plan>``, where
``<plan>`` is JSON: ``[[part, stdin_fd, report_fd], ...]`` plus the limits.  The parts belong to the
same student; each forked child still gets its own process group, its own CPU-time limit, its own
secrets (a stdin pipe of its own: the server never reads a secret) and its own signed report pipe,
and closes every other part's descriptors before the student's code runs.  The server makes the
sandbox's processes non-dumpable (so no process of the job's uid can open another's
``/proc/<pid>/fd`` or ``mem``) and kills every process it may signal after each part, so nothing a
part leaves behind meets the next one.  What each child ran ends as a line on the server's stdout
(``<part> <exit code> <cpu s> <wall s> <timed out>``), advisory only: the scores come from the
signed reports.

Only the standard library, numpy and d2lmods are imported here; never ``autograder``.
"""

import ctypes
import json
import os
import resource
import signal
import sys
import time


def no_dumps():
    """PR_SET_DUMPABLE 0: inherited by forked children; /proc/<pid>/{fd,mem,environ} become root's."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def warm():
    """What every part's probe imports, imported once (a failure is the probe's to report)."""
    try:
        import bdb  # noqa: F401
        import inspect  # noqa: F401
        import logging  # noqa: F401
        import pdb  # noqa: F401, T100
        import string  # noqa: F401
        import traceback  # noqa: F401

        import numpy as np

        import d2lmods as torch
        from d2lmods import nn  # noqa: F401

        try:
            from d2lmods.nn import functional  # noqa: F401
        except ImportError:
            pass
        one = np.ones((2, 2), dtype=np.float32)
        torch.tensor(one) @ torch.tensor(one)
    except BaseException:
        pass


def clear(path):
    """Empty a directory the job may write (what one part left there does not meet the next)."""
    for root, dirs, files in os.walk(path, topdown=False):
        for f in files:
            try:
                os.unlink(os.path.join(root, f))
            except OSError:
                pass
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                pass


def leftovers():
    """How many other processes of our uid are alive (in the sandbox's pid namespace: the job's)."""
    me, uid, n = os.getpid(), os.getuid(), 0
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in (me, 1):
            continue
        try:
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        n += int(line.split()[1]) == uid
                        break
        except (OSError, ValueError):
            continue
    return n


def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                return
        except ChildProcessError:
            return


def child(part, in_fd, report_fd, all_fds, in_dir, out_dir, lib, cpu, probe_main):
    os.setpgid(0, 0)
    for fd in all_fds:  # the other parts' secrets and reports
        if fd not in (in_fd, report_fd):
            try:
                os.close(fd)
            except OSError:
                pass
    os.dup2(in_fd, 0)
    os.close(in_fd)
    log = os.open(
        os.path.join(out_dir, f".{part}.stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    sys.argv = [os.path.join(in_dir, "probe.py"), os.path.join(in_dir, part), out_dir, lib]
    probe_main()


def main():
    in_dir, out_dir, lib, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    no_dumps()
    if lib not in sys.path:
        sys.path.append(lib)
    warm()
    ns = {"__name__": "__part_runtime__"}
    with open(os.path.join(in_dir, "probe.py"), encoding="utf-8") as f:
        exec(compile(f.read(), os.path.join(in_dir, "probe.py"), "exec"), ns)
    probe_main = ns["main"]
    parts = plan["parts"]
    all_fds = [fd for _, i, r in parts for fd in (i, r)]
    for part, in_fd, report_fd in parts:
        t0 = time.monotonic()
        exit_now = os._exit  # a local: the student's code may rebind this module's globals
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                cpu = int(plan["cpu_seconds"])
                child(part, in_fd, report_fd, all_fds, in_dir, out_dir, lib, cpu, probe_main)
                code = 0
            finally:
                exit_now(code)  # skip atexit handlers and buffered output the student left
        os.close(in_fd)  # this part's: the child has them now
        os.close(report_fd)
        deadline = t0 + float(plan["part_seconds"])
        timed_out = False
        while True:
            done, status, ru = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                timed_out = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                done, status, ru = os.wait4(pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - t0
        try:  # the child's own group first; what escaped it (a new session) counts as left behind
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        left = leftovers()
        # a uid (or pid namespace) of the job's own: whatever the part left
        if plan.get("kill_all"):
            for _ in range(100):  # until they are gone (the sandbox's init reaps what is not ours)
                try:
                    os.kill(-1, signal.SIGKILL)  # every process we may signal, but ourselves
                except OSError:
                    pass
                reap()
                if not leftovers():
                    break
                time.sleep(0.005)
        reap()
        if plan.get("private_tmp"):  # bubblewrap's own tmpfs, never the host's /tmp
            clear("/tmp")
        print(
            part,
            os.waitstatus_to_exitcode(status),
            round(ru.ru_utime + ru.ru_stime, 3),
            round(wall, 3),
            int(timed_out),
            left,
            flush=True,
        )


if __name__ == "__main__":
    main()
    os._exit(0)
