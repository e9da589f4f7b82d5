"""The layers added for D2L's CNN chapters (Conv1d, ConvTranspose2d, BatchNorm3d, the lazy
batch norms and convolutions, MaxPool2d(return_indices=True), the 1-D pools) against torch 2.13: reprs,
parameter and buffer names/shapes/dtypes, initialization ranges, lazy materialization,
outputs and gradients for the same weights in train and eval mode."""

import math

import numpy as np
import pytest

import d2lmods
from d2lmods import nn

# (name, builder taking an nn namespace, input shape, train mode)
LAYERS = [
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3), (2, 3, 9), True),
    (
        "Conv1d(stride,pad,nobias)",
        lambda nn: nn.Conv1d(2, 4, 5, stride=2, padding=2, bias=False),
        (2, 2, 11),
        True,
    ),
    (
        "Conv1d(groups,dilation)",
        lambda nn: nn.Conv1d(4, 6, 3, dilation=2, groups=2, padding=2),
        (1, 4, 8),
        True,
    ),
    ("Conv1d(same)", lambda nn: nn.Conv1d(2, 3, 5, padding="same"), (2, 2, 7), True),
    ("Conv1d(unbatched)", lambda nn: nn.Conv1d(3, 2, 3), (3, 6), True),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4), True),
    (
        "ConvTranspose2d(2x up)",
        lambda nn: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1),
        (2, 4, 5, 5),
        True,
    ),
    (
        "ConvTranspose2d(output_padding,groups)",
        lambda nn: nn.ConvTranspose2d(
            4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False
        ),
        (1, 4, 3, 3),
        True,
    ),
    (
        "ConvTranspose2d(unbatched)",
        lambda nn: nn.ConvTranspose2d(2, 3, 2, stride=2),
        (2, 3, 3),
        True,
    ),
    ("BatchNorm3d(train)", lambda nn: nn.BatchNorm3d(3), (2, 3, 2, 3, 3), True),
    ("BatchNorm3d(eval)", lambda nn: nn.BatchNorm3d(3), (2, 3, 2, 3, 3), False),
    (
        "BatchNorm3d(momentum None)",
        lambda nn: nn.BatchNorm3d(2, momentum=None),
        (3, 2, 2, 2, 2),
        True,
    ),
    ("MaxPool2d(3,2,1)", lambda nn: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7), True),
    (
        "MaxPool2d(rect pad)",
        lambda nn: nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1)),
        (1, 2, 6, 5),
        True,
    ),
    ("MaxPool1d", lambda nn: nn.MaxPool1d(2), (2, 3, 9), True),
    (
        "MaxPool1d(3,2,1,indices)",
        lambda nn: nn.MaxPool1d(3, 2, 1, return_indices=True),
        (2, 3, 9),
        True,
    ),
    ("MaxPool1d(unbatched,ceil)", lambda nn: nn.MaxPool1d(2, ceil_mode=True), (3, 7), True),
    ("AvgPool1d", lambda nn: nn.AvgPool1d(2), (2, 3, 8), True),
    (
        "AvgPool1d(pad,no count)",
        lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False),
        (2, 3, 8),
        True,
    ),
    ("AdaptiveAvgPool1d(1)", lambda nn: nn.AdaptiveAvgPool1d(1), (2, 3, 7), True),
    ("AdaptiveAvgPool1d(3)", lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7), True),
]

LAZY = [
    ("LazyConv1d", lambda nn: nn.LazyConv1d(4, 3, padding=1), (2, 3, 8)),
    ("LazyConv1d(groups)", lambda nn: nn.LazyConv1d(4, 3, groups=2, bias=False), (2, 6, 8)),
    (
        "LazyConvTranspose2d",
        lambda nn: nn.LazyConvTranspose2d(2, 4, stride=2, padding=1),
        (2, 3, 4, 4),
    ),
    (
        "LazyConvTranspose2d(groups)",
        lambda nn: nn.LazyConvTranspose2d(4, 3, groups=2),
        (1, 4, 3, 3),
    ),
    ("LazyBatchNorm1d", lambda nn: nn.LazyBatchNorm1d(), (4, 5)),
    ("LazyBatchNorm2d", lambda nn: nn.LazyBatchNorm2d(), (2, 3, 4, 4)),
    ("LazyBatchNorm2d(no affine)", lambda nn: nn.LazyBatchNorm2d(affine=False), (2, 3, 4, 4)),
    (
        "LazyBatchNorm2d(no stats)",
        lambda nn: nn.LazyBatchNorm2d(track_running_stats=False),
        (2, 3, 4, 4),
    ),
    ("LazyBatchNorm3d", lambda nn: nn.LazyBatchNorm3d(momentum=0.3), (2, 3, 2, 2, 3)),
]


