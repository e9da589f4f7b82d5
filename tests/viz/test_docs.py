"""The examples of docs/pytorch-models.md run and print what the page shows (torch 2.x)."""

import doctest
import pathlib
import warnings

import pytest

import d2lmods
from d2lmods import nn
from d2lmods.viz import draw

DOCS = pathlib.Path(__file__).parents[2] / "docs"


@pytest.mark.oracle
def test_pytorch_models_page():
    pytest.importorskip("torch")
    failed, tried = doctest.testfile(
        str(DOCS / "pytorch-models.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS,
        raise_on_error=False,
        verbose=False,
    )
    assert tried > 10 and failed == 0, "see the doctest report above"


@pytest.mark.oracle
def test_the_page_shows_the_readme_figure_and_rightly_so():
    """The torch model of the page draws the DOT of the d2lmods model in docs/make_figures.py."""
    torch = pytest.importorskip("torch")
    import sys

    sys.path.insert(0, str(DOCS))
    try:
        import make_figures
    finally:
        sys.path.remove(str(DOCS))

    class MultiTask(torch.nn.Module):
        def __init__(self):
            super().__init__()
            tnn = torch.nn
            self.encoder = tnn.Sequential(tnn.Linear(16, 32), tnn.ReLU(), tnn.Linear(32, 32))
            self.heads = [tnn.Linear(32, 10), tnn.Linear(32, 1)]

        def forward(self, X):
            h = self.encoder(X)
            return [head(h) for head in self.heads]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        ours = draw(make_figures.MultiTask(), input=d2lmods.randn(8, 16), rankdir="LR")
    assert draw(MultiTask(), input=torch.randn(8, 16), rankdir="LR").source == ours.source
