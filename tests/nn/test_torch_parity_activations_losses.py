"""Activations and losses a student meets while building models, against torch 2.13: values,
gradients, ``grad_fn`` names, module reprs, argument errors, reductions and dtypes; and
finite-difference gradient checks in float64.

Each case is PyTorch code with only the import changed, run by ``tests._parity.same``.
"""

import numpy as np
import pytest

import d2lmods
from tests._parity import Cases, same, t32 as _t
from tests.ops.test_ops_gradcheck import fd_check

pytestmark = pytest.mark.oracle

CASES = Cases()
case = CASES.case

# values around every kink and saturation point, and far out (overflow of exp)
_X = [-30.0, -4.0, -3.0, -2.5, -1.0, -0.5, 0.0, 0.3, 1.0, 2.0, 3.0, 3.5, 6.0, 7.0, 25.0, 90.0]


def _run(lib, fn, values=_X, dtype=None):
    x = _t(lib, values, requires_grad=True)
    if dtype is not None:
        x = lib.tensor(np.asarray(values), dtype=getattr(lib, dtype), requires_grad=True)
    y = fn(x)
    w = lib.tensor(np.linspace(-1.5, 2.0, y.numel()).reshape(tuple(y.shape)), dtype=y.dtype)
    (y * w).sum().backward()
    return y, x.grad, type(y.grad_fn).__name__, y.dtype


_ACTS = {
    "elu": lambda F, x: F.elu(x),
    "elu_alpha": lambda F, x: F.elu(x, alpha=0.3),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, alpha=2.0),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "softplus": lambda F, x: F.softplus(x),
    "softplus_beta": lambda F, x: F.softplus(x, beta=2.0, threshold=5.0),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "hardtanh_range": lambda F, x: F.hardtanh(x, -2.5, 3.0),
    "relu6": lambda F, x: F.relu6(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "softsign": lambda F, x: F.softsign(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.3, -7.0),
    "glu": lambda F, x: F.glu(x.reshape(4, 4), dim=0),
    "glu_last": lambda F, x: F.glu(x.reshape(2, 8)),
    "softmin": lambda F, x: F.softmin(x.reshape(4, 4) / 10, dim=1),
    "prelu": lambda F, x: F.prelu(x, x.new_tensor([0.1])),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_ACTS))
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_activation_values_gradients_grad_fn(name, dtype):
    same(lambda lib: _run(lib, lambda x: _ACTS[name](lib.nn.functional, x), dtype=dtype))


_MODULES = {
    "ELU": lambda nn: nn.ELU(),
    "ELU_alpha_inplace": lambda nn: nn.ELU(alpha=0.5, inplace=True),
    "CELU": lambda nn: nn.CELU(alpha=0.5),
    "SELU": lambda nn: nn.SELU(),
    "SELU_inplace": lambda nn: nn.SELU(inplace=True),
    "SiLU": lambda nn: nn.SiLU(),
    "SiLU_inplace": lambda nn: nn.SiLU(True),
    "Mish": lambda nn: nn.Mish(),
    "Hardswish": lambda nn: nn.Hardswish(),
    "Hardswish_inplace": lambda nn: nn.Hardswish(inplace=True),
    "Hardsigmoid": lambda nn: nn.Hardsigmoid(),
    "Softplus": lambda nn: nn.Softplus(beta=0.5, threshold=10),
    "ReLU6": lambda nn: nn.ReLU6(),
    "ReLU6_inplace": lambda nn: nn.ReLU6(inplace=True),
    "Hardtanh": lambda nn: nn.Hardtanh(-2.0, 2.0),
    "Hardtanh_inplace": lambda nn: nn.Hardtanh(inplace=True),
    "LogSigmoid": lambda nn: nn.LogSigmoid(),
    "Softsign": lambda nn: nn.Softsign(),
    "Tanhshrink": lambda nn: nn.Tanhshrink(),
    "Threshold": lambda nn: nn.Threshold(0.1, 20),
    "Threshold_inplace": lambda nn: nn.Threshold(0.1, 20.0, True),
    "GLU": lambda nn: nn.GLU(),
    "GLU_dim": lambda nn: nn.GLU(dim=1),
    "Softmin": lambda nn: nn.Softmin(dim=1),
    "Softmin_none": lambda nn: nn.Softmin(),
    "PReLU": lambda nn: nn.PReLU(),
    "PReLU_channels": lambda nn: nn.PReLU(4, init=0.1),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_MODULES))
