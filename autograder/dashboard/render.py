"""HTML for the dashboard: one fragment per view, assembled into a self-contained page.

The same fragments fill the tabs of the live ipywidgets dashboard, so both
show identical numbers. Charts are SVG embedded as ``data:`` images; the page
loads nothing from the network.

>>> from autograder.dashboard.data import load_assignment           # doctest: +SKIP
>>> html = render_page(load_assignment("build/demo-course", "modules"))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import math
import os
import statistics
from html import escape
from pathlib import Path
from string import Template

from ..results import Category
from . import charts
from .data import CATEGORY_PHRASES, FLAG_LABELS, AssignmentData, StudentRecord, anonymise

_TEMPLATE = Path(__file__).with_name("template.html")


def _img(svg: str | None, alt: str, cls: str = "chart") -> str:
    if svg is None:
        return f'<p class="empty">{escape(alt)}: nothing to plot yet.</p>'
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="{cls}" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "–"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x)}"


def _table(
    headers: list[str], rows: list[list[str]], cls: str, row_attrs: list[str] | None = None
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, cells in enumerate(rows):
        attrs = f" {row_attrs[i]}" if row_attrs else ""
        body.append(f"<tr{attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


def summary_view(data: AssignmentData, link_base: Path | None = None) -> str:
    s = data.score_summary()
    top = data.max_score
    enrolled = len(data.students)
    manual = sum(1 for r in data.submitted if r.needs_manual_grade)
    cards = [
        ("students", str(enrolled)),
        ("submitted", str(len(data.submitted))),
        ("auto-graded", str(len(data.graded))),
        ("no submission", str(enrolled - len(data.submitted))),
        ("awaiting manual grading", str(manual)),
        ("mean score", f"{_fmt(s['mean'])} / {_fmt(top)}" if s["mean"] is not None else "–"),
        ("median score", _fmt(s["median"])),
        ("not graded yet", _pending(data)),
        ("flagged", str(len(data.flagged()))),
    ]
    html = (
        '<div class="cards">'
        + "".join(
            f'<div class="card" data-metric="{escape(k)}"><div class="value">{escape(v)}</div>'
            f'<div class="label">{escape(k)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )
    if not data.students:
        html += (
            '<p class="empty">Nobody is enrolled and nothing was submitted yet. Add students with '
            "<code>nbgrader db student add</code>, collect submissions and grade them; this page "
            "fills in as results arrive.</p>"
        )
    for w in data.warnings:
        html += f'<p class="warning">{escape(w)}</p>'
    return html


def _pending(data: AssignmentData) -> str:
    """Points of the hand-graded cells still waiting for a person (the mean counts them as 0)."""
    pending = [
        sum(c.max_score for c in r.cells.values() if c.needs_manual_grade) for r in data.submitted
    ]
    pending = [p for p in pending if p]
    if not pending:
        return "–"
    return (
        f"+{_fmt(max(pending))} points for {len(pending)} student{'s' if len(pending) != 1 else ''}"
    )


def scores_view(data: AssignmentData, link_base: Path | None = None) -> str:
    overall = [r.score for r in data.students if r.scored and r.score is not None]
    top = data.max_score or 0.0
    parts = data.part_distributions()
    out = _img(charts.score_histogram(overall, top, "Overall score"), "Histogram of overall scores")
    out += _img(charts.part_histograms(parts), "Histograms of scores per part")
    rows = []
    for name, (values, part_top) in parts.items():
        rows.append(
            [
                escape(name),
                str(len(values)),
                _fmt(part_top),
                _fmt(statistics.fmean(values)) if values else "–",
                _fmt(sum(1 for v in values if v >= part_top) / len(values) * 100, 1) + "%"
                if values
                else "–",
            ]
        )
    if rows:
        out += _table(["part", "scored", "max", "mean", "full marks"], rows, "parts")
    return out


def checks_view(data: AssignmentData, link_base: Path | None = None) -> str:
    stats = data.check_stats()
    if not stats:
        return '<p class="empty">No graded submissions yet, so no checks to report.</p>'
    out = _img(
        charts.pass_rates(
            [f"{c.part}: {c.name}" for c in stats],
            [c.pass_rate for c in stats],
            [c.attempts for c in stats],
        ),
        "Pass rate per check",
    )
    rows = []
    for c in stats:
        other = ", ".join(f"{k} {v}" for k, v in sorted(c.statuses.items()) if k != "passed")
        # every check here is one of the grader's hidden checks; Gradescope's "visible" only means
        # that the student sees its result in the feedback
        rows.append(
            [
                escape(c.part),
                escape(c.name),
                "hidden",
                str(c.passed),
                str(c.attempts),
                f"{100 * c.pass_rate:.0f}%",
                escape(other),
            ]
        )
    attrs = [f'data-check="{escape(c.part)}/{escape(c.check)}"' for c in stats]
    return out + _table(
        ["part", "check", "kind", "passed", "graded", "pass rate", "other outcomes"],
        rows,
        "checks",
        attrs,
    )


def failures_view(data: AssignmentData, link_base: Path | None = None, limit: int = 12) -> str:
    from ..clusters import NON_ATTEMPTS

    every = data.failure_categories()
    if not every:
        return '<p class="empty">No failed checks among the graded submissions.</p>'
    # crashes, stubs and missing cells say nothing about misconceptions: listed apart, below
    cats = [c for c in every if Category.parse(c.label) not in NON_ATTEMPTS][:limit]
    apart = [c for c in every if Category.parse(c.label) in NON_ATTEMPTS]
    out = "" if cats else '<p class="empty">No misconceptions among the failed checks.</p>'
    if cats:
        out += _img(
            charts.category_counts([c.phrase or c.label for c in cats], [c.students for c in cats]),
            "Students per failure category",
        )
    items = []
    for c in cats:
        who = "student" if c.students == 1 else "students"
        shown = ", ".join(c.checks[:4]) + (
            f" and {len(c.checks) - 4} more" if len(c.checks) > 4 else ""
        )
        said = (
            f" {escape(c.phrase)} <code>{escape(c.label)}</code>"
            if c.phrase
            else f": {escape(c.label)}"
        )
        items.append(
            f'<li data-category="{escape(c.label)}"><strong>{c.students} {who}</strong>{said}'
            f'<div class="checks">checks: {escape(shown)}</div>'
            + (f"<blockquote>{escape(c.example)}</blockquote>" if c.example else "")
            + "</li>"
        )
    out += '<ol class="failures">' + "".join(items) + "</ol>" if items else ""
    if apart:
        out += (
            '<h3>Not attempted, crashed or held</h3><ul class="non-attempts">'
            + "".join(
                f'<li data-category="{escape(c.label)}">{c.students} '
                f"{'student' if c.students == 1 else 'students'} {escape(c.phrase or c.label)}</li>"
                for c in apart
            )
            + "</ul>"
        )
    return out


def clusters_view(data: AssignmentData, link_base: Path | None = None, limit: int = 30) -> str:
    from ..clusters import comments_path

    found = data.clusters()
    if not found:
        return '<p class="empty">No wrong answers to group.</p>'
    items = []
    for c in [c for c in found if not c.non_attempt][:limit]:
        who = "student" if len(c.students) == 1 else "students"
        phrase = CATEGORY_PHRASES.get(Category.parse(c.main_category)) or c.main_category
        others = ", ".join(escape(s) for s in c.students[1:8]) + (
            " ..." if len(c.students) > 8 else ""
        )
        items.append(
            f'<li data-cluster="{escape(c.id)}"><strong>{len(c.students)} {who}: {escape(phrase)}</strong>'
            f' <span class="checks">({escape(c.part)}, -{_fmt(c.lost)} points, cluster '
            f'<code>{escape(c.id)}</code>)</span><div class="checks">representative: '
            f'<a href="#student-{escape(c.representative)}">{escape(c.representative)}</a>'
            + (f"; also {others}" if others else "")
            + "</div>"
            + f"<blockquote>{escape(anonymise(c.example, data._identities(), data.course_dir))}</blockquote>"
            + (f'<div class="comment">comment: {escape(c.comment)}</div>' if c.comment else "")
            + "</li>"
        )
    rest = sum(len(c.students) for c in found if c.non_attempt)
    path = comments_path(data.course_dir, data.assignment)
    return (
        '<ol class="failures">'
        + "".join(items)
        + "</ol>"
        + (
            f"<p>Not attempted or crashed: {rest} part submissions (see Common mistakes).</p>"
            if rest
            else ""
        )
        + '<p class="checks">To comment on a cluster, add '
        '<code>"&lt;cluster id&gt;": "&lt;comment&gt;"</code> to '
        f"<code>{escape(str(path))}</code> and grade again: the comment reaches every member's feedback.</p>"
    )


def similarity_view(data: AssignmentData, link_base: Path | None = None, limit: int = 50) -> str:
    from ..similarity import THRESHOLD, course_pairs

    pairs = course_pairs(data.course_dir, data.assignment)
    if not pairs:
        return f'<p class="empty">No pair of submissions scores {THRESHOLD:g} or more.</p>'
    rows = [
        [
            f'<a href="#student-{escape(p.a)}">{escape(p.a)}</a>',
            f'<a href="#student-{escape(p.b)}">{escape(p.b)}</a>',
            _fmt(p.score),
            escape(", ".join(f"{k} {v:.2f}" for k, v in p.parts.items())),
        ]
        for p in pairs[:limit]
    ]
    more = f"<p>... and {len(pairs) - limit} more pairs.</p>" if len(pairs) > limit else ""
    return (
        f"<p>{len(pairs)} pairs whose solution cells are near-identical once names, formatting, comments and "
        f"docstrings are set aside (winnowed fingerprints of the syntax tree; code from the release never "
        f"counts). A score is a share of fingerprints in common, 1 = the same code.</p>"
        + _table(
            ["student", "student", "score", "per part"],
            rows,
            "similarity",
            [f'data-pair="{escape(p.a)}~{escape(p.b)}"' for p in pairs[:limit]],
        )
        + more
    )


def flags_view(data: AssignmentData, link_base: Path | None = None) -> str:
    flagged = data.flagged()
    counts = data.flag_counts()
    if not flagged:
        return '<p class="empty">No submission was flagged.</p>'
    summary = ", ".join(f"{FLAG_LABELS.get(f, f)}: {n}" for f, n in counts.most_common())
    rows = []
    for r in flagged:
        parts = r.result.parts if r.result else {}
        bad = ", ".join(
            f"{p} ({v.status})" + (": " + "; ".join(v.review) if v.review else "")
            for p, v in parts.items()
            if v.status != "ok"
        )
        rows.append(
            [
                f'<a href="#student-{escape(r.student)}">{escape(r.student)}</a>',
                escape(", ".join(FLAG_LABELS.get(f, f) for f in r.flags)),
                escape(bad) or "–",
                _fmt(r.score),
            ]
        )
    return f"<p>{escape(summary)}</p>" + _table(
        ["student", "flags", "parts affected", "score"],
        rows,
        "flags",
        [f'data-student="{escape(r.student)}"' for r in flagged],
    )


def _link(path: Path | None, link_base: Path | None, text: str) -> str:
    if path is None:
        return "–"
    href = os.path.relpath(path, link_base) if link_base else path.as_uri()
    return f'<a href="{escape(href)}">{escape(text)}</a>'


# Above this many students the page links each results file instead of inlining it, so a
# class of thousands still gives a page a browser opens quickly (each file is ~10 kB).
INLINE_JSON_LIMIT = 150


def student_detail(
    r: StudentRecord, link_base: Path | None = None, inline_json: bool = True
) -> str:
    """A student's grade cells, the checks they did not pass, their results JSON and feedback link."""
    bits = [
        f"<p>feedback: {_link(r.feedback_path, link_base, 'open feedback')}"
        f" · results file: {_link(r.result_path, link_base, r.result_path.name if r.result_path else '')}</p>"
    ]
    if r.problem:
        bits.append(f'<p class="warning">{escape(r.problem)}</p>')
    if r.cells:
        bits.append(
            _table(
                ["grade cell", "score", "max", "needs manual grade"],
                [
                    [
                        escape(c.name),
                        _fmt(c.score),
                        _fmt(c.max_score),
                        "yes" if c.needs_manual_grade else "",
                    ]
                    for c in r.cells.values()
                ],
                "cells",
            )
        )
    missed = [t for t in r.tests if not t.passed]
    if missed:
        bits.append(
            _table(
                ["part", "check", "status", "points", "message"],
                [
                    [
                        escape(t.part),
                        escape(t.name),
                        escape(t.outcome),
                        f"{_fmt(t.score)} / {_fmt(t.max_score)}",
                        escape(t.output)[:600],
                    ]
                    for t in missed
                ],
                "missed",
            )
        )
    if r.result is not None and inline_json:
        bits.append(
            f"<pre>{escape(json.dumps(r.result.to_json(), indent=2, ensure_ascii=False))}</pre>"
        )
    elif r.result is None and not r.submitted:
        bits.append("<p>No submission.</p>")
    elif r.result is None:
        bits.append("<p>Submitted, not auto-graded yet.</p>")
    return "".join(bits)


