"""Hidden checks for part 1, ``MySequential(*modules)``.

The probe chains ``Linear(5, 5), Tag a, ReLU, Linear(5, 5), Tag b`` (a Tag is an affine map that
logs its calls) with secret weights -- square layers, so a wrong order or a skipped module still
runs and can be recognised by its output -- and a lazy chain ``LazyLinear(4), ReLU, Linear(4, 2)``.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..common import Verdict, array, close, error_verdict, f32, fail, linear, ok, relu

PART = "my_sequential"
TITLE = "MySequential"
#: (check id, student-facing name, points)
CHECKS = [
    ("registers_children", "MySequential registers its children in order", 1.0),
    ("forward_chains", "forward calls every module once, in order", 1.0),
    ("parameters_state_dict", "parameters() and state_dict() reach every child", 0.5),
    ("double_and_modes", ".double(), train() and eval() reach every child", 0.5),
    ("lazy_layers", "works with lazy layers", 0.5),
    ("repr_children", "repr shows the children", 0.5),
]
N_MODULES = 5
PARAM_LABELS = ["0.weight", "0.bias", "3.weight", "3.bias"]


def make_inputs(rng: np.random.Generator) -> dict:
    scale = lambda: np.array([rng.uniform(0.5, 2.0) * rng.choice([-1, 1]), rng.uniform(-1, 1)])
    return {
        "X": f32(rng, 7, 5),
        "W1": f32(rng, 5, 5),
        "b1": f32(rng, 5),
        "W2": f32(rng, 5, 5),
        "b2": f32(rng, 5),
        "tag_a": scale(),
        "tag_b": scale(),
        "X2": f32(rng, 3, 7),
        "X2b": f32(rng, 4, 7),
        "L1": f32(rng, 4, 7),
        "lb1": f32(rng, 4),
        "L3": f32(rng, 2, 4),
        "lb3": f32(rng, 2),
    }


def _layers(I):
    """The five modules as numpy functions, with the names the Tag modules log."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in I.items()}
    return [
        (None, lambda x: linear(x, w["W1"], w["b1"])),
        ("a", lambda x: x * w["tag_a"][0] + w["tag_a"][1]),
        (None, relu),
        (None, lambda x: linear(x, w["W2"], w["b2"])),
        ("b", lambda x: x * w["tag_b"][0] + w["tag_b"][1]),
    ]


def _apply(layers, order, x):
    for i in order:
        x = layers[i][1](x)
    return x


def _variants(layers, x):
    """Outputs of the usual wrong forwards, to name the mistake: (category, order)."""
    n = len(layers)
    cands = [("wrong_order", list(reversed(range(n))))]
    cands += [("skips_module", [j for j in range(n) if j != i]) for i in range(n)]
    cands += [
        ("repeats_module", list(range(i + 1)) + [i] + list(range(i + 1, n))) for i in range(n)
    ]
    cands += [
        ("wrong_order", list(p))
        for p in itertools.permutations(range(n))
        if list(p) != list(range(n))
    ]
    for cat, order in cands:
        try:
            yield cat, _apply(layers, order, x)
        except ValueError:  # shapes do not chain
            continue


