"""Tests of d2lmods.kernels: the numba kernels and their compiled-code cache."""
