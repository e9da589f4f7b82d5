"""The grader's trusted side against hostile files and numbers (issue 11, host-side findings).

Each test builds what a hostile student (or another account on the grading host) would leave
behind -- a symlink to the instructor's notebook, a FIFO, a sparse giant, a cache folder made
first, a damaged zip, a folder named ``bob\\n``, a ``<script>`` in the written answer, numbers no
JSON parser accepts -- and states what the grader must do instead.
"""

import hmac
import json
import math
import os
import stat
import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder import batch, notebook, parts, pipeline, safeio, sandbox
from autograder.course import Course, copy_course
from autograder.demo import EXERCISES
from autograder.results import Flag, Status, SubmissionResult

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making files of another uid needs root")
needs_bwrap = pytest.mark.skipif(
    not sandbox.bwrap_usable(), reason="bubblewrap is not installed or not usable"
)
OTHER_UID = 4242


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    c = Course(copy_course(EXERCISES, tmp_path_factory.mktemp("hardening") / "course"))
    c.generate("modules")
    return c


def _submit(course: Course, sid: str) -> Path:
    d = course.root / "submitted" / sid / "modules"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _job(course: Course, sid: str, path: Path, **extra) -> dict:
    return {
        "student": sid,
        "assignment": "modules",
        "notebook": str(path),
        "release": str(course.release_notebook("modules")),
        "sandbox": "auto",
        "feedback": course.feedback_rel("modules", sid),
        **extra,
    }


