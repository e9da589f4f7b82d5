"""Similar submissions: pairs whose solution cells are near-identical once names and formatting
are normalised.

Each solution cell is parsed (never run) and turned into a stream of tokens from its syntax tree:
node types, the library's attribute and module names as they are, every name the student chose
renamed in order of first use (``v0``, ``v1``, ...), numbers and strings as placeholders,
docstrings dropped (comments never reach the tree).  The stream is cut into k-grams, hashed and
*winnowed* (the smallest hash of each window, as MOSS does), giving a set of fingerprints per
cell.  The release notebook's stub of the cell is fingerprinted the same way and subtracted, so
code every student was given never counts.  The score of a pair is, over the parts both
answered, the share of fingerprints they have in common (Jaccard, weighted by size); identical
normalised cells score 1.

Student bytes are bounded: notebooks by :data:`autograder.notebook.MAX_BYTES`, each cell by
:data:`MAX_CELL_CHARS`, the tree by :data:`MAX_NODES` nodes (deeper nesting than Python's parser
allows is a failed parse), and candidate pairs come from an inverted index of fingerprints, so the
work grows with shared fingerprints rather than with every pair of students.

    >>> a = fingerprints("def f(x):\\n    t = 0\\n    for i in x:\\n        t += i\\n    return t\\n")
    >>> b = fingerprints("def g(xs):\\n    s = 0\\n    for v in xs:\\n        s += v\\n    return s")
    >>> a == b and len(a) > 0
    True
"""

from __future__ import annotations

import argparse
import ast
import builtins
import hashlib
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook, parts

K = 6  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window
MAX_CELL_CHARS = 64_000
MAX_NODES = 20_000
MIN_FINGERPRINTS = 8  # a part with fewer (after the release is subtracted) is too small to compare
THRESHOLD = 0.8
# names that mean the same thing in every submission: the notebook's imports and the builtins
KEPT_NAMES = frozenset({"torch", "nn", "F", "np", "d2lmods", "self", "super"}) | frozenset(
    dir(builtins)
)


class _Tokens(ast.NodeVisitor):
    def __init__(self) -> None:
        self.out: list[str] = []
        self.names: dict[str, str] = {}
        self.nodes = 0

    def name(self, n: str) -> str:
        if n in KEPT_NAMES:
            return n
        return self.names.setdefault(n, f"v{len(self.names)}")

    def generic_visit(self, node: ast.AST) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ValueError("too many nodes")
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:]  # a docstring says nothing about the code
        self.out.append(type(node).__name__)
        if isinstance(node, ast.Name):
            self.out.append(self.name(node.id))
        elif isinstance(node, ast.arg):
            self.out.append(self.name(node.arg))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            self.out.append(self.name(node.name))
        elif isinstance(node, ast.Attribute):
            self.out.append("." + node.attr)  # the API called is the same whatever it is named
        elif isinstance(node, ast.Constant):
            self.out.append("S" if isinstance(node.value, str) else "N")
        elif isinstance(node, ast.keyword):
            self.out.append(f"{node.arg}=")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # names are numbered per function: reusing a name in another method (or not) is style
            outer, self.names = self.names, {}
            super().generic_visit(node)
            self.names = outer
        else:
            super().generic_visit(node)


def tokens(source: str) -> list[str]:
    """The normalised token stream of ``source`` (empty when it is too large or does not parse)."""
    if not source or len(source) > MAX_CELL_CHARS:
        return []
    try:
        tree = ast.parse(notebook.to_python(source))
        t = _Tokens()
        t.visit(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError, TypeError):
        return []
    return t.out


