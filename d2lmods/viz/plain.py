"""A :class:`~d2lmods.viz.tree.ModelTree` rebuilt from the plain data of ``ModelTree.to_json()``.

A grader runs a submission in a sandbox and reads back only plain data; ``tree.to_json()`` made
there (JSON-serialisable) becomes a tree again here, which :func:`~d2lmods.viz.diff`,
:func:`~d2lmods.viz.build` and the text tree accept, with no model object at all::

    tree = ModelTree.from_json(json.loads(text_from_the_sandbox))
    html = diff_html(expected_tree, tree)

The data may come from hostile code, so it is read with bounds: at most ``max_modules`` modules,
``max_params`` parameters per module, ``max_depth`` levels below the root, every text clipped to
``MAX_TEXT`` characters, counts clamped to non-negative ints. Children are derived from the
``parent`` links (each module has one parent, so no cycle can be reached from the root), and
anything not reachable from the root is dropped. Malformed data raises ``ValueError``.
"""

from __future__ import annotations

import itertools

from ._format import clip
from .tree import (
    INSIDE_UNREGISTERED,
    NAMES_SHOWN,
    NOT_IN_MODEL,
    REGISTERED,
    UNREGISTERED,
    ModelTree,
    ModuleInfo,
    ParamInfo,
    Totals,
)

MAX_TEXT = 500
_STATUSES = {REGISTERED, UNREGISTERED, INSIDE_UNREGISTERED, NOT_IN_MODEL}


def _text(value, default: str | None = "") -> str | None:
    if value is None:
        return default
    return clip(value if type(value) is str else str(type(value).__name__), MAX_TEXT)


def _count(value) -> int:
    if type(value) is bool or type(value) is not int:
        return 0
    return max(0, min(value, 2**63))


def _param(data, owner: str) -> ParamInfo:
    if type(data) is not dict:
        raise ValueError(f"a parameter of {owner!r} is not an object")
    return ParamInfo(
        name=_text(data.get("name")),
        path=_text(data.get("path")),
        kind=_text(data.get("kind"), "parameter"),
        shape=_text(data.get("shape"), "?"),  # already formatted: "(8, 4)"
        dtype=_text(data.get("dtype")),
        numel=_count(data.get("numel")),
        requires_grad=data.get("requires_grad") is True,
        lazy=data.get("lazy") is True,
        visible=data.get("visible") is not False,
        tied_with=tuple(_texts(data.get("tied_with"), NAMES_SHOWN)),
        tied_count=_count(data.get("tied_count")),
        problem=_text(data.get("problem"), None),
        fix=_text(data.get("fix"), None),
    )


def _texts(value, limit: int) -> list:
    return (
        [clip(v, MAX_TEXT) for v in value[:limit] if type(v) is str] if type(value) is list else []
    )


def tree_from_json(
    data, *, max_modules: int = 2000, max_params: int = 64, max_depth: int = 64
) -> ModelTree:
    """The :class:`ModelTree` that ``data`` (from ``ModelTree.to_json()``) describes."""
    if type(data) is not dict or type(data.get("modules")) is not dict:
        raise ValueError("expected the dict ModelTree.to_json() returns, with a 'modules' dict")
    raw = data["modules"]
    if len(raw) > max_modules:
        raise ValueError(f"{len(raw)} modules, more than the {max_modules} this reads")
    infos: dict = {}
    parents: dict = {}
    for path, m in itertools.islice(dict.items(raw), max_modules):
        if type(path) is not str or type(m) is not dict:
            raise ValueError("every module must be a path string mapped to an object")
        path = clip(path, MAX_TEXT)
        status = m.get("status") if m.get("status") in _STATUSES else REGISTERED
        params = m.get("params") if type(m.get("params")) is list else []
        buffers = m.get("buffers") if type(m.get("buffers")) is list else []
        calls = m.get("calls")
        info = ModuleInfo(
            path=path,
            name=_text(m.get("name")),
            class_name=_text(m.get("class_name"), "?"),
            depth=0,
            status=status,
            parent=None,
            module=None,
            params=[_param(p, path) for p in params[:max_params]],
            buffers=[_param(b, path) for b in buffers[:max_params]],
            holder=_text(m.get("holder"), None),
            alias_of=_text(m.get("alias_of"), None),
            also_held_at=_texts(m.get("also_held_at"), max_params),
            calls=None if calls is None else _count(calls),
            input_shapes=_text(m.get("input_shapes"), "?"),
            output_shapes=_text(m.get("output_shapes"), "?"),
            problem=_text(m.get("problem"), None),
            fix=_text(m.get("fix"), None),
            failed=_text(m.get("failed"), None),
            failed_inputs=_text(m.get("failed_inputs"), "?"),
            unfinished=m.get("unfinished") is True,
        )
        infos[path] = info
        parent = m.get("parent")
        parents[path] = clip(parent, MAX_TEXT) if type(parent) is str else None
    root_path = data.get("root", "")
    if type(root_path) is not str or root_path not in infos:
        raise ValueError("the root module is missing from 'modules'")
    order = list(infos)
    for path in order:  # children in the order the data lists them
        parent = parents[path]
        if path != root_path and parent in infos and parent != path:
            infos[parent].children.append(path)
    modules: dict = {}
    stack = [(root_path, 0, None)]
    while stack:  # pre-order from the root; unreachable entries are dropped
        path, depth, parent = stack.pop()
        info = infos[path]
        info.depth, info.parent = depth, parent
        modules[path] = info
        if depth >= max_depth:
            info.children = []
        stack.extend((c, depth + 1, path) for c in reversed(info.children))
    for info in modules.values():
        info.children = [c for c in info.children if c in modules]
    counts = data.get("counts") if type(data.get("counts")) is dict else {}
    totals = Totals(**{f: _count(counts.get(f)) for f in Totals.__dataclass_fields__})
    if counts.get("used_hidden_params") is None:
        totals.used_hidden_params = None
    tied = []
    for group in data.get("tied") or []:
        if type(group) is list:
            names = [p for p in group[:max_params] if type(p) is str]
            if len(names) > 1:
                tied.append(tuple(clip(p, MAX_TEXT) for p in names))
    notes = [_text(n) for n in (data.get("notes") or [])[:16] if type(n) is str]
    return ModelTree(
        root=modules[root_path],
        modules=modules,
        findings=[],
        tied=tied,
        totals=totals,
        dynamic=data.get("dynamic") is True,
        notes=notes,
        error=_text(data.get("error"), None),
        library=_text(data.get("library"), "d2lmods"),
    )
