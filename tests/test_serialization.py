"""d2lmods.save / d2lmods.load: round trips, safety (no code on load), damaged files, atomic writes."""

import io
import json
import os
import pathlib
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import d2lmods
from d2lmods import nn, serialization as ser
from d2lmods.serialization import MANIFEST, SerializationError


def _same(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_tensor_round_trip_like_d2l_file_io(tmp_path):
    x = d2lmods.arange(4)
    d2lmods.save(x, tmp_path / "x-file")
    x2 = d2lmods.load(tmp_path / "x-file")
    _same(x, x2)
    assert x2.dtype == d2lmods.int64

    y = d2lmods.zeros(4)
    d2lmods.save([x, y], str(tmp_path / "x-files"))
    x2, y2 = d2lmods.load(str(tmp_path / "x-files"))
    assert isinstance(d2lmods.load(str(tmp_path / "x-files")), list)
    _same(x, x2)
    _same(y, y2)

    mydict = {"x": x, "y": y}
    d2lmods.save(mydict, tmp_path / "mydict")
    got = d2lmods.load(tmp_path / "mydict")
    assert list(got) == ["x", "y"]
    _same(got["y"], y)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "uint8"])
def test_dtypes_and_shapes_survive(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    t = d2lmods.tensor(arr)
    d2lmods.save(t, tmp_path / "t")
    _same(t, d2lmods.load(tmp_path / "t"))


def test_nested_containers_and_scalars(tmp_path):
    obj = {
        "state": {0: {"step": d2lmods.tensor(3.0), "buf": d2lmods.ones(2, 2)}, 1: {}},
        "param_groups": [
            {
                "lr": 0.1,
                "betas": (0.9, 0.999),
                "nesterov": False,
                "foreach": None,
                "name": "head",
                "params": [0, 1],
            }
        ],
        "floats": [float("inf"), -0.0, 1e-300, float("nan")],
        "tuple": (1, "two", None, True),
        3.5: "float key",
        None: "none key",
        False: "bool key",
        "array": np.arange(3.0),
        "np_scalar": np.float32(2.5),
    }
    d2lmods.save(obj, tmp_path / "nested")
    got = d2lmods.load(tmp_path / "nested")
    assert got["param_groups"][0]["betas"] == (0.9, 0.999)
    assert isinstance(got["param_groups"][0]["betas"], tuple)
    assert got["param_groups"][0]["foreach"] is None
    assert got["param_groups"][0]["nesterov"] is False
    assert set(got["state"]) == {0, 1} and got["state"][1] == {}
    _same(got["state"][0]["buf"], obj["state"][0]["buf"])
    assert got["floats"][0] == float("inf") and np.isnan(got["floats"][3])
    assert str(got["floats"][1]) == "-0.0" and got["floats"][2] == 1e-300
    assert got["tuple"] == (1, "two", None, True)
    assert got[3.5] == "float key" and got[None] == "none key" and got[False] == "bool key"
    np.testing.assert_array_equal(got["array"], np.arange(3.0))
    assert got["np_scalar"] == 2.5


def test_state_dict_round_trip_keeps_order_metadata_and_outputs(tmp_path):
    d2lmods.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))
    X = d2lmods.randn(5, 4)
    net(X)  # updates BatchNorm's running statistics
    net.eval()
    expected = net(X)
    sd = net.state_dict()
    d2lmods.save(sd, tmp_path / "mlp.params")

    clone = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))
    loaded = d2lmods.load(tmp_path / "mlp.params")
    assert isinstance(loaded, OrderedDict)
    assert list(loaded) == list(sd)
    assert loaded["2.num_batches_tracked"].dtype == d2lmods.int64
    assert int(loaded["2.num_batches_tracked"]) == 1
    clone.load_state_dict(loaded)
    clone.eval()
    np.testing.assert_array_equal(clone(X).detach().numpy(), expected.detach().numpy())


