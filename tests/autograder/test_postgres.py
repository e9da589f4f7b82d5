"""The gradebook on a real PostgreSQL server: the course's db_url decides, the dashboard follows.

The test starts its own throw-away cluster (initdb + pg_ctl, as the ``postgres``
user when run as root, since postgres refuses to run as root) on 127.0.0.1 and
a free port, and stops it afterwards. It skips, saying why, when that fails.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from autograder.dashboard.cli import main
from autograder.dashboard.data import load_assignment
from tests.autograder.dashboard.dashkit import ASSIGNMENT, small_class

pytestmark = pytest.mark.slow


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start postgres as the postgres user")
    base = Path(tempfile.mkdtemp(prefix="d2lmods-pg-"))  # not under pytest's root-only tmp dir
    data, log = base / "data", base / "server.log"
    port = _free_port()

    def run(*cmd):
        cmd = [str(c) for c in cmd]
        if as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    if as_root:
        shutil.chown(base, "postgres", "postgres")
    started = False
    try:
        r = run(
            bin_dir / "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        if r.returncode:
            pytest.skip(f"initdb failed: {r.stderr.strip()[-300:]}")
        r = run(
            bin_dir / "pg_ctl",
            "-D",
            data,
            "-l",
            log,
            "-w",
            "-t",
            "60",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off",
            "start",
        )
        if r.returncode:
            pytest.skip(
                f"postgres did not start: {r.stderr.strip()[-300:]} "
                f"{log.read_text()[-300:] if log.exists() else ''}"
            )
        started = True
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        if started:
            run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_grades_recorded_in_postgres_read_back_by_the_dashboard(
    course_factory, postgres_url, tmp_path
):
    import psycopg2

    course = course_factory(small_class(), db_url=postgres_url)
    assert not (course / "gradebook.db").exists()  # nothing fell back to SQLite

    # The rows really live in the server.
    with psycopg2.connect(postgres_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM submitted_assignment")
        assert cur.fetchone()[0] == 5
        cur.execute(
            "SELECT s.student_id, sum(coalesce(g.manual_score, g.auto_score, 0)) FROM grade g "
            "JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.student_id"
        )
        in_db = {sid: float(score) for sid, score in cur.fetchall()}

    data = load_assignment(course, ASSIGNMENT)
    assert data.gradebook_found and data.db_url == postgres_url
    loaded = {s.student: s.score for s in data.submitted}
    assert loaded == pytest.approx(in_db)
    assert loaded["alice"] == 10.0 and loaded["bob"] == 7.5
    assert [s.student for s in data.students if not s.submitted] == ["erin"]

    out = tmp_path / "dash.html"
    assert main([str(course), "--assignment", ASSIGNMENT, "--out", str(out)]) == 0
    assert f"gradebook: {postgres_url}" in out.read_text()
