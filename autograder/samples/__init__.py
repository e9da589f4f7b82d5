"""Sample submissions: correct ones, typical mistakes and hostile ones, used by the tests and the demo.

A sample is a small ``.cells`` file (Python cells; not ``.py`` so that nothing ever imports a
hostile one by accident) of cell sections laid over the release notebook::

    # %% my_sequential            replace the solution (or test) cell with this grade_id
    # %% delete test_factory_behaviour
    # %% points test_parallel_module_behaviour 100
    # %% move test_my_sequential_behaviour     move the cell to the end
    # %% new                      append a new code cell
    # %% stub parallel_module     keep the release's stub

Cells a sample does not mention get the reference solution from the source notebook, so each
sample shows one mistake.  A first-line ``# base: release`` starts from the untouched release
instead.  ``*.ipynb`` files here are used as they are (broken or foreign notebooks).  The samples of
the "modules" assignment are in this folder, those of any other assignment in a subfolder of its
name (``custom/``).

The same samples serve a PyTorch course (``library="torch"``): each is laid over the torch
release and its cells are translated as the release is (:func:`autograder.edition.translate`:
``import d2lmods`` -> ``import torch``, ...), so each has a torch twin that differs only in its
imports.  A ``torch/`` subfolder holds samples written for torch only (its own attacks, such as
a global forward hook), graded in a torch course only.

    >>> data = build("plain_list", release_nb, source_nb)      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .. import edition, notebook

HERE = Path(__file__).parent
DIRECTIVE = re.compile(r"^# %% ?(.*)$")


def folder(assignment: str = "modules") -> Path:
    return HERE if assignment == "modules" else HERE / assignment


def _stems(d: Path) -> set[str]:
    return (
        {p.stem for p in d.iterdir() if p.suffix in (".cells", ".ipynb")} if d.is_dir() else set()
    )


def names(assignment: str = "modules", library: str = "d2lmods") -> list[str]:
    """Every sample of ``assignment`` for a course teaching with ``library``, by name (file stem)."""
    found = _stems(folder(assignment))
    if library == "torch":
        found |= _stems(folder(assignment) / "torch")
    return sorted(found)


def _file(name: str, assignment: str, library: str, suffix: str) -> Path:
    """The sample's file: the torch-only one first in a torch course."""
    own = folder(assignment) / "torch" / f"{name}{suffix}"
    return own if library == "torch" and own.exists() else folder(assignment) / f"{name}{suffix}"


def _sections(text: str) -> list[tuple[list[str], str]]:
    out, head, body = [], None, []
    for line in text.splitlines(keepends=True):
        m = DIRECTIVE.match(line.rstrip("\n"))
        if m:
            if head is not None:
                out.append((head, "".join(body).strip("\n")))
            head, body = m.group(1).split(), []
        elif head is not None:
            body.append(line)
    if head is not None:
        out.append((head, "".join(body).strip("\n")))
    return out


def build(
    name: str,
    release_nb: str | Path,
    source_nb: str | Path,
    assignment: str = "modules",
    library: str = "d2lmods",
) -> bytes:
    """The notebook bytes a student named ``name`` would submit (``release_nb``: the release of a
    course teaching with ``library``)."""
    raw = _file(name, assignment, library, ".ipynb")
    if raw.exists():
        return raw.read_bytes()
    text = _file(name, assignment, library, ".cells").read_text()
    nb = json.loads(Path(release_nb).read_text())
    if not text.startswith("# base: release"):
        ref = notebook.read_notebook(Path(source_nb).read_bytes()).by_id()
        for cell in nb["cells"]:
            gid = notebook.grade_id(cell)
            if gid and notebook.nbgrader_meta(cell).get("solution") and gid in ref:
                # a student never sees the instructor's solution markers
                cell["source"] = edition.translate(
                    "\n".join(
                        line
                        for line in notebook.cell_source(ref[gid]).splitlines()
                        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
                    ),
                    library,
                    "markdown" if cell.get("cell_type") == "markdown" else "code",
                )
    for head, body in _sections(text):
        cells = nb["cells"]
        idx = {notebook.grade_id(c): i for i, c in enumerate(cells) if notebook.grade_id(c)}
        if not head:
            continue
        if head[0] == "delete":
            del cells[idx[head[1]]]
        elif head[0] == "points":
            cells[idx[head[1]]]["metadata"]["nbgrader"]["points"] = float(head[2])
        elif head[0] == "move":
            cells.append(cells.pop(idx[head[1]]))
        elif head[0] == "new":
            cells.append(
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": edition.translate(body, library),
                    "outputs": [],
                    "execution_count": None,
                    "id": f"added{len(cells)}",
                }
            )
        elif head[0] == "stub":
            pass
        elif head[0] in idx:
            cell = cells[idx[head[0]]]
            kind = "markdown" if cell.get("cell_type") == "markdown" else "code"
            cell["source"] = edition.translate(body, library, kind)
        else:
            raise ValueError(f"sample {name}: unknown section {' '.join(head)!r}")
    return json.dumps(nb, indent=1).encode()


def description(name: str, assignment: str = "modules", library: str = "d2lmods") -> str:
    """The sample's first comment line (what it does)."""
    p = _file(name, assignment, library, ".cells")
    if not p.exists():
        return {
            "invalid_json": "not valid JSON",
            "empty": "an empty file",
            "other_assignment": "a notebook from another assignment",
        }.get(name, name)
    for line in p.read_text().splitlines():
        if line.startswith("# ") and not line.startswith(("# base", "# %%")):
            return line[2:].strip()
    return name
