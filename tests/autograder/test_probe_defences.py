"""The grader's defences inside the sandbox, each on its own: the reference solution plus one
trick the static scan does not see, so that only the runtime layer can catch it.  A caught trick
holds the part (score 0, the checks' result kept for the reviewer); the reference alone is never held."""

import hmac
import json
import secrets
from pathlib import Path

import pytest

from autograder import notebook, parts, pipeline
from autograder.results import Flag, PartResult, Status, SubmissionResult
from autograder.sandbox import Limits, run
from autograder.scan import scan

SOURCE = Path(__file__).resolve().parents[2] / "exercises" / "source" / "modules" / "modules.ipynb"
REF = notebook.solution_sources(notebook.read_notebook(SOURCE.read_bytes()), list(parts.PARTS))


def grade(part, prelude="", after="", library="d2lmods"):
    cell = prelude + "\n" + REF[part] + "\n" + after
    assert scan(cell) == [], "the trick must be invisible to the static scan"
    return pipeline.run_part(
        part, notebook.to_python(cell), Limits(part_seconds=60), library=library
    )


def test_the_reference_is_not_held():
    r = grade("factory")
    assert r.status is Status.OK and r.score == r.max_score and r.flags == []


def test_frames_are_refused_and_reported():
    r = grade(
        "factory",
        "import sys as _s\ntry:\n    getattr(_s, '_get' + 'frame')(0)\nexcept Exception:\n    pass\n",
    )
    assert (
        r.held and Flag.BLOCKED_ACCESS in r.flags and r.score == 0 and r.held_score == r.max_score
    )
    assert any("sys._getframe" in why for why in r.review)


def test_reading_the_probes_stdin_is_reported():
    r = grade(
        "factory", "import os as _o\ntry:\n    _o.read(0, 1 << 20)\nexcept OSError:\n    pass\n"
    )
    assert r.held and Flag.BLOCKED_ACCESS in r.flags and r.score == 0
    assert any("stdin" in why for why in r.review)


def test_writing_to_the_report_pipe_is_a_forgery():
    forged = b"0" * 64 + b' [1, "exec", "exec", {"ok": true}]\n'
    r = grade(
        "factory",
        f"import os as _o\nfor _fd in range(3, 64):\n    try:\n        _o.write(_fd, {forged!r})\n"
        "    except OSError:\n        pass\n",
    )
    assert r.held and Flag.FORGED_REPORT in r.flags and r.score == 0 and r.held_score == r.max_score


def test_patching_d2lmods_is_seen():
    r = grade("factory", "", "nn.Linear.extra_repr = lambda self: ''\n")
    assert (
        r.held
        and Flag.LIBRARY_PATCHED in r.flags
        and any("Linear.extra_repr" in w for w in r.review)
    )


def test_a_traversal_method_added_after_the_class_is_seen():
    r = grade(
        "my_sequential", "", "setattr(MySequential, 'named' + '_children', lambda self: iter([]))\n"
    )
    assert r.held and Flag.OVERRIDES_TRAVERSAL in r.flags and r.score == 0


def test_only_signed_lines_in_order_count():
    key = b"k" * 32
    sign = lambda payload: hmac.new(key, payload, "sha256").hexdigest().encode() + b" " + payload
    first = json.dumps([1, "exec", "exec", {"ok": True}]).encode()
    good = sign(first) + b"\n" + sign(json.dumps([2, "probe", "x", 7]).encode()) + b"\n"
    obs, problems = pipeline.read_report(good, key)
    assert obs["exec"] == {"ok": True} and obs["probes"] == {"x": 7} and problems == []
    obs, problems = pipeline.read_report(good + sign(first) + b"\n" + b"junk\n", key)
    assert obs["probes"] == {"x": 7} and len(problems) == 2  # a replayed line and an unsigned one
    obs, problems = pipeline.read_report(good + b"a line cut off at the size ca", key)
    assert obs["probes"] == {"x": 7} and problems == []
    obs, problems = pipeline.read_report(good, b"another key, not the run's one")
    assert obs is None and len(problems) == 2


