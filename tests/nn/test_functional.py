"""nn.functional: gradients of the composed ops against finite differences (float64), values vs torch."""

import numpy as np
import pytest

import d2lmods
from d2lmods.nn import functional as F


def _fd_check(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Compare autograd's gradient of ``fn(*tensors).sum()`` with central differences."""
    tensors = [d2lmods.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    weights = None

    def scalar(ts):
        nonlocal weights
        out = fn(*ts)
        if weights is None:  # a fixed random projection makes every output element matter
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


RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape)


def test_fd_leaky_relu_and_gelu():
    x = _x(3, 4) + 0.05  # keep away from the kink at 0
    _fd_check(lambda t: F.leaky_relu(t, 0.1), x)
    _fd_check(lambda t: F.gelu(t), x)
    _fd_check(lambda t: F.gelu(t, approximate="tanh"), x)


def test_fd_batch_norm_training_with_affine():
    x, w, b = _x(5, 3), _x(3), _x(3)
    _fd_check(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), x, w, b)
    x4 = _x(2, 3, 2, 2)
    _fd_check(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), x4, w, b)


def test_fd_batch_norm_eval_uses_running_stats():
    rm, rv = d2lmods.tensor(_x(3)), d2lmods.tensor(np.abs(_x(3)) + 0.5)
    _fd_check(
        lambda t, w: F.batch_norm(t, rm.double(), rv.double(), w, None, training=False),
        _x(4, 3),
        _x(3),
    )


def test_fd_layer_norm():
    _fd_check(lambda t, w, b: F.layer_norm(t, (4,), w, b), _x(3, 4), _x(4), _x(4))
    _fd_check(lambda t: F.layer_norm(t, (2, 3)), _x(2, 2, 3))


def test_fd_embedding_weight():
    ids = d2lmods.tensor(np.array([[0, 2, 2], [3, 0, 1]]))
    _fd_check(lambda w: F.embedding(ids, w), _x(4, 3))
    # the padding row is looked up but, by definition, receives no gradient
    w = d2lmods.tensor(_x(4, 3), requires_grad=True)
    plain = d2lmods.tensor(w.detach().numpy().copy(), requires_grad=True)
    (F.embedding(ids, w, padding_idx=2) * 3).sum().backward()
    (F.embedding(ids, plain) * 3).sum().backward()
    expected = plain.grad.numpy().copy()
    expected[2] = 0
    np.testing.assert_allclose(w.grad.numpy(), expected)


def test_fd_losses():
    x, t = _x(4, 3), _x(4, 3)
    for red in ("mean", "sum", "none"):
        _fd_check(lambda a, b, red=red: F.mse_loss(a, b, reduction=red), x, t)
        _fd_check(
            lambda a, red=red: F.binary_cross_entropy_with_logits(
                a, d2lmods.tensor((t > 0).astype(np.float64)), reduction=red
            ),
            x * 4,
        )
    pw = d2lmods.tensor(np.array([1.0, 2.0, 0.5]))
    _fd_check(
        lambda a: F.binary_cross_entropy_with_logits(
            a, d2lmods.tensor((t > 0).astype(np.float64)), pos_weight=pw
        ),
        x,
    )
    y = d2lmods.tensor(np.array([0, 2, 1, 2]))
    _fd_check(lambda a: F.cross_entropy(a, y), x)
    _fd_check(lambda a: F.cross_entropy(a, y, label_smoothing=0.2), x)
    _fd_check(lambda a: F.cross_entropy(a, y, weight=d2lmods.tensor(np.array([1.0, 2.0, 3.0]))), x)
    probs = np.abs(t) / np.abs(t).sum(1, keepdims=True)
    _fd_check(lambda a: F.cross_entropy(a, d2lmods.tensor(probs)), x)
    _fd_check(lambda a: F.nll_loss(a, y, reduction="sum"), x)
    _fd_check(lambda a: F.nll_loss(a, y, weight=d2lmods.tensor(np.array([1.0, 0.5, 2.0]))), x)


def test_fd_dropout_with_fixed_seed():
    def f(t):
        d2lmods.manual_seed(5)
        return F.dropout(t, 0.4, training=True)

    _fd_check(f, _x(3, 5))


def test_binary_cross_entropy_is_stable_for_large_logits():
    x = d2lmods.tensor([1000.0, -1000.0])
    loss = F.binary_cross_entropy_with_logits(x, d2lmods.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0], atol=1e-6)
    loss = F.binary_cross_entropy_with_logits(x, d2lmods.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0])


@pytest.mark.oracle
def test_functional_values_match_torch(torch):
    tF = torch.nn.functional
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    X, T = d2lmods.tensor(x), torch.tensor(x)
    pairs = [
        (F.relu(X), tF.relu(T)),
        (F.leaky_relu(X, 0.3), tF.leaky_relu(T, 0.3)),
        (F.gelu(X), tF.gelu(T)),
        (F.sigmoid(X), torch.sigmoid(T)),
        (F.tanh(X), torch.tanh(T)),
        (F.softmax(X, 1), tF.softmax(T, 1)),
        (F.log_softmax(X, -1), tF.log_softmax(T, -1)),
        (
            F.conv2d(X, d2lmods.tensor(w), d2lmods.tensor(b), stride=2, padding=1),
            tF.conv2d(T, torch.tensor(w), torch.tensor(b), stride=2, padding=1),
        ),
        (F.max_pool2d(X, 2), tF.max_pool2d(T, 2)),
        (F.avg_pool2d(X, 3, 1, 1), tF.avg_pool2d(T, 3, 1, 1)),
        (F.adaptive_avg_pool2d(X, (2, 3)), tF.adaptive_avg_pool2d(T, (2, 3))),
        (F.layer_norm(X, (6, 6)), tF.layer_norm(T, (6, 6))),
        (
            F.linear(X, d2lmods.tensor(w[:, :, 0, :2].reshape(4, -1)[:, :6])),
            tF.linear(T, torch.tensor(w[:, :, 0, :2].reshape(4, -1)[:, :6])),
        ),
        (F.one_hot(d2lmods.tensor([0, 2]), 4), tF.one_hot(torch.tensor([0, 2]), 4)),
    ]
    for i, (a, b_) in enumerate(pairs):
        np.testing.assert_allclose(
            a.detach().numpy(), b_.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=f"pair {i}"
        )


def test_dropout_rejects_bad_p_and_is_identity_in_eval():
    x = d2lmods.ones(4)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_embedding_wrong_dtype_or_range_names_the_fix():
    w = d2lmods.randn(5, 2)
    with pytest.raises(RuntimeError, match=r"Long, Int.*X.long\(\)"):
        F.embedding(d2lmods.tensor([1.0, 2.0]), w)
    with pytest.raises(IndexError, match=r"num_embeddings=5, valid ids 0..4.*num_embeddings >= 8"):
        F.embedding(d2lmods.tensor([1, 7]), w)
