"""``lib``: the same test body runs on d2lmods and, as the oracle, on torch 2.13.

A test that takes ``lib`` is code written for PyTorch with only the import changed; the torch
run (marked ``oracle``) skips when torch is not installed.
"""

import importlib

import pytest


@pytest.fixture(params=["d2lmods", pytest.param("torch", marks=pytest.mark.oracle)])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip(
            "torch", reason="PyTorch is the test oracle; install '.[oracle]'"
        )
    return importlib.import_module(request.param)
