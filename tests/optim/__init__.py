"""Tests of d2lmods.optim."""
