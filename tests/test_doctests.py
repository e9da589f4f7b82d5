"""Every docstring example in the packages is one that ``--doctest-modules`` runs.

pytest collects the examples itself (pyproject.toml); this checks the other half: no ``>>>`` line
sits where the doctest finder cannot see it (a function whose ``__module__`` points elsewhere, a
file pytest does not import as a module), where it would read as documentation and never run.
"""

import doctest
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROMPT = re.compile(r"^\s*>>>( |$)", re.M)
# Run as scripts, never imported by pytest (conftest.py's collect_ignore, pytest's own rule for
# __main__.py), so they must hold no examples.
SCRIPTS = {"autograder/probe.py", "autograder/transform_job.py", "autograder/__main__.py"}

FILES = sorted(
    p.relative_to(ROOT).as_posix()
    for pkg in ("d2lmods", "autograder")
    for p in (ROOT / pkg).rglob("*.py")
)


def module_name(path):
    name = path[: -len(".py")].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def test_files_found():
    assert "d2lmods/nn/module.py" in FILES and "autograder/probe.py" in FILES


@pytest.mark.parametrize("path", FILES)
def test_every_example_is_collected(path):
    written = len(PROMPT.findall((ROOT / path).read_text(encoding="utf-8")))
    if path in SCRIPTS:
        assert written == 0, f"{path} is not imported by pytest, so its examples would never run"
        return
    module = importlib.import_module(module_name(path))
    found = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert found == written, (
        f"{path} has {written} '>>>' lines but the doctest finder sees "
        f"{found}: move the hidden ones into a docstring of this module"
    )
