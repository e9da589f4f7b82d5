"""``nn.Module``: registration, attributes, calls, ``apply``, containers, parameters, lazy layers.

``cls`` is a class name (``'MLP'``); ``who`` a layer's name and place (``'Linear at MLP.out'``).
"""
from __future__ import annotations

# ---- texts shared by several messages ---------------------------------------------------------

LOST = ("its parameters are not in parameters() or state_dict(), the optimizer will not "
        "train them, .to()/.double() will not convert them and train()/eval() will not "
        "switch them")


def call_super_init(cls: str) -> str:
    return f"Fix: call super().__init__() as the first line of {cls}.__init__."


def container_fix(container: str, attr: str, noun: str) -> str:
    """Code that registers what ``self.attr`` holds: wrap the container in place."""
    if container == "dict":
        kind = "ParameterDict" if noun == "parameters" else "ModuleDict"
    else:
        kind = "ParameterList" if noun == "parameters" else "ModuleList"
    return f"self.{attr} = nn.{kind}(self.{attr})"


# ---- construction ------------------------------------------------------------------------------

def before_init(what: str, name: str, cls: str) -> str:
    """AttributeError text for registering something before ``super().__init__()``."""
    return (f"cannot assign {what} before Module.__init__() call: "
            f"'{name}' was assigned in {cls}.__init__ before the Module was set up. "
            + call_super_init(cls))


def init_typo_args(cls: str, typo: str) -> str:
    return (f"{cls}() got arguments, but {cls} defines `{typo}` instead of `__init__`, so they went "
            f"to Module.__init__, which takes none. Fix: rename `def {typo}(self, ...)` to "
            "`def __init__(self, ...)`.")


def init_args(cls: str, given: str) -> str:
    return (f"{cls}.__init__() got unexpected arguments ({given}) that were passed on to "
            "Module.__init__(), which takes none. Fix: call super().__init__() without arguments.")


def no_super_init_attribute(cls: str, name: str) -> str:
    return (f"'{cls}' object has no attribute '{name}' because {cls}.__init__ did not call "
            f"super().__init__(). " + call_super_init(cls))


def no_super_init_call(cls: str) -> str:
    return (f"{cls}.__init__ did not call super().__init__(), so this module was never set up (no "
            "parameter, buffer or submodule registry). " + call_super_init(cls))


# ---- registration ------------------------------------------------------------------------------

def not_a_parameter(type_name: str, name: str) -> str:
    return (f"cannot assign '{type_name}' object to parameter '{name}' (torch.nn.Parameter or None "
            "required). Fix: wrap it, nn.Parameter(tensor).")


def assign_to_parameter(type_name: str, name: str) -> str:
    return (f"cannot assign '{type_name}' as parameter '{name}' (torch.nn.Parameter or None "
            f"expected). Fix: wrap it, self.{name} = nn.Parameter(value), or change the values in "
            f"place with `with torch.no_grad(): self.{name}.copy_(value)`.")


def add_module_swapped(kind: str) -> str:
    return (f"add_module takes (name, module), but the first argument is a {kind} module. Fix: "
            f"self.add_module('{kind.lower()}', layer) -- the name comes first.")


def add_module_class(name: str, cls: str) -> str:
    return (f"{cls} is a Module class, not a Module: add_module('{name}', ...) needs an instance. "
            f"Fix: did you mean {cls}(...)?")


def add_module_replaces(owner: str, name: str, new: str, old: str) -> str:
    return (f"{owner}.add_module('{name}', {new}) replaces the child already registered as "
            f"'{name}' ({old}); the old one is dropped from the model. Fix: give each child its "
            f"own name, e.g. with the loop's index i, `self.add_module(f'{name}{{i}}', layer)`.")


def parameter_not_tensor(type_name: str) -> str:
    return (f"nn.Parameter expects a Tensor, got {type_name}. "
            "Fix: nn.Parameter(torch.tensor(...)) or nn.Parameter(torch.randn(...)).")


def parameter_setitem(shape: tuple) -> str:
    return ("a leaf Variable that requires grad is being used in an in-place operation: "
            f"item assignment into a Parameter of shape {shape}. Changing a parameter's values "
            "must not be recorded by autograd. Fix: do it under no_grad, "
            "`with torch.no_grad(): param[...] = value`, or write through .data, "
            "`param.data[...] = value`.")


# ---- hidden (unregistered) modules, parameters and tensors -----------------------------------

