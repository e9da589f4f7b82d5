"""Lines of code per package, docstrings, comments and blank lines left out (``make size``).

No limit is enforced: the table is there to be read, so a file that keeps growing is seen early.

    python .ci/size.py [folder ...]     # default: d2lmods autograder
"""

import ast
import io
import pathlib
import sys
import tokenize
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]
SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.ENCODING,
}


def docstring_lines(tree):
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def code_lines(path):
    source = path.read_text(encoding="utf-8")
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in SKIP:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines - docstring_lines(ast.parse(source)))


def package_of(rel):
    """``d2lmods/nn/modules/linear.py`` -> ``d2lmods.nn``; top-level modules -> ``d2lmods``."""
    parts = rel.parts
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def main(folders):
    per_package = defaultdict(list)
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT)
            per_package[package_of(rel)].append((code_lines(path), rel.as_posix()))
    rows = [
        (pkg, len(files), sum(n for n, _ in files), max(files))
        for pkg, files in sorted(per_package.items())
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'package':<{width}}  files  lines  largest file")
    for pkg, n_files, total, (n_big, big) in rows:
        print(f"{pkg:<{width}}  {n_files:>5}  {total:>5}  {big} ({n_big})")
    print(f"{'total':<{width}}  {sum(r[1] for r in rows):>5}  {sum(r[2] for r in rows):>5}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["d2lmods", "autograder"])
