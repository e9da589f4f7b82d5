"""The instructors' dashboard: how the class did on an assignment and what it misunderstood.

Two front ends over the same data and views:

* ``python -m autograder dashboard <course> --assignment modules`` writes a
  self-contained HTML page (:func:`build_dashboard`);
* :func:`show` displays the same views live in Jupyter with ipywidgets.

>>> from autograder.dashboard import build_dashboard
>>> build_dashboard("build/demo-course", "modules", "build/dashboard.html")  # doctest: +SKIP
PosixPath('build/dashboard.html')
"""

from .cli import build_dashboard, main
from .data import AssignmentData, DashboardError, list_assignments, load_assignment

__all__ = [
    "AssignmentData",
    "Dashboard",
    "DashboardError",
    "build_dashboard",
    "list_assignments",
    "load_assignment",
    "main",
    "show",
]


def show(course_dir, assignment=None):
    """Display the live dashboard for ``course_dir`` in a notebook (needs ipywidgets)."""
    from .widget import show as _show

    _show(course_dir, assignment)


def __getattr__(name):
    if name == "Dashboard":  # imported lazily: the CLI must not need ipywidgets
        from .widget import Dashboard

        return Dashboard
    raise AttributeError(name)
