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

import sys

import numpy as np

from .._tensor import observers
from .._tensor.core import POST_ACCUMULATE_HOOKS, RETAINS_GRAD, TENSOR_HOOKS, Size, Tensor, wrap
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
    hooked_at = _hooked_nodes() if TENSOR_HOOKS else None  # node -> its tensors with hooks
    order = _topological_order(start)
    needed = None if wanted is None else _on_path(order, wanted, wanted_at)
    # else: a plain backward(), no per-node bookkeeping
    special = needed is not None or wanted_at or retained_at or hooked_at
    pop = grads.pop
    prev_enabled = STATE.enabled
    STATE.enabled = False  # backward formulas must not record graphs
    # 1 / x at 0 and the like give inf or nan in torch, never a numpy warning
    fp_quiet = np.errstate(all="ignore")
    fp_quiet.__enter__()
    try:
        for node in order:
            g = pop(node, None)
            if g is None:
                continue
            if special:
                if needed is not None and node not in needed:
                    continue
                if hooked_at and node in hooked_at:
                    g = _hook_node_grads(node, g, hooked_at[node])
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
        if TENSOR_HOOKS:
            _hook_leaf_grads(found)
    finally:
        fp_quiet.__exit__(None, None, None)
        STATE.enabled = prev_enabled
    if kept:
        _store_grads(kept)
    return found


# -- Tensor.register_hook --------------------------------------------------------------------
# A hook sees a tensor's whole gradient (summed over its consumers) once per backward: a
# non-leaf's when its node is reached, before the node's backward runs (and before retain_grad
# and autograd.grad read it); a leaf's once the walk is done, before it is added into .grad.


def _hooked_nodes():
    """``{node: [non-leaf tensors it produced that have hooks]}``."""
    at = {}
    for ref, hooks in list(TENSOR_HOOKS.values()):
        t = ref()
        if t is not None and hooks and t._fn is not None:
            at.setdefault(t._fn, []).append(t)
    return at


def _hook_node_grads(node, g, tensors):
    if node.n_outputs == 1:
        return _run_hooks(tensors[0], g) if len(tensors) == 1 else _run_all(tensors, g)
    for t in tensors:
        gt = g.get(t._out_nr)
        if gt is not None:
            g[t._out_nr] = _run_hooks(t, gt)
    return g


def _run_all(tensors, g):
    for t in tensors:  # several tensor objects of one output (rare: aliases of one result)
        g = _run_hooks(t, g)
    return g


def _hook_leaf_grads(found):
    for t, g in list(found.items()):
        if t._fn is None:
            entry = TENSOR_HOOKS.get(id(t))
            if entry is not None and entry[1] and entry[0]() is t:
                found[t] = _run_hooks(t, g)


