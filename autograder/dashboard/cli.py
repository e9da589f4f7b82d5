"""``python -m autograder dashboard <course-dir> --assignment modules [--out PATH]``.

Writes one self-contained HTML file and prints its path.

>>> main(["build/demo-course", "--assignment", "modules"])    # doctest: +SKIP
build/dashboard.html
0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import DashboardError, list_assignments, load_assignment
from .render import render_page

DEFAULT_OUT = Path("build") / "dashboard.html"


def build_dashboard(course_dir: str | Path, assignment: str, out: str | Path = DEFAULT_OUT) -> Path:
    """Read the course, write the HTML dashboard to ``out`` and return its path."""
    out = Path(out)
    data = load_assignment(course_dir, assignment)
    html = render_page(data, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)  # a reader never sees half a page
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m autograder dashboard",
        description="Write the instructors' dashboard for one assignment as a "
        "self-contained HTML file (works offline).",
    )
    p.add_argument(
        "course_dir", help="the nbgrader course folder (holds nbgrader_config.py, results/)"
    )
    p.add_argument(
        "--assignment", "-a", help="assignment name; optional when the course has only one"
    )
    p.add_argument(
        "--out", "-o", default=str(DEFAULT_OUT), help=f"output file (default: {DEFAULT_OUT})"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "dashboard":
        argv = argv[1:]
    args = _parser().parse_args(argv)
    try:
        assignment = args.assignment
        if not assignment:
            known = list_assignments(args.course_dir)
            if len(known) != 1:
                raise DashboardError(
                    f"{args.course_dir} has {len(known)} assignments ({', '.join(known) or 'none'}); "
                    "choose one with --assignment NAME"
                )
            assignment = known[0]
        out = build_dashboard(args.course_dir, assignment, args.out)
    except DashboardError as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
