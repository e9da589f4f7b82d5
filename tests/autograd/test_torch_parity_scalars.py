"""0-dim tensors and Python scalars behave as in PyTorch: every op of the shared op table on 0-dim
operands, operators with a Python number on either side, and in-place ops on 0-dim results.

A 0-dim result must hold a real 0-d numpy array (numpy hands back a scalar from most operations
on 0-d arrays, and in-place writes cannot target a scalar).
"""

import itertools
import operator
import warnings

import numpy as np
import pytest

import d2lmods
from tests.ops._cases import CASES, draw
from tests.ops.test_ops_gradcheck import fd_check


def _is_array(t):
    return type(t._data) is np.ndarray


def _name(dtype):
    return str(dtype).split(".")[-1]


def _run_0d(lib, case, arrays):
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(lib, *ts)
    w = lib.tensor(np.full(tuple(out.shape), 0.75))
    (out * w).sum().backward()
    return out, [t.grad for t in ts]


def _draw_0d(case):
    return [np.asarray(a, np.float64) for a in draw([()] * len(case.shapes), case.kind, seed=1)]


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_table_on_0d_operands_matches_torch(torch, case):
    arrays = _draw_0d(case)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, g_theirs = _run_0d(torch, case, arrays)
    except (RuntimeError, IndexError, TypeError, ValueError):
        # torch refuses this op on 0-d inputs; so must we (with an error, not a wrong answer)
        with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)):
            _run_0d(d2lmods, case, arrays)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, g_ours = _run_0d(d2lmods, case, arrays)
    assert _is_array(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               equal_nan=True)
    assert (ours.grad_fn and ours.grad_fn.name()) == (
        theirs.grad_fn and type(theirs.grad_fn).__name__)
    for a, b in zip(g_ours, g_theirs):
        assert (a is None) == (b is None)
        if a is not None:
            assert _is_array(a) and a.shape == ()
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, equal_nan=True)


# ops of the table that are defined on 0-d inputs, checked by finite differences as well
_0D_FD = [c for c in CASES if c.name in {
    "add", "add_scalar", "sub", "rsub", "mul", "mul_scalar", "div", "div_scalar", "rdiv",
    "pow_scalar", "pow_tensor", "rpow", "neg", "self_reuse", "exp", "log", "sqrt", "tanh",
    "sigmoid", "maximum", "minimum", "where", "sin_cos", "rsqrt", "reciprocal", "log1p", "expm1",
    "erf", "square", "sum", "mean", "mean_dim", "max", "max_dim_keep", "amax", "norm", "clone",
    "flip", "softmax_dim0", "log_softmax", "inplace_div_loop", "inplace_mul_tensor",
    "inplace_add_", "remainder", "remainder_scalar"}]


@pytest.mark.parametrize("case", _0D_FD, ids=repr)
def test_0d_gradients_match_finite_differences(case):
    fd_check(lambda *ts: case.fn(d2lmods, *ts), _draw_0d(case))


# -- operators with Python numbers on either side ----------------------------------------------
_OPERATORS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "pow": operator.pow, "floordiv": operator.floordiv, "mod": operator.mod, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
    "ne": operator.ne, "and": operator.and_, "or": operator.or_, "xor": operator.xor,
}
_KINDS = ["f32_0d", "f64_0d", "i64_0d", "bool_0d", "f32_1d", "int", "float", "bool"]


def _operand(lib, kind):
    if kind == "f32_0d":
        return lib.tensor(1.5, requires_grad=True)
    if kind == "f64_0d":
        return lib.tensor(-2.25, dtype=lib.float64, requires_grad=True)
    if kind == "i64_0d":
        return lib.tensor(3)
    if kind == "bool_0d":
        return lib.tensor(True)
    if kind == "f32_1d":
        return lib.tensor([1.5, -0.5], requires_grad=True)
    return {"int": 2, "float": 0.75, "bool": True}[kind]


def _apply(lib, op, ka, kb):
    a, b = _operand(lib, ka), _operand(lib, kb)
    r = op(a, b)
    grads = None
    if r.requires_grad:
        r.sum().backward()
        grads = [x.grad for x in (a, b) if isinstance(x, lib.Tensor) and x.requires_grad]
    return r, grads


@pytest.mark.oracle
# a negative base to a fractional power is nan in both libraries; numpy also warns
@pytest.mark.filterwarnings("ignore:invalid value encountered in power:RuntimeWarning")
@pytest.mark.parametrize("name", sorted(_OPERATORS))
def test_operators_with_0d_tensors_and_python_numbers_match_torch(torch, name):
    op = _OPERATORS[name]
    checked = 0
    for ka, kb in itertools.product(_KINDS, _KINDS):
        if not (ka.endswith("d") or kb.endswith("d")):
            continue                       # two Python numbers: not a tensor op
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs, g_theirs = _apply(torch, op, ka, kb)
        except (RuntimeError, TypeError, NotImplementedError):
            continue          # torch refuses (bool subtraction, ...); we may be more lenient
        ours, g_ours = _apply(d2lmods, op, ka, kb)
        where = f"{ka} {name} {kb}"
        assert _is_array(ours), where
        assert tuple(ours.shape) == tuple(theirs.shape), where
        assert _name(ours.dtype) == _name(theirs.dtype), where
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6,
                                   err_msg=where)
        assert ours.requires_grad == theirs.requires_grad, where
        for a, b in zip(g_ours or (), g_theirs or ()):
            assert _is_array(a), where
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, err_msg=where)
        checked += 1
    assert checked >= 10