def _run_hooks(t, arr):
    """``arr`` (the gradient of ``t``) passed through ``t``'s hooks, in the order registered."""
    entry = TENSOR_HOOKS.get(id(t))
    if entry is None or entry[0]() is not t or not entry[1]:
        return arr
    d = t._data
    if arr.shape != d.shape:
        arr = np.broadcast_to(arr, d.shape)
    if arr.dtype != d.dtype:
        arr = arr.astype(d.dtype)
    if not arr.flags.writeable:
        arr = arr.copy()
    for hook in list(entry[1].values()):
        g = wrap(arr)
        r = hook(g)
        if r is None:
            arr = g._data  # a hook may change the gradient in place (g.mul_(2))
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(r, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
        if r._data.shape != d.shape:
            raise RuntimeError(
                f"hook '{name}' has changed the size of value: the gradient of a tensor of shape "
                f"{Size(d.shape)} came back with shape {Size(r._data.shape)}; a hook must return "
                "a tensor of the gradient's shape (or None to keep it)"
            )
        if r._data.dtype != d.dtype:
            raise RuntimeError(
                f"hook '{name}' has changed the type of value (was {g.type()} got {r.type()})"
            )
        arr = np.array(r._data)  # its own copy: the engine adds into gradients it holds
    return arr


def _run_post_accumulate_hooks(found):
    """``register_post_accumulate_grad_hook``: each leaf's hooks, once its ``.grad`` is updated."""
    prev = STATE.enabled
    STATE.enabled = False
    try:
        for t in found:
            entry = POST_ACCUMULATE_HOOKS.get(id(t))
            if entry is None or entry[0]() is not t or t._fn is not None:
                continue
            for hook in list(entry[1].values()):
                r = hook(t)
                if isinstance(r, Tensor):
                    raise RuntimeError("Tensor post accumulate grad hooks should return None.")
                if r is not None:
                    raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    finally:
        STATE.enabled = prev


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
    if not isinstance(g, Tensor):
        raise TypeError(
            f"gradients can be either Tensors or None, but got {type(g).__name__}: pass the "
            f"upstream gradient as a tensor of the output's shape {Size(t._data.shape)}, e.g. "
            "y.backward(torch.ones_like(y))"
        )
    arr = g._data
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
                f"One of the differentiated Tensors does not require grad (input {i}, shape "
                f"{Size(t.shape)}): pass only tensors that require grad as inputs"
            )
    if len(tensors) == 1 and grad_tensors.__class__ is list and len(grad_tensors) == 1:
        return tensors, [_as_root_grad(tensors[0], grad_tensors[0])]
    return tensors, [_as_root_grad(t, g) for t, g in zip(tensors, grad_tensors)]


def _adoptable(g):
    """Whether ``g`` can become a leaf's ``.grad`` as it is: writeable, C-contiguous, and its
    memory reachable from nothing else. Checked with reference counts, as PyTorch's
    AccumulateGrad checks ``use_count``: an array the engine made and dropped (a product's
    result, or a reshaped view of one) is adopted; one a node still holds, a pooled work
    buffer, another tensor's data or a slice shared with another gradient is copied, so no
    later in-place write elsewhere can change this ``.grad``.

    References to ``g`` expected: the caller's variable, this parameter, getrefcount's argument.
    """
    if not (g.flags.writeable and g.flags.c_contiguous) or sys.getrefcount(g) > 3:
        return False
    base = g.base
    if base is None:
        return True
    if base.__class__ is not np.ndarray and base.__class__.__name__ != "_MemInfo":
        return False  # memory owned by something we cannot vouch for (mmap, buffer, ...)
    if isinstance(base, np.ndarray) and (base.base is not None or base.nbytes != g.nbytes):
        return False
    # the view's own reference, `base` here and getrefcount's argument
    return sys.getrefcount(base) <= 3


def _store_grads(grads):
    """Add each tensor's gradient into its ``.grad``, emptying ``grads`` (so that the dict no
    longer holds the arrays it hands over)."""
    handed_out = set()  # arrays already given to a tensor: a second one gets a copy
    while grads:
        t, g = grads.popitem()
        if not t._rg:
            continue
        d = t._data
        if g.dtype != d.dtype:
            g = g.astype(d.dtype)
        if g.shape != d.shape:
            g = np.broadcast_to(g, d.shape)
        old = t._grad
        if old is None:
            # Own the array unless nothing else can reach it (see _adoptable).
            if id(g) in handed_out or not _adoptable(g):
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
    found = _backpropagate(tensors, root_grads, bool(retain_graph), inputs)
    # _store_grads empties `found` (it hands the arrays over): keep the leaves for their hooks
    leaves = list(found) if POST_ACCUMULATE_HOOKS else ()
    _store_grads(found)
    if leaves:
        _run_post_accumulate_hooks(leaves)
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
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior. (It has shape "
                    f"{Size(t.shape)}; with allow_unused=True its gradient is None.)"
                )
            result.append(None)
        else:
            result.append(wrap(np.array(np.broadcast_to(g, t._data.shape), dtype=t._data.dtype)))
    return tuple(result)