def unregistered(owner: str, attr: str, found: list, container: str) -> str:
    """``found``: ``(subpath, object, kind)`` for each object hidden in ``owner.attr``."""
    where = [f"{owner}.{attr}{sub} ({type(obj).__name__})" for sub, obj, _ in found[:4]]
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    kinds = {k for _, _, k in found}
    noun = "modules" if "module" in kinds else "parameters"
    one = len(found) == 1
    mixed = "module" in kinds and len(kinds) > 1
    fix = ("register each one with self.add_module(name, module) / "
           "self.register_parameter(name, param)" if mixed else
           f"wrap the {container} right after assigning it, `{container_fix(container, attr, noun)}` "
           f"(or build it as one from the start), or register each one with "
           f"self.add_module(name, module) / self.register_parameter(name, param)")
    return (f"{', '.join(where)}{more} {'is' if one else 'are'} kept in a plain Python "
            f"{container}, so nn.Module does not register {'it' if one else 'them'}: "
            f"{LOST}. Fix: {fix}.")


def tensor_attribute(owner: str, attr: str, shape: tuple) -> str:
    return (f"{owner}.{attr} is a plain tensor with requires_grad=True (shape {shape}), not an "
            f"nn.Parameter, so nn.Module does not register it: it is not in parameters() or "
            f"state_dict() and the optimizer will not train it. Fix: wrap it, "
            f"`self.{attr} = nn.Parameter(self.{attr})` (or self.register_buffer('{attr}', "
            "tensor) for a tensor that is not trained).")


# ---- attribute look-up -------------------------------------------------------------------------

def no_attribute(cls: str, name: str) -> str:
    return f"'{cls}' object has no attribute '{name}'"


def no_attribute_typo_init(cls: str, name: str, typo: str) -> str:
    return (no_attribute(cls, name) + f". {cls} defines `{typo}` but no `__init__`, so your set-up "
            f"code never ran. Fix: rename `def {typo}(self, ...)` to `def __init__(self, ...)`.")


def no_attribute_close(cls: str, name: str, close: str) -> str:
    return no_attribute(cls, name) + f". Did you mean '{close}'?"


def no_attribute_in_children(cls: str, name: str, ways: str) -> str:
    return (no_attribute(cls, name) + f"; '{name}' belongs to its submodules: use {ways} (names as "
            "in named_parameters()).")


def no_submodule(kind: str, item: str, target: str, where: str, children: list) -> str:
    return (f"{kind} has no attribute `{item}` (looking up '{target}' from {where}); children are "
            f"{children}")


# ---- calling -----------------------------------------------------------------------------------

def missing_forward(cls: str, *, container: bool, close: str | None) -> str:
    text = f'Module [{cls}] is missing the required "forward" function'
    if container:
        return (text + f" -- a {cls} only holds modules, it does not run them. Loop over it in "
                "your own forward (`for layer in self.layers: X = layer(X)`), or use "
                "nn.Sequential(...) if the layers simply run one after another.")
    if close:
        return (text + f" \u2014 did you mean to name `{close}` forward? "
                f"Rename `def {close}(self, ...)` to `def forward(self, ...)` in {cls}.")
    return text + f". Fix: define `def forward(self, X): ...` in {cls}."


def returned_module(who: str, kind: str, call: str) -> str:
    return (f"{who}: forward returned a {kind} module instead of a tensor. Likely cause: the layer "
            f"was returned without being called. Fix: call it, `return {call}`.")


def forward_without_self(cls: str, params: list) -> str:
    return (f"{cls}.forward is defined as forward({', '.join(params)}) without `self`. "
            f"Fix: def forward(self, {', '.join(params) or 'X'}).")


def forward_arguments(cls: str, given: int, params: list) -> str:
    return (f"{cls} was called with {given} input(s), but its forward takes "
            f"({', '.join(params)}). Fix: pass the inputs forward expects, or change "
            f"the signature of {cls}.forward.")


def raised_inside(cls: str, path: str) -> str:
    if path == cls:   # the module the learner called: no path to show
        return f"(raised inside {cls}.forward)"
    return f"(raised inside {cls} at {path})"


def lazy_forward_direct(cls: str) -> str:
    return (f"{cls}.forward() was called directly, but this {cls} is not initialized yet: its "
            "weights get their shape from the first batch, in a hook that runs only when the "
            "module itself is called, so they have no shape yet. "
            "Fix: call the module itself, layer(X) / net(X) instead of .forward(X), so hooks run "
            "and lazy parameters materialize.")


