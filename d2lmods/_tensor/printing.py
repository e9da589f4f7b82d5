"""``repr(tensor)`` in PyTorch's format.

The rules, as PyTorch applies them:

* Floats use 4 decimals, all elements padded to one width. If every finite value is a whole
  number they print as ``1.`` ("int mode"). Scientific notation (``1.0000e-05``) is used for the
  whole tensor when max/min of the nonzero magnitudes exceeds 1000, the largest exceeds 1e8 or
  the smallest is below 1e-4.
* Integers and bools print as Python does, padded to one width.
* More than 1000 elements: only the first and last 3 along each dimension, with ``...``.
* Rows wrap at 80 characters. Suffixes follow: ``dtype=`` for non-default dtypes, then
  ``grad_fn=<Name>`` or ``requires_grad=True``.

    >>> import d2lmods as torch
    >>> torch.tensor([[1., 2.5], [3., 4.]])
    tensor([[1.0000, 2.5000],
            [3.0000, 4.0000]])
"""

import math

import numpy as np

from . import dtypes as _dt

__all__ = ["tensor_repr", "set_printoptions", "PRINT_OPTS"]


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Change how tensors print (same arguments as ``torch.set_printoptions``)."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 2, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, math.inf
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Decides one width and style for every element of a tensor."""

    def __init__(self, values):
        # ``values``: numpy array of the elements that will be shown
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not self.floating:
            for v in values.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        flat = values.reshape(-1).astype(np.float64)
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        mags = np.abs(shown)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = (
            (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
            if PRINT_OPTS.sci_mode is None
            else PRINT_OPTS.sci_mode
        )
        vals = shown.tolist()
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in vals)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in vals)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in vals)

    def format(self, v):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = f"{v}"
        return " " * (self.max_width - len(s)) + s


def _summarized(x):
    """Only the elements a summarised print shows (for choosing the format)."""
    e = PRINT_OPTS.edgeitems
    if x.ndim == 0:
        return x
    if x.ndim == 1:
        return np.concatenate([x[:e], x[-e:]]) if x.shape[0] > 2 * e else x
    if x.shape[0] > 2 * e:
        rows = list(range(e)) + list(range(x.shape[0] - e, x.shape[0]))
    else:
        rows = range(x.shape[0])
    return np.stack([_summarized(x[i]) for i in rows])


def _vector(x, indent, summarize, fmt):
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    e = PRINT_OPTS.edgeitems
    if summarize and x.shape[0] > 2 * e:
        items = (
            [fmt.format(v) for v in x[:e].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in x[-e:].tolist()]
        )
    else:
        items = [fmt.format(v) for v in x.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body(x, indent, summarize, fmt):
    if x.ndim == 0:
        return fmt.format(x.item())
    if x.ndim == 1:
        return _vector(x, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and x.shape[0] > 2 * e:
        parts = (
            [_body(x[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_body(x[i], indent + 1, summarize, fmt) for i in range(x.shape[0] - e, x.shape[0])]
        )
    else:
        parts = [_body(x[i], indent + 1, summarize, fmt) for i in range(x.shape[0])]
    return "[" + ("," + "\n" * (x.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_array(x, indent):
    """The bracketed numbers of an array, as PyTorch lays them out."""
    if x.size == 0:
        return "[]"
    summarize = x.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(x) if summarize else x)
    return _body(x, indent, summarize, fmt)


def _with_suffixes(text, suffixes, indent):
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix="tensor("):
    x = t._data
    dtype = _dt.NP_TO_DTYPE[x.dtype]
    indent = len(prefix)
    suffixes = []
    default_float = _dt.get_default_dtype()
    if x.size == 0:
        if x.ndim != 1:
            suffixes.append(f"size={tuple(x.shape)}")
        if dtype is not default_float:
            suffixes.append(f"dtype={dtype!r}")
        body = "[]"
    else:
        if dtype is not default_float and dtype is not _dt.int64 and dtype is not _dt.bool:
            suffixes.append(f"dtype={dtype!r}")
        body = format_array(x, indent)
    fn = t._fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