def test_tied_tensors_load_as_one_object(tmp_path):
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    sd = net.state_dict()
    d2lmods.save(sd, tmp_path / "tied")
    got = d2lmods.load(tmp_path / "tied")
    assert got["0.weight"] is got["2.weight"]
    with zipfile.ZipFile(tmp_path / "tied") as zf:  # stored once
        assert len([n for n in zf.namelist() if n.endswith(".npy")]) == 2


def test_requires_grad_and_parameter_kind_survive(tmp_path):
    p = nn.Parameter(d2lmods.ones(2))
    t = d2lmods.ones(2, requires_grad=True)
    d2lmods.save([p, t, d2lmods.ones(2)], tmp_path / "p")
    p2, t2, u2 = d2lmods.load(tmp_path / "p")
    assert isinstance(p2, nn.Parameter) and p2.requires_grad
    assert not isinstance(t2, nn.Parameter) and t2.requires_grad
    assert not u2.requires_grad


def test_file_objects_and_pathlike(tmp_path):
    buf = io.BytesIO()
    d2lmods.save({"a": d2lmods.ones(3)}, buf)
    buf.seek(0)
    _same(d2lmods.load(buf)["a"], d2lmods.ones(3))

    path = pathlib.Path(tmp_path) / "via_handle"
    with open(path, "wb") as fh:
        d2lmods.save(d2lmods.arange(3), fh)
    with open(path, "rb") as fh:
        _same(d2lmods.load(fh), d2lmods.arange(3))
    with open(tmp_path / "text", "w") as fh, pytest.raises(TypeError, match="'wb'"):
        d2lmods.save(d2lmods.arange(3), fh)
    with open(path) as fh, pytest.raises(TypeError, match="'rb'"):
        d2lmods.load(fh)
    # torch-compatible keyword arguments are accepted
    _same(d2lmods.load(path, map_location="cpu", weights_only=True), d2lmods.arange(3))


def test_saving_a_module_explains_state_dict(tmp_path):
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError) as err:
        d2lmods.save(net, tmp_path / "net")
    text = str(err.value)
    assert "Sequential" in text and "state_dict()" in text and "load_state_dict" in text
    assert not (tmp_path / "net").exists()
    with pytest.raises(TypeError, match="state_dict"):
        d2lmods.save({"model": net}, tmp_path / "net")


def test_unsupported_objects_are_refused_with_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"\['cfg'\]\[1\].*object"):
        d2lmods.save({"cfg": [1, object()]}, tmp_path / "x")
    with pytest.raises(TypeError, match="key"):
        d2lmods.save({(1, 2): 3}, tmp_path / "x")
    with pytest.raises(TypeError, match="numpy array of Python objects"):
        d2lmods.save(np.array([1, "a"], dtype=object), tmp_path / "x")


def test_optimizer_state_dict_round_trip(tmp_path):
    net = nn.Linear(3, 1)
    opt = d2lmods.optim.Adam(net.parameters(), lr=0.01)
    net(d2lmods.ones(2, 3)).sum().backward()
    opt.step()
    d2lmods.save(opt.state_dict(), tmp_path / "opt")
    opt2 = d2lmods.optim.Adam(net.parameters(), lr=0.5)
    opt2.load_state_dict(d2lmods.load(tmp_path / "opt"))
    assert opt2.param_groups[0]["lr"] == 0.01
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999)
    st = opt2.state[net.weight]
    _same(st["exp_avg"], opt.state[net.weight]["exp_avg"])


# ----------------------------------------------------------------------------- not our format
def test_pickle_files_are_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(SerializationError) as err:
        d2lmods.load(path)
    assert str(path) in str(err.value) and "pickle" in str(err.value)
    assert not (tmp_path / "pwned").exists()


def test_object_arrays_inside_the_archive_are_not_unpickled(tmp_path):
    good = tmp_path / "good"
    d2lmods.save(d2lmods.ones(2), good)
    evil = tmp_path / "evil"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith(".npy"):
                b = io.BytesIO()
                np.save(b, np.array([{"x": 1}], dtype=object), allow_pickle=True)
                data = b.getvalue()
            zout.writestr(name, data)
    with pytest.raises(SerializationError, match="not a plain numeric array"):
        d2lmods.load(evil)


