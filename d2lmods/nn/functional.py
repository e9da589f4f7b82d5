"""Functions behind the layers, as in ``torch.nn.functional`` (``import ... as F``).

>>> import d2lmods
>>> from d2lmods.nn import functional as F
>>> F.relu(d2lmods.tensor([-1., 0.5]))
tensor([0.0000, 0.5000])

The heavy ops (``linear``, the convolutions, pooling, ``batch_norm``, softmax,
cross-entropy) are the core's autograd ops with compiled kernels; the others are
composed here from tensor ops, so autograd differentiates them. Each function checks the inputs a
learner most often gets wrong and says what to change.
"""

from __future__ import annotations

import warnings

import numpy as np

from d2lmods._messages import layers as texts, user_stacklevel
from d2lmods.nn import _loop
from d2lmods.nn._callstack import where_suffix as _where
from d2lmods.ops.indexing import embedding as _embedding

__all__ = [
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "elu",
    "selu",
    "celu",
    "silu",
    "mish",
    "softplus",
    "hardtanh",
    "relu6",
    "logsigmoid",
    "hardswish",
    "hardsigmoid",
    "softsign",
    "tanhshrink",
    "threshold",
    "glu",
    "prelu",
    "softmin",
    "softmax",
    "log_softmax",
    "dropout",
    "linear",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "batch_norm",
    "layer_norm",
    "embedding",
    "mse_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "normalize",
    "cosine_similarity",
    "pad",
    "one_hot",
]


def _ops():
    from d2lmods.ops import nn_ops

    return nn_ops


def _shape(t) -> tuple:
    return tuple(t.shape)


def _activations():
    from d2lmods.ops import activations

    return activations


def _inplace():
    from d2lmods.ops import inplace

    return inplace


