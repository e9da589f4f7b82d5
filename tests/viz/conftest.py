"""Fixtures for the viz tests: golden files, a PATH without Graphviz.

``tests/viz/golden`` holds the DOT text of the drawings (``*.gv``), the text trees
(``*.tree.txt``) and the summary tables (``*.summary.txt``). Regenerate them after an intended
change to the output with::

    .venv/bin/python -m pytest tests/viz --update-golden

then look at the diff (and at the SVGs the golden test renders) before committing.
"""

import pathlib

import pytest

GOLDEN = pathlib.Path(__file__).parent / "golden"


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/viz/golden/* (DOT, text trees, summaries) from the current output",
    )


@pytest.fixture
def golden(request):
    """``golden(name, text)``: compare ``text`` with ``golden/<name>``, or rewrite it with the flag."""
    update = request.config.getoption("--update-golden")

    def check(name, text):
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path}; create it with --update-golden")
        assert text == path.read_text(), (
            f"{name} differs from its golden file; if the change is intended, rerun with "
            "--update-golden and review the diff"
        )

    return check


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which Graphviz's ``dot`` cannot be found (python itself stays importable)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    import shutil

    assert shutil.which("dot") is None
    return empty
