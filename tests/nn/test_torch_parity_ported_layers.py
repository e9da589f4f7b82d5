"""Layers, ``nn.init``, losses and their functional forms: the shapes, arguments, reductions and
errors PyTorch's own tests check, for the layers a student builds models from.

Each case is PyTorch code with only the import changed, run by ``tests._parity.same`` on d2lmods
and on torch 2.13; values, exception types, warnings and (where marked) messages must agree.
Random draws differ between the libraries, so cases seed nothing and compare only what does not
depend on the draw (shapes, bounds, moments, fixed weights).
"""

import math

import numpy as np
import pytest

from tests._parity import Cases, same, t32 as _t

pytestmark = pytest.mark.oracle

CASES = Cases()
case = CASES.case


# ---- nn.init -------------------------------------------------------------------------------


@case()
def init_functions_return_their_tensor_and_keep_it_a_leaf(lib):
    init = lib.nn.init
    w = lib.nn.Parameter(lib.empty(3, 4))
    out = []
    for fn, args in [
        (init.uniform_, (-0.1, 0.1)),
        (init.normal_, (0.0, 0.01)),
        (init.constant_, (0.5,)),
        (init.ones_, ()),
        (init.zeros_, ()),
        (init.eye_, ()),
        (init.xavier_uniform_, ()),
        (init.xavier_normal_, ()),
        (init.kaiming_uniform_, ()),
        (init.kaiming_normal_, ()),
        (init.trunc_normal_, ()),
    ]:
        r = fn(w, *args)
        out.append((r is w, w.is_leaf, w.requires_grad, w.grad_fn is None, w.shape))
    return out


@case()
def init_values_that_do_not_depend_on_the_draw(lib):
    init = lib.nn.init
    return (
        init.constant_(lib.empty(2, 3), 0.25),
        init.ones_(lib.empty(2)),
        init.zeros_(lib.empty(2, 2)),
        init.eye_(lib.empty(2, 3)),
        init.eye_(lib.empty(3, 2)),
    )


@case(message="contains")
def eye_of_a_vector(lib):
    lib.nn.init.eye_(lib.empty(3))


@case(message="prefix")
def xavier_of_a_vector(lib):
    lib.nn.init.xavier_uniform_(lib.empty(3))


@case(message="prefix")
def kaiming_of_a_vector(lib):
    lib.nn.init.kaiming_normal_(lib.empty(3))


@case(message="contains")
def kaiming_with_a_bad_mode(lib):
    lib.nn.init.kaiming_uniform_(lib.empty(3, 3), mode="fan_both")


@case()
def fans_of_linear_and_conv_weights(lib):
    f = lib.nn.init._calculate_fan_in_and_fan_out
    return f(lib.empty(5, 3)), f(lib.empty(6, 4, 3, 3)), f(lib.empty(4, 2, 5))


@case()
def bounds_of_uniform_initializers(lib):
    init = lib.nn.init
    w = lib.empty(400, 300)
    out = []
    for fn, kw, bound in [
        (init.xavier_uniform_, {}, math.sqrt(6 / 700)),
        (init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(6 / 700)),
        (init.kaiming_uniform_, {}, math.sqrt(2) * math.sqrt(3 / 300)),
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(300)),
        (init.kaiming_uniform_, {"mode": "fan_out"}, math.sqrt(2) * math.sqrt(3 / 400)),
        (init.uniform_, {"a": -0.3, "b": 0.2}, 0.3),
    ]:
        fn(w, **kw)
        a = w.numpy()
        out.append((bool(abs(a).max() <= bound * (1 + 1e-6)), bool(abs(a).max() > 0.9 * bound)))
    return out


