"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

The order is found with an explicit stack (no recursion), so a chain of 10,000 ops is fine.
Each node runs once, after every node that feeds it a gradient; the gradients arriving at a
node from several consumers are summed first. Leaves get ``.grad`` += their gradient.

    >>> import d2lmods as torch
    >>> w = torch.tensor([1., 2.], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> w.grad
    tensor([2., 4.])
"""
import numpy as np

from . import observers
from .grad_mode import STATE
from .node import GraphFreedError, _FREED_MESSAGE

_core = None   # d2lmods._tensor.core, bound on first use (it imports this package itself)


def _tensor_core():
    global _core
    if _core is None:
        from .._tensor import core
        _core = core
    return _core

__all__ = ["backward", "grad"]


def _topological_order(roots):
    """Nodes reachable from ``roots``, each after all nodes that consume its output.

    Depth-first with an explicit stack: a node is emitted once all nodes below it are, and the
    reversed emission order puts every consumer before what it consumes.
    """
    order = []
    append = order.append
    seen = set()
    add = seen.add
    stack = [(n, False) for n in roots]
    pop, push = stack.pop, stack.append
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


def _as_root_grad(t, g):
    Tensor = _tensor_core().Tensor
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but this output has shape "
                f"{list(t._data.shape)}. Reduce it to a scalar first (e.g. loss.sum().backward() or "
                f"loss.mean().backward()), or pass the upstream gradient: "
                f"y.backward(gradient=torch.ones_like(y)).")
        return np.ones(t._data.shape, dtype=t._data.dtype)
    arr = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t._data.dtype)
    if arr.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {list(arr.shape)} and "
                           f"output[0] has a shape of {list(t._data.shape)}.")
    return np.array(arr, dtype=t._data.dtype)  # a private copy: the engine may add into it


def _run_plain(roots, root_grads, retain_graph):
    """The usual backward: gradients of ``roots`` accumulated into the leaves' ``.grad``."""
    grads = {}          # node -> gradient of its output (a list for multi-output nodes)
    leaf_grads = {}     # leaf tensor -> summed gradient (tensors hash by identity)
    root_nodes = []
    for t, g in zip(roots, root_grads):
        fn = t._fn
        if fn is None:
            _acc(leaf_grads, t, g)
        else:
            _add_node(grads, fn, t._out_nr, g)
            root_nodes.append(fn)
    pop = grads.pop
    for node in _topological_order(root_nodes):
        g = pop(node, None)
        if g is None:
            continue
        saved = node.saved
        if saved is None:
            raise GraphFreedError(_FREED_MESSAGE)
        if node._versions:
            node.check_saved()
        in_grads = node.backward(g)
        if not retain_graph and saved:
            node.saved = None
        for e, gi in zip(node.inputs, in_grads):
            if e is None or gi is None:
                continue
            t, fn, out_nr = e
            if fn is None:
                prev = leaf_grads.get(t)
                leaf_grads[t] = gi if prev is None else prev + gi
            elif fn.n_outputs == 1:
                prev = grads.get(fn)
                grads[fn] = gi if prev is None else prev + gi
            else:
                _add_node(grads, fn, out_nr, gi)
    _store_leaf_grads(leaf_grads)


def _acc(store, t, g):
    prev = store.get(t)
    store[t] = g if prev is None else prev + g


def _store_leaf_grads(leaf_grads):
    wrap = _tensor_core().wrap
    handed_out = set()    # arrays already given to a leaf: a second leaf gets a copy
    for t, g in leaf_grads.items():
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
            old._version[0] += 1


def _run(roots, root_grads, retain_graph, capture=None):
    """Core loop. With ``capture`` (a dict id(tensor) -> tensor), return ``{id: [tensor, grad]}``
    for those tensors instead of accumulating into leaves' ``.grad``."""
    if capture is None:
        return _run_plain(roots, root_grads, retain_graph)

    grads = {}          # node -> gradient of its output (list for multi-output nodes)
    captured = {}
    root_nodes = []
    for t, g in zip(roots, root_grads):
        if id(t) in capture:
            _add_leaf(captured, t, g)
        fn = t._fn
        if fn is not None:
            _add_node(grads, fn, t._out_nr, g)
            root_nodes.append(fn)

    # A captured non-leaf's gradient is the one flowing into its node.
    capture_nodes = {id(t._fn): t for t in capture.values() if t._fn is not None}
    for node in _topological_order(root_nodes):
        g = grads.pop(node, None)
        if g is None:
            continue
        t = capture_nodes.get(id(node))
        if t is not None:
            _add_leaf(captured, t, g if node.n_outputs == 1 else g[t._out_nr])
        if node.saved is None:
            raise GraphFreedError(_FREED_MESSAGE)
        if node._versions:
            node.check_saved()
        in_grads = node.backward(g)
        if not retain_graph:
            node.release()
        for e, gi in zip(node.inputs, in_grads):
            if e is None or gi is None:
                continue
            t, fn, out_nr = e
            if fn is not None:
                _add_node(grads, fn, out_nr, gi)
            elif id(t) in capture:
                _add_leaf(captured, t, gi)
    return captured


def _add_node(grads, fn, out_nr, g):
    key = fn
    if fn.n_outputs == 1:
        prev = grads.get(key)
        grads[key] = g if prev is None else prev + g
    else:
        buf = grads.get(key)
        if buf is None:
            buf = grads[key] = [None] * fn.n_outputs
        buf[out_nr] = g if buf[out_nr] is None else buf[out_nr] + g


def _add_leaf(store, t, g):
    entry = store.get(id(t))
    if entry is None:
        store[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _check_roots(tensors):
    for i, t in enumerate(tensors):
        if not t._rg:
            raise RuntimeError(observers.root_text(i) or
                f"element {i} of tensors does not require grad and does not have a grad_fn. "
                "Nothing it depends on requires grad: create the parameters with "
                "requires_grad=True (or call w.requires_grad_()), and don't compute the output "
                "inside `with torch.no_grad():` or from .detach()/.data/.numpy() values.")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the gradients of ``tensors`` w.r.t. the graph leaves and add them into ``.grad``.

    ``retain_graph=False`` (the default) frees saved values as it goes, so a second backward
    through the same graph raises an error; recompute the forward pass instead.
    """
    Tensor = _tensor_core().Tensor
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported by "
                                  "d2lmods")
    _check_roots(tensors)
    root_grads = [_as_root_grad(t, g) for t, g in zip(tensors, grad_tensors)]
    prev = STATE.enabled
    STATE.enabled = False   # backward formulas must not record graphs
    try:
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            got = _run(tensors, root_grads, bool(retain_graph), capture={id(t): t for t in inputs})
            for t in inputs:
                entry = got.get(id(t))
                if entry is not None:
                    _accumulate_into(t, entry[1])
        else:
            _run(tensors, root_grads, bool(retain_graph))
    finally:
        STATE.enabled = prev
    observers.backward_done(tensors, bool(retain_graph))


def _accumulate_into(t, g):
    wrap = _tensor_core().wrap
    g = np.array(np.broadcast_to(g, t._data.shape), dtype=t._data.dtype)
    if t._grad is None:
        t._grad = wrap(g)
    else:
        np.add(t._grad._data, g, out=t._grad._data)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return the gradients of ``outputs`` w.r.t. ``inputs`` (a tuple), leaving ``.grad`` untouched.

        >>> import d2lmods as torch
        >>> x = torch.tensor(3., requires_grad=True)
        >>> torch.autograd.grad(x ** 2, x)
        (tensor(6.),)
    """
    from .._tensor.core import Tensor, wrap
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported by "
                                  "d2lmods")
    _check_roots(outputs)
    for i, t in enumerate(inputs):
        if not t._rg:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    root_grads = [_as_root_grad(t, g) for t, g in zip(outputs, grad_outputs)]
    prev = STATE.enabled
    STATE.enabled = False
    try:
        got = _run(outputs, root_grads, bool(retain_graph), capture={id(t): t for t in inputs})
    finally:
        STATE.enabled = prev
    result = []
    for i, t in enumerate(inputs):
        entry = got.get(id(t))
        if entry is None:
            if materialize_grads:
                result.append(wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {list(t.shape)}) appears "
                    "to not have been used in the graph. Set allow_unused=True if this is the "
                    "desired behavior.")
            result.append(None)
        else:
            g = np.array(np.broadcast_to(entry[1], t._data.shape), dtype=t._data.dtype)
            result.append(wrap(g))
    return tuple(result)
