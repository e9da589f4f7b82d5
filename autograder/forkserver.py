"""Inside one submission's sandbox: import the libraries once, then fork one child per part.

Started by :mod:`autograder.runner` through :func:`autograder.sandbox.start` (the same sandbox,
rlimits, sized tmpfs and seccomp filter as a part run on its own) as ``python -I -B forkserver.py
<in> <out> <lib> <plan>``, where ``<plan>`` is JSON: the parts (``[part, stdin_fd, report_fd,
stderr_fd]``), the ``go`` and ``status`` descriptors, the modules to import first (``preload``)
and the CPU limit.  Each part waits for the host: the host empties the output folder, then writes
the part's wall-clock seconds on ``go``; the server forks the part's child, waits for it within
that time, kills whatever the part left (every process it may signal), empties the private
``/tmp`` and ``/dev/shm`` and answers one line on ``status`` (``<part> <exit code> <cpu s> <wall s>
<timed out> <leftovers>``), advisory only: the scores come from the signed reports.

The parts belong to the same student; each forked child still gets its own process group, its own
CPU-time limit, its own secrets (a stdin pipe of its own: the server never reads a secret), its
own signed report pipe and stderr pipe, and closes every other descriptor of the plan before the
student's code runs.  The server makes the sandbox's processes non-dumpable (so no process of the
job's uid can open another's ``/proc/<pid>/fd`` or ``mem``).

Only the standard library, numpy and the library the course names are imported here; never
``autograder``.
"""

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import stat
import sys
import time