# -- in-place ops on 0-d results ---------------------------------------------------------------
def _zero_dim_results(lib):
    x = lib.tensor([1.5, -2.0, 0.25])
    y = lib.tensor(0.5)
    return {
        "sum": x.sum(), "mean": x.mean(), "max": x.max(), "dot": lib.dot(x, x),
        "index_mul": x[0] * 2, "rmul": 2 * x[0], "radd": 1 + y, "rsub": 1 - y, "rdiv": 2 / y,
        "rpow": 2 ** y, "0d_mul": y * y, "exp": y.exp(), "neg": -y, "item_add": y + y.item(),
        "norm": x.norm(), "var": x.var(), "python_sum": sum([y, y * 2]),
    }


_INPLACE = {
    "add_": lambda t: t.add_(1), "sub_": lambda t: t.sub_(0.5), "mul_": lambda t: t.mul_(3),
    "div_": lambda t: t.div_(4), "pow_": lambda t: t.pow_(2), "iadd": lambda t: _iadd(t),
    "clamp_": lambda t: t.clamp_(-1, 1), "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(7), "copy_": lambda t: t.copy_(t * 0 + 2),
    "abs_": lambda t: t.abs_(), "neg_": lambda t: t.neg_(), "exp_": lambda t: t.exp_(),
    "tanh_": lambda t: t.tanh_(), "relu_": lambda t: t.relu_(), "sigmoid_": lambda t: t.sigmoid_(),
}


def _iadd(t):
    t += 2
    t *= 0.5
    return t


@pytest.mark.oracle
@pytest.mark.parametrize("op", sorted(_INPLACE))
def test_inplace_ops_on_0d_results_match_torch(torch, op):
    ours, theirs = _zero_dim_results(d2lmods), _zero_dim_results(torch)
    for key in ours:
        r = _INPLACE[op](ours[key])
        _INPLACE[op](theirs[key])
        assert r is ours[key] and _is_array(r) and r.shape == ()
        np.testing.assert_allclose(r.numpy(), theirs[key].numpy(), rtol=1e-6, err_msg=key)
        assert ours[key]._version == theirs[key]._version, key


@pytest.mark.oracle
def test_running_total_starting_from_python_zero_matches_torch(torch):
    totals = []
    for lib in (d2lmods, torch):
        w = lib.tensor([0.5, -1.0], requires_grad=True)
        total = 0
        for step in range(4):
            loss = ((w * (step + 1)) ** 2).sum()
            total += loss
        total.backward()
        assert isinstance(total, lib.Tensor)
        totals.append((total.item(), w.grad.numpy().copy(), total.grad_fn.name()
                       if lib is d2lmods else type(total.grad_fn).__name__))
    assert totals[0][0] == pytest.approx(totals[1][0])
    np.testing.assert_allclose(totals[0][1], totals[1][1], rtol=1e-6)
    assert totals[0][2] == totals[1][2]


@pytest.mark.oracle
def test_running_total_of_detached_losses_in_place(torch):
    got = []
    for lib in (d2lmods, torch):
        total = 0.0
        for k in range(3):
            loss = lib.tensor([1.0, 2.0 + k]).mean()
            total += loss.detach()
        total /= 3
        got.append((total.item(), _name(total.dtype)))
    assert got[0][1] == got[1][1]
    assert got[0][0] == pytest.approx(got[1][0])


@pytest.mark.oracle
def test_sum_of_a_list_of_losses_then_in_place(torch):
    got = []
    for lib in (d2lmods, torch):
        w = lib.tensor(2.0, requires_grad=True)
        losses = [w * k for k in range(1, 4)]
        total = sum(losses)
        total.mul_(0.5)
        total.add_(w)
        total.backward()
        got.append((total.item(), w.grad.item(), total._version))
    assert got[0] == pytest.approx(got[1])


@pytest.mark.oracle
def test_scalar_parameter_grad_zero_and_zero_grad_keep_a_0d_array(torch):
    got = []
    for lib in (d2lmods, torch):
        p = lib.nn.Parameter(lib.tensor(1.0))
        opt = lib.optim.SGD([p], lr=0.1)
        (p * 3).backward()
        assert p.grad.shape == ()
        g0 = p.grad.item()
        p.grad.zero_()
        (p * 5).backward()
        g1 = p.grad.item()
        opt.step()
        opt.zero_grad(set_to_none=False)
        assert p.grad is not None and p.grad.item() == 0.0
        (p ** 2).backward()
        got.append((g0, g1, p.grad.item(), p.item()))
        if lib is d2lmods:
            assert _is_array(p.grad) and _is_array(p)
    assert got[0] == pytest.approx(got[1])


def test_grad_of_every_0d_leaf_is_a_0d_array_that_in_place_ops_accept():
    for dtype in (d2lmods.float16, d2lmods.float32, d2lmods.float64):
        a = d2lmods.tensor(1.5, dtype=dtype, requires_grad=True)
        b = d2lmods.tensor(-0.5, dtype=dtype, requires_grad=True)
        (a * b + 2 * a - b / 3 + a ** 2).backward()
        for t in (a, b):
            assert _is_array(t.grad) and t.grad.shape == () and t.grad.dtype == dtype
            t.grad.mul_(2).add_(1)
            t.grad += 1
            t.grad.zero_()
            assert t.grad.item() == 0.0


def test_autograd_grad_of_0d_inputs_gives_0d_arrays():
    a = d2lmods.tensor(2.0, requires_grad=True)
    (g,) = d2lmods.autograd.grad(a * a * 3, a)
    assert _is_array(g) and g.shape == () and g.item() == 12.0
    g.add_(1)
    assert g.item() == 13.0
