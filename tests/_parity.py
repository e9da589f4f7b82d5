"""Run one snippet on d2lmods and on torch 2.13 and compare what happened.

A snippet is a function of the library (``lib``: ``d2lmods`` or ``torch``) written as PyTorch code
with only the import changed. ``outcome`` runs it and reduces the result to plain data: tensors to
(class, dtype, shape, values), modules to their repr, dtypes, sizes and strings with the library's
name replaced, mappings with their class name; an exception to the built-in class it derives from
(d2lmods may raise a subclass, never another type) and its message; warnings to their categories.
``same(snippet)`` asserts the two outcomes agree; the torch run skips without torch.
"""

import builtins
import math
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pytest

import d2lmods

__all__ = ["Cases", "outcome", "same", "t32", "torch_or_skip", "Raised"]


class Cases(list):
    """A test file's snippets, each added by the decorator ``@CASES.case(message=..., warns=...)``
    as a ``pytest.param(snippet, message, warns)`` for ``same``."""

    def case(self, message=None, warns=True):
        def add(fn):
            self.append(pytest.param(fn, message, warns, id=fn.__name__, marks=pytest.mark.oracle))
            return fn

        return add


def t32(lib, values, **kw):
    """A float32 tensor of ``values`` in ``lib`` (the same bytes in both libraries)."""
    return lib.tensor(np.asarray(values, dtype=np.float32), **kw)


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is the test oracle; install '.[oracle]'")


class Raised:
    """An exception, reduced to its built-in class and message."""

    def __init__(self, exc):
        cls = type(exc)
        bases = [
            c.__name__
            for c in cls.__mro__
            if c.__module__ == "builtins" and hasattr(builtins, c.__name__)
        ]
        self.type = bases[0]
        self.bases = set(bases)
        self.cls = cls.__name__
        self.message = _text(exc.args[0] if len(exc.args) == 1 else str(exc))

    def __eq__(self, other):
        # d2lmods' exception must be an instance of torch's (first) built-in class
        return isinstance(other, Raised) and other.type in self.bases

    def __repr__(self):
        return f"Raised({self.type}: {self.message[:300]!r})"


def _text(s):
    return re.sub(r"\bd2lmods\b", "torch", str(s))


def _norm(x, lib):
    if isinstance(x, lib.Tensor):
        a = x.detach().numpy()
        return ("tensor", type(x).__name__, str(x.dtype).split(".")[-1], tuple(a.shape), a.copy())
    if isinstance(x, lib.Size):
        return ("size", tuple(x))
    if isinstance(x, lib.dtype):
        return ("dtype", str(x).split(".")[-1])
    if isinstance(x, lib.nn.Module):
        return ("module", type(x).__name__, _text(repr(x)))
    if isinstance(x, BaseException):
        return Raised(x)
    if isinstance(x, (str, bytes)):
        return _text(x)
    if isinstance(x, Mapping):
        return (type(x).__name__, [(_norm(k, lib), _norm(v, lib)) for k, v in x.items()])
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, x._fields, [_norm(v, lib) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_norm(v, lib) for v in x])
    if isinstance(x, (set, frozenset)):
        return ("set", sorted(map(repr, (_norm(v, lib) for v in x))))
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.shape, x.copy())
    if x is None or isinstance(x, (bool, int, float, complex)):
        return x
    if isinstance(x, type):
        return ("class", x.__name__)
    if hasattr(x, "__next__"):
        return ("iterator", [_norm(v, lib) for v in x])
    return ("object", type(x).__name__)


def outcome(snippet, lib):
    """``(result or Raised, [warning categories])`` of ``snippet(lib)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the filter ``import d2lmods`` installs (numpy's floating-point warnings from inside
        # d2lmods' ops): pytest's per-test warning capture drops it, a fresh process has it
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"d2lmods\.")
        try:
            result = _norm(snippet(lib), lib)
        except Exception as e:  # noqa: BLE001 - the exception is the outcome
            result = Raised(e)
    return result, [w.category.__name__ for w in caught]


def _equal(a, b, path="result"):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert a.shape == b.shape, path
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=path)
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
        return
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6) or (
            math.isnan(a) and math.isnan(b)
        ), f"{path}: {a} != {b}"
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{path}[{i}]")
        return
    assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def same(snippet, *, message=None, warns=True):
    """Assert ``snippet`` does the same on d2lmods and torch; return both outcomes.

    ``message``: for a snippet that raises, how the messages must agree: ``"equal"``, ``"prefix"``
    (ours is torch's, then more: the fix), ``"start"`` (ours begins with torch's first line, up
    to its final full stop),
    ``"contains"`` (torch's first line is in ours), or a
    regex both must match. ``warns=False`` skips comparing warnings (torch's own deprecation
    notes); d2lmods must never warn where torch does not.
    """
    torch = torch_or_skip()
    ours, ours_w = outcome(snippet, d2lmods)
    theirs, theirs_w = outcome(snippet, torch)
    if isinstance(theirs, Raised) or isinstance(ours, Raised):
        assert ours == theirs, f"d2lmods: {ours!r}\ntorch:   {theirs!r}"
        if message is not None:
            # torch's first line; ours may go on where torch's sentence ends
            first = theirs.message.split("\n")[0].strip().rstrip(".")
            if message == "equal":
                assert ours.message == theirs.message
            elif message == "prefix":
                assert ours.message.startswith(theirs.message), f"{ours.message!r}\nvs {theirs!r}"
            elif message == "start":
                assert ours.message.startswith(first), f"{ours.message!r}\nvs {first!r}"
            elif message == "contains":
                assert first in ours.message, f"{ours.message!r}\nvs {first!r}"
            else:
                assert re.search(message, theirs.message), theirs.message
                assert re.search(message, ours.message), ours.message
    else:
        _equal(ours, theirs)
    if warns:
        assert ours_w == theirs_w, f"warnings: d2lmods {ours_w}, torch {theirs_w}"
    else:
        assert not set(ours_w) - set(theirs_w), f"warnings: d2lmods {ours_w}, torch {theirs_w}"
    return ours, theirs
