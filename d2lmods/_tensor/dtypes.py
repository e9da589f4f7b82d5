"""Data types, the device and ``Size``: the small value objects a tensor reports.

A ``dtype`` wraps a numpy dtype and prints like PyTorch's (``d2lmods.float32``)::

    >>> import d2lmods
    >>> d2lmods.float32, d2lmods.float32.is_floating_point
    (d2lmods.float32, True)
"""

import builtins

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "int32",
    "int64",
    "bool",
    "uint8",
    "int8",
    "int16",
    "half",
    "float",
    "double",
    "long",
    "int",
    "short",
    "Size",
    "device",
    "get_default_dtype",
    "set_default_dtype",
    "as_dtype",
    "result_type",
]


class dtype:
    """A tensor element type. Compare with ``==``; ``np`` is the numpy dtype behind it."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize", "torch_name", "_rank")

    def __init__(self, name, np_dtype, torch_name, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize
        self.torch_name = torch_name  # PyTorch's short name, used in error messages ("Float")
        self._rank = rank  # position in the promotion lattice

    @property
    def is_signed(self):
        return self.np.kind in "fi"

    def __repr__(self):
        return f"d2lmods.{self.name}"

    def __reduce__(self):
        # Pickle by name so saved files refer to the module-level singletons.
        return (as_dtype, (self.name,))


bool = dtype("bool", np.bool_, "Bool", 0)
uint8 = dtype("uint8", np.uint8, "Byte", 1)
int8 = dtype("int8", np.int8, "Char", 2)
int16 = dtype("int16", np.int16, "Short", 3)
int32 = dtype("int32", np.int32, "Int", 4)
int64 = dtype("int64", np.int64, "Long", 5)
float16 = dtype("float16", np.float16, "Half", 6)
float32 = dtype("float32", np.float32, "Float", 7)
float64 = dtype("float64", np.float64, "Double", 8)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
# numpy dtype -> d2lmods dtype; looked up on every ``Tensor.dtype`` access, so a plain dict.
NP_TO_DTYPE = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, long=int64, int=int32, short=int16)

_default = [float32]


def get_default_dtype():
    """The dtype of new floating-point tensors (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(d):
    """Make ``d`` (``float32`` or ``float64``) the dtype of new floating-point tensors."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def as_dtype(d):
    """Turn a dtype, a name (``"float32"``), a numpy dtype or a Python type into a d2lmods ``dtype``."""
    if d.__class__ is dtype:
        return d
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d[8:] if d.startswith("d2lmods.") else d
        try:
            return _BY_NAME[name]
        except KeyError:
            raise TypeError(f"unknown dtype {d!r}; use one of {sorted(_BY_NAME)}") from None
    if d is builtins.bool:
        return bool
    if d is builtins.float:
        return _default[0]
    if d is builtins.int:
        return int64
    try:
        return NP_TO_DTYPE[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"cannot interpret {d!r} as a d2lmods dtype") from None


def result_type(a, b):
    """The dtype PyTorch gives ``a op b`` for two tensors' dtypes (ints with floats become float)."""
    if a is b:
        return a
    if a.is_floating_point != b.is_floating_point:
        return a if a.is_floating_point else b
    return a if a._rank >= b._rank else b


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``d2lmods.Size([2, 10])``."""

    __slots__ = ()

    def __repr__(self):
        return f"d2lmods.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))


class DeviceUnavailableError(RuntimeError, AssertionError):
    """A tensor or module sent to a device d2lmods does not have. A CPU-only torch raises
    ``AssertionError`` ("Torch not compiled with CUDA enabled"), a torch without a GPU
    ``RuntimeError``: this is both."""


class device:
    """Where a tensor lives. ``torch.device("cuda:1")`` can be made (and printed), as in torch,
    but d2lmods computes on the CPU only: putting a tensor or a module there raises."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, _, idx = type.partition(":")
            try:
                index = builtins.int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if not type or not type.isidentifier():
            raise RuntimeError(
                f"Expected one of cpu, cuda, mps, ... device type at start of device string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self):
        t = self.type
        return (
            f"device(type='{t}')"
            if self.index is None
            else f"device(type='{t}', index={self.index})"
        )

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (other.type, other.index) == (self.type, self.index)

    def __hash__(self):
        return hash((self.type, self.index))


def check_device(d):
    """``d`` (a device, a string or an index) as a device where d2lmods can compute: the CPU."""
    if isinstance(d, builtins.int) and not isinstance(d, builtins.bool):
        d = device("cuda", d)  # torch reads a bare index as a CUDA device
    d = d if isinstance(d, device) else device(d)
    if d.type != "cpu":
        raise DeviceUnavailableError(
            f"Torch not compiled with CUDA enabled: d2lmods runs on the CPU only, so device "
            f"'{d}' is not available. Use device='cpu' (or drop the .to(device)/.cuda() call); "
            "torch.device('cuda' if torch.cuda.is_available() else 'cpu') picks the CPU here."
        )
    return d


CPU = device("cpu")
