"""``Tensor``: a numpy array plus what autograd needs to know about it.

A tensor holds

* ``_data``     -- the numpy array (float32 unless asked otherwise),
* ``_rg``       -- whether gradients flow to/through it (``requires_grad``),
* ``_grad``     -- the accumulated gradient (a ``Tensor``) once ``backward`` reached this leaf,
* ``_fn``       -- the graph node that produced it (``grad_fn``; ``None`` for leaves),
* ``_vcell``    -- a one-element list counting in-place writes; shared with ``.data``, ``detach()``
  and views, so a write through any alias is seen by the graph (see ``autograd.node``);
  ``x._version`` reads it as an int, as in PyTorch,
* ``_out_nr``   -- which output of a multi-output node this is (0 almost always),
* ``_view_of``  -- ``None``, except for a view made while no gradient was recorded: the tensor it
  views, so an in-place write through it is refused once that tensor is a leaf that requires
  grad, as PyTorch does.

``wrap`` (at the end of this file) is the one function that sets them; ``ops._util.out``, which
builds the output of every recorded op, has the same assignments written out (one call fewer per
op; ``tests/_tensor/test_wrap.py`` checks that the two build the same tensor).

The op methods (``+``, ``sum``, ``reshape``, ...) and ``backward`` are attached in
``d2lmods._tensor.methods`` from the functions in ``d2lmods.ops`` and ``d2lmods.autograd``, so this
file only has what is about the tensor object itself and imports neither (both import it).

    >>> import d2lmods as torch
    >>> x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    >>> x.shape, x.dtype, x.is_leaf
    (d2lmods.Size([2, 2]), d2lmods.float32, True)
"""

import numbers
import warnings
import weakref

import numpy as np

from . import dtypes as _dt, observers
from .dtypes import CPU, NP_TO_DTYPE, Size
from .hooks import RemovableHandle, _HookDict

__all__ = ["Tensor", "wrap", "as_array", "norm_dim", "TENSOR_HOOKS", "POST_ACCUMULATE_HOOKS"]

_new = object.__new__
_ndarray = np.ndarray
_asarray = np.asarray

# Non-leaf tensors whose gradient backward stores in ``.grad`` (``retain_grad()``), as
# ``{id(tensor): weak reference}``. Kept here, not in a slot, because it is almost always empty and
# ``wrap`` must stay short. Keyed by id: a set would compare tensors with ``==``, which is
# elementwise. A plain dict (an entry leaves when its tensor dies), not a WeakValueDictionary: every
# backward tests it, and a plain dict's truth test costs no Python call.
RETAINS_GRAD: dict = {}


def _retained(key):
    ref = RETAINS_GRAD.get(key)
    return None if ref is None else ref()


def _forget_retained(key, ref):
    if RETAINS_GRAD.get(key) is ref:
        del RETAINS_GRAD[key]


# ``register_hook``: id -> (weak reference to the tensor, its hooks by handle id). Kept here for the
# same reason; the entry goes when the tensor does. ``register_post_accumulate_grad_hook``: the same.
TENSOR_HOOKS = {}
POST_ACCUMULATE_HOOKS = {}

