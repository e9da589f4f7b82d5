"""Tests of d2lmods.ops: every op against PyTorch and finite differences, and bad inputs."""