@case()
def moments_of_normal_initializers(lib):
    init = lib.nn.init
    w = lib.empty(500, 400)
    out = []
    for fn, kw, std in [
        (init.normal_, {"mean": 1.0, "std": 0.5}, 0.5),
        (init.xavier_normal_, {}, math.sqrt(2 / 900)),
        (init.kaiming_normal_, {}, math.sqrt(2 / 400)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "linear"}, math.sqrt(1 / 500)),
        (init.trunc_normal_, {"std": 0.02}, 0.02),
    ]:
        fn(w, **kw)
        a = w.numpy()
        out.append(round(float(a.std()) / std, 1))
    return out


@case()
def trunc_normal_stays_in_its_interval(lib):
    w = lib.nn.init.trunc_normal_(lib.empty(1000), mean=0.0, std=1.0, a=-0.5, b=0.5)
    a = w.numpy()
    return bool(a.min() >= -0.5), bool(a.max() <= 0.5)


@case()
def calculate_gain_values(lib):
    g = lib.nn.init.calculate_gain
    return [
        g("linear"),
        g("conv2d"),
        g("sigmoid"),
        g("tanh"),
        g("relu"),
        g("leaky_relu"),
        g("leaky_relu", 0.2),
        g("selu"),
    ]


@case(message="contains")
def calculate_gain_of_an_unknown(lib):
    lib.nn.init.calculate_gain("swish")


@case(message="contains")
def calculate_gain_with_a_bad_slope(lib):
    lib.nn.init.calculate_gain("leaky_relu", "x")


@case()
def init_under_a_model_apply(lib):
    nn = lib.nn

    def init(m):
        if type(m) is nn.Linear:
            nn.init.constant_(m.weight, 1)
            nn.init.zeros_(m.bias)

    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).apply(init)
    return net(lib.ones(1, 2)), net[0].weight.requires_grad


@case()
def default_init_bounds_of_linear(lib):
    m = lib.nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    return (
        bool(abs(w).max() <= bound),
        bool(abs(b).max() <= bound),
        bool(abs(w).max() > 0.9 * bound),
    )


# ---- layers: arguments and shapes ----------------------------------------------------------


@case()
def linear_shapes_and_parameters(lib):
    nn = lib.nn
    m = nn.Linear(3, 2)
    nb = nn.Linear(3, 2, bias=False)
    x = lib.ones(4, 5, 3)
    return (
        m(x).shape,
        m(lib.ones(3)).shape,
        nb.bias,
        [n for n, _ in nb.named_parameters()],
        m.weight.shape,
        m.in_features,
        m.out_features,
    )


@case()
def linear_with_zero_features(lib):
    m = lib.nn.Linear(0, 2)
    return m(lib.ones(3, 0)), m.weight.shape


@case()
def linear_fixed_weights_forward(lib):
    m = lib.nn.Linear(2, 2)
    with lib.no_grad():
        m.weight.copy_(_t(lib, [[1, 2], [3, 4]]))
        m.bias.copy_(_t(lib, [0.5, -0.5]))
    return m(_t(lib, [[1, 1], [2, 0]]))


@case(message="start")
def linear_input_of_the_wrong_width(lib):
    lib.nn.Linear(3, 2)(lib.ones(4, 5))


@case(message="Trying to create tensor with negative dimension -1")
def linear_with_negative_features(lib):
    lib.nn.Linear(-1, 2)


@case()
def linear_with_float_features(lib):
    try:
        lib.nn.Linear(2.0, 3)
    except TypeError:
        return "TypeError"
    return "built"


@case()
def functional_linear(lib):
    F = lib.nn.functional
    x = _t(lib, [[1, 2]])
    w = _t(lib, [[1, 0], [0, 1], [1, 1]])
    return F.linear(x, w), F.linear(x, w, _t(lib, [1, 1, 1]))


@case()
def identity_takes_any_arguments(lib):
    m = lib.nn.Identity(3, k=4)
    x = lib.ones(2)
    return m(x) is x, repr(m)