def fingerprints(source: str) -> frozenset[int]:
    """Winnowed k-gram hashes of the normalised source."""
    toks = tokens(source)
    if len(toks) < K:
        return frozenset()
    grams = [
        int.from_bytes(
            hashlib.blake2b("\x1f".join(toks[i : i + K]).encode(), digest_size=8).digest(), "big"
        )
        for i in range(len(toks) - K + 1)
    ]
    if len(grams) <= WINDOW:
        return frozenset({min(grams)})
    return frozenset(min(grams[i : i + WINDOW]) for i in range(len(grams) - WINDOW + 1))


@dataclass
class Pair:
    """Two students whose answers are near-identical, with a score per part compared."""

    a: str
    b: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def student_prints(
    notebooks: dict[str, bytes], release: bytes, assignment: str
) -> dict[str, dict[str, frozenset]]:
    """student -> part -> fingerprints of their cell, minus those of the release's stub."""
    order = parts.parts_of(assignment)
    stubs = notebook.solution_sources(notebook.read_notebook(release), order)
    given = {p: fingerprints(stubs[p] or "") for p in order}
    out = {}
    for student, data in notebooks.items():
        sub = notebook.read_notebook(data)
        if not sub.cells:
            continue
        sources = notebook.solution_sources(sub, order)
        prints = {p: fingerprints(sources[p] or "") - given[p] for p in order}
        out[student] = {p: f for p, f in prints.items() if len(f) >= MIN_FINGERPRINTS}
    return out


def similar_pairs(
    prints: dict[str, dict[str, frozenset]], threshold: float = THRESHOLD
) -> list[Pair]:
    """Pairs scoring at least ``threshold``, highest first."""
    index: dict[tuple[str, int], list[str]] = defaultdict(list)
    for student, by_part in sorted(prints.items()):
        for part, fps in by_part.items():
            for h in fps:
                index[(part, h)].append(student)
    shared: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (part, _), who in index.items():
        if len(who) > 1:
            for i, a in enumerate(who):
                for b in who[i + 1 :]:
                    shared[(a, b)][part] += 1
    pairs = []
    for (a, b), common in shared.items():
        per_part, inter, union = {}, 0, 0
        for part in set(prints[a]) & set(prints[b]):
            n = common.get(part, 0)
            u = len(prints[a][part]) + len(prints[b][part]) - n
            per_part[part] = round(n / u, 3) if u else 0.0
            inter, union = inter + n, union + u
        score = round(inter / union, 3) if union else 0.0
        if score >= threshold:
            pairs.append(Pair(a, b, score, dict(sorted(per_part.items()))))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def course_pairs(
    course_root: str | Path, assignment: str, threshold: float = THRESHOLD
) -> list[Pair]:
    """The similar pairs among ``submitted/<student>/<assignment>/*.ipynb`` of a course."""
    root = Path(course_root)
    releases = sorted((root / "release" / assignment).glob("*.ipynb"))
    release = releases[0].read_bytes() if releases else b"{}"
    notebooks = {}
    for d in sorted((root / "submitted").glob(f"*/{assignment}")):
        found = sorted(p for p in d.glob("*.ipynb") if p.is_file() and not p.is_symlink())
        if found and found[0].stat().st_size <= notebook.MAX_BYTES:
            notebooks[d.parent.name] = found[0].read_bytes()
    return similar_pairs(student_prints(notebooks, release, assignment), threshold)


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder similarity <course> --assignment A``: near-identical submissions."""
    ap = argparse.ArgumentParser(prog="python -m autograder similarity", description=main.__doc__)
    ap.add_argument("course")
    ap.add_argument("--assignment", "-a", default="modules")
    ap.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"lowest score shown (default {THRESHOLD})",
    )
    a = ap.parse_args(argv)
    pairs = course_pairs(a.course, a.assignment, a.threshold)
    for p in pairs:
        detail = ", ".join(f"{k} {v:.2f}" for k, v in p.parts.items())
        print(f"{p.score:5.2f}  {p.a} ~ {p.b}  ({detail})")
    print(
        f"{len(pairs)} pairs at or above {a.threshold:g} (release code subtracted; "
        "names and formatting ignored)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
