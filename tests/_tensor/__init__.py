"""Tests of d2lmods._tensor: the Tensor, dtypes, creation functions and printing."""
