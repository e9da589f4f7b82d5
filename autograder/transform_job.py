"""Runs inside the sandbox: IPython syntax (``%magic``, ``!cmd``) of the solution cells -> Python.

IPython's transformer is slow on some inputs (a 0.25 MB cell took minutes), so it never runs in
the grader's own process: :func:`autograder.notebook.to_python_sandboxed` runs this file under the
sandbox's time and memory limits.

Usage::

    python -I -B transform_job.py <in-dir> <out-dir> [<folder of d2lmods>]   # in-dir: cells.json
"""

import json
import os
import sys

IN_DIR, OUT_DIR = sys.argv[1], sys.argv[2]

with open(os.path.join(IN_DIR, "cells.json"), encoding="utf-8") as f:
    cells = json.load(f)
from IPython.core.inputtransformer2 import TransformerManager  # noqa: E402 (after the job is read)

out = {}
for key, source in cells.items():
    try:
        out[key] = TransformerManager().transform_cell(source)
    except Exception:  # unparsable cells stay as they are; the probe reports the SyntaxError
        out[key] = source
tmp = os.path.join(OUT_DIR, "out.json.tmp")
with open(tmp, "w", encoding="utf-8") as f:
    json.dump({"python": out}, f)
os.replace(tmp, os.path.join(OUT_DIR, "out.json"))
