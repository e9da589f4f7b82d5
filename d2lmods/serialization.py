"""Saving and loading tensors and state dicts without executing code.

``d2lmods.save(obj, f)`` writes a zip archive holding ``manifest.json`` (the
shape of the saved object: dicts, lists, tuples, numbers, strings, tensors)
and one ``.npy`` file per distinct tensor. ``d2lmods.load(f)`` reads it back
with ``numpy.load(..., allow_pickle=False)``, so a file can never run code
when it is loaded (unlike pickle-based formats).

>>> import io, d2lmods
>>> buf = io.BytesIO()
>>> d2lmods.save({"w": d2lmods.ones(2), "step": 3}, buf)
>>> _ = buf.seek(0)
>>> d2lmods.load(buf)["step"]
3

What can be saved: tensors (and Parameters), nested ``dict``/``OrderedDict``
(keys: str, int, float, bool, None), ``list``, ``tuple``, ``int``, ``float``,
``bool``, ``str``, ``None``, numpy arrays. A tensor reachable twice (tied
weights in a state dict) is stored once and loads back as one object.

Safety: saving to a path writes a temporary file in the same directory,
fsyncs it and renames it over the target, so an interrupted save leaves the
previous file intact. Loading validates the whole archive before returning
anything, so a damaged file raises :class:`SerializationError` instead of
producing a half-filled state dict. A file cannot make loading take more
memory than its own size: compressed, duplicate or unlisted members are
refused, every member must have the size its manifest entry implies, and
the manifest itself is capped (``MAX_MANIFEST_BYTES``).
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from ._tensor.core import Tensor
from ._tensor.creation import tensor
from .nn import Module, Parameter
from .nn.parameter import is_lazy

__all__ = ["save", "load", "SerializationError"]

FORMAT_NAME = "d2lmods"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Limits on what load() reads, so a hostile file cannot make it allocate more than the file
# holds. A manifest is about 150 bytes per tensor; 16 MiB is far beyond any state dict.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

_SAVE_MODULE_HINT = (
    "Save the module's parameters instead:\n"
    "    d2lmods.save(net.state_dict(), path)\n"
    "and load them back into a freshly built model of the same class:\n"
    "    net = {cls}(...)\n"
    "    net.load_state_dict(d2lmods.load(path))"
)


class SerializationError(RuntimeError):
    """A file could not be saved or loaded; the message says which and why."""


# ----------------------------------------------------------------------------- tensors
def _tensor_to_numpy(t) -> np.ndarray:
    return t.detach().numpy()  # np.save writes any layout (ascontiguousarray would make 0-d 1-d)


def _numpy_to_tensor(a: np.ndarray, requires_grad: bool, parameter: bool):
    t = tensor(a)
    if parameter:
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _path_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    return getattr(f, "name", None) or type(f).__name__


def _check_file_object(f, verb: str, mode: str) -> None:
    """``f`` (not a path) must be a binary file object with ``write``/``read`` for ``mode``."""
    method = "write" if "w" in mode else "read"
    if not hasattr(f, method):
        raise TypeError(
            f"d2lmods.{verb}: f must be a path or a binary file object, got {type(f).__name__}"
        )
    if isinstance(f, io.TextIOBase):
        raise TypeError(
            f"d2lmods.{verb}: {_path_name(f)!r} is open in text mode; open it "
            f"with open(path, {mode!r})"
        )


# ----------------------------------------------------------------------------- encode
class _Encoder:
    """Walks a Python object and produces the manifest plus the arrays to store."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self._seen: dict = {}  # tensor memory / array id -> array index (keeps tied tensors tied)
        self._keepalive: list = []

    def encode(self, obj, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return {"kind": "value", "value": obj}
        if isinstance(obj, int):
            return {"kind": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"kind": "float", "value": repr(float(obj))}  # repr keeps nan/inf exactly
        if isinstance(obj, Tensor):
            return self._tensor(obj, where)
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise TypeError(
                    f"d2lmods.save: {where} is a numpy array of Python objects; "
                    f"only numeric/bool arrays can be saved"
                )
            return {"kind": "ndarray", "array": self._add(obj, obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), where)
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    raise TypeError(
                        f"d2lmods.save: {where} has a key of type {type(k).__name__} "
                        f"({k!r}); dict keys must be str, int, float, bool or None"
                    )
                items.append([self.encode(k, where), self.encode(v, f"{where}[{k!r}]")])
            node = {"kind": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
            meta = getattr(obj, "_metadata", None)
            if meta is not None:
                node["metadata"] = self.encode(meta, f"{where}._metadata")
            return node
        if isinstance(obj, (list, tuple)):
            return {
                "kind": "list" if isinstance(obj, list) else "tuple",
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)],
            }
        self._reject(obj, where)

    def _tensor(self, t, where):
        if is_lazy(t):
            raise TypeError(
                f"d2lmods.save: {where} is an uninitialized lazy parameter; run one "
                f"forward pass through the model before saving it"
            )
        arr = _tensor_to_numpy(t)
        # state_dict() hands out detached views, so tied weights are different tensor objects
        # over the same memory: key them by what they read.
        parameter = isinstance(t, Parameter)
        key = (
            "tensor",
            arr.__array_interface__["data"][0],
            arr.shape,
            arr.strides,
            arr.dtype.str,
            bool(t.requires_grad),
            parameter,
        )
        index = self._add(key, arr)
        return {
            "kind": "tensor",
            "array": index,
            "requires_grad": bool(t.requires_grad),
            "parameter": parameter,
        }

    def _add(self, key, array) -> int:
        if not isinstance(key, tuple):
            key = id(key)
        if key not in self._seen:
            self._seen[key] = len(self.arrays)
            self.arrays.append(array)
            self._keepalive.append(array)  # ids and addresses stay unique while we hold them
        return self._seen[key]

    @staticmethod
    def _reject(obj, where):
        if isinstance(obj, Module):
            cls = type(obj).__name__
            raise TypeError(
                f"d2lmods.save cannot save a whole module ({cls} at {where}): the file format "
                f"stores data, never code, so the class could not be rebuilt on load.\n"
                + _SAVE_MODULE_HINT.format(cls=cls)
            )
        if hasattr(obj, "state_dict") and hasattr(obj, "param_groups"):
            raise TypeError(
                f"d2lmods.save cannot save an optimizer object ({where}); "
                f"save optimizer.state_dict() and restore it with "
                f"optimizer.load_state_dict(d2lmods.load(path))"
            )
        raise TypeError(
            f"d2lmods.save: {where} is a {type(obj).__module__}.{type(obj).__name__}, "
            f"which cannot be saved. Supported: tensors, numpy arrays, dict/OrderedDict, "
            f"list, tuple, int, float, bool, str, None"
        )


