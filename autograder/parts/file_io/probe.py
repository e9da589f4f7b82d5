"""Sandbox half of the ``custom`` assignment's part 3: observe ``save_params(net, path)`` and
``load_params(make_net, path)`` (run by :mod:`autograder.probe`).

The net (``Linear(4, 6), ReLU, Dropout(0.5), Linear(6, 2)``) holds secret weights.  The probe
reads the file ``save_params`` wrote with the library's ``load`` (``d2lmods.load``, or
``torch.load`` with ``weights_only=True``), hands ``load_params`` a file it saved
itself, and reports the loaded net's outputs in eval mode and its modules' ``training`` flags
(read from their dicts).  Files live in the sandbox's private ``/tmp``.  No code here reads a
global: every name comes from ``L``.
"""


def probe(L, I, ns):
    list_, str_, type_, name_of = L.list, L.str, L.type, L.name_of
    step, arr, mro = L.step, L.arr, L.mro
    Module, Linear, ReLU, Sequential = L.Module, L.Linear, L.ReLU, L.Sequential
    Dropout = L.Dropout
    torch_save, torch_load = L.save, L.load
    raw_named_modules, training, train = L.raw_named_modules, L.training, L.train
    tensor, contiguous, load_state_dict, state_dict = (
        L.tensor,
        L.ascontiguousarray,
        L.load_state_dict,
        L.state_dict,
    )
    save_params, load_params = ns["save_params"], ns["load_params"]

    def T(a):
        return tensor(contiguous(a))

    def make_net():
        return Sequential(Linear(4, 6), ReLU(), Dropout(0.5), Linear(6, 2))

    def secret_net():
        net = make_net()
        load_state_dict(
            net,
            {
                "0.weight": T(I["W0"]),
                "0.bias": T(I["b0"]),
                "3.weight": T(I["W1"]),
                "3.bias": T(I["b1"]),
            },
        )
        return net

    def describe(net):
        if Module not in mro(net):
            return {"is_module": False}
        flags = [training(m) for _, m in raw_named_modules(net)]
        train(net, False)
        return {"is_module": True, "training": flags, "y": arr(net(T(I["X"])))}

    def saved():
        path = "/tmp/saved.params"
        save_params(secret_net(), path)
        got = torch_load(path)
        kind = name_of(type_(got))
        if kind not in ("dict", "OrderedDict"):
            return {"type": kind}
        return {
            "type": "dict",
            "keys": [str_(k) for k in list_(got)],
            "values": [arr(x) for x in list_(got.values())],
        }

    step("saved", saved)

    def loaded():
        path = "/tmp/given.params"
        torch_save(state_dict(secret_net()), path)
        return describe(load_params(make_net, path))

    step("loaded", loaded)

    def roundtrip():
        path = "/tmp/roundtrip.params"
        save_params(secret_net(), path)
        return describe(load_params(make_net, path))

    step("roundtrip", roundtrip)