def use_uninitialized(what: str) -> str:
    return (f"Attempted to use an uninitialized parameter in {what}. This error happens when you are "
            "using a LazyModule (e.g. nn.LazyLinear) before its first forward: its parameters have no "
            "shape yet. Fix: run one forward with a sample batch first, e.g. net(X) with "
            "X = torch.randn(2, num_inputs), then use the parameters (or build the optimizer; "
            "an optimizer built earlier keeps working).")


UNINITIALIZED_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes. (A lazy layer such as nn.LazyLinear learns its input size from the first "
    "batch: run one forward with a sample batch first, e.g. net(torch.randn(2, num_inputs)).)")


# ---- apply and conversion ----------------------------------------------------------------------

def apply_attribute_error(first_line: str, fn: str, cls: str) -> str:
    return (f"{first_line}\napply({fn}) calls {fn} on every module, including this {cls}. Fix: "
            f"check the type first in {fn}, e.g. `if type(m) == nn.Linear:`.")


def lazy_before_apply(fn: str, first: str, n_lazy: int) -> str:
    more = f" (and {n_lazy - 1} more)" if n_lazy > 1 else ""
    return (f"apply({fn}) was called before the first forward: the lazy layer '{first}'{more} "
            f"has no weights yet, so {fn} skipped it (type(m) == nn.Linear is False for "
            "nn.LazyLinear), and the layer later gets the default initialization instead. Fix: "
            f"run one forward with a sample batch X first, then initialize: net(X); "
            f"net.apply({fn}) (if the apply is in __init__, move it after the model is built). "
            f"An init function that registers a forward hook on lazy layers is fine as it is.")


def to_integer_dtype(dtype) -> str:
    return ("nn.Module.to only accepts floating point or complex dtypes, but got desired "
            f"dtype={dtype}. Fix: use a float dtype (torch.float32 or torch.float64); "
            "integer data belongs in the inputs, not in the model's parameters.")


# ---- containers --------------------------------------------------------------------------------

def container_got_class(container: str, qual: str, where: str) -> str:
    return (f"{container} got the class {qual} at {where}, not a layer: write "
            f"{qual}() with parentheses \u2014 did you mean {qual}()?")


def container_got_dict(container: str, n: int, where: str) -> str:
    return (f"{container} got a dict of {n} modules at {where}; it takes modules as "
            f"separate arguments, or an OrderedDict for named layers. Fix: "
            f"{container}(OrderedDict(d)) (from collections import OrderedDict) or "
            f"{container}(*d.values()).")


def container_got_list(container: str, kind: str, n: int, where: str) -> str:
    return (f"{container} got a {kind} of {n} modules at {where}, but it takes "
            f"the modules themselves as separate arguments. Fix: unpack the list, "
            f"{container}(*layers).")


def container_not_module(container: str, type_name: str, where: str) -> str:
    return (f"{container}: {type_name} at {where} is not a Module subclass. "
            f"Each entry must be a layer instance such as nn.Linear(2, 3) or nn.ReLU().")


def key_replaced(name: str, method: str, new: str, key: str, old: str, keys: list) -> str:
    return (f"nn.{name}.{method} stored the new {new} under key '{key}', which "
            f"already held a {old}, so that child was dropped (PyTorch does the "
            f"same, silently). The keys of this {name} are {keys}: they are "
            "not 0..n-1, e.g. after slicing a Sequential (slices keep the original keys) or "
            f"inserting past the end. Fix: renumber first, e.g. container = nn.{name}"
            f"({'*' if name == 'Sequential' else ''}container).")


def returned_none(cls: str, where: str) -> str:
    return (f"{cls} at {where} returned None, so the next layer of the Sequential would get no input. "
            f"Likely cause: {cls}.forward has no `return` statement. Fix: end {cls}.forward with "
            "`return X`.")


def repeated_instance(container: str, cls: str, positions: list, block: list | None,
                      times: int, ctor: str) -> str:
    """``block``: the constructor calls of one repeated period when the whole list is
    ``[...] * times``, else ``None``; ``ctor``: the constructor call of the shared layer."""
    shown = ", ".join(str(p) for p in positions)
    n = len(positions)
    if block is not None:
        items = block[0] if len(block) == 1 else f"m for _ in range({times}) for m in ({', '.join(block)})"
        inner = f"[{items} for _ in range({times})]" if len(block) == 1 else f"[{items}]"
        call = f"{container}({inner})" if container.endswith("ModuleList") else f"{container}(*{inner})"
        fix = f"build separate layers with a list comprehension: {call}"
    else:
        fix = f"create a separate layer for each of these positions, {ctor}"
    if "copy.deepcopy(layer)" in fix:
        fix += f" (after import copy, with layer the repeated {cls})"
    return (f"{container} holds the same {cls} instance at positions {shown} (as `[layer] * n` "
            f"creates): all of them share one set of weights, so this is 1 layer applied "
            f"{n} times, not {n} layers. Fix: {fix}. If the sharing is intended, add the shared "
            "layer with separate add_module calls.")


