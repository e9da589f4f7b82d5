"""The one random-number generator behind ``rand``, ``randn``, ``nn.init``, dropout and shuffling.

``d2lmods.manual_seed(s)`` reseeds it, so seeded runs are reproducible::

    >>> import d2lmods as torch
    >>> _ = torch.manual_seed(0); a = torch.rand(2)
    >>> _ = torch.manual_seed(0); b = torch.rand(2)
    >>> bool((a == b).all())
    True

Library code must draw from ``default_generator()`` (never from ``np.random`` directly).
``manual_seed`` reseeds that same Generator object in place, so a reference kept by a module
stays valid.
"""

import numpy as np

__all__ = [
    "manual_seed",
    "seed",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
    "initial_seed",
    "Generator",
]

_state = {"gen": np.random.default_rng(), "seed": None}


def default_generator():
    """The global ``numpy.random.Generator`` (reseeded by ``manual_seed``)."""
    return _state["gen"]


def manual_seed(seed):
    """Reseed the global generator; returns a ``Generator`` wrapping it (as PyTorch returns one)."""
    seed = int(seed)
    if seed < 0:
        seed &= 0xFFFFFFFFFFFFFFFF
    # reseed in place: anyone holding the Generator object sees the new stream
    _state["gen"].bit_generator.state = np.random.default_rng(seed).bit_generator.state
    _state["seed"] = seed
    return Generator(_wrap=_state["gen"])


def seed():
    """Reseed from fresh entropy; returns the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed():
    return _state["seed"]


def get_rng_state():
    """Snapshot of the global generator's state (restore with ``set_rng_state``)."""
    return _state["gen"].bit_generator.state


def set_rng_state(state):
    _state["gen"].bit_generator.state = state


class Generator:
    """A separate random stream (``torch.Generator``); pass it as ``generator=`` to creation ops."""

    def __init__(self, device="cpu", _wrap=None):
        self._np = _wrap if _wrap is not None else np.random.default_rng()

    def manual_seed(self, seed):
        self._np = np.random.default_rng(int(seed))
        return self

    def get_state(self):
        return self._np.bit_generator.state

    def set_state(self, state):
        self._np.bit_generator.state = state


def rng(generator=None):
    """The numpy generator to draw from for an op called with ``generator=``."""
    if generator is None:
        return _state["gen"]
    return generator._np
