"""Hidden checks for part 2, ``ParallelModule(*modules)``.

Three cases, each with branches that are ``Linear`` layers recording the input they receive:
A (batch 6, 5 features, outputs 3 + 3), B (batch size equal to the feature size: 4 x 4, outputs
4 + 4) and C (three branches, outputs 1 + 2 + 3).  A and B let a join along the batch dimension run
(and be recognised); C has branches of different widths.  Case A also runs a backward pass.
"""

from __future__ import annotations

import numpy as np

from ..common import Verdict, array, close, error_verdict, f32, fail, linear, ok

PART = "parallel_module"
TITLE = "ParallelModule"
CHECKS = [
    ("registers_branches", "ParallelModule registers every branch", 0.75),
    ("concat_features", "outputs are concatenated along the feature dimension", 1.0),
    ("same_input", "every branch sees the same, unchanged input", 0.5),
    ("gradients_reach_branches", "gradients reach every branch", 0.75),
]
CASES = {"A": (6, 5, [3, 3]), "B": (4, 4, [4, 4]), "C": (3, 2, [1, 2, 3])}


def make_inputs(rng: np.random.Generator) -> dict:
    I = {}
    for case, (batch, n_in, outs) in CASES.items():
        I[f"{case}_X"] = f32(rng, batch, n_in)
        I[f"{case}_outs"] = np.array(outs)
        for k, o in enumerate(outs):
            I[f"{case}_W{k}"] = f32(rng, o, n_in)
            I[f"{case}_b{k}"] = f32(rng, o)
    return I


def _branch_outputs(I, case):
    x = np.asarray(I[f"{case}_X"], dtype=np.float64)
    return [
        linear(
            x, np.asarray(I[f"{case}_W{k}"], np.float64), np.asarray(I[f"{case}_b{k}"], np.float64)
        )
        for k in range(len(CASES[case][2]))
    ]


