"""Where the learner-facing texts live: ``d2lmods._messages``, which sits below every layer."""

import ast
import pathlib

import d2lmods

PACKAGE = pathlib.Path(d2lmods.__file__).parent
MESSAGES = PACKAGE / "_messages"
# The viewer renders the problem/fix pairs it is given under a "Fix:" label.
RENDERERS = {PACKAGE / "viz" / "text.py", PACKAGE / "viz" / "summary.py"}


def test_messages_import_nothing_from_d2lmods():
    # The core (autograd, ops) uses these texts too, so they must not depend on any layer.
    for path in MESSAGES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and not (node.module or "").startswith("d2lmods"), path.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("d2lmods") for a in node.names), path.name


def test_every_fix_text_lives_in_messages():
    outside = [
        f"{path.relative_to(PACKAGE)}:{i}"
        for path in PACKAGE.rglob("*.py")
        if MESSAGES not in path.parents and path not in RENDERERS
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if "Fix:" in line
    ]
    assert outside == []
