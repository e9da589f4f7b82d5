"""Sandbox half of part 1: observe ``MySequential(*modules)`` (shipped into the sandbox, run by
:mod:`autograder.probe`; the judge beside it reads these observations).

The chain is ``Linear(5, 5), Tag a, ReLU, Linear(5, 5), Tag b`` with secret weights (a Tag is an
affine map that logs its calls), then a lazy chain ``LazyLinear(4), ReLU, Linear(4, 2)``.
Registration is read from the modules' own dicts; what the student's methods claim is reported
beside it, for the judge to cross-check.  No code here reads a global: every name comes from
``L``, the runtime's toolkit, so rebinding this file's namespace changes nothing.
"""


def make_tag(Module, float_):
    class Tag(Module):
        """An elementwise affine map that logs each call: shows skipped, repeated, reordered modules."""

        def __init__(self, name, scale, shift, log):
            Module.__init__(self)
            self.name, self.scale, self.shift, self._log = name, float_(scale), float_(shift), log

        def forward(self, x):
            self._log.append(self.name)
            return x * self.scale + self.shift

        def extra_repr(self):
            return "name=" + self.name

    return Tag


def probe(L, I, ns, make_tag=make_tag):
    len_, list_, id_, str_, repr_, enumerate_ = L.len, L.list, L.id, L.str, L.repr, L.enumerate
    step, arr, mro, err = L.step, L.arr, L.mro, L.err
    Module, Sequential, ModuleList, ModuleDict = L.Module, L.Sequential, L.ModuleList, L.ModuleDict
    Linear, LazyLinear, ReLU = L.Linear, L.LazyLinear, L.ReLU
    raw_modules, raw_named_parameters, training = L.raw_modules, L.raw_named_parameters, L.training
    raw_named_modules, name_of, type_ = L.raw_named_modules, L.name_of, L.type
    tensor, contiguous, f64 = L.tensor, L.ascontiguousarray, L.float64_
    load_state_dict, state_dict, train, double = L.load_state_dict, L.state_dict, L.train, L.double
    Tag = make_tag(Module, L.float)

    def T(a):
        return tensor(contiguous(a))

    def load(module, **arrays):
        """Set a module's parameters in place from the secret arrays (what load_state_dict does)."""
        load_state_dict(module, {k: T(v) for k, v in arrays.items()})

    def index_of(obj, modules):
        for i, m in enumerate_(modules):
            if obj is m:
                return i
        return -1

    MySequential = ns["MySequential"]
    log = []
    lin1, lin2 = Linear(5, 5), Linear(5, 5)
    load(lin1, weight=I["W1"], bias=I["b1"])
    load(lin2, weight=I["W2"], bias=I["b2"])
    mods = [
        lin1,
        Tag("a", I["tag_a"][0], I["tag_a"][1], log),
        ReLU(),
        lin2,
        Tag("b", I["tag_b"][0], I["tag_b"][1], log),
    ]
    labels = {}
    for i, m in enumerate_(mods):
        for name, p in raw_named_parameters(m):
            labels[id_(p)] = str_(i) + "." + name
    holder = {}

    def build():
        holder["seq"] = MySequential(*mods)
        seq = holder["seq"]
        classes = mro(seq)
        L.check_classes(seq)
        return {
            "is_module": Module in classes,
            "mro": [L.name_of(c) for c in classes],
            "builtin": Sequential in classes or ModuleList in classes or ModuleDict in classes,
        }

    step("build", build)
    if "seq" not in holder:
        return
    seq = holder["seq"]

    def children():
        return [[str_(n), index_of(c, mods)] for n, c in raw_modules(seq) or []]

    step("children", children)
    # the registered tree for the feedback's diff (what the student sees, never scored): at most
    # 64 modules, paths from the registration data, class names through type's own descriptor
    step(
        "tree",
        lambda: [
            [str_(p), name_of(type_(m)), index_of(m, mods)] for p, m in raw_named_modules(seq)[:64]
        ],
    )

    def claims():
        """What the student's class answers when asked (the judge holds it against the registration)."""
        out = {}
        try:
            out["children"] = [index_of(c, mods) for _, c in list_(seq.named_children())]
        except L.BaseException as e:
            out["children"] = err(e)
        try:
            out["parameters"] = [labels.get(id_(p), "?") for p in list_(seq.parameters())]
        except L.BaseException as e:
            out["parameters"] = err(e)
        return out

    step("claims", claims)

    def forward():
        log.clear()
        y = seq(T(I["X"]))
        return {"y": arr(y), "log": [str_(x) for x in log]}

    step("forward", forward)
    step("parameters", lambda: [labels.get(id_(p), "?") for _, p in raw_named_parameters(seq)])
    # values, not labels: the judge matches them against the secret weights itself
    step("state_dict", lambda: [[str_(k), arr(t)] for k, t in list_(state_dict(seq).items())])
    step("repr", lambda: {"repr": str_(repr_(seq)), "children": [repr_(m) for m in mods]})

    def modes():
        train(seq, False)
        ev = [training(m) for m in mods]
        train(seq, True)
        return {"eval": ev, "train": [training(m) for m in mods]}

    step("modes", modes)

    def as_double():
        double(seq)
        dtypes = [str_(arr(p)["dtype"]) for m in mods for _, p in raw_named_parameters(m)]
        log.clear()
        try:  # unconverted children typically make this raise a dtype mismatch
            y = arr(seq(T(I["X"].astype(f64))))
        except L.BaseException as e:
            y = err(e)
        return {"param_dtypes": dtypes, "y": y}

    step("double", as_double)

    def lazy():
        lz, last = LazyLinear(4), Linear(4, 2)
        s2 = MySequential(lz, ReLU(), last)
        L.check_classes(s2)
        s2(T(I["X2"]))  # materializes the lazy layer
        load(lz, weight=I["L1"], bias=I["lb1"])
        load(last, weight=I["L3"], bias=I["lb3"])
        return {"y": arr(s2(T(I["X2b"]))), "n_params": len_(raw_named_parameters(s2))}

    step("lazy", lazy)
