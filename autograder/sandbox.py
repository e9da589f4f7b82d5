"""Run one piece of untrusted Python in a locked-down process and read back plain JSON.

The layout (measured on Debian 12 with bubblewrap 0.8; see ``autograder/README.md``)::

    trusted grader (root) --> prlimit (rlimits) --> bwrap (root: mounts, new pid/net/ipc/uts ns,
        a seccomp filter against new user namespaces)
        --> setpriv --reuid=U (an unprivileged uid unique to the job, so RLIMIT_NPROC bites)
            --> python -I -B /job/in/probe.py /job/in /job/out

Inside, the file system holds only: ``/usr`` (read-only), the interpreter and the virtual
environment (read-only), the ``d2lmods`` package directory (read-only; never the repository root,
so neither ``autograder/`` nor the course is reachable), ``/job/in`` (read-only: the probe, the
student's code and the inputs), ``/job/out`` (the only writable place, besides a private ``/tmp``
and ``/dev/shm``, both tmpfs of ``Limits.tmp_mb``) and, only when the sandbox runs numba kernels,
``/job/numba`` (a private copy of a warm numba cache, watched with the output folder).  The root
and ``/dev`` are read-only.  There is no network.  Nothing the process prints is parsed: only
``/job/out/out.json`` is read, size-capped, by the caller -- or, when the caller passes ``stdin``,
only what comes back on an inherited report pipe.  The output folder lives
on the host's disk: it is watched while the job runs (``Limits.out_mb``, ``Limits.out_entries``,
``Limits.out_depth``; over any, the job is killed with status ``disk``) and removed by
:func:`autograder.safeio.remove_tree`, which survives whatever the job left.

Without bubblewrap (or when ``kind="unsandboxed"``) the same program runs as a plain subprocess
with the same rlimits, a fresh session and, when we are root, the same unprivileged uid (unless
only root can reach the interpreter, e.g. a Python under ``/root``); results
say ``"sandbox": "unsandboxed"`` so an instructor knows the file system was not hidden.

Example::

    >>> res = run({"probe.py": b"import json,sys; json.dump({'ok': 1}, open(sys.argv[2]+'/out.json','w'))"},
    ...           Limits(part_seconds=10))            # doctest: +SKIP
    >>> res.status, res.output                           # doctest: +SKIP
    ('ok', {'ok': 1})
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import safeio

BWRAP = "/usr/bin/bwrap"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"
#: Student processes run as ``UID_BASE + 64 * (pid of the grading worker) + k``: a uid no other
#: job uses at the same time (``k`` counts the worker's concurrent threads), so one student's fork
#: bomb cannot eat another's process budget, and killing a finished job's uid hits only that job.
UID_BASE = 200_000
_uid_lock = threading.Lock()
_uid_next = [0]


def job_uid() -> int:
    with _uid_lock:
        k = _uid_next[0] = (_uid_next[0] + 1) % 64
    return UID_BASE + 64 * os.getpid() + k


@dataclass
class Limits:
    """Resource limits of one sandbox run (one part of one submission)."""

    cpu_seconds: int = 10  # CPU time for one solution cell and its checks (RLIMIT_CPU):
    # the limit that stops busy loops, fair on a loaded machine
    part_seconds: float = 60.0  # wall clock for the same (stops sleeping or blocked code)
    notebook_seconds: float = 240.0  # wall clock for all parts of one submission
    memory_mb: int = 2048  # RLIMIT_AS (numba's LLVM needs ~0.9 GiB of address space)
    nproc: int = 64  # RLIMIT_NPROC for the job's uid (threads count too)
    fsize_mb: int = 16  # largest file the student may write
    output_kb: int = 2048  # largest out.json we read back
    tmp_mb: int = 64  # size of the private /tmp and /dev/shm (tmpfs: RAM)
    out_mb: int = 64  # total bytes the job may leave in its output folder (host disk)
    out_entries: int = 10_000  # files and folders the job may leave there
    out_depth: int = 64  # folder levels there (deeper is only ever an attack)

    @classmethod
    def from_dict(cls, d: dict | None) -> Limits:
        d = dict(d or {})
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunResult:
    """What came back from one run.  ``status``: ok | timeout | memory | disk | crash."""

    status: str
    output: dict | None
    exit_code: int | None
    wall_seconds: float
    sandbox: str
    stderr_tail: str = ""
    leftovers_killed: int = 0
    detail: str = ""
    extra: dict = field(default_factory=dict)
    report: bytes = b""  # what came back on the report pipe (``run(..., stdin=callable)``)


def bwrap_usable() -> bool:
    """True when bubblewrap exists and can build a sandbox here (cached per process)."""
    global _BWRAP_OK
    if _BWRAP_OK is None:
        _BWRAP_OK = False
        if os.path.exists(BWRAP) and os.path.exists(SETPRIV):
            try:
                r = subprocess.run(
                    [
                        BWRAP,
                        "--unshare-pid",
                        "--unshare-net",
                        "--die-with-parent",
                        "--ro-bind",
                        "/usr",
                        "/usr",
                        "--symlink",
                        "usr/bin",
                        "/bin",
                        "--symlink",
                        "usr/lib",
                        "/lib",
                        "--symlink",
                        "usr/lib64",
                        "/lib64",
                        "--",
                        "/bin/true",
                    ],
                    capture_output=True,
                    timeout=10,
                )
                _BWRAP_OK = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _BWRAP_OK = False
    return _BWRAP_OK


_BWRAP_OK: bool | None = None


def choose_kind(requested: str = "auto") -> str:
    """``auto`` -> ``bwrap`` when usable, else ``unsandboxed``."""
    if requested == "unsandboxed":
        return "unsandboxed"
    if bwrap_usable():
        return "bwrap"
    if requested == "bwrap":
        raise RuntimeError(
            "bubblewrap was requested but does not work here: install the Debian "
            "package 'bubblewrap' (apt-get install bubblewrap) or pass --sandbox auto"
        )
    return "unsandboxed"


def package_dir(name: str) -> str:
    """Directory of an importable package, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"cannot find the package {name!r} to mount in the sandbox")
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts
    return [str(Path(*parts[:i])) for i in range(2, len(parts))]


