"""Each layer against PyTorch: same weights in, same outputs, input gradients and weight gradients out."""

import numpy as np
import pytest

import d2lmods
from d2lmods import nn
from tests.fixtures.models import lenet

pytestmark = pytest.mark.oracle

# (name, builder taking an nn namespace, input shape or "ids", train mode)
CASES = [
    ("ReLU", lambda nn: nn.ReLU(), (4, 5), True),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), (4, 5), True),
    ("GELU", lambda nn: nn.GELU(), (4, 5), True),
    ("GELU(tanh)", lambda nn: nn.GELU(approximate="tanh"), (4, 5), True),
    ("Sigmoid", lambda nn: nn.Sigmoid(), (4, 5), True),
    ("Tanh", lambda nn: nn.Tanh(), (4, 5), True),
    ("Softmax", lambda nn: nn.Softmax(dim=1), (4, 5), True),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=1), (4, 5), True),
    ("Flatten", lambda nn: nn.Flatten(), (2, 3, 4, 4), True),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), (4, 6), True),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), (2, 3, 7, 7), True),
    ("Conv2d(lenet)", lambda nn: nn.Conv2d(1, 6, 5, padding=2), (2, 1, 12, 12), True),
    (
        "Conv2d(stride,nobias)",
        lambda nn: nn.Conv2d(2, 4, (3, 2), stride=2, bias=False),
        (2, 2, 9, 8),
        True,
    ),
    ("Conv2d(dilation)", lambda nn: nn.Conv2d(2, 3, 3, dilation=2, padding=2), (1, 2, 9, 9), True),
    ("Conv2d(groups)", lambda nn: nn.Conv2d(4, 6, 3, groups=2), (2, 4, 6, 6), True),
    ("Conv2d(same)", lambda nn: nn.Conv2d(2, 3, 5, padding="same"), (1, 2, 7, 7), True),
    ("Conv2d(unbatched)", lambda nn: nn.Conv2d(3, 2, 3), (3, 6, 6), True),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6), True),
    ("MaxPool2d(3,2,1)", lambda nn: nn.MaxPool2d(3, 2, 1), (2, 3, 7, 7), True),
    ("MaxPool2d(ceil)", lambda nn: nn.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 5), True),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2, 2), (2, 3, 6, 6), True),
    ("AvgPool2d(pad)", lambda nn: nn.AvgPool2d(3, 1, 1), (2, 3, 5, 5), True),
    ("AdaptiveAvgPool2d(1)", lambda nn: nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5), True),
    ("AdaptiveAvgPool2d(3)", lambda nn: nn.AdaptiveAvgPool2d(3), (2, 3, 7, 8), True),
    ("BatchNorm1d(train)", lambda nn: nn.BatchNorm1d(5), (8, 5), True),
    ("BatchNorm1d(3d)", lambda nn: nn.BatchNorm1d(3), (4, 3, 6), True),
    ("BatchNorm1d(eval)", lambda nn: nn.BatchNorm1d(5), (8, 5), False),
    ("BatchNorm2d(train)", lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5), True),
    ("BatchNorm2d(eval)", lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5), False),
    ("BatchNorm2d(no affine)", lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 5, 5), True),
    (
        "BatchNorm2d(no stats)",
        lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
        (4, 3, 5, 5),
        False,
    ),
    ("LayerNorm", lambda nn: nn.LayerNorm(6), (4, 6), True),
    ("LayerNorm(2d)", lambda nn: nn.LayerNorm((3, 4)), (2, 3, 4), True),
    ("Embedding", lambda nn: nn.Embedding(7, 3), "ids", True),
    ("Embedding(pad)", lambda nn: nn.Embedding(7, 3, padding_idx=2), "ids", True),
]


def _copy_weights(mine, theirs, torch):
    """Give both layers identical random parameters and buffers."""
    rng = np.random.default_rng(42)
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