def test_secrets_reach_the_job_on_stdin_and_nowhere_on_its_file_system():
    program = b"""import os, sys
data = sys.stdin.buffer.read()
fd, secret = data.split(b" ")
found = [os.path.join(d, f) for d, _, fs in os.walk(sys.argv[1] + "/..") for f in fs
         if secret in open(os.path.join(d, f), "rb").read()]
os.write(int(fd), secret + b" | " + repr(found).encode())
"""
    secret = secrets.token_hex(16)
    res = run(
        {"probe.py": program}, Limits(part_seconds=20), stdin=lambda fd: f"{fd} {secret}".encode()
    )
    assert res.status == "ok", res.stderr_tail
    assert res.report == f"{secret} | []".encode() and res.output is None


def test_records_round_trip_through_json():
    part = PartResult(
        "factory", 3.0, Status.OK, parts.score_part("factory", Status.CRASH, None, None).tests
    )
    part.hold(Flag.GRADER_TAMPERING, "line 1: uses sys.modules")
    r = SubmissionResult("ann", "modules", 10.0, {"factory": part}, [Flag.GRADER_TAMPERING])
    back = SubmissionResult.from_json(json.loads(json.dumps(r.to_json())))
    assert back.parts["factory"].held and back.parts["factory"].review == [
        "line 1: uses sys.modules"
    ]
    assert back.to_json() == r.to_json() and back.flags == [Flag.GRADER_TAMPERING]
    assert all(t["status"] == "failed" and t["outcome"] == "held" for t in r.to_json()["tests"])


def test_frames_through_a_thread_pool_or_a_formatter_are_refused():
    prelude = """import concurrent.futures as _cf, string as _st
try:
    raise ValueError
except ValueError as _e:
    _tb = _e.__traceback__
_got = []
for _get in (lambda: _cf.ThreadPoolExecutor(1).submit(getattr, _tb, "tb_" + "frame").result(),
             lambda: _st.Formatter().get_field("0.tb_" + "frame", [_tb], {})):
    try:
        _got.append(_get())
    except Exception:
        pass
assert not _got, _got
"""
    r = grade("factory", prelude)
    assert r.held and Flag.BLOCKED_ACCESS in r.flags and r.held_score == r.max_score, r.tests[
        0
    ].output
    assert any("tb_frame" in why for why in r.review)


def test_a_huge_honest_output_is_not_mistaken_for_a_forgery():
    r = grade("my_sequential", "", "MySequential.forward = lambda self, X: torch.zeros(900, 900)\n")
    assert not r.held and r.flags == [] and r.status is Status.OK
    assert r.score < r.max_score  # the forward is wrong, that is all


def test_hooking_numpy_where_the_inputs_pass_is_seen():
    """A hook in numpy's npz reader would see the secret inputs as the probe loads them."""
    r = grade(
        "factory",
        "import numpy.lib.format as _fmt\n_read = _fmt.read_array\n"
        "_fmt.read_array = lambda *a, **k: _read(*a, **k)\n",
    )
    assert (
        r.held and Flag.LIBRARY_PATCHED in r.flags and any("read_array" in why for why in r.review)
    )


def test_installing_a_signal_handler_is_refused_and_reported():
    # subprocess.signal is the signal module, reached without importing it by name
    r = grade(
        "factory",
        "import subprocess as _sp\ntry:\n    _sp.signal.signal(_sp.signal.SIGALRM, lambda s, f: None)\n"
        "except OSError:\n    pass\n",
    )
    assert r.held and Flag.BLOCKED_ACCESS in r.flags and any("signal" in why for why in r.review)


def test_honest_logging_and_tracebacks_are_not_held():
    r = grade(
        "factory",
        "import logging as _lg, traceback as _tb\n_lg.warning('building the factory')\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    _msg = _tb.format_exc()\n",
    )
    assert not r.held and r.flags == [] and r.score == r.max_score, r.review


def test_a_grader_failure_in_one_part_costs_that_part_only(monkeypatch, tmp_path):
    calls = []

    def flaky(p):
        calls.append(p.part)
        if p.part == "parallel_module":
            raise RuntimeError("the grader broke")

    monkeypatch.setattr(pipeline, "PART_STEPS", (flaky,) + pipeline.PART_STEPS[1:])
    nb = tmp_path / "nb.ipynb"
    nb.write_bytes(SOURCE.read_bytes())
    r = pipeline.grade_submission({"student": "ann", "notebook": str(nb), "release": str(SOURCE)})
    assert calls == parts.parts_of("modules")
    assert r.parts["parallel_module"].status is Status.CRASH and Flag.CRASH in r.flags
    assert "the grader broke" in r.parts["parallel_module"].run["detail"]
    assert r.parts["factory"].score == r.parts["factory"].max_score


