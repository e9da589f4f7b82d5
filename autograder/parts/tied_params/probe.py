"""Sandbox half of the ``custom`` assignment's part 2: observe ``get_parameter(net, name)`` and
``tied_net(n_in, n_hidden, n_out)`` (run by :mod:`autograder.probe`).

``get_parameter`` is asked for three names of a nested net; the probe reports whether the answer
is the registered Parameter itself.  ``tied_net(4, 5, 2)`` gets secret weights loaded into its
Linear children in order: a tied layer receives the later weights twice, an untied copy keeps
both, so the output tells them apart.  No code here reads a global: every name comes from ``L``.
"""


def probe(L, I, ns):
    len_, id_, enumerate_ = L.len, L.id, L.enumerate
    step, arr, grad, mro = L.step, L.arr, L.grad, L.mro
    Module, Linear, ReLU, Sequential = L.Module, L.Linear, L.ReLU, L.Sequential
    raw_modules, raw_named_parameters = L.raw_modules, L.raw_named_parameters
    tensor, contiguous, load_state_dict = L.tensor, L.ascontiguousarray, L.load_state_dict
    get_parameter, tied_net = ns["get_parameter"], ns["tied_net"]

    def T(a):
        return tensor(contiguous(a))

    def by_name():
        net = Sequential(Linear(4, 3), ReLU(), Sequential(Linear(3, 3), Linear(3, 2)))
        load_state_dict(
            net,
            {
                "0.weight": T(I["N_W0"]),
                "0.bias": T(I["N_b0"]),
                "2.0.weight": T(I["N_W1"]),
                "2.0.bias": T(I["N_b1"]),
                "2.1.weight": T(I["N_W2"]),
                "2.1.bias": T(I["N_b2"]),
            },
        )
        reg = {n: p for n, p in raw_named_parameters(net)}
        out = []
        for name in ("2.1.bias", "0.weight", "2.0.weight"):
            p = get_parameter(net, name)
            out.append({"name": name, "same": p is reg[name], "value": arr(p)})
        return out

    step("by_name", by_name)

    def tied():
        net = tied_net(4, 5, 2)
        if Module not in mro(net):
            return {"is_module": False}
        L.check_classes(net)
        linears = [m for _, m in raw_modules(net) if Linear in mro(m)]
        ws, bs = I["T_W"], I["T_b"]
        for k, m in enumerate_(linears[:4]):
            load_state_dict(
                m,
                {
                    "weight": T(ws[k][: m.weight.shape[0], : m.weight.shape[1]]),
                    "bias": T(bs[k][: m.weight.shape[0]]),
                },
            )
        y = net(T(I["T_X"]))
        out = {
            "is_module": True,
            "n_linear": len_(linears),
            "n_params": len_(raw_named_parameters(net)),
            "distinct": len_({id_(m) for m in linears}),
            "y": arr(y),
        }
        y.sum().backward()
        out["grads"] = [grad(m.weight) for m in linears[:4]]
        return out

    step("tied", tied)