def test_module_repr_and_output(name):
    def snippet(lib):
        m = _MODULES[name](lib.nn)
        x = _t(lib, np.linspace(-4, 4, 24).reshape(2, 4, 3), requires_grad=True)
        y = m(x * 1)  # in-place modules write into the product, not the leaf
        y.sum().backward()
        params = [(n, p.shape, p.requires_grad) for n, p in m.named_parameters()]
        grads = [p.grad for p in m.parameters()]
        return repr(m), y, x.grad, params, grads

    same(snippet, warns=name != "Softmin_none")


@case()
def inplace_functional_forms_return_their_input(lib):
    F = lib.nn.functional
    out = []
    for fn in [
        lambda x: F.elu(x, inplace=True),
        lambda x: F.selu(x, inplace=True),
        lambda x: F.celu(x, inplace=True),
        lambda x: F.silu(x, inplace=True),
        lambda x: F.mish(x, inplace=True),
        lambda x: F.hardtanh(x, inplace=True),
        lambda x: F.relu6(x, inplace=True),
        lambda x: F.hardswish(x, inplace=True),
        lambda x: F.hardsigmoid(x, inplace=True),
        lambda x: F.threshold(x, 0.5, 9.0, inplace=True),
    ]:
        x = _t(lib, _X)
        y = fn(x)
        out.append((y is x, x))
    return out


@case()
def inplace_activation_gradient(lib):
    a = _t(lib, _X, requires_grad=True)
    y = lib.nn.functional.elu(a * 2, inplace=True)
    y.sum().backward()
    return y, a.grad


@case()
def inplace_forms_record_torchs_nodes(lib):
    F = lib.nn.functional
    out = []
    for fn in [
        lambda x: F.elu(x, inplace=True),
        lambda x: F.selu(x, inplace=True),
        lambda x: F.celu(x, inplace=True),
        lambda x: F.silu(x, inplace=True),
        lambda x: F.mish(x, inplace=True),
        lambda x: F.hardtanh(x, inplace=True),
        lambda x: F.hardswish(x, inplace=True),
        lambda x: F.hardsigmoid(x, inplace=True),
        lambda x: F.threshold(x, 0.5, 9.0, inplace=True),
        lambda x: F.leaky_relu(x, 0.2, inplace=True),
    ]:
        a = _t(lib, _X, requires_grad=True)
        y = fn(a * 1)
        y.sum().backward()
        out.append((type(y.grad_fn).__name__, y, a.grad))
    return out


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name",
    ["elu", "selu", "celu", "silu", "mish", "softplus", "logsigmoid", "hardswish", "hardsigmoid"],
)
def test_integer_input_is_refused_like_torch(name):
    same(lambda lib: getattr(lib.nn.functional, name)(lib.tensor([-2, 1, 7])), message="prefix")


@case()
def integer_inputs_that_torch_accepts(lib):
    F = lib.nn.functional
    x = lib.tensor([-2, 1, 7])
    return F.hardtanh(x), F.relu6(x), F.threshold(x, 0, 5), F.softsign(x), F.tanhshrink(x)


@case(message="prefix")
def glu_of_integers(lib):
    lib.nn.functional.glu(lib.tensor([1, 2]))


@case()
def prelu_per_channel_weight_gradient(lib):
    x = _t(lib, np.linspace(-3, 3, 24).reshape(2, 3, 4), requires_grad=True)
    w = _t(lib, [0.1, 0.2, 0.3], requires_grad=True)
    y = lib.nn.functional.prelu(x, w)
    (y * y).sum().backward()
    return y, x.grad, w.grad, type(y.grad_fn).__name__


