"""Reading a submitted notebook defensively: validity, solution cells by ``grade_id``, tampering.

Nothing in a submission is executed here; it is parsed as JSON (size-capped) and compared with the
release notebook the instructor generated.

    >>> sub = read_notebook(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    >>> sub.flags
    ['empty']
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from . import safeio

MAX_BYTES = 5 * 1024 * 1024
MAX_CELLS = 2_000  # a notebook of this course has ~40
# nesting is bounded by json's use of the recursion limit (RecursionError -> invalid_notebook)
STUB_MARK = "raise NotImplementedError()"


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbm = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbm if isinstance(nbm, dict) else {}


def grade_id(cell: dict) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


@dataclass
class Submission:
    """A parsed notebook: ``cells`` (dicts) or None when unreadable, and what was wrong with it."""

    cells: list | None
    flags: list = field(default_factory=list)
    problem: str = ""

    def by_id(self) -> dict[str, dict]:
        """First cell for each grade_id (a split cell keeps its id twice; the first one counts)."""
        out: dict[str, dict] = {}
        for c in self.cells or []:
            gid = grade_id(c)
            if gid and gid not in out:
                out[gid] = c
        return out


def read_submission(path: str | os.PathLike) -> Submission:
    """Read and parse a submitted notebook from the student's folder: a regular file (no symlink
    anywhere in the path, no FIFO, device or socket), at most :data:`MAX_BYTES`, checked before a
    byte is read."""
    try:
        data = safeio.read_regular(path, MAX_BYTES)
    except safeio.UnsafeFile as e:
        return Submission(None, ["invalid_notebook"], f"not read: {e.strerror}")
    except OSError as e:
        return Submission(
            None, ["invalid_notebook"], f"cannot read the notebook: {type(e).__name__}"
        )
    return read_notebook(data)


def read_notebook(data: bytes) -> Submission:
    """Parse ``data`` as an nbformat-4 notebook, flagging ``invalid_notebook`` or ``empty``."""
    if len(data) > MAX_BYTES:
        return Submission(None, ["invalid_notebook"], f"larger than {MAX_BYTES // 2**20} MiB")
    if not data.strip():
        return Submission(None, ["empty"], "the file is empty")
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return Submission(None, ["invalid_notebook"], f"not valid JSON ({type(e).__name__})")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return Submission(None, ["invalid_notebook"], "not a Jupyter notebook (no list of cells)")
    if len(nb["cells"]) > MAX_CELLS:
        return Submission(None, ["invalid_notebook"], f"more than {MAX_CELLS} cells")
    cells = [c for c in nb["cells"] if isinstance(c, dict)]
    if not cells:
        return Submission([], ["empty"], "the notebook has no cells")
    return Submission(cells)


def solution_sources(sub: Submission, solution_ids: list[str]) -> dict[str, str | None]:
    """Source of each solution cell (None when the cell is gone or is no longer a code cell)."""
    cells = sub.by_id()
    out = {}
    for gid in solution_ids:
        c = cells.get(gid)
        out[gid] = cell_source(c) if c is not None and c.get("cell_type") == "code" else None
    return out


def tampering(sub: Submission, release_cells: list[dict]) -> list[str]:
    """Differences between the submission's locked cells and the release: deleted, edited,
    re-pointed or reordered test cells.  An empty list means untouched."""
    found = []
    cells = sub.by_id()
    locked = [
        c
        for c in release_cells
        if nbgrader_meta(c).get("locked") and grade_id(c) and not nbgrader_meta(c).get("solution")
    ]
    for rc in locked:
        gid = grade_id(rc)
        c = cells.get(gid)
        if c is None:
            found.append(f"deleted:{gid}")
            continue
        if cell_source(c).strip() != cell_source(rc).strip():
            found.append(f"edited:{gid}")
        m, rm = nbgrader_meta(c), nbgrader_meta(rc)
        if rm.get("grade") and (m.get("points") != rm.get("points") or not m.get("grade")):
            found.append(f"points_changed:{gid}")
    order_release = [grade_id(c) for c in release_cells if grade_id(c)]
    order_sub = [grade_id(c) for c in sub.cells or [] if grade_id(c) in set(order_release)]
    seen, dedup = set(), []
    for g in order_sub:
        if g not in seen:
            seen.add(g)
            dedup.append(g)
    if [g for g in order_release if g in seen] != dedup:
        found.append("reordered")
    return found


def is_other_assignment(sub: Submission, release_cells: list[dict]) -> bool:
    """True when none of the release's grade_ids is in the notebook (another assignment's file,
    or a notebook written from scratch)."""
    ours = {grade_id(c) for c in release_cells if grade_id(c)}
    return bool(sub.cells) and not (ours & set(sub.by_id()))


def unchanged_stub(source: str | None, release_source: str | None) -> bool:
    return (
        source is not None
        and release_source is not None
        and source.strip() == release_source.strip()
    )


def to_python(source: str) -> str:
    """Turn IPython syntax (``%magic``, ``!cmd``) into plain Python calls, as Jupyter would.

    No limits: for trusted sources.  A student's cells go through :func:`to_python_sandboxed`."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # unparsable cells stay as they are; the probe reports the SyntaxError
        return source


TRANSFORM_JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transform_job.py")


def to_python_sandboxed(
    sources: dict[str, str], limits=None, kind: str = "auto"
) -> tuple[dict[str, str], str]:
    """:func:`to_python` of each source, run in the sandbox under ``limits`` (CPU, wall clock,
    memory); returns (the transformed sources, the sandbox status).  A source the transform could
    not finish is returned unchanged (the probe then reports its SyntaxError, if any)."""
    from . import sandbox

    if not sources:
        return {}, "ok"
    limits = limits or sandbox.Limits()
    limits = sandbox.Limits.from_dict(
        {
            **limits.to_dict(),
            "part_seconds": min(limits.part_seconds, 60.0),
            "output_kb": 3 * (MAX_BYTES >> 10),
        }
    )
    with open(TRANSFORM_JOB, "rb") as f:
        script = f.read()
    files = {"transform_job.py": script, "cells.json": json.dumps(sources).encode("utf-8")}
    res = sandbox.run(files, limits, kind=kind, script="transform_job.py")
    got = (res.output or {}).get("python") if res.status == "ok" else None
    out = dict(sources)
    if isinstance(got, dict):
        for k in sources:
            if isinstance(got.get(k), str):
                out[k] = got[k]
    return out, res.status if isinstance(got, dict) else (
        res.status if res.status != "ok" else "crash"
    )
