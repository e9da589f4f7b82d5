"""Utilities: ``d2lmods.utils.data`` holds datasets and the DataLoader."""

from d2lmods.utils import data

__all__ = ["data"]