def students_view(data: AssignmentData, link_base: Path | None = None) -> str:
    if not data.students:
        return '<p class="empty">No students yet.</p>'
    parts = list(data.part_max)
    inline = len(data.students) <= INLINE_JSON_LIMIT
    headers = (
        ["student", "name", "status", "score", "max"] + parts + ["flags", "grading s", "details"]
    )
    rows, attrs = [], []
    for r in data.students:
        status = "graded" if r.graded else "submitted" if r.submitted else "no submission"
        if r.needs_manual_grade:
            status += ", needs manual grade"
        ps = r.part_scores
        rows.append(
            [
                f'<span id="student-{escape(r.student)}">{escape(r.student)}</span>',
                escape(r.name),
                escape(status),
                f'<span class="score">{_fmt(r.score)}</span>',
                _fmt(r.max_score),
            ]
            + [_fmt(ps.get(p)) for p in parts]
            + [
                escape(", ".join(r.flags)),
                _fmt(r.grading_seconds, 1),
                f"<details><summary>open</summary>{student_detail(r, link_base, inline)}</details>",
            ]
        )
        attrs.append(f'data-student="{escape(r.student)}" data-status="{escape(status)}"')
    return _table(headers, rows, "students", attrs)


def timing_view(data: AssignmentData, link_base: Path | None = None) -> str:
    seconds = [r.grading_seconds for r in data.graded if r.grading_seconds is not None]
    if not seconds:
        return '<p class="empty">No grading times recorded yet.</p>'
    phase_values: dict[str, list[float]] = {}
    for r in data.graded:
        for k, v in r.timings.items():
            phase_values.setdefault(k, []).append(v)
    phases = {k: statistics.fmean(v) for k, v in phase_values.items()}
    sandboxes = sorted({r.result.sandbox for r in data.graded})
    qs = sorted(seconds)
    p95 = qs[min(len(qs) - 1, int(round(0.95 * (len(qs) - 1))))]
    rows = [
        ["submissions timed", str(len(seconds))],
        ["median seconds", _fmt(statistics.median(seconds))],
        ["95th percentile", _fmt(p95)],
        ["slowest", _fmt(max(seconds))],
        ["total seconds", _fmt(sum(seconds), 1)],
        ["sandbox", escape(", ".join(sandboxes))],
    ]
    rows += [[f"mean {escape(k)} s", _fmt(v, 3)] for k, v in phases.items()]
    return _img(charts.grading_time(seconds, phases), "Grading time per submission") + _table(
        ["measure", "value"], rows, "timing"
    )


