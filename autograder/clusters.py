"""Answer clusters: wrong answers to a part that fail the same checks with the same observations.

Two students are in one cluster of a part when the same checks of that part failed, in the same
category, with the same message (the judges' messages are built from what the probe observed, so
equal messages mean equal observations).  A cluster's id depends only on that signature, so it is
the same in every grading run and can be computed for one submission alone: that is how an
instructor's comment on a cluster reaches each member's feedback.

Comments live in ``<course>/comments/<assignment>.json``, a JSON object ``{cluster id: comment}``;
``python -m autograder clusters <course> --assignment A`` lists the ids, and the next grading run
writes each comment into the feedback of every member of its cluster.

    >>> from autograder.results import Category, PartResult, Status, TestResult
    >>> t = TestResult("tied_forward", "tied", "tied_params", 0.0, 1.0, Status.FAILED, "untied",
    ...                Category.NOT_TIED)
    >>> part_cluster(PartResult("tied_params", 3.0, Status.OK, [t]))
    'tied_params-ae2219e5'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .results import Category, PartResult, SubmissionResult

#: Failures that say the part was not really attempted (or never ran): clustered apart.
NON_ATTEMPTS = frozenset(
    {
        Category.NOT_IMPLEMENTED,
        Category.NO_SOLUTION,
        Category.CRASH,
        Category.TIMEOUT,
        Category.MEMORY_LIMIT,
        Category.MISSING_NAME,
        Category.HELD_FOR_REVIEW,
    }
)
MAX_COMMENTS_BYTES = 256 * 1024
MAX_COMMENT_CHARS = 2000


def signature(part: PartResult) -> tuple | None:
    """What a wrong answer to ``part`` looks like: its failed checks, categories and messages
    (None for a part that passed every check or is held for review)."""
    if part.held:
        return None
    failed = tuple(
        sorted(
            (t.check, str(t.category), " ".join(t.output.split())[:400])
            for t in part.tests
            if not t.passed
        )
    )
    return failed or None


def cluster_id(part: str, sig: tuple) -> str:
    return f"{part}-{hashlib.sha1(repr(sig).encode()).hexdigest()[:8]}"


def part_cluster(part: PartResult) -> str | None:
    """The id of the cluster this part's answer belongs to (None when it is right)."""
    sig = signature(part)
    return None if sig is None else cluster_id(part.part, sig)


@dataclass
class Cluster:
    """One kind of wrong answer to one part, and who gave it."""

    id: str
    part: str
    categories: list[str]
    students: list[str] = field(default_factory=list)
    example: str = ""  # the first failing message
    lost: float = 0.0  # points each member lost on the part
    comment: str = ""

    @property
    def representative(self) -> str:
        return self.students[0] if self.students else ""

    @property
    def non_attempt(self) -> bool:
        return all(Category.parse(c) in NON_ATTEMPTS for c in self.categories)

    @property
    def main_category(self) -> str:
        return self.categories[0] if self.categories else ""


def find_clusters(
    results: Iterable[SubmissionResult], comments: dict[str, str] | None = None
) -> list[Cluster]:
    """Every cluster among ``results``: misconceptions first, then non-attempts; larger first."""
    found: dict[str, Cluster] = {}
    for r in sorted(results, key=lambda r: r.student):
        for name, part in r.parts.items():
            sig = signature(part)
            if sig is None:
                continue
            cid = cluster_id(name, sig)
            c = found.get(cid)
            if c is None:
                failing = sorted(
                    (t for t in part.tests if not t.passed), key=lambda t: -t.max_score
                )
                cats = list(dict.fromkeys(str(t.category) for t in failing))
                c = found[cid] = Cluster(
                    cid,
                    name,
                    cats,
                    example=failing[0].output if failing else "",
                    lost=round(part.max_score - part.score, 4),
                    comment=(comments or {}).get(cid, ""),
                )
            c.students.append(r.student)
    return sorted(found.values(), key=lambda c: (c.non_attempt, -len(c.students), c.part, c.id))


def comments_path(course_root: str | Path, assignment: str) -> Path:
    return Path(course_root) / "comments" / f"{assignment}.json"


def read_comments(course_root: str | Path, assignment: str) -> dict[str, str]:
    """The instructor's comments by cluster id (a missing or unreadable file gives none)."""
    path = comments_path(course_root, assignment)
    try:
        if not path.is_file() or path.stat().st_size > MAX_COMMENTS_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): v.strip()[:MAX_COMMENT_CHARS]
        for k, v in data.items()
        if isinstance(v, str) and v.strip()
    }


def load_results(course_root: str | Path, assignment: str) -> list[SubmissionResult]:
    out = []
    for p in sorted((Path(course_root) / "results" / assignment).glob("*.json")):
        try:
            if p.stat().st_size <= 8 << 20:
                out.append(SubmissionResult.from_json(json.loads(p.read_text())))
        except (OSError, ValueError):
            continue
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder clusters <course> --assignment A``: the clusters, with their ids."""
    ap = argparse.ArgumentParser(prog="python -m autograder clusters", description=main.__doc__)
    ap.add_argument("course")
    ap.add_argument("--assignment", "-a", default="modules")
    a = ap.parse_args(argv)
    comments = read_comments(a.course, a.assignment)
    clusters = find_clusters(load_results(a.course, a.assignment), comments)
    for c in clusters:
        kind = "not attempted / crashed" if c.non_attempt else ", ".join(c.categories)
        print(f"{c.id:<28} {len(c.students):>4} students  -{c.lost:g} pts  {kind}")
        print(f"{'':<28} e.g. {c.representative}: {c.example[:100]}")
        if c.comment:
            print(f"{'':<28} comment: {c.comment[:100]}")
    print(
        f"\n{len(clusters)} clusters; attach a comment to one in {comments_path(a.course, a.assignment)} "
        '(a JSON object {"<cluster id>": "<comment>"}) and grade again: it reaches every member\'s feedback.'
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
