"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

Two steps, as in minitorch's ``autodiff.py``: ``_topological_order`` lists the nodes so that each
comes after every node that feeds it a gradient (with an explicit stack, no recursion, so a chain
of 100,000 ops is fine); ``_backpropagate`` runs each node's ``backward`` once, on the sum of the
gradients that arrived at it, and hands its results on to its inputs. Leaves get ``.grad`` += their
gradient.

    >>> import d2lmods as torch
    >>> w = torch.tensor([1., 2.], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> w.grad
    tensor([2., 4.])
"""

import numpy as np

from .._tensor import observers
from .._tensor.core import RETAINS_GRAD, Size, Tensor, wrap
from .grad_mode import STATE
from .node import _FREED_MESSAGE, GraphFreedError

__all__ = ["backward", "grad"]


def _topological_order(roots):
    """Nodes reachable from ``roots``, each after all nodes that consume its output.

    Depth-first with an explicit stack: a node is emitted once all nodes below it are, and the
    reversed emission order puts every consumer before what it consumes.
    """
    order = []
    seen = set()
    stack = [(n, False) for n in roots]
    # bound methods: this loop runs once per node of the graph
    append, add, pop, push = order.append, seen.add, stack.pop, stack.append
    while stack:
        node, done = pop()
        if done:
            append(node)
            continue
        if node in seen:
            continue
        add(node)
        push((node, True))
        for e in node.inputs:
            if e is not None:
                fn = e[1]
                if fn is not None and fn not in seen:
                    push((fn, False))
    order.reverse()
    return order


def _on_path(order, wanted, wanted_at):
    """The nodes of ``order`` from which some ``wanted`` tensor can be reached: only those run,
    so ``autograd.grad(out, [a])`` never calls a backward that leads elsewhere."""
    needed = set(wanted_at)
    for node in reversed(order):  # producers before their consumers
        if node in needed:
            continue
        for e in node.inputs:
            if e is not None and (e[1] in needed if e[1] is not None else e[0] in wanted):
                needed.add(node)
                break
    return needed


def _backpropagate(roots, root_grads, retain_graph, wanted=None):
    """Run the graph backwards from ``roots``; return ``{tensor: gradient array}``.

    With ``wanted=None`` the result holds every leaf reached; with a set of tensors, only those
    (leaves or not; a non-leaf's gradient is the one flowing into its node), and only nodes on a
    path to them run. Non-leaf tensors that called ``retain_grad()`` get the gradient that reached
    them added into their ``.grad`` here. Unless ``retain_graph``, each node's saved values are
    freed once its backward has run.
    """
    grads = {}  # node -> summed gradient of its output ({out_nr: g} if several)
    found = {}  # leaf (or wanted) tensor -> summed gradient
    wanted_at = {}  # node -> the wanted non-leaf tensors it produced
    retained_at = {}  # node -> the tensors it produced that called retain_grad()
    kept = {}
    if RETAINS_GRAD:
        for ref in list(RETAINS_GRAD.values()):
            t = ref()
            if t is not None and t._fn is not None:
                retained_at.setdefault(t._fn, []).append(t)
    for t in wanted or ():
        if t._fn is not None:
            wanted_at.setdefault(t._fn, []).append(t)
    # The roots' gradients, delivered as the loop below delivers every other gradient.
    start = []
    for t, g in zip(roots, root_grads):
        fn = t._fn
        if fn is None:
            if wanted is not None and t not in wanted:
                continue
            store, key = found, t
        else:
            start.append(fn)
            store, key = (grads, fn) if fn.n_outputs == 1 else (grads.setdefault(fn, {}), t._out_nr)
        prev = store.get(key)
        store[key] = g if prev is None else prev + g
    order = _topological_order(start)
    needed = None if wanted is None else _on_path(order, wanted, wanted_at)
    special = needed is not None or wanted_at or retained_at  # else: a plain backward()
    pop = grads.pop
    prev_enabled = STATE.enabled
    STATE.enabled = False  # backward formulas must not record graphs
    try:
        for node in order:
            g = pop(node, None)
            if g is None:
                continue
            if special:
                if needed is not None and node not in needed:
                    continue
                if wanted_at and node in wanted_at:
                    for t in wanted_at[node]:
                        gt = g if node.n_outputs == 1 else g.get(t._out_nr)
                        if gt is not None:
                            found[t] = gt
                if retained_at and node in retained_at:
                    for t in retained_at[node]:
                        gt = g if node.n_outputs == 1 else g.get(t._out_nr)
                        if gt is not None:
                            kept[t] = np.array(gt)  # its own copy: leaves may get the same array
            saved = node.saved
            if saved is None:
                raise GraphFreedError(_FREED_MESSAGE)
            if node._versions:
                node.check_saved()
            in_grads = node.backward(g)
            if saved and not retain_graph:
                node.saved = None  # free what backward needed
            for e, gi in zip(node.inputs, in_grads):
                if e is None or gi is None:
                    continue
                t, fn, out_nr = e
                if fn is None:  # a leaf
                    if wanted is not None and t not in wanted:
                        continue
                    store, key = found, t
                elif fn.n_outputs == 1:
                    store, key = grads, fn
                else:
                    store, key = grads.setdefault(fn, {}), out_nr
                # gradients arriving from several consumers are summed
                prev = store.get(key)
                store[key] = gi if prev is None else prev + gi
    finally:
        STATE.enabled = prev_enabled
    if kept:
        _store_grads(kept)
    return found


def _as_root_grad(t, g):
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but this output has shape "
                f"{Size(t._data.shape)}. Reduce it to a scalar first (e.g. loss.sum().backward() or "
                f"loss.mean().backward()), or pass the upstream gradient: "
                f"y.backward(gradient=torch.ones_like(y))."
            )
        one = np.empty(t._data.shape, dtype=t._data.dtype)  # np.ones, without its Python call
        one.fill(1)
        return one
    arr = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t._data.dtype)
    if arr.shape != t._data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {Size(arr.shape)} and "
            f"output[0] has a shape of {Size(t._data.shape)}."
        )
    return np.array(arr, dtype=t._data.dtype)  # a private copy: the engine may add into it


def _prepare(tensors, grad_tensors, create_graph, inputs=None):
    """The checks ``backward`` and ``grad`` share: ``(tensors, root gradients)`` as lists."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (higher-order gradients) is not supported by d2lmods"
        )
    for i, t in enumerate(tensors):
        if not t._rg:
            raise RuntimeError(
                observers.root_text(i)
                or f"element {i} of tensors does not require grad and does not have a grad_fn. "
                "Nothing it depends on requires grad: create the parameters with "
                "requires_grad=True (or call w.requires_grad_()), and don't compute the output "
                "inside `with torch.no_grad():` or from .detach()/.data/.numpy() values."
            )
    for i, t in enumerate(inputs or ()):
        if not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad"
            )
    if len(tensors) == 1 and grad_tensors.__class__ is list and len(grad_tensors) == 1:
        return tensors, [_as_root_grad(tensors[0], grad_tensors[0])]
    return tensors, [_as_root_grad(t, g) for t, g in zip(tensors, grad_tensors)]