@case()
def flatten_and_unflatten_shapes(lib):
    nn = lib.nn
    x = lib.ones(2, 3, 4, 5)
    return (
        nn.Flatten()(x).shape,
        nn.Flatten(0)(x).shape,
        nn.Flatten(2, 3)(x).shape,
        nn.Flatten(-3, -2)(x).shape,
        nn.Flatten()(lib.ones(2)).shape,
        nn.Unflatten(1, (3, 1))(lib.ones(2, 3)).shape,
        nn.Unflatten(-1, (2, -1))(lib.ones(2, 6)).shape,
        nn.Unflatten(0, lib.Size([1, 2]))(lib.ones(2, 6)).shape,
        x.flatten().shape,
        x.flatten(1).shape,
        lib.flatten(x, 0, 1).shape,
        x.unflatten(1, (1, 3)).shape,
    )


@case(message="contains")
def flatten_dim_out_of_range(lib):
    lib.nn.Flatten(1, 5)(lib.ones(2, 3))


@case(message="contains")
def unflatten_to_the_wrong_size(lib):
    lib.nn.Unflatten(1, (2, 2))(lib.ones(2, 6))


@case()
def dropout_probabilities_accepted(lib):
    nn = lib.nn
    x = lib.ones(4, 4)
    return nn.Dropout(0.0)(x), nn.Dropout(1.0)(x), nn.Dropout(0.5).eval()(x)


@case(message="equal")
def dropout_negative_p(lib):
    lib.nn.Dropout(-0.1)


@case(message="equal")
def dropout_p_above_one(lib):
    lib.nn.Dropout(1.5)


@case(message="equal")
def functional_dropout_bad_p(lib):
    lib.nn.functional.dropout(lib.ones(2), p=2.0)


@case()
def dropout_keeps_scale(lib):
    lib.manual_seed(0)
    y = lib.nn.Dropout(0.25)(lib.ones(10000))
    a = y.numpy()
    vals = sorted({round(float(v), 4) for v in a})
    return vals, round(float(a.mean()), 1), y.requires_grad


@case()
def dropout_in_place(lib):
    x = lib.ones(3)
    y = lib.nn.Dropout(0.0, inplace=True)(x)
    return y.data_ptr() == x.data_ptr()


@case()
def functional_dropout_training_flag(lib):
    F = lib.nn.functional
    x = lib.ones(3)
    return F.dropout(x, 0.5, training=False), F.dropout(x, 0.0)


@case()
def activations_on_fixed_values(lib):
    nn = lib.nn
    x = _t(lib, [-2.0, -0.5, 0.0, 0.5, 2.0])
    return [
        m(x)
        for m in (
            nn.ReLU(),
            nn.LeakyReLU(),
            nn.LeakyReLU(0.2),
            nn.GELU(),
            nn.GELU(approximate="tanh"),
            nn.Sigmoid(),
            nn.Tanh(),
        )
    ]


@case()
def relu_in_place_and_its_gradient(lib):
    x = _t(lib, [-1.0, 2.0], requires_grad=True)
    y = x * 1
    z = lib.nn.ReLU(inplace=True)(y)
    z.sum().backward()
    return z is y, x.grad, type(z.grad_fn).__name__


@case()
def softmax_and_log_softmax_dims(lib):
    nn = lib.nn
    F = nn.functional
    x = _t(lib, [[1, 2, 3], [1, 1, 1]])
    return (
        nn.Softmax(dim=1)(x),
        nn.Softmax(dim=0)(x),
        nn.LogSoftmax(dim=-1)(x),
        F.softmax(x, dim=1),
        F.log_softmax(x, 1),
        x.softmax(0),
        lib.softmax(x, -1),
    )


@case()
def softmax_of_a_double_input_and_a_dtype(lib):
    x = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
    F = lib.nn.functional
    return F.softmax(x, dim=1), F.softmax(lib.tensor([[1.0, 2.0]]), dim=1, dtype=lib.float64)


@case(message="contains")
def softmax_dim_out_of_range(lib):
    lib.nn.Softmax(dim=2)(lib.ones(2, 2))