def _within(seconds: float, fn, *args):
    """``fn(*args)`` in a daemon thread: its value, or a test failure if it is still running."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 -- reported below
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def _release_with(course: Course, **sources) -> bytes:
    nb = json.loads(course.release_notebook("modules").read_text())
    for cell in nb["cells"]:
        gid = notebook.grade_id(cell)
        if gid in sources:
            cell["source"] = sources[gid]
    return json.dumps(nb).encode()


# -- the warm numba cache ----------------------------------------------------------------------
@needs_root
def test_numba_cache_made_first_by_another_account_is_never_loaded(tmp_path, monkeypatch):
    planted = tmp_path / "d2lmods-grader-numba-0-planted"
    planted.mkdir(mode=0o777)
    (planted / "payload.nbi").write_bytes(b"\x80\x04cos\nsystem\n.")  # a numba index is a pickle
    os.chown(planted, OTHER_UID, OTHER_UID)
    os.chown(planted / "payload.nbi", OTHER_UID, OTHER_UID)
    with pytest.raises(safeio.UnsafeDir):
        batch.warm_numba_cache({}, str(planted))
    monkeypatch.setattr(batch, "numba_cache_dir", lambda: str(planted))
    logged = []
    chosen = batch.numba_cache(logged.append)
    assert chosen != str(planted) and "not using the numba cache" in logged[0]
    st = os.lstat(chosen)
    assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o700
    os.rmdir(chosen)


@needs_root
def test_a_job_never_copies_a_cache_someone_else_can_write(tmp_path):
    planted = tmp_path / "cache"
    planted.mkdir(mode=0o700)
    (planted / "index.nbi").write_bytes(b"pickle")
    os.chown(planted / "index.nbi", OTHER_UID, OTHER_UID)
    sandbox._copy_cache(str(planted), tmp_path / "job-numba", None)
    assert list((tmp_path / "job-numba").iterdir()) == []
    os.chown(planted / "index.nbi", 0, 0)
    sandbox._copy_cache(str(planted), tmp_path / "job-numba2", None)
    assert [p.name for p in (tmp_path / "job-numba2").iterdir()] == ["index.nbi"]


def test_numba_cache_refuses_symlinks_and_foreign_files_inside(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(safeio.UnsafeDir, match="symlink"):
        safeio.own_private_dir(tmp_path / "link")
    (real / "sub").mkdir()
    (real / "sub" / "index.nbi").write_bytes(b"x")
    os.chmod(real / "sub" / "index.nbi", 0o666)
    with pytest.raises(safeio.UnsafeDir, match="writable by others"):
        safeio.own_private_dir(real)
    os.chmod(real / "sub" / "index.nbi", 0o644)
    os.chmod(real, 0o755)  # ours and only readable by others: accepted, then closed
    assert safeio.own_private_dir(real) == str(real)
    assert stat.S_IMODE(os.lstat(real).st_mode) == 0o700


# -- files in the student's folder ---------------------------------------------------------------
def test_symlink_to_the_instructors_notebook_gets_nothing_and_leaks_nothing(course, tmp_path):
    d = _submit(course, "mallory")
    (d / "modules.ipynb").symlink_to(course.source_notebook("modules"))
    secret = tmp_path / "root-only.txt"
    secret.write_text("SECRET-FIRST-LINE\n")
    os.chmod(secret, 0o600)
    (d / "timestamp.txt").symlink_to(secret)
    ((sid, path, ts),) = [e for e in course.submitted("modules") if e[0] == "mallory"]
    assert ts == ""
    job = _job(course, sid, path, timestamp=ts)
    result = _within(120, pipeline.grade_submission, job)
    assert result.score == 0 and Flag.INVALID_NOTEBOOK in result.flags
    assert "symlink" in result.extra["problem"]
    course.record(result, job)
    graded = (course.root / "autograded" / "mallory" / "modules" / "modules.ipynb").read_text()
    assert "BEGIN SOLUTION" not in graded and "add_module(str(" not in graded
    assert "SECRET" not in json.dumps(result.to_json()) and "SECRET" not in graded


def test_a_symlinked_student_folder_is_refused(course, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "modules.ipynb").write_bytes(course.source_notebook("modules").read_bytes())
    (course.root / "submitted" / "trudy").mkdir(parents=True)
    (course.root / "submitted" / "trudy" / "modules").symlink_to(elsewhere)
    assert "trudy" not in [s for s, _, _ in course.submitted("modules")]
    assert ("trudy", "the folder is a symlink") in course.rejected
    sub = notebook.read_submission(
        course.root / "submitted" / "trudy" / "modules" / "modules.ipynb"
    )
    assert sub.cells is None and "symlink" in sub.problem


def test_a_fifo_as_the_notebook_does_not_hang_the_batch(course):
    d = _submit(course, "fifo")
    os.mkfifo(d / "modules.ipynb")
    result = _within(60, pipeline.grade_submission, _job(course, "fifo", d / "modules.ipynb"))
    assert result.score == 0 and Flag.INVALID_NOTEBOOK in result.flags
    assert "not a regular file" in result.extra["problem"]


def test_dev_zero_behind_a_symlink_is_not_read(course):
    d = _submit(course, "zero")
    (d / "modules.ipynb").symlink_to("/dev/zero")
    result = _within(60, pipeline.grade_submission, _job(course, "zero", d / "modules.ipynb"))
    assert result.score == 0 and Flag.INVALID_NOTEBOOK in result.flags


def test_a_sparse_giant_is_refused_before_a_byte_is_read(course):
    d = _submit(course, "sparse")
    with open(d / "modules.ipynb", "wb") as f:
        f.truncate(3 << 29)  # 1.5 GiB of holes
    tracemalloc.start()
    try:
        result = _within(60, pipeline.grade_submission, _job(course, "sparse", d / "modules.ipynb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert Flag.INVALID_NOTEBOOK in result.flags and "larger than" in result.extra["problem"]
    assert peak < 64 << 20


def test_bounded_reader_refuses_growth_and_devices(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"x" * 100)
    assert safeio.read_regular(p, 100) == b"x" * 100
    with pytest.raises(safeio.UnsafeFile, match="larger"):
        safeio.read_regular(p, 99)
    with pytest.raises(safeio.UnsafeFile, match="not a regular file"):
        safeio.read_regular("/dev/null", 10)


def test_notebook_json_is_capped_in_cells_and_nesting():
    many = json.dumps(
        {"cells": [{"cell_type": "code", "source": ""}] * (notebook.MAX_CELLS + 1)}
    ).encode()
    assert notebook.read_notebook(many).flags == ["invalid_notebook"]
    deep = b"[" * 200_000 + b"]" * 200_000
    assert notebook.read_notebook(deep).flags == ["invalid_notebook"]


# -- the IPython transform ----------------------------------------------------------------------
# IPython re-tokenizes the whole cell once per magic: ~250 KB like this took minutes per part
SLOW_CELL = "%time x\n" * 490 + "y = 1\n" * 40_000


@needs_bwrap
def test_the_ipython_transform_runs_in_the_sandbox_under_its_limits(course):
    d = _submit(course, "slowcell")
    (d / "modules.ipynb").write_bytes(_release_with(course, my_sequential=SLOW_CELL))
    job = _job(
        course, "slowcell", d / "modules.ipynb", limits={"cpu_seconds": 2, "part_seconds": 20}
    )
    result = _within(90, pipeline.grade_submission, job)
    assert result.parts["my_sequential"].score == 0
    assert result.extra["transform"] == "timeout"
    ok, status = notebook.to_python_sandboxed(
        {"a": "%time x = 1\n!ls\n"}, sandbox.Limits(part_seconds=30)
    )
    assert status == "ok" and "get_ipython()" in ok["a"]


# -- numbers and shapes from the sandbox -------------------------------------------------------
# The old channel: the cell writes the observations file itself and leaves.  Nothing reads
# ``out.json`` any more (the report comes back signed on a pipe), so this gets nothing.
OWN_OUT_JSON = """
import json, os, sys
with open(os.path.join(sys.argv[2] if len(sys.argv) > 2 else '.', 'out.json'), 'w') as f:
    f.write('{"part": "my_sequential", "exec": {"ok": true}, "probes": [1, 2], '
            '"timings": {"total": Infinity, "exec": NaN, "checks": 1%s}}' % ('0' * 400))
