"""Shared test helpers.

PyTorch is only an oracle here: ``torch`` is a fixture that skips the test when
torch is not installed, so the suite passes on a machine without it.
"""

import os

import pytest

# Tests must never depend on the machine's thread count or on torch's threads
# fighting numpy's; keep them small and equal.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the test oracle; install '.[oracle]'")
