"""Sandbox half of part 3: observe ``factory(module_cls, n, ...)`` and ``stack(...)`` (run by
:mod:`autograder.probe`).

The probe asks for ``Linear`` instances, loads different secret weights into each one in place and
reports every instance's output.  The container's type is read from its class's real MRO and its
items from its registration data (or, for a plain list or tuple, its elements), so neither a
``__class__`` property nor an overridden ``__iter__`` changes what is seen.  No code here reads a
global (see ``my_sequential/probe.py``).
"""


def probe(L, I, ns):
    len_, list_, tuple_, id_, type_, set_, enumerate_ = (
        L.len,
        L.list,
        L.tuple,
        L.id,
        L.type,
        L.set,
        L.enumerate,
    )
    step, arr, mro, err = L.step, L.arr, L.mro, L.err
    Module, ModuleList, Sequential, Linear = L.Module, L.ModuleList, L.Sequential, L.Linear
    raw_modules, raw_named_parameters = L.raw_modules, L.raw_named_parameters
    tensor, contiguous, load_state_dict = L.tensor, L.ascontiguousarray, L.load_state_dict
    factory, stack = ns.get("factory"), ns.get("stack")

    def T(a):
        return tensor(contiguous(a))

    def items_of(ms):
        if Module in mro(ms):
            return [m for _, m in raw_modules(ms)]
        if type_(ms) is list_ or type_(ms) is tuple_:
            return list_(ms)
        return []

    def describe(ms):
        classes = mro(ms)
        items = items_of(ms)
        if Module in classes:
            L.check_classes(ms)
        d = {
            "type": L.name_of(type_(ms)),
            "is_modulelist": ModuleList in classes,
            "is_sequential": Sequential in classes,
            "len": len_(items),
            "distinct": len_(set_(id_(m) for m in items)),
            "distinct_params": len_(
                set_(id_(p) for m in items if Module in mro(m) for _, p in raw_named_parameters(m))
            ),
        }
        if Module in classes:
            try:  # what iterating the container answers, for the judge to hold against the registration
                d["claims"] = [id_(m) for m in list_(ms)] == [id_(m) for m in items]
            except L.BaseException as e:
                d["claims"] = err(e)
        return d

    def load(m, **arrays):
        load_state_dict(m, {k: T(v) for k, v in arrays.items()})

    def made():
        ms = factory(Linear, 3, 4, 5)
        d = describe(ms)
        items = items_of(ms)
        for i, m in enumerate_(items):
            load(m, weight=I["F_W"][i], bias=I["F_b"][i])
        d["y"] = [arr(m(T(I["X"]))) for m in items]
        return d

    step("factory", made)

    def kwargs():
        ms = items_of(factory(Linear, 2, 4, 3, bias=False))
        out = {
            "bias_none": [m.bias is None for m in ms],
            "shapes": [list_(m.weight.shape) for m in ms],
        }
        try:
            for i, m in enumerate_(ms):
                load(m, weight=I["K_W"][i])
            out["y"] = [arr(m(T(I["X"]))) for m in ms]
        except L.BaseException as e:
            out["y"] = err(e)
        try:
            named = items_of(factory(Linear, 2, in_features=4, out_features=3))
            out["named_shapes"] = [list_(m.weight.shape) for m in named]
        except L.BaseException as e:
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
        for i, m in enumerate_(items_of(s)):
            load(m, weight=I["S_W"][i], bias=I["S_b"][i])
        d["y"] = arr(s(T(I["X"])))
        return d

    step("stack", stacked)