def _store_grads(grads):
    """Add each tensor's gradient into its ``.grad``."""
    handed_out = set()  # arrays already given to a tensor: a second one gets a copy
    for t, g in grads.items():
        if not t._rg:
            continue
        d = t._data
        if g.dtype != d.dtype:
            g = g.astype(d.dtype)
        if g.shape != d.shape:
            g = np.broadcast_to(g, d.shape)
        old = t._grad
        if old is None:
            # Own the array (it may be a view of another gradient, or read-only).
            if not (g.flags.owndata and g.flags.writeable) or id(g) in handed_out:
                g = g.copy()
            handed_out.add(id(g))
            t._grad = wrap(g)
        else:
            np.add(old._data, g, out=old._data)
            old._vcell[0] += 1


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the gradients of ``tensors`` w.r.t. the graph leaves and add them into ``.grad``.

    ``inputs`` (a tensor or a list) limits that to those tensors. ``retain_graph=False`` (the
    default) frees saved values as it goes, so a second backward through the same graph raises an
    error; recompute the forward pass instead.
    """
    tensors, root_grads = _prepare(tensors, grad_tensors, create_graph)
    if inputs is not None:
        inputs = {inputs} if isinstance(inputs, Tensor) else set(inputs)
    _store_grads(_backpropagate(tensors, root_grads, bool(retain_graph), inputs))
    observers.backward_done(tensors, bool(retain_graph))


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return the gradients of ``outputs`` w.r.t. ``inputs`` (a tuple), leaving ``.grad`` untouched.

    >>> import d2lmods as torch
    >>> x = torch.tensor(3., requires_grad=True)
    >>> torch.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    outputs, root_grads = _prepare(outputs, grad_outputs, create_graph, inputs)
    got = _backpropagate(outputs, root_grads, bool(retain_graph), set(inputs))
    result = []
    for i, t in enumerate(inputs):
        g = got.get(t)
        if g is None:
            if materialize_grads:
                result.append(wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {Size(t.shape)}) appears "
                    "to not have been used in the graph. Set allow_unused=True if this is the "
                    "desired behavior."
                )
            result.append(None)
        else:
            result.append(wrap(np.array(np.broadcast_to(g, t._data.shape), dtype=t._data.dtype)))
    return tuple(result)
