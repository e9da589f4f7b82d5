"""Benchmarks: d2lmods vs PyTorch CPU, each library in its own process (see bench/_harness.py)."""