def _wrong_dim(y: np.ndarray | None, outs: list[np.ndarray]) -> bool:
    """Does ``y`` look like the branch outputs joined along the batch dimension (or stacked)?"""
    if y is None or any(o.shape[1:] != outs[0].shape[1:] for o in outs):
        return False  # branches of different widths cannot be joined along the batch
    cat0 = np.concatenate(outs, axis=0)
    candidates = [cat0, cat0.reshape(y.shape) if cat0.size == y.size else None]
    if all(o.shape == outs[0].shape for o in outs):
        st = np.stack(outs)
        candidates += [
            st,
            st.reshape(y.shape) if st.size == y.size else None,
            np.stack(outs, axis=1).reshape(y.shape) if st.size == y.size else None,
        ]
    return any(c is not None and close(y, c) for c in candidates)


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    obs = {c: P.get(f"case_{c}") for c in CASES}
    errors = {c: error_verdict(obs[c], "Calling ParallelModule") for c in CASES}
    ran = [c for c in CASES if errors[c] is None]
    if not ran:
        return {name: errors["A"] for name, _, _ in CHECKS}
    first = obs[ran[0]]
    # -- registration --------------------------------------------------------------------------
    n_first = len(CASES[ran[0]][2])
    kids = first.get("registered") if isinstance(first.get("registered"), list) else []
    params = sorted(str(p) for p in first.get("parameters", []))
    want = sorted(f"{k}.lin.{n}" for k in range(n_first) for n in ("weight", "bias"))
    secret = [
        np.asarray(I[f"{ran[0]}_{w}{k}"], np.float64) for k in range(n_first) for w in ("W", "b")
    ]
    values = (
        [array(a) for a in first.get("param_values", [])]
        if isinstance(first.get("param_values"), list)
        else []
    )
    backed = len(values) == len(secret) and all(any(close(a, w) for a in values) for w in secret)
    if kids == list(range(n_first)) and params == want and backed:
        v["registers_branches"] = ok("Every branch is a registered submodule.")
    elif not kids:
        v["registers_branches"] = fail(
            "plain_list",
            "The branches are not registered children (a plain "
            "list hides them from parameters(), state_dict() and .to()).",
        )
    else:
        v["registers_branches"] = fail(
            "missing_branch",
            "Some branches are missing from the registered children or their parameters.",
        )
    # -- concatenation --------------------------------------------------------------------------
    good, wrong_dim = True, False
    for c in ran:
        outs = _branch_outputs(I, c)
        y = array(obs[c].get("y"))
        if not close(y, np.concatenate(outs, axis=1)):
            good = False
            wrong_dim = wrong_dim or _wrong_dim(y, outs)
    if good and len(ran) == len(CASES):
        v["concat_features"] = ok("Outputs are joined along the feature dimension.")
    elif wrong_dim:
        v["concat_features"] = fail(
            "wrong_concat_dim",
            "The outputs are joined along the wrong dimension. "
            "Each row is one example: keep the batch dimension (0) and join the "
            "features (dimension 1 / -1), even when both have the same size.",
        )
    elif good:  # every case that ran was right, another one raised
        v["concat_features"] = next(errors[c] for c in CASES if errors[c] is not None)
    else:
        v["concat_features"] = fail(
            "wrong_output",
            "The output is not the concatenation of every branch's output on the same input.",
        )
    # -- same input ----------------------------------------------------------------------------
    fine, chained = True, False
    for c in ran:
        x = np.asarray(I[f"{c}_X"], dtype=np.float64)
        seen = [s for s in obs[c].get("seen", []) if isinstance(s, list) and len(s) == 2]
        if sorted(str(s[0]) for s in seen) != [f"{c}{k}" for k in range(len(CASES[c][2]))]:
            fine = False
        for _, a in seen:
            a = array(a)
            if not close(a, x):
                fine = False
                chained = chained or (a is not None and a.shape != x.shape)
        if not close(array(obs[c].get("x_after")), x):
            fine = False
    if fine:
        v["same_input"] = ok("Every branch receives the original input exactly once.")
    else:
        v["same_input"] = fail(
            "mutated_input",
            "Not every branch received the original input exactly "
            "once: "
            + (
                "a branch got another branch's output -- the branches run "
                "side by side, not one after another."
                if chained
                else "the input was changed (or a branch skipped or called twice) before "
                "every branch had seen it. Give each branch the same x and do "
                "not modify x in place."
            ),
        )
    # -- gradients ------------------------------------------------------------------------------
    if errors["A"] is not None:
        v["gradients_reach_branches"] = errors["A"]
        return v
    x = np.asarray(I["A_X"], dtype=np.float64)
    grads = obs["A"].get("grads")
    good = isinstance(grads, list) and len(grads) == 2
    for k, o in enumerate(CASES["A"][2]):
        if not good:
            break
        g = np.ones((x.shape[0], o))  # d(sum of outputs)/d(branch output)
        pair = grads[k] if isinstance(grads[k], list) and len(grads[k]) == 2 else [None, None]
        good = close(array(pair[0]), g.T @ x) and close(array(pair[1]), g.sum(axis=0))
    if good:
        v["gradients_reach_branches"] = ok("Backpropagation reaches every branch's parameters.")
    else:
        v["gradients_reach_branches"] = fail(
            "no_gradient",
            "After backward(), some branch has a missing or "
            "wrong gradient. Build the output from the branches' tensors with "
            "tensor operations (no .detach(), numpy or in-place tricks).",
        )
    return v


def inconsistencies(P: dict) -> list[str]:
    """What ``modules()``/``parameters()`` claim beyond what registration holds (see my_sequential)."""
    out = []
    for c in CASES:
        obs = P.get(f"case_{c}")
        claims = (
            obs.get("claims")
            if isinstance(obs, dict) and isinstance(obs.get("claims"), dict)
            else {}
        )
        if not claims:
            continue
        reg = (
            set(map(str, obs.get("registered", [])))
            if isinstance(obs.get("registered"), list)
            else set()
        )
        if isinstance(claims.get("modules"), list) and set(map(str, claims["modules"])) - reg:
            out.append("modules() answers branches that are not registered")
        raw = (
            set(map(str, obs.get("parameters", [])))
            if isinstance(obs.get("parameters"), list)
            else set()
        )
        if isinstance(claims.get("parameters"), list) and set(map(str, claims["parameters"])) - raw:
            out.append("parameters() answers parameters that are not registered")
        if out:
            break
    return sorted(set(out))
