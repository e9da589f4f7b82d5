"""d2lmods.optim: SGD / Adam / AdamW compared step by step with PyTorch; groups, state dicts, errors."""

import numpy as np
import pytest

import d2lmods
from d2lmods import nn, optim

SHAPES = [(4, 3), (3,), (2, 2, 2)]


def _pair_params(torch, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    mine = [nn.Parameter(d2lmods.tensor(a.copy())) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
    return mine, theirs


def _run(torch, make_mine, make_theirs, steps=6, dtype=np.float32, groups=None):
    mine, theirs = _pair_params(torch, dtype)
    if groups:
        opt_m = make_mine([{"params": mine[:1], **groups}, {"params": mine[1:]}])
        opt_t = make_theirs([{"params": theirs[:1], **groups}, {"params": theirs[1:]}])
    else:
        opt_m, opt_t = make_mine(mine), make_theirs(theirs)
    rng = np.random.default_rng(1)
    for step in range(steps):
        for pm, pt in zip(mine, theirs):
            # a gradient that depends on the current parameters, plus noise
            g = (pt.detach().numpy() * 0.5 + rng.standard_normal(pt.shape)).astype(dtype)
            pm.grad = d2lmods.tensor(g.copy())
            pt.grad = torch.tensor(g.copy())
        opt_m.step()
        opt_t.step()
        tol = 1e-12 if dtype == np.float64 else 2e-6
        for pm, pt in zip(mine, theirs):
            np.testing.assert_allclose(
                pm.detach().numpy(),
                pt.detach().numpy(),
                rtol=tol * 5,
                atol=tol,
                err_msg=f"step {step}",
            )
    return opt_m, opt_t, mine, theirs


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True),
    dict(lr=0.1, momentum=0.5, maximize=True),
]


@pytest.mark.oracle
@pytest.mark.parametrize(
    "kw", SGD_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items())
)
def test_sgd_matches_torch(torch, kw):
    _run(torch, lambda p: optim.SGD(p, **kw), lambda p: torch.optim.SGD(p, **kw))


ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.02, maximize=True),
]


@pytest.mark.oracle
@pytest.mark.parametrize(
    "kw", ADAM_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items())
)
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_matches_torch(torch, cls, kw):
    _run(
        torch, lambda p: getattr(optim, cls)(p, **kw), lambda p: getattr(torch.optim, cls)(p, **kw)
    )


@pytest.mark.oracle
def test_float64_parameters_match_exactly(torch):
    kw = dict(lr=0.01, weight_decay=0.05)
    _run(
        torch, lambda p: optim.Adam(p, **kw), lambda p: torch.optim.Adam(p, **kw), dtype=np.float64
    )
    kw = dict(lr=0.1, momentum=0.9, nesterov=True)
    _run(torch, lambda p: optim.SGD(p, **kw), lambda p: torch.optim.SGD(p, **kw), dtype=np.float64)


