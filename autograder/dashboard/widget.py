"""The dashboard live in Jupyter (and under Voila): the HTML page's views in ipywidgets tabs.

>>> from autograder.dashboard import show
>>> show("build/demo-course")                # doctest: +SKIP

The data is read when the widget is built and again on "Reload", so an
instructor can leave it open while grading runs.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as W

from . import render
from .data import DashboardError, list_assignments, load_assignment

SCOPE = "d2lmods-dashboard"  # CSS class on the widget: the page's styles apply inside it only
_TAB_VIEWS = [(key, title, view) for key, title, view in render.VIEWS if key != "students"]


class Dashboard:
    """Holds the widgets; ``.widget`` is the box to display, ``.reload()`` re-reads the course."""

    def __init__(self, course_dir, assignment: str | None = None, link_base: Path | None = None):
        self.course_dir = Path(course_dir)
        self.link_base = link_base or Path.cwd()  # links resolve against the notebook's folder
        self.data = None
        known = list_assignments(self.course_dir) if self.course_dir.is_dir() else []
        if assignment and assignment not in known:
            known.append(assignment)
        self.assignment = W.Dropdown(
            options=sorted(known),
            value=assignment or (known[0] if known else None),
            description="Assignment",
        )
        self.reload_button = W.Button(description="Reload", icon="refresh")
        self.status = W.HTML()
        self.panes = {key: W.HTML() for key, _, _ in _TAB_VIEWS}
        self.student = W.Dropdown(description="Student", options=[])
        self.student_detail = W.HTML()
        self.students_table = W.HTML()
        students_box = W.VBox([self.student, self.student_detail, self.students_table])
        children = [self.panes[key] for key, _, _ in _TAB_VIEWS]
        titles = [title for _, title, _ in _TAB_VIEWS]
        at = [key for key, _, _ in render.VIEWS].index("students")  # where the page has it
        children.insert(at, students_box)
        titles.insert(at, "Students")
        self.tabs = W.Tab(children=children, titles=titles)
        style = W.HTML(f"<style>{_css()}</style>")
        self.widget = W.VBox(
            [style, W.HBox([self.assignment, self.reload_button]), self.status, self.tabs]
        )
        self.widget.add_class(SCOPE)
        self.reload_button.on_click(lambda _: self.reload())
        self.assignment.observe(lambda _: self.reload(), names="value")
        self.student.observe(lambda _: self._show_student(), names="value")
        self.reload()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def reload(self) -> None:
        if not self.assignment.value:
            self.status.value = (
                f"<p>No assignment found in {self.course_dir}: nothing graded yet. Grade "
                "submissions, then press Reload.</p>"
            )
            for pane in self.panes.values():
                pane.value = ""
            self.students_table.value = ""
            return
        try:
            self.data = load_assignment(self.course_dir, self.assignment.value)
        except DashboardError as exc:
            self.status.value = f'<p class="warning">{exc}</p>'
            return
        d = self.data
        self.status.value = (
            f"<p>Course <b>{d.course_id}</b>: {len(d.students)} students, "
            f"{len(d.submitted)} submitted, {len(d.graded)} auto-graded.</p>"
        )
        for key, _, view in _TAB_VIEWS:
            self.panes[key].value = view(d, self.link_base)
        self.students_table.value = render.students_view(d, self.link_base)
        previous = self.student.value
        self.student.options = [s.student for s in d.students]
        if previous in self.student.options:
            self.student.value = previous
        self._show_student()

    def _show_student(self) -> None:
        if self.data is None or self.student.value is None:
            self.student_detail.value = ""
            return
        rec = next(s for s in self.data.students if s.student == self.student.value)
        self.student_detail.value = render.student_detail(rec, self.link_base)


def _css() -> str:
    """The page's component rules, scoped to the dashboard so the notebook around it keeps its look."""
    text = render._TEMPLATE.read_text(encoding="utf-8")
    css = text[text.index("<style>") + len("<style>") : text.index("</style>")]
    scoped = []
    for line in css.splitlines():
        rule = line.strip()
        if not rule or "{" not in rule or rule.startswith(("body", "header", "nav", "main", "*")):
            continue
        selectors, body = rule.split("{", 1)
        if selectors.strip() == ":root":
            scoped.append(f".{SCOPE} {{{body}")
            continue
        prefixed = ", ".join(f".{SCOPE} {sel.strip()}" for sel in selectors.split(","))
        scoped.append(f"{prefixed} {{{body}")
    return "\n".join(scoped)


def show(course_dir, assignment: str | None = None) -> None:
    """Build the dashboard for ``course_dir`` and display it (use :class:`Dashboard` to keep a handle)."""
    from IPython.display import display

    display(Dashboard(course_dir, assignment).widget)
