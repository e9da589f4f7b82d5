"""The examples in the viz docstrings run as written (they are the API's documentation)."""
import doctest
import importlib
import warnings

import pytest

from d2lmods import nn

MODULES = ["d2lmods.viz.tree", "d2lmods.viz.dot", "d2lmods.viz.text", "d2lmods.viz.summary",
           "d2lmods.viz.widget", "d2lmods.viz._format"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():   # the example models' own plain-list warnings
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "d2lmods.viz._format":
        assert result.attempted >= 3