@pytest.mark.oracle
def test_param_groups_with_their_own_options(torch):
    opt_m, opt_t, _, _ = _run(
        torch,
        lambda g: optim.SGD(g, lr=0.1, momentum=0.9),
        lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9),
        groups={"lr": 0.01, "momentum": 0.0},
    )
    assert [g["lr"] for g in opt_m.param_groups] == [0.01, 0.1]
    assert repr(opt_m).replace("d2lmods", "torch") == repr(opt_t)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name,kw",
    [
        ("SGD", dict(lr=0.1)),
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(lr=0.1)),
        ("AdamW", dict(lr=0.1)),
        ("Adam", dict(lr=1e-3, amsgrad=True, weight_decay=1e-4)),
    ],
)
def test_repr_matches_torch(torch, name, kw):
    mine = getattr(optim, name)(nn.Linear(2, 2).parameters(), **kw)
    theirs = getattr(torch.optim, name)(torch.nn.Linear(2, 2).parameters(), **kw)
    assert repr(mine) == repr(theirs)
    mine.add_param_group({"params": [nn.Parameter(d2lmods.ones(1))], "lr": 0.5})
    theirs.add_param_group({"params": [torch.nn.Parameter(torch.ones(1))], "lr": 0.5})
    assert repr(mine) == repr(theirs)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name,kw",
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(lr=0.01)),
        ("AdamW", dict(lr=0.01, amsgrad=True)),
    ],
)
def test_state_dict_layout_matches_torch_and_resumes_exactly(torch, name, kw):
    opt_m, opt_t, mine, theirs = _run(
        torch,
        lambda p: getattr(optim, name)(p, **kw),
        lambda p: getattr(torch.optim, name)(p, **kw),
        steps=3,
    )
    sd_m, sd_t = opt_m.state_dict(), opt_t.state_dict()
    assert sd_m["param_groups"] == sd_t["param_groups"]
    assert set(sd_m["state"]) == set(sd_t["state"])
    for k in sd_t["state"]:
        assert list(sd_m["state"][k]) == list(sd_t["state"][k])
        for key, value in sd_t["state"][k].items():
            np.testing.assert_allclose(
                np.asarray(sd_m["state"][k][key].numpy()), value.numpy(), rtol=1e-5, atol=1e-7
            )

    # a fresh optimizer loaded from the state dict continues exactly like the original
    clone_params = [nn.Parameter(d2lmods.tensor(p.detach().numpy().copy())) for p in mine]
    clone = getattr(optim, name)(clone_params, lr=123.0)
    clone.load_state_dict(opt_m.state_dict())
    assert clone.param_groups[0]["lr"] == kw["lr"]
    for _ in range(3):
        for p, c in zip(mine, clone_params):
            g = np.cos(p.detach().numpy())
            p.grad = d2lmods.tensor(g.copy())
            c.grad = d2lmods.tensor(g.copy())
        opt_m.step()
        clone.step()
    for p, c in zip(mine, clone_params):
        np.testing.assert_array_equal(p.detach().numpy(), c.detach().numpy())


def test_load_state_dict_checks_the_layout():
    a = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    b = optim.SGD(nn.Linear(2, 2, bias=False).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        b.load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="net.load_state_dict"):
        a.load_state_dict(nn.Linear(2, 2).state_dict() | {"0.weight": d2lmods.ones(1)})


def test_zero_grad_set_to_none_and_in_place():
    net = nn.Linear(3, 2)
    opt = optim.SGD(net.parameters(), lr=0.1)
    net(d2lmods.ones(1, 3)).sum().backward()
    g = net.weight.grad
    opt.zero_grad(set_to_none=False)
    assert net.weight.grad is g and not g.numpy().any()
    opt.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None


def test_step_skips_parameters_without_grad_and_records_no_graph():
    a, b = nn.Parameter(d2lmods.ones(2)), nn.Parameter(d2lmods.ones(2))
    opt = optim.SGD([a, b], lr=0.5)
    (a * 3).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [-0.5, -0.5])
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    assert a.grad_fn is None and a.is_leaf


def test_step_invalidates_graphs_that_saved_the_old_values():
    w = nn.Parameter(d2lmods.ones(2))
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    (w * 2).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_closure_is_called_with_grad_enabled():
    w = nn.Parameter(d2lmods.tensor([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with d2lmods.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 4.0
    np.testing.assert_allclose(w.detach().numpy(), [1.0])


# ----------------------------------------------------------------------------- bad arguments
def test_invalid_hyper_parameters():
    p = [nn.Parameter(d2lmods.ones(1))]
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.SGD(p, lr=-0.1)
    with pytest.raises(
        ValueError, match="Nesterov momentum requires a momentum and zero dampening"
    ):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid momentum"):
        optim.SGD(p, lr=0.1, momentum=-1)


def test_non_leaf_and_duplicate_groups():
    w = nn.Parameter(d2lmods.ones(2))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(
        TypeError, match="iterable of Tensors or dicts, but got d2lmods.FloatTensor"
    ):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([w, 3.0], lr=0.1)


def test_set_of_parameters_is_refused():
    w = nn.Parameter(d2lmods.ones(2))
    with pytest.raises(TypeError, match="set"):
        optim.SGD({w}, lr=0.1)