@case()
def prelu_module_state_dict_and_dtype(lib):
    m = lib.nn.PReLU(3, dtype=lib.float64)
    return list(m.state_dict()), m.weight, m.weight.dtype


@case()
def activations_keep_float64(lib):
    F = lib.nn.functional
    x = lib.tensor([-1.0, 0.5], dtype=lib.float64)
    return [
        f(x).dtype
        for f in (F.elu, F.selu, F.silu, F.mish, F.softplus, F.hardtanh, F.logsigmoid, F.softsign)
    ]


@case(message="equal")
def celu_alpha_zero(lib):
    lib.nn.functional.celu(_t(lib, [1.0]), alpha=0.0)


@case(message="equal")
def hardtanh_min_above_max(lib):
    lib.nn.functional.hardtanh(_t(lib, [1.0]), 2.0, 1.0)


@case(message="equal")
def hardtanh_module_min_above_max(lib):
    lib.nn.Hardtanh(2.0, 1.0)


@case(message="equal")
def glu_odd_dimension(lib):
    lib.nn.functional.glu(_t(lib, [1.0, 2.0, 3.0]))


@case(message="equal")
def glu_of_a_scalar(lib):
    lib.nn.functional.glu(_t(lib, 1.0))


@case(message="prefix")
def prelu_channel_mismatch(lib):
    lib.nn.PReLU(2)(lib.zeros(4, 3))


@case()
def softmin_without_dim_warns(lib):
    return lib.nn.functional.softmin(_t(lib, [[1.0, 2.0], [0.0, 3.0]]))


# ---- losses --------------------------------------------------------------------------------

_P = [0.0, 1e-30, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]  # probabilities, the ends included
_Y = [0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.2, 1.0]
_D = [-3.0, -1.0, -0.6, 0.0, 0.2, 0.99, 1.0, 2.5]  # differences around beta/delta = 1


def _loss_run(lib, fn, x, t, grad_target=True):
    x = _t(lib, x, requires_grad=True)
    t = _t(lib, t, requires_grad=grad_target)
    y = fn(x, t)
    w = lib.tensor(np.linspace(-1.5, 2.0, max(y.numel(), 1)).reshape(tuple(y.shape)), dtype=y.dtype)
    (y * w).sum().backward()
    return y, x.grad, t.grad if grad_target else None, type(y.grad_fn).__name__


_LOSSES = {
    "bce": (lambda F, r, x, t: F.binary_cross_entropy(x, t, reduction=r), _P, _Y),
    "bce_weight": (
        lambda F, r, x, t: F.binary_cross_entropy(
            x.reshape(2, 4), t.reshape(2, 4), weight=x.new_tensor([1.0, 2.0, 0.5, 3.0]), reduction=r
        ),
        _P,
        _Y,
    ),
    "l1": (lambda F, r, x, t: F.l1_loss(x, t, reduction=r), _D, [0.0] * 8),
    "smooth_l1": (lambda F, r, x, t: F.smooth_l1_loss(x, t, reduction=r), _D, [0.0] * 8),
    "smooth_l1_beta": (
        lambda F, r, x, t: F.smooth_l1_loss(x, t, reduction=r, beta=0.5),
        _D,
        [0.1] * 8,
    ),
    "smooth_l1_beta0": (
        lambda F, r, x, t: F.smooth_l1_loss(x, t, reduction=r, beta=0.0),
        _D,
        [0.1] * 8,
    ),
    "huber": (lambda F, r, x, t: F.huber_loss(x, t, reduction=r), _D, [0.0] * 8),
    "huber_delta": (lambda F, r, x, t: F.huber_loss(x, t, reduction=r, delta=2.0), _D, [0.5] * 8),
    "kl_div": (
        lambda F, r, x, t: F.kl_div(x.reshape(2, 4), t.reshape(2, 4), reduction=r),
        _D,
        [0.0, 0.2, 0.3, 0.5, 0.1, 0.1, 0.4, 0.4],
    ),
    "kl_div_log_target": (
        lambda F, r, x, t: F.kl_div(x.reshape(2, 4), t.reshape(2, 4), reduction=r, log_target=True),
        _D,
        [-1.0, -0.2, -3.0, -0.5, -0.1, -2.1, -0.4, -0.4],
    ),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_loss_values_gradients_grad_fn(name, reduction):
    fn, x, t = _LOSSES[name]
    if reduction == "batchmean" and not name.startswith("kl_div"):
        reduction = "bad"  # the other losses refuse it
    same(lambda lib: _loss_run(lib, lambda a, b: fn(lib.nn.functional, reduction, a, b), x, t))


_LOSS_MODULES = {
    "BCELoss": (lambda nn: nn.BCELoss(), _P, _Y),
    "BCELoss_weight_sum": (
        lambda nn: nn.BCELoss(weight=lib_weight(nn), reduction="sum"),
        _P,
        _Y,
    ),
    "L1Loss": (lambda nn: nn.L1Loss(), _D, [0.3] * 8),
    "L1Loss_none": (lambda nn: nn.L1Loss(reduction="none"), _D, [0.3] * 8),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(beta=0.5), _D, [0.3] * 8),
    "HuberLoss": (lambda nn: nn.HuberLoss(delta=0.5), _D, [0.3] * 8),
    "KLDivLoss": (lambda nn: nn.KLDivLoss(reduction="batchmean"), _D, [0.1] * 8),
    "KLDivLoss_log": (lambda nn: nn.KLDivLoss(reduction="sum", log_target=True), _D, _D),
}


