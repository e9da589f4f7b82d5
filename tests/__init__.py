"""Tests of d2lmods, laid out like the package: tests/<subpackage>/ holds the tests of d2lmods.<subpackage>."""