def test_other_files_say_what_they_are(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(SerializationError, match="not a d2lmods file"):
        d2lmods.load(text)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(SerializationError, match="empty file"):
        d2lmods.load(empty)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(2))
    with pytest.raises(SerializationError, match="numpy.load"):
        d2lmods.load(npy)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(SerializationError, match="manifest"):
        d2lmods.load(other_zip)


@pytest.mark.oracle
def test_a_pytorch_checkpoint_is_recognised(torch, tmp_path):
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(SerializationError, match="PyTorch file.*torch.load"):
        d2lmods.load(path)


# ----------------------------------------------------------------------------- damaged files
def _saved_bytes(tmp_path):
    path = tmp_path / "model.params"
    net = nn.Sequential(nn.Linear(30, 20), nn.Linear(20, 5))
    d2lmods.save(net.state_dict(), path)
    return path, path.read_bytes()


@pytest.mark.parametrize("keep", [0.95, 0.6, 0.3, 0.05])
def test_truncated_file_raises_clear_error(tmp_path, keep):
    path, data = _saved_bytes(tmp_path)
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(SerializationError) as err:
        d2lmods.load(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "truncated" in msg or "corrupted" in msg or "damaged" in msg


def test_every_flipped_byte_region_is_detected_or_harmless(tmp_path):
    path, data = _saved_bytes(tmp_path)
    expected = d2lmods.load(path)
    for pos in range(0, len(data), max(1, len(data) // 97)):
        broken = bytearray(data)
        broken[pos] ^= 0xFF
        path.write_bytes(bytes(broken))
        try:
            got = d2lmods.load(path)
        except SerializationError as e:
            assert str(path) in str(e)
            continue
        # Some bytes (zip comments/timestamps) carry no data; the content must then be intact.
        assert list(got) == list(expected)
        for k in expected:
            np.testing.assert_array_equal(got[k].numpy(), expected[k].numpy())


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    d2lmods.save({"w": d2lmods.ones(3)}, path)
    before = path.read_bytes()

    import d2lmods.serialization as ser

    real_save = np.save
    calls = {"n": 0}

    def failing_save(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("power cut")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(ser.np, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        d2lmods.save({"a": d2lmods.zeros(3), "b": d2lmods.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]  # no temporary file left behind
    _same(d2lmods.load(path)["w"], d2lmods.ones(3))


def test_save_into_missing_directory_or_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        d2lmods.save(d2lmods.ones(1), tmp_path / "nope" / "x")
    with pytest.raises(IsADirectoryError):
        d2lmods.save(d2lmods.ones(1), tmp_path)
    with pytest.raises(IsADirectoryError):
        d2lmods.load(tmp_path)


def test_lazy_parameters_cannot_be_saved_before_first_forward(tmp_path):
    net = nn.Sequential(nn.LazyLinear(3))
    with pytest.raises(TypeError, match="forward"):
        d2lmods.save(net.state_dict(), tmp_path / "lazy")


from hypothesis import given, settings, strategies as st  # noqa: E402

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
_arrays = st.builds(
    lambda shape, kind: d2lmods.tensor(
        (np.arange(int(np.prod(shape))).reshape(shape) % 7).astype(kind)
    ),
    st.lists(st.integers(0, 3), max_size=3),
    st.sampled_from(["float32", "float64", "int64", "bool"]),
)
_trees = st.recursive(
    _scalars | _arrays,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.tuples(kids, kids),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 9)), kids, max_size=4),
    ),
    max_leaves=12,
)


def _equal(a, b):
    if isinstance(a, d2lmods.Tensor):
        _same(a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _equal(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _equal(a[k], b[k])
    else:
        assert type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None)
@given(tree=_trees)
def test_random_nested_objects_round_trip(tree):
    buf = io.BytesIO()
    d2lmods.save(tree, buf)
    buf.seek(0)
    _equal(tree, d2lmods.load(buf))


# ----------------------------------------------------------------------------- hostile files
# Each case runs d2lmods.load in a child process whose address space is capped a little above
# what it has after importing d2lmods, and reports the error and how much its resident memory
# grew: a loader that trusts the sizes a file declares dies of MemoryError (or grows by
# gigabytes) instead of refusing the file with a clear message.
_LOAD_IN_CHILD = r"""
import json, resource, sys
import d2lmods

def vm_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()

cap = vm_bytes() + int(sys.argv[2]) * 2 ** 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    d2lmods.load(sys.argv[1])
    error = None
except BaseException as e:
    error = f"{type(e).__name__}: {e}"
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"error": error, "grown_mb": grown / 1024}))
"""


def _load_in_child(path, headroom_mb=400, timeout=120):
    import json
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(d2lmods.__file__).parents[1]))
    run = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_CHILD, str(path), str(headroom_mb)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def _manifest(specs, root=None):
    root = root or {"kind": "tensor", "array": 0, "requires_grad": False, "parameter": False}
    return json.dumps({"format": "d2lmods", "version": 1, "root": root, "arrays": specs})


def _npy(array) -> bytes:
    b = io.BytesIO()
    np.save(b, array, allow_pickle=False)
    return b.getvalue()


@pytest.mark.skipif(not pathlib.Path("/proc/self/statm").exists(), reason="needs /proc")
def test_deflated_member_declaring_gigabytes_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.params"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(
            MANIFEST, _manifest([{"dtype": "<f4", "shape": [2]}]), compress_type=zipfile.ZIP_STORED
        )
        with zf.open("arrays/0.npy", "w", force_zip64=True) as out:  # 1.5 GiB of zeros
            chunk = bytes(1 << 24)
            for _ in range(96):
                out.write(chunk)
    assert path.stat().st_size < 10 * 2**20
    got = _load_in_child(path)
    assert got["error"].startswith("SerializationError"), got
    assert str(path) in got["error"] and "arrays/0.npy" in got["error"]
    assert "compressed" in got["error"] and "1,610,612,736" in got["error"]
    assert got["grown_mb"] < 64, got