@case()
def embedding_lookup_shapes_and_padding(lib):
    nn = lib.nn
    e = nn.Embedding(5, 3, padding_idx=0)
    idx = lib.tensor([[0, 2], [4, 0]])
    out = e(idx)
    out.sum().backward()
    return (
        out.shape,
        e.weight[0],
        e.weight.grad[0],
        e.weight.grad[2],
        e.num_embeddings,
        e.padding_idx,
    )


@case()
def embedding_negative_padding_idx(lib):
    return lib.nn.Embedding(5, 2, padding_idx=-1).padding_idx


@case(message="contains")
def embedding_padding_idx_out_of_range(lib):
    lib.nn.Embedding(5, 2, padding_idx=5)


@case()
def embedding_from_pretrained(lib):
    w = _t(lib, [[1, 2], [3, 4]])
    e = lib.nn.Embedding.from_pretrained(w)
    f = lib.nn.Embedding.from_pretrained(w, freeze=False)
    return e(lib.tensor([1])), e.weight.requires_grad, f.weight.requires_grad


@case()
def embedding_with_float_indices(lib):
    try:
        lib.nn.Embedding(3, 2)(lib.tensor([1.0]))
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "ran"


@case()
def functional_one_hot(lib):
    F = lib.nn.functional
    return F.one_hot(lib.tensor([0, 2])), F.one_hot(lib.tensor([1]), num_classes=4)


@case()
def layer_norm_shapes_and_values(lib):
    nn = lib.nn
    ln = nn.LayerNorm(3)
    x = _t(lib, [[1, 2, 3], [2, 2, 5]])
    ln2 = nn.LayerNorm([2, 3], elementwise_affine=False)
    return ln(x), ln2(x), [n for n, _ in ln.named_parameters()], list(ln2.state_dict())


# ---- losses --------------------------------------------------------------------------------


def _pred(lib):
    return _t(lib, [[1.0, 2.0, 0.5], [0.1, -1.0, 3.0], [0.0, 0.0, 0.0], [2.0, 1.0, -1.0]])


@case()
def mse_loss_reductions(lib):
    nn = lib.nn
    F = nn.functional
    a = _t(lib, [[1, 2], [3, 4]])
    b = _t(lib, [[1, 0], [0, 4]])
    return (
        nn.MSELoss()(a, b),
        nn.MSELoss(reduction="sum")(a, b),
        nn.MSELoss(reduction="none")(a, b),
        F.mse_loss(a, b, reduction="sum"),
    )


@case(message="contains")
def mse_loss_unknown_reduction(lib):
    lib.nn.functional.mse_loss(lib.ones(2), lib.ones(2), reduction="avg")


@case(message="contains")
def loss_module_unknown_reduction(lib):
    lib.nn.MSELoss(reduction="avg")(lib.ones(2), lib.ones(2))


@case()
def mse_loss_of_a_target_that_requires_grad(lib):
    a = _t(lib, [1, 2], requires_grad=True)
    b = _t(lib, [0, 0], requires_grad=True)
    lib.nn.functional.mse_loss(a, b).backward()
    return a.grad, b.grad


@case(message="contains")
def mse_loss_of_sizes_that_do_not_broadcast(lib):
    lib.nn.functional.mse_loss(lib.ones(2, 3), lib.ones(2, 4))


@case()
def cross_entropy_reductions_and_weight(lib):
    nn = lib.nn
    x = _pred(lib)
    y = lib.tensor([0, 2, 1, 0])
    w = _t(lib, [1.0, 2.0, 0.5])
    return (
        nn.CrossEntropyLoss()(x, y),
        nn.CrossEntropyLoss(reduction="sum")(x, y),
        nn.CrossEntropyLoss(reduction="none")(x, y),
        nn.CrossEntropyLoss(weight=w)(x, y),
        nn.CrossEntropyLoss(weight=w, reduction="sum")(x, y),
        nn.CrossEntropyLoss(weight=w, reduction="none")(x, y),
    )


