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

    >>> data = build("plain_list", release_nb, source_nb)      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .. import notebook

HERE = Path(__file__).parent
DIRECTIVE = re.compile(r"^# %% ?(.*)$")


def folder(assignment: str = "modules") -> Path:
    return HERE if assignment == "modules" else HERE / assignment


def names(assignment: str = "modules") -> list[str]:
    """Every sample of ``assignment``, by name (file stem)."""
    d = folder(assignment)
    return (
        sorted({p.stem for p in d.iterdir() if p.suffix in (".cells", ".ipynb")})
        if d.is_dir()
        else []
    )


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
    name: str, release_nb: str | Path, source_nb: str | Path, assignment: str = "modules"
) -> bytes:
    """The notebook bytes a student named ``name`` would submit."""
    raw = folder(assignment) / f"{name}.ipynb"
    if raw.exists():
        return raw.read_bytes()
    text = (folder(assignment) / f"{name}.cells").read_text()
    nb = json.loads(Path(release_nb).read_text())
    if not text.startswith("# base: release"):
        ref = notebook.read_notebook(Path(source_nb).read_bytes()).by_id()
        for cell in nb["cells"]:
            gid = notebook.grade_id(cell)
            if gid and notebook.nbgrader_meta(cell).get("solution") and gid in ref:
                # a student never sees the instructor's solution markers
                cell["source"] = "\n".join(
                    line
                    for line in notebook.cell_source(ref[gid]).splitlines()
                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
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
                    "source": body,
                    "outputs": [],
                    "execution_count": None,
                    "id": f"added{len(cells)}",
                }
            )
        elif head[0] == "stub":
            pass
        elif head[0] in idx:
            cells[idx[head[0]]]["source"] = body
        else:
            raise ValueError(f"sample {name}: unknown section {' '.join(head)!r}")
    return json.dumps(nb, indent=1).encode()


def description(name: str, assignment: str = "modules") -> str:
    """The sample's first comment line (what it does)."""
    p = folder(assignment) / f"{name}.cells"
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
