"""numba kernels against their plain-numpy references, and the compiled-code cache set-up."""

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from d2lmods.kernels import _jit, contig, examples

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _assert_same(got, want, dtype):
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    if want is None:  # an output not asked for (a gradient nobody needs)
        assert got is None
        return
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _assert_same(g, w, dtype)
        return
    if isinstance(want, (int, np.integer)):
        assert got == want
        return
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **tol)


@pytest.mark.parametrize("dtype", examples.DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("entry", examples.KERNELS, ids=lambda e: e[0])
def test_kernel_matches_numpy_reference(entry, dtype):
    name, kernel, ref, make_args = entry
    rng = np.random.default_rng(hash(name) % 2**32)
    args = make_args(rng, dtype)
    a1, a2 = _copy(args), _copy(args)
    got, want = kernel(*a1), ref(*a2)
    if got is None:  # in-place kernels: compare every array argument afterwards
        for g, w in zip(a1, a2):
            if isinstance(g, np.ndarray):
                _assert_same(g, w, dtype)
        return
    _assert_same(got, want, dtype)
    outs = got if isinstance(got, tuple) else (got,)
    for o in outs:
        if (
            isinstance(o, np.ndarray)
            and o.dtype.kind == "f"
            and o.ndim
            and not name.startswith(
                ("cross_entropy_fwd", "batch_norm_stats", "batch_norm_bwd_sums")
            )
        ):
            assert o.dtype == np.dtype(dtype), f"{name} returned {o.dtype}"


def test_every_public_kernel_has_an_example_and_reference():
    import d2lmods.kernels as K
    from d2lmods.kernels import conv, elementwise, normalization, optim, softmax

    covered = {e[1] for e in examples.KERNELS}
    for name in (
        "relu_fwd",
        "relu_bwd",
        "sigmoid_fwd",
        "sigmoid_bwd",
        "tanh_fwd",
        "tanh_bwd",
        "sum_rows",
        "softmax_fwd",
        "log_softmax_fwd",
        "softmax_bwd",
        "log_softmax_bwd",
        "cross_entropy_fwd",
        "cross_entropy_bwd",
        "im2col",
        "col2im",
        "max_pool2d_fwd",
        "max_pool2d_bwd",
        "avg_pool2d_fwd",
        "avg_pool2d_bwd",
        "im2col_batched",
        "col2im_batched",
        "max_pool2d_fwd_inside",
        "avg_pool2d_bwd_tiles",
        "conv2d_forward",
        "conv2d_backward",
        "batch_norm_stats",
        "batch_norm_affine",
        "batch_norm_bwd_sums",
        "batch_norm_bwd_input",
        "sgd_update",
        "adam_update",
    ):
        assert hasattr(K, name), name
        mod = next(
            m for m in (elementwise, softmax, conv, normalization, optim) if hasattr(m, name)
        )
        kernel = getattr(mod, name + "_kernel", getattr(mod, name))
        assert kernel in covered, name


def test_sigmoid_kernel_is_stable_for_large_inputs():
    from d2lmods.kernels import sigmoid_fwd

    y = sigmoid_fwd(np.array([-1000.0, 0.0, 1000.0], np.float32))
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])


def test_cross_entropy_kernel_reports_out_of_range_targets():
    from d2lmods.kernels import cross_entropy_fwd

    _, _, bad = cross_entropy_fwd(np.zeros((3, 4), np.float32), np.array([0, 4, 1]), -100)
    assert bad == 1