def lib_weight(nn):
    lib = __import__(nn.__name__.split(".")[0])
    return _t(lib, [1.0, 2.0, 0.5, 3.0, 1.0, 1.0, 0.0, 2.0])


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_LOSS_MODULES))
def test_loss_module_repr_and_value(name):
    make, x, t = _LOSS_MODULES[name]

    def snippet(lib):
        m = make(lib.nn)
        return (repr(m), m.reduction, *_loss_run(lib, m, x, t, grad_target=False))

    same(snippet)


@case()
def bce_clamps_the_log_at_minus_100(lib):
    F = lib.nn.functional
    x = _t(lib, [0.0, 1.0, 0.0], requires_grad=True)
    y = F.binary_cross_entropy(x, _t(lib, [1.0, 0.0, 0.0]), reduction="none")
    y.sum().backward()
    return y, x.grad


@case()
def bce_float64(lib):
    x = lib.tensor([0.2, 0.9], dtype=lib.float64)
    return lib.nn.functional.binary_cross_entropy(x, lib.tensor([0.0, 1.0], dtype=lib.float64))


@case(message="prefix")
def bce_input_outside_0_1(lib):
    lib.nn.functional.binary_cross_entropy(_t(lib, [1.5, 0.2]), _t(lib, [1.0, 0.0]))


@case(message="prefix")
def bce_target_outside_0_1(lib):
    lib.nn.functional.binary_cross_entropy(_t(lib, [0.5, 0.2]), _t(lib, [2.0, 0.0]))


@case(message="prefix")
def bce_shape_mismatch(lib):
    lib.nn.BCELoss()(lib.rand(3, 1), lib.rand(3))


@case(message="prefix")
def bce_dtype_mismatch(lib):
    lib.nn.functional.binary_cross_entropy(_t(lib, [0.5]).double(), _t(lib, [1.0]))


@case(message="prefix")
def bce_integer_target(lib):
    lib.nn.functional.binary_cross_entropy(_t(lib, [0.5]), lib.tensor([1]))


@case(message="equal")
def smooth_l1_negative_beta(lib):
    lib.nn.functional.smooth_l1_loss(_t(lib, [0.5]), _t(lib, [1.0]), beta=-1.0)


@case(message="equal")
def huber_zero_delta(lib):
    lib.nn.functional.huber_loss(_t(lib, [0.5]), _t(lib, [1.0]), delta=0.0)


@case()
def l1_loss_warns_on_broadcasting_shapes(lib):
    return lib.nn.functional.l1_loss(_t(lib, [1.0, 2.0, 3.0]), _t(lib, [[1.0], [2.0], [3.0]]))