def _write_archive(fileobj, manifest, arrays):
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for i, a in enumerate(arrays):
            buf = io.BytesIO()
            np.save(buf, a, allow_pickle=False)
            zf.writestr(f"arrays/{i}.npy", buf.getvalue())


def save(obj, f) -> None:
    """Save ``obj`` (a tensor or nested containers of tensors) to ``f``.

    ``f`` is a path (``str`` or ``os.PathLike``) or a binary file object open
    for writing. Modules cannot be saved whole: save ``net.state_dict()``.

    >>> import d2lmods, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x-file")
    >>> d2lmods.save(d2lmods.arange(4), p)
    >>> d2lmods.load(p)
    tensor([0, 1, 2, 3])
    """
    enc = _Encoder()
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "root": enc.encode(obj, "the saved object"),
    }
    arrays = enc.arrays
    manifest["arrays"] = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]

    if not isinstance(f, (str, os.PathLike)):
        _check_file_object(f, "save", "wb")
        _write_archive(f, manifest, arrays)
        return

    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"d2lmods.save: directory {directory!r} does not exist "
            f"(create it first, e.g. os.makedirs({directory!r}))"
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"d2lmods.save: {path!r} is a directory; give a file name")
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(out, manifest, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# ----------------------------------------------------------------------------- decode
def _sniff(head: bytes) -> str:
    if head[:1] == b"\x80":
        return "a Python pickle; d2lmods never unpickles, since loading a pickle can run code"
    if head[:4] == b"PK\x03\x04":
        return "it starts like a zip archive but its end is missing: the file is truncated"
    if head[:6] == b"\x93NUMPY":
        return "a numpy .npy file (load it with numpy.load)"
    if head[:1] in (b"{", b"["):
        return "a text/JSON file"
    if not head:
        return "an empty file"
    return "not a zip archive"


class _Decoder:
    """Builds the saved object from a checked archive (see :func:`_check_arrays`)."""

    def __init__(self, name, zf: zipfile.ZipFile, specs):
        self.name = name
        self.zf = zf
        self.specs = specs
        self.cache: dict[int, object] = {}  # array index -> tensor built from it
        self.arrays: dict[int, np.ndarray] = {}

    def fail(self, why):
        raise SerializationError(f"d2lmods.load({self.name!r}): {why}")

    def array(self, index):
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < len(self.specs)
        ):
            self.fail(f"manifest refers to array {repr(index)[:40]}, which is not in the file")
        # Read each member once: a manifest naming one array a million times must not make
        # a million copies (the same array saved twice is one member and loads as one object).
        if index not in self.arrays:
            with self.zf.open(_array_member(index)) as fp:  # checked by _check_arrays
                self.arrays[index] = np.lib.format.read_array(fp, allow_pickle=False)
        return self.arrays[index]

    def decode(self, node):
        if not isinstance(node, dict) or "kind" not in node:
            self.fail(f"malformed manifest entry {str(node)[:80]!r}")
        kind = node["kind"]
        if kind == "value":
            v = node.get("value")
            if not (v is None or isinstance(v, (bool, str))):
                self.fail(f"malformed value {repr(v)[:80]}")
            return v
        if kind == "int":
            v = node.get("value")
            if not isinstance(v, int) or isinstance(v, bool):
                self.fail(f"malformed int {repr(v)[:80]}")
            return v
        if kind == "float":
            try:
                return float(node["value"])
            except (KeyError, TypeError, ValueError):
                self.fail(f"malformed float {repr(node.get('value'))[:80]}")
        if kind == "ndarray":
            return self.array(node.get("array"))
        if kind == "tensor":
            idx = node.get("array")
            if idx not in self.cache:
                self.cache[idx] = _numpy_to_tensor(
                    self.array(idx), bool(node.get("requires_grad")), bool(node.get("parameter"))
                )
            return self.cache[idx]
        if kind in ("list", "tuple"):
            items = [self.decode(n) for n in self._items(node)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "odict"):
            out = OrderedDict() if kind == "odict" else {}
            for pair in self._items(node):
                if not (isinstance(pair, list) and len(pair) == 2):
                    self.fail("malformed dict entry in manifest")
                key = self.decode(pair[0])
                out[key] = self.decode(pair[1])
            if "metadata" in node and kind == "odict":
                out._metadata = self.decode(node["metadata"])
            return out
        self.fail(f"unknown entry kind {repr(kind)[:80]} (file written by a newer d2lmods?)")

    def _items(self, node):
        items = node.get("items")
        if not isinstance(items, list):
            self.fail(f"malformed {node['kind']} entry in manifest")
        return items