def test_sgd_update_writes_through_parameter_views():
    from d2lmods.kernels.optim import sgd_update_kernel as sgd_update

    p = np.ones((2, 3), np.float32)
    sgd_update(p, np.full((2, 3), 2.0, np.float32), 0.5, None, 0, 0, 0, False)
    np.testing.assert_array_equal(p, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        sgd_update(
            np.ones((3, 2), np.float32).T, np.ones((2, 3), np.float32), 0.1, None, 0, 0, 0, False
        )


def test_contig_copies_only_read_only_or_strided_arrays():
    a = np.ones((2, 3))
    assert contig(a) is a
    ro = a.copy()
    ro.flags.writeable = False
    assert contig(ro) is not ro and contig(ro).flags.writeable
    assert contig(a.T).flags.c_contiguous
    assert contig(np.array(2.0)).shape == ()
    assert contig(a, np.float32).dtype == np.float32


# -- cache location ----------------------------------------------------------------------------
def test_cache_dir_kept_default_when_source_tree_is_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert _jit.choose_cache_dir(str(tmp_path), writable=lambda d: True) is None


def test_cache_dir_falls_back_to_a_writable_folder_when_tree_is_read_only(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    pkg = str(tmp_path / "site" / "d2lmods" / "kernels")
    chosen = _jit.choose_cache_dir(pkg, writable=lambda d: not d.startswith(str(tmp_path / "site")))
    assert chosen == str(tmp_path / ".cache" / "d2lmods" / "numba")
    # no writable home either: a per-user temp folder
    chosen = _jit.choose_cache_dir(pkg, writable=lambda d: "site" not in d and ".cache" not in d)
    assert chosen is not None and "d2lmods-numba" in chosen


def test_explicit_numba_cache_dir_wins(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere")
    assert _jit.choose_cache_dir("/x", writable=lambda d: False) == "/somewhere"


@pytest.mark.slow
def test_import_and_training_step_work_from_a_read_only_install(tmp_path):
    """Run a copy of the package on a read-only bind mount (bubblewrap), HOME unwritable too."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    site = tmp_path / "site"
    shutil.copytree(
        os.path.join(ROOT, "d2lmods"),
        site / "d2lmods",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    script = textwrap.dedent("""
        import numpy as np, d2lmods as torch
        from d2lmods.kernels import cache_dir
        x = torch.randn(4, 3); w = torch.randn(2, 3, requires_grad=True)
        loss = torch.ops.cross_entropy(torch.ops.linear(x, w).relu(), torch.tensor([0, 1, 1, 0]))
        loss.backward()
        assert w.grad.shape == (2, 3)
        print("CACHE", cache_dir())
    """).replace("torch.ops", "__import__('d2lmods.ops').ops")
    home = tmp_path / "home"
    home.mkdir()
    cmd = [
        bwrap,
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        "--ro-bind",
        sys.prefix,
        sys.prefix,  # the venv may live under /tmp
        "--ro-bind",
        str(site),
        str(site),
        "--ro-bind",
        str(home),
        str(home),
        "--setenv",
        "HOME",
        str(home),
        "--setenv",
        "PYTHONPATH",
        str(site),
        "--unsetenv",
        "NUMBA_CACHE_DIR",
        sys.executable,
        "-c",
        script,
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd="/")
    if r.returncode != 0 and "bwrap:" in r.stderr and "CACHE" not in r.stdout:
        pytest.skip(f"bubblewrap cannot create a sandbox here: {r.stderr.strip()[:200]}")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "CACHE /tmp/d2lmods-numba" in r.stdout


def test_ops_use_only_the_signatures_warmup_compiles():
    """After ``warm()``, typical training code must not trigger a new compilation."""
    import d2lmods
    from d2lmods import ops, warmup
    from d2lmods.kernels import jit_enabled

    if not jit_enabled():
        pytest.skip("NUMBA_DISABLE_JIT=1: nothing is compiled")
    warmup.warm()
    kernels = {e[0]: e[1] for e in examples.KERNELS}
    dispatchers = {}
    import d2lmods.kernels.optim as kopt

    for k in list(kernels.values()) + [kopt._sgd_plain, kopt._sgd_momentum, kopt._adam]:
        if hasattr(k, "signatures"):
            dispatchers[id(k)] = (k, set(k.signatures))
    assert len(dispatchers) >= 20 and all(before for _, before in dispatchers.values())
    for dt in (d2lmods.float32, d2lmods.float64):
        x = d2lmods.randn(4, 2, 9, 8, dtype=dt).T.contiguous().T  # a strided input
        w = d2lmods.randn(3, 2, 3, 3, dtype=dt, requires_grad=True)
        h = ops.conv2d(x, w, padding=1).relu()
        h = ops.max_pool2d(h, 2) + ops.avg_pool2d(h, 2, padding=1)[..., :4, :4]
        z = h.flatten(1)
        lin = d2lmods.randn(5, z.shape[1], dtype=dt, requires_grad=True)
        logits = ops.linear(z.tanh().sigmoid(), lin, d2lmods.zeros(5, dtype=dt))
        target = d2lmods.tensor([0, 1, 2, 3, 4, 0, 1, 2])[::2]  # non-contiguous
        loss = (
            ops.cross_entropy(logits, target)
            + ops.log_softmax(logits, 1).sum()
            + ops.softmax(logits, 0).sum()
        )
        loss.backward()
        p, g = np.ones(6, dt.np), np.ones(6, dt.np)
        kopt.sgd_update(p, g, 0.1, np.zeros(6, dt.np), 0.9, 0, 0, False, first=True)
        kopt.adam_update(p, g, np.zeros(6, dt.np), np.zeros(6, dt.np), 1e-3, 0.9, 0.999, 1e-8, 0, 1)
    for k, before in dispatchers.values():
        assert set(k.signatures) == before, f"{k.__name__} compiled a new signature"


# -- BLAS threads around small products ----------------------------------------------------------
def test_small_products_run_on_one_openblas_thread_and_restore_the_count():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import d2lmods
    from d2lmods import kernels as _blas

    def blas_threads():
        return [
            p["num_threads"]
            for p in threadpoolctl.threadpool_info()
            if p["internal_api"] == "openblas" and "numpy" in p["filepath"]
        ]

    if not blas_threads():
        pytest.skip("numpy does not use OpenBLAS here")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert _blas.serial_gemm(10, 10, 10) == 0  # OpenBLAS keeps it on one thread anyway
        assert _blas.serial_gemm(1024, 1024, 512) == 0  # large: every thread
        t = _blas.serial_gemm(64, 120, 400)  # LeNet's first Linear layer
        assert t == 2 and set(blas_threads()) == {1}
        _blas.restore_threads(t)
        assert set(blas_threads()) == {2}
        x = d2lmods.randn(64, 400, requires_grad=True)
        w = d2lmods.randn(120, 400, requires_grad=True)
        y = d2lmods.nn.functional.linear(x, w)
        y.sum().backward()
        assert set(blas_threads()) == {2}
        np.testing.assert_allclose(
            y.detach().numpy(), x.detach().numpy() @ w.detach().numpy().T, rtol=1e-4, atol=1e-4
        )