@case()
def l1_loss_float64(lib):
    a = lib.tensor([1.0, 2.0], dtype=lib.float64)
    return lib.nn.functional.l1_loss(a, _t(lib, [0.5, 0.5]))


@case()
def kl_div_mean_warns(lib):
    return lib.nn.functional.kl_div(_t(lib, [[-1.0, -0.5]]), _t(lib, [[0.4, 0.6]]))


@case(message="start")
def kl_div_bad_reduction(lib):
    lib.nn.functional.kl_div(_t(lib, [-1.0]), _t(lib, [0.5]), reduction="avg")


@case()
def kl_div_of_log_softmax_against_itself_is_zero(lib):
    p = lib.nn.functional.log_softmax(_t(lib, [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]), dim=1)
    return lib.nn.functional.kl_div(p, p.exp(), reduction="batchmean")


@case()
def losses_promote_mixed_float_dtypes(lib):
    F = lib.nn.functional
    x, t = lib.tensor([1.0, 2.0], dtype=lib.float64), _t(lib, [0.5, 0.0])
    return F.huber_loss(x, t), F.smooth_l1_loss(x, t), F.l1_loss(x, t)


@case()
def weighted_l1_and_huber(lib):
    F = lib.nn.functional
    x = _t(lib, [1.0, 2.0, 3.0], requires_grad=True)
    t, w = _t(lib, [0.0, 0.0, 5.0]), _t(lib, [1.0, 2.0, 0.5])
    out = []
    for r in ("mean", "sum", "none"):
        for fn in (F.l1_loss, F.huber_loss):
            x.grad = None
            y = fn(x, t, reduction=r, weight=w)
            y.sum().backward()
            out.append((y, x.grad))
    return out


@case(message="prefix")
def weighted_l1_of_another_shape(lib):
    lib.nn.functional.l1_loss(_t(lib, [1.0, 2.0]), _t(lib, [1.0, 2.0]), weight=_t(lib, [1.0]))


@case(message="prefix")
def weighted_huber_of_another_shape(lib):
    lib.nn.functional.huber_loss(_t(lib, [1.0, 2.0]), _t(lib, [1.0, 2.0]), weight=_t(lib, [1.0]))


@case()
def legacy_size_average_on_the_new_losses(lib):
    nn = lib.nn
    x, t = _t(lib, [0.2, 0.9]), _t(lib, [0.0, 1.0])
    return [
        (m.reduction, m(x, t))
        for m in (
            nn.L1Loss(size_average=False),
            nn.SmoothL1Loss(reduce=False),
            nn.BCELoss(size_average=False),
        )
    ]


@case(message="prefix")
def huber_of_integers(lib):
    lib.nn.functional.huber_loss(lib.tensor([1, 2]), lib.tensor([1, 2]))


@case(message="prefix")
def smooth_l1_of_integers(lib):
    lib.nn.functional.smooth_l1_loss(lib.tensor([1, 2]), lib.tensor([1, 2]))


@case()
def losses_of_empty_tensors_are_nan(lib):
    F = lib.nn.functional
    e = lib.zeros(0)
    return F.huber_loss(e, e), F.smooth_l1_loss(e, e), F.binary_cross_entropy(e, e), F.l1_loss(e, e)


@case()
def kl_div_edge_targets(lib):
    F = lib.nn.functional
    return (
        F.kl_div(lib.tensor(-1.0), lib.tensor(0.5), reduction="batchmean"),
        F.kl_div(_t(lib, [-1.0]), _t(lib, [-0.5]), reduction="sum"),
    )


@case(message="prefix")
def bce_of_nan(lib):
    lib.nn.functional.binary_cross_entropy(_t(lib, [float("nan")]), _t(lib, [1.0]))


@case()
def bce_weight_broadcasts(lib):
    F = lib.nn.functional
    return F.binary_cross_entropy(
        lib.full((2, 3), 0.25), lib.ones(2, 3), weight=_t(lib, [[1.0], [2.0]]), reduction="none"
    )


