"""The one file that runs inside the sandbox, next to a student's solution cell.

It executes the cell as a module, builds the objects of one exercise part around modules whose
weights come from ``inputs.npz`` (drawn fresh from a secret seed by the grader), and writes what it
*observes* -- outputs as plain lists, names, dtypes, flags -- to ``out.json``.  It decides nothing:
the grader compares these observations with a numpy reference outside this process, so a student
who patches this file's functions, d2lmods or builtins can at most lie about values they would
have to compute correctly anyway.

Usage (by :mod:`autograder.sandbox`)::

    python -I -B probe.py <in-dir> <out-dir> [<folder of d2lmods>]   # in-dir: part.json, inputs.npz, student.py

Only the standard library, numpy and d2lmods are imported here; never ``autograder``.
"""
import json
import os
import sys
import time

T0 = time.perf_counter()
IN_DIR, OUT_DIR = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3 and sys.argv[3] not in sys.path:
    # the folder holding d2lmods (in the sandbox it holds nothing else), for a checkout that is
    # not pip-installed; an installed d2lmods is found through site-packages as usual
    sys.path.append(sys.argv[3])
# Keep our own references before any student code can rebind the names we use.
_open, _dumps, _replace, _exit, _perf = open, json.dumps, os.replace, os._exit, time.perf_counter
_isinstance, _len, _id, _str, _repr, _type = isinstance, len, id, str, repr, type

OBS = {"part": None, "timings": {}, "exec": None, "probes": {}}


def write():
    tmp = os.path.join(OUT_DIR, "out.json.tmp")
    with _open(tmp, "w") as f:
        f.write(_dumps(OBS, default=_str))
    _replace(tmp, os.path.join(OUT_DIR, "out.json"))


def err(e):
    """An exception as data: its type name and the first line of its message."""
    try:
        msg = _str(e)
    except BaseException:
        msg = "<unprintable>"
    return {"error": {"type": _type(e).__name__, "message": msg[:300]}}


import numpy as np  # noqa: E402

try:
    import d2lmods as torch  # noqa: E402
    from d2lmods import nn  # noqa: E402
    try:
        from d2lmods.nn import functional as F  # noqa: E402
    except ImportError:
        F = None
except BaseException as e:  # the library itself does not import: nothing can be graded
    OBS["import_error"] = err(e)["error"]
    write()
    _exit(0)
OBS["timings"]["imports"] = round(_perf() - T0, 4)

Tensor, Module, ModuleList, Sequential = torch.Tensor, nn.Module, nn.ModuleList, nn.Sequential
Parameter, Linear, LazyLinear, ReLU = nn.Parameter, nn.Linear, nn.LazyLinear, nn.ReLU


def arr(t):
    """A tensor as {shape, dtype, data}; anything else as its type name."""
    if _isinstance(t, Tensor):
        a = np.asarray(t.detach().numpy())
        return {"shape": list(a.shape), "dtype": _str(a.dtype),
                "data": np.asarray(a, dtype=np.float64).tolist()}
    return {"not_tensor": _type(t).__name__}


def T(a):
    return torch.tensor(np.ascontiguousarray(a))


def load(module, **arrays):
    """Set a module's parameters in place from the secret arrays (what load_state_dict does)."""
    module.load_state_dict({k: T(v) for k, v in arrays.items()})


def labels_of(modules):
    """id(parameter) -> 'i.name' for the modules the probe built itself."""
    out = {}
    for i, m in enumerate(modules):
        for name, p in m.named_parameters():
            out[_id(p)] = f"{i}.{name}"
    return out


def index_of(obj, modules):
    for i, m in enumerate(modules):
        if obj is m:
            return i
    return -1


def step(name, fn):
    """Run one observation; record its result or the exception it raised."""
    t = _perf()
    try:
        OBS["probes"][name] = fn()
    except BaseException as e:  # SystemExit, KeyboardInterrupt, MemoryError included
        OBS["probes"][name] = err(e)
    OBS["timings"]["checks"] = round(OBS["timings"].get("checks", 0) + _perf() - t, 4)
    write()


