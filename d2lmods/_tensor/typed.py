"""PyTorch's typed tensor names: ``FloatTensor``, ``LongTensor``, ``BoolTensor``, ...

Each name builds a tensor of its dtype and answers ``isinstance`` by dtype, as in PyTorch, where
they are not subclasses of ``Tensor`` either::

    >>> import d2lmods as torch
    >>> torch.LongTensor([0, 2]).dtype
    d2lmods.int64
    >>> isinstance(torch.tensor([1]), torch.LongTensor), isinstance(torch.ones(1), torch.LongTensor)
    (True, False)
    >>> torch.ones(1).type()
    'torch.FloatTensor'
"""

import numbers

import numpy as np

from . import dtypes as _dt
from .core import Size, Tensor, as_array, wrap

__all__ = ["TensorType", "TYPED", "type_name", "typed_dtype"]


class TensorType(type):
    """Metaclass of the typed names: calling one builds a tensor, ``isinstance`` checks the dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __subclasscheck__(cls, sub):
        return sub is cls

    def __call__(cls, *args, device=None):
        """``X(data)``, ``X(2, 3)`` / ``X(size)`` (uninitialised), ``X()`` (empty) or ``X(t)``
        (``t`` itself, if it already has this dtype)."""
        if device is not None:
            _dt.check_device(device)
        np_dtype = cls.dtype.np
        if len(args) == 1 and isinstance(args[0], Tensor):
            t = args[0]
            if t._data.dtype != np_dtype:
                raise TypeError(
                    f"{cls.__name__}(t) needs a tensor of dtype {cls.dtype}, got "
                    f"{t.dtype}; convert it with t.to({cls.dtype})"
                )
            return wrap(t._data, version=t._vcell)
        if not args:
            return wrap(np.empty((0,), dtype=np_dtype))
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            return wrap(np.empty(tuple(int(a) for a in args), dtype=np_dtype))
        if len(args) == 1 and isinstance(args[0], Size):
            return wrap(np.empty(tuple(args[0]), dtype=np_dtype))
        if len(args) == 1 and not isinstance(args[0], numbers.Number):
            # straight to the dtype (a float32 detour would round DoubleTensor's values)
            return wrap(np.array(as_array(args[0], cls.dtype), copy=True))
        raise TypeError(
            f"{cls.__name__}() takes data (a list or array), sizes (ints) or a tensor; got {args!r}"
        )

    def __repr__(cls):
        return f"<class 'd2lmods.{cls.__name__}'>"


def _typed(dtype):
    return TensorType(dtype.torch_name + "Tensor", (), {"dtype": dtype, "__module__": "d2lmods"})


# name -> class, in PyTorch's order
TYPED = {
    c.__name__: c
    for c in map(
        _typed,
        (
            _dt.float32,
            _dt.float64,
            _dt.float16,
            _dt.int64,
            _dt.int32,
            _dt.int16,
            _dt.int8,
            _dt.uint8,
            _dt.bool,
        ),
    )
}


def type_name(t):
    """``x.type()``: PyTorch's name for the tensor's type (``'torch.FloatTensor'``)."""
    return f"torch.{t.dtype.torch_name}Tensor"


def typed_dtype(spec):
    """The dtype named by ``x.type(spec)``: a typed class, ``'torch.DoubleTensor'`` or a dtype."""
    if isinstance(spec, TensorType):
        return spec.dtype
    if isinstance(spec, str) and spec.endswith("Tensor"):
        cls = TYPED.get(spec.rsplit(".", 1)[-1])
        if cls is None:
            raise ValueError(
                f"invalid type: {spec!r}; use one of {', '.join('torch.' + n for n in TYPED)}"
            )
        return cls.dtype
    return _dt.as_dtype(spec)
