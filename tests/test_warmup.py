"""``python -m d2lmods.warmup``: compiles everything once, then returns at once while warm."""

import json
import os
import subprocess
import sys

from d2lmods import warmup


def test_stamp_round_trip_and_invalidation(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_DISABLE_JIT", raising=False)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "elementwise.relu_fwd-12.py311.nbi").write_bytes(b"x")
    assert not warmup.is_warm(str(tmp_path))  # no stamp yet
    warmup._write_stamp(str(tmp_path))
    stamp = json.loads((tmp_path / warmup._STAMP).read_text())
    assert stamp["index_files"] == ["elementwise.relu_fwd-12.py311.nbi"]
    assert warmup.is_warm(str(tmp_path))
    monkeypatch.setenv("NUMBA_OPT", "1")  # numba settings are keyed
    assert not warmup.is_warm(str(tmp_path))
    monkeypatch.delenv("NUMBA_OPT")
    (tmp_path / "sub" / "elementwise.relu_fwd-12.py311.nbi").unlink()  # cache was wiped
    assert not warmup.is_warm(str(tmp_path))


def test_fingerprint_follows_kernel_sources(monkeypatch, tmp_path):
    before = warmup.fingerprint()
    fake = tmp_path / "kernels"
    fake.mkdir()
    (fake / "elementwise.py").write_text("# changed\n")
    monkeypatch.setattr(warmup, "_KERNEL_DIR", str(fake))
    assert warmup.fingerprint() != before


def test_warmup_command_is_a_quick_no_op_when_warm():
    cmd = [sys.executable, "-m", "d2lmods.warmup"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    r = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return  # nothing is cached without the JIT
    assert "cache warm" in r.stdout
