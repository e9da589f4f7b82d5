"""The course's library (``c.D2LCourse.library`` in ``nbgrader_config.py``): the translation of
the release, the setting as nbgrader itself reads it, the samples' torch twins, and the visible
checks of the PyTorch edition run with real torch (those tests skip when torch is missing)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import edition, samples
from autograder.course import Course, copy_course, set_library
from autograder.demo import EXERCISES, run_demo

BIN = str(Path(sys.executable).parent)


def test_the_torch_edition_changes_the_imports_and_nothing_else():
    code = (
        "import numpy as np\n"
        "import d2lmods as torch\n"
        "from d2lmods import nn\n"
        "from d2lmods.nn import functional as F\n"
        "import d2lmods\n"
        "d2lmods.cat = None\n"
        "x = torch.randn(2)  # d2lmods-free line\n"
    )
    assert edition.translate(code, "torch") == (
        "import numpy as np\n"
        "import torch\n"
        "from torch import nn\n"
        "from torch.nn import functional as F\n"
        "import torch\n"
        "torch.cat = None\n"
        "x = torch.randn(2)  # d2lmods-free line\n"
    )
    assert edition.translate(code, "d2lmods") == code
    assert edition.translate("saved with `d2lmods.save`", "torch", "markdown") == (
        "saved with `torch.save`"
    )


def test_each_edition_keeps_its_own_blocks_and_drops_the_markers():
    text = (
        "with\n### BEGIN D2LMODS ONLY\nd2lmods words\n### END D2LMODS ONLY\n"
        "### BEGIN TORCH ONLY\ntorch words\n### END TORCH ONLY\nend"
    )
    assert edition.translate(text, "d2lmods") == "with\nd2lmods words\nend"
    assert edition.translate(text, "torch") == "with\ntorch words\nend"
    with pytest.raises(edition.LibraryError, match=r"line 2: ### BEGIN TORCH ONLY is never closed"):
        edition.translate("a\n### BEGIN TORCH ONLY\nb", "d2lmods")
    with pytest.raises(edition.LibraryError, match=r"line 1: ### END D2LMODS ONLY without"):
        edition.translate("### END D2LMODS ONLY\n", "torch")


def test_the_source_notebooks_translate_to_releases_without_d2lmods(tmp_path):
    for a in ("modules", "custom"):
        nb = json.loads((EXERCISES / "source" / a / f"{a}.ipynb").read_text())
        (tmp_path / a).mkdir()
        (tmp_path / a / f"{a}.ipynb").write_text(
            json.dumps(edition.translate_notebook(nb, "torch"))
        )
        text = (EXERCISES / "source" / a / "checks_public.py").read_text()
        (tmp_path / a / "checks_public.py").write_text(edition.translate(text, "torch"))
        assert edition.leftovers(tmp_path / a, "torch") == []
        assert edition.release_library(tmp_path / a / f"{a}.ipynb") == "torch"
    # and a d2lmods word left in a torch release is found, with the file, cell and line
    (tmp_path / "modules" / "extra.py").write_text("x = 1\n# see d2lmods\n")
    assert edition.leftovers(tmp_path / "modules", "torch") == ["extra.py:2: # see d2lmods"]
    assert edition.leftovers(tmp_path / "modules", "d2lmods") == []


def test_the_library_setting(tmp_path):
    copy_course(EXERCISES, tmp_path / "c")
    assert Course(tmp_path / "c").library == "d2lmods"  # the course as shipped
    set_library(tmp_path / "c" / "nbgrader_config.py", "torch")
    assert Course(tmp_path / "c").library == "torch"
    text = (tmp_path / "c" / "nbgrader_config.py").read_text()
    assert text.count("c.D2LCourse.library") == 1
    (tmp_path / "c" / "nbgrader_config.py").write_text(
        text.replace("c.D2LCourse.library = 'torch'", "c.D2LCourse.library = 'jax'")
    )
    with pytest.raises(edition.LibraryError, match=r"'jax' is not a library .* 'd2lmods', 'torch'"):
        Course(tmp_path / "c")
    with pytest.raises(edition.LibraryError, match="unknown library 'jax'"):
        set_library(tmp_path / "c" / "nbgrader_config.py", "jax")


def test_a_torch_course_needs_torch_where_it_is_graded(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(edition.LibraryError, match=r"torch is not installed .* pip install"):
        edition.require("torch")
    edition.require("d2lmods")
    # make demo's PyTorch edition: one line, nothing built
    assert run_demo(tmp_path / "demo", library="torch") == []
    assert capsys.readouterr().out.strip() == (
        "the PyTorch edition of the demo is skipped: torch is not installed here"
    )
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("library", ["d2lmods", "torch"])
def test_nbgrader_itself_reads_the_setting_and_writes_that_edition(tmp_path, library):
    """``nbgrader generate_assignment`` (what formgrader's Generate button runs) loads the config
    without complaint and writes the same edition as the grader."""
    copy_course(EXERCISES, tmp_path, library)
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "custom", "--force"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "not recognized" not in out.stderr and "Traceback" not in out.stderr
    release = tmp_path / "release" / "custom"
    assert edition.release_library(release / "custom.ipynb") == library
    assert edition.leftovers(release, library) == []
    checks = (release / "checks_public.py").read_text()
    assert ("import torch\nfrom torch import nn" in checks) == (library == "torch")
    # nbgrader's checksums are those of the cells it wrote (its validate finds nothing changed)
    import nbformat
    from nbgrader.utils import compute_checksum

    for cell in nbformat.read(release / "custom.ipynb", as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if "checksum" in meta:
            assert compute_checksum(cell) == meta["checksum"], meta["grade_id"]


def test_the_torch_twins_of_the_samples_differ_only_in_their_imports(tmp_path):
    courses = {}
    for library in ("d2lmods", "torch"):
        copy_course(EXERCISES, tmp_path / library, library)
        courses[library] = c = Course(tmp_path / library)
        c.generate("modules")
    for name in samples.names("modules"):
        if (samples.folder("modules") / f"{name}.ipynb").exists():
            continue  # broken or foreign notebooks, submitted as they are
        nbs = {
            lib: json.loads(
                samples.build(
                    name,
                    c.release_notebook("modules"),
                    c.source_notebook("modules"),
                    "modules",
                    lib,
                )
            )
            for lib, c in courses.items()
        }
        for a, b in zip(nbs["d2lmods"]["cells"], nbs["torch"]["cells"], strict=True):
            src = "".join(a["source"]) if isinstance(a["source"], list) else a["source"]
            kind = "markdown" if a["cell_type"] == "markdown" else "code"
            want = "".join(b["source"]) if isinstance(b["source"], list) else b["source"]
            if a["metadata"].get("nbgrader", {}).get("locked"):
                continue  # the release's own cells: translated by nbgrader's preprocessor
            assert edition.translate(src, "torch", kind) == want, name
    assert "torch_global_hook" in samples.names("modules", "torch")
    assert "torch_global_hook" not in samples.names("modules")


@pytest.mark.parametrize("assignment", ["modules", "custom"])
def test_the_visible_checks_of_the_torch_edition_run_with_torch(tmp_path, assignment):
    """The torch edition's notebook with the reference solutions passes every visible check, run
    with real PyTorch in a kernel; its release (the stubs) fails each test cell."""
    pytest.importorskip("torch")
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    copy_course(EXERCISES, tmp_path, "torch")
    course = Course(tmp_path)
    course.generate(assignment)
    src = json.loads(course.source_notebook(assignment).read_text())
    work = tmp_path / "run"
    work.mkdir()
    (work / "checks_public.py").write_bytes(
        (course.release_notebook(assignment).parent / "checks_public.py").read_bytes()
    )
    nb = nbformat.from_dict(edition.translate_notebook(src, "torch"))
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(work)}}).execute()
    outputs = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "import torch" in nb.cells[1].source and "FAILED" not in outputs
    assert outputs.count("All visible checks passed.") == 3
    release = nbformat.read(course.release_notebook(assignment), as_version=4)
    client = NotebookClient(
        release, timeout=300, allow_errors=True, resources={"metadata": {"path": str(work)}}
    )
    client.execute()
    errors = [
        o
        for c in release.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert len(errors) >= 3 and all(
        e.ename in ("NotImplementedError", "VisibleChecksFailed") for e in errors
    )


def test_make_demos_quick_torch_set_names_bundled_samples():
    from autograder.demo import QUICK

    for assignment, names in QUICK.items():
        assert set(names) <= set(samples.names(assignment, "torch")), assignment


def test_a_release_of_the_other_library_is_generated_again(tmp_path):
    """An instructor who switches the course to torch after generating gets the torch release at
    the next grading run (``grade`` calls ``ensure_generated``)."""
    pytest.importorskip("torch")
    copy_course(EXERCISES, tmp_path)
    Course(tmp_path).ensure_generated("custom")
    release = tmp_path / "release" / "custom" / "custom.ipynb"
    assert edition.release_library(release) == "d2lmods"
    set_library(tmp_path / "nbgrader_config.py", "torch")
    Course(tmp_path).ensure_generated("custom")
    assert edition.release_library(release) == "torch"