class Tag(Module):
    """An elementwise affine map that logs each call: shows skipped, repeated, reordered modules."""

    def __init__(self, name, scale, shift, log):
        super().__init__()
        self.name, self.scale, self.shift, self._log = name, float(scale), float(shift), log

    def forward(self, x):
        self._log.append(self.name)
        return x * self.scale + self.shift

    def extra_repr(self):
        return f"name={self.name}"


class Branch(Module):
    """A Linear layer that records every input it is given."""

    def __init__(self, name, n_in, n_out, seen):
        super().__init__()
        self.name, self._seen = name, seen
        self.lin = Linear(n_in, n_out)

    def forward(self, x):
        self._seen.append([self.name, arr(x)])
        return self.lin(x)


# ----------------------------------------------------------------------------------------------
def probe_my_sequential(ns, I):
    MySequential = ns["MySequential"]
    log = []
    lin1, lin2 = Linear(5, 5), Linear(5, 5)
    load(lin1, weight=I["W1"], bias=I["b1"])
    load(lin2, weight=I["W2"], bias=I["b2"])
    mods = [lin1, Tag("a", I["tag_a"][0], I["tag_a"][1], log), ReLU(),
            lin2, Tag("b", I["tag_b"][0], I["tag_b"][1], log)]
    labels = labels_of(mods)
    holder = {}

    def build():
        holder["seq"] = MySequential(*mods)
        seq = holder["seq"]
        return {"is_module": _isinstance(seq, Module),
                "mro": [c.__name__ for c in _type(seq).__mro__],
                "builtin": _isinstance(seq, (Sequential, ModuleList))}
    step("build", build)
    if "seq" not in holder:
        return
    seq = holder["seq"]
    step("children", lambda: [[n, index_of(c, mods)] for n, c in seq.named_children()])

    def forward():
        log.clear()
        y = seq(T(I["X"]))
        return {"y": arr(y), "log": list(log)}
    step("forward", forward)
    step("parameters", lambda: [labels.get(_id(p), "?") for p in seq.parameters()])

    # values, not labels: the grader matches them against the secret weights itself
    step("state_dict", lambda: [[_str(k), arr(t)] for k, t in seq.state_dict().items()])
    step("repr", lambda: {"repr": _repr(seq), "children": [_repr(m) for m in mods]})

    def modes():
        seq.eval()
        ev = [m.training for m in mods]
        seq.train()
        return {"eval": ev, "train": [m.training for m in mods]}
    step("modes", modes)

    def double():
        seq.double()
        dtypes = [_str(p.dtype).split(".")[-1] for m in mods for p in m.parameters()]
        log.clear()
        try:  # unconverted children typically make this raise a dtype mismatch
            y = arr(seq(T(I["X"].astype(np.float64))))
        except BaseException as e:
            y = err(e)
        return {"param_dtypes": dtypes, "y": y}
    step("double", double)

    def lazy():
        lz, last = LazyLinear(4), Linear(4, 2)
        s2 = MySequential(lz, ReLU(), last)
        s2(T(I["X2"]))  # materializes the lazy layer
        load(lz, weight=I["L1"], bias=I["lb1"])
        load(last, weight=I["L3"], bias=I["lb3"])
        n_params = _len(list(s2.parameters()))
        return {"y": arr(s2(T(I["X2b"]))), "n_params": n_params}
    step("lazy", lazy)


def probe_parallel_module(ns, I):
    ParallelModule = ns["ParallelModule"]
    for case in ("A", "B", "C"):
        seen = []
        shapes = [int(s) for s in I[f"{case}_outs"]]
        n_in = I[f"{case}_X"].shape[1]
        branches = [Branch(f"{case}{k}", n_in, o, seen) for k, o in enumerate(shapes)]
        for k, b in enumerate(branches):
            load(b.lin, weight=I[f"{case}_W{k}"], bias=I[f"{case}_b{k}"])
        labels = labels_of(branches)

        def run(case=case, branches=branches, seen=seen, labels=labels):
            par = ParallelModule(*branches)
            seen.clear()
            x = T(I[f"{case}_X"])
            y = par(x)
            out = {"y": arr(y), "seen": list(seen), "x_after": arr(x),
                   # branches may sit directly in par or inside a registered container
                   "registered": sorted({index_of(m, branches) for m in par.modules()} - {-1}),
                   "parameters": [labels.get(_id(p), "?") for p in par.parameters()],
                   "param_values": [arr(p) for p in par.parameters()]}
            if case == "A":
                try:  # sum(): the gradient each branch gets does not depend on the output layout
                    y.sum().backward()
                    out["grads"] = [[arr(b.lin.weight.grad) if b.lin.weight.grad is not None else None,
                                     arr(b.lin.bias.grad) if b.lin.bias.grad is not None else None]
                                    for b in branches]
                except BaseException as e:
                    out["grads"] = err(e)
            return out
        step(f"case_{case}", run)


