"""Hidden checks for the ``custom`` assignment's part 1: ``CenteredLayer`` (a layer without
parameters) and ``MyLinear`` (a layer with its own ``Parameter`` s).

Outputs and gradients are compared with numpy on secret inputs and weights; the registered names
and shapes only count where an output computed from the loaded secret weights backs them.
"""

from __future__ import annotations

import numpy as np

from ..common import Verdict, array, close, error_verdict, f32, fail, ok

PART = "custom_layers"
TITLE = "CenteredLayer and MyLinear"
CHECKS = [
    ("centered_output", "CenteredLayer subtracts the mean of all elements", 1.0),
    ("centered_no_parameters", "CenteredLayer has no parameters", 0.5),
    (
        "mylinear_parameters",
        "MyLinear registers weight (in_units, units) and bias (units,) as Parameters",
        1.0,
    ),
    ("mylinear_forward", "MyLinear computes X @ weight + bias", 1.0),
    ("mylinear_gradient", "gradients reach MyLinear's weight and bias", 0.5),
]


def make_inputs(rng: np.random.Generator) -> dict:
    return {
        "C_X": f32(rng, 4, 6) + 3.0,
        "C_X3": f32(rng, 2, 3, 4) - 2.0,
        "L_X": f32(rng, 4, 5),
        "L_W": f32(rng, 5, 3),
        "L_b": f32(rng, 3),
    }


def _d(I, k):
    return np.asarray(I[k], dtype=np.float64)


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    c = P.get("centered")
    bad = error_verdict(c, "CenteredLayer()(X)")
    if bad is not None:
        v["centered_output"] = v["centered_no_parameters"] = bad
    else:
        X, X3 = _d(I, "C_X"), _d(I, "C_X3")
        y, y3 = array(c.get("y")), array(c.get("y3"))
        works = close(y, X - X.mean()) and close(y3, X3 - X3.mean())
        if works:
            v["centered_output"] = ok("CenteredLayer returns X - X.mean() for any shape.")
        elif close(y, X - X.mean(axis=-1, keepdims=True)) or close(
            y, X - X.mean(axis=0, keepdims=True)
        ):
            v["centered_output"] = fail(
                "centers_rows",
                "The output subtracts the mean of each row (or column); "
                "the layer subtracts one number, the mean of all elements: X - X.mean().",
            )
        else:
            v["centered_output"] = fail(
                "wrong_output", "CenteredLayer()(X) should be X - X.mean(), of X's shape."
            )
        params = c.get("params")
        if not c.get("is_module"):
            v["centered_no_parameters"] = fail(
                "not_a_module", "CenteredLayer must derive from nn.Module."
            )
        elif params == [] and y is not None and y.shape == X.shape:
            v["centered_no_parameters"] = ok("CenteredLayer has no parameters.")
        elif params:
            v["centered_no_parameters"] = fail(
                "has_parameters",
                "CenteredLayer registers a Parameter "
                f"({params[0][0] if isinstance(params[0], list) else '?'}); it has "
                "nothing to learn: compute the mean in forward.",
            )
        else:
            v["centered_no_parameters"] = fail(
                "wrong_output",
                "CenteredLayer has no parameters, but its output is wrong (see the check above).",
            )

    f = P.get("forward")
    bad = error_verdict(f, "MyLinear(5, 3)(X)")
    X, W, b = _d(I, "L_X"), _d(I, "L_W"), _d(I, "L_b")
    want = X @ W + b
    works = bad is None and close(array(f.get("y")), want)
    if bad is not None:
        v["mylinear_forward"] = bad
    elif works:
        v["mylinear_forward"] = ok("MyLinear computes X @ weight + bias.")
    elif close(array(f.get("y")), np.maximum(want, 0.0)):
        v["mylinear_forward"] = fail(
            "wrong_output",
            "MyLinear applies a ReLU; this exercise asks for the affine "
            "map only: X @ weight + bias.",
        )
    else:
        v["mylinear_forward"] = fail(
            "wrong_output",
            "MyLinear(in_units, units)(X) should be X @ weight + bias, "
            "with weight of shape (in_units, units).",
        )

    r = P.get("registered")
    bad = error_verdict(r, "MyLinear(5, 3)")
    if bad is not None:
        v["mylinear_parameters"] = bad
    elif not r.get("is_module"):
        v["mylinear_parameters"] = fail("not_a_module", "MyLinear must derive from nn.Module.")
    else:
        params = r.get("params") if isinstance(r.get("params"), list) else []
        got = {p[0]: (p[1], p[2]) for p in params if isinstance(p, list) and len(p) == 3}
        attrs = r.get("attrs") if isinstance(r.get("attrs"), dict) else {}
        if got == {"weight": ([5, 3], True), "bias": ([3], True)} and works and f.get("loaded"):
            v["mylinear_parameters"] = ok(
                "weight and bias are registered Parameters of the right shapes."
            )
        elif set(got) == {"weight", "bias"} and got.get("weight", ([],))[0] == [3, 5]:
            v["mylinear_parameters"] = fail(
                "wrong_shape",
                "weight has shape (units, in_units), as nn.Linear "
                "stores it; this layer computes X @ weight, so weight is "
                "(in_units, units).",
            )
        elif set(got) == {"weight", "bias"}:
            v["mylinear_parameters"] = fail(
                "wrong_shape",
                f"weight and bias are registered with shapes "
                f"{got['weight'][0]} and {got['bias'][0]}; expected [5, 3] and [3] "
                "for MyLinear(5, 3).",
            )
        elif not got and any(isinstance(a, dict) and a.get("tensor") for a in attrs.values()):
            v["mylinear_parameters"] = fail(
                "missing_parameters",
                "weight and bias are plain tensors, so "
                "parameters() and state_dict() do not see them (and no optimizer "
                "trains them): wrap them in nn.Parameter(...).",
            )
        else:
            v["mylinear_parameters"] = fail(
                "missing_parameters",
                "MyLinear should register exactly two "
                "Parameters, named weight and bias; found "
                f"{sorted(got) or 'none'}.",
            )

    if v["mylinear_forward"].category == "not_implemented":
        v["mylinear_gradient"] = v["mylinear_forward"]
    elif not works:
        v["mylinear_gradient"] = fail(
            "wrong_output", "The gradients are checked once forward is right."
        )
    elif not f.get("loaded"):
        v["mylinear_gradient"] = fail(
            "missing_parameters",
            "Only registered Parameters get gradients an "
            "optimizer can use: register weight and bias with nn.Parameter.",
        )
    else:
        g = f.get("grads") if isinstance(f.get("grads"), dict) else {}
        gw, gb = array(g.get("weight")), array(g.get("bias"))
        want_gw, want_gb = X.T @ np.ones((X.shape[0], 3)), np.full(3, float(X.shape[0]))
        if close(gw, want_gw) and close(gb, want_gb):
            v["mylinear_gradient"] = ok("backward() fills weight.grad and bias.grad.")
        elif gw is None or gb is None:
            v["mylinear_gradient"] = fail(
                "no_gradient",
                "After backward() weight.grad or bias.grad is None: "
                "forward must use the Parameters themselves, not .data or a detached "
                "copy.",
            )
        else:
            v["mylinear_gradient"] = fail(
                "no_gradient",
                "The gradients of weight and bias are not those of X @ weight + bias.",
            )
    return v