def _state_dict_ok(sd, names: list[str], I: dict) -> bool:
    """state_dict() has exactly the two Linear children's tensors, under their registered names,
    holding the secret weights (compared here, so a made-up report cannot pass)."""
    if not isinstance(sd, list) or len(names) != N_MODULES:
        return False
    want = [
        (f"{names[0]}.weight", I["W1"]),
        (f"{names[0]}.bias", I["b1"]),
        (f"{names[3]}.weight", I["W2"]),
        (f"{names[3]}.bias", I["b2"]),
    ]
    got = [c for c in sd if isinstance(c, list) and len(c) == 2]
    return len(got) == len(want) and all(
        str(k) == wk and close(array(a), np.asarray(w, dtype=np.float64))
        for (k, a), (wk, w) in zip(got, want)
    )


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    layers = _layers(I)
    X = np.asarray(I["X"], dtype=np.float64)
    expected = _apply(layers, range(N_MODULES), X)

    build = P.get("build")
    bad = error_verdict(build, "Creating MySequential(m1, m2, ...)")
    if bad is not None:
        return {c[0]: bad for c in CHECKS}
    if not build.get("is_module"):
        miss = fail(
            "not_a_module",
            "MySequential is not an nn.Module subclass: derive it from nn.Module "
            "and call super().__init__() first.",
        )
        return {c[0]: miss for c in CHECKS}

    # -- registration --------------------------------------------------------------------------
    children = P.get("children")
    plain_list = False
    v["registers_children"] = error_verdict(children, "named_children()")
    if v["registers_children"] is None:
        idx = [c[1] for c in children if isinstance(c, list) and len(c) == 2]
        names = [c[0] for c in children if isinstance(c, list) and len(c) == 2]
        if build.get("builtin"):
            v["registers_children"] = fail(
                "uses_builtin",
                "MySequential reuses nn.Sequential/ModuleList; "
                "the exercise is to register the children yourself.",
            )
        elif not idx:
            plain_list = True
            v["registers_children"] = fail(
                "plain_list",
                "MySequential has no registered children. Modules kept "
                "in a plain Python list are invisible to nn.Module: register each one "
                "with self.add_module(str(i), module) for each position i.",
            )
        elif idx == list(range(N_MODULES)) and len(set(names)) == N_MODULES:
            if _state_dict_ok(P.get("state_dict"), names, I):
                v["registers_children"] = ok(
                    "All children are registered, in the order they were given."
                )
            else:  # the reported structure is not backed by the children's actual weights
                v["registers_children"] = fail(
                    "wrong_output",
                    "The registered children do not hold the modules that were passed in.",
                )
        elif len(idx) < N_MODULES or -1 in idx:
            v["registers_children"] = fail(
                "name_clash",
                "Some modules are missing from the registered children: "
                "registering two modules under the same name keeps only the last. "
                "Give each child its own name, e.g. its position.",
            )
        else:
            v["registers_children"] = fail(
                "wrong_order",
                "The children are registered, but not in the order they were passed in.",
            )

    # -- forward ---------------------------------------------------------------------------------
    fw = P.get("forward")
    v["forward_chains"] = error_verdict(fw, "Calling the model")
    if v["forward_chains"] is None:
        y, log = array(fw.get("y")), fw.get("log")
        if close(y, expected) and log == ["a", "b"]:
            v["forward_chains"] = ok("forward feeds each module's output into the next one.")
        else:
            cat = "wrong_output"
            if isinstance(log, list) and len(log) > len(set(map(str, log))):
                cat = "repeats_module"
            elif isinstance(log, list) and len(log) < 2:
                cat = "skips_module"
            elif isinstance(log, list) and log == ["b", "a"]:
                cat = "wrong_order"
            else:
                for c, alt in _variants(layers, X):
                    if close(y, alt):
                        cat = c
                        break
            text = {
                "repeats_module": "forward calls some module more than once. Call each module exactly once.",
                "skips_module": "forward skips a module. Every module must be applied, first to last.",
                "wrong_order": "forward applies the modules in a different order than they were given.",
            }.get(
                cat,
                "forward does not compute module_n(...module_2(module_1(x))). Feed each "
                "module the previous module's output and return the last one.",
            )
            v["forward_chains"] = fail(cat, text)

    # -- parameters and state_dict -------------------------------------------------------------
    params, sd = P.get("parameters"), P.get("state_dict")
    v["parameters_state_dict"] = error_verdict(params, "parameters()") or error_verdict(
        sd, "state_dict()"
    )
    if v["parameters_state_dict"] is None:
        names = [
            str(c[0])
            for c in (children if isinstance(children, list) else [])
            if isinstance(c, list) and len(c) == 2
        ]
        if params == PARAM_LABELS and len(names) == N_MODULES and _state_dict_ok(sd, names, I):
            v["parameters_state_dict"] = ok(
                "parameters() and state_dict() list every child's parameters."
            )
        elif not params:
            v["parameters_state_dict"] = fail(
                "plain_list" if plain_list else "missing_parameters",
                "parameters() is empty: the children's weights are not registered, "
                "so an optimizer would never train them and save() would lose them.",
            )
        else:
            v["parameters_state_dict"] = fail(
                "missing_parameters",
                "parameters() or state_dict() misses or reorders some child parameters.",
            )

    # -- .double(), train(), eval() -------------------------------------------------------------
    md, db = P.get("modes"), P.get("double")
    v["double_and_modes"] = error_verdict(md, "train()/eval()") or error_verdict(db, ".double()")
    if v["double_and_modes"] is None:
        modes_ok = md.get("eval") == [False] * N_MODULES and md.get("train") == [True] * N_MODULES
        dt = db.get("param_dtypes")
        y = array(db.get("y"))
        # only dtypes here: wrong values are forward_chains' business
        double_ok = (
            dt == ["float64"] * 4
            and isinstance(db.get("y"), dict)
            and db["y"].get("dtype") == "float64"
            and y is not None
            and y.shape == expected.shape
        )
        registered = v["registers_children"].passed
        if modes_ok and double_ok and registered:
            v["double_and_modes"] = ok(".double(), train() and eval() reach every child.")
        else:
            what = []
            if not modes_ok:
                what.append("eval()/train() did not switch every child")
            if not double_ok:
                what.append(".double() did not convert every child's parameters")
            v["double_and_modes"] = fail(
                "plain_list" if plain_list else "not_recursive",
                "; ".join(what) + ". nn.Module methods only reach registered children.",
            )

    # -- lazy layers ----------------------------------------------------------------------------
    lz = P.get("lazy")
    v["lazy_layers"] = error_verdict(lz, "MySequential(nn.LazyLinear(...), ...)")
    if v["lazy_layers"] is None:
        w = {k: np.asarray(I[k], dtype=np.float64) for k in ("X2b", "L1", "lb1", "L3", "lb3")}
        want = linear(relu(linear(w["X2b"], w["L1"], w["lb1"])), w["L3"], w["lb3"])
        if close(array(lz.get("y")), want):
            v["lazy_layers"] = ok("Lazy layers infer their input size on the first call.")
        else:
            v["lazy_layers"] = fail(
                "wrong_output",
                "With a LazyLinear first, the output is wrong after the layer "
                "has been initialized.",
            )

    # -- repr -----------------------------------------------------------------------------------
    rp = P.get("repr")
    v["repr_children"] = error_verdict(rp, "repr(model)")
    if v["repr_children"] is None:
        text, kids = rp.get("repr"), rp.get("children")
        if (
            v["registers_children"].passed
            and isinstance(text, str)
            and isinstance(kids, list)
            and kids
            and all(isinstance(k, str) and k.splitlines()[0] in text for k in kids)
        ):
            v["repr_children"] = ok("print(model) lists every child.")
        else:
            v["repr_children"] = fail(
                "plain_list" if plain_list else "repr_missing_children",
                "print(model) does not list the children; nn.Module's repr shows only "
                "registered submodules.",
            )
    return v


def inconsistencies(P: dict) -> list[str]:
    """What the student's methods claim beyond what registration holds (an honest class, even a
    buggy one, never does: its methods are nn.Module's, which read the registration)."""
    claims = P.get("claims") if isinstance(P.get("claims"), dict) else {}
    out = []
    raw_kids = (
        {c[1] for c in P.get("children", []) if isinstance(c, list) and len(c) == 2}
        if isinstance(P.get("children"), list)
        else set()
    )
    kids = claims.get("children")
    if isinstance(kids, list) and set(map(str, kids)) - set(map(str, raw_kids)):
        out.append("named_children() answers modules that are not registered")
    raw_params = (
        set(map(str, P.get("parameters", []))) if isinstance(P.get("parameters"), list) else set()
    )
    params = claims.get("parameters")
    if isinstance(params, list) and set(map(str, params)) - raw_params:
        out.append("parameters() answers parameters that are not registered")
    return out