def probe_factory(ns, I):
    factory, stack = ns.get("factory"), ns.get("stack")

    def describe(ms):
        items = list(ms) if _isinstance(ms, (list, tuple, Module)) and hasattr(ms, "__iter__") else []
        return {"type": _type(ms).__name__, "is_modulelist": _isinstance(ms, ModuleList),
                "is_sequential": _isinstance(ms, Sequential), "len": _len(items),
                "distinct": _len({_id(m) for m in items}),
                "distinct_params": _len({_id(p) for m in items if _isinstance(m, Module)
                                         for p in m.parameters()})}

    def made():
        ms = factory(Linear, 3, 4, 5)
        d = describe(ms)
        items = list(ms)
        for i, m in enumerate(items):
            load(m, weight=I["F_W"][i], bias=I["F_b"][i])
        d["y"] = [arr(m(T(I["X"]))) for m in items]
        return d
    step("factory", made)

    def kwargs():
        ms = list(factory(Linear, 2, 4, 3, bias=False))
        out = {"bias_none": [m.bias is None for m in ms], "shapes": [list(m.weight.shape) for m in ms]}
        try:
            for i, m in enumerate(ms):
                load(m, weight=I["K_W"][i])
            out["y"] = [arr(m(T(I["X"]))) for m in ms]
        except BaseException as e:
            out["y"] = err(e)
        try:
            named = list(factory(Linear, 2, in_features=4, out_features=3))
            out["named_shapes"] = [list(m.weight.shape) for m in named]
        except BaseException as e:
            out["named_shapes"] = err(e)
        return out
    step("kwargs", kwargs)

    def zero():
        z = factory(Linear, 0, 4, 5)
        d = {"factory": describe(z)}
        s = stack(Linear, 0, 4, 4)
        d["stack"] = describe(s)
        d["stack_y"] = arr(s(T(I["X"])))
        return d
    step("zero", zero)

    def stacked():
        s = stack(Linear, 3, 4, 4)
        d = describe(s)
        for i, m in enumerate(list(s)):
            load(m, weight=I["S_W"][i], bias=I["S_b"][i])
        d["y"] = arr(s(T(I["X"])))
        return d
    step("stack", stacked)


PROBES = {"my_sequential": probe_my_sequential, "parallel_module": probe_parallel_module,
          "factory": probe_factory}


def main():
    with _open(os.path.join(IN_DIR, "part.json")) as f:
        part = json.load(f)["part"]
    OBS["part"] = part
    with np.load(os.path.join(IN_DIR, "inputs.npz"), allow_pickle=False) as z:
        inputs = {k: z[k] for k in z.files}
    with _open(os.path.join(IN_DIR, "student.py"), encoding="utf-8") as f:
        source = f.read()
    ns = {"__name__": "__student__", "torch": torch, "d2lmods": torch, "nn": nn, "F": F, "np": np}
    t = _perf()
    try:
        exec(compile(source, "<solution cell>", "exec"), ns)
        OBS["exec"] = {"ok": True}
    except BaseException as e:  # a broken cell still lets us report *why* nothing works
        OBS["exec"] = err(e)
    OBS["timings"]["exec"] = round(_perf() - t, 4)
    write()
    if OBS["exec"].get("ok"):
        # Each part reseeds so a student's use of the global RNG cannot depend on test order.
        np.random.seed(0)
        if hasattr(torch, "manual_seed"):
            torch.manual_seed(0)
        try:
            PROBES[part](ns, inputs)
        except BaseException as e:  # a missing name, or something escaping a step
            OBS["probes"]["_part"] = err(e)
    OBS["timings"]["total"] = round(_perf() - T0, 4)
    write()


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    _exit(0)  # skip atexit handlers the student may have registered