@case(message="prefix")
def bce_weight_that_does_not_broadcast(lib):
    lib.nn.functional.binary_cross_entropy(
        lib.full((2, 3), 0.5), lib.ones(2, 3), weight=_t(lib, [1.0, 2.0])
    )


# ---- normalize, cosine_similarity ----------------------------------------------------------


@case()
def normalize_rows_and_columns(lib):
    F = lib.nn.functional
    x = _t(lib, [[3.0, 4.0], [0.0, 0.0], [1.0, -2.0]], requires_grad=True)
    a = F.normalize(x)
    b = F.normalize(x, p=1.0, dim=0)
    (a * _t(lib, [[1.0, 2.0]]) + b).sum().backward()
    return a, b, x.grad, type(a.grad_fn).__name__


@case()
def cosine_similarity_values_and_gradients(lib):
    F = lib.nn.functional
    a = _t(lib, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, -1.0, 0.5]], requires_grad=True)
    b = _t(lib, [[2.0, 1.0, 0.0], [1.0, 1.0, 1.0], [-1.0, 1.0, -0.5]], requires_grad=True)
    y = F.cosine_similarity(a, b)
    (y * _t(lib, [1.0, 2.0, 3.0])).sum().backward()
    z = lib.nn.CosineSimilarity(dim=0)(a.detach(), b.detach()[:1])
    return y, a.grad, b.grad, type(y.grad_fn).__name__, z, repr(lib.nn.CosineSimilarity())


@case()
def normalize_bad_dim(lib):
    lib.nn.functional.normalize(_t(lib, [1.0, 2.0]), dim=1)


# ---- pad -----------------------------------------------------------------------------------

_PADS = {
    "constant_last": ((2, 3, 4), (1, 2), "constant", None),
    "constant_value": ((2, 3, 4), (1, 0, 2, 1), "constant", 1.5),
    "constant_crop": ((2, 3, 4), (-1, 2, 0, -1), "constant", None),
    "constant_all_dims": ((2, 3), (1, 1, 2, 0), "constant", -1.0),
    "reflect_1d": ((2, 3, 4), (3, 2), "reflect", None),
    "reflect_2d": ((1, 2, 3, 4), (1, 2, 2, 1), "reflect", None),
    "reflect_crop": ((2, 3, 4), (-1, 2), "reflect", None),
    "replicate_1d": ((2, 4), (5, 1), "replicate", None),
    "replicate_2d": ((2, 3, 4), (1, 3, 2, 0), "replicate", None),
    "replicate_3d": ((1, 2, 2, 3, 4), (1, 1, 0, 2, 1, 1), "replicate", None),
    "circular_1d": ((2, 3, 4), (2, 3), "circular", None),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_PADS))