def no_dumps():
    """PR_SET_DUMPABLE 0: inherited by forked children; /proc/<pid>/{fd,mem,environ} become root's."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def warm(preload):
    """What every part's probe imports, imported once (a failure is the probe's to report)."""
    for name in (
        "bdb",
        "inspect",
        "logging",
        "pdb",
        "string",
        "traceback",
        "numpy",
        *preload,
    ):
        try:
            importlib.import_module(name)
        except BaseException:
            pass
    try:  # a first operation sets up what the library sets up lazily
        import numpy as np

        lib = sys.modules.get(preload[0]) if preload else None
        if lib is not None and hasattr(lib, "tensor"):
            one = np.ones((2, 2), dtype=np.float32)
            lib.tensor(one) @ lib.tensor(one)
    except BaseException:
        pass


_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _quiet(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError:
        pass


def clear(path, rounds=100_000):
    """Empty the folder ``path`` whatever a part left there: by folder descriptor, never by long
    paths or recursion (each sub-folder's sub-folders are moved up before it is removed, as
    ``autograder.safeio.remove_tree`` does), modes reset first.  Only ever called on the
    sandbox's private tmpfs.  What lies on another filesystem (a read-only bind of the project or
    the venv when they live under the host's ``/tmp``, and the folders bubblewrap made to hold
    it) is left alone: a round that removes nothing ends the clearing."""
    try:
        top = os.open(path, _DIR)
    except OSError:
        return
    n = 0
    try:
        dev = os.fstat(top).st_dev
        for _ in range(rounds):
            removed = 0
            for name in os.listdir(top):
                try:
                    st = os.lstat(name, dir_fd=top)
                except OSError:
                    continue
                if st.st_dev != dev:  # a mount point: not the part's to leave, not ours to empty
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    removed += _gone(os.unlink, name, dir_fd=top)
                    continue
                _quiet(os.chmod, name, 0o700, dir_fd=top)  # a folder (lstat): no link followed
                try:
                    sub = os.open(name, _DIR, dir_fd=top)
                except OSError:
                    continue
                try:
                    for inner in os.listdir(sub):
                        try:
                            ist = os.lstat(inner, dir_fd=sub)
                        except OSError:
                            continue
                        if ist.st_dev != dev:
                            continue
                        if stat.S_ISDIR(ist.st_mode):
                            n += 1
                            removed += _gone(
                                os.rename, inner, f".rm{n}", src_dir_fd=sub, dst_dir_fd=top
                            )
                        else:
                            removed += _gone(os.unlink, inner, dir_fd=sub)
                finally:
                    os.close(sub)
                removed += _gone(os.rmdir, name, dir_fd=top)
            if not removed:
                return
    except OSError:
        pass
    finally:
        os.close(top)


def _gone(fn, *args, **kw):
    """1 when ``fn`` (an unlink, rmdir or rename) did its work, 0 when it could not."""
    try:
        fn(*args, **kw)
        return 1
    except OSError:
        return 0


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


def child(part, fds, plan_fds, in_dir, out_dir, lib, cpu, probe_main):
    os.setpgid(0, 0)
    in_fd, report_fd, err_fd = fds
    for fd in plan_fds:  # the other parts' secrets, reports and stderr; the host's go and status
        if fd not in fds:
            _quiet(os.close, fd)
    os.dup2(in_fd, 0)
    os.dup2(err_fd, 1)
    os.dup2(err_fd, 2)
    os.close(in_fd)
    os.close(err_fd)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    sys.argv = [os.path.join(in_dir, "probe.py"), os.path.join(in_dir, part), out_dir, lib]
    probe_main()


def wait_for(pid, seconds):
    """Wait for ``pid`` at most ``seconds`` (asleep on a pidfd, not polling: the server's own CPU
    time is limited too); kill its group on time-out.  Returns (status, rusage, timed out)."""
    deadline = time.monotonic() + seconds
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status, ru = os.wait4(pid, os.WNOHANG)
            if done:
                return status, ru, False
            left = deadline - time.monotonic()
            if left <= 0:
                _quiet(os.killpg, pid, signal.SIGKILL)
                _done, status, ru = os.wait4(pid, 0)
                return status, ru, True
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.02))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def read_line(fd):
    """One line from the host (its go message), or None at end of file."""
    buf = b""
    while not buf.endswith(b"\n"):
        b = os.read(fd, 64)
        if not b:
            return None
        buf += b
    return buf.decode()


def main():
    in_dir, out_dir, lib, plan = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    no_dumps()
    if lib not in sys.path:
        sys.path.append(lib)
    warm(list(plan.get("preload", [])))
    ns = {"__name__": "__part_runtime__"}
    with open(os.path.join(in_dir, "probe.py"), encoding="utf-8") as f:
        exec(compile(f.read(), os.path.join(in_dir, "probe.py"), "exec"), ns)
    probe_main = ns["main"]
    go, status_fd = int(plan["go"]), int(plan["status"])
    parts = plan["parts"]
    plan_fds = [fd for p in parts for fd in p[1:]] + [go, status_fd]
    exit_now = os._exit  # a local: the student's code may rebind this module's globals
    cpu = int(plan["cpu_seconds"])
    os.write(status_fd, b"ready\n")
    for part, *fds in parts:
        msg = read_line(go)
        if msg is None:  # the host has stopped
            return
        seconds = float(msg)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                child(part, fds, plan_fds, in_dir, out_dir, lib, cpu, probe_main)
                code = 0
            finally:
                exit_now(code)  # skip atexit handlers and buffered output the student left
        for fd in fds:  # this part's: the child has them now
            os.close(fd)
        status, ru, timed_out = wait_for(pid, seconds)
        wall = time.monotonic() - t0
        _quiet(os.killpg, pid, signal.SIGKILL)  # then what escaped the group counts as left behind
        left = leftovers()
        # a uid (or pid namespace) of the job's own: whatever the part left
        if plan.get("kill_all"):
            for _ in range(100):  # until they are gone (the sandbox's init reaps what is not ours)
                _quiet(os.kill, -1, signal.SIGKILL)  # every process we may signal, but ourselves
                reap()
                if not leftovers():
                    break
                time.sleep(0.005)
        reap()
        if plan.get("private_tmp"):  # bubblewrap's own sized tmpfs, never the host's /tmp
            clear("/tmp")
            clear("/dev/shm")
        line = (
            f"{part} {os.waitstatus_to_exitcode(status)} {ru.ru_utime + ru.ru_stime:.3f} "
            f"{wall:.3f} {int(timed_out)} {left}\n"
        )
        os.write(status_fd, line.encode())


if __name__ == "__main__":
    main()
    os._exit(0)
