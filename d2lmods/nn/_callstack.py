"""Which module is running: the stack of ``Module.__call__`` and the paths error messages name.

``Module.__call__`` pushes each module it runs, so a layer deep inside a model can say where
it sits (``MLP.net.0``) when it explains a mistake, and an exception raised inside a forward
gets the path of the innermost module added once.
"""

from __future__ import annotations

import itertools
import threading

from .._messages import modules as texts
from ._plain_containers import container_items

__all__ = ["current_module_path"]


class _CallState(threading.local):
    def __init__(self):
        self.stack: list = []  # modules inside __call__, outermost first
        # A number for each of the innermost calls of ``stack`` (tells two calls apart), kept only
        # once some check asked for them (NUMBERED); read them through ``call_numbers()``.
        self.calls: list = []
        # Both lists at once: Module.__call__ reads them with one thread-local look-up.
        self.lists = (self.stack, self.calls)
        self.apply_depth = 0  # nesting of Module.apply (warn once, at the top)


call_state = _CallState()
#: The number of the next module call (unique in the process, so across threads too).
next_call_number = itertools.count(1).__next__
#: ``[True]`` once a check has asked for call numbers (``call_numbers``); until then
#: ``Module.__call__`` does not number its calls. Never reset.
NUMBERED = [False]


def call_numbers() -> list:
    """A number for each call on this thread's ``call_state.stack`` (same index), unique per call.

    The first use starts the numbering (``NUMBERED``): the calls already running get fresh numbers
    here and every later call gets one in ``Module.__call__``. ``calls`` always matches the top of
    ``stack`` (calls that started before the numbering have none until this fills them in), so
    ``Module.__call__`` pops a number only while ``calls`` holds any.
    """
    NUMBERED[0] = True
    stack, calls = call_state.lists
    missing = len(stack) - len(calls)
    if missing > 0:
        calls[:0] = [next_call_number() for _ in range(missing)]
    return calls


def _child_step(parent, child) -> str | None:
    """How ``child`` is reached from ``parent``: ``.name`` if registered, ``.attr[i]`` if kept in a list."""
    pd = parent.__dict__
    for name, m in pd.get("_modules", {}).items():
        if m is child:
            return "." + name
    for attr, value in pd.items():
        if attr.startswith("_"):
            continue
        if value is child:
            return "." + attr
        if isinstance(value, (list, tuple, dict)):
            for sub, v in container_items(value):
                if v is child:
                    return f".{attr}{sub}"
    return None


def current_module_path(stack=None) -> str:
    """Path of the module running right now, from the outermost module called, e.g. ``MLP.net.0``.

    Layers use it to say *where* an error happened. Outside any call it is ``""``.
    """
    stack = call_state.stack if stack is None else stack
    if not stack:
        return ""
    parts = [type(stack[0]).__name__]
    for parent, child in zip(stack, stack[1:]):
        step = _child_step(parent, child)
        parts.append(step if step is not None else f" -> {type(child).__name__}")
    return "".join(parts)


def module_where(module) -> str:
    """The module's path in the running model (``MLP.net.0``), or its class name outside a call."""
    stack = call_state.stack
    if stack and stack[-1] is module:
        return current_module_path(stack)
    if stack:
        return current_module_path(stack) + f" -> {type(module).__name__}"
    return type(module).__name__


def where_suffix() -> str:
    """``" (in Sequential.0)"``-style context for ``nn.functional``'s messages, ``""`` outside modules."""
    path = current_module_path()
    return f" (in {path})" if path else ""


def located(exc: BaseException, where: str) -> BaseException:
    """Mark ``exc`` as already naming its module path (so ``Module.__call__`` adds no second note)."""
    exc._d2l_module_path = where
    return exc


def annotate(exc: BaseException, stack: list) -> None:
    """Add the module path to an exception raised inside a forward, once (at the innermost module)."""
    if getattr(exc, "_d2l_module_path", None) is not None:
        return
    path = current_module_path(stack)
    try:
        exc._d2l_module_path = path
    except Exception:
        return
    where = texts.raised_inside(type(stack[-1]).__name__, path)
    if (
        len(exc.args) == 1
        and isinstance(exc.args[0], str)
        and not isinstance(exc, KeyError)
        and type(exc).__str__ is BaseException.__str__
    ):
        # Part of the message itself, so str(err) (and a grader's feedback) shows the place.
        exc.args = (f"{exc.args[0]}\n{where}",)
    elif hasattr(exc, "add_note"):
        exc.add_note(where)