def _losses():
    from d2lmods.ops import losses

    return losses


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """``reduction`` from the deprecated ``size_average``/``reduce`` flags, warning as torch does."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return ret


def _reduce(loss, reduction: str, fn: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(
        f"{fn}: {reduction} is not a valid value for reduction (use 'mean', 'sum' or 'none')"
    )


# ----------------------------------------------------------------------------- activations
def relu(input, inplace: bool = False):
    """``max(0, x)``; ``inplace=True`` overwrites ``input`` and returns it."""
    return input.relu_() if inplace else input.relu()


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` where ``x > 0``, else ``negative_slope * x``; ``inplace=True`` overwrites ``input``."""
    if inplace:
        return _inplace().inplace_unary(
            input, _activations().leaky_relu, "leaky_relu_", negative_slope, _inplace=True
        )
    return _activations().leaky_relu(input, negative_slope)


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate="tanh"`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"approximate argument must be either none or tanh. (got {approximate!r})"
        )
    return _activations().gelu(input, approximate)


_BACKWARD1 = ("elu", "selu", "celu", "threshold")  # torch's in-place forms record *Backward1


def _maybe_inplace(input, inplace, name, *args):
    op = getattr(_activations(), name)
    if inplace:
        kw = {"_inplace": True} if name in _BACKWARD1 else {}
        return _inplace().inplace_unary(input, op, name + "_", *args, **kw)
    return op(input, *args)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _maybe_inplace(input, inplace, "elu", alpha)


def selu(input, inplace: bool = False):
    """``scale * elu(x, alpha)`` with the self-normalizing constants of Klambauer et al."""
    return _maybe_inplace(input, inplace, "selu")


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(input, inplace, "celu", alpha)


def silu(input, inplace: bool = False):
    """``x * sigmoid(x)`` (also called swish)."""
    return _maybe_inplace(input, inplace, "silu")


def mish(input, inplace: bool = False):
    """``x * tanh(softplus(x))``."""
    return _maybe_inplace(input, inplace, "mish")


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``."""
    return _activations().softplus(input, beta, threshold)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """``x`` clipped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, inplace, "hardtanh", min_val, max_val)


def relu6(input, inplace: bool = False):
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    """``log(sigmoid(x))`` computed without overflow."""
    return _activations().logsigmoid(input)


def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6``."""
    return _maybe_inplace(input, inplace, "hardswish")


def hardsigmoid(input, inplace: bool = False):
    """``relu6(x + 3) / 6``."""
    return _maybe_inplace(input, inplace, "hardsigmoid")


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _maybe_inplace(input, inplace, "threshold", threshold, value)


def glu(input, dim: int = -1):
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``."""
    return _activations().glu(input, dim)


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x`` (``weight``: one value or one per channel)."""
    return _activations().prelu(input, weight)


def sigmoid(input):
    """``1 / (1 + exp(-x))``."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent."""
    return input.tanh()


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        f"include dim=X as an argument.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """Exponentiate and normalize along ``dim`` so each slice sums to 1."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _ops().softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """``log(softmax(x))`` computed without overflow."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return _ops().log_softmax(input, dim)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """``softmax(-x)`` along ``dim``: the smallest entries get the largest weights."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmin")
    if dtype is not None:
        input = input.to(dtype)
    return _ops().softmax(-input, dim)


class _DefaultTraining(int):
    """``training`` left at its default (True): inside a forward, ``eval()`` does not reach it."""

    def __repr__(self):
        return "True"


_TRAINING_DEFAULT = _DefaultTraining(1)


def dropout(input, p: float = 0.5, training: bool = _TRAINING_DEFAULT, inplace: bool = False):
    """Zero each element with probability ``p`` and scale the survivors by ``1/(1-p)``
    (only when ``training``; in a module's forward pass ``training=self.training``)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if training is _TRAINING_DEFAULT:
        _loop.functional_dropout(p)
    if not training or p == 0.0:
        return input
    from d2lmods._tensor.core import wrap

    arr = input._data
    if p == 1.0:
        mask = np.zeros(arr.shape, dtype=arr.dtype)
    else:
        keep = _random_uniform(arr.shape) >= p
        mask = keep.astype(arr.dtype) * arr.dtype.type(1.0 / (1.0 - p))
    return input * wrap(mask)


def _random_uniform(shape) -> np.ndarray:
    from d2lmods.random import default_generator

    return default_generator().random(shape, dtype=np.float32)


# ----------------------------------------------------------------------------- layers
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``."""
    return _ops().linear(input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of ``(N, C, H, W)`` with ``weight`` of shape
    ``(out_channels, C // groups, kH, kW)``; ``padding`` may be ``"same"``/``"valid"``."""
    return _ops().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of ``(N, C, L)`` with ``weight`` of shape
    ``(out_channels, C // groups, k)``; ``padding`` may be ``"same"``/``"valid"``."""
    from d2lmods.ops import conv

    return conv.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed 2-D convolution (the adjoint of ``conv2d``) of ``(N, C_in, H, W)`` with
    ``weight`` of shape ``(C_in, out_channels // groups, kH, kW)``."""
    from d2lmods.ops import conv

    return conv.conv_transpose2d(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Maximum over ``kernel_size`` windows (``stride`` defaults to ``kernel_size``)."""
    return _ops().max_pool2d(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over ``kernel_size`` windows (``stride`` defaults to ``kernel_size``)."""
    return _ops().avg_pool2d(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def adaptive_avg_pool2d(input, output_size):
    """Average-pool to ``output_size`` (an int or ``(H, W)``; ``None`` keeps that size)."""
    return _ops().adaptive_avg_pool2d(input, output_size)


def _single(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name} must be an int or a tuple of one int, got {v!r}")
        return int(v[0])
    return int(v)


def _pool1d_input(input, fn):
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"{fn}() Expected 2D or 3D input tensor, but got {list(input.shape)}{_where()}"
        )
    return input.unsqueeze(-2)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Maximum over ``kernel_size`` windows of ``(N, C, L)`` (a 2-D pool over height 1)."""
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else _single(stride, "stride")
    r = max_pool2d(
        _pool1d_input(input, "max_pool1d"),
        (1, k),
        (1, s),
        (0, _single(padding, "padding")),
        (1, _single(dilation, "dilation")),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over ``kernel_size`` windows of ``(N, C, L)`` (a 2-D pool over height 1)."""
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else _single(stride, "stride")
    return avg_pool2d(
        _pool1d_input(input, "avg_pool1d"),
        (1, k),
        (1, s),
        (0, _single(padding, "padding")),
        ceil_mode,
        count_include_pad,
    ).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    """Average-pool ``(N, C, L)`` to length ``output_size``."""
    size = _single(output_size, "output_size")
    return adaptive_avg_pool2d(_pool1d_input(input, "adaptive_avg_pool1d"), (1, size)).squeeze(-2)


# ----------------------------------------------------------------------------- normalization
def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalize each channel (dim 1) with the batch's statistics when ``training``
    (updating ``running_mean``/``running_var`` in place) or with the running ones."""
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(
            f"batch_norm expects an input with a batch and a channel dimension "
            f"(N, C, ...), got shape {shape}"
        )
    axes = (0,) + tuple(range(2, len(shape)))
    if training:
        count = int(np.prod([shape[a] for a in axes]))
        if count <= 1:
            raise ValueError(texts.batch_norm_single(shape, _where()))
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    from d2lmods.ops.normalization import batch_norm as _batch_norm

    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing dimensions ``normalized_shape`` of each sample."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = _shape(input)
    if shape[len(shape) - len(ns) :] != ns:
        raise RuntimeError(texts.layer_norm_shape(ns, shape, _where()))
    axes = tuple(range(len(shape) - len(ns), len(shape)))
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ----------------------------------------------------------------------------- embedding
def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of ``weight`` picked by the integer ids in ``input``."""
    idx = np.asarray(input._data if hasattr(input, "_data") else input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(texts.embedding_dtype(idx.dtype, _where()))
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(texts.embedding_range(bad, n, int(idx.max()), _where()))
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return _embedding(weight, idx.astype(np.int64, copy=False), padding_idx)


def one_hot(tensor, num_classes: int = -1):
    """``(…,)`` class ids -> ``(…, num_classes)`` int64 one-hot rows."""
    import d2lmods

    idx = np.asarray(tensor._data)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    k = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return d2lmods.tensor(np.eye(k, dtype=np.int64)[idx])


# ----------------------------------------------------------------------------- losses
def mse_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    weight=None,
    _stacklevel: int = 2,
):
    """Mean squared error; warns (like PyTorch, plus the fix) when the shapes differ and
    would broadcast into an (N, N) matrix of wrong differences."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    si, st = _shape(input), _shape(target)
    if si != st:
        warnings.warn(texts.mse_shapes(si, st, _where()), UserWarning, stacklevel=user_stacklevel())
    if (
        weight is not None
    ):  # torch 2.13's weighted MSE: sum(weight * (input - target) ** 2) / sum(weight)
        if _shape(weight) != si:
            raise ValueError(
                f"Weights and input must have the same size. (weight shape {_shape(weight)}, "
                f"input shape {si})"
            )
        diff = input - target
        weighted = weight * diff * diff
        if reduction == "mean":
            return weighted.sum() / weight.sum()
        return _reduce(weighted, reduction, "mse_loss")
    return _losses().mse_loss(input, target, reduction)


def _check_class_targets(input, target, fn: str):
    """Explain wrong targets for cross_entropy / nll_loss before the kernel sees them.

    Returns ``"indices"`` or ``"probs"`` (targets that are class probabilities)."""
    si, st = _shape(input), _shape(target)
    tkind = target._data.dtype.kind
    if len(si) == 0:
        raise ValueError(f"{fn}: input must have a class dimension (N, C) or (C,), got a scalar")
    if tkind == "f":
        if st == si:
            return "probs"
        if len(st) == len(si) - 1:
            raise RuntimeError(texts.float_indices(fn, st, target.dtype, _where()))
        raise RuntimeError(texts.probs_shape(fn, si, st, _where()))
    if tkind not in "iu":
        raise RuntimeError(
            f"{fn}: target must be integer class indices or float probabilities, "
            f"got {target.dtype}{_where()}"
        )
    if st == si and len(si) >= 2:
        raise RuntimeError(texts.one_hot_ints(fn, si, _where()))
    if target._data.dtype not in (np.int64, np.uint8):
        # torch's kernels take int64 (Long) or uint8 (Byte) class indices only
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_torch_name(target)}"
            f"{_where()}: {fn} takes int64 class indices; convert the labels with y.long()"
        )
    expected = si[:1] + si[2:] if len(si) >= 2 else ()
    if st != expected:
        text = texts.target_shape(fn, expected, si, st, _where())
        if len(si) >= 2 and st and st[0] != si[0]:
            text = (
                f"Expected input batch_size ({si[0]}) to match target batch_size ({st[0]}). " + text
            )
        raise ValueError(text)
    return "indices"


def _torch_name(t) -> str:
    return t.dtype.torch_name


def _check_weight_dtype(input, weight, fn: str) -> None:
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {_torch_name(input)} but found {_torch_name(weight)}{_where()}: "
            f"{fn}'s weight must have the input's dtype ({input.dtype}); convert it with "
            f"weight.to({input.dtype})"
        )


def _check_range(target, n_classes: int, ignore_index: int, fn: str) -> None:
    t = target._data
    if t.size == 0:
        return
    valid = t[t != ignore_index]
    if valid.size == 0:
        return
    lo, hi = int(valid.min()), int(valid.max())
    if lo < 0 or hi >= n_classes:
        n_bad = int(((valid < 0) | (valid >= n_classes)).sum())
        raise IndexError(texts.target_range(fn, n_classes, lo, hi, n_bad, _where()))


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Softmax cross-entropy between raw scores ``(N, C)`` and class indices ``(N,)`` (or
    class probabilities of shape ``(N, C)``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _loop.loss_input("cross_entropy", input, target, _where())
    kind = _check_class_targets(input, target, "cross_entropy")
    _check_weight_dtype(input, weight, "cross_entropy")
    if kind == "indices":
        _check_range(
            target, input.shape[1 if input.dim() >= 2 else 0], ignore_index, "cross_entropy"
        )
    return _ops().cross_entropy(
        input,
        target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """Negative log-likelihood: ``-input[i, target[i]]`` averaged (input holds log-probabilities)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _loop.loss_input("nll_loss", input, target, _where())
    if _check_class_targets(input, target, "nll_loss") == "probs":
        raise RuntimeError(texts.nll_probs(_shape(input), _where()))
    _check_weight_dtype(input, weight, "nll_loss")
    _check_range(target, input.shape[1 if input.dim() >= 2 else 0], ignore_index, "nll_loss")
    return _ops().nll_loss(
        input, target, weight=weight, ignore_index=ignore_index, reduction=reduction
    )


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """``-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]`` computed stably from logits."""
    _loop.loss_input("binary_cross_entropy_with_logits", input, target, _where())
    si, st = _shape(input), _shape(target)
    if si != st:
        raise ValueError(texts.bce_shapes(si, st, _where()))
    reduction = legacy_reduction(size_average, reduce, reduction)
    if target._data.dtype.kind != "f" and input._data.dtype.kind == "f":
        raise RuntimeError(
            f"result type {_torch_name(input)} can't be cast to the desired output type "
            f"{_torch_name(target)}{_where()}: binary_cross_entropy_with_logits takes float "
            "targets (0. or 1., or probabilities); convert them with y.float()"
        )
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and t.requires_grad:
            raise RuntimeError(
                "The function 'binary_cross_entropy_with_logits' is not differentiable with "
                f"respect to argument '{name}'. This input cannot have requires_grad True."
            )
    return _losses().binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)


def _warn_shapes(input, target):
    si, st = _shape(input), _shape(target)
    if si != st:
        warnings.warn(texts.mse_shapes(si, st, _where()), UserWarning, stacklevel=user_stacklevel())


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``; warns when the shapes differ."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _warn_shapes(input, target)
    loss = (input - target).abs()
    with np.errstate(all="ignore"):  # the mean of no elements: nan, silently as in torch
        if weight is not None:  # torch 2.13's weighted L1: sum(w |d|) / sum(w)
            _check_loss_weight(input, weight)
            loss = loss * weight
            if reduction == "mean":
                return loss.sum() / weight.sum()
        return _reduce(loss, reduction, "l1_loss")


def _check_loss_weight(input, weight):
    if _shape(weight) != _shape(input):
        raise ValueError(
            f"Weights and input must have the same size. (weight shape {_shape(weight)}, input "
            f"shape {_shape(input)})"
        )


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``);
    ``beta=0`` is the L1 loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _warn_shapes(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        with np.errstate(all="ignore"):
            return _reduce((input - target).abs(), reduction, "smooth_l1_loss")
    return _losses().smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _warn_shapes(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:  # torch 2.13: the elementwise loss times the weight, then reduced
        _check_loss_weight(input, weight)
        loss = _losses().huber_loss(input, target, "none", delta) * weight
        with np.errstate(all="ignore"):
            return _reduce(loss, reduction, "huber_loss")
    return _losses().huber_loss(input, target, reduction, delta)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """``-w [t log(x) + (1 - t) log(1 - x)]`` for probabilities ``input`` (after a sigmoid);
    the logs are clamped to ``>= -100``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _loop.loss_input("binary_cross_entropy", input, target, _where())
    si, st = _shape(input), _shape(target)
    if si != st:
        raise ValueError(
            f"Using a target size ({_size(st)}) that is different to the input size "
            f"({_size(si)}) is deprecated. Please ensure they have the same size.{_where()} "
            "Reshape the target to the input's shape, e.g. y.reshape(y_hat.shape)."
        )
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Found dtype {_torch_name(target)} but expected {_torch_name(input)}{_where()}: "
            f"binary_cross_entropy takes float targets of the input's dtype; convert them with "
            f"y.to({input.dtype})"
        )
    return _losses().binary_cross_entropy(input, target, weight, reduction)


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


_KL_MEAN = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release."
)


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target: bool = False
):
    """KL divergence ``target * (log(target) - input)`` summed: ``input`` holds
    log-probabilities (``log_softmax``), ``target`` probabilities (log-probabilities with
    ``log_target=True``); ``reduction="batchmean"`` is the KL divergence per sample."""
    from d2lmods._tensor.core import wrap

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(_KL_MEAN, UserWarning, stacklevel=user_stacklevel())
    if log_target:
        loss = target.exp() * (target - input)
    elif target.requires_grad:
        with np.errstate(all="ignore"):  # xlogy: 0 where the target is 0 (its gradient nan)
            loss = (target * target.log()).where(target != 0, 0.0) - target * input
    else:
        td = target._data
        with np.errstate(all="ignore"):
            xlogy = np.where(td == 0, 0, td * np.log(td)).astype(td.dtype, copy=False)
        loss = wrap(xlogy) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduce(loss, reduction, "kl_div")


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``: each slice gets norm 1."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return input / denom


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))`` along ``dim`` (the shapes broadcast)."""
    from d2lmods._tensor.core import wrap

    if x1._data.dtype.kind != "f" and x2._data.dtype.kind != "f":
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is "
            f"{_torch_name(x1)}{_where()}: cosine_similarity takes float tensors; convert them "
            "with .float()"
        )
    shape = np.broadcast_shapes(_shape(x1), _shape(x2)) if _shape(x1) != _shape(x2) else None
    if shape is not None:
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    parts = []
    for x in (x1, x2):
        n = x.norm(2, dim, keepdim=True)
        nd = n._data
        # torch clamps the norms in place without recording it: the gradient ignores the clamp
        parts.append(x / (n + wrap(np.maximum(nd, eps) - nd)))
    return (parts[0] * parts[1]).sum(dim)


def pad(input, pad, mode: str = "constant", value=None):
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dimensions:
    ``pad = (left, right, top, bottom, ...)`` from the last dimension backwards; ``mode`` is
    ``"constant"`` (``value``, default 0), ``"reflect"``, ``"replicate"`` or ``"circular"``."""
    from d2lmods.ops.padding import pad as _pad

    return _pad(input, pad, mode, value)