os._exit(0)
"""


@needs_bwrap
def test_a_cell_writing_its_own_observations_file_gets_nothing(course):
    d = _submit(course, "shapes")
    (d / "modules.ipynb").write_bytes(
        _release_with(
            course, my_sequential=OWN_OUT_JSON, parallel_module=OWN_OUT_JSON, factory=OWN_OUT_JSON
        )
    )
    job = _job(course, "shapes", d / "modules.ipynb")
    result = pipeline.grade_submission(job)
    assert result.score == 0
    assert all(
        p.status in (Status.CRASH, Status.HELD) and p.held_score == 0 for p in result.parts.values()
    )
    assert all(math.isfinite(v) and 0 <= v <= 1e5 for v in result.extra["timings"].values())
    course.record(result, job)
    text = (course.root / "results" / "modules" / "shapes.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in a results file"))


def _signed(key: bytes, records) -> bytes:
    """A report as the probe writes it (json.dumps writes Infinity and NaN, as the probe may)."""
    out = b""
    for seq, (kind, name, value) in enumerate(records, 1):
        payload = json.dumps([seq, kind, name, value]).encode()
        out += hmac.new(key, payload, "sha256").hexdigest().encode() + b" " + payload + b"\n"
    return out


# what a forger holding the key could send: the right kinds of record with absurd contents ...
ABSURD = [
    ("part", "part", "x"),
    ("exec", "exec", {"ok": True}),
    ("probe", "build", [1, 2]),
    ("probe", "children", [[[1], [2]], [{"a": 1}, None], "x"]),
    ("probe", "forward", {"y": [float("inf"), float("nan")], "log": 10**400}),
    ("probe", "state_dict", float("nan")),
    ("probe", "case_0", {"claims": {"modules": [[1]]}}),
    ("probe", "factory", {"claims": [1]}),
    ("probe", "zero", [1]),
    ("probe", "x" * 10_000, 10**400),
    ("integrity", "integrity", {"events": "abc", "overrides": 5, "patched": {"a": 1}}),
    ("done", "timings", {"total": float("inf"), "exec": float("nan"), "checks": 10**400, "n": -1}),
]
# ... and records of shapes the probe never sends
WRONG_SHAPES = [
    ("part", "part", ["x"]),
    ("exec", "exec", [True]),
    ("integrity", "integrity", [1, 2]),
    ("event", "event", "x"),
    ("import_error", "import_error", 3),
    ("done", "timings", [1, 2]),
]


@pytest.mark.parametrize("part", list(parts.PARTS))
@pytest.mark.parametrize("records", [ABSURD, WRONG_SHAPES], ids=["absurd_numbers", "wrong_shapes"])
def test_signed_but_hostile_observations_never_raise_nor_reach_the_results(part, records):
    key = os.urandom(32)
    p = pipeline.PartRun(part, "pass\n", sandbox.Limits(), seed=0)
    p.inputs, p.key = parts.PARTS[part].make_inputs(np.random.default_rng(0)), key
    p.run = sandbox.RunResult(
        status="ok",
        output=None,
        exit_code=0,
        wall_seconds=0.5,
        sandbox="bwrap",
        stderr_tail="",
        report=_signed(key, records),
    )
    for step in (pipeline.verify_report, pipeline.judge, pipeline.hold_for_review):
        step(p)
    r = p.result
    assert r.score == 0 and r.held_score == 0
    assert all(math.isfinite(v) and 0 <= v <= 1e5 for v in r.timings.values())
    if records is WRONG_SHAPES:  # only someone else with the key sends these: held for review
        assert r.held and Flag.FORGED_REPORT in r.flags and len(p.forged) == 5
    result = SubmissionResult("hostile", "modules", parts.max_score(), parts={part: r})
    json.dumps(result.to_json(), allow_nan=False)
    assert SubmissionResult.from_json(json.loads(json.dumps(result.to_json()))).score == 0


def test_timings_keep_only_plausible_numbers():
    got = pipeline.clean_timings(
        {
            "total": float("inf"),
            "exec": float("nan"),
            "checks": 10**400,
            "imports": 0.5,
            "neg": -1,
            "flag": True,
            "x" * 100: 1.0,
            "ok": 2,
        }
    )
    assert got == {"imports": 0.5, "ok": 2.0}


def test_the_dashboard_survives_one_bad_results_file(course, tmp_path):
    from autograder.dashboard.cli import build_dashboard

    folder = course.root / "results" / "modules"
    folder.mkdir(parents=True, exist_ok=True)
    good = pipeline.crash_result({"student": "gooddash", "assignment": "modules"}, "x").to_json()
    (folder / "gooddash.json").write_text(json.dumps(good))
    bad = dict(good, student="baddash", score=10**400, max_score=float("inf"))
    bad["extra_data"] = dict(good["extra_data"], timings={"total": float("inf"), "exec": 10**400})
    (folder / "baddash.json").write_text(json.dumps(bad))
    (folder / "shapedash.json").write_text(
        json.dumps(dict(good, student="shapedash", parts=[1, 2]))
    )
    out = build_dashboard(course.root, "modules", tmp_path / "report.html")
    html = Path(out).read_text()
    assert "gooddash" in html and "shapedash" in html


# -- importing a zip ---------------------------------------------------------------------------
def test_import_keeps_the_good_members_and_reports_damaged_and_duplicate_ones(
    course, tmp_path, capsys
):
    z = tmp_path / "lms.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as f:
        f.writestr("alice2.ipynb", '{"cells": []}')
        f.writestr("broken.ipynb", '{"cells": [' + '"x", ' * 2000 + '"y"]}')
        f.writestr("groupA/carol.ipynb", '{"cells": ["A"]}')
        f.writestr("groupB/carol.ipynb", '{"cells": ["B"]}')
    raw = bytearray(z.read_bytes())
    at = raw.index(b"broken.ipynb") + len("broken.ipynb") + 20  # inside its deflated data
    raw[at] ^= 0xFF
    z.write_bytes(bytes(raw))
    ids = course.import_submissions("modules", z)
    logged = capsys.readouterr().out.splitlines()
    assert ids == ["alice2"]
    assert [n for n, _ in ids.damaged] == ["broken.ipynb"]
    assert ids.duplicates == {"carol": ["groupA/carol.ipynb", "groupB/carol.ipynb"]}
    kept = sorted(p.read_text() for p in (ids.kept / "duplicates" / "carol").iterdir())
    assert kept == ['{"cells": ["A"]}', '{"cells": ["B"]}']
    assert not (course.root / "submitted" / "carol").exists()
    assert any("broken.ipynb" in line for line in logged) and any(
        "carol" in line for line in logged
    )


def test_import_from_a_folder_reads_only_bounded_regular_files(course, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dora.ipynb").write_text("{}")
    os.mkfifo(folder / "fifo.ipynb")
    with open(folder / "huge.ipynb", "wb") as f:
        f.truncate(3 << 29)
    ids = _within(60, course.import_submissions, "modules", folder)
    assert ids == ["dora"] and sorted(n for n, _ in ids.damaged) == ["fifo.ipynb", "huge.ipynb"]


# -- student ids -------------------------------------------------------------------------------
def test_a_student_id_with_a_trailing_newline_is_rejected(course):
    for sid in ("bob", "bob\n"):
        _submit(course, sid)
        (course.root / "submitted" / sid / "modules" / "modules.ipynb").write_text("{}")
    listed = [s for s, _, _ in course.submitted("modules")]
    assert "bob" in listed and "bob\n" not in listed
    assert ("bob\n", "not a valid student id (letters, digits, _ . -)") in course.rejected


# -- the written answer in the feedback ---------------------------------------------------------
XSS = (
    "My answer.\n\n<script>alert('xss')</script>\n<img src=x onerror=alert(1)>\n"
    '[click](javascript:alert(2)) <a href="javascript:alert(3)">y</a>\n\n'
    "```\n\n[z](javascript:alert(4))\n```\n"
)


def test_the_written_answer_is_sanitized_before_it_reaches_html(course):
    import nbformat
    from nbconvert import HTMLExporter

    d = _submit(course, "xss")
    (d / "modules.ipynb").write_bytes(_release_with(course, list_problems=XSS))
    job = _job(course, "xss", d / "modules.ipynb")
    course.record(pipeline.crash_result(job, "not graded here"), job)
    path = course.root / "autograded" / "xss" / "modules" / "modules.ipynb"
    cell = next(
        c for c in json.loads(path.read_text())["cells"] if notebook.grade_id(c) == "list_problems"
    )
    assert "My answer." in notebook.cell_source(cell)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(str(path), as_version=4))
    for bad in ("alert('xss')</script>", "onerror", 'href="javascript:', 'src="javascript:'):
        assert bad not in html, bad
    assert "[click](javascript:alert(2))" in html  # kept as text, not as a link


def test_an_import_stops_reading_at_its_total_cap(course, tmp_path, monkeypatch):
    from autograder import course as course_mod

    monkeypatch.setattr(course_mod, "IMPORT_BYTES", 1000)
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as f:
        for i in range(5):
            f.writestr(f"s{i}.ipynb", "{" + " " * 900 + "}")
    ids = course.import_submissions("modules", z, log=lambda *a: None)
    assert ids == ["s0", "s1"] and [n for n, _ in ids.skipped] == [
        "s2.ipynb",
        "s3.ipynb",
        "s4.ipynb",
    ]
