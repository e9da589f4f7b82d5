"""The dashboard's charts: matplotlib figures rendered to SVG, never touching pyplot's global state.

Each function returns the SVG text of one labelled chart, or ``None`` when
there is nothing to draw. Using ``matplotlib.figure.Figure`` directly (no
``pyplot``) keeps a notebook's own backend untouched and needs no display.

>>> svg = score_histogram([3.0, 7.5, 10.0], 10.0, "Overall score")
>>> svg.lstrip().startswith("<?xml")
True
"""

from __future__ import annotations

import io
import math

from matplotlib.figure import Figure

PASS = "#2e7d32"
FAIL = "#c62828"
BAR = "#3f6fb5"
GREY = "#9e9e9e"

_STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "path", **_STYLE}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def _score_bins(max_score: float) -> list[float]:
    """Bin edges on the score grid: half points for small assignments, about 20 bins otherwise."""
    if not max_score or max_score <= 0:
        return [0.0, 1.0]
    step = 0.5 if max_score <= 10 else max_score / 20
    n = max(1, int(math.ceil(max_score / step)))
    return [i * step for i in range(n + 1)]


def _histogram_axes(ax, values: list[float], max_score: float, title: str, xlabel: str) -> None:
    bins = _score_bins(max_score)
    clipped = [min(max(v, 0.0), max_score) for v in values]
    ax.hist(clipped, bins=bins, color=BAR, edgecolor="white")
    ax.set_title(f"{title} (n={len(values)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("students")
    ax.set_xlim(0, max_score or 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)


def score_histogram(values: list[float], max_score: float, title: str) -> str | None:
    """Distribution of the overall score."""
    if not values:
        return None
    fig = _figure(6.4, 3.0)
    _histogram_axes(fig.add_subplot(), values, max_score, title, f"score (out of {max_score:g})")
    return _svg(fig)


def part_histograms(parts: dict[str, tuple[list[float], float]]) -> str | None:
    """One small histogram per part, side by side."""
    parts = {k: v for k, v in parts.items() if v[0]}
    if not parts:
        return None
    cols = min(3, len(parts))
    rows = math.ceil(len(parts) / cols)
    fig = _figure(3.2 * cols, 2.6 * rows)
    for i, (name, (values, top)) in enumerate(parts.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        _histogram_axes(ax, values, top, name, f"score (out of {top:g})")
    return _svg(fig)


def pass_rates(labels: list[str], rates: list[float], attempts: list[int]) -> str | None:
    """Horizontal bars: share of graded submissions passing each check (hardest at the top)."""
    if not labels:
        return None
    fig = _figure(7.5, 0.8 + 0.32 * len(labels))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    colours = [PASS if r >= 0.8 else (BAR if r >= 0.5 else FAIL) for r in rates]
    ax.barh(ys, [100 * r for r in rates], color=colours)
    ax.set_yticks(ys, [_short(label, 48) for label in labels])
    for y, r, n in zip(ys, rates, attempts):
        label = f"{100 * r:.0f}% of {n}"
        if r > 0.8:  # no room right of a long bar: write inside it
            ax.text(100 * r - 1, y, label, va="center", ha="right", fontsize=8, color="white")
        else:
            ax.text(100 * r + 1, y, label, va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions passing (%)")
    ax.set_title("Pass rate per check")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def category_counts(labels: list[str], counts: list[int]) -> str | None:
    """Horizontal bars: students per failure category (most common at the top)."""
    if not labels:
        return None
    fig = _figure(7.5, 0.8 + 0.34 * len(labels))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, counts, color=FAIL)
    ax.set_yticks(ys, [_short(label, 52) for label in labels])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("students")
    ax.set_title("Most common mistakes")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def grading_time(seconds: list[float], phases: dict[str, float]) -> str | None:
    """Left: grading seconds per submission. Right: mean seconds spent in each phase."""
    if not seconds:
        return None
    fig = _figure(8.0, 3.0)
    ax = fig.add_subplot(1, 2, 1)
    ax.hist(seconds, bins=min(20, max(5, len(seconds) // 2)), color=BAR, edgecolor="white")
    ax.set_title(f"Grading time per submission (n={len(seconds)})")
    ax.set_xlabel("seconds")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    ax2 = fig.add_subplot(1, 2, 2)
    if phases:
        names = list(phases)
        ax2.bar(names, [phases[n] for n in names], color=GREY)
        ax2.set_ylabel("mean seconds")
        ax2.set_title("Where the time goes")
        ax2.tick_params(axis="x", labelrotation=20)
        ax2.grid(axis="y", alpha=0.3)
    else:
        ax2.axis("off")
        ax2.text(0.5, 0.5, "no per-phase timings recorded", ha="center", va="center")
    return _svg(fig)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