_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data)`` copies ``data`` into a float32 tensor; ``Tensor(2, 3)`` makes an uninitialised
    2x3 float32 tensor (as ``torch.Tensor`` does). Prefer ``d2lmods.tensor(...)``, which keeps
    integer and bool data as such.
    """

    __slots__ = ("_data", "_rg", "_grad", "_fn", "_vcell", "_out_nr", "_view_of", "__weakref__")
    # numpy defers binary operators to Tensor (``ndarray * tensor`` gives a tensor)
    __array_priority__ = 1000

    def __init__(self, *args, requires_grad=False, **kwargs):
        # ``**kwargs``: subclasses built in ``__new__`` may take keyword arguments of their own
        # (e.g. ``persistent=``); Python passes them here too.
        if hasattr(self, "_data"):
            # Already built by a subclass's __new__ (``_make_subclass``); Python calls __init__
            # again with the same arguments, which must not reset the tensor.
            return
        default = _dt.get_default_dtype().np
        if len(args) == 1 and isinstance(args[0], Tensor):
            arr = args[0]._data.astype(default)
        elif args and all(isinstance(a, numbers.Integral) for a in args):
            arr = np.empty(tuple(int(a) for a in args), dtype=default)  # Tensor(2, 3)
        elif len(args) == 1 and isinstance(args[0], Size):
            arr = np.empty(tuple(args[0]), dtype=default)  # Tensor(x.shape)
        elif len(args) == 1:
            arr = np.array(args[0], dtype=default)  # Tensor([1, 2])
        elif not args:
            arr = np.empty((0,), dtype=default)
        else:
            raise TypeError(f"Tensor() got an unexpected combination of arguments {args!r}")
        wrap(arr, into=self)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make_subclass(cls, data, requires_grad=False):
        """Build an instance of Tensor subclass ``cls`` that shares ``data``'s storage.

        This is how ``nn.Parameter(t)`` is made: the new object aliases ``t``'s array and version
        counter, is a leaf, and requires grad if asked::

            class Parameter(Tensor):
                def __new__(cls, data=None, requires_grad=True):
                    return Tensor._make_subclass(cls, data, requires_grad)
        """
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"_make_subclass expects a Tensor subclass, got {cls!r}")
        if data is None:
            arr, version = np.empty((0,), dtype=_dt.get_default_dtype().np), [0]
        elif isinstance(data, Tensor):
            arr, version = data._data, data._vcell
        else:
            arr, version = as_array(data), [0]
        t = wrap(arr, version=version, cls=cls)
        if requires_grad:
            t.requires_grad_(True)
        return t

    # -- autograd attributes ------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._fn is not None:
            # as torch: the attribute of a non-leaf cannot be set at all (requires_grad_(True) can)
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables."
                + (
                    ""
                    if flag
                    else " If you want to use a computed variable in a subgraph that doesn't "
                    "require differentiation use var_no_grad = var.detach()."
                )
            )
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording ops on this leaf tensor; returns ``self``."""
        requires_grad = bool(requires_grad)
        if self._fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype}); "
                "convert first, e.g. x = x.float()"
            )
        self._rg = requires_grad
        return self

    @property
    def grad(self):
        if self._fn is not None and self._grad is None and _retained(id(self)) is not self:
            # PyTorch's one signal for "why is my .grad None": this tensor is not a leaf
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                    f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                    "the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with "
                    f"grad_dtype '{self.dtype}'. The gradient must match the tensor's dtype: "
                    f"convert it first, e.g. x.grad = g.to({self.dtype})"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        return self._fn

    @property
    def is_leaf(self):
        return self._fn is None

    @property
    def _version(self):
        """How many in-place writes this tensor's storage has had (shared with its views)."""
        return self._vcell[0]

    _version_count = _version

    def retain_grad(self):
        """Keep the gradient backward computes for this non-leaf tensor in its ``.grad``."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        key = id(self)
        if self._fn is not None and _retained(key) is not self:
            RETAINS_GRAD[key] = weakref.ref(self, lambda ref: _forget_retained(key, ref))

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time backward computes this tensor's gradient.

        The hook runs before the gradient is added into ``.grad`` (a leaf) or passed on to what
        produced the tensor (a non-leaf); returning a tensor replaces the gradient. Returns a
        handle: ``handle.remove()`` takes the hook off again.
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return _add_hook(TENSOR_HOOKS, self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf after ``backward`` has added into its ``.grad``
        (the hook returns None; ``autograd.grad`` does not run it). Returns a removable handle."""
        if self._fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return _add_hook(POST_ACCUMULATE_HOOKS, self, hook)

    @property
    def retains_grad(self):
        """True for a non-leaf tensor after ``retain_grad()`` (leaves keep ``.grad`` anyway)."""
        return self._fn is not None and _retained(id(self)) is self

    # -- data and storage ---------------------------------------------------------------------
    @property
    def data(self):
        """A detached tensor sharing this one's storage (writes through it change this tensor)."""
        t = self.detach()
        if self._fn is not None:
            observers.data_of_nonleaf(self, t)  # d2lmods.nn explains writes autograd misses
        return t

    @data.setter
    def data(self, value):
        # Swap the array in place: the object (and e.g. an optimizer's reference to it) survives,
        # while shape and dtype may change (Module.to(float64), lazy materialisation).
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._vcell[0] += 1

    def detach(self):
        """A tensor with the same storage that is cut off from the graph."""
        # the version counter is shared, so autograd sees in-place writes made through the alias
        return wrap(self._data, version=self._vcell)

    def detach_(self):
        self._fn = None
        self._rg = False
        return self

    def numpy(self, force=False):
        """The underlying numpy array (shared storage)."""
        if self._rg and not force:
            _check_numpy_allowed()
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            _check_numpy_allowed()
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to "
                "Scalar; use .tolist() or index a single element first"
            )
        return self._data.item()

    # -- shape and type -----------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[norm_dim(dim, self._data.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return NP_TO_DTYPE[self._data.dtype]

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    def cpu(self):
        return self

    def cuda(self, device=None, *args, **kwargs):
        _dt.check_device("cuda" if device is None else device)  # raises: CPU only

    def is_contiguous(self):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[norm_dim(dim, self._data.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        base = self._data
        while base.base is not None and isinstance(base.base, np.ndarray):
            base = base.base
        return base

    # -- Python protocol ----------------------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {Size(self.shape)}); use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__

    def __repr__(self):
        from .printing import tensor_repr

        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        # Pickle as (array, requires_grad); graphs are never pickled.
        return (_rebuild, (type(self), self._data, self._rg))

    def __deepcopy__(self, memo):
        if self._fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support "
                "the deepcopy protocol at the moment; call .detach() first"
            )
        cls = type(self)
        t = Tensor._make_subclass(cls, Tensor._make_subclass(Tensor, self._data.copy()), self._rg)
        if self._grad is not None:
            t._grad = wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t


def _add_hook(registry, t, hook):
    key = id(t)
    entry = registry.get(key)
    if entry is None or entry[0]() is not t:
        entry = (weakref.ref(t, lambda _, k=key: registry.pop(k, None)), _HookDict())
        registry[key] = entry
    handle = RemovableHandle(entry[1])
    entry[1][handle.id] = hook
    return handle


def _check_numpy_allowed():
    """``numpy()`` of a tensor that requires grad: allowed under ``no_grad`` (as in PyTorch)."""
    # imported here: the autograd package imports this module
    from ..autograd.grad_mode import STATE

    if STATE.enabled:
        raise RuntimeError(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
        )


def _rebuild(cls, arr, requires_grad):
    return Tensor._make_subclass(cls, np.array(arr), requires_grad)


def norm_dim(dim, ndim):
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor (``-1`` is the last)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def wrap(arr, fn=None, rg=False, version=None, out_nr=0, cls=Tensor, into=None):
    """A tensor around numpy array ``arr``, without copying or checks: the one place that sets
    the slots listed at the top of this file (internal).

    ``wrap(arr)`` is a new leaf. Ops pass the node that made the tensor (``fn``, with ``rg=True``),
    views pass the version counter they share (``version``); ``cls`` builds a subclass and
    ``into`` fills an existing object instead (``Tensor.__init__``). Every tensor is built here
    (or by its copy in ``ops._util.out``), so the body stays a row of assignments.
    """
    t = _new(cls) if into is None else into
    # a 0-d numpy result is a numpy scalar, which in-place writes cannot target
    t._data = arr if arr.__class__ is _ndarray or isinstance(arr, _ndarray) else _asarray(arr)
    t._rg = rg
    t._grad = None
    t._fn = fn
    t._vcell = [0] if version is None else version
    t._out_nr = out_nr
    t._view_of = None
    return t


def as_array(data, dtype=None):
    """numpy array for tensor data: Python floats become the default dtype, ints int64."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr if dtype is None else arr.astype(dtype.np, copy=False)
    if dtype is not None:
        return np.array(data, dtype=dtype.np)
    if isinstance(data, np.ndarray):
        arr = data
    else:
        if (
            isinstance(data, (list, tuple))
            and data
            and any(isinstance(x, Tensor) for x in _flat(data))
        ):
            data = _tensors_to_lists(data)
        arr = np.array(data)
    kind = arr.dtype.kind
    if kind == "f":
        if not isinstance(data, np.ndarray):
            arr = arr.astype(_dt.get_default_dtype().np, copy=False)
    elif kind in "iu":
        if not isinstance(data, np.ndarray) or arr.dtype not in NP_TO_DTYPE:
            arr = arr.astype(np.int64, copy=False)
    elif kind == "b":
        pass
    elif kind == "O" or kind in "USV":
        raise TypeError(
            f"can't convert {type(data).__name__} of {arr.dtype} to a tensor; only "
            "numbers, nested lists of numbers and numpy arrays are supported"
        )
    if arr.dtype not in NP_TO_DTYPE:
        raise TypeError(
            f"can't convert numpy array of type {arr.dtype} to a tensor. The supported "
            "types are float64, float32, float16, int64, int32, int16, int8, uint8, bool."
        )
    return arr


def _flat(seq):
    for x in seq:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensors_to_lists(seq):
    return [
        (
            _tensors_to_lists(x)
            if isinstance(x, (list, tuple))
            else (x._data if isinstance(x, Tensor) else x)
        )
        for x in seq
    ]
