"""Reading files a student controls, and owning the folders the grader trusts.

Everything under ``submitted/<student>/`` (and every member of an imported zip) is written by
someone else: it may be a symlink to the instructor's solution or to a root-only file, a FIFO that
never delivers a byte, a device that never ends, or a sparse file of gigabytes.  The readers here
open each path component without following symlinks, refuse anything that is not a regular file
before reading a byte, and never read more than the caller's cap.

    >>> read_regular("/etc/hostname", 1 << 10)[:0]    # doctest: +SKIP
    b''

The folder helpers (:func:`own_private_dir`, :func:`check_private_tree`) are for places the grader
loads code or pickles from (the warm numba cache): a folder someone else created first at a
predictable path is refused, never reused.  :func:`remove_tree` deletes a job folder whatever the
job left in it (a deep chain, unreadable modes) and never raises.
"""

from __future__ import annotations

import errno
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = (
    os.O_RDONLY
    | os.O_NOFOLLOW
    | os.O_NONBLOCK
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class UnsafeFile(OSError):
    """A path the grader refuses to read: a symlink, not a regular file, or too large."""


class UnsafeDir(OSError):
    """A folder the grader refuses to trust: not created and owned by us, open to others, a symlink."""


def _components(path: str | os.PathLike) -> tuple[str, list[str]]:
    p = os.path.abspath(os.fspath(path))
    parts = [c for c in p.split(os.sep) if c]
    return os.sep, parts


def open_regular(path: str | os.PathLike, cap: int) -> int:
    """An fd of ``path`` opened read-only, after checking it is a regular file of at most ``cap``
    bytes; no component of the (absolute) path may be a symlink.

    Raises :class:`UnsafeFile` (or another ``OSError`` when the path does not exist)."""
    root, parts = _components(path)
    if not parts:
        raise UnsafeFile(errno.EISDIR, "not a regular file", os.fspath(path))
    fd = os.open(root, _DIR_FLAGS)
    try:
        for name in parts[:-1]:
            try:
                nfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeFile(
                        e.errno,
                        f"{name!r} in the path is a symlink or not a folder",
                        os.fspath(path),
                    ) from None
                raise
            os.close(fd)
            fd = nfd
        try:
            ffd = os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise UnsafeFile(e.errno, "is a symlink", os.fspath(path)) from None
            if e.errno == errno.ENXIO:  # a socket, or a FIFO with no writer under O_NONBLOCK
                raise UnsafeFile(e.errno, "not a regular file", os.fspath(path)) from None
            raise
    finally:
        os.close(fd)
    try:
        st = os.fstat(ffd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(errno.EINVAL, "not a regular file", os.fspath(path))
        if st.st_size > cap:
            raise UnsafeFile(
                errno.EFBIG, f"larger than {cap} bytes ({st.st_size})", os.fspath(path)
            )
        os.set_blocking(ffd, True)
    except BaseException:
        os.close(ffd)
        raise
    return ffd


def read_regular(path: str | os.PathLike, cap: int) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_regular`), at most ``cap`` of them.

    A file that grows while it is read is refused rather than truncated."""
    fd = open_regular(path, cap)
    try:
        return read_fd(fd, cap, os.fspath(path))
    finally:
        os.close(fd)


def read_fd(fd: int, cap: int, name: str = "<fd>") -> bytes:
    chunks, total = [], 0
    while True:
        b = os.read(fd, min(1 << 20, cap + 1 - total))
        if not b:
            return b"".join(chunks)
        chunks.append(b)
        total += len(b)
        if total > cap:
            raise UnsafeFile(errno.EFBIG, f"larger than {cap} bytes", name)


def read_stream(f, cap: int, name: str = "<stream>") -> bytes:
    """At most ``cap`` bytes of a file object (e.g. a zip member); more raises :class:`UnsafeFile`."""
    data = f.read(cap + 1)
    if len(data) > cap:
        raise UnsafeFile(errno.EFBIG, f"larger than {cap} bytes", name)
    return data


# -- folders the grader trusts ---------------------------------------------------------------
def _check_owned(st: os.stat_result, path: str, what: str = "folder") -> None:
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeDir(errno.ELOOP, f"the {what} is a symlink", path)
    if st.st_uid != os.geteuid():
        raise UnsafeDir(
            errno.EPERM, f"the {what} belongs to uid {st.st_uid}, not to us ({os.geteuid()})", path
        )
    if st.st_mode & 0o022:
        raise UnsafeDir(
            errno.EPERM,
            f"the {what} is writable by others (mode {stat.S_IMODE(st.st_mode):o})",
            path,
        )


def _check_parent(path: str) -> None:
    """Each ancestor must be ours or root's, and not writable by others unless sticky (like /tmp)."""
    for a in [os.path.dirname(path)] + _ancestors(os.path.dirname(path)):
        st = os.lstat(a)
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeDir(errno.ELOOP, "a parent folder is a symlink", a)
        if st.st_uid not in (0, os.geteuid()):
            raise UnsafeDir(errno.EPERM, f"a parent folder belongs to uid {st.st_uid}", a)
        if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            raise UnsafeDir(errno.EPERM, "a parent folder is writable by others and not sticky", a)


def _ancestors(path: str) -> list[str]:
    out = []
    while True:
        parent = os.path.dirname(path)
        if parent == path:
            return out
        out.append(parent)
        path = parent


def own_private_dir(path: str | os.PathLike) -> str:
    """Create ``path`` as a 0700 folder of ours, or accept it only if it already is ours (not a
    symlink, not writable by others, and so is everything inside it; then made 0700); raises
    :class:`UnsafeDir`.

    ``os.makedirs(exist_ok=True)`` would accept a folder another account made first."""
    path = os.path.abspath(os.fspath(path))
    _check_parent(path)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeDir(errno.ENOTDIR, "not a folder (or a symlink)", path)
    _check_owned(st, path)
    check_private_tree(path)
    if st.st_mode & 0o077:  # ours and nobody else could write: readable by others is all; close it
        fd = os.open(path, _DIR_FLAGS)
        try:
            if os.fstat(fd).st_ino != st.st_ino:
                raise UnsafeDir(errno.EAGAIN, "the folder changed while it was checked", path)
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    return path


def is_trusted_dir(path: str | os.PathLike) -> bool:
    """Is ``path`` an existing folder the grader may load from (see :func:`own_private_dir`),
    checked without creating or changing anything?"""
    path = os.path.abspath(os.fspath(path))
    try:
        _check_parent(path)
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            return False
        _check_owned(st, path)
        check_private_tree(path)
    except OSError:
        return False
    return True


def check_private_tree(path: str, max_entries: int = 200_000) -> None:
    """Everything under ``path`` must be ours, not writable by others, with no symlinks."""
    stack = [path]
    seen = 0
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                seen += 1
                if seen > max_entries:
                    raise UnsafeDir(errno.E2BIG, f"more than {max_entries} entries", path)
                st = e.stat(follow_symlinks=False)
                _check_owned(
                    st, e.path, "file" if not e.is_dir(follow_symlinks=False) else "folder"
                )
                if stat.S_ISDIR(st.st_mode):
                    stack.append(e.path)
                elif not stat.S_ISREG(st.st_mode):
                    raise UnsafeDir(errno.EINVAL, "not a regular file", e.path)


# -- removing what a job left --------------------------------------------------------------
def remove_tree(path: str | os.PathLike, max_rounds: int = 100_000, keep: bool = False) -> bool:
    """Delete ``path`` and everything in it; True when it is gone.  Never raises.  With ``keep``,
    only what is inside goes (a folder bind-mounted into a sandbox stays the same folder), and
    True means it is empty.

    Iterative and flat: each sub-folder's own sub-folders are renamed up into ``path`` before the
    sub-folder is removed, so a chain thousands of levels deep costs neither recursion nor long
    paths nor one open fd per level.  Modes a job set (0000 folders) are reset first."""
    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        if not stat.S_ISDIR(st.st_mode):
            if keep:
                return False
            os.unlink(path)
            return True
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass
        top = os.open(path, _DIR_FLAGS)
    except OSError:
        return False
    counter = 0
    try:
        for _ in range(max_rounds):
            names = os.listdir(top)
            if not names:
                break
            for name in names:
                try:
                    st = os.lstat(name, dir_fd=top)
                except OSError:
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    _quiet(os.unlink, name, dir_fd=top)
                    continue
                try:
                    sub = os.open(name, _DIR_FLAGS, dir_fd=top)
                except OSError:
                    _quiet(os.chmod, name, 0o700, dir_fd=top, follow_symlinks=False)
                    continue
                try:
                    _quiet(os.fchmod, sub, 0o700)
                    for inner in os.listdir(sub):
                        try:
                            ist = os.lstat(inner, dir_fd=sub)
                        except OSError:
                            continue
                        if stat.S_ISDIR(ist.st_mode):
                            counter += 1
                            _quiet(
                                os.rename, inner, f".rm{counter}", src_dir_fd=sub, dst_dir_fd=top
                            )
                        else:
                            _quiet(os.unlink, inner, dir_fd=sub)
                finally:
                    os.close(sub)
                _quiet(os.rmdir, name, dir_fd=top)
    except OSError:
        pass
    finally:
        if keep:
            try:
                os.fchmod(top, 0o755)
                names = os.listdir(top)
            except OSError:
                names = ["?"]
        os.close(top)
    if keep:
        return not names
    try:
        os.rmdir(path)
        return True
    except OSError:
        return not os.path.lexists(path)


def _quiet(fn, *args, **kw) -> None:
    try:
        fn(*args, **kw)
    except OSError:
        pass


def tree_usage(
    path: str | os.PathLike, max_entries: int, max_depth: int = 64
) -> tuple[int, int, bool]:
    """(bytes, entries, too deep) under ``path``: bytes are the larger of declared and allocated
    size per entry (sparse files count as declared).  Walks by folder fd, never by path, so names
    past ``PATH_MAX`` are counted too; stops at ``max_entries`` or below ``max_depth`` (at most 256)
    levels."""
    state = {"bytes": 0, "seen": 0, "deep": False}
    max_depth = min(max_depth, 256)  # one fd and one frame per level

    def walk(fd: int, depth: int) -> None:
        with os.scandir(fd) as it:
            for e in it:
                state["seen"] += 1
                if state["seen"] > max_entries:
                    return
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                state["bytes"] += max(
                    st.st_size if stat.S_ISREG(st.st_mode) else 0, st.st_blocks * 512
                )
                if not stat.S_ISDIR(st.st_mode):
                    continue
                if depth >= max_depth:
                    state["deep"] = True
                    return
                try:
                    sub = os.open(e.name, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    continue
                try:
                    walk(sub, depth + 1)
                finally:
                    os.close(sub)
                if state["deep"] or state["seen"] > max_entries:
                    return

    try:
        top = os.open(os.fspath(path), _DIR_FLAGS)
    except OSError:
        return 0, 0, False
    try:
        walk(top, 1)
    except OSError:
        pass
    finally:
        os.close(top)
    return state["bytes"], state["seen"], state["deep"]