def _readonly_paths() -> list[str]:
    """What the student's interpreter needs: the Python install, the venv, d2lmods itself."""
    paths = [
        os.path.realpath(sys.base_prefix),
        os.path.realpath(sys.prefix),
        package_dir("d2lmods"),
    ]
    out = []
    for p in paths:
        if p.startswith("/usr/") or p == "/usr" or p in out:
            continue
        out.append(p)
    return out


def _drop_root(uid: int) -> list[str]:
    return [
        SETPRIV,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


def _bwrap_argv(
    job: Path,
    uid: int | None,
    python_argv: list[str],
    env: dict,
    limits: Limits | None = None,
    seccomp_fd: int | None = None,
) -> list[str]:
    """bwrap command line; ``uid=None`` (not root) makes bwrap build a user namespace instead.

    As root, bubblewrap runs in the host's user namespace (``--unshare-user`` would map the job
    to uid 0 outside) and ``setpriv`` drops to the job's uid; ``seccomp_fd`` (see
    :func:`seccomp_program`) then keeps the job from creating user namespaces.  Without root,
    ``--disable-userns`` does the same from bubblewrap 0.8 on."""
    limits = limits or Limits()
    size = ["--size", str(limits.tmp_mb << 20)] if _bwrap_has("--size") else []
    argv = (
        [BWRAP]
        + (
            (["--unshare-user"] + (["--disable-userns"] if _bwrap_has("--disable-userns") else []))
            if uid is None
            else []
        )
        + [
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/sbin",
            "/sbin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            # sized (bubblewrap >= 0.5): a tmpfs is RAM, and an unsized one may take half of it
            *size,
            "--perms",
            "1777",
            "--tmpfs",
            "/dev/shm",
            *size,
            "--perms",
            "1777",
            "--tmpfs",
            "/tmp",
        ]
    )
    made = set()
    for p in _readonly_paths():
        # bwrap creates missing parents as 0700 root; the student's uid must be able to walk them.
        for a in _ancestors(p):
            if a not in made:
                argv += ["--dir", a]
                made.add(a)
        argv += ["--ro-bind", p, p]
    argv += [
        "--dir",
        "/job",
        "--ro-bind",
        str(job / "in"),
        "/job/in",
        "--bind",
        str(job / "out"),
        "/job/out",
    ]
    if (job / "numba").exists():
        argv += ["--bind", str(job / "numba"), "/job/numba"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    # in a user namespace the job's uid owns the sandbox's root and /dev: make both read-only
    # (the mounts below them keep their own modes)
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--chdir", "/job/out", "--clearenv"]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv.append("--")
    if uid is not None:
        argv += _drop_root(uid)
    return argv + python_argv


_BWRAP_HELP: str | None = None


def _bwrap_has(option: str) -> bool:
    global _BWRAP_HELP
    if _BWRAP_HELP is None:
        try:
            r = subprocess.run([BWRAP, "--help"], capture_output=True, text=True, timeout=10)
            _BWRAP_HELP = r.stdout + r.stderr
        except (OSError, subprocess.SubprocessError):
            _BWRAP_HELP = ""
    return option in _BWRAP_HELP


#: (AUDIT_ARCH, __NR_unshare, __NR_clone, __NR_clone3) by machine
_SYSCALLS = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
CLONE_NEWUSER = 0x10000000


def seccomp_program(machine: str | None = None) -> bytes | None:
    """A classic-BPF seccomp filter for ``bwrap --seccomp``: ``unshare`` and ``clone`` with
    ``CLONE_NEWUSER`` fail with EPERM, ``clone3`` (whose flags a filter cannot read) with ENOSYS
    so that libc falls back to ``clone``; another ABI (x32, i386) is killed.  Everything else is
    allowed.  None on a machine we have no syscall numbers for."""
    import struct

    nums = _SYSCALLS.get(machine or os.uname().machine)
    if nums is None:
        return None
    arch, nr_unshare, nr_clone, nr_clone3 = nums
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    prog = [
        (ld, 0, 0, 4),  # 0  A = arch
        (jeq, 0, 11, arch),  # 1  another ABI -> 13
        (ld, 0, 0, 0),  # 2  A = syscall number
        (jge, 7, 0, 0x40000000),  # 3  x32 -> 11
        (jeq, 3, 0, nr_unshare),  # 4  -> 8
        (jeq, 2, 0, nr_clone),  # 5  -> 8
        (jeq, 5, 0, nr_clone3),  # 6  -> 12
        (ret, 0, 0, allow),  # 7
        (ld, 0, 0, 16),  # 8  A = low word of the first argument (flags)
        (jset, 1, 0, CLONE_NEWUSER),  # 9  -> 11
        (ret, 0, 0, allow),  # 10
        (ret, 0, 0, eperm),  # 11
        (ret, 0, 0, enosys),  # 12
        (ret, 0, 0, kill),
    ]  # 13
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


def uses_numba() -> bool:
    """Whether sandboxed code runs numba kernels (so a warm numba cache is worth building)."""
    return _env("/job").get("D2LMODS_KERNELS") != "numpy"


def _env(job_root: str) -> dict:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": f"{job_root}/out",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "NUMBA_CACHE_DIR": f"{job_root}/numba",
        "MPLBACKEND": "Agg",
        "TMPDIR": "/tmp",
        # the kernels' numpy references: no process pays numba's (and scipy's) start-up
        "D2LMODS_KERNELS": "numpy",
    }


def _limited(argv: list[str], limits: Limits, uid: int | None) -> list[str]:
    """Prefix ``argv`` with util-linux ``prlimit`` (and ``setpriv`` to drop root in the fallback).

    Exec'd tools rather than a ``preexec_fn``: Python code between fork and exec is unsafe when
    the grader has threads (a Dask worker, a thread pool)."""
    mem = limits.memory_mb << 20
    pre = [
        PRLIMIT,
        f"--as={mem}",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--fsize={limits.fsize_mb << 20}",
        "--nofile=256",
        "--core=0",
        f"--nproc={limits.nproc}",
        "--",
    ]
    if uid is not None:  # plain-subprocess fallback: drop root ourselves
        pre += _drop_root(uid)
    return pre + argv


def _world_reachable(path: str) -> bool:
    """Can any user walk to and run ``path`` (and the interpreter it links to)?"""
    for p in {os.path.abspath(path), os.path.realpath(path), os.path.realpath(sys.base_prefix)}:
        for a in [p] + [str(x) for x in Path(p).parents]:
            try:
                if not os.stat(a).st_mode & 0o001:
                    return False
            except OSError:
                return False
    return True


def kill_uid(uid: int) -> int:
    """SIGKILL every process owned by ``uid`` (leftovers of a finished job); returns how many."""
    killed = 0
    for _ in range(3):
        found = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                os.kill(int(d), signal.SIGKILL)
                                found += 1
                            break
            except (OSError, ValueError):
                continue
        killed += found
        if not found:
            break
        time.sleep(0.05)
    return killed


def _copy_cache(src: str | None, dst: Path, uid: int | None) -> None:
    """A private, writable copy of the warm numba cache (hard links when possible: the files
    stay root-owned and read-only, so no job can poison the cache another job reads).

    Numba loads pickles from it: a folder we do not own, that others can write or that holds a
    symlink is not copied (the job starts with a cold cache instead)."""
    dst.mkdir()
    if src and safeio.is_trusted_dir(src):

        def link_or_copy(s, d):
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)

        shutil.copytree(src, dst, dirs_exist_ok=True, copy_function=link_or_copy)
    if uid is not None:
        for root, _dirs, _files in os.walk(dst):
            os.chown(root, uid, uid)


