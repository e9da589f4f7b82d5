"""``Conv2d`` and ``LazyConv2d``.

>>> import d2lmods
>>> from d2lmods import nn
>>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
>>> conv
Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
>>> conv(d2lmods.zeros(2, 1, 28, 28)).shape
d2lmods.Size([2, 6, 28, 28])
"""
from __future__ import annotations

import math

from d2lmods.nn import functional as F
from d2lmods.nn import init
from d2lmods.nn.lazy import LazyModuleMixin
from d2lmods.nn.module import Module
from d2lmods.nn.parameter import Parameter, UninitializedParameter

__all__ = ["Conv2d", "LazyConv2d"]


def _pair(x, name="kernel_size"):
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {x!r}")
        return tuple(int(v) for v in x)
    return (int(x), int(x))


class Conv2d(Module):
    """2-D cross-correlation over a batch of images ``(N, C_in, H, W) -> (N, C_out, H', W')``.

    Weights ``(out_channels, in_channels // groups, kH, kW)`` start from
    ``kaiming_uniform_(a=sqrt(5))`` and the bias from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    as in PyTorch.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r} is not supported by d2lmods "
                                      f"(only 'zeros')")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding")
        self.output_padding = (0, 0)
        self.transposed = False
        self.groups = groups
        self.padding_mode = padding_mode
        kw = {} if dtype is None else {"dtype": dtype}
        import d2lmods

        self.weight = Parameter(d2lmods.empty(
            (out_channels, in_channels // groups, *self.kernel_size), **kw))
        if bias:
            self.bias = Parameter(d2lmods.empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        _check_conv_input(self, input)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


def _check_conv_input(conv, x) -> None:
    """Explain the usual shape mistakes before the kernel sees them."""
    from d2lmods.nn.modules.linear import check_input

    check_input(conv, x)
    shape = x._data.shape
    c = conv.in_channels
    if len(shape) == 4 and shape[1] == c:
        return  # the common case: no message to build
    _explain_conv_input(conv, tuple(shape), c)


def _explain_conv_input(conv, shape, c) -> None:
    from d2lmods._messages import layers as texts
    from d2lmods._messages import who
    from d2lmods.nn._callstack import located, module_where

    where = module_where(conv)
    text = texts.conv_input(who(type(conv).__name__, where), shape, c)
    if text is not None:
        raise located(RuntimeError(text), where)


class LazyConv2d(LazyModuleMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is read from the first input it sees.

    >>> import d2lmods
    >>> from d2lmods import nn
    >>> conv = nn.LazyConv2d(6, kernel_size=5, padding=2)
    >>> _ = conv(d2lmods.zeros(1, 3, 8, 8)); conv
    Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
                         dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            from d2lmods.autograd.grad_mode import no_grad

            with no_grad():
                shape = tuple(input.shape)
                if len(shape) not in (3, 4):
                    raise RuntimeError(f"LazyConv2d expects an input of shape (N, C, H, W) or "
                                       f"(C, H, W) to infer in_channels, got {shape}")
                self.in_channels = shape[1] if len(shape) == 4 else shape[0]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        elif self.in_channels == 0:
            # Shapes came from load_state_dict: report the real size from now on.
            self.in_channels = self.weight._data.shape[1] * self.groups
