"""Helpers the per-part judges share: verdicts, reading observed arrays, numpy reference layers.

A judge never trusts a fact the student's process reported unless a consequence of it can be
recomputed here: outputs are compared with a numpy reference on inputs the student never saw
before the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..results import Category

RTOL, ATOL = 1e-4, 1e-5


@dataclass
class Verdict:
    """The outcome of one hidden check: ``passed`` earns its points; ``output`` is shown to the
    student; ``category`` is for the instructor (None when passed)."""

    passed: bool
    output: str
    category: Category | None = None


def ok(msg: str) -> Verdict:
    return Verdict(True, msg, None)


def fail(category: Category | str, msg: str) -> Verdict:
    """A failed check; ``category`` is a :class:`Category` (or its value: an unknown one raises)."""
    return Verdict(False, msg, Category(category))


def error_of(obs) -> dict | None:
    """The exception a probe step raised, if any (``{"type", "message"}``)."""
    if isinstance(obs, dict) and isinstance(obs.get("error"), dict):
        return obs["error"]
    return None


def error_verdict(obs, what: str) -> Verdict | None:
    """A verdict for a step that raised or never ran; None if it produced a value."""
    if obs is None:
        return fail("crash", f"{what}: this check did not run (the code stopped earlier).")
    e = error_of(obs)
    if e is None:
        return None
    kind = str(e.get("type", "Exception"))[:60]
    msg = str(e.get("message", ""))[:200]
    if kind == "NotImplementedError":
        return fail(
            "not_implemented",
            f"{what}: raised NotImplementedError -- replace the stub with your code.",
        )
    if kind == "MemoryError":
        return fail(
            "memory_limit",
            f"{what}: ran out of memory. Look for lists or tensors that grow without bound.",
        )
    if kind in ("SystemExit", "KeyboardInterrupt"):
        return fail(
            "crash",
            f"{what}: your code called exit or raised {kind}; never end the process from a module.",
        )
    return fail("crash", f"{what}: raised {kind}: {msg}")


def array(obs) -> np.ndarray | None:
    """An observed tensor (``{"shape", "dtype", "data"}``) as a float64 array, or None."""
    if not isinstance(obs, dict) or "data" not in obs or "shape" not in obs:
        return None
    try:
        a = np.asarray(obs["data"], dtype=np.float64)
        shape = tuple(int(s) for s in obs["shape"])
    except (TypeError, ValueError, OverflowError):
        return None
    if a.shape != shape:
        return None
    return a


def close(a: np.ndarray | None, b: np.ndarray) -> bool:
    return a is not None and a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def linear(x, w, b):
    return x @ w.T + b


def relu(x):
    return np.maximum(x, 0.0)


def f32(rng: np.random.Generator, *shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)