@case()
def cross_entropy_ignore_index(lib):
    F = lib.nn.functional
    x = _pred(lib)
    y = lib.tensor([0, -100, 1, 2])
    y2 = lib.tensor([0, 1, 1, 2])
    w = _t(lib, [1.0, 2.0, 0.5])
    return (
        F.cross_entropy(x, y),
        F.cross_entropy(x, y, reduction="none"),
        F.cross_entropy(x, y2, ignore_index=1),
        F.cross_entropy(x, y2, ignore_index=1, weight=w),
        F.cross_entropy(x, lib.tensor([-100, -100, -100, -100])),
    )


@case()
def cross_entropy_label_smoothing(lib):
    F = lib.nn.functional
    x = _pred(lib)
    y = lib.tensor([0, 2, 1, 0])
    w = _t(lib, [1.0, 2.0, 0.5])
    return (
        F.cross_entropy(x, y, label_smoothing=0.1),
        F.cross_entropy(x, y, label_smoothing=0.1, reduction="none"),
        F.cross_entropy(x, y, label_smoothing=0.2, weight=w),
        F.cross_entropy(x, lib.tensor([0, -100, 1, 0]), label_smoothing=0.1),
        lib.nn.CrossEntropyLoss(label_smoothing=0.3)(x, y),
    )


@case(message="contains")
def cross_entropy_label_smoothing_out_of_range(lib):
    lib.nn.functional.cross_entropy(_pred(lib), lib.tensor([0, 2, 1, 0]), label_smoothing=1.5)


@case()
def cross_entropy_with_probability_targets(lib):
    F = lib.nn.functional
    x = _pred(lib)
    p = lib.softmax(_t(lib, [[1, 0, 0], [0, 1, 0], [0, 0, 5], [1, 1, 1]]), dim=1)
    return (
        F.cross_entropy(x, p),
        F.cross_entropy(x, p, reduction="none"),
        F.cross_entropy(x, p, label_smoothing=0.1),
    )


@case()
def cross_entropy_gradient(lib):
    x = _pred(lib).requires_grad_()
    lib.nn.functional.cross_entropy(x, lib.tensor([0, 2, 1, 0]), label_smoothing=0.1).backward()
    return x.grad


@case()
def cross_entropy_of_images(lib):
    x = lib.arange(24.0).reshape(2, 3, 2, 2) / 10
    y = lib.tensor([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])
    F = lib.nn.functional
    return F.cross_entropy(x, y), F.cross_entropy(x, y, reduction="none").shape


@case()
def cross_entropy_of_one_sample(lib):
    return lib.nn.functional.cross_entropy(_t(lib, [1.0, 2.0, 3.0]), lib.tensor(2))


@case(message="start")
def cross_entropy_batch_size_mismatch(lib):
    lib.nn.functional.cross_entropy(_pred(lib), lib.tensor([0, 1]))


@case()
def cross_entropy_target_out_of_range(lib):
    try:
        lib.nn.functional.cross_entropy(_pred(lib), lib.tensor([0, 1, 2, 3]))
    except (IndexError, RuntimeError) as e:
        return "raised", isinstance(e, IndexError)
    return "ran"


@case(message="contains")
def cross_entropy_weight_of_the_wrong_size(lib):
    lib.nn.functional.cross_entropy(_pred(lib), lib.tensor([0, 1, 2, 0]), weight=lib.ones(2))


@case()
def nll_loss_matches_cross_entropy(lib):
    F = lib.nn.functional
    x = _pred(lib)
    y = lib.tensor([0, 2, 1, -100])
    w = _t(lib, [1.0, 2.0, 0.5])
    lp = F.log_softmax(x, dim=1)
    return (
        F.nll_loss(lp, y),
        F.nll_loss(lp, y, weight=w, reduction="sum"),
        F.nll_loss(lp, y, reduction="none"),
        lib.nn.NLLLoss(ignore_index=2)(lp, lib.tensor([0, 2, 1, 1])),
    )


