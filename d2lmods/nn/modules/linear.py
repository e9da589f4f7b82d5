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

from .. import _messages as msg
from ..lazy import LazyModuleMixin
from ..module import Module
from ..parameter import Parameter, Tensor, UninitializedParameter, is_lazy, no_grad
from ..._tensor import dtypes as _dt

__all__ = ["Identity", "Linear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


def _linear(input, weight, bias):
    """``input @ weight.T + bias`` through the core's fused autograd op (``AddmmBackward0``)."""
    from ...ops.nn_ops import linear
    global _linear
    _linear = linear          # resolve once; later calls go straight to the op
    return linear(input, weight, bias)


class Linear(Module):
    """Applies ``y = x A^T + b``; ``weight`` is ``(out_features, in_features)``.

    Weights start as PyTorch's: kaiming-uniform with ``a=sqrt(5)``, bias uniform in
    ``+-1/sqrt(in_features)``, drawn from d2lmods' global generator
    (``d2lmods.manual_seed``).
    """

    __constants__ = ["in_features", "out_features"]
    in_features: int
    out_features: int

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_features("Linear", in_features=in_features, out_features=out_features)
        if device is not None:
            _dt.device(device)
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
        _kaiming_uniform(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            _uniform(self.bias, -bound, bound)

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
        shape = tuple(input._data.shape)
        w_out, w_in = self.weight._data.shape
        if len(shape) == 0:
            rows, last = 1, 1
            torch_line = "both arguments to linear need to be at least 1D, but they are 0D and 2D"
        else:
            last = shape[-1]
            rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            torch_line = f"mat1 and mat2 shapes cannot be multiplied ({rows}x{last} and {w_in}x{w_out})"
        where = module_where(self)
        hint = (f"make it nn.Linear({last}, {w_out}) so it accepts what the previous layer produces, "
                f"or use nn.LazyLinear({w_out}) to infer in_features from the first batch")
        if len(shape) > 2:
            flat = int(np.prod(shape[1:]))
            hint += (f"; if each example is a {'x'.join(map(str, shape[1:]))} grid (e.g. an image), "
                     f"flatten it first with nn.Flatten() and use in_features={flat}")
        text = (f"{torch_line}\n{msg.who(type(self).__name__, where)} expects in_features={w_in} but the "
                f"input's last dimension is {last} (input shape {shape}). Fix: {hint}.")
        return msg.located(RuntimeError(text), where)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


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
                    raise msg.located(RuntimeError(
                        f"{msg.who('LazyLinear', module_where(self))} got a 0-d input; it needs at least one "
                        "dimension to read in_features from. Fix: pass a batch such as X of shape "
                        "(batch_size, num_inputs)."), module_where(self))
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

def module_where(module) -> str:
    """The module's path in the running model (``MLP.net.0``), or its class name outside a call."""
    from ..module import _call_state, current_module_path

    stack = _call_state.stack
    if stack and stack[-1] is module:
        return current_module_path(stack)
    if stack:
        return current_module_path(stack) + f" -> {type(module).__name__}"
    return type(module).__name__


def check_input(module, input, name: str = "input") -> None:
    """Raise a clear TypeError if ``input`` is not a d2lmods Tensor (numpy arrays, lists, ...)."""
    if isinstance(input, Tensor):
        if is_lazy(input):
            raise msg.located(ValueError(
                f"{msg.who(type(module).__name__, module_where(module))} got an uninitialized lazy "
                "parameter as its input. Fix: run one forward with a sample batch first."),
                module_where(module))
        return
    where = module_where(module)
    cls = type(module).__name__
    if isinstance(input, np.ndarray):
        text = (f"{msg.who(cls, where)} got a numpy.ndarray (dtype {input.dtype}, shape {input.shape}) as "
                f"its {name}, but layers take d2lmods tensors. Fix: convert it first, "
                "X = torch.from_numpy(x).float() (float32, like the layer's weights) or "
                "X = torch.tensor(x, dtype=torch.float32).")
    elif input is None:
        text = (f"{msg.who(cls, where)} got None as its {name}. Likely cause: the forward() that "
                "produced it has no `return` statement (a Python function without return gives "
                "None). Fix: end that forward with `return X`.")
    elif isinstance(input, Module):
        kind = type(input).__name__
        text = (f"{msg.who(cls, where)} got a {kind} module as its {name} instead of a tensor. "
                f"Likely cause: the class was stored instead of an instance (self.act = nn.{kind} "
                f"without parentheses), so calling it built a new {kind} module instead of applying "
                f"one. Fix: create the layer with parentheses, nn.{kind}(), and call it on tensors.")
    else:
        text = (f"{msg.who(cls, where)}: {name} must be a Tensor, not {type(input).__name__}. "
                "Fix: convert it first, e.g. X = torch.tensor(data, dtype=torch.float32).")
    raise msg.located(TypeError(text), where)


def dtype_mismatch(module, input, weight):
    """The RuntimeError for an input whose dtype differs from the layer's weight."""
    where = module_where(module)
    a, b = input.dtype, weight.dtype
    text = (f"mat1 and mat2 must have the same dtype, but got {a.torch_name} and {b.torch_name}: "
            f"the input to {msg.who(type(module).__name__, where)} is {a} but its weight is {b}. ")
    if a == _dt.float64 and b == _dt.float32:
        text += ("Likely causes: the input was built from float64 numpy data (torch.from_numpy keeps "
                 "float64), or the model was converted with .double() but this layer was missed "
                 "(e.g. it is kept in a plain Python list, so .double() never reached it). Fix: "
                 "convert the input with X.float(), or register every layer (nn.ModuleList) and "
                 "convert the whole model.")
    elif a == _dt.float32 and b == _dt.float64:
        text += ("Likely cause: this layer was converted with .double() but the input was not. Fix: "
                 "convert the input with X.double(), or keep the model in float32.")
    elif not a.is_floating_point and b.is_floating_point:
        text += (f"Layers compute in floating point, and integer data is not converted "
                 f"automatically. Fix: convert the input, X = X.to({b}) (X.float() for float32).")
    else:
        text += f"Fix: convert the input with X.to({b}) (layers compute in their weights' dtype)."
    return msg.located(RuntimeError(text), where)


def _check_features(cls: str, **sizes) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{cls}: {name} must be an int, got {type(value).__name__} ({value!r}). "
                            f"Fix: pass the number of features, e.g. {cls}(20, 256).")
        if value < 0:
            raise ValueError(f"{cls}: {name} must be >= 0, got {value}.")


def _empty(shape, dtype):
    from ..._tensor.core import wrap
    return wrap(np.empty(shape, dtype=dtype.np))


def _kaiming_uniform(w, a: float) -> None:
    init = _init_module()
    if init is not None:
        init.kaiming_uniform_(w, a=a)
        return
    fan_in = w._data.shape[1]
    gain = math.sqrt(2.0 / (1 + a ** 2))
    bound = math.sqrt(3.0) * gain / math.sqrt(fan_in) if fan_in else 0.0
    _uniform(w, -bound, bound)


def _uniform(t, low: float, high: float) -> None:
    init = _init_module()
    if init is not None:
        init.uniform_(t, low, high)
        return
    t._data[...] = _generator().uniform(low, high, t._data.shape)
    t._version[0] += 1


def _init_module():
    """``d2lmods.nn.init`` if it and the global generator it draws from are importable."""
    try:
        from .. import init
        from ..._tensor.random import default_generator  # noqa: F401
    except ImportError:
        return None
    return init


_fallback_rng = []


def _generator():
    try:
        from ..._tensor.random import default_generator
        return default_generator()
    except ImportError:
        if not _fallback_rng:
            _fallback_rng.append(np.random.default_rng())
        return _fallback_rng[0]
