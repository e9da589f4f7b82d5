"""Command line: ``python -m autograder {grade,demo,dashboard} ...``.

python -m autograder grade exercises --assignment modules [--workers N] [--import subs.zip]
python -m autograder demo build/demo-course [--library torch] [--quick]
python -m autograder dashboard build/demo-course --assignment modules [--out report.html]
python -m autograder clusters build/demo-course --assignment modules
python -m autograder similarity build/demo-course --assignment modules [--threshold 0.8]
"""

from __future__ import annotations

import argparse
import sys


def _grade_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("course", help="nbgrader course folder (holds nbgrader_config.py and source/)")
    p.add_argument("--assignment", default="modules")
    p.add_argument(
        "--workers", type=int, default=None, help="grading processes (default: number of cores)"
    )
    p.add_argument(
        "--student", action="append", help="grade (again) only this student (repeatable)"
    )
    p.add_argument(
        "--import",
        dest="import_from",
        metavar="FOLDER_OR_ZIP",
        help="first copy <student>.ipynb files from a folder or zip into submitted/",
    )
    p.add_argument("--sandbox", choices=["auto", "bwrap", "unsandboxed"], default="auto")
    p.add_argument(
        "--runner",
        choices=["fork", "separate"],
        default="fork",
        help="fork: one sandbox per submission, a forked process per part (default); "
        "separate: a sandbox per part",
    )
    p.add_argument("--part-timeout", type=float, default=None, help="seconds per part (default 20)")
    p.add_argument(
        "--memory-mb", type=int, default=None, help="memory limit per part (default 2048)"
    )
    p.add_argument(
        "--dask-scheduler",
        metavar="tcp://host:port",
        help="grade on a Dask cluster instead of local processes",
    )
    p.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again (default: only those not yet graded, or changed since)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no k/N, rate and time left on stderr"
    )


def cmd_grade(a: argparse.Namespace) -> int:
    from .batch import grade_course

    limits = {}
    if a.part_timeout:
        limits["part_seconds"] = a.part_timeout
    if a.memory_mb:
        limits["memory_mb"] = a.memory_mb
    executor = None
    if a.dask_scheduler:
        from .distributed import make_executor  # lazy: dask is only needed here

        executor = make_executor(a.dask_scheduler)
    try:
        results = grade_course(
            a.course,
            a.assignment,
            workers=a.workers,
            executor=executor,
            students=a.student,
            import_from=a.import_from,
            sandbox_kind=a.sandbox,
            runner=a.runner,
            limits=limits,
            feedback=not a.no_feedback,
            progress=not a.no_progress,
            regrade=True if a.regrade else None,
        )
    except KeyboardInterrupt:  # grade_course said what is recorded; the same command resumes
        return 130
    finally:
        if executor is not None:
            executor.shutdown()
    return 0 if results is not None else 1


def cmd_demo(a: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(a.dir, workers=a.workers, library=a.library, quick=a.quick)
    return 0


def cmd_dashboard(argv: list[str]) -> int:
    from .dashboard.cli import main  # lazy: written and owned by the dashboard

    return main(argv) or 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["dashboard"]:
        return cmd_dashboard(argv[1:])
    if argv[:1] == ["similarity"]:
        from .similarity import main as similarity_main

        return similarity_main(argv[1:])
    if argv[:1] == ["clusters"]:
        from .clusters import main as clusters_main

        return clusters_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("grade", help="grade every submission of an assignment")
    _grade_args(g)
    d = sub.add_parser("demo", help="build a demo course, grade sample submissions, print a table")
    d.add_argument("dir")
    d.add_argument("--workers", type=int, default=None)
    d.add_argument(
        "--library",
        choices=["d2lmods", "torch"],
        default=None,
        help="the course's library (default: exercises/nbgrader_config.py's); torch: the PyTorch "
        "edition, skipped with a message when torch is not installed",
    )
    d.add_argument(
        "--quick", action="store_true", help="a few samples per assignment instead of all"
    )
    sub.add_parser("dashboard", help="instructor dashboard (see: dashboard --help)")
    sub.add_parser(
        "similarity", help="pairs of near-identical submissions (see: similarity --help)"
    )
    sub.add_parser(
        "clusters", help="wrong answers grouped, with ids to comment on (see: clusters --help)"
    )
    a = ap.parse_args(argv)
    return {"grade": cmd_grade, "demo": cmd_demo}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