@case()
def bce_with_logits_reductions_weight_and_pos_weight(lib):
    nn = lib.nn
    x = _t(lib, [[0.5, -1.0], [2.0, 0.0]])
    y = _t(lib, [[1.0, 0.0], [1.0, 1.0]])
    return (
        nn.BCEWithLogitsLoss()(x, y),
        nn.BCEWithLogitsLoss(reduction="sum")(x, y),
        nn.BCEWithLogitsLoss(reduction="none")(x, y),
        nn.BCEWithLogitsLoss(weight=_t(lib, [1.0, 2.0]))(x, y),
        nn.BCEWithLogitsLoss(pos_weight=_t(lib, [3.0, 1.0]))(x, y),
        nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=_t(lib, [2.0, 2.0])),
    )


@case()
def bce_with_logits_gradient_and_extreme_logits(lib):
    x = _t(lib, [100.0, -100.0, 0.0], requires_grad=True)
    y = _t(lib, [0.0, 1.0, 1.0])
    loss = lib.nn.functional.binary_cross_entropy_with_logits(x, y)
    loss.backward()
    return loss, x.grad


@case()
def loss_modules_expose_their_settings(lib):
    nn = lib.nn
    ce = nn.CrossEntropyLoss(weight=lib.ones(3), ignore_index=1, label_smoothing=0.1)
    return (
        ce.reduction,
        ce.ignore_index,
        ce.label_smoothing,
        [n for n, _ in ce.named_buffers()],
        list(ce.state_dict()),
        nn.MSELoss().reduction,
        dict(nn.BCEWithLogitsLoss(pos_weight=lib.ones(2)).state_dict()),
    )


@case()
def losses_with_deprecated_size_average(lib):
    nn = lib.nn
    F = nn.functional
    x, y = _pred(lib), lib.tensor([0, 2, 1, 0])
    return (
        nn.MSELoss(size_average=False).reduction,
        nn.CrossEntropyLoss(reduce=False).reduction,
        nn.NLLLoss(size_average=True, reduce=True).reduction,
        F.cross_entropy(x, y, size_average=False),
        F.mse_loss(x, x * 2, reduce=False),
        F.binary_cross_entropy_with_logits(x, x.sigmoid(), size_average=False),
    )


@case()
def weighted_mse_loss(lib):
    F = lib.nn.functional
    a, b = _t(lib, [[1, 2], [3, 4]]), _t(lib, [[0, 2], [1, 1]])
    w = _t(lib, [[1, 2], [0.5, 0]])
    return F.mse_loss(a, b, weight=w), F.mse_loss(a, b, weight=w, reduction="sum")


@case(message="start")
def weighted_mse_loss_of_the_wrong_size(lib):
    lib.nn.functional.mse_loss(lib.ones(2, 2), lib.ones(2, 2), weight=lib.ones(2))


@case()
def loss_grad_fn_names(lib):
    F = lib.nn.functional
    x = _pred(lib).requires_grad_()
    y = lib.tensor([0, 2, 1, 0])
    names = [
        F.mse_loss(x, x.detach() * 2),
        F.mse_loss(x, x.detach() * 2, reduction="sum"),
        F.mse_loss(x, x.detach() * 2, reduction="none"),
        F.cross_entropy(x, y),
        F.cross_entropy(x, y, reduction="none"),
        F.nll_loss(x, y),
        F.binary_cross_entropy_with_logits(x, x.detach().sigmoid()),
        F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(), reduction="none"),
        lib.nn.MSELoss()(x, x.detach()),
    ]
    return [type(t.grad_fn).__name__ for t in names]


