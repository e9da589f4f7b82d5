"""``Parameter``, ``Buffer`` and the placeholders lazy layers start with.

A :class:`Parameter` is a tensor that a Module registers when it is assigned
as an attribute; it shares memory with the tensor it wraps and requires grad::

    >>> import d2lmods as torch
    >>> from d2lmods import nn
    >>> w = nn.Parameter(torch.zeros(2))
    >>> w.requires_grad, isinstance(w, torch.Tensor)
    (True, True)

An :class:`UninitializedParameter` stands in for a weight whose shape is not
known until the first forward of a lazy layer (``nn.LazyLinear``). It is filled
*in place* (``materialize``), so an optimizer built before the first call keeps
training the very same object.
"""

from __future__ import annotations

import weakref

import numpy as np

from .._messages import modules as texts
from .._tensor import dtypes as _dt
from .._tensor.core import Tensor
from ..autograd.grad_mode import (
    STATE as _GRAD_STATE,
    no_grad,  # noqa: F401  (re-exported for module.py, lazy.py)
)

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "is_lazy"]


def _array(t) -> np.ndarray:
    """The numpy array behind a tensor (shared, not copied)."""
    return t._data


def _bump_version(t) -> None:
    """Record an in-place write so autograd can tell saved values went stale."""
    t._vcell[0] += 1


def _same_storage(a, b) -> bool:
    """True if tensors ``a`` and ``b`` read the same memory (one is the other, ``.data`` or ``detach()``)."""
    x, y = a._data, b._data
    if x is y:
        return True
    if isinstance(x, _UninitializedArray) or isinstance(y, _UninitializedArray):
        return False
    return x.size > 0 and np.may_share_memory(x, y)


def _rebuild_parameter(cls, arr, requires_grad):
    return Tensor._make_subclass(cls, Tensor._make_subclass(Tensor, np.array(arr)), requires_grad)


class Parameter(Tensor):
    """A tensor that is a module parameter: registered when assigned as a Module attribute.

    ``Parameter(data)`` shares ``data``'s memory and requires grad by default.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is not None and not isinstance(data, Tensor):
            raise TypeError(texts.parameter_not_tensor(type(data).__name__))
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        # Everything was set up in __new__; Tensor.__init__ would start a new array.
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self._data, self._rg))

    def __deepcopy__(self, memo):
        # As torch's: a new Parameter of a copy of the values; unlike a plain tensor's deepcopy,
        # the gradient is not copied (``copy.deepcopy(model)`` starts without gradients).
        if id(self) in memo:
            return memo[id(self)]
        new = _rebuild_parameter(type(self), self._data, self._rg)
        memo[id(self)] = new
        return new

    def __setitem__(self, index, value):
        if self._rg and _GRAD_STATE.enabled:
            raise RuntimeError(texts.parameter_setitem(tuple(self._data.shape)))
        return super().__setitem__(index, value)


class _UninitializedArray(np.ndarray):
    """The empty array behind an uninitialized parameter: any computation with it explains itself."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise ValueError(texts.use_uninitialized(f"the operation {ufunc.__name__}"))

    def __array_function__(self, func, types, args, kwargs):
        raise ValueError(texts.use_uninitialized(f"the operation {func.__name__}"))

    @property
    def shape(self):
        # Ops check shapes in Python before computing: make that first look explain the problem.
        raise ValueError(texts.use_uninitialized("an operation"))


def _empty_placeholder() -> np.ndarray:
    return np.empty((0,), dtype=_dt.get_default_dtype().np).view(_UninitializedArray)


# dtype requested with ``module.to(dtype)`` before a placeholder is materialized, by object id.
# (Kept outside the objects: an uninitialized buffer must have plain Tensor's slot layout so that
# it can turn into a Tensor in place.)
_PENDING: dict[int, tuple] = {}


def _get_pending(obj):
    entry = _PENDING.get(id(obj))
    return entry[1] if entry is not None and entry[0]() is obj else None


def _set_pending(obj, dtype) -> None:
    key = id(obj)
    _PENDING[key] = (weakref.ref(obj, lambda _r, key=key: _PENDING.pop(key, None)), dtype)