def load(f, map_location=None, weights_only=None, **kwargs):
    """Load an object saved with :func:`d2lmods.save`.

    ``f`` is a path or a binary file object. ``map_location`` and
    ``weights_only`` are accepted for PyTorch compatibility; d2lmods files
    only ever hold data (tensors on the CPU), so they change nothing.

    Raises :class:`SerializationError` naming the file and the problem when
    it is not a d2lmods file, is truncated, or is corrupted. Nothing in the
    file decides how much memory loading takes beyond the file's own size:
    members must be stored uncompressed (as ``save`` writes them), each of
    the size its manifest entry implies, and the manifest is at most
    ``MAX_MANIFEST_BYTES``.
    """
    name = _path_name(f)
    if isinstance(f, (str, os.PathLike)):
        with _open_regular_file(f, name) as fh:
            return _load_file(name, fh, os.fstat(fh.fileno()).st_size)
    _check_file_object(f, "load", "rb")
    data = f.read()
    return _load_file(name, io.BytesIO(data), len(data))


def _open_regular_file(path, name):
    # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"d2lmods.load: {name!r} is a directory, not a saved file")
        if not stat.S_ISREG(mode):
            what = (
                "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket"
                if stat.S_ISSOCK(mode)
                else "not a regular file"
            )
            raise SerializationError(
                f"d2lmods.load({name!r}): this is {what}; files written "
                f"by d2lmods.save are regular files"
            )
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _load_file(name, fh, size):
    def fail(why):
        raise SerializationError(f"d2lmods.load({name!r}): {why}")

    if not zipfile.is_zipfile(fh):
        fh.seek(0)
        what = _sniff(fh.read(8))
        fail(
            f"this is not a d2lmods file ({what}; {size} bytes). Files written by "
            f"d2lmods.save are zip archives with a manifest; the file may be truncated, "
            f"corrupted, or written by another program"
        )
    fh.seek(0)
    try:
        return _load_archive(name, fh, size, fail)
    except SerializationError:
        raise
    except Exception as e:  # any parse failure of a damaged archive, reported the same way
        fail(f"the file is damaged ({type(e).__name__}: {e}); it was truncated or corrupted")