def test_pad_values_gradients_grad_fn(name):
    shape, amounts, mode, value = _PADS[name]

    def snippet(lib):
        x = _t(lib, np.arange(np.prod(shape), dtype=np.float32).reshape(shape), requires_grad=True)
        kw = {} if value is None else {"value": value}
        y = lib.nn.functional.pad(x, amounts, mode=mode, **kw)
        w = lib.tensor(np.linspace(-1, 2, y.numel(), dtype=np.float32).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        name = type(y.grad_fn).__name__
        return y, x.grad, name

    same(snippet)


@case()
def pad_keeps_integer_dtype(lib):
    return lib.nn.functional.pad(lib.tensor([[1, 2, 3]]), (1, 1), value=7)


@case(message="equal")
def pad_odd_length(lib):
    lib.nn.functional.pad(_t(lib, [1.0, 2.0]), (1,))


@case(message="equal")
def pad_too_many_dimensions(lib):
    lib.nn.functional.pad(_t(lib, [1.0, 2.0]), (1, 1, 1, 1))


@case(message="equal")
def pad_reflect_of_a_vector(lib):
    lib.nn.functional.pad(_t(lib, [1.0, 2.0]), (1, 1), mode="reflect")


@case(message="Padding size should be less than the corresponding input dimension")
def pad_reflect_wider_than_the_input(lib):
    lib.nn.functional.pad(_t(lib, [[1.0, 2.0, 3.0]]), (3, 3), mode="reflect")


@case(message="equal")
def pad_replicate_with_a_value(lib):
    lib.nn.functional.pad(_t(lib, [[1.0, 2.0]]), (1, 1), mode="replicate", value=2.0)


@case(message="equal")
def pad_unknown_mode(lib):
    lib.nn.functional.pad(_t(lib, [[1.0, 2.0]]), (1, 1), mode="mirror")


@case(message="equal")
def pad_with_a_float_amount(lib):
    lib.nn.functional.pad(_t(lib, [[1.0, 2.0]]), (1.5, 1))


@case(message="equal")
def pad_circular_wrapping_twice(lib):
    lib.nn.functional.pad(_t(lib, [[1.0, 2.0]]), (3, 0), mode="circular")


@case(message="prefix")
def pad_cropping_more_than_the_input(lib):
    lib.nn.functional.pad(lib.ones(2, 2), (-3, 0))


@case()
def pad_with_a_list_and_with_nothing(lib):
    F = lib.nn.functional
    return F.pad(lib.ones(2, 2), [1, 1]), F.pad(lib.ones(2, 2), ())


@case(message="prefix")
def cosine_similarity_of_integers(lib):
    lib.nn.functional.cosine_similarity(lib.tensor([[1, 2]]), lib.tensor([[2, 1]]))


@case()
def cosine_similarity_edge_cases(lib):
    F = lib.nn.functional
    return (
        F.cosine_similarity(lib.ones(2, 3), _t(lib, [1.0, 2.0, 3.0])),
        F.cosine_similarity(lib.zeros(1, 3), lib.ones(1, 3)),
        F.normalize(_t(lib, [[1.0, -3.0]]), p=1),
    )


@case()
def prelu_shapes(lib):
    F = lib.nn.functional
    return F.prelu(lib.tensor(-2.0), _t(lib, [0.5])), F.prelu(_t(lib, [-2.0, 1.0]), _t(lib, [0.5]))


@case(message="prefix")
def prelu_weight_of_two_dimensions(lib):
    lib.nn.functional.prelu(_t(lib, [-2.0, 1.0]), _t(lib, [[0.5]]))


@case(message="equal")
def glu_dim_out_of_range(lib):
    lib.nn.functional.glu(lib.ones(2, 2), dim=3)


@case()
def softplus_with_a_large_beta(lib):
    return lib.nn.functional.softplus(_t(lib, [-100.0, 0.0, 100.0]), beta=50)


@pytest.mark.parametrize(("snippet", "message", "warns"), CASES)
def test_same_on_both(snippet, message, warns):
    same(snippet, message=message, warns=warns)


# ---- finite differences in float64 ---------------------------------------------------------


# away from the kinks (0, +-1, +-3, 6, thresholds) by more than the step
_SMOOTH = np.array([-5.0, -2.7, -1.3, -0.6, -0.2, 0.4, 0.8, 1.7, 2.6, 4.1, 6.8, 2.2])

_FD = {
    "elu": (lambda x: d2lmods.nn.functional.elu(x, 0.7), [_SMOOTH]),
    "selu": (lambda x: d2lmods.nn.functional.selu(x), [_SMOOTH]),
    "celu": (lambda x: d2lmods.nn.functional.celu(x, 1.5), [_SMOOTH]),
    "silu": (lambda x: d2lmods.nn.functional.silu(x), [_SMOOTH]),
    "mish": (lambda x: d2lmods.nn.functional.mish(x), [_SMOOTH]),
    "softplus": (lambda x: d2lmods.nn.functional.softplus(x, 2.0, 5.0), [_SMOOTH]),
    "hardtanh": (lambda x: d2lmods.nn.functional.hardtanh(x, -2.0, 2.0), [_SMOOTH]),
    "relu6": (lambda x: d2lmods.nn.functional.relu6(x), [_SMOOTH]),
    "logsigmoid": (lambda x: d2lmods.nn.functional.logsigmoid(x), [_SMOOTH]),
    "hardswish": (lambda x: d2lmods.nn.functional.hardswish(x), [_SMOOTH]),
    "hardsigmoid": (lambda x: d2lmods.nn.functional.hardsigmoid(x), [_SMOOTH]),
    "softsign": (lambda x: d2lmods.nn.functional.softsign(x), [_SMOOTH]),
    "tanhshrink": (lambda x: d2lmods.nn.functional.tanhshrink(x), [_SMOOTH]),
    "threshold": (lambda x: d2lmods.nn.functional.threshold(x, 0.1, 3.0), [_SMOOTH]),
    "glu": (lambda x: d2lmods.nn.functional.glu(x.reshape(3, 4), 1), [_SMOOTH]),
    "softmin": (lambda x: d2lmods.nn.functional.softmin(x.reshape(3, 4), 1), [_SMOOTH]),
    "prelu": (
        lambda x, w: d2lmods.nn.functional.prelu(x.reshape(2, 3, 2), w),
        [_SMOOTH, np.array([0.1, -0.2, 0.3])],
    ),
    "bce": (
        lambda x, t: d2lmods.nn.functional.binary_cross_entropy(x, t, reduction="sum"),
        [np.array([0.1, 0.35, 0.6, 0.9]), np.array([0.1, 0.3, 0.95, 0.8])],
    ),
    "bce_weight": (
        lambda x, t: d2lmods.nn.functional.binary_cross_entropy(
            x, t, weight=d2lmods.tensor([0.5, 2.0, 1.0, 3.0], dtype=d2lmods.float64)
        ),
        [np.array([0.1, 0.35, 0.6, 0.9]), np.array([0.1, 0.3, 0.95, 0.8])],
    ),
    "l1": (lambda x, t: d2lmods.nn.functional.l1_loss(x, t), [_SMOOTH, _SMOOTH[::-1]]),
    "smooth_l1": (
        lambda x, t: d2lmods.nn.functional.smooth_l1_loss(x, t, reduction="none", beta=0.8),
        [_SMOOTH, _SMOOTH[::-1] * 0.9],
    ),
    "huber": (
        lambda x, t: d2lmods.nn.functional.huber_loss(x, t, reduction="sum", delta=1.5),
        [_SMOOTH, _SMOOTH[::-1] * 0.9],
    ),
    "kl_div": (
        lambda x, t: d2lmods.nn.functional.kl_div(x.reshape(3, 4), t, reduction="batchmean"),
        [_SMOOTH, np.abs(_SMOOTH).reshape(3, 4) / 10],
    ),
    "kl_div_log_target": (
        lambda x, t: d2lmods.nn.functional.kl_div(x, t, reduction="sum", log_target=True),
        [_SMOOTH, -np.abs(_SMOOTH[::-1])],
    ),
    "normalize": (lambda x: d2lmods.nn.functional.normalize(x.reshape(3, 4)), [_SMOOTH]),
    "cosine_similarity": (
        lambda a, b: d2lmods.nn.functional.cosine_similarity(a.reshape(4, 3), b.reshape(4, 3)),
        [_SMOOTH, _SMOOTH[::-1] + 0.5],
    ),
    "pad_constant": (
        lambda x: d2lmods.nn.functional.pad(x.reshape(3, 4), (1, -1, 2, 0), value=0.5),
        [_SMOOTH],
    ),
    "pad_reflect": (
        lambda x: d2lmods.nn.functional.pad(x.reshape(1, 3, 4), (2, 3, 1, 2), mode="reflect"),
        [_SMOOTH],
    ),
    "pad_replicate": (
        lambda x: d2lmods.nn.functional.pad(x.reshape(3, 4), (3, 1), mode="replicate"),
        [_SMOOTH],
    ),
}


@pytest.mark.parametrize("name", sorted(_FD))
def test_gradient_matches_finite_differences(name):
    fn, arrays = _FD[name]
    fd_check(fn, [np.asarray(a, np.float64).copy() for a in arrays])
