"""Hidden checks for the ``custom`` assignment's part 2: parameter access by name and tied
parameters.

``tied_net(4, 5, 2)`` is ``Linear(4, 5), ReLU, shared, ReLU, shared, ReLU, Linear(5, 2)`` with one
``shared = Linear(5, 5)``.  The probe loads four secret weight sets into the Linear children in
order, so a tied net computes with the third set twice and an untied one with the second and the
third; the gradient of the shared weight is the sum over both uses, recomputed here.
"""

from __future__ import annotations

import numpy as np

from ..common import Verdict, array, close, error_verdict, f32, fail, ok, relu

PART = "tied_params"
TITLE = "get_parameter and tied_net"
CHECKS = [
    ("param_by_name", "get_parameter returns the registered Parameter itself", 1.0),
    ("tied_forward", "tied_net uses one shared layer twice", 1.0),
    ("tied_parameters", "parameters() lists the shared layer once", 0.5),
    ("tied_gradient", "the shared weight's gradient adds up both uses", 0.5),
]


def make_inputs(rng: np.random.Generator) -> dict:
    return {
        "N_W0": f32(rng, 3, 4),
        "N_b0": f32(rng, 3),
        "N_W1": f32(rng, 3, 3),
        "N_b1": f32(rng, 3),
        "N_W2": f32(rng, 2, 3),
        "N_b2": f32(rng, 2),
        "T_X": f32(rng, 6, 4),
        "T_W": f32(rng, 4, 5, 5) * 0.7,
        "T_b": f32(rng, 4, 5) * 0.3,
    }


def _d(I, k):
    return np.asarray(I[k], dtype=np.float64)


def _forward(X, layers):
    """Outputs and pre-activations of Linear -> ReLU -> ... -> Linear."""
    zs, h = [], X
    for i, (w, b) in enumerate(layers):
        z = h @ w.T + b
        zs.append((h, z))
        h = relu(z) if i < len(layers) - 1 else z
    return h, zs


def _shared_grad(X, layers):
    """d sum(y) / d shared weight, for layers 1 and 2 being the same."""
    _, zs = _forward(X, layers)
    g = np.ones_like(zs[-1][1])
    total = np.zeros_like(layers[1][0])
    for i in range(len(layers) - 1, -1, -1):
        h, z = zs[i]
        dz = g if i == len(layers) - 1 else g * (z > 0)
        if i in (1, 2):
            total += dz.T @ h
        g = dz @ layers[i][0]
    return total


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    bn = P.get("by_name")
    v["param_by_name"] = error_verdict(bn, "get_parameter(net, name)")
    if v["param_by_name"] is None:
        values = {"2.1.bias": _d(I, "N_b2"), "0.weight": _d(I, "N_W0"), "2.0.weight": _d(I, "N_W1")}
        got = bn if isinstance(bn, list) else []
        right = len(got) == 3 and all(
            isinstance(g, dict)
            and close(array(g.get("value")), values.get(g.get("name"), np.zeros(0)))
            for g in got
        )
        if right and all(g.get("same") is True for g in got):
            v["param_by_name"] = ok(
                "get_parameter returns the Parameter registered under that name."
            )
        elif right:
            v["param_by_name"] = fail(
                "returns_copy",
                "get_parameter returns the right values but not the "
                "Parameter itself (state_dict() and .data give detached copies, which an "
                "optimizer or a gradient never reaches): look it up in "
                "dict(net.named_parameters()).",
            )
        else:
            v["param_by_name"] = fail(
                "wrong_output",
                "get_parameter(net, '2.0.weight') should return the "
                "parameter that named_parameters() lists under that name.",
            )

    t = P.get("tied")
    bad = error_verdict(t, "tied_net(4, 5, 2)")
    if bad is not None:
        v["tied_forward"] = v["tied_parameters"] = v["tied_gradient"] = bad
        return v
    if not t.get("is_module"):
        v["tied_forward"] = v["tied_parameters"] = v["tied_gradient"] = fail(
            "not_a_module", "tied_net must return an nn.Module (an nn.Sequential)."
        )
        return v
    X, W, b = _d(I, "T_X"), _d(I, "T_W"), _d(I, "T_b")
    first, last = (W[0][:5, :4], b[0]), (W[3][:2, :5], b[3][:2])
    tied = [first, (W[2], b[2]), (W[2], b[2]), last]
    untied = [first, (W[1], b[1]), (W[2], b[2]), last]
    y = array(t.get("y"))
    tied_ok = close(y, _forward(X, tied)[0])
    if tied_ok:
        v["tied_forward"] = ok("tied_net shares one Linear layer between its second and third use.")
    elif close(y, _forward(X, untied)[0]):
        v["tied_forward"] = fail(
            "not_tied",
            "The two hidden layers are separate modules (a new nn.Linear, or a "
            "copy), so they learn separately. Create the shared layer once and put the same "
            "object in both places.",
        )
    else:
        v["tied_forward"] = fail(
            "wrong_output",
            "tied_net(n_in, n_hidden, n_out) should be Linear(n_in, n_hidden), "
            "ReLU, shared, ReLU, shared, ReLU, Linear(n_hidden, n_out).",
        )
    if tied_ok and t.get("n_params") == 6 and t.get("distinct") == 3:
        v["tied_parameters"] = ok("The shared layer's weight and bias appear once in parameters().")
    elif t.get("n_params") == 8 or t.get("distinct") == 4:
        v["tied_parameters"] = fail(
            "not_tied", "parameters() lists 8 tensors: the hidden layers are not one shared layer."
        )
    else:
        v["tied_parameters"] = fail(
            "wrong_output",
            "Expected 6 parameter tensors (the shared layer counted "
            "once) in a net that computes the tied forward.",
        )
    grads = t.get("grads") if isinstance(t.get("grads"), list) else []
    if not tied_ok:
        v["tied_gradient"] = fail(
            v["tied_forward"].category, "The gradient is checked once the layer is tied."
        )
    elif len(grads) >= 3 and close(array(grads[1]), _shared_grad(X, tied)):
        v["tied_gradient"] = ok("The shared weight's gradient is the sum of both uses.")
    else:
        v["tied_gradient"] = fail(
            "no_gradient",
            "After backward() the shared weight's gradient is not the sum over both of its uses.",
        )
    return v
