"""Tests of d2lmods.utils (data loading)."""
