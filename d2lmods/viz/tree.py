"""The analysis model behind every drawing: which modules and parameters a model *registers*,
which ones it only *holds* (in plain lists, tuples, dicts, sets), and, with a sample input,
which ones its forward actually *uses*.

Nothing here renders anything; :mod:`d2lmods.viz.dot`, :mod:`d2lmods.viz.summary` and
:mod:`d2lmods.viz.widget` all read a :class:`ModelTree`.

>>> from d2lmods import nn
>>> from d2lmods.viz import analyze
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.body = nn.Linear(4, 8)
...         self.heads = [nn.Linear(8, 2), nn.Linear(8, 3)]   # plain list: not registered
>>> tree = analyze(Net())
>>> [m.path for m in tree.unregistered]
['heads[0]', 'heads[1]']
>>> tree.totals.registered_params, tree.totals.hidden_params
(40, 45)
>>> tree.modules["heads[0]"].fix
'self.heads = nn.ModuleList(...)'

The model may be a d2lmods or a PyTorch (``torch.nn.Module``) model: the same findings, from the
same scanner, with each library's classes (torch is imported by the model's author, never here).

Paths: registered modules use their qualified name (``"encoder.0"``, the root is ``""``);
modules reached only through a plain container use their attribute path from the root
(``"heads[0]"``, ``"encoder.blocks['enc']"``) and their registered children extend it
(``"heads[0].0"``). Modules a sample forward calls that the model does not hold at all (a layer
created inside ``forward``) hang below the module that called them as ``"<forward #0>"``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
from dataclasses import dataclass, field

from ._format import clip, fmt_count, fmt_others, fmt_shape

REGISTERED = "registered"
UNREGISTERED = "unregistered"            # held in a plain container, not registered anywhere
INSIDE_UNREGISTERED = "inside-unregistered"  # registered on a module that is itself unregistered
NOT_IN_MODEL = "not-in-model"            # called by forward, held by nothing in the model
_TOP_LOST = (UNREGISTERED, NOT_IN_MODEL)  # the top module of a subtree the model does not see

_CONTAINER_WORDS = {"list": "plain list", "tuple": "plain tuple", "dict": "plain dict",
                    "set": "plain set", "attribute": "plain attribute"}

# Bounds on every read of the learner's objects (outputs, shapes, names): a hostile or broken
# object costs at most this much, never an endless loop or gigabytes of text.
NAMES_SHOWN = 3         # names listed before "and N more" (ParamInfo.tied_with, also_held_at)
MAX_DIMS = 64           # numpy's own limit on the number of dimensions
MAX_ITEMS = 8           # items of a list/tuple/dict output described one by one
MAX_DEPTH = 4           # nesting of output containers described
MAX_NAME = 80           # characters kept of a class name, dtype or short text
MAX_CREATED = 64        # modules created inside forward that are drawn (the rest are counted)


@dataclass
class ParamInfo:
    """One parameter, buffer or plain tensor as a module holds it."""

    name: str                 # on its owner: "weight", or the attribute path "ws[0]" if unregistered
    path: str                 # from the root: "fc.weight", "heads[0].weight"
    kind: str                 # 'parameter' | 'buffer' | 'tensor'
    shape: tuple | None       # None while lazy (uninitialized)
    dtype: str
    numel: int                # 0 while lazy
    requires_grad: bool
    lazy: bool
    visible: bool             # True if parameters()/state_dict() reach this very object
    tied_with: tuple = ()     # other paths of the same object: the first NAMES_SHOWN of them
    tied_count: int = 0       # how many other paths there are (ModelTree.tied lists them all)
    problem: str | None = None
    fix: str | None = None
    obj_id: int = field(default=0, repr=False, compare=False)   # id() of the tensor object

    @property
    def tied_text(self) -> str:
        """The other names of this object, a few of them: ``'b.weight, c.weight and 9 more'``."""
        return fmt_others(self.tied_with, self.tied_count)

    def to_json(self) -> dict:
        return {"name": self.name, "path": self.path, "kind": self.kind,
                "shape": fmt_shape(self.shape), "dtype": self.dtype, "numel": self.numel,
                "requires_grad": self.requires_grad, "lazy": self.lazy, "visible": self.visible,
                "tied_with": list(self.tied_with), "tied_count": self.tied_count,
                "problem": self.problem, "fix": self.fix}


@dataclass
class ModuleInfo:
    """One module occurrence in the tree (a module registered twice appears twice, see ``alias_of``)."""

    path: str
    name: str                 # last part of the path: "fc", "0", "heads[0]"; "" for the root
    class_name: str
    depth: int
    status: str               # REGISTERED | UNREGISTERED | INSIDE_UNREGISTERED
    parent: str | None
    module: object = field(repr=False)
    params: list = field(default_factory=list)    # own parameters (+ unregistered ones held here)
    buffers: list = field(default_factory=list)
    children: list = field(default_factory=list)  # child paths: registered first, then held ones
    holder: str | None = None                     # "plain list 'heads'" for UNREGISTERED modules
    alias_of: str | None = None                   # same object already drawn at this path
    also_held_at: list = field(default_factory=list)  # plain-container paths that hold it too
    calls: int | None = None                      # None without a sample input
    input_shapes: object = None
    output_shapes: object = None
    problem: str | None = None
    fix: str | None = None
    finding: object = field(default=None, repr=False, compare=False)
    failed: str | None = None                     # the sample forward failed here: one-line cause
    failed_inputs: object = None                  # the input shapes it was given
    unfinished: bool = False                      # the forward failed inside it (in a submodule)

    @property
    def label(self) -> str:
        """``"name: Class"`` as drawn; the root is just its class name."""
        return f"{self.name}: {self.class_name}" if self.path else self.class_name

    @property
    def flagged(self) -> bool:
        return (self.status != REGISTERED or any(not p.visible for p in self.params)
                or self.failed is not None)

    @property
    def ran(self) -> bool:
        """The sample forward entered it (it finished, or failed in or below it)."""
        return bool(self.calls) or self.failed is not None or self.unfinished

    @property
    def own_numel(self) -> int:
        return sum(p.numel for p in self.params)

    def to_json(self) -> dict:
        return {"path": self.path, "name": self.name, "class_name": self.class_name,
                "label": self.label, "depth": self.depth, "status": self.status,
                "parent": self.parent, "children": list(self.children), "holder": self.holder,
                "alias_of": self.alias_of, "also_held_at": list(self.also_held_at),
                "calls": self.calls,
                "input_shapes": None if self.calls is None else fmt_shape(self.input_shapes),
                "output_shapes": None if self.calls is None else fmt_shape(self.output_shapes),
                "params": [p.to_json() for p in self.params],
                "buffers": [b.to_json() for b in self.buffers],
                "problem": self.problem, "fix": self.fix, "flagged": self.flagged,
                "failed": self.failed, "unfinished": self.unfinished,
                "failed_inputs": None if self.failed is None else fmt_shape(self.failed_inputs)}


@dataclass
class Totals:
    """Counts a learner can check against ``sum(p.numel() for p in model.parameters())``."""

    registered_params: int = 0     # elements parameters() yields, each tied tensor once, lazy = 0
    registered_tensors: int = 0    # len(list(model.parameters()))
    trainable_params: int = 0      # of which requires_grad
    lazy_tensors: int = 0          # registered but still uninitialized
    buffers: int = 0               # buffer elements (registered)
    state_dict_keys: int = 0       # len(model.state_dict())
    hidden_params: int = 0         # elements only reachable through plain containers
    hidden_tensors: int = 0
    used_hidden_params: int | None = None  # of which in modules the sample forward called
    unregistered_modules: int = 0  # modules held in plain containers (top level of each)
    tied_groups: int = 0
    not_in_model: int = 0          # modules forward called that the model does not hold

    def lines(self) -> list[str]:
        """The totals as short sentences (used by the text tree and the summary)."""
        out = [f"registered: {fmt_count(self.registered_params)} parameters in "
               f"{self.registered_tensors} tensors (what parameters(), state_dict(), .to() and "
               f"optimizers see; state_dict has {self.state_dict_keys} keys)"]
        if self.lazy_tensors:
            out.append(f"lazy: {self.lazy_tensors} parameter tensors not initialized yet "
                       "(shapes appear after the first forward)")
        if self.unregistered_modules or self.hidden_tensors:
            used = ""
            if self.used_hidden_params is not None:
                used = f", {fmt_count(self.used_hidden_params)} of them used by forward"
            out.append(f"NOT registered: {fmt_count(self.hidden_params)} parameters in "
                       f"{self.hidden_tensors} tensors{used} -- never trained, saved or moved")
        if self.tied_groups:
            out.append(f"tied: {self.tied_groups} parameter(s) shared under several names, "
                       "counted once")
        if self.not_in_model:
            out.append(f"NOT in the model: forward called {self.not_in_model} module(s) the "
                       "model does not hold (created inside forward?) -- never trained or saved")
        return out


@dataclass(repr=False)
class ModelTree:
    """Everything :func:`analyze` found out about a model."""

    root: ModuleInfo
    modules: dict                 # path -> ModuleInfo, in drawing (pre-)order
    findings: list                # what find_unregistered returned
    tied: list                    # tuples of paths naming the same Parameter
    totals: Totals
    dynamic: bool                 # a sample forward was run
    notes: list = field(default_factory=list)
    error: str | None = None      # the sample forward failed: what ForwardPassError says
    library: str = "d2lmods"      # 'd2lmods' or 'torch'

    @property
    def unregistered(self) -> list:
        """Modules held in plain containers (the top of each hidden subtree)."""
        return [m for m in self.modules.values() if m.status == UNREGISTERED]

    @property
    def not_in_model(self) -> list:
        """Modules the sample forward called that the model does not hold (made in forward)."""
        return [m for m in self.modules.values() if m.status == NOT_IN_MODEL]

    @property
    def failed(self):
        """The :class:`ModuleInfo` where the sample forward failed, or ``None``."""
        return next((m for m in self.modules.values() if m.failed is not None), None)

    @property
    def used_unregistered(self) -> list:
        """Modules the sample forward called although no optimizer can see them."""
        return [m for m in self.modules.values()
                if m.status != REGISTERED and m.calls]

    @property
    def problems(self) -> list:
        """``(path, problem, fix)`` for every flagged module and parameter, in tree order."""
        out = []
        for m in self.modules.values():
            if m.problem and m.status != INSIDE_UNREGISTERED:   # explained by its top module
                out.append((m.path, m.problem, m.fix))
            for p in m.params + m.buffers:
                if p.problem:
                    out.append((p.path, p.problem, p.fix))
        return out

    def __repr__(self) -> str:
        t = self.totals
        return (f"<ModelTree of {self.root.class_name}: {len(self.modules)} modules, "
                f"{t.registered_params:,} registered parameters, {t.unregistered_modules} "
                f"unregistered modules, {t.hidden_params:,} hidden parameters>")

    def __str__(self) -> str:
        from .text import text_tree

        return text_tree(self)

    def to_json(self) -> dict:
        return {"root": self.root.path, "dynamic": self.dynamic, "notes": list(self.notes),
                "error": self.error, "library": self.library,
                "modules": {k: m.to_json() for k, m in self.modules.items()},
                "tied": [list(g) for g in self.tied], "totals": self.totals.lines(),
                "counts": dataclasses.asdict(self.totals)}

    @classmethod
    def from_json(cls, data, **limits) -> ModelTree:
        """A tree rebuilt from :meth:`to_json` data, e.g. sent out of a sandbox (bounded reads;
        see :func:`d2lmods.viz.plain.tree_from_json`). Its modules have ``module=None``."""
        from .plain import tree_from_json

        return tree_from_json(data, **limits)


# ---------------------------------------------------------------------------------------
# helpers that only look at the public API of a module or tensor

def _text_of(value) -> str:
    """``str(value)`` cut to ``MAX_NAME`` characters; never raises."""
    try:
        return clip(str(value), MAX_NAME)
    except Exception:   # a broken __str__ must not stop the analysis
        return f"<{_type_name(value)}>"


def _type_name(value) -> str:
    return clip(type(value).__name__, MAX_NAME)


def _dtype(t) -> str:
    return _text_of(getattr(t, "dtype", "?")).rsplit(".", 1)[-1]


def _read_shape(value):
    """``value.shape`` as a tuple of ints, or ``None`` if it is not a readable shape.

    At most ``MAX_DIMS + 1`` entries are taken from it: an endless iterable is cut, not drained.
    """
    try:
        dims = tuple(itertools.islice(iter(value.shape), MAX_DIMS + 1))
        if len(dims) > MAX_DIMS:
            return None
        out = tuple(int(d) for d in dims)
    except Exception:   # no shape, a property that raises, entries that are not numbers
        return None
    return out if all(0 <= d < 2 ** 63 for d in out) else None


def _tensor_info(name, path, t, kind, visible, is_lazy) -> ParamInfo:
    lazy = is_lazy(t)
    shape = None if lazy else _read_shape(t)
    numel = 0
    if shape is not None:
        numel = 1
        for d in shape:
            numel *= d
    return ParamInfo(name=name, path=path, kind=kind, shape=shape, dtype=_dtype(t), numel=numel,
                     requires_grad=bool(getattr(t, "requires_grad", False)), lazy=lazy,
                     visible=visible, obj_id=id(t))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _relative(path: str, owner: str) -> str:
    if owner and path.startswith(owner + "."):
        return path[len(owner) + 1:]
    if owner and path.startswith(owner) and path[len(owner):][:1] == "[":
        return path[len(owner):]
    return path


def _find_unregistered(model) -> list:
    from d2lmods.nn.utils import find_unregistered

    return list(find_unregistered(model))


def _describe(value, depth=0):
    """Shapes of whatever a forward takes or returns: tensors, tuples/lists, dicts.

    Bounded: ``MAX_ITEMS`` items per container, ``MAX_DEPTH`` levels, ``MAX_DIMS`` dimensions.
    Containers are read through the built-in ``list``/``tuple``/``dict`` methods, so a subclass
    overriding ``__iter__`` or ``items`` cannot make the description run forever.
    """
    if value is None:
        return None
    if isinstance(value, type):
        return _type_name(value)
    if isinstance(value, (list, tuple, dict)):
        if depth >= MAX_DEPTH:
            return "\u2026"
        if isinstance(value, dict):
            n = dict.__len__(value)
            pairs = itertools.islice(dict.items(value), MAX_ITEMS)
            out = {_text_of(k): _describe(v, depth + 1) for k, v in pairs}
            if n > MAX_ITEMS:
                out["\u2026"] = f"{fmt_count(n - MAX_ITEMS)} more"
            return out
        base = list if isinstance(value, list) else tuple
        n = base.__len__(value)
        out = [_describe(v, depth + 1) for v in itertools.islice(base.__iter__(value), MAX_ITEMS)]
        if n > MAX_ITEMS:
            out.append(f"\u2026 {fmt_count(n - MAX_ITEMS)} more")
        return out
    try:
        has_shape = hasattr(value, "shape")
    except Exception:   # a shape property that raises something else than AttributeError
        has_shape = True
    if has_shape:
        shape = _read_shape(value)
        return shape if shape is not None else f"{_type_name(value)} (shape unreadable)"
    return _type_name(value)


def _fix_for(finding) -> str:
    attr = finding.attribute
    if finding.container == "attribute":
        if finding.kind == "tensor":
            if getattr(finding.obj, "requires_grad", False):
                return f"self.{attr} = nn.Parameter(...) so optimizers train it"
            return f"self.register_buffer('{attr}', tensor) so state_dict() and .to() see it"
        return (f"assign it as self.{attr} = ... after super().__init__() "
                "(it was stored past Module.__setattr__)")
    if finding.kind == "module":
        cls = "nn.ModuleDict" if finding.container == "dict" else "nn.ModuleList"
        return f"self.{attr} = {cls}(...)"
    if finding.kind == "parameter":
        cls = "nn.ParameterDict" if finding.container == "dict" else "nn.ParameterList"
        return f"self.{attr} = {cls}(...)"
    return (f"register each tensor of self.{attr} with self.register_buffer(name, tensor) "
            "(or stack them into one buffer)")


def _holder(finding) -> str:
    if finding.container == "attribute":
        return f"attribute '{finding.attribute}' set past Module.__setattr__"
    word = _CONTAINER_WORDS.get(finding.container, finding.container)
    return f"{word} '{finding.attribute}'"


# ---------------------------------------------------------------------------------------
# the dynamic pass

class ForwardPassError(RuntimeError):
    """The sample forward given to ``analyze``/``draw``/``explore`` failed inside a module."""


def _library(kinds) -> str:
    return "torch" if kinds.module.__module__.split(".")[0] == "torch" else "d2lmods"


@contextlib.contextmanager
def _eval_no_grad(modules, library):
    """Every module in eval mode and no autograd graph; each module's own flag restored after.

    Eval mode keeps the pass from changing running statistics or drawing dropout masks; the
    flags are restored one by one because ``train()`` recurses only through registered children.
    """
    if library == "torch":
        import sys

        no_grad = sys.modules["torch"].no_grad
    else:
        import d2lmods

        no_grad = d2lmods.no_grad
    saved = [(m, m.training) for m in modules]
    try:
        for m in modules:
            m.training = False
        with no_grad():
            yield
    finally:
        for m, flag in saved:
            m.training = flag


@contextlib.contextmanager
def _unknown_modules_seen(library, seen):
    """Call ``seen(module, caller_ids)`` for modules the forward calls; see :func:`_run_forward`."""
    if library == "torch":
        import sys

        hooks = sys.modules["torch"].nn.modules.module
        handle = hooks.register_module_forward_pre_hook(lambda mod, args: seen(mod))
        try:
            yield
        finally:
            handle.remove()
        return
    from d2lmods.nn.utils import first_calls_seen

    with first_calls_seen(lambda mod, stack: seen(mod)):
        yield


def _run_forward(model, sample, objects: dict, library: str, keep_going: bool):
    """One forward with hooks on every module in ``objects`` (id -> (path, module)).

    Returns ``(records, extra, error, not_drawn)``: id -> {"calls", "inputs", "outputs"}
    (shapes of the first call; "failed"/"unfinished" where the forward raised); ``extra``, the
    modules it called that ``objects`` does not hold, as ``(module, id of the calling module or
    None)`` in call order, at most ``MAX_CREATED`` (``not_drawn`` counts the others); ``error``,
    the :class:`ForwardPassError` text (``None`` if the pass ran). With
    ``keep_going`` false a failure raises :class:`ForwardPassError` instead.
    """
    records: dict = {}
    stack: list = []
    handles = []
    extra: list = []          # strong references: their ids stay unique during the pass
    extra_ids: set = set()
    overflow = [0]

    def pre(mod, args):
        stack.append(id(mod))
        rec = records.setdefault(id(mod), {"calls": 0})
        if "entered" not in rec:
            ins = _describe(list(args))
            rec["entered"] = ins[0] if len(ins) == 1 else ins

    def post(mod, args, output):
        if stack and stack[-1] == id(mod):
            stack.pop()
        rec = records.setdefault(id(mod), {"calls": 0})
        rec["calls"] += 1
        if rec["calls"] == 1:
            ins = _describe(list(args))
            rec["inputs"] = ins[0] if len(ins) == 1 else ins
            rec["outputs"] = _describe(output)

    def seen(mod):
        if id(mod) in objects or id(mod) in extra_ids:
            return
        if len(extra) >= MAX_CREATED:   # a forward making thousands of layers: count the rest
            overflow[0] += 1
            return
        extra_ids.add(id(mod))
        extra.append((mod, stack[-1] if stack else None))
        if library != "torch":   # torch's global hooks below already see it
            handles.append(mod.register_forward_pre_hook(pre))
            handles.append(mod.register_forward_hook(post))

    def global_pre(mod, args):
        if id(mod) in extra_ids:
            pre(mod, args)

    def global_post(mod, args, output):
        if id(mod) in extra_ids:
            post(mod, args, output)

    error = None
    try:
        for _path, mod in objects.values():
            if hasattr(mod, "register_forward_pre_hook"):
                handles.append(mod.register_forward_pre_hook(pre))
            handles.append(mod.register_forward_hook(post))
        with _eval_no_grad([m for _p, m in objects.values()], library), \
                _unknown_modules_seen(library, seen), _global_hooks(library, global_pre,
                                                                    global_post):
            try:
                if isinstance(sample, dict):
                    model(**sample)
                elif isinstance(sample, tuple):
                    model(*sample)
                else:
                    model(sample)
            except Exception as err:
                known = {**objects, **{id(m): ("", m) for m, _c in extra}}
                where = known.get(stack[-1], ("", model))[0] if stack else ""
                mod = known.get(stack[-1], ("", model))[1] if stack else model
                place = f"module '{where}' ({_type_name(mod)})" if where else \
                    f"the model's own forward ({_type_name(model)})"
                if stack and mod is not model and not where:
                    place = f"a {_type_name(mod)} the model does not hold"
                error = (f"the sample forward failed in {place} with input "
                         f"{fmt_shape(_describe(sample))}: {_type_name(err)}: {_error_text(err)}. "
                         "Pass an `input` the model accepts (a tensor, a tuple of positional "
                         "arguments or a dict of keyword arguments), or leave it out to draw "
                         "without shapes.")
                if not keep_going:
                    raise ForwardPassError(error) from err
                cause = f"{_type_name(err)}: {_first_line(err)}"
                innermost = stack[-1] if stack else id(model)
                records.setdefault(innermost, {"calls": 0})["failed"] = cause
                for other in stack[:-1]:
                    records[other]["unfinished"] = True
                if not stack:   # failed before any hooked module ran (e.g. in a pre-hook)
                    records[innermost].setdefault("entered", _describe(sample))
    finally:
        for h in handles:
            h.remove()
    return records, extra, error, overflow[0]


@contextlib.contextmanager
def _global_hooks(library, pre, post):
    """torch's global forward hooks, for modules no per-module hook was put on."""
    if library != "torch":
        yield
        return
    import sys

    hooks = sys.modules["torch"].nn.modules.module
    handles = [hooks.register_module_forward_pre_hook(pre),
               hooks.register_module_forward_hook(post)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _first_line(err) -> str:
    """The first non-empty line of an error's message, at most 200 characters."""
    text = _error_text(err)
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return clip(line, 200) or "(no message)"


def _error_text(err) -> str:
    try:
        return clip(str(err), 2000)
    except Exception:
        return "(its message could not be read)"


# ---------------------------------------------------------------------------------------
# building the tree

def _module_objects(model, findings) -> dict:
    """id -> (path, module) for every module reachable by registration or by a finding."""
    objects: dict = {}

    def add(mod, path):
        if id(mod) in objects:
            return
        objects[id(mod)] = (path, mod)
        for name, child in mod._modules.items():
            if child is not None:
                add(child, _join(path, name))

    add(model, "")
    for f in findings:
        if f.kind == "module":
            add(f.obj, f.path)
    return objects


def analyze(model, input=None, *, on_error="raise") -> ModelTree:
    """Analyse ``model``: registered tree, unregistered modules/parameters, tied and lazy params.

    ``model`` is a d2lmods ``nn.Module`` or a ``torch.nn.Module``. With ``input`` (a tensor, a
    tuple of positional arguments or a dict of keyword arguments) one forward runs under
    ``no_grad`` with every module in eval mode, hooks recording each module's call count and
    input/output shapes, and the modules it calls that the model does not hold (created inside
    ``forward``). Lazy layers materialize during that pass (the model is changed, as by any
    first forward); ``tree.notes`` says so.

    When that forward fails, ``on_error="raise"`` raises :class:`ForwardPassError`;
    ``on_error="keep"`` returns the tree up to the error: the modules that ran have their
    shapes, the one that failed has ``failed`` (the error's one-line cause) and
    ``failed_inputs``, and ``tree.error`` holds the whole message.
    """
    if on_error not in ("raise", "keep"):
        raise ValueError(f"on_error must be 'raise' or 'keep', got {on_error!r}")
    if not (hasattr(model, "_modules") and hasattr(model, "named_parameters")):
        hint = ""
        if hasattr(model, "shape"):
            hint = " (this looks like a tensor: pass the model, not model(X))"
        raise TypeError(f"expected an nn.Module (a model or a layer), got {_type_name(model)}"
                        f"{hint}; e.g. draw(model), summary(model), explore(model)")
    from d2lmods.nn.utils import kinds_of

    kinds = kinds_of(model)
    library = _library(kinds)
    is_lazy = kinds.is_lazy
    notes = []
    records: dict = {}
    extra: list = []
    error = None
    dynamic = input is not None
    if dynamic:
        with _checks_paused():
            before = [n for n, p in model.named_parameters(remove_duplicate=False) if is_lazy(p)]
            objects = _module_objects(model, _find_unregistered(model))
        # the forward is the learner's model running as usual: its own first-call warnings
        # (if any) are the model's, and are not suppressed
        records, extra, error, not_drawn = _run_forward(model, input, objects, library,
                                                        keep_going=on_error == "keep")
        notes.append("Shapes come from one sample forward run under no_grad with every module "
                     "in eval mode; each module's train/eval flag was restored afterwards.")
        if not_drawn:
            notes.append(f"forward created {fmt_count(not_drawn)} more modules "
                         f"than the {MAX_CREATED} drawn (a new module each call is never trained).")
        if error is not None:
            notes.append("The sample forward FAILED; the drawing shows it up to the error: "
                         + error)
    with _checks_paused():
        if dynamic:
            after = {n for n, p in model.named_parameters(remove_duplicate=False) if is_lazy(p)}
            done = [n for n in before if n not in after]
            if done:
                notes.append("The sample forward materialized lazy parameters (the model now "
                             "has their shapes): " + ", ".join(done))
        tree = _build(model, _find_unregistered(model), records, dynamic, notes, kinds, extra)
    tree.error, tree.library = error, library
    return tree


def _checks_paused():
    """Walk the model without setting off nn's one-time "unregistered" checks.

    ``parameters()``/``state_dict()`` scan a model once and warn about plain containers; the
    analysis reports the same thing itself (from the same scanner, ``find_unregistered``), so
    it pauses the checks in this thread (rather than swallowing their warnings) and they stay
    armed for the learner's own calls.
    """
    from d2lmods.nn.utils import unregistered_checks_paused

    return unregistered_checks_paused()


def _build(model, findings, records, dynamic, notes, kinds, extra=()) -> ModelTree:
    modules: dict = {}
    by_id: dict = {}   # id(module) -> first path where it is drawn
    registered_ids = {id(p) for _n, p in model.named_parameters(remove_duplicate=False)}

    def visit(mod, path, name, depth, parent, status):
        info = ModuleInfo(path=path, name=name, class_name=_type_name(mod), depth=depth,
                          status=status, parent=parent, module=mod)
        modules[path] = info
        if parent is not None:
            modules[parent].children.append(path)
        rec = records.get(id(mod))
        if dynamic:
            info.calls = rec["calls"] if rec else 0
            if rec:
                info.input_shapes, info.output_shapes = rec.get("inputs"), rec.get("outputs")
                info.failed, info.unfinished = rec.get("failed"), bool(rec.get("unfinished"))
                if info.failed is not None or info.unfinished:
                    info.failed_inputs = rec.get("entered")
        if id(mod) in by_id:            # the same object already drawn: do not expand twice
            info.alias_of = by_id[id(mod)]
            return info
        by_id[id(mod)] = path
        for pname, p in mod.named_parameters(recurse=False, remove_duplicate=False):
            if p is not None:
                info.params.append(_tensor_info(pname, _join(path, pname), p, "parameter",
                                                id(p) in registered_ids, kinds.is_lazy))
        for bname, b in mod.named_buffers(recurse=False):
            if b is not None:
                info.buffers.append(_tensor_info(bname, _join(path, bname), b, "buffer",
                                                 status == REGISTERED, kinds.is_lazy))
        for cname, child in mod._modules.items():
            if child is not None:
                visit(child, _join(path, cname), cname, depth + 1, path,
                      REGISTERED if status == REGISTERED else INSIDE_UNREGISTERED)
        return info

    root = visit(model, "", "", 0, None, REGISTERED)

    # Findings are attached to their owner, which may itself be a finding: attach in rounds.
    pending = list(findings)
    while pending:
        rest = []
        for f in pending:
            owner = f.owner if f.owner in modules else None
            if owner is None and any(f.owner == m.path for m in modules.values()):
                owner = f.owner
            if owner is None and f.owner and _owner_may_come(f, pending):
                rest.append(f)
                continue
            _attach(f, modules.get(owner, root) if owner is not None else root,
                    modules, by_id, visit, registered_ids, kinds)
        if len(rest) == len(pending):   # owners that never appear: hang them on the root
            for f in rest:
                _attach(f, root, modules, by_id, visit, registered_ids, kinds)
            break
        pending = rest

    # Modules the forward called that nothing in the model holds, below the module calling them.
    made = 0
    for mod, caller in extra:
        if id(mod) in by_id:    # the forward stored it somewhere the scan found: drawn there
            continue
        parent = modules.get(by_id.get(caller, ""), root)
        info = visit(mod, _join(parent.path, f"<forward #{made}>"), f"<forward #{made}>",
                     parent.depth + 1, parent.path, NOT_IN_MODEL)
        info.holder = "created inside forward"
        made += 1

    _flag(modules, dynamic)
    tied = _tied_groups(modules)
    group_of = {path: group for group in tied for path in group}
    for m in modules.values():
        for p in m.params:
            group = group_of.get(p.path)
            if group is not None:   # a few names each: N tied names must not cost N * N
                p.tied_with = tuple(itertools.islice((x for x in group if x != p.path),
                                                     NAMES_SHOWN))
                p.tied_count = len(group) - 1
    totals = _totals(model, modules, findings, tied, dynamic, kinds.is_lazy)
    # pre-order: children right after their parent, registered before held ones
    ordered: dict = {}

    def order(path):
        ordered[path] = modules[path]
        for c in modules[path].children:
            order(c)

    order(root.path)
    return ModelTree(root=root, modules=ordered, findings=list(findings), tied=tied,
                     totals=totals, dynamic=dynamic, notes=notes)


def _owner_may_come(f, pending) -> bool:
    return any(g is not f and g.kind == "module" and
               (f.owner == g.path or f.owner.startswith(g.path + ".") or
                f.owner.startswith(g.path + "[")) for g in pending)


def _attach(f, owner_info, modules, by_id, visit, registered_ids, kinds):
    if f.kind == "module":
        if f.registered_as is not None or id(f.obj) in by_id:
            # nothing is lost: the same object is registered (or already drawn) elsewhere
            target = modules.get(f.registered_as) or modules.get(by_id.get(id(f.obj)))
            if target is not None:
                target.also_held_at.append(f.path)
            return
        info = visit(f.obj, f.path, _relative(f.path, owner_info.path), owner_info.depth + 1,
                     owner_info.path, UNREGISTERED)
        info.holder = _holder(f)
        info.finding = f
        return
    if f.registered_as is not None:
        # a registered parameter also kept in a plain list (torch's LSTM keeps _flat_weights):
        # nothing is lost, and a second row would read as a tied copy
        return
    kind = "parameter" if f.kind == "parameter" else "tensor"
    p = _tensor_info(_relative(f.path, owner_info.path), f.path, f.obj, kind,
                     id(f.obj) in registered_ids, kinds.is_lazy)
    if not p.visible:
        word = "parameter" if kind == "parameter" else "tensor"
        where = f"'{owner_info.path}'" if owner_info.path else "the model"
        held = (f"a plain tensor attribute of {where}" if f.container == "attribute"
                else f"a {word} held in a {_holder(f)} of {where}")
        p.problem = (f"'{f.path}' is {held}, so it is not registered: parameters(), "
                     "state_dict() and optimizers never see it and .to() does not move it.")
        p.fix = _fix_for(f)
    owner_info.params.append(p)


def _flag(modules, dynamic):
    hidden_numel: dict = {}
    for m in modules.values():
        if m.status != REGISTERED:
            for p in m.params:
                if not p.visible:
                    p.problem = None   # explained once, on the module that hides it
    for m in modules.values():
        if m.status != UNREGISTERED:
            continue
        f = m.finding
        n = _subtree_hidden(m, modules)
        hidden_numel[m.path] = n
        owner = m.parent or ""
        where = f"'{owner}'" if owner else "the model"
        held = (f"stored on {where} past Module.__setattr__" if f.container == "attribute"
                else f"held in a {m.holder} of {where}")
        text = (f"'{m.path}' is {held}, so it is not a registered "
                f"submodule: parameters(), state_dict(), .to(), .train()/.eval() and optimizers "
                f"never see its {fmt_count(n)} parameters.")
        if dynamic and m.calls:
            text += " The sample forward called it: it is used, but never trained."
        elif dynamic:
            text += " The sample forward did not call it."
        m.problem = text
        m.fix = _fix_for(f)
    for m in modules.values():
        if m.status == NOT_IN_MODEL:
            n = _subtree_hidden(m, modules)
            m.problem = (f"forward called '{m.path}' ({m.class_name}), which the model does not "
                         "hold: a module created inside forward is a new one, with new random "
                         f"parameters, at every call, so its {fmt_count(n)} parameters are never "
                         "trained or saved.")
            m.fix = ("create it once in __init__ (self.name = nn.Something(...)) and call "
                     "self.name in forward")
    for m in modules.values():
        if m.status == INSIDE_UNREGISTERED:
            top = _top_unregistered(m, modules)
            m.problem = f"Part of '{top}', which is not registered, so it is lost with it."
            if dynamic and m.calls:
                m.problem += " The sample forward called it: used, but never trained."
            m.fix = modules[top].fix
    for m in modules.values():
        if m.failed is not None:
            text = (f"The sample forward failed here: input {fmt_shape(m.failed_inputs)} did "
                    f"not fit ({m.failed}).")
            m.problem = f"{m.problem} {text}" if m.problem else text


def _top_unregistered(m, modules) -> str:
    while m.status not in _TOP_LOST and m.parent is not None:
        m = modules[m.parent]
    return m.path


def _subtree_hidden(m, modules) -> int:
    seen: set = set()
    total = 0
    stack = [m.path]
    while stack:
        info = modules[stack.pop()]
        for p in info.params:
            if not p.visible and p.path not in seen:
                seen.add(p.path)
                total += p.numel
        stack.extend(c for c in info.children if modules[c].status != REGISTERED)
    return total


def _tied_groups(modules) -> list:
    groups: dict = {}
    for m in modules.values():
        if m.alias_of is not None:   # its parameters are listed under the first occurrence
            continue
        for p in m.params:
            if p.kind == "parameter":
                groups.setdefault(p.obj_id, []).append(p.path)
    return [tuple(g) for g in groups.values() if len(g) > 1]


def _totals(model, modules, findings, tied, dynamic, is_lazy) -> Totals:
    t = Totals()
    seen: set = set()
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        t.registered_tensors += 1
        if is_lazy(p):
            t.lazy_tensors += 1
            continue
        n = int(p.numel())
        t.registered_params += n
        if p.requires_grad:
            t.trainable_params += n
    for _n, b in model.named_buffers():
        if not is_lazy(b):
            t.buffers += int(b.numel())
    try:
        t.state_dict_keys = len(model.state_dict())
    except Exception:   # a broken custom state_dict must not stop the drawing
        t.state_dict_keys = 0
    hidden: dict = {}
    used: dict = {}
    called = {id(m.module) for m in modules.values() if m.calls}
    for f in findings:
        objs = []
        if f.kind == "module" and f.registered_as is None:
            for _n, sub in f.obj.named_modules():
                for p in sub.parameters(recurse=False):
                    objs.append((p, sub))
        elif f.kind == "parameter" and f.registered_as is None:
            holder = modules.get(f.owner)     # used if the module holding it was called
            objs = [(f.obj, holder.module if holder is not None else None)]
        for p, owner in objs:
            if id(p) in seen or is_lazy(p):
                continue
            hidden[id(p)] = int(p.numel())
            if dynamic and owner is not None and id(owner) in called:
                used[id(p)] = int(p.numel())
    t.hidden_params = sum(hidden.values())
    t.hidden_tensors = len(hidden)
    if dynamic:
        t.used_hidden_params = sum(used.values())
    t.unregistered_modules = sum(1 for m in modules.values() if m.status == UNREGISTERED)
    t.not_in_model = sum(1 for m in modules.values() if m.status == NOT_IN_MODEL)
    t.tied_groups = len(tied)
    return t
