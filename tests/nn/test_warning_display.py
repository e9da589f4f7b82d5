"""d2lmods' own warnings print as ``Category: message``; every other warning keeps Python's format."""
import subprocess
import sys
import warnings

from d2lmods import _messages, nn


def _shown(category, text="the message"):
    # What showwarning writes to stderr (pytest replaces showwarning itself while it records;
    # the subprocess test below goes through the real one).
    return warnings.formatwarning(text, category, "/tmp/ipykernel_1234/5678.py", 7,
                                  line="net = Net()")


def test_d2lmods_categories_print_short():
    for category in (nn.UnregisteredModuleWarning, nn.SharedInstanceWarning, nn.StateDictWarning,
                     nn.TrainingWarning, nn.ModuleUsageWarning):
        assert _shown(category) == f"{category.__name__}: the message\n"


def test_other_warnings_keep_pythons_format():
    out = _shown(UserWarning)
    assert out.startswith("/tmp/ipykernel_1234/5678.py:7: UserWarning: the message")
    assert "net = Net()" in out
    assert _shown(DeprecationWarning).startswith("/tmp/ipykernel_1234/5678.py:7: Deprecation")


def test_install_is_idempotent_and_can_be_undone():
    _messages.install_short_warnings()
    _messages.install_short_warnings()
    assert not hasattr(warnings.formatwarning._d2l_previous, "_d2l_previous")
    _messages.uninstall_short_warnings()
    try:
        assert "5678.py:7" in _shown(nn.UnregisteredModuleWarning)
    finally:
        _messages.install_short_warnings()
    assert _shown(nn.UnregisteredModuleWarning).startswith("UnregisteredModuleWarning: ")


def test_a_learners_script_shows_the_short_form_on_stderr(tmp_path):
    script = tmp_path / "learner.py"
    script.write_text(
        "import warnings\n"
        "from d2lmods import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.layers = [nn.Linear(2, 2)]\n"
        "Net()\n"
        "warnings.warn('plain')\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env={"PYTHONPATH": ":".join(sys.path)},
                            check=True)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("UnregisteredModuleWarning: Net.layers[0] (Linear) is kept in a ")
    assert str(script) not in lines[0] and "self.layers = [" not in result.stderr
    assert any(line.startswith(f"{script}:8: UserWarning: plain") for line in lines)