class UninitializedTensorMixin:
    """Behaviour shared by :class:`UninitializedParameter` and :class:`UninitializedBuffer`."""

    __slots__ = ()
    cls_to_become = None

    def __new__(cls, requires_grad=None, device=None, dtype=None, persistent=True):
        obj = Tensor._make_subclass(cls, None, False)
        obj._data = _empty_placeholder()
        obj._rg = bool(cls._requires_grad_default if requires_grad is None else requires_grad)
        if dtype is not None:
            _set_pending(obj, _dt.as_dtype(dtype))
        return obj

    def __init__(self, *args, **kwargs):
        # Everything was set up in __new__.
        pass

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder its real shape, in place, and turn it into ``cls_to_become``.

        The dtype is ``dtype`` if given, else one requested earlier with ``module.to(...)``,
        else the default (float32). Values are uninitialized; the layer then runs its
        ``reset_parameters``.
        """
        if isinstance(shape, int):
            shape = (shape,)
        if dtype is None:
            dtype = _get_pending(self) or _dt.get_default_dtype()
        dtype = _dt.as_dtype(dtype)
        self._data = np.empty(tuple(int(s) for s in shape), dtype=dtype.np)
        self._vcell[0] += 1
        _PENDING.pop(id(self), None)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(texts.UNINITIALIZED_SHAPE)

    @property
    def ndim(self):
        raise RuntimeError(texts.UNINITIALIZED_SHAPE)

    @property
    def data(self):
        raise ValueError(texts.use_uninitialized("`.data`"))

    @data.setter
    def data(self, value):
        raise ValueError(texts.use_uninitialized("`.data = ...`"))

    @property
    def dtype(self):
        return _get_pending(self) or _dt.NP_TO_DTYPE[self._data.dtype]

    def size(self, dim=None):
        raise RuntimeError(texts.UNINITIALIZED_SHAPE)

    def dim(self):
        raise RuntimeError(texts.UNINITIALIZED_SHAPE)

    def numel(self):
        raise ValueError(texts.use_uninitialized("<method 'numel'>"))

    def tolist(self):
        raise ValueError(texts.use_uninitialized("<method 'tolist'>"))

    def item(self):
        raise ValueError(texts.use_uninitialized("<method 'item'>"))

    def numpy(self, force=False):
        raise ValueError(texts.use_uninitialized("<method 'numpy'>"))

    def __array__(self, dtype=None, copy=None):
        raise ValueError(texts.use_uninitialized("a numpy conversion"))

    def __len__(self):
        raise RuntimeError(texts.UNINITIALIZED_SHAPE)

    def __iter__(self):
        raise ValueError(texts.use_uninitialized("iteration"))

    def __getitem__(self, index):
        raise ValueError(texts.use_uninitialized("indexing"))

    def __setitem__(self, index, value):
        raise ValueError(texts.use_uninitialized("item assignment"))

    def detach(self):
        return self

    def to(self, *args, **kwargs):
        for a in list(args) + [kwargs.get("dtype")]:
            if isinstance(a, _dt.dtype):
                _set_pending(self, a)
        return self

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (_rebuild_uninitialized, (type(self), self._rg, _get_pending(self)))

    def __deepcopy__(self, memo):
        new = _rebuild_uninitialized(type(self), self._rg, _get_pending(self))
        memo[id(self)] = new
        return new


def _rebuild_uninitialized(cls, requires_grad, pending_dtype):
    obj = cls(requires_grad=requires_grad)
    if pending_dtype is not None:
        _set_pending(obj, pending_dtype)
    return obj


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet; ``materialize(shape)`` turns it into a Parameter.

    >>> from d2lmods import nn
    >>> nn.parameter.UninitializedParameter()
    <UninitializedParameter>
    """

    cls_to_become = Parameter
    _requires_grad_default = True


# Tensors made by ``nn.Buffer(...)``: id -> (weak reference, persistent). As in torch, a Buffer is
# a plain Tensor carrying a mark (torch sets ``t._is_buffer``; d2lmods' Tensor has slots only).
_BUFFER_MARKS: dict[int, tuple] = {}


def buffer_persistent(t) -> bool | None:
    """``persistent`` of a tensor made by ``nn.Buffer`` (or an UninitializedBuffer); else None."""
    if isinstance(t, UninitializedBuffer):
        return t.persistent
    entry = _BUFFER_MARKS.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


class _BufferMeta(type):
    """``isinstance(t, nn.Buffer)`` is true for the tensors ``nn.Buffer`` made (as in torch)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return buffer_persistent(instance) is not None
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute: ``self.mean = nn.Buffer(t)``.

    ``persistent=False`` keeps it out of ``state_dict()``. As in torch, the result is a plain
    Tensor (``type(b) is torch.Tensor``) that shares ``data``'s memory and keeps its
    ``requires_grad``; the module then holds that very object (``m.b = b; m.b is b``).
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor()
        t = Tensor._make_subclass(Tensor, data, data.requires_grad)
        key = id(t)
        _BUFFER_MARKS[key] = (
            weakref.ref(t, lambda _r, key=key: _BUFFER_MARKS.pop(key, None)),
            bool(persistent),
        )
        return t


# ``persistent=False`` of UninitializedBuffers, by object id (their slots are a plain Tensor's).
_NON_PERSISTENT: dict[int, weakref.ref] = {}


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (used by lazy normalization layers)."""

    __slots__ = ()
    cls_to_become = Tensor
    _requires_grad_default = False

    def __new__(cls, requires_grad=None, device=None, dtype=None, persistent=True):
        obj = super().__new__(cls, requires_grad, device, dtype)
        if not persistent:
            key = id(obj)
            _NON_PERSISTENT[key] = weakref.ref(
                obj, lambda _r, key=key: _NON_PERSISTENT.pop(key, None)
            )
        return obj

    @property
    def persistent(self) -> bool:
        ref = _NON_PERSISTENT.get(id(self))
        return ref is None or ref() is not self


def is_lazy(param) -> bool:
    """True for an :class:`UninitializedParameter` / :class:`UninitializedBuffer` not yet materialized."""
    return isinstance(param, UninitializedTensorMixin)
