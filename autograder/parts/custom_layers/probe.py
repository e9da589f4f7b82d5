"""Sandbox half of the ``custom`` assignment's part 1: observe ``CenteredLayer()`` and
``MyLinear(in_units, units)`` (run by :mod:`autograder.probe`).

The centered layer gets a secret matrix and a secret 3-d tensor; ``MyLinear(5, 3)`` gets secret
weights, loaded in place when its parameters are registered under the asked names (else set as
plain attributes, so that ``forward`` is checked on its own), then one ``backward``.  Parameters are
read from the registration data.  No code here reads a global: every name comes from ``L``.
"""


def probe(L, I, ns):
    int_, sorted_ = L.int, L.sorted
    step, arr, grad, mro, err = L.step, L.arr, L.grad, L.mro, L.err
    Module, Tensor = L.Module, L.Tensor
    Parameter = L.Parameter
    raw_named_parameters = L.raw_named_parameters
    tensor, contiguous, load_state_dict = L.tensor, L.ascontiguousarray, L.load_state_dict
    set_attr = Module.__setattr__
    Centered, MyLinear = ns["CenteredLayer"], ns["MyLinear"]

    def T(a):
        return tensor(contiguous(a))

    def params_of(m):
        if Module not in mro(m):
            return None
        return [
            [name, [int_(s) for s in arr(p).get("shape", [])], Parameter in mro(p)]
            for name, p in raw_named_parameters(m)
        ]

    def centered():
        layer = Centered()
        if Module in mro(layer):
            L.check_classes(layer)
        return {
            "is_module": Module in mro(layer),
            "params": params_of(layer),
            "y": arr(layer(T(I["C_X"]))),
            "y3": arr(layer(T(I["C_X3"]))),
        }

    step("centered", centered)

    def registered():
        layer = MyLinear(5, 3)
        if Module in mro(layer):
            L.check_classes(layer)
        out = {"is_module": Module in mro(layer), "params": params_of(layer)}
        # what the layer holds as weight/bias, registered or not: only to tell the student why
        attrs = {}
        for name in ("weight", "bias"):
            try:
                v = layer.weight if name == "weight" else layer.bias
            except L.BaseException:
                v = None
            attrs[name] = (
                None
                if v is None
                else {"tensor": Tensor in mro(v), "parameter": Parameter in mro(v)}
            )
        out["attrs"] = attrs
        return out

    step("registered", registered)

    def forward():
        layer = MyLinear(5, 3)
        names = [n for n, _ in raw_named_parameters(layer)] if Module in mro(layer) else []
        loaded = False
        if names == ["weight", "bias"] or sorted_(names) == ["bias", "weight"]:
            try:
                load_state_dict(layer, {"weight": T(I["L_W"]), "bias": T(I["L_b"])})
                loaded = True
            except L.BaseException:
                loaded = False
        if not loaded:  # plain attributes: forward is still checked, registration is its own check
            set_attr(layer, "weight", Parameter(T(I["L_W"])))
            set_attr(layer, "bias", Parameter(T(I["L_b"])))
        y = layer(T(I["L_X"]))
        out = {"loaded": loaded, "y": arr(y)}
        try:
            y.sum().backward()
            reg = {n: p for n, p in raw_named_parameters(layer)} if loaded else {}
            out["grads"] = {n: grad(p) for n, p in L.dict.items(reg)}
        except L.BaseException as e:
            out["grads"] = err(e)
        return out

    step("forward", forward)
