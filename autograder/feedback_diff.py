"""The structural parts' feedback: the student's registered tree next to what the check expected.

When a structure check fails (``registers_children``, ``registers_branches``), the student reads
the difference between the modules their class registered and the modules the check passed in,
as :func:`d2lmods.viz.diff` words it. Both sides are plain data:

- *expected* is static: the classes of the modules the probe built (``Linear``, ``Tag``, ...),
  one child per input module -- never the reference implementation;
- *registered* is the probe's ``tree`` observation, ``[path, class name, index of the input
  module or -1]`` per registered module, read from the registration data inside the sandbox.

That observation is the student's process talking, so it is read like any other: at most
``MAX_MODULES`` entries, every text clipped, anything malformed skipped, and whatever goes wrong
gives no diff rather than an exception. It is never scored: a forged tree can only change what
the student sees in their own feedback (the tests in ``tests/autograder/test_feedback_diff.py``
hold a forged, huge and malformed tree to that).

This is the one trusted module that imports ``d2lmods`` (the viewer), and it hands it nothing but
the bounded dicts built here (``ModelTree.from_json`` bounds them once more).
"""

from __future__ import annotations

import html

MAX_MODULES = 64
MAX_TEXT = 80
HEADER = (
    "Your model's registered tree next to what the check expected (module names and classes only):"
)
NAMES = ("the check", "your model")

#: part -> (structure check, root class, (class, its own children) of input module k (the last one
#: repeats), whether the input modules may sit inside a registered container of the student's)
STRUCTURE = {
    "my_sequential": (
        "registers_children",
        "MySequential",
        [("Linear", {}), ("Tag", {}), ("ReLU", {}), ("Linear", {}), ("Tag", {})],
        False,
    ),
    "parallel_module": (
        "registers_branches",
        "ParallelModule",
        [("Branch", {"lin": "Linear"})],
        True,
    ),
}


def _text(value) -> str:
    s = value if type(value) is str else "?"
    s = "".join(c if c.isprintable() else "?" for c in s[:MAX_TEXT])
    return s or "?"


def _entry(path: str, class_name: str, parent: str | None) -> dict:
    name = path.rsplit(".", 1)[-1] if path else ""
    return {
        "path": path,
        "name": name,
        "class_name": class_name,
        "status": "registered",
        "parent": parent,
    }


def _parent(path: str, modules: dict) -> str | None:
    if not path:
        return None
    head = path.rsplit(".", 1)[0] if "." in path else ""
    return head if head in modules else ""


def registered_tree(raw) -> tuple[dict, dict[int, str]] | None:
    """The probe's ``tree`` observation as ``ModelTree.to_json()`` data, and where each input
    module sits in it; ``None`` when it is not a list of ``[path, class, index]``."""
    if type(raw) is not list or not raw:
        return None
    modules: dict = {}
    where: dict[int, str] = {}
    for item in raw[:MAX_MODULES]:
        if type(item) is not list or len(item) != 3:
            continue
        path, cls, idx = _text(item[0]) if item[0] != "" else "", _text(item[1]), item[2]
        if path in modules or (path and "" not in modules):
            continue  # the root comes first; a path seen twice is the same place
        modules[path] = _entry(path, cls, _parent(path, modules))
        if type(idx) is int and 0 <= idx < MAX_MODULES and idx not in where:
            where[idx] = path
    if "" not in modules:
        return None
    return {"root": "", "modules": modules}, where


def expected_tree(part: str, theirs: dict, where: dict[int, str], n: int) -> dict:
    """What the check passed in, one child per input module. A module the student registered is
    expected where they registered it (its name is theirs to choose, and for ``ParallelModule``
    so is a registered container around it); a missing one at its index."""
    _, _, kinds, nested_ok = STRUCTURE[part]
    mods = theirs["modules"]
    modules = {"": _entry("", mods[""]["class_name"], None)}
    for k in range(n):
        cls, inner = kinds[min(k, len(kinds) - 1)]
        path = where.get(k, "")
        if path and "." in path and nested_ok:
            head = ""
            for name in path.split(".")[:-1]:  # the student's own containers on the way
                head = f"{head}.{name}" if head else name
                if head not in modules and head in mods:
                    modules[head] = _entry(head, mods[head]["class_name"], _parent(head, modules))
        inside = "." in path and nested_ok and _parent(path, modules) in mods
        if not path or path in modules or ("." in path and not inside):
            path = str(k) if str(k) not in modules else f"{k}_"
        modules[path] = _entry(path, cls, _parent(path, modules))
        for name, inner_cls in inner.items():
            modules[f"{path}.{name}"] = _entry(f"{path}.{name}", inner_cls, path)
    return {"root": "", "modules": modules}


def _tree_of(part: str, obs: dict):
    """(the tree observation, how many input modules the check passed in)."""
    if part == "my_sequential":
        return obs.get("tree"), len(STRUCTURE[part][2])
    from .parts.parallel_module.judge import CASES

    for case, (
        _,
        _,
        outs,
    ) in CASES.items():  # the judge reads registration from the first case that ran
        run = obs.get(f"case_{case}")
        if type(run) is dict and "error" not in run:
            return run.get("tree"), len(outs)
    return None, 0


def structure_diff(part: str, obs) -> list[str] | None:
    """The lines of the diff for ``part`` (after :data:`HEADER`), or ``None`` when there is none
    to show (another part, no or malformed tree data, no difference). Never raises."""
    try:
        if part not in STRUCTURE or type(obs) is not dict:
            return None
        raw, n = _tree_of(part, obs)
        got = registered_tree(raw)
        if got is None:
            return None
        theirs, where = got
        root = theirs["modules"][""]["class_name"]
        from d2lmods.viz import diff

        expected = expected_tree(part, theirs, where, n)
        d = diff(expected, theirs, names=NAMES)
        lines = [c.text for c in d.changes[:MAX_MODULES]]
        if not lines:
            return None
        shown = [
            f"{NAMES[0]}: {root} with children "
            + ", ".join(p for p in expected["modules"] if p and "." not in p)
        ]
        kids = [p for p in theirs["modules"] if p and "." not in p]
        shown.append(
            f"{NAMES[1]}: {root} with "
            + ("children " + ", ".join(kids[:16]) if kids else "no registered children")
        )
        return shown + lines
    except (
        Exception
    ):  # feedback only: a tree we cannot read shows nothing rather than failing the part
        return None


def as_text(lines: list[str]) -> str:
    return HEADER + "\n" + "\n".join(f"  - {line}" for line in lines)


def as_html(lines: list[str]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f"<div class='d2lmods-diff'><p>{html.escape(HEADER)}</p><ul>{items}</ul></div>"