VIEWS = [
    ("summary", "Summary", summary_view),
    ("scores", "Score distribution", scores_view),
    ("checks", "Checks", checks_view),
    ("failures", "Common mistakes", failures_view),
    ("clusters", "Answer clusters", clusters_view),
    ("similarity", "Similar submissions", similarity_view),
    ("flags", "Flagged submissions", flags_view),
    ("students", "Students", students_view),
    ("timing", "Grading time", timing_view),
]


def render_page(data: AssignmentData, out_path: Path | None = None) -> str:
    """The whole dashboard as one HTML document; links are relative to ``out_path``'s folder."""
    base = out_path.resolve().parent if out_path else None
    sections = []
    for key, title, view in VIEWS:
        body = view(data, base)
        sections.append(f'<section id="{key}"><h2>{escape(title)}</h2>{body}</section>')
    nav = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t, _ in VIEWS)
    return Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=escape(f"{data.course_id} · {data.assignment}"),
        course=escape(data.course_id),
        assignment=escape(data.assignment),
        nav=nav,
        sections="\n".join(sections),
        source=escape(
            f"gradebook: {_safe_url(data.db_url)}; results: {data.course_dir / 'results' / data.assignment}"
        ),
    )


def _safe_url(url: str | None) -> str:
    import re

    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url or "none")
