"""Sandbox half of part 2: observe ``ParallelModule(*modules)`` (run by :mod:`autograder.probe`).

Three cases of branches that are ``Linear`` layers recording the input they receive (see the judge
beside this file).  Which branches are registered is read from the registration data
(``_modules`` of every module, recursively); what ``modules()``/``parameters()`` answer is
reported beside it.  No code here reads a global (see ``my_sequential/probe.py``).
"""


def make_branch(Module, Linear):
    # The class closes over nothing of the probe's: the student's code can reach (and rewrite) the
    # closure cells of any function it is handed, so the inputs are kept as they are and read later.
    class Branch(Module):
        """A Linear layer that records every input it is given."""

        def __init__(self, name, n_in, n_out, seen):
            Module.__init__(self)
            self.name, self._seen = name, seen
            self.lin = Linear(n_in, n_out)

        def forward(self, x):
            self._seen.append([self.name, x])
            return self.lin(x)

    return Branch


def probe(L, I, ns, make_branch=make_branch):
    int_, str_, id_, list_, sorted_, enumerate_, set_ = (
        L.int,
        L.str,
        L.id,
        L.list,
        L.sorted,
        L.enumerate,
        L.set,
    )
    step, arr, grad, err = L.step, L.arr, L.grad, L.err
    raw_named_modules, raw_named_parameters = L.raw_named_modules, L.raw_named_parameters
    name_of, type_ = L.name_of, L.type
    tensor, contiguous, load_state_dict = L.tensor, L.ascontiguousarray, L.load_state_dict
    Branch = make_branch(L.Module, L.Linear)
    ParallelModule = ns["ParallelModule"]

    def T(a):
        return tensor(contiguous(a))

    def index_of(obj, modules):
        for i, m in enumerate_(modules):
            if obj is m:
                return i
        return -1

    def make_run(case, branches, seen, labels):
        def run():
            par = ParallelModule(*branches)
            L.check_classes(par)
            seen.clear()
            x = T(I[case + "_X"])
            y = par(x)
            params = [p for _, p in raw_named_parameters(par)]
            out = {
                "y": arr(y),
                "seen": [[str_(name), arr(t)] for name, t in seen],
                "x_after": arr(x),
                # branches may sit directly in par or inside a registered container
                "registered": sorted_(
                    set_(index_of(m, branches) for _, m in raw_named_modules(par)) - {-1}
                ),
                "parameters": [labels.get(id_(p), "?") for p in params],
                # the registered tree for the feedback's diff only (never scored), at most 64 modules
                "tree": [
                    [str_(p), name_of(type_(m)), index_of(m, branches)]
                    for p, m in raw_named_modules(par)[:64]
                ],
                "param_values": [arr(p) for p in params],
            }
            try:
                out["claims"] = {
                    "modules": sorted_(
                        set_(index_of(m, branches) for m in list_(par.modules())) - {-1}
                    ),
                    "parameters": sorted_(labels.get(id_(p), "?") for p in list_(par.parameters())),
                }
            except L.BaseException as e:
                out["claims"] = err(e)
            if case == "A":
                try:  # sum(): the gradient each branch gets does not depend on the output layout
                    y.sum().backward()
                    out["grads"] = [[grad(b.lin.weight), grad(b.lin.bias)] for b in branches]
                except L.BaseException as e:
                    out["grads"] = err(e)
            return out

        return run

    for case in ("A", "B", "C"):
        seen = []
        shapes = [int_(s) for s in I[case + "_outs"]]
        n_in = int_(I[case + "_X"].shape[1])
        branches = [Branch(case + str_(k), n_in, o, seen) for k, o in enumerate_(shapes)]
        labels = {}
        for k, b in enumerate_(branches):
            load_state_dict(
                b.lin, {"weight": T(I[case + "_W" + str_(k)]), "bias": T(I[case + "_b" + str_(k)])}
            )
            for name, p in raw_named_parameters(b):
                labels[id_(p)] = str_(k) + "." + name
        step("case_" + case, make_run(case, branches, seen, labels))