# -- the PyTorch edition: the same runtime around real torch -----------------------------------
PICKLE_EXEC = (
    "with open('/tmp/data.bin', 'wb') as _f:\n"
    "    _f.write(b'cbuiltins\\nexec\\n(Vimport sys; sys._getframe().f_back\\ntR.')\n"
)


def torch_grade(*args, **kwargs):
    pytest.importorskip("torch")
    return grade(*args, **kwargs, library="torch")


def test_torch_own_imports_and_seeding_are_never_held():
    # torch.manual_seed hands traceback.format_stack its stack (text, for devices not started)
    # and imports its device modules lazily: neither is the student's reach for a frame
    r = torch_grade(
        "factory",
        "import torch.nn.functional as F2\nfrom torch.nn import init\n_ = torch.manual_seed(3)\n",
        "_ = torch.manual_seed(4)\n_x = torch.load\n",
    )
    assert r.status is Status.OK and r.score == r.max_score and r.flags == [], r.review


def test_torch_frames_are_refused_and_reported():
    r = torch_grade(
        "factory",
        "import sys as _s\ntry:\n    getattr(_s, '_get' + 'frame')(0)\nexcept Exception:\n    pass\n",
    )
    assert r.held and Flag.BLOCKED_ACCESS in r.flags and r.held_score == r.max_score


def test_patching_torch_is_seen():
    r = torch_grade("factory", "", "nn.Linear.extra_repr = lambda self: ''\n")
    assert r.held and Flag.LIBRARY_PATCHED in r.flags
    assert any("Linear.extra_repr" in w for w in r.review)


@pytest.mark.parametrize(
    "trick, seen",
    [
        ("nn.modules.module.register_module_forward_hook(lambda m, a, o: o)", "global module hook"),
        ("torch.overrides.TorchFunctionMode().__enter__()", "TorchFunctionMode"),
        ("torch.serialization.add_safe_globals([print])", "safe globals"),
    ],
)
def test_torch_global_state_that_changes_every_module_is_seen(trick, seen):
    r = torch_grade("factory", "", trick + "\n")
    assert r.held and Flag.LIBRARY_PATCHED in r.flags and r.score == 0
    assert any(seen in w for w in r.review), r.review


@pytest.mark.parametrize(
    "library, load",
    [
        ("d2lmods", "np.load('/tmp/data.bin', allow_pickle=True)"),
        ("torch", "np.load('/tmp/data.bin', allow_pickle=True)"),
        ("torch", "torch.load('/tmp/data.bin', weights_only=False)"),
    ],
)
def test_a_pickle_that_runs_exec_is_refused_whoever_unpickles_it(library, load):
    """The library's frame, not the student's, asks for exec: refused all the same."""
    if library == "torch":
        pytest.importorskip("torch")
    r = grade(
        "factory", PICKLE_EXEC + f"try:\n    {load}\nexcept Exception:\n    pass\n", "", library
    )
    assert r.held and Flag.BLOCKED_ACCESS in r.flags and r.held_score == r.max_score
    assert any("pickle.find_class builtins.exec" in w for w in r.review), r.review


def test_a_pickle_of_data_loads():
    pytest.importorskip("torch")
    # a whole module pickled by torch.save loads with weights_only=False: nothing is refused
    r = torch_grade(
        "factory",
        "",
        "torch.save(nn.Sequential(nn.Linear(2, 2)), '/tmp/m.pt')\n"
        "_m = torch.load('/tmp/m.pt', weights_only=False)\n"
        "np.save('/tmp/a.npy', np.array([object()], dtype=object)[:0], allow_pickle=True)\n",
    )
    assert r.status is Status.OK and r.score == r.max_score and r.flags == [], r.review


def test_torch_routes_to_native_code_are_flagged_by_the_scan():
    # compiled or loaded into the student's process, native code is out of the audit hook's sight
    for cell in (
        "import torch.utils.cpp_extension\n",
        "from torch.utils.cpp_extension import load_inline\n",
        "torch.ops.load_library('/tmp/x.so')\n",
    ):
        assert any("native code" in hit for hit in scan(cell)), cell
    assert scan("y = torch.load(path, weights_only=False)\n") == []  # honest, if old-fashioned
