"""Hidden checks for part 3, ``factory(module_cls, n, *args, **kwargs)`` and ``stack(...)``.

The probe asks for ``Linear`` instances, loads different secret weights into each one in place
(as ``load_state_dict`` does) and reports every instance's output: one shared instance, or shared
parameters, make all outputs equal the last weights loaded.
"""

from __future__ import annotations

import numpy as np

from ..common import Verdict, array, close, error_verdict, f32, fail, linear, ok

PART = "factory"
TITLE = "factory and stack"
CHECKS = [
    ("factory_modulelist", "factory returns an nn.ModuleList of n modules", 0.5),
    ("independent_instances", "factory builds n independent instances", 1.0),
    ("passes_arguments", "factory passes *args and **kwargs to every instance", 0.5),
    ("n_zero", "factory and stack accept n = 0", 0.5),
    ("stack_chains", "stack chains n independent instances in an nn.Sequential", 0.5),
]


def make_inputs(rng: np.random.Generator) -> dict:
    return {
        "X": f32(rng, 6, 4),
        "F_W": f32(rng, 3, 5, 4),
        "F_b": f32(rng, 3, 5),
        "K_W": f32(rng, 2, 3, 4),
        "S_W": f32(rng, 3, 4, 4),
        "S_b": f32(rng, 3, 4),
    }


def _d(I, k):
    return np.asarray(I[k], dtype=np.float64)


def judge(P: dict, I: dict) -> dict[str, Verdict]:
    v: dict[str, Verdict] = {}
    X = _d(I, "X")
    fac = P.get("factory")
    bad = error_verdict(fac, "factory(nn.Linear, 3, ...)")
    if bad is not None:
        v["factory_modulelist"] = v["independent_instances"] = bad
    else:
        ys = fac.get("y") if isinstance(fac.get("y"), list) else []
        want = [linear(X, _d(I, "F_W")[i], _d(I, "F_b")[i]) for i in range(3)]
        # the type is a reported fact; the outputs back it (n working modules were returned)
        works = len(ys) == 3 and all(close(array(y), w) for y, w in zip(ys, want))
        shared = len(ys) == 3 and all(close(array(y), want[-1]) for y in ys)
        if fac.get("is_modulelist") and fac.get("len") == 3 and (works or shared):
            v["factory_modulelist"] = ok("factory returns an nn.ModuleList of n modules.")
        elif fac.get("type") in ("list", "tuple", "generator"):
            v["factory_modulelist"] = fail(
                "plain_list",
                "factory returns a plain Python "
                f"{fac.get('type')}; wrap the modules in nn.ModuleList so a model "
                "that stores them registers them.",
            )
        else:
            v["factory_modulelist"] = fail(
                "wrong_type", "factory must return an nn.ModuleList holding n modules."
            )
        if works and fac.get("distinct") == 3:
            v["independent_instances"] = ok("Every instance has its own parameters.")
        elif shared:
            v["independent_instances"] = fail(
                "shared_instance",
                "All n entries are the same module (or share "
                "parameters): changing one changes all. Create a new instance "
                "n times, e.g. in a loop; [module] * n repeats one object.",
            )
        else:
            v["independent_instances"] = fail(
                "wrong_output",
                "factory's modules do not behave like n separate "
                "instances of module_cls(*args, **kwargs).",
            )

    kw = P.get("kwargs")
    v["passes_arguments"] = error_verdict(kw, "factory(nn.Linear, 2, 4, 3, bias=False)")
    if v["passes_arguments"] is None:
        ky = kw.get("y") if isinstance(kw.get("y"), list) else []
        no_bias = len(ky) == 2 and all(
            close(array(y), X @ _d(I, "K_W")[i].T) for i, y in enumerate(ky)
        )
        if (
            kw.get("bias_none") == [True, True]
            and no_bias
            and kw.get("named_shapes") == [[3, 4]] * 2
        ):
            v["passes_arguments"] = ok("Positional and keyword arguments reach every instance.")
        elif kw.get("bias_none") != [True, True]:
            v["passes_arguments"] = fail(
                "ignored_kwargs",
                "Keyword arguments (like bias=False) did not reach "
                "the modules: pass **kwargs on to module_cls.",
            )
        else:
            v["passes_arguments"] = fail(
                "ignored_args",
                "Arguments given by name or position did not reach "
                "the modules: call module_cls(*args, **kwargs).",
            )

    z = P.get("zero")
    v["n_zero"] = error_verdict(z, "factory(..., 0, ...) / stack(..., 0, ...)")
    if v["n_zero"] is not None and v["n_zero"].category == "crash":
        v["n_zero"] = fail(
            "n_zero", v["n_zero"].output + " -- n = 0 is allowed and means an empty container."
        )
    elif v["n_zero"] is None:
        f0, s0 = z.get("factory") or {}, z.get("stack") or {}
        if (
            f0.get("is_modulelist")
            and f0.get("len") == 0
            and s0.get("is_sequential")
            and s0.get("len") == 0
            and close(array(z.get("stack_y")), X)
        ):
            v["n_zero"] = ok(
                "n = 0 gives an empty container (an empty stack passes its input through)."
            )
        else:
            v["n_zero"] = fail(
                "n_zero",
                "With n = 0 expect an empty nn.ModuleList from factory and an empty "
                "nn.Sequential (which returns its input) from stack.",
            )

    st = P.get("stack")
    v["stack_chains"] = error_verdict(st, "stack(nn.Linear, 3, 4, 4)")
    if v["stack_chains"] is None:
        y = X
        for i in range(3):
            y = linear(y, _d(I, "S_W")[i], _d(I, "S_b")[i])
        if (
            st.get("is_sequential")
            and st.get("len") == 3
            and st.get("distinct") == 3
            and close(array(st.get("y")), y)
        ):
            v["stack_chains"] = ok("stack chains n independent modules.")
        elif not st.get("is_sequential"):
            v["stack_chains"] = fail(
                "plain_list" if st.get("type") in ("list", "tuple") else "wrong_type",
                "stack must return an nn.Sequential, which chains its modules.",
            )
        elif st.get("distinct") != 3:
            v["stack_chains"] = fail(
                "shared_instance", "stack repeats one module instead of creating n."
            )
        else:
            v["stack_chains"] = fail(
                "wrong_output", "stack's output is not module_n(...module_1(x))."
            )
    return v


def inconsistencies(P: dict) -> list[str]:
    """A container whose iteration gives other modules than it registers (see my_sequential)."""

    def claims(d):
        return d.get("claims") if isinstance(d, dict) else None

    z = P.get("zero") if isinstance(P.get("zero"), dict) else {}
    for d in (P.get("factory"), P.get("stack"), z.get("factory"), z.get("stack")):
        if claims(d) is False:
            return ["iterating the returned container gives other modules than it registers"]
    return []
