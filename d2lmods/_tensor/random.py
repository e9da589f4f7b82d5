"""Alias of ``d2lmods.random`` (the global generator), importable from inside the package."""
from ..random import default_generator, manual_seed, rng  # noqa: F401
