"""The course's library: ``d2lmods`` (the default) or real PyTorch, chosen in ``nbgrader_config.py``::

    c.D2LCourse.library = "torch"

The assignments under ``source/`` are written once, for d2lmods.  The release of a ``torch``
course is the same notebook and helper files with:

- the imports of the library turned into PyTorch's: ``import d2lmods as torch`` ->
  ``import torch``, ``from d2lmods import nn`` -> ``from torch import nn``, ``from d2lmods.nn
  import functional as F`` -> ``from torch.nn import functional as F`` (and ``import d2lmods``,
  ``d2lmods.<name>`` -> ``torch``) in code cells and ``.py`` files, `` `d2lmods.<name>` `` ->
  `` `torch.<name>` `` in markdown;
- what only one edition says, between marker lines, as nbgrader marks solutions: the lines from
  ``### BEGIN D2LMODS ONLY`` to ``### END D2LMODS ONLY`` are left out of the torch edition, those
  from ``### BEGIN TORCH ONLY`` to ``### END TORCH ONLY`` out of the d2lmods edition; the marker
  lines themselves out of both.

nbgrader applies it itself: ``nbgrader_config.py`` calls :func:`configure`, which puts the
preprocessor :class:`UseLibrary` first in ``GenerateAssignment`` (so ``nbgrader
generate_assignment``, formgrader's Generate button and ``python -m autograder grade`` write the
same release, checksums included).  :func:`leftovers` lists what still names d2lmods in a torch
release; :meth:`autograder.course.Course.generate` refuses such a release.

    >>> translate("import d2lmods as torch\\nfrom d2lmods import nn", "torch")
    'import torch\\nfrom torch import nn'
    >>> translate("a\\n### BEGIN TORCH ONLY\\nb\\n### END TORCH ONLY", "d2lmods")
    'a'
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

LIBRARIES = ("d2lmods", "torch")
DEFAULT = "d2lmods"
SECTION = "D2LCourse"  # the config section: c.D2LCourse.library
MARKERS = {"d2lmods": "D2LMODS ONLY", "torch": "TORCH ONLY"}

#: code (cells and .py files) in the torch edition: (pattern, replacement), in this order
CODE_RULES = [
    (re.compile(r"^(\s*)import d2lmods as torch\b", re.M), r"\1import torch"),
    (
        re.compile(r"^(\s*)from d2lmods\.nn import functional as F\b", re.M),
        r"\1from torch.nn import functional as F",
    ),
    (re.compile(r"^(\s*)from d2lmods(\.[\w.]+)? import\b", re.M), r"\1from torch\2 import"),
    (re.compile(r"^(\s*)import d2lmods\b", re.M), r"\1import torch"),
    (re.compile(r"\bd2lmods\.(?=[A-Za-z_])"), "torch."),
]
#: markdown in the torch edition
MARKDOWN_RULES = [(re.compile(r"`d2lmods\.([\w.]+)"), r"`torch.\1")]


class LibraryError(ValueError):
    """The course names a library this grader does not know, or one that is not installed."""


def library_of(config) -> str:
    """The library a course's config chooses (``c.D2LCourse.library``; default ``d2lmods``)."""
    section = config.get(SECTION, {}) if hasattr(config, "get") else {}
    library = section.get("library", DEFAULT) if hasattr(section, "get") else DEFAULT
    if library not in LIBRARIES:
        raise LibraryError(
            f"nbgrader_config.py: c.{SECTION}.library = {library!r} is not a library this grader "
            f"knows; set it to one of {', '.join(map(repr, LIBRARIES))}"
        )
    return library


def require(library: str) -> None:
    """Raise unless ``library`` can be imported here (the sandbox mounts this environment)."""
    if library == "torch" and importlib.util.find_spec("torch") is None:
        raise LibraryError(
            "this course teaches with PyTorch (c.D2LCourse.library = 'torch' in nbgrader_config.py), "
            "but torch is not installed in this environment, which the sandbox runs: "
            "pip install 'd2lmods[oracle]' (or torch itself), or set the library to 'd2lmods'"
        )


def _blocks(text: str, library: str) -> str:
    """Drop the other edition's blocks and every marker line (a block left open, or closed
    without being opened, is an error that names the line)."""
    out, skipping, open_at = [], None, None
    other = {MARKERS[lib] for lib in LIBRARIES if lib != library}
    for k, line in enumerate(text.splitlines(keepends=True), 1):
        marker = next(
            (
                (kind, m)
                for m in MARKERS.values()
                for kind in ("BEGIN", "END")
                if f"### {kind} {m}" in line
            ),
            None,
        )
        if marker is not None:
            kind, m = marker
            if (kind == "BEGIN") == (open_at is not None) or (kind == "END" and open_at[1] != m):
                raise LibraryError(
                    f"line {k}: ### {kind} {m} "
                    + (
                        f"inside the block opened on line {open_at[0]} (close it first)"
                        if kind == "BEGIN"
                        else "without its ### BEGIN line"
                    )
                )
            open_at = (k, m) if kind == "BEGIN" else None
            skipping = m if kind == "BEGIN" and m in other else None
            continue
        if skipping is None:
            out.append(line)
    if open_at is not None:
        raise LibraryError(f"line {open_at[0]}: ### BEGIN {open_at[1]} is never closed (### END)")
    new = "".join(out)
    return new if text.endswith("\n") else new.removesuffix("\n")


