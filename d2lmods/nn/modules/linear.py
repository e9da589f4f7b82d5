"""``Identity``, ``Linear`` and ``LazyLinear``.

    >>> import d2lmods as torch
    >>> from d2lmods import nn
    >>> layer = nn.Linear(20, 256)
    >>> layer(torch.randn(2, 20)).shape
    d2lmods.Size([2, 256])

``Linear`` checks its input before multiplying, so a mistake is reported with
the layer's place in the model and the fix, not as a bare matrix error:
numpy arrays, a dtype that differs from the weight's, and an input whose last
dimension is not ``in_features``.
"""

from __future__ import annotations

import math

import numpy as np

from ..._messages import layers as texts, who
from ..._tensor import dtypes as _dt
from ..._tensor.core import wrap
from ...ops.nn_ops import linear as _linear
from .. import init
from .._callstack import located, module_where
from ..lazy import LazyModuleMixin
from ..module import Module
from ..parameter import Parameter, Tensor, UninitializedParameter, is_lazy, no_grad

__all__ = ["Identity", "Linear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Applies ``y = x A^T + b``; ``weight`` is ``(out_features, in_features)``.

    Weights start as PyTorch's: kaiming-uniform with ``a=sqrt(5)``, bias uniform in
    ``+-1/sqrt(in_features)``, drawn from d2lmods' global generator
    (``d2lmods.manual_seed``).
    """

    __constants__ = ["in_features", "out_features"]
    in_features: int
    out_features: int

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        _check_features("Linear", in_features=in_features, out_features=out_features)
        if device is not None:
            _dt.check_device(device)
        dtype = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the weights with PyTorch's default initialization."""
        fan_in = self.weight._data.shape[1] if self.weight._data.ndim == 2 else 0
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # Checked here, before the op, so errors can name this layer's place and in_features.
        if not isinstance(input, Tensor):
            check_input(self, input)
        params = self._parameters
        weight = params["weight"]
        xd, wd = input._data, weight._data
        if xd.dtype != wd.dtype:
            raise dtype_mismatch(self, input, weight)
        if xd.ndim == 0 or xd.shape[-1] != wd.shape[1]:
            raise self._shape_error(input)
        return _linear(input, weight, params["bias"])

    def _shape_error(self, input):
        where = module_where(self)
        w_out, w_in = self.weight._data.shape
        text = texts.linear_shape(
            who(type(self).__name__, where), tuple(input._data.shape), w_in, w_out
        )
        return located(RuntimeError(text), where)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is read from the first input's last dimension.

    Until the first call it prints ``LazyLinear(in_features=0, ...)`` and its
    weight is an ``UninitializedParameter``; afterwards it *is* a ``Linear``.
    """

    cls_to_become = Linear
    weight: UninitializedParameter
    bias: UninitializedParameter

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        # bias=False here so Linear.__init__ creates no tensors; placeholders replace them below.
        super().__init__(0, 0, False)
        _check_features("LazyLinear", out_features=out_features)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        check_input(self, input)
        if self.has_uninitialized_params():
            with no_grad():
                if input._data.ndim == 0:
                    where = module_where(self)
                    raise located(
                        RuntimeError(texts.lazy_zero_dim(who("LazyLinear", where))), where
                    )
                self.in_features = input._data.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        elif self.in_features == 0:
            # Shapes came from load_state_dict: report the real size from now on.
            self.in_features = self.weight._data.shape[1]


# --------------------------------------------------------------------------------------------
# Input checks shared with the other layers
# --------------------------------------------------------------------------------------------


def check_input(module, input, name: str = "input") -> None:
    """Raise a clear TypeError if ``input`` is not a d2lmods Tensor (numpy arrays, lists, ...)."""
    if isinstance(input, Tensor):
        if is_lazy(input):
            where = module_where(module)
            raise located(ValueError(texts.lazy_input(who(type(module).__name__, where))), where)
        return
    where = module_where(module)
    layer = who(type(module).__name__, where)
    if isinstance(input, np.ndarray):
        text = texts.numpy_input(layer, input.dtype, input.shape, name)
    elif input is None:
        text = texts.none_input(layer, name)
    elif isinstance(input, Module):
        text = texts.module_input(layer, name, type(input).__name__)
    else:
        text = texts.not_a_tensor(layer, name, type(input).__name__)
    raise located(TypeError(text), where)


def dtype_mismatch(module, input, weight):
    """The RuntimeError for an input whose dtype differs from the layer's weight."""
    where = module_where(module)
    a, b = input.dtype, weight.dtype
    text = texts.dtype_mismatch(
        who(type(module).__name__, where),
        a,
        b,
        float64_into_float32=a == _dt.float64 and b == _dt.float32,
        float32_into_float64=a == _dt.float32 and b == _dt.float64,
    )
    return located(RuntimeError(text), where)


def _check_features(cls: str, **sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(texts.features_type(cls, name, value))
        if value < 0:
            # torch fails creating the weight: RuntimeError
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {value}: {cls}'s {name} must "
                f"be >= 0, got {value}."
            )


def _empty(shape, dtype):
    return wrap(np.empty(shape, dtype=dtype.np))