@pytest.mark.parametrize("name,build,shape,train", CASES, ids=[c[0] for c in CASES])
def test_forward_and_backward_match_torch(torch, name, build, shape, train):
    mine, theirs = build(nn), build(torch.nn)
    _copy_weights(mine, theirs, torch)
    mine.train(train)
    theirs.train(train)
    rng = np.random.default_rng(0)
    if shape == "ids":
        ids = rng.integers(0, 7, size=(3, 4))
        x_m, x_t = d2lmods.tensor(ids), torch.tensor(ids)
    else:
        x = rng.standard_normal(shape).astype(np.float32)
        x_m = d2lmods.tensor(x, requires_grad=True)
        x_t = torch.tensor(x, requires_grad=True)
    y_m, y_t = mine(x_m), theirs(x_t)
    assert tuple(y_m.shape) == tuple(y_t.shape)
    np.testing.assert_allclose(y_m.detach().numpy(), y_t.detach().numpy(), rtol=1e-4, atol=1e-5)

    g = rng.standard_normal(tuple(y_t.shape)).astype(np.float32)
    (y_m * d2lmods.tensor(g)).sum().backward()
    (y_t * torch.tensor(g)).sum().backward()
    if shape != "ids":
        np.testing.assert_allclose(x_m.grad.numpy(), x_t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for k, p_t in theirs.named_parameters():
        np.testing.assert_allclose(
            mine.get_parameter(k).grad.numpy(), p_t.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=k
        )
    for k, b_t in theirs.named_buffers():
        np.testing.assert_allclose(
            mine.get_buffer(k).numpy(), b_t.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )


LOSSES = [
    ("MSELoss", lambda nn: nn.MSELoss(), "float"),
    ("MSELoss(sum)", lambda nn: nn.MSELoss(reduction="sum"), "float"),
    ("MSELoss(none)", lambda nn: nn.MSELoss(reduction="none"), "float"),
    ("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(), "index"),
    ("CrossEntropyLoss(sum)", lambda nn: nn.CrossEntropyLoss(reduction="sum"), "index"),
    ("CrossEntropyLoss(none)", lambda nn: nn.CrossEntropyLoss(reduction="none"), "index"),
    ("CrossEntropyLoss(ignore)", lambda nn: nn.CrossEntropyLoss(ignore_index=1), "index"),
    ("CrossEntropyLoss(smooth)", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), "index"),
    ("CrossEntropyLoss(probs)", lambda nn: nn.CrossEntropyLoss(), "probs"),
    ("NLLLoss", lambda nn: nn.NLLLoss(), "index"),
    ("NLLLoss(none)", lambda nn: nn.NLLLoss(reduction="none"), "index"),
    ("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), "binary"),
    ("BCEWithLogitsLoss(sum)", lambda nn: nn.BCEWithLogitsLoss(reduction="sum"), "binary"),
]


@pytest.mark.parametrize("name,build,kind", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_match_torch(torch, name, build, kind):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 4)) * 3).astype(np.float32)
    if kind == "float":
        t = rng.standard_normal((6, 4)).astype(np.float32)
    elif kind == "index":
        t = rng.integers(0, 4, size=6)
    elif kind == "probs":
        t = rng.random((6, 4)).astype(np.float32)
        t /= t.sum(1, keepdims=True)
    else:
        t = (rng.random((6, 4)) > 0.5).astype(np.float32)
    if name.startswith("NLL"):
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
    x_m, x_t = d2lmods.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    l_m = build(nn)(x_m, d2lmods.tensor(t))
    l_t = build(torch.nn)(x_t, torch.tensor(t))
    np.testing.assert_allclose(l_m.detach().numpy(), l_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    l_m.sum().backward()
    l_t.sum().backward()
    np.testing.assert_allclose(x_m.grad.numpy(), x_t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_running_stats_follow_torch_over_steps(torch):
    mine, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = (rng.standard_normal((5, 3, 4, 4)) * 2 + 1).astype(np.float32)
        mine(d2lmods.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(mine.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(mine.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)
    assert int(mine.num_batches_tracked) == int(theirs.num_batches_tracked) == 4


def test_lenet_forward_backward_matches_torch(torch):
    mine, theirs = lenet(d2lmods), lenet(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in mine.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = np.arange(8) % 10
    l_m = nn.CrossEntropyLoss()(mine(d2lmods.tensor(x)), d2lmods.tensor(y))
    l_t = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(float(l_m), float(l_t.detach()), rtol=1e-5)
    l_m.backward()
    l_t.backward()
    for (k, p_m), (_, p_t) in zip(mine.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p_m.grad.numpy(), p_t.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=k
        )


@pytest.mark.parametrize(
    "x_shape,t_shape", [((2, 3, 4, 5), (2, 4, 5)), ((3,), ()), ((4, 3, 6), (4, 6))]
)
def test_cross_entropy_other_layouts_match_torch(torch, x_shape, t_shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(np.float32)
    t = rng.integers(0, 3, t_shape)
    x_m, x_t = d2lmods.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    l_m = nn.functional.cross_entropy(x_m, d2lmods.tensor(t))
    l_t = torch.nn.functional.cross_entropy(x_t, torch.tensor(t))
    np.testing.assert_allclose(float(l_m), float(l_t.detach()), rtol=1e-5)
    l_m.backward()
    l_t.backward()
    np.testing.assert_allclose(x_m.grad.numpy(), x_t.grad.numpy(), rtol=1e-5, atol=1e-7)