def module_list_arguments(n: int) -> str:
    return (f"ModuleList takes one iterable of modules, but got {n} arguments. Fix: put the layers "
            "in a list, nn.ModuleList([a, b, c]) (or nn.ModuleList(layers) for an existing list).")


def module_list_single(kind: str) -> str:
    return (f"ModuleList takes an iterable of modules, but got a single {kind}. "
            "Fix: nn.ModuleList([layer]).")


EXTEND_WITH_MODULE = " Fix: add a single module with .append(module)"

PARAMETER_LIST_CALLED = (
    "ParameterList should not be called: it only holds parameters. "
    "Use them in your own forward, e.g. `for w in self.weights: X = X @ w`.")

PARAMETER_DICT_CALLED = (
    "ParameterDict should not be called: it only holds parameters. "
    "Use them in your own forward, e.g. `X @ self.params['w']`.")

MODULE_LIST_CALLED = (
    'Module [ModuleList] is missing the required "forward" function -- a ModuleList only '
    "holds modules, it does not run them. Loop over it in your own forward "
    "(`for layer in self.layers: X = layer(X)`), or use nn.Sequential(*layers) if the "
    "layers simply run one after another.")


# ---- modules used in the training loop ---------------------------------------------------------

def requires_grad_attribute(cls: str, value: bool) -> str:
    return (f"{cls}.requires_grad = {value} sets a plain Python attribute: nn.Module has no such "
            "switch, so no parameter changed and the optimizer still trains them all. Fix: call "
            f"the method, module.requires_grad_({value}).")


def shadowed_mode_method(cls: str, name: str, signature: str, full: str) -> str:
    other = "eval" if name == "train" else "train"
    return (f"{cls} defines its own {name}{signature}, which replaces nn.Module.{name}(mode=True): "
            f"model.{name}() and model.{other}() (and every parent module switching its children) "
            f"call {cls}.{name} with {'a mode' if name == 'train' else 'no arguments'}, so the "
            "model no longer switches between training and evaluation mode. Fix: give your "
            f"method another name, e.g. `def fit{full}:`, and keep model.{name}() for switching "
            "modes.")


def layer_created_in_forward(cls: str, where: str, owner: str, ctor: str) -> str:
    return (f"A new {cls} is created inside {owner}.forward ({where}): every call builds a "
            "fresh, randomly initialized layer, so it is never trained and its parameters are not "
            f"in {owner}.parameters(). Fix: create the layer once in {owner}.__init__, "
            f"`self.layer = {ctor}`, and call self.layer(X) in forward.")


def eval_in_train_mode(cls: str, layers: list) -> str:
    shown = ", ".join(layers[:3]) + (f" and {len(layers) - 3} more" if len(layers) > 3 else "")
    return (f"{cls} is called under torch.no_grad() but is still in training mode, so its "
            f"layers act as in training ({shown}): Dropout drops units at random, BatchNorm uses "
            "the batch's statistics and updates its running ones, so the evaluation is noisy and "
            "changes the model. Fix: call net.eval() before evaluating (and net.train() before "
            "training again).")


def dropout_without_training(owner: str) -> str:
    return (f"F.dropout in {owner}.forward was called without training=..., so it drops units even "
            f"though {owner} is in evaluation mode (net.eval() does not reach a functional call). "
            "Fix: pass the module's mode, F.dropout(X, p, training=self.training), or use an "
            "nn.Dropout(p) layer.")


def data_write_in_forward(where: str, shape: tuple) -> str:
    return (f"An in-place write through .data changed a tensor of shape {shape} computed in "
            f"{where}: autograd does not see writes through .data, so backward() uses the "
            "gradient of the unchanged values and the gradients are silently wrong. Fix: use an "
            "out-of-place op that autograd records, e.g. X = X.clamp(0, 1) or X = X / X.norm() "
            "instead of X.data.clamp_(0, 1) or X.data /= X.norm().")


def shared_batchnorm(cls: str, paths: list, ctor: str) -> str:
    return (f"The same {cls} instance runs at {', '.join(paths)} of one forward pass: its running "
            "mean and variance mix the statistics of two different inputs, and it learns one "
            f"scale and shift for both. Fix: give each place its own layer, `{ctor}` for each "
            "(weight tying is for Linear/Embedding layers, not normalization).")

