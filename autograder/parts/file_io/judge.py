"""Hidden checks for the ``custom`` assignment's part 3: a ``state_dict`` round trip through
``torch.save`` / ``torch.load`` (d2lmods', or PyTorch's with ``weights_only=True``: data only).

The saved file must hold the net's state_dict (its keys, the secret values); a net loaded from a
file the grader wrote must compute the secret net's outputs and be in eval mode (it holds a
Dropout, which would otherwise drop half its features).
"""

from __future__ import annotations

import numpy as np

from ..common import Verdict, array, close, error_of, error_verdict, f32, fail, linear, ok, relu

PART = "file_io"
TITLE = "save_params and load_params"
CHECKS = [
    ("saves_state_dict", "save_params writes the net's state_dict", 1.0),
    ("loads_parameters", "load_params loads the saved parameters into a new net", 1.0),
    ("eval_mode", "load_params returns the net in eval mode", 0.5),
    ("round_trip", "load_params reads what save_params wrote", 0.5),
]
KEYS = ["0.weight", "0.bias", "3.weight", "3.bias"]


def make_inputs(rng: np.random.Generator) -> dict:
    return {
        "X": f32(rng, 5, 4),
        "W0": f32(rng, 6, 4),
        "b0": f32(rng, 6),
        "W1": f32(rng, 2, 6),
        "b1": f32(rng, 2),
    }


def _d(I, k):
    return np.asarray(I[k], dtype=np.float64)


def _want(I):
    return linear(relu(linear(_d(I, "X"), _d(I, "W0"), _d(I, "b0"))), _d(I, "W1"), _d(I, "b1"))


def _saves_module(obs) -> Verdict | None:
    e = error_of(obs)
    if e and "whole module" in str(e.get("message", "")):
        return fail(
            "saves_module",
            "save_params saves the module itself; a file for torch.load holds data, not "
            "code (a whole module is neither saved nor loaded back): save net.state_dict().",
        )
    return None


def _loaded(obs, I, what: str) -> Verdict:
    bad = _saves_module(obs) or error_verdict(obs, what)
    if bad is not None:
        return bad
    if not obs.get("is_module"):
        return fail(
            "wrong_type", "load_params must return the net it built and loaded (an nn.Module)."
        )
    if close(array(obs.get("y")), _want(I)):
        return ok("The loaded net computes what the saved one did.")
    return fail(
        "not_loaded",
        "The returned net does not hold the saved parameters: build it with make_net(), "
        "then net.load_state_dict(torch.load(path)), and return that net.",
    )


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    s = P.get("saved")
    v["saves_state_dict"] = _saves_module(s) or error_verdict(s, "save_params(net, path)")
    if v["saves_state_dict"] is None:
        want = [_d(I, "W0"), _d(I, "b0"), _d(I, "W1"), _d(I, "b1")]
        values = s.get("values") if isinstance(s.get("values"), list) else []
        if s.get("type") != "dict":
            v["saves_state_dict"] = fail(
                "wrong_type",
                f"The file holds a {str(s.get('type'))[:40]}; save the "
                "dict net.state_dict() returns.",
            )
        elif (
            s.get("keys") == KEYS
            and len(values) == 4
            and all(close(array(a), w) for a, w in zip(values, want))
        ):
            v["saves_state_dict"] = ok("The file holds the net's state_dict.")
        else:
            v["saves_state_dict"] = fail(
                "missing_parameters",
                "The saved dict is not the net's state_dict (keys "
                f"{[str(k)[:20] for k in (s.get('keys') or [])][:6]}, expected {KEYS}).",
            )
    lo = P.get("loaded")
    v["loads_parameters"] = _loaded(lo, I, "load_params(make_net, path)")
    if not v["loads_parameters"].passed:
        v["eval_mode"] = fail(
            v["loads_parameters"].category, "Eval mode is checked once loading works."
        )
    elif isinstance(lo.get("training"), list) and lo["training"] and not any(lo["training"]):
        v["eval_mode"] = ok("The loaded net is in eval mode (Dropout passes everything through).")
    else:
        v["eval_mode"] = fail(
            "left_in_training",
            "The loaded net is still in training mode, so its Dropout "
            "changes every prediction: call net.eval() before returning it.",
        )
    rt = P.get("roundtrip")
    if not v["saves_state_dict"].passed and not v["loads_parameters"].passed:
        v["round_trip"] = fail(
            v["saves_state_dict"].category, "save_params and load_params do not work yet."
        )
    else:
        v["round_trip"] = _loaded(rt, I, "load_params after save_params")
        if v["round_trip"].passed:
            v["round_trip"] = ok("load_params reads back what save_params wrote.")
    return v