@case()
def loss_gradients_for_input_and_target(lib):
    F = lib.nn.functional
    x = _t(lib, [[0.0, 1.0], [-2.0, 3.0]], requires_grad=True)
    t = _t(lib, [[0.5, 0.0], [1.0, 0.25]], requires_grad=True)
    out = []
    for loss in (
        F.mse_loss(x, t),
        F.mse_loss(x, t, reduction="sum"),
        F.binary_cross_entropy_with_logits(x, t),
        F.binary_cross_entropy_with_logits(x, t, pos_weight=_t(lib, [2.0, 0.5])),
        F.binary_cross_entropy_with_logits(x, t, weight=_t(lib, [1.0, 3.0]), reduction="sum"),
    ):
        x.grad = t.grad = None
        loss.backward()
        out.append((loss, x.grad, t.grad))
    return out


@case()
def mse_loss_broadcast_gradient(lib):
    x = _t(lib, [[1.0], [2.0]], requires_grad=True)
    t = _t(lib, [1.0, 0.0, 3.0])
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        loss = lib.nn.functional.mse_loss(x, t)
    loss.backward()
    return loss, x.grad


@case()
def losses_of_empty_batches(lib):
    F = lib.nn.functional
    e = lib.ones(0, 3)
    return (
        F.mse_loss(e, e),
        F.mse_loss(e, e, reduction="sum"),
        F.cross_entropy(e, lib.zeros(0, dtype=lib.int64), reduction="sum"),
    )


@case(message="modified by an inplace operation: \\[torch.FloatTensor \\[2\\]\\]")
def mse_loss_saved_input_changed_in_place(lib):
    x = lib.ones(2, requires_grad=True) * 1
    t = lib.zeros(2)
    loss = lib.nn.functional.mse_loss(x, t)
    t.add_(1)
    loss.backward()


@case(message="start")
def cross_entropy_with_int32_targets(lib):
    lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 1], dtype=lib.int32))


@case(message="start")
def nll_loss_with_int16_targets(lib):
    lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([0, 1], dtype=lib.int16))


@case()
def cross_entropy_dtypes_that_work(lib):
    F = lib.nn.functional
    return (
        F.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 1], dtype=lib.uint8)),
        F.cross_entropy(lib.zeros(2, 3, dtype=lib.float64), lib.tensor([0, 1])),
        F.mse_loss(lib.zeros(2, dtype=lib.float64), lib.ones(2)),
        F.mse_loss(lib.zeros(2), lib.ones(2, dtype=lib.int64)),
        F.mse_loss(lib.zeros(2, dtype=lib.float16), lib.ones(2, dtype=lib.float16)).dtype,
        F.nll_loss(_t(lib, [-1.0, -2.0]), lib.tensor(1)),
    )


@case(message="start")
def cross_entropy_weight_of_another_dtype(lib):
    lib.nn.functional.cross_entropy(
        lib.zeros(2, 3), lib.tensor([0, 1]), weight=lib.ones(3, dtype=lib.float64)
    )


@case(message="start")
def nll_loss_weight_of_another_dtype(lib):
    lib.nn.functional.nll_loss(
        lib.zeros(2, 3, dtype=lib.float64), lib.tensor([0, 1]), weight=lib.ones(3)
    )


@case(message="start")
def bce_with_logits_of_integer_targets(lib):
    lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2), lib.ones(2, dtype=lib.int64))


@case()
def bce_with_logits_dtypes_follow_the_target(lib):
    F = lib.nn.functional
    x = lib.zeros(2, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, lib.ones(2, dtype=lib.float64))
    loss.backward()
    return (
        loss,
        x.grad,
        F.binary_cross_entropy_with_logits(lib.zeros(2, dtype=lib.float64), lib.ones(2)),
        F.binary_cross_entropy_with_logits(lib.zeros(2), lib.ones(2), weight=lib.ones(2).double()),
    )


@case(message="start")
def bce_with_logits_weight_that_does_not_broadcast(lib):
    lib.nn.functional.binary_cross_entropy_with_logits(
        lib.zeros(2, 3), lib.ones(2, 3), weight=lib.ones(4)
    )


