"""The examples in the core's docstrings run and print what they say."""
import doctest
import importlib

import pytest

MODULES = ["d2lmods", "d2lmods._tensor.core", "d2lmods._tensor.dtypes", "d2lmods._tensor.printing",
           "d2lmods._tensor.creation", "d2lmods.autograd", "d2lmods.autograd.grad_mode",
           "d2lmods.autograd.engine", "d2lmods.autograd.function", "d2lmods.random",
           "d2lmods.kernels.optim"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