def _array_member(index: int) -> str:
    return f"arrays/{index}.npy"


def _nbytes(spec) -> int:
    n = np.dtype(spec["dtype"]).itemsize
    for d in spec["shape"]:
        n *= d
    return n


def _check_layout(zf: zipfile.ZipFile, size: int, fail) -> None:
    """Refuse what ``save`` never writes before reading any member's data."""
    seen = set()
    for info in zf.infolist():
        member = info.filename
        if member in seen:
            fail(
                f"the archive holds two members named {member!r}; d2lmods.save writes each "
                f"once, so the file was altered"
            )
        seen.add(member)
        if info.compress_type != zipfile.ZIP_STORED:
            fail(
                f"member {member} is compressed (zip method {info.compress_type}, "
                f"{info.compress_size:,} bytes declaring {info.file_size:,}); d2lmods.save "
                f"never compresses, so this file was not written by it or was altered"
            )
        if info.flag_bits & 0x1:
            fail(f"member {member} is encrypted; d2lmods.save never encrypts")
        if info.file_size != info.compress_size or info.header_offset + info.file_size > size:
            fail(
                f"member {member} declares {info.file_size:,} bytes ({info.compress_size:,} "
                f"stored at offset {info.header_offset:,}) but the whole file has {size:,}; "
                f"the file is truncated or corrupted"
            )


