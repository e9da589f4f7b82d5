"""Jobs that carry their notebook, and batches that resume where they stopped.

A job sent to a worker holds the submission's bytes and the release notebook's bytes (never a
course path: a Dask worker on another machine sees no course), plus the submission's SHA-256 and
timestamp.  The result comes back as data and the parent, the only writer, records it; the
results file keeps that hash and timestamp, so a batch started again after Ctrl-C or a killed
parent grades only the submissions without a results file for the same bytes (graded with the
same library: a course that switches to PyTorch grades everything again)::

    >>> jobs = pending(course, "modules", make_jobs(course, "modules"))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import notebook, safeio

#: Job keys that name files on the parent's machine: never sent to a worker.
LOCAL_KEYS = ("notebook", "release")


def read_capped(path: str | Path) -> tuple[bytes, str | None]:
    """A submission's bytes and, when it is not read, why: a regular file only (no symlink in the
    path, no FIFO or device), its size checked before a byte is read (:mod:`autograder.safeio`)."""
    try:
        return safeio.read_regular(path, notebook.MAX_BYTES), None
    except safeio.UnsafeFile as e:
        return b"", f"not read: {e.strerror}"
    except OSError as e:
        return b"", f"cannot read the notebook: {type(e).__name__}"


def submission_key(data: bytes, timestamp: str) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "timestamp": timestamp or ""}


def wire_job(job: dict, release_bytes: bytes) -> dict:
    """What a worker gets for ``job``: the notebook's and the release's bytes instead of paths."""
    data, problem = read_capped(job["notebook"])
    out = {k: v for k, v in job.items() if k not in LOCAL_KEYS}
    out.update(
        notebook_bytes=data,
        notebook_problem=problem,
        release_bytes=release_bytes,
        sha256=submission_key(data, "")["sha256"],
    )
    return out


def recorded_key(course, assignment: str, student: str) -> dict | None:
    """The submission key kept in ``results/<assignment>/<student>.json``, with the library it was
    graded with (None: no usable file)."""
    try:
        raw = course.results_path(assignment, student).read_bytes()[: 8 << 20]
        extra = json.loads(raw).get("extra_data", {})
        sub = extra.get("submission")
        library = str(extra.get("library") or "d2lmods")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(sub, dict) or not isinstance(sub.get("sha256"), str):
        return None
    return {
        "sha256": sub["sha256"],
        "timestamp": str(sub.get("timestamp") or ""),
        "library": library,
    }


def pending(course, assignment: str, jobs: list[dict], regrade: bool = False) -> list[dict]:
    """The jobs still to grade: no results file yet, or one for other bytes or another timestamp
    (a new submission).  ``regrade``: all of them (``--student ID`` asks for that student again)."""
    if regrade:
        return list(jobs)
    todo = []
    for job in jobs:
        want = submission_key(read_capped(job["notebook"])[0], job.get("timestamp", ""))
        want["library"] = job.get("library") or "d2lmods"
        if recorded_key(course, assignment, job["student"]) != want:
            todo.append(job)
    return todo