def _copy_weights(mine, theirs, torch, seed=42):
    """Give both layers identical random parameters and float buffers."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p_t in theirs.named_parameters():
            a = rng.standard_normal(tuple(p_t.shape)).astype(np.float32)
            p_t.copy_(torch.tensor(a))
            mine.get_parameter(name)._data[...] = a
        for name, b_t in theirs.named_buffers():
            if b_t.dtype.is_floating_point:
                a = (rng.random(tuple(b_t.shape)) + 0.5).astype(np.float32)
                b_t.copy_(torch.tensor(a))
                mine.get_buffer(name)._data[...] = a


def _same_state(mine, theirs):
    """Same keys in the same order, same shapes and dtypes (a numpy view of each value)."""
    sd_m, sd_t = mine.state_dict(), theirs.state_dict()
    assert list(sd_m) == list(sd_t)
    for k in sd_t:
        assert tuple(sd_m[k].shape) == tuple(sd_t[k].shape), k
        assert sd_m[k].numpy().dtype == sd_t[k].numpy().dtype, k
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def _run(mine, theirs, torch, shape, train, seed=0):
    mine.train(train)
    theirs.train(train)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x_m, x_t = d2lmods.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_m, y_t = mine(x_m), theirs(x_t)
    if isinstance(y_t, tuple):  # MaxPool2d(return_indices=True)
        np.testing.assert_array_equal(y_m[1].numpy(), y_t[1].numpy())
        y_m, y_t = y_m[0], y_t[0]
    assert tuple(y_m.shape) == tuple(y_t.shape)
    assert type(y_m.grad_fn).__name__ == type(y_t.grad_fn).__name__
    np.testing.assert_allclose(y_m.detach().numpy(), y_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(seed + 1).standard_normal(tuple(y_t.shape)).astype(np.float32)
    (y_m * d2lmods.tensor(g)).sum().backward()
    (y_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x_m.grad.numpy(), x_t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for k, p_t in theirs.named_parameters():
        np.testing.assert_allclose(
            mine.get_parameter(k).grad.numpy(), p_t.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=k
        )
    for k, b_t in theirs.named_buffers():
        np.testing.assert_allclose(
            mine.get_buffer(k).numpy(), b_t.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )


@pytest.mark.oracle
@pytest.mark.parametrize("name,build,shape,train", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch, name, build, shape, train):
    mine, theirs = build(nn), build(torch.nn)
    assert repr(mine) == repr(theirs)
    _same_state(mine, theirs)
    _copy_weights(mine, theirs, torch)
    _run(mine, theirs, torch, shape, train)
    if name.startswith("BatchNorm"):  # a second step keeps following torch's statistics
        _run(mine, theirs, torch, shape, train, seed=7)
        assert int(mine.num_batches_tracked) == int(theirs.num_batches_tracked)


@pytest.mark.oracle
def test_max_pool2d_module_returns_torch_indices(torch):
    mine, theirs = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    assert repr(mine) == repr(theirs)
    _run(mine, theirs, torch, (2, 3, 6, 5), True)


@pytest.mark.oracle
@pytest.mark.parametrize("name,build,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_layer_materializes_like_torch(torch, name, build, shape):
    mine, theirs = build(nn), build(torch.nn)
    assert repr(mine) == repr(theirs)
    assert [(k, repr(v)) for k, v in mine.state_dict().items()] == [
        (k, repr(v).replace("torch", "d2lmods")) for k, v in theirs.state_dict().items()
    ]
    params = list(mine.parameters())
    opt = d2lmods.optim.SGD(mine.parameters(), lr=0.1) if params else None
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    mine(d2lmods.tensor(x))
    theirs(torch.tensor(x))
    assert repr(mine) == repr(theirs)
    assert type(mine).__name__ == type(theirs).__name__
    assert not hasattr(mine, "_initialize_hook")
    _same_state(mine, theirs)
    # the optimizer built before the first call still holds the module's parameters
    if opt is not None:
        assert [id(p) for p in opt.param_groups[0]["params"]] == [id(p) for p in mine.parameters()]
    fresh_m, fresh_t = build(nn), build(torch.nn)
    fresh_m(d2lmods.tensor(x))
    fresh_t(torch.tensor(x))
    _copy_weights(fresh_m, fresh_t, torch)
    _run(fresh_m, fresh_t, torch, shape, True, seed=3)
    _run(fresh_m, fresh_t, torch, shape, False, seed=4)


@pytest.mark.parametrize(
    "build,shape",
    [
        (lambda: nn.LazyConv1d(4, 3), (2, 3, 8)),
        (lambda: nn.LazyConvTranspose2d(2, 3, stride=2), (2, 3, 4, 4)),
        (lambda: nn.LazyBatchNorm2d(), (2, 3, 4, 4)),
        (lambda: nn.LazyBatchNorm3d(), (2, 3, 2, 2, 2)),
    ],
)
def test_lazy_layer_loads_a_state_dict_before_its_first_call(build, shape):
    src = build()
    x = d2lmods.randn(*shape)
    src(x)
    src.eval()
    clone = build()
    clone.load_state_dict(src.state_dict())
    clone.eval()
    assert type(clone).__name__.startswith("Lazy")  # as torch: the class changes on call
    np.testing.assert_allclose(clone(x).detach().numpy(), src(x).detach().numpy(), rtol=1e-6)
    assert repr(clone) == repr(src)


@pytest.mark.parametrize(
    "layer,shape",
    [
        (lambda: nn.LazyConv1d(4, 3), (2, 3, 4, 5)),
        (lambda: nn.LazyConvTranspose2d(4, 3), (2, 3)),
        (lambda: nn.LazyBatchNorm2d(), (2, 3)),
        (lambda: nn.LazyBatchNorm3d(), (2, 3, 4, 4)),
    ],
)
def test_lazy_layer_rejects_an_input_of_the_wrong_rank(layer, shape):
    with pytest.raises((RuntimeError, ValueError), match="input"):
        layer()(d2lmods.randn(*shape))


@pytest.mark.oracle
@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.Conv1d(16, 32, 5),
        lambda nn: nn.ConvTranspose2d(16, 24, 3),
        lambda nn: nn.ConvTranspose2d(8, 24, 3, groups=4),
        lambda nn: nn.Conv1d(8, 16, 3, groups=2),
    ],
    ids=["Conv1d", "ConvTranspose2d", "ConvTranspose2d(groups)", "Conv1d(groups)"],
)
def test_initialization_follows_torchs_distribution(torch, build):
    """kaiming_uniform_(a=sqrt(5)) on the weight: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
    fan_in = weight.shape[1] * kernel elements (also for transposed weights); same for the bias."""
    mine, theirs = build(nn), build(torch.nn)
    w_m, w_t = mine.weight.detach().numpy(), theirs.weight.detach().numpy()
    fan_in = w_t.shape[1] * int(np.prod(w_t.shape[2:]))
    bound = 1 / math.sqrt(fan_in)
    for w in (w_m, w_t):
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.9 * bound
        np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.1)
    b_m, b_t = mine.bias.detach().numpy(), theirs.bias.detach().numpy()
    assert np.abs(b_m).max() <= bound and np.abs(b_t).max() <= bound


def test_new_batchnorm_layers_count_batches_only_while_training():
    bn = nn.BatchNorm3d(2)
    x = d2lmods.randn(3, 2, 2, 2, 2) * 2 + 1
    bn(x)
    assert int(bn.num_batches_tracked) == 1 and bn.num_batches_tracked.dtype == d2lmods.int64
    mean = x.numpy().mean(axis=(0, 2, 3, 4))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    bn.eval()
    before = bn.running_mean.numpy().copy()
    bn(x)
    assert int(bn.num_batches_tracked) == 1
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    with pytest.raises(ValueError, match="expected 5D input"):
        bn(d2lmods.randn(2, 2, 3, 3))


def test_conv_layers_explain_a_channel_mismatch():
    with pytest.raises(RuntimeError, match=r"expected input\[2, 5, 8\] to have 3 channels.*Fix"):
        nn.Conv1d(3, 4, 3)(d2lmods.randn(2, 5, 8))
    with pytest.raises(
        RuntimeError, match=r"transposed=1.*to have 3 channels.*LazyConvTranspose2d"
    ):
        nn.ConvTranspose2d(3, 4, 3)(d2lmods.randn(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input"):
        nn.Conv1d(3, 4, 3)(d2lmods.randn(2, 3, 8, 8))


@pytest.mark.oracle
def test_conv_transpose2d_output_size_matches_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    mine, theirs = (
        nn.ConvTranspose2d(3, 4, 3, stride=2),
        torch.nn.ConvTranspose2d(3, 4, 3, stride=2),
    )
    _copy_weights(mine, theirs, torch)
    y_m = mine(d2lmods.tensor(x), output_size=[12, 12])
    y_t = theirs(torch.tensor(x), output_size=[12, 12])
    np.testing.assert_allclose(y_m.detach().numpy(), y_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError) as theirs_err:
        theirs(torch.tensor(x), output_size=[14, 14])
    with pytest.raises(ValueError) as mine_err:
        mine(d2lmods.tensor(x), output_size=[14, 14])
    # d2lmods then adds which module raised it
    assert str(mine_err.value).startswith(str(theirs_err.value).replace("torch", "d2lmods"))


def test_new_layers_are_exported_as_in_torch():
    from d2lmods.nn import functional as F
    from d2lmods.nn.modules import conv, normalization

    for name in [
        "Conv1d",
        "LazyConv1d",
        "ConvTranspose2d",
        "LazyConvTranspose2d",
        "BatchNorm3d",
        "LazyBatchNorm1d",
        "LazyBatchNorm2d",
        "LazyBatchNorm3d",
    ]:
        assert getattr(nn, name).__name__ == name
    assert issubclass(nn.Conv1d, conv._ConvNd) and issubclass(nn.ConvTranspose2d, conv._ConvNd)
    assert issubclass(nn.LazyBatchNorm2d, normalization._LazyNormBase)
    for name in [
        "conv1d",
        "conv_transpose2d",
        "max_pool1d",
        "max_pool2d",
        "avg_pool1d",
        "adaptive_avg_pool1d",
        "adaptive_avg_pool2d",
    ]:
        assert callable(getattr(F, name))


@pytest.mark.oracle
@pytest.mark.parametrize(
    "build,shape",
    [
        (lambda nn: nn.LazyConv1d(4, 3), (2, 3, 4, 5)),
        (lambda nn: nn.LazyConv2d(4, 3), (2, 3)),
        (lambda nn: nn.LazyConvTranspose2d(4, 3), (2, 3, 4, 5, 6)),
        (lambda nn: nn.LazyBatchNorm2d(), (2, 3)),
        (lambda nn: nn.LazyBatchNorm3d(), (2, 3, 4, 4)),
        (lambda nn: nn.BatchNorm3d(3), (2, 3, 4, 4)),
    ],
    ids=[
        "LazyConv1d",
        "LazyConv2d",
        "LazyConvTranspose2d",
        "LazyBatchNorm2d",
        "LazyBatchNorm3d",
        "BatchNorm3d",
    ],
)
def test_wrong_rank_messages_start_like_torchs(torch, build, shape):
    with pytest.raises((RuntimeError, ValueError)) as theirs:
        build(torch.nn)(torch.zeros(shape))
    with pytest.raises(type(theirs.value)) as ours:
        build(nn)(d2lmods.zeros(*shape))
    assert str(ours.value).startswith(str(theirs.value).replace("torch.", "d2lmods."))