def run_uid_for(kind: str, uid: int | None = None) -> int | None:
    """The uid the job runs as: a fresh one of its own when we are root (None: we cannot change
    uid, or only root can start the interpreter in the plain-subprocess fallback)."""
    if os.geteuid() != 0:
        return None
    uid = job_uid() if uid is None else uid
    if kind == "unsandboxed" and not _world_reachable(sys.executable):
        return None  # e.g. Python under /root: only root can start it (results say unsandboxed)
    return uid


def new_job(
    files: dict[str, bytes],
    run_uid: int | None,
    numba_cache: str | None = None,
    prefix: str = "d2lmods-job-",
) -> Path:
    """A fresh job folder (``tempfile.mkdtemp``): ``in/`` read-only with ``files`` (a name may
    hold ``/``: a sub-folder of ``in/``), ``out/`` owned by the job's uid, ``numba/``.  Remove it
    with :func:`finish`, never by a path the job could have chosen."""
    job = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.chmod(job, 0o711)
        (job / "in").mkdir()
        for name, data in files.items():
            target = job / "in" / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise ValueError(f"a job file must stay inside in/: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o644)
        for root, _dirs, _files in os.walk(job / "in"):
            os.chmod(root, 0o755)
        (job / "out").mkdir()
        if run_uid is not None:
            os.chown(job / "out", run_uid, run_uid)
        if uses_numba():  # else no numba folder: nothing the job could fill outside out/
            _copy_cache(numba_cache, job / "numba", run_uid)
    except BaseException:
        safeio.remove_tree(job)
        raise
    return job


def start(
    job: Path,
    kind: str,
    run_uid: int | None,
    limits: Limits,
    script: str = "probe.py",
    args: tuple[str, ...] = (),
    stdin=subprocess.DEVNULL,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen:
    """Start ``python -I -B <in>/<script> <in> <out> <folder of d2lmods> *args`` in the job's
    sandbox: bubblewrap (``kind="bwrap"``: the mounts, namespaces, sized tmpfs and the seccomp
    filter of :func:`_bwrap_argv`) or the plain-subprocess fallback, under :func:`_limited`'s
    rlimits, in a session of its own; stdout and stderr go to ``stdout.txt`` / ``stderr.txt``
    beside ``in/`` (outside the job's reach).  Every sandbox is built here."""
    lib_parent = os.path.dirname(package_dir("d2lmods"))
    root = "/job" if kind == "bwrap" else str(job)
    py = [
        sys.executable,
        "-I",
        "-B",
        f"{root}/in/{script}",
        f"{root}/in",
        f"{root}/out",
        lib_parent,
        *args,
    ]
    own_fds: tuple[int, ...] = ()
    if kind == "bwrap":
        bpf = seccomp_program() if run_uid is not None else None
        if bpf is not None:
            (job / "seccomp.bpf").write_bytes(bpf)
            own_fds = (os.open(job / "seccomp.bpf", os.O_RDONLY),)
        argv = _limited(
            _bwrap_argv(job, run_uid, py, _env(root), limits, own_fds[0] if own_fds else None),
            limits,
            None,
        )
    else:
        argv = _limited(py, limits, run_uid)
    try:
        with open(job / "stdout.txt", "wb") as so, open(job / "stderr.txt", "wb") as se:
            return subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=so,
                stderr=se,
                env=_env(root),
                cwd=str(job / "out"),
                start_new_session=True,
                close_fds=True,
                pass_fds=own_fds + tuple(pass_fds),
            )
    finally:
        for fd in own_fds:
            os.close(fd)


def stop(proc: subprocess.Popen, run_uid: int | None) -> int:
    """Kill the job's process group and, with a uid of its own, every process of that uid;
    returns how many of the latter were found (leftovers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    return kill_uid(run_uid) if run_uid is not None else 0


def finish(job: Path, run_uid: int | None) -> None:
    """Kill what is left of the job and remove its folder; never raises (a job's leftovers -- a
    folder chain 1,500 deep, mode 000 folders -- must not turn a graded part into a crash)."""
    try:
        if run_uid is not None:
            kill_uid(run_uid)
    except Exception:
        pass
    safeio.remove_tree(job)


def disk_detail(limits: Limits) -> str:
    return (
        f"the job wrote more than {limits.out_mb} MiB, {limits.out_entries} "
        f"files or {limits.out_depth} folder levels into its output folder"
    )


def run_status(exit_code: int | None, cpu: float, wall: float, limits: Limits) -> str:
    """``timeout`` when the exit code is RLIMIT_CPU's (SIGXCPU at the soft limit, SIGKILL a
    second later if SIGXCPU is ignored; bwrap reports a child's signal as 128 + its number),
    else ``ok`` (the caller decides between ok and crash from what came back)."""
    if exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout"
    if (
        exit_code in (-signal.SIGKILL, 128 + signal.SIGKILL)
        and max(cpu, wall) >= limits.cpu_seconds
    ):
        return "timeout"
    return "ok"


def run(
    files: dict[str, bytes],
    limits: Limits,
    kind: str = "auto",
    numba_cache: str | None = None,
    uid: int | None = None,
    script: str = "probe.py",
    stdin=None,
) -> RunResult:
    """Run ``files[script]`` with the other ``files`` beside it; return its ``out.json``.

    ``files`` land read-only in ``<job>/in``; the program gets ``<job>/in <job>/out <folder of
    d2lmods>`` as arguments and must write ``<job>/out/out.json``.

    With ``stdin`` (a function of the report fd's number returning bytes) the program instead gets
    those bytes on its stdin (secrets stay off the job's file system) and an inherited pipe to
    report on; ``RunResult.report`` holds what it wrote there (at most ``output_kb``) and
    ``out.json`` is not read.
    """
    kind = choose_kind(kind)
    run_uid = run_uid_for(kind, uid)
    job = new_job(files, run_uid, numba_cache)
    try:
        t0 = time.perf_counter()
        status, exit_code = "ok", None
        pipes = _report_pipes(stdin, limits.output_kb * 1024) if stdin is not None else None
        try:
            proc = start(
                job,
                kind,
                run_uid,
                limits,
                script,
                stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
                pass_fds=(pipes.fd,) if pipes else (),
            )
        finally:
            if pipes:
                pipes.started()
        if pipes:
            pipes.feed(proc)
        over_disk = _disk_watch(job / "out", limits)
        exit_code, cpu = _wait(proc, limits.part_seconds, over_disk)
        if exit_code is None:
            status = "disk" if over_disk() else "timeout"
            stop(proc, run_uid)
            exit_code, cpu = _wait(proc, None)
        wall = time.perf_counter() - t0
        # whatever stayed in the job's process group (the only cleanup when we cannot change uid)
        leftovers = stop(proc, run_uid)
        report = pipes.collect() if pipes else b""
        if status == "ok":
            status = run_status(exit_code, cpu, wall, limits)
        stderr_tail = _tail(job / "stderr.txt", 1500)
        if status == "ok" and over_disk(final=True):
            status = "disk"
        if status == "disk":  # whatever it wrote is not read back
            output, detail = None, disk_detail(limits)
        elif pipes:  # the caller verifies the report; out.json is whatever the student wrote
            output, detail = None, ""
        else:
            output, detail = _read_output(job / "out" / "out.json", limits.output_kb * 1024)
            if status == "ok" and output is None:
                status = "memory" if "MemoryError" in stderr_tail else "crash"
        return RunResult(
            status=status,
            output=output,
            exit_code=exit_code,
            wall_seconds=wall,
            sandbox=kind,
            stderr_tail=stderr_tail,
            leftovers_killed=leftovers,
            detail=detail,
            report=report,
        )
    finally:
        finish(job, run_uid)


class _report_pipes:
    """The job's stdin (fed from a thread) and the report pipe (drained by a thread, capped)."""

    def __init__(self, stdin, cap: int):
        self.read_end, self.fd = os.pipe()
        os.set_inheritable(self.fd, True)
        self.data = stdin(self.fd) if callable(stdin) else bytes(stdin)
        self.cap, self.chunks, self.size = cap, [], 0
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def started(self) -> None:
        os.close(
            self.fd
        )  # only the job holds the write end now: EOF when it (and its children) end

    def feed(self, proc: subprocess.Popen) -> None:
        def write():
            try:
                proc.stdin.write(self.data)
                proc.stdin.close()
            except OSError:
                pass

        threading.Thread(target=write, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                b = os.read(self.read_end, 65536)
            except OSError:
                break
            if not b:
                break
            if self.size < self.cap:  # keep draining past the cap so the job never blocks on us
                self.chunks.append(b[: self.cap - self.size])
                self.size += len(self.chunks[-1])
        os.close(self.read_end)

    def collect(self) -> bytes:
        self.reader.join(5)
        return b"".join(self.chunks)


def _disk_watch(out: Path, limits: Limits, every: float = 0.1):
    """A callable: has the job's output folder grown past ``out_mb`` / ``out_entries``?  Polled
    while the job runs (rescanned at most every ``every`` seconds; RLIMIT_FSIZE bounds each file,
    so what can slip in between two scans is bounded by the write speed).  The job's numba folder,
    when it has one (also on the host's disk), counts too, beyond what it held at the start."""
    cap, entries = limits.out_mb << 20, limits.out_entries
    cache = out.parent / "numba"
    base = safeio.tree_usage(cache, entries, limits.out_depth)[:2] if cache.exists() else None
    state = {"t": 0.0, "over": False}

    def over(final: bool = False) -> bool:
        now = time.monotonic()
        if not state["over"] and (final or now - state["t"] >= every):
            state["t"] = now
            used, seen, deep = safeio.tree_usage(out, entries, limits.out_depth)
            if base is not None:
                u, n, d = safeio.tree_usage(cache, entries + base[1], limits.out_depth)
                used, seen, deep = used + max(0, u - base[0]), seen + max(0, n - base[1]), deep or d
            state["over"] = used > cap or seen > entries or deep
        return state["over"]

    return over


def _wait(proc: subprocess.Popen, timeout: float | None, stop=None) -> tuple[int | None, float]:
    """Wait for ``proc`` (None on timeout, or as soon as ``stop()`` says so); also return the CPU
    seconds it and its reaped children used, to tell RLIMIT_CPU's kill from other deaths."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG if deadline is not None else 0)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime
        if deadline is not None and (time.monotonic() > deadline or (stop is not None and stop())):
            return None, 0.0
        time.sleep(0.02)


def _tail(path: Path, n: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _read_output(path: Path, cap: int) -> tuple[dict | None, str]:
    """Parse the job's out.json: a regular file (not a link), at most ``cap`` bytes, a JSON object."""
    try:
        st = os.lstat(path)
    except OSError:
        return None, "no out.json"
    if not os.path.isfile(path) or os.path.islink(path):
        return None, "out.json is not a regular file"
    if st.st_size > cap:
        return None, f"out.json larger than {cap} bytes"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            # NaN / Infinity / -Infinity (json.dump writes them) become floats
            data = json.loads(
                f.read(cap + 1).decode("utf-8"),
                parse_constant=lambda c: float(c.replace("Infinity", "inf")),
            )
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as e:
        return None, f"out.json unreadable: {type(e).__name__}"
    if not isinstance(data, dict):
        return None, "out.json is not an object"
    return data, ""