def translate(text: str, library: str, kind: str = "code") -> str:
    """``text`` (a cell's source or a ``.py`` file) for the ``library`` edition; ``kind``: code
    or markdown."""
    text = _blocks(text, library)
    if library == "torch":
        for pattern, repl in CODE_RULES if kind == "code" else MARKDOWN_RULES:
            text = pattern.sub(repl, text)
    return text


def translate_notebook(nb, library: str):
    """Every cell of ``nb`` (nbformat node or plain dict) translated in place; returns ``nb``."""
    for cell in nb["cells"]:
        src = cell["source"]
        src = "".join(src) if isinstance(src, list) else src
        cell["source"] = translate(
            src, library, "markdown" if cell["cell_type"] == "markdown" else "code"
        )
    return nb


def translate_files(folder: str | Path, library: str) -> list[Path]:
    """The ``.py`` files in ``folder`` (a release) rewritten for ``library``; returns those changed."""
    changed = []
    for path in sorted(Path(folder).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        new = translate(text, library, "code")
        if text.endswith("\n") and not new.endswith("\n"):
            new += "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


LEFTOVER = re.compile(r"\bd2lmods\b|### (BEGIN|END) (D2LMODS|TORCH) ONLY")


def leftovers(folder: str | Path, library: str) -> list[str]:
    """What in a release folder still belongs to the other edition: ``<file>[:<cell>]:<line>: text``.

    In a torch release nothing may name d2lmods (comments included: a student reads them); in
    either edition no marker line may be left."""
    import json

    def bad(line: str) -> bool:
        m = LEFTOVER.search(line)
        return m is not None and (library == "torch" or m.group(0).startswith("###"))

    found = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix == ".py":
            for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if bad(line):
                    found.append(f"{path.name}:{k}: {line.strip()[:100]}")
        elif path.suffix == ".ipynb":
            for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
                src = cell["source"]
                for k, line in enumerate(
                    ("".join(src) if isinstance(src, list) else src).splitlines(), 1
                ):
                    if bad(line):
                        gid = (
                            cell.get("metadata", {})
                            .get("nbgrader", {})
                            .get("grade_id", f"cell {i}")
                        )
                        found.append(f"{path.name}:{gid}:{k}: {line.strip()[:100]}")
    return found


TORCH_IMPORT = re.compile(r"^\s*(import torch\b|from torch(\.[\w.]+)? import\b)", re.M)


def release_library(notebook: str | Path) -> str:
    """Which edition a generated notebook is: ``torch`` when a code cell imports torch."""
    import json

    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if cell.get("cell_type") == "code" and TORCH_IMPORT.search(src):
            return "torch"
    return "d2lmods"


def _preprocessor_base():
    try:
        from nbgrader.preprocessors import NbGraderPreprocessor
    except ImportError:  # nbgrader missing: translate() and friends still work
        return object
    return NbGraderPreprocessor


class UseLibrary(_preprocessor_base()):
    """nbgrader preprocessor: the notebook (and the release's ``.py`` files) for the course's
    library.  First in ``GenerateAssignment.preprocessors`` (:func:`configure`), so the checksums
    nbgrader computes are those of the translated cells."""

    def preprocess(self, nb, resources):
        library = library_of(self.config)
        translate_notebook(nb, library)
        dest = self._release_folder(resources)
        if dest is not None:
            translate_files(dest, library)
        return nb, resources

    def _release_folder(self, resources) -> Path | None:
        """The folder nbgrader is writing (its helper files are already copied there)."""
        converter = getattr(getattr(self, "parent", None), "parent", None)
        fmt = getattr(converter, "_format_dest", None)
        info = resources.get("nbgrader", {}) if isinstance(resources, dict) else {}
        if fmt is None or "assignment" not in info:
            return None
        dest = Path(fmt(info["assignment"], info.get("student", ".")))
        return dest if dest.is_dir() else None


def configure(c) -> None:
    """Put :class:`UseLibrary` first in ``GenerateAssignment.preprocessors`` of config ``c``
    (idempotent; keeps a list the config already set)."""
    from nbgrader.converters import GenerateAssignment

    current = c.GenerateAssignment.get("preprocessors") if "GenerateAssignment" in c else None
    chain = (
        list(current)
        if current
        else list(GenerateAssignment.class_traits()["preprocessors"].default())
    )
    if not any(p is UseLibrary or getattr(p, "__name__", None) == "UseLibrary" for p in chain):
        chain.insert(0, UseLibrary)
    c.GenerateAssignment.preprocessors = chain
