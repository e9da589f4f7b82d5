"""Autograd details students meet, compared with PyTorch: ``retain_grad``, the warning on a
non-leaf's ``.grad``, ``_version``, which graphs refuse a second backward, ``del x.grad``,
``numpy()`` under ``no_grad``, ``equal`` and in-place writes through views of leaves."""

import warnings

import numpy as np
import pytest

import d2lmods
from tests.ops._cases import CASES, draw

pytestmark = pytest.mark.oracle


def _both(torch, fn):
    return fn(d2lmods), fn(torch)


def _message(lib, fn):
    with pytest.raises(RuntimeError) as e:
        fn(lib)
    return str(e.value)


# -- retain_grad -------------------------------------------------------------------------------
def _retained(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.retain_grad()
    flags = [b.retains_grad, a.retains_grad]
    b.mul_(3)                      # the retained gradient is the one of b's new value
    flags.append(b.retains_grad)
    (b * b).sum().backward(retain_graph=True)
    first = b.grad.numpy().copy()
    (b * b).sum().backward()       # accumulates, like a leaf's
    c = a * 3
    c.retain_grad()
    lib.autograd.grad(c.sum(), a)
    d = a * 4
    d.retain_grad()
    (d * 2).sum().backward(inputs=[a])
    a.retain_grad()                # a no-op on a leaf
    return flags, first.tolist(), b.grad.numpy().tolist(), a.grad.numpy().tolist(), \
        c.grad.numpy().tolist(), d.grad.numpy().tolist(), a.retains_grad


def test_retain_grad_and_retains_grad(torch):
    ours, theirs = _both(torch, _retained)
    assert ours == theirs


def test_retain_grad_on_a_tensor_without_grad_is_torchs_error(torch):
    assert _message(d2lmods, lambda L: L.ones(2).retain_grad()) == \
        _message(torch, lambda L: L.ones(2).retain_grad())


def _non_leaf_grad_warnings(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.sum().backward()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert b.grad is None
    return [(x.category, str(x.message)) for x in w]


def test_reading_grad_of_a_non_leaf_warns_with_torchs_text(torch):
    ours, theirs = _both(torch, _non_leaf_grad_warnings)
    assert len(ours) == len(theirs) == 1
    assert ours[0][0] is theirs[0][0] is UserWarning
    assert theirs[0][1].startswith(ours[0][1])          # torch adds "(Triggered internally ...)"
    assert ours[0][1].startswith("The .grad attribute of a Tensor that is not a leaf Tensor is "
                                 "being accessed")


def test_warning_points_at_the_line_that_reads_grad():
    b = d2lmods.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor") as w:
        b.grad  # noqa: B018
    assert w[0].filename == __file__


def _correct_reads(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3
    h.retain_grad()
    loss = (h * h).sum()
    loss.backward()
    return w.grad.numpy().tolist(), h.grad.numpy().tolist(), w.is_leaf, h.retains_grad


def test_correct_grad_reads_stay_silent(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, theirs = _both(torch, _correct_reads)
    assert ours == theirs


# -- _version ----------------------------------------------------------------------------------
def _versions(lib):
    x = lib.ones(3)
    seen = [x._version]
    x.add_(1)
    x[0] = 2
    x *= 3
    seen.append(x._version)
    v = x[1:]
    v.mul_(2)
    d = x.detach()
    d.zero_()
    seen += [x._version, v._version, d._version, type(x._version).__name__]
    y = x + 1
    seen.append(y._version)
    return seen


def test_version_is_an_int_that_every_in_place_op_bumps_and_views_share(torch):
    ours, theirs = _both(torch, _versions)
    assert ours == theirs


def test_version_is_read_only(torch):
    for lib in (d2lmods, torch):
        with pytest.raises(AttributeError):
            lib.ones(2)._version = 3


# -- which graphs refuse a second backward -----------------------------------------------------
def _second_backward(lib, case, arrays):
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(lib, *ts).sum()
    out.backward()
    try:
        out.backward()
    except RuntimeError as e:
        assert "backward through the graph a second time" in str(e)
        return "refused", None
    return "ran", [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_only_graphs_whose_nodes_saved_tensors_refuse_a_second_backward(torch, case):
    arrays = draw(case.shapes, case.kind, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _second_backward(d2lmods, case, arrays), _second_backward(torch, case,
                                                                                 arrays)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1] or (), theirs[1] or ()):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _indexed_assignment_twice(lib, value):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = a.clone()
    w[0] = a[1] * 2 if value == "tensor" else 5.0
    s = (w * 1.0).sum()
    s.backward()
    s.backward()


@pytest.mark.parametrize("value", ["tensor", "number"])
def test_second_backward_through_an_indexed_assignment_raises(torch, value):
    ours = _message(d2lmods, lambda L: _indexed_assignment_twice(L, value))
    theirs = _message(torch, lambda L: _indexed_assignment_twice(L, value))
    assert ours.startswith(theirs)


# -- small tensor API --------------------------------------------------------------------------
def _del_grad(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward()
    before = a.grad.numpy().tolist()
    del a.grad
    after = a.grad
    (a * 3).sum().backward()
    return before, after, a.grad.numpy().tolist()


def test_del_grad(torch):
    ours, theirs = _both(torch, _del_grad)
    assert ours == theirs


def _numpy_of_grad_tensor(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        arr = a.numpy()
        np_arr = np.asarray(a)
    return type(arr).__name__, arr.tolist(), np_arr.tolist()


def test_numpy_of_a_tensor_that_requires_grad(torch):
    ours, theirs = _both(torch, _numpy_of_grad_tensor)
    assert ours == theirs
    assert _message(d2lmods, lambda L: L.ones(2, requires_grad=True).numpy()) == \
        _message(torch, lambda L: L.ones(2, requires_grad=True).numpy())


def _equal(lib):
    t = lib.tensor
    return [t([1, 2]).equal(t([1, 2])), lib.equal(t([1, 2]), t([1.0, 2.0])),
            t([1, 2]).equal(t([1, 2, 3])), lib.equal(t([1.0]), t([[1.0]])),
            t(2.0).equal(t(2.0)), t([1.0, 2.0]).equal(t([1.0, 2.5])),
            lib.equal(t([]), t([]))]


def test_equal(torch):
    ours, theirs = _both(torch, _equal)
    assert ours == theirs
    assert all(type(x) is bool for x in ours)


# -- in-place writes through views of leaves ---------------------------------------------------
def _view_of_leaf_that_later_requires_grad(lib, op):
    x = lib.zeros(4)
    v = x[1:3]
    x.requires_grad_()
    op(v)


_VIEW_OPS = {
    "mul_": lambda v: v.mul_(2), "fill_": lambda v: v.fill_(1.0), "add_": lambda v: v.add_(1),
    "zero_": lambda v: v.zero_(), "uniform_": lambda v: v.uniform_(),
    "setitem": lambda v: v.__setitem__(0, 3.0), "copy_": lambda v: v.copy_(v * 0 + 1),
}


@pytest.mark.parametrize("op", sorted(_VIEW_OPS))
def test_in_place_on_a_view_of_a_leaf_that_later_requires_grad_raises(torch, op):
    theirs = _message(torch, lambda L: _view_of_leaf_that_later_requires_grad(L, _VIEW_OPS[op]))
    ours = _message(d2lmods, lambda L: _view_of_leaf_that_later_requires_grad(L, _VIEW_OPS[op]))
    assert ours.startswith(theirs)


def _view_written_under_no_grad(lib):
    x = lib.zeros(4)
    v = x[1:3]
    x.requires_grad_()
    with lib.no_grad():
        v.fill_(1.0)
        v.mul_(3)
    (x * x).sum().backward()
    return x.detach().numpy().tolist(), x.grad.numpy().tolist(), x.is_leaf


def test_writing_through_such_a_view_under_no_grad_is_fine(torch):
    ours, theirs = _both(torch, _view_written_under_no_grad)
    assert ours == theirs


def _view_written_before_requires_grad(lib):
    x = lib.zeros(4)
    v = x.view(2, 2)
    v[0].fill_(2.0)
    x.requires_grad_()
    (x * x).sum().backward()
    return x.grad.numpy().tolist()


def test_writing_through_a_view_before_requires_grad_is_fine(torch):
    ours, theirs = _both(torch, _view_written_before_requires_grad)
    assert ours == theirs


@pytest.mark.parametrize("make_view", [lambda x: x.view(4), lambda x: x[0], lambda x: x.t(),
                                       lambda x: x[:, 1:]])
def test_in_place_on_a_view_of_a_leaf_that_requires_grad_raises(torch, make_view):
    def run(lib):
        x = lib.ones(2, 2, requires_grad=True)
        make_view(x).add_(1)

    assert _message(d2lmods, run).startswith(_message(torch, run))
