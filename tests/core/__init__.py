"""Tests of the core: tensors, autograd, ops and numba kernels."""