@pytest.mark.skipif(not pathlib.Path("/proc/self/statm").exists(), reason="needs /proc")
def test_manifest_padded_with_a_gigabyte_of_spaces_is_refused(tmp_path):
    path = tmp_path / "padded.params"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(MANIFEST, "w", force_zip64=True) as out:
            chunk = b" " * (1 << 24)
            for _ in range(64):
                out.write(chunk)
            out.write(_manifest([{"dtype": "<f4", "shape": [2]}]).encode())
        zf.writestr("arrays/0.npy", _npy(np.ones(2, np.float32)), zipfile.ZIP_STORED)
    assert path.stat().st_size < 8 * 2**20
    got = _load_in_child(path)
    assert got["error"].startswith("SerializationError"), got
    assert str(path) in got["error"] and MANIFEST in got["error"] and "compressed" in got["error"]
    assert got["grown_mb"] < 64, got


@pytest.mark.skipif(not pathlib.Path("/proc/self/statm").exists(), reason="needs /proc")
def test_one_array_named_thousands_of_times_is_read_once(tmp_path):
    path = tmp_path / "fanout"
    node = {"kind": "ndarray", "array": 0}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            MANIFEST,
            _manifest(
                [{"dtype": "<f8", "shape": [2**17]}], {"kind": "list", "items": [node] * 3000}
            ),
        )
        zf.writestr("arrays/0.npy", _npy(np.zeros(2**17)))  # 1 MiB, loaded 3,000 times
    got = _load_in_child(path)
    assert got["error"] is None and got["grown_mb"] < 64, got
    items = d2lmods.load(path)
    assert len(items) == 3000 and all(a is items[0] for a in items)


