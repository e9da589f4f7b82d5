"""The sandbox halves read no global once they run: the student's code shares their interpreter
and can rebind any module namespace it reaches (``sys.modules["__main__"]``, a function's
``__globals__``), so every name the runtime and the part probes use is a local or a closure."""

import dis
import types
from pathlib import Path

import pytest

from autograder import parts
from autograder.scan import scan

ROOT = Path(parts.__file__).parent


def _codes(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _codes(c)


def _globals_read(fn_code):
    # a class body reads __name__ (for __module__) once, when the class is made: that one is fine
    return sorted(
        {
            (c.co_name, i.argval)
            for c in _codes(fn_code)
            for i in dis.get_instructions(c)
            if i.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL")
            and not (i.opname == "LOAD_NAME" and i.argval == "__name__")
        }
    )


def _function(path, name):
    module = compile(path.read_text(), str(path), "exec")
    return next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


def test_the_runtime_reads_no_global():
    assert _globals_read(_function(ROOT.parent / "probe.py", "main")) == []


@pytest.mark.parametrize("part", list(parts.PARTS))
def test_each_part_probe_reads_no_global(part):
    path = ROOT / part / "probe.py"
    assert _globals_read(_function(path, "probe")) == []
    for name in ("make_tag", "make_branch"):
        if f"def {name}(" in path.read_text():
            assert _globals_read(_function(path, name)) == []


def test_the_scan_passes_every_reference_solution():
    from autograder import notebook

    for assignment in parts.ASSIGNMENTS:
        src = ROOT.parents[1] / "exercises" / "source" / assignment / f"{assignment}.ipynb"
        order = parts.parts_of(assignment)
        sources = notebook.solution_sources(notebook.read_notebook(src.read_bytes()), order)
        assert all(s is not None and scan(s) == [] for s in sources.values())


@pytest.mark.parametrize(
    "source, hit",
    [
        ("import gc\n", "imports gc"),
        ("f = (lambda: 0).__globals__\n", "function globals"),
        ("import sys\nsys._getframe(1)\n", "frames"),
        ("x.__class__ = list\n", "assigns __class__"),
        ("class M(nn.Module):\n    def named_modules(self): pass\n", "redefines named_modules"),
        ("open('/job/in/student.py')\n", "grader's files"),
        ("__import__('os')\n", "calls __import__"),
        ("class M(nn.Module, metaclass=T): pass\n", "metaclass"),
    ],
)
def test_the_scan_names_what_it_found(source, hit):
    assert any(hit in h for h in scan(source)), scan(source)


def test_what_the_runtime_hands_out_closes_over_nothing():
    """signal.signal is replaced by the runtime; the student's code can read its closure."""
    main = _function(ROOT.parent / "probe.py", "main")
    refuse = next(c for c in _codes(main) if c.co_name == "refuse_signal")
    assert refuse.co_freevars == ()
