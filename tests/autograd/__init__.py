"""Tests of d2lmods.autograd: the backward engine, grad modes and Function."""
