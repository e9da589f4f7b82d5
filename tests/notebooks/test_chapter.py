"""Checks on the chapter's notebooks that nbval itself cannot make.

nbval (``make test-notebooks``) re-runs every notebook and compares outputs, but it
silently skips cells saved without outputs, so a notebook committed un-executed
would pass. These tests make sure the stored notebooks are what nbval should
compare, and that the promise made in notebook 1 -- the same code runs on
PyTorch after changing only the imports -- holds.
"""

import pathlib
import re

import nbformat
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
CHAPTER = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
IMPORTS = [
    "import d2lmods as torch",
    "from d2lmods import nn",
    "from d2lmods.nn import functional as F",
]
# Tags a cell may carry, and the only cells allowed to skip output comparison.
ALLOWED_TAGS = {"raises-exception", "nbval-ignore-output"}
IGNORE_OUTPUT_OK = re.compile(r"^explore\(")  # the widget: model ids differ per run
# The d2lmods imports and their PyTorch equivalents.
TO_TORCH = {
    "import d2lmods as torch": "import torch",
    "from d2lmods import nn": "from torch import nn",
    "from d2lmods.nn import functional as F": "from torch.nn import functional as F",
    "from d2lmods.utils.data import": "from torch.utils.data import",
}


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_eight_notebooks_exist():
    names = [p.name for p in CHAPTER]
    assert [n[:3] for n in names] == [f"0{i}-" for i in range(1, 9)], names


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_kernel_is_python3(path):
    assert read(path).metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_starts_with_the_torch_style_imports_and_a_seed(path):
    first = code_cells(read(path))[0].source
    for line in IMPORTS:
        assert line in first, f"{path.name}: first code cell lacks {line!r}"
    assert "torch.manual_seed(0)" in first


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_every_code_cell_is_executed_in_order(path):
    """nbval does not compare a cell whose execution_count is null."""
    counts = [c.execution_count for c in code_cells(read(path))]
    assert None not in counts, f"{path.name} holds un-executed cells: run it before committing"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not run top to bottom"


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_output_is_ignored_only_where_it_truly_varies(path):
    for cell in code_cells(read(path)):
        tags = set(cell.metadata.get("tags", []))
        assert tags <= ALLOWED_TAGS, f"{path.name}: unexpected tags {tags - ALLOWED_TAGS}"
        assert "NBVAL_IGNORE_OUTPUT" not in cell.source and "NBVAL_SKIP" not in cell.source
        if "nbval-ignore-output" in tags:
            assert IGNORE_OUTPUT_OK.match(cell.source), (
                f"{path.name}: output ignored for\n{cell.source}"
            )


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_errors_are_shown_only_on_purpose(path):
    for cell in code_cells(read(path)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        assert bool(errors) == tagged, f"{path.name}: cell {cell.source[:60]!r}"


# An absolute path of the machine that executed the notebook (checkout, home, temp, interpreter).
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:work|home|root|tmp|usr|opt|var|srv|mnt)/\S")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # tracebacks are stored with colour codes


def output_texts(cell):
    for out in cell.outputs:
        yield out.get("text", "")
        yield out.get("evalue", "")
        yield from out.get("traceback", [])
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/") and isinstance(value, str):
                yield value


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_stored_outputs_hold_no_machine_paths(path):
    """Run notebooks/run.py to store outputs: it rewrites the checkout's paths."""
    for cell in code_cells(read(path)):
        for text in output_texts(cell):
            text = ANSI.sub("", text)
            hit = MACHINE_PATH.search(text)
            assert hit is None, f"{path.name}: {text[max(0, hit.start() - 40) : hit.end() + 40]!r}"


@pytest.mark.parametrize("path", CHAPTER, ids=lambda p: p.stem)
def test_ends_with_exercises(path):
    last = read(path).cells[-1]
    assert last.cell_type == "markdown" and "## Exercises" in last.source
    assert re.search(r"^1\. ", last.source, re.MULTILINE)


@pytest.mark.oracle
@pytest.mark.slow
@pytest.mark.parametrize(
    "path", [p for p in CHAPTER if not p.name.startswith("07")], ids=lambda p: p.stem
)
def test_same_code_runs_on_pytorch(torch, path, tmp_path):
    """Notebook 1 tells students the code is PyTorch code: swap the imports and run it."""
    from nbclient import NotebookClient

    nb = read(path)
    for cell in code_cells(nb):
        for ours, theirs in TO_TORCH.items():
            cell.source = cell.source.replace(ours, theirs)
        assert "d2lmods" not in cell.source, f"{path.name}: d2lmods-only code\n{cell.source}"
    # raises-exception cells may fail; any other error fails the test.
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not list(tmp_path.iterdir()), "the notebook left files behind"


def test_manual_seed_fixes_every_random_draw_the_chapter_makes():
    """nbval compares printed numbers, so each random source the notebooks use must follow the seed."""
    import d2lmods as torch
    from d2lmods import nn
    from d2lmods.utils.data import DataLoader, TensorDataset

    def draws():
        torch.manual_seed(0)
        lazy = nn.LazyLinear(3)
        lazy(torch.rand(2, 5))
        loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=10, shuffle=True)
        return {
            "rand": torch.rand(3),
            "randn": torch.randn(3),
            "Linear": nn.Linear(4, 3).weight,
            "LazyLinear": lazy.weight,
            "Conv2d": nn.Conv2d(1, 2, kernel_size=3).weight,
            "shuffle": next(iter(loader))[0],
        }

    first, second = draws(), draws()
    differ = [name for name in first if not bool((first[name] == second[name]).all())]
    assert not differ, f"not reproducible after torch.manual_seed(0): {differ}"