def _check_arrays(specs, names: set, zf: zipfile.ZipFile, fail) -> None:
    """Every array in the manifest has its member, whose .npy header matches the manifest and
    whose size is exactly that header plus the data its dtype and shape imply.

    Only the headers are read here (numpy caps them at 10,000 bytes), so a header or a
    manifest entry declaring a huge shape is refused before anything of that size is allocated.
    """
    expected = {MANIFEST} | {_array_member(i) for i in range(len(specs))}
    extra = sorted(names - expected)
    if extra:
        fail(
            f"the archive holds {len(extra)} member(s) the manifest does not list "
            f"({', '.join(repr(n) for n in extra[:3])}); the file was altered"
        )
    for i, spec in enumerate(specs):
        member = _array_member(i)
        dtype, shape = spec.get("dtype"), spec.get("shape")
        ok = (
            isinstance(dtype, str)
            and isinstance(shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        )
        try:
            ok = ok and not np.dtype(dtype).hasobject
        except (TypeError, ValueError, SyntaxError):
            ok = False
        if not ok:
            fail(
                f"the manifest's entry for {member} is malformed (dtype {str(dtype)[:40]!r}, "
                f"shape {str(shape)[:80]})"
            )
        if member not in names:
            fail(f"the file is incomplete: {member} is missing (truncated or damaged file)")
        with zf.open(member) as fp:
            try:
                version = np.lib.format.read_magic(fp)
                if version not in ((1, 0), (2, 0)):
                    fail(
                        f"{member} is a .npy file of version {version}, which d2lmods.save "
                        f"never writes"
                    )
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                got_shape, _fortran, got_dtype = read_header(fp)
                header = fp.tell()
            except ValueError as e:
                fail(f"{member} is not a plain numeric array ({e})")
        if got_dtype.hasobject:
            fail(
                f"{member} is not a plain numeric array (it holds Python objects, which "
                f"only unpickling could rebuild)"
            )
        if got_dtype.str != dtype or list(got_shape) != shape:
            fail(
                f"{member} has dtype {got_dtype.str} shape {list(got_shape)} but the manifest "
                f"says dtype {dtype} shape {shape}"
            )
        need, have = _nbytes(spec), zf.getinfo(member).file_size
        if header + need != have:
            fail(
                f"member {member} holds {have:,} bytes but the manifest's {dtype} array of "
                f"shape {shape} needs {need:,} (plus its {header}-byte header); the file is "
                f"truncated, corrupted or not written by d2lmods.save"
            )


def _read_manifest(zf: zipfile.ZipFile, fail):
    declared = zf.getinfo(MANIFEST).file_size
    if declared > MAX_MANIFEST_BYTES:
        fail(
            f"{MANIFEST} declares {declared:,} bytes; a d2lmods manifest is at most "
            f"{MAX_MANIFEST_BYTES:,} bytes, so the file is corrupted or not from d2lmods.save"
        )
    with zf.open(MANIFEST) as fp:
        raw = fp.read(MAX_MANIFEST_BYTES + 1)  # bounded even if the declared size lies
    if len(raw) > MAX_MANIFEST_BYTES:
        fail(f"{MANIFEST} is longer than {MAX_MANIFEST_BYTES:,} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError as e:
        fail(f"the manifest is damaged ({e}); the file was truncated or corrupted")


def _load_archive(name, fh, size, fail):
    with zipfile.ZipFile(fh) as zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            if any(n.endswith("data.pkl") for n in names):
                fail(
                    "this is a PyTorch file (torch.save); load it with torch.load, or re-save "
                    "its tensors with d2lmods.save"
                )
            fail(
                f"this zip archive has no {MANIFEST}, so it was not written by d2lmods.save "
                f"(or its directory is damaged)"
            )
        _check_layout(zf, size, fail)
        manifest = _read_manifest(zf, fail)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            fail("the manifest does not describe a d2lmods file")
        if manifest.get("version") != FORMAT_VERSION:
            fail(
                f"format version {repr(manifest.get('version'))[:40]} is not supported by this "
                f"d2lmods (reads version {FORMAT_VERSION}); upgrade d2lmods"
            )
        specs = manifest.get("arrays")
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            fail("the manifest's array table is malformed")
        _check_arrays(specs, names, zf, fail)
        if "root" not in manifest:
            fail("the manifest has no root object")
        # CRC-check every member before building anything: all or nothing.
        bad = zf.testzip()
        if bad is not None:
            fail(f"{bad} failed its checksum; the file is corrupted")
        return _Decoder(name, zf, specs).decode(manifest["root"])
