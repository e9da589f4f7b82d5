"""Regenerate the README figure with the library itself:

    .venv/bin/python docs/make_figures.py

writes ``docs/unregistered_heads.svg`` and ``docs/unregistered_heads.png`` (needs Graphviz's
``dot``); ``--out DIR`` writes them elsewhere. The model is the classic mistake: two task heads
kept in a plain Python list. ``docs/diff_heads.svg`` puts it next to its fixed twin
(``nn.ModuleList``) with ``d2lmods.viz.diff``.
"""

import pathlib
import sys
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import d2lmods  # noqa: E402
from d2lmods import nn  # noqa: E402
from d2lmods.viz import diff, draw, have_dot  # noqa: E402


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32))
        self.heads = [nn.Linear(32, 10), nn.Linear(32, 1)]  # plain list: NOT registered

    def forward(self, X):
        h = self.encoder(X)
        return [head(h) for head in self.heads]


class MultiTaskFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32))
        self.heads = nn.ModuleList([nn.Linear(32, 10), nn.Linear(32, 1)])

    def forward(self, X):
        h = self.encoder(X)
        return [head(h) for head in self.heads]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = pathlib.Path(argv[argv.index("--out") + 1]) if "--out" in argv else HERE
    if not have_dot():
        print(
            "Graphviz's `dot` is needed to render the figures (apt-get install graphviz)",
            file=sys.stderr,
        )
        return 1
    d2lmods.manual_seed(0)
    with warnings.catch_warnings():  # the model's own warning about its plain list
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        model = MultiTask()
        g = draw(model, input=d2lmods.randn(8, 16), rankdir="LR")
    svg = out_dir / "unregistered_heads.svg"
    svg.write_bytes(g.pipe(format="svg"))
    png = out_dir / "unregistered_heads.png"
    sharp = g.copy()
    sharp.graph_attr["dpi"] = "144"  # crisp on high-density screens; the SVG is unaffected
    png.write_bytes(sharp.pipe(format="png"))
    d2lmods.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.UnregisteredModuleWarning)
        compared = diff(MultiTaskFixed(), MultiTask(), names=("fixed", "buggy"))
    diff_svg = out_dir / "diff_heads.svg"
    diff_svg.write_bytes(compared.drawing.pipe(format="svg"))
    for out in (svg, png, diff_svg):
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
