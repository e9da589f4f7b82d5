"""Tests of d2lmods, laid out like the package: tests/<name>/ tests d2lmods.<name>."""
