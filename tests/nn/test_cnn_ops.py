"""conv1d, conv_transpose2d, batch_norm and max_pool2d(return_indices): gradients against finite
differences in float64, values, gradients and grad_fn names against torch 2.13."""

import numpy as np
import pytest

import d2lmods
from d2lmods.nn import functional as F

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape)


def _fd_check(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Autograd's gradient of a random projection of ``fn(*tensors)`` against central
    differences, for every argument."""
    tensors = [d2lmods.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    weights = None

    def scalar(ts):
        nonlocal weights
        out = fn(*ts)
        if weights is None:
            weights = np.random.default_rng(99).standard_normal(tuple(out.shape))
        return (out * d2lmods.tensor(weights)).sum()

    scalar(tensors).backward()
    for i, a in enumerate(arrays):
        a = a.astype(np.float64)
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = a.copy(), a.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = [d2lmods.tensor(x.astype(np.float64)) for x in arrays]
            args_m = [d2lmods.tensor(x.astype(np.float64)) for x in arrays]
            args_p[i], args_m[i] = d2lmods.tensor(plus), d2lmods.tensor(minus)
            numeric[idx] = (float(scalar(args_p)) - float(scalar(args_m))) / (2 * eps)
        np.testing.assert_allclose(
            tensors[i].grad.numpy(),
            numeric,
            rtol=rtol,
            atol=atol,
            err_msg=f"gradient of argument {i}",
        )


# (name, d2lmods/torch function of (lib_F, x, w, b), x shape, w shape, b shape or None)
CONV_CASES = [
    ("conv1d", lambda F, x, w, b: F.conv1d(x, w, b), (2, 3, 7), (4, 3, 3), (4,)),
    (
        "conv1d(stride,pad)",
        lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
        (2, 2, 8),
        (3, 2, 3),
        (3,),
    ),
    (
        "conv1d(dilation,groups)",
        lambda F, x, w, b: F.conv1d(x, w, b, dilation=2, groups=2),
        (1, 4, 9),
        (6, 2, 3),
        None,
    ),
    (
        "conv1d(same,even k)",
        lambda F, x, w, b: F.conv1d(x, w, b, padding="same"),
        (2, 2, 6),
        (3, 2, 4),
        (3,),
    ),
    (
        "conv1d(same,odd k)",
        lambda F, x, w, b: F.conv1d(x, w, b, padding="same"),
        (1, 2, 6),
        (2, 2, 3),
        (2,),
    ),
    ("conv1d(unbatched)", lambda F, x, w, b: F.conv1d(x, w, b), (3, 6), (2, 3, 3), (2,)),
    (
        "conv_transpose2d",
        lambda F, x, w, b: F.conv_transpose2d(x, w, b),
        (2, 3, 4, 4),
        (3, 2, 3, 3),
        (2,),
    ),
    (
        "conv_transpose2d(stride,pad)",
        lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
        (2, 2, 3, 3),
        (2, 3, 4, 4),
        (3,),
    ),
    (
        "conv_transpose2d(output_padding)",
        lambda F, x, w, b: F.conv_transpose2d(
            x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2)
        ),
        (1, 2, 3, 2),
        (2, 2, 3, 3),
        (2,),
    ),
    (
        "conv_transpose2d(groups,dilation)",
        lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, groups=2, dilation=2),
        (1, 4, 3, 3),
        (4, 1, 2, 3),
        None,
    ),
    (
        "conv_transpose2d(unbatched)",
        lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2),
        (2, 3, 3),
        (2, 1, 2, 2),
        (1,),
    ),
]
IDS = [c[0] for c in CONV_CASES]


def _args(xs, ws, bs):
    return [a for a in (_x(*xs), _x(*ws), None if bs is None else _x(*bs)) if a is not None]


@pytest.mark.parametrize("name,fn,xs,ws,bs", CONV_CASES, ids=IDS)
def test_conv_gradients_match_finite_differences(name, fn, xs, ws, bs):
    arrays = _args(xs, ws, bs)
    if bs is None:
        _fd_check(lambda x, w: fn(F, x, w, None), *arrays)
    else:
        _fd_check(lambda x, w, b: fn(F, x, w, b), *arrays)


@pytest.mark.oracle
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("name,fn,xs,ws,bs", CONV_CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_matches_torch(torch, name, fn, xs, ws, bs, dtype):
    arrays = [a.astype(dtype) for a in _args(xs, ws, bs)]
    ours = [d2lmods.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    pad = [None] if bs is None else []
    y_o = fn(F, *ours, *pad)
    y_t = fn(torch.nn.functional, *theirs, *pad)
    assert type(y_o.grad_fn).__name__ == type(y_t.grad_fn).__name__
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y_o.detach().numpy(), y_t.detach().numpy(), **tol)
    g = np.random.default_rng(5).standard_normal(tuple(y_t.shape)).astype(dtype)
    y_o.backward(d2lmods.tensor(g))
    y_t.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        assert a.grad.numpy().dtype == b.grad.numpy().dtype
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


@pytest.mark.oracle
def test_conv_errors_use_torch_wording(torch):
    cases = [
        lambda F, L: F.conv1d(L.zeros(2, 3, 8), L.zeros(4, 2, 3)),
        lambda F, L: F.conv1d(L.zeros(2, 3, 8, 1), L.zeros(4, 3, 3)),
        lambda F, L: F.conv1d(L.zeros(2, 3, 2), L.zeros(4, 3, 3)),
        lambda F, L: F.conv_transpose2d(L.zeros(2, 3, 8, 8), L.zeros(2, 3, 3, 3)),
        lambda F, L: F.conv_transpose2d(
            L.zeros(2, 3, 8, 8), L.zeros(3, 2, 3, 3), stride=2, output_padding=2
        ),
        # the prologue conv1d, conv2d and conv_transpose2d share: ranks, groups
        lambda F, L: F.conv2d(L.zeros(2, 3, 8, 8, 1), L.zeros(4, 3, 3, 3)),
        lambda F, L: F.conv_transpose2d(L.zeros(3, 8), L.zeros(3, 2, 3, 3)),
        lambda F, L: F.conv2d(L.zeros(2, 4, 8, 8), L.zeros(3, 2, 3, 3), groups=2),
        lambda F, L: F.conv1d(L.zeros(2, 4, 8), L.zeros(3, 2, 3), groups=2),
        lambda F, L: F.conv_transpose2d(L.zeros(2, 3, 8, 8), L.zeros(3, 2, 3, 3), groups=2),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(RuntimeError) as theirs:
            case(torch.nn.functional, torch)
        with pytest.raises(RuntimeError) as ours:
            case(F, d2lmods)
        assert str(ours.value) == str(theirs.value), i


@pytest.mark.parametrize(
    "name, shapes, kw",
    [
        ("conv1d", ((3, 9), (4, 3, 3)), {}),
        ("conv2d", ((3, 9, 8), (4, 3, 3, 3)), {"padding": 1}),
        ("conv_transpose2d", ((3, 5, 4), (3, 2, 3, 3)), {"stride": 2}),
        ("conv2d", ((2, 4, 9, 8), (6, 2, 3, 3), (6,)), {"groups": 2, "half": True}),
    ],
    ids=["conv1d_unbatched", "conv2d_unbatched", "conv_transpose2d_unbatched", "conv2d_half"],
)
def test_conv_prologue_redoes_unbatched_and_half_calls_like_torch(torch, name, shapes, kw):
    kw = dict(kw)
    half = kw.pop("half", False)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float16 if half else np.float32) for s in shapes]
    ours = getattr(F, name)(*[d2lmods.tensor(a) for a in arrays], **kw)
    theirs = getattr(torch.nn.functional, name)(*[torch.tensor(a) for a in arrays], **kw)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    tol = 2e-2 if half else 1e-5
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------------------------ batch_norm
def _bn(training):
    def fn(x, w, b):
        c = x.shape[1]
        rm = d2lmods.tensor(np.linspace(-0.5, 0.5, c))
        rv = d2lmods.tensor(np.linspace(0.5, 2.0, c))
        return F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5)

    return fn


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 5), (3, 2, 3, 3), (2, 2, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradients_match_finite_differences(shape, training):
    c = shape[1]
    _fd_check(_bn(training), _x(*shape), _x(c), _x(c), rtol=1e-5, atol=1e-6)


def test_batch_norm_without_affine_parameters_differentiates_the_input():
    x = _x(4, 3, 2, 2)
    _fd_check(lambda t: F.batch_norm(t, None, None, training=True), x)


@pytest.mark.oracle
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 4), (2, 2, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_matches_torch(torch, shape, training, affine):
    c = shape[1]
    x = _x(*shape).astype(np.float32)
    w, b = (_x(c) + 1).astype(np.float32), _x(c).astype(np.float32)
    rm, rv = np.linspace(-0.5, 0.5, c, dtype=np.float32), np.linspace(0.5, 2, c, dtype=np.float32)
    res = {}
    for lib, Fn in ((d2lmods, F), (torch, torch.nn.functional)):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True) if affine else None
        bt = lib.tensor(b, requires_grad=True) if affine else None
        rmt, rvt = lib.tensor(rm.copy()), lib.tensor(rv.copy())
        y = Fn.batch_norm(xt, rmt, rvt, wt, bt, training=training, momentum=0.3, eps=1e-3)
        y.backward(lib.tensor(np.cos(np.arange(y.numel())).reshape(shape).astype(np.float32)))
        grads = [t.grad.numpy() for t in (xt, wt, bt) if t is not None]
        res[lib.__name__] = (
            type(y.grad_fn).__name__,
            y.detach().numpy(),
            grads,
            rmt.numpy(),
            rvt.numpy(),
        )
    ours, theirs = res["d2lmods"], res["torch"]
    assert ours[0] == theirs[0] == "NativeBatchNormBackward0"
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-5)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6, atol=1e-6)


@pytest.mark.oracle
def test_batch_norm_refuses_mixed_dtypes_like_torch(torch):
    for lib, bn in ((torch, torch.nn.BatchNorm1d(3)), (d2lmods, d2lmods.nn.BatchNorm1d(3))):
        with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): all inputs must share"):
            bn(lib.randn(4, 3, dtype=lib.float64))
        assert bn(lib.randn(4, 3, dtype=lib.float16)).dtype == lib.float16


def test_batch_norm_refuses_a_second_backward_after_the_weight_changed_in_place():
    x = d2lmods.randn(4, 3, requires_grad=True)
    w = d2lmods.ones(3, requires_grad=True)
    y = F.batch_norm(x, None, None, w, None, training=True)
    with d2lmods.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------------------ max_pool2d
@pytest.mark.oracle
@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1)),
        dict(kernel_size=2, ceil_mode=True),
    ],
    ids=["2", "3-2-1", "rect", "ceil"],
)
def test_max_pool2d_indices_match_torch(torch, args):
    x = _x(2, 3, 7, 7).astype(np.float32)
    xo, xt = d2lmods.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, io = F.max_pool2d(xo, return_indices=True, **args)
    yt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **args)
    assert type(yo.grad_fn).__name__ == type(yt.grad_fn).__name__
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    assert io.dtype == d2lmods.int64 and not io.requires_grad
    np.testing.assert_array_equal(yo.detach().numpy(), yt.detach().numpy())
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1)),
        dict(kernel_size=2, stride=2, padding=1),
        dict(kernel_size=2),
        dict(kernel_size=3),
    ],
    ids=["3-2-1", "3-2-ceil", "rect", "2-2-1", "2x2", "3-3"],
)
def test_max_pool2d_ties_nans_and_infinite_windows_match_torch(torch, args):
    """Overlapping windows (the separable kernel) and the one-pass kernel: ties go to the first
    position in row-major order, a window of -inf values to its first position inside the
    input, a NaN wins and of several NaNs in a window the last one is reported (PyTorch's CPU
    rule ``val > max || isnan(val)``); the gradient follows the index."""
    x = np.round(_x(2, 3, 9, 8) * 2).astype(np.float32)
    x[0, 1, :4, :4] = -np.inf
    x[1, 2, 2, 2] = x[1, 2, 3, 3] = x[1, 2, 2, 3] = 50.0
    yo, io = F.max_pool2d(d2lmods.tensor(x), return_indices=True, **args)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **args)
    np.testing.assert_array_equal(yo.numpy(), yt.numpy())
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = x[0, 0, 2, 1] = x[1, 0, 0, 0] = np.nan
    xo, xt = d2lmods.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, io = F.max_pool2d(xo, return_indices=True, **args)
    yt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **args)
    np.testing.assert_array_equal(yo.detach().numpy(), yt.detach().numpy())  # NaNs included
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    g = np.arange(yo.numel(), dtype=np.float32).reshape(yo.shape)
    yo.backward(d2lmods.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())


def test_new_ops_use_only_the_signatures_warmup_compiles():
    from d2lmods import warmup
    from d2lmods.kernels import conv as kconv, jit_enabled

    if not jit_enabled():
        pytest.skip("NUMBA_DISABLE_JIT=1: nothing is compiled")
    warmup.warm()
    before = {k.__name__: set(k.signatures) for k in (kconv.im2col, kconv.col2im)}
    for dt in (d2lmods.float32, d2lmods.float64):
        x = d2lmods.randn(2, 3, 9, dtype=dt, requires_grad=True)
        w = d2lmods.randn(4, 3, 3, dtype=dt, requires_grad=True)
        F.conv1d(x, w, padding=1).sum().backward()
        x = d2lmods.randn(2, 3, 4, 4, dtype=dt, requires_grad=True)
        w = d2lmods.randn(3, 2, 3, 3, dtype=dt, requires_grad=True)
        F.conv_transpose2d(x, w, stride=2).sum().backward()
    for k in (kconv.im2col, kconv.col2im):
        assert set(k.signatures) == before[k.__name__], f"{k.__name__} compiled a new signature"


def test_batch_norm_uses_only_the_signatures_warmup_compiles():
    from d2lmods import warmup
    from d2lmods.kernels import jit_enabled, normalization as knorm

    if not jit_enabled():
        pytest.skip("NUMBA_DISABLE_JIT=1: nothing is compiled")
    warmup.warm()
    kernels = [getattr(knorm, name) for name in knorm.__all__ if not name.endswith("_ref")]
    before = {k.__name__: set(k.signatures) for k in kernels}
    for dt in (d2lmods.float32, d2lmods.float64, d2lmods.float16):
        for shape in ((4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 2)):
            x = d2lmods.randn(*shape, dtype=dt).transpose(0, 1).transpose(0, 1)
            x.requires_grad_()
            bn = {2: d2lmods.nn.BatchNorm1d, 3: d2lmods.nn.BatchNorm1d}.get(
                len(shape), {4: d2lmods.nn.BatchNorm2d, 5: d2lmods.nn.BatchNorm3d}.get(len(shape))
            )(3)
            if dt == d2lmods.float64:
                bn = bn.double()
            for train in (True, False):
                bn.train(train)
                (bn(x) * d2lmods.randn(*shape, dtype=dt)).sum().backward()
    for k in kernels:
        assert set(k.signatures) == before[k.__name__], f"{k.__name__} compiled a new signature"
