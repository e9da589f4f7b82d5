"""Execute the chapter's notebooks in place, the way they are stored in the repository.

    .venv/bin/python notebooks/run.py                 # every chapter notebook
    .venv/bin/python notebooks/run.py 07-seeing-your-model.ipynb

Each notebook runs top to bottom in a fresh kernel started in ``notebooks/``. Outputs that would
record this machine rather than the chapter are rewritten before saving: the checkout's folder in
tracebacks becomes a path relative to the repository, and the kernel's temporary cell file in
warnings becomes ``<cell>`` (the same substitution ``sanitize.cfg`` applies when nbval compares).
"""

import pathlib
import re
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
CELL_FILE = re.compile(r"\S*ipykernel_\d+[/\\]\d+\.py:\d+")


def scrub(text: str) -> str:
    """Text of one output with this machine's paths taken out."""
    text = text.replace(str(ROOT) + "/", "")
    text = CELL_FILE.sub("<cell>", text)
    return text


def scrub_outputs(nb) -> None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = scrub(out["text"])
            if "traceback" in out:
                out["traceback"] = [scrub(line) for line in out["traceback"]]
            if "evalue" in out:
                out["evalue"] = scrub(out["evalue"])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    out["data"][mime] = scrub(value)


def run(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(HERE)}},
    ).execute()
    scrub_outputs(nb)
    nbformat.write(nb, path)


def main(argv: list[str]) -> None:
    paths = [HERE / name for name in argv] or sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
    for path in paths:
        print(f"running {path.name}", flush=True)
        run(path)


if __name__ == "__main__":
    main(sys.argv[1:])