@case(message="start")
def bce_with_logits_pos_weight_that_does_not_broadcast(lib):
    lib.nn.functional.binary_cross_entropy_with_logits(
        lib.zeros(2, 3), lib.ones(2, 3), pos_weight=lib.ones(4)
    )


@case(message="equal")
def bce_with_logits_weight_that_requires_grad(lib):
    w = lib.ones(3, requires_grad=True)
    lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(1, 3), lib.ones(1, 3), weight=w)


@case(message="equal")
def bce_with_logits_pos_weight_that_requires_grad(lib):
    w = lib.ones(3, requires_grad=True)
    lib.nn.functional.binary_cross_entropy_with_logits(
        lib.zeros(1, 3), lib.ones(1, 3), pos_weight=w
    )


@case()
def bce_with_logits_pos_weight_per_class(lib):
    return lib.nn.functional.binary_cross_entropy_with_logits(
        lib.zeros(2, 3), lib.ones(2, 3), pos_weight=_t(lib, [1.0, 2.0, 3.0])
    )


@case()
def softmax_of_integers(lib):
    try:
        lib.softmax(lib.tensor([1, 2]), 0)
    except NotImplementedError:
        return "NotImplementedError"
    return "ran"


@case()
def log_softmax_of_integers(lib):
    try:
        lib.log_softmax(lib.tensor([1, 2]), 0)
    except NotImplementedError:
        return "NotImplementedError"
    return "ran"


@case(message="start")
def gelu_with_an_unknown_approximation(lib):
    lib.nn.functional.gelu(lib.ones(1), approximate="fast")


@case(message="start")
def random_init_of_an_integer_tensor(lib):
    lib.nn.init.normal_(lib.zeros(2, dtype=lib.int64))


@case(message="start")
def uniform_init_of_an_integer_tensor(lib):
    lib.nn.init.xavier_uniform_(lib.zeros(2, 2, dtype=lib.int64))


@case()
def constant_init_of_integers_and_init_of_a_non_leaf(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    lib.nn.init.zeros_(y)
    return lib.nn.init.constant_(lib.empty(2, dtype=lib.int64), 3), y, y.grad_fn is not None


@case()
def orthogonal_init(lib):
    out = []
    for shape in ((3, 5), (5, 3), (4, 2, 2)):
        w = lib.nn.init.orthogonal_(lib.empty(*shape), gain=2.0)
        a = w.reshape(shape[0], -1).numpy()
        gram = a @ a.T if shape[0] <= a.shape[1] else a.T @ a
        out.append((w.shape, np.round(gram, 4)))
    return out


@case(message="equal")
def orthogonal_init_of_a_vector(lib):
    lib.nn.init.orthogonal_(lib.empty(3))


@case()
def layers_with_dtype_arguments_and_layer_norm_without_bias(lib):
    nn = lib.nn
    ln = nn.LayerNorm(3, bias=False)
    return (
        nn.Linear(2, 3, dtype=lib.float64, device="cpu").weight.dtype,
        nn.LayerNorm(3, dtype=lib.float64).weight.dtype,
        nn.Embedding(3, 2, dtype=lib.float64).weight.dtype,
        [n for n, _ in ln.named_parameters()],
        repr(ln),
    )


@case()
def dropout_details(lib):
    lib.manual_seed(0)
    x = lib.ones(100, requires_grad=True)
    y = lib.nn.functional.dropout(x, 0.5)
    y.sum().backward()
    d = lib.nn.Dropout(0.5).eval()
    return (
        bool(((x.grad == 0) | (x.grad == 2)).all()),
        bool((x.grad == y.detach()).all()),
        type(y.grad_fn).__name__,
        d(lib.ones(3)),
        d.training,
    )


@case()
def dropout_with_a_string(lib):
    try:
        lib.nn.Dropout("0.5")
    except TypeError:
        return "TypeError"
    return "built"


@pytest.mark.parametrize(("snippet", "message", "warns"), CASES)
def test_same_on_both(snippet, message, warns):
    same(snippet, message=message, warns=warns)