def test_stored_manifest_over_the_cap_is_refused_with_its_size(tmp_path):
    path = tmp_path / "big_manifest"
    text = " " * (ser.MAX_MANIFEST_BYTES + 1) + _manifest([{"dtype": "<f4", "shape": [2]}])
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MANIFEST, text)
        zf.writestr("arrays/0.npy", _npy(np.ones(2, np.float32)))
    with pytest.raises(SerializationError) as err:
        d2lmods.load(path)
    msg = str(err.value)
    assert str(path) in msg and MANIFEST in msg
    assert f"{len(text):,} bytes" in msg and f"{ser.MAX_MANIFEST_BYTES:,}" in msg


def test_a_member_larger_than_its_manifest_entry_is_refused_before_reading(tmp_path):
    path = tmp_path / "mismatch"
    member = _npy(np.ones(2, np.float32)) + bytes(4000)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MANIFEST, _manifest([{"dtype": "<f4", "shape": [2]}]))
        zf.writestr("arrays/0.npy", member)
    with pytest.raises(SerializationError) as err:
        d2lmods.load(path)
    msg = str(err.value)
    assert str(path) in msg and "arrays/0.npy" in msg
    assert f"{len(member):,} bytes" in msg and "shape [2] needs 8" in msg
    with zipfile.ZipFile(path, "w") as zf:  # the header disagrees with the manifest
        zf.writestr(MANIFEST, _manifest([{"dtype": "<f4", "shape": [2]}]))
        zf.writestr("arrays/0.npy", _npy(np.ones(1000, np.float32)))
    with pytest.raises(SerializationError, match=r"shape \[1000\] but the manifest says"):
        d2lmods.load(path)


def test_a_header_declaring_a_huge_array_is_refused_without_allocating_it(tmp_path):
    path = tmp_path / "huge_header"
    header = np.lib.format.header_data_from_array_1_0(np.ones(2, np.float32))
    header["shape"] = (10**12,)  # 4 TB declared, 8 bytes present
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, header)
    huge = b.getvalue() + np.ones(2, np.float32).tobytes()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MANIFEST, _manifest([{"dtype": "<f4", "shape": [10**12]}]))
        zf.writestr("arrays/0.npy", huge)
    with pytest.raises(SerializationError) as err:
        d2lmods.load(path)
    msg = str(err.value)
    assert "arrays/0.npy" in msg and f"{len(huge):,} bytes" in msg
    assert "4,000,000,000,000" in msg


def test_duplicate_member_names_are_refused(tmp_path):
    good = tmp_path / "good"
    d2lmods.save(d2lmods.ones(2), good)
    evil = tmp_path / "evil"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, zin.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile would read this one
            zout.writestr("arrays/0.npy", _npy(np.zeros(2, np.float32)))
    with pytest.raises(SerializationError) as err:
        d2lmods.load(evil)
    assert str(evil) in str(err.value) and "two members named 'arrays/0.npy'" in str(err.value)


def test_members_the_manifest_does_not_list_are_refused(tmp_path):
    path = tmp_path / "extra"
    d2lmods.save(d2lmods.ones(2), path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("payload.bin", b"x" * 100)
    with pytest.raises(SerializationError, match="does not list.*'payload.bin'"):
        d2lmods.load(path)


def test_compressed_files_are_refused_even_when_small(tmp_path):
    good = tmp_path / "good"
    d2lmods.save({"w": d2lmods.ones(3)}, good)
    deflated = tmp_path / "deflated"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            zout.writestr(name, zin.read(name))
    with pytest.raises(SerializationError, match="compressed.*never compresses"):
        d2lmods.load(deflated)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_devices_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = _load_in_child(fifo, timeout=60)  # a loader that opens it blocks forever
    assert got["error"].startswith("SerializationError") and "FIFO" in got["error"], got
    if os.path.exists("/dev/zero"):  # ...or reads until memory runs out
        got = _load_in_child("/dev/zero", timeout=60)
        assert got["error"].startswith("SerializationError") and "device" in got["error"], got
        assert got["grown_mb"] < 64, got
