"""Convolutions: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d`` and their lazy versions.

>>> import d2lmods
>>> from d2lmods import nn
>>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
>>> conv
Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
>>> conv(d2lmods.zeros(2, 1, 28, 28)).shape
d2lmods.Size([2, 6, 28, 28])
>>> nn.ConvTranspose2d(6, 1, kernel_size=4, stride=2, padding=1)(d2lmods.zeros(2, 6, 7, 7)).shape
d2lmods.Size([2, 1, 14, 14])
"""

from __future__ import annotations

import math

from d2lmods.nn import functional as F, init
from d2lmods.nn.lazy import LazyModuleMixin
from d2lmods.nn.module import Module
from d2lmods.nn.parameter import Parameter, UninitializedParameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "LazyConv1d", "LazyConv2d", "LazyConvTranspose2d"]


def _ntuple(x, n, name="kernel_size"):
    if isinstance(x, (tuple, list)):
        if len(x) != n:
            kind = "a pair of ints" if n == 2 else f"a tuple of {n} ints"
            raise ValueError(f"{name} must be an int or {kind}, got {x!r}")
        return tuple(int(v) for v in x)
    return (int(x),) * n


def _pair(x, name="kernel_size"):
    return _ntuple(x, 2, name)


class _ConvNd(Module):
    """What every convolution shares: argument checks, parameters, initialization, repr.

    The weight is ``(out_channels, in_channels // groups, *kernel_size)`` for a convolution and
    ``(in_channels, out_channels // groups, *kernel_size)`` for a transposed one. It starts
    from ``kaiming_uniform_(a=sqrt(5))`` and the bias from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    as in PyTorch.
    """

    _dims = 2

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed,
        output_padding,
        groups,
        bias,
        padding_mode,
        device=None,
        dtype=None,
    ):
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"padding_mode={padding_mode!r} is not supported by d2lmods (only 'zeros')"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n, "stride")
        self.dilation = _ntuple(dilation, n, "dilation")
        if isinstance(padding, str):
            if transposed:
                raise ValueError(
                    f"padding={padding!r} is not supported by "
                    f"{type(self).__name__}: give the padding as an int or a tuple"
                )
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and self.stride != (1,) * n:
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n, "padding")
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.transposed = transposed
        self.groups = groups
        self.padding_mode = padding_mode
        kw = {} if dtype is None else {"dtype": dtype}
        import d2lmods

        if transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(d2lmods.empty(shape, **kw))
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

    def extra_repr(self) -> str:
        n = self._dims
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D cross-correlation over a batch of sequences ``(N, C_in, L) -> (N, C_out, L')``."""

    _dims = 1

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input):
        _check_nd_input(self, input, 1)
        return F.conv1d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv2d(_ConvNd):
    """2-D cross-correlation over a batch of images ``(N, C_in, H, W) -> (N, C_out, H', W')``.

    Weights ``(out_channels, in_channels // groups, kH, kW)`` start from
    ``kaiming_uniform_(a=sqrt(5))`` and the bias from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    as in PyTorch.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input):
        _check_conv_input(self, input)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution ``(N, C_in, H, W) -> (N, C_out, H', W')``, the adjoint of
    ``Conv2d`` (it upsamples: ``H' = (H - 1) * stride - 2 * padding + dilation * (kH - 1) +
    output_padding + 1``). The weight is ``(in_channels, out_channels // groups, kH, kW)``.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule and message)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = list(output_size)
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        elif len(output_size) == n + 1 and input.dim() == n + 1:
            output_size = output_size[1:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have "
                f"{n} or {n + 2} elements (got {len(output_size)})"
            )
        spatial = tuple(input.shape[-n:])
        lo, hi = [], []
        for d in range(n):
            size = (
                (spatial[d] - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            lo.append(size)
            hi.append(size + self.stride[d] - 1)
        for d in range(n):
            if not lo[d] <= output_size[d] <= hi[d]:
                import d2lmods

                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes "
                    f"range from {lo} to {hi} (for an input of "
                    f"{d2lmods.Size(spatial)!r})"
                )
        return tuple(output_size[d] - lo[d] for d in range(n))

    def forward(self, input, output_size=None):
        _check_nd_input(self, input, 2)
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


def _check_nd_input(conv, x, dims) -> None:
    """The input is a tensor with ``dims`` (unbatched) or ``dims + 1`` spatial-plus-channel
    dimensions; the op itself reports channel mismatches, with the module's place added."""
    from d2lmods._messages import layers as texts, who
    from d2lmods.nn._callstack import located, module_where
    from d2lmods.nn.modules.linear import check_input

    check_input(conv, x)
    nd = len(x._data.shape)
    cls = type(conv).__name__
    if nd in (dims + 1, dims + 2):
        c = x._data.shape[-dims - 1]
        if c == conv.in_channels:
            return
        where = module_where(conv)
        detail = "transposed=1" if conv.transposed else f"groups={conv.groups}"
        raise located(
            RuntimeError(
                texts.conv_channels(
                    who(cls, where),
                    cls,
                    detail,
                    list(conv.weight._data.shape),
                    list(x._data.shape),
                    conv.in_channels,
                    c,
                )
            ),
            where,
        )
    where = module_where(conv)
    raise located(
        RuntimeError(texts.conv_rank(who(cls, where), cls, dims, list(x._data.shape))), where
    )


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
    from d2lmods._messages import layers as texts, who
    from d2lmods.nn._callstack import located, module_where

    where = module_where(conv)
    text = texts.conv_input(who(type(conv).__name__, where), shape, c)
    if text is not None:
        raise located(RuntimeError(text), where)


class _LazyConvXdMixin(LazyModuleMixin):
    """Reads ``in_channels`` from the first input, then materializes the weight and bias."""

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _weight_shape(self):
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            from d2lmods.autograd.grad_mode import no_grad

            with no_grad():
                shape = tuple(input.shape)
                n = self._dims
                if len(shape) not in (n + 1, n + 2):
                    import d2lmods

                    raise RuntimeError(
                        f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input "
                        f"to {self._get_name()}, but got input of size: "
                        f"{d2lmods.Size(shape)!r}"
                    )
                self.in_channels = shape[1] if len(shape) == n + 2 else shape[0]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                self.weight.materialize(self._weight_shape())
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        elif self.in_channels == 0:
            # Shapes came from load_state_dict: report the real size from now on.
            w = self.weight._data.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """``Conv1d`` whose ``in_channels`` is read from the first input it sees."""

    cls_to_become = Conv1d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, dtype=dtype
        )
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is read from the first input it sees.

    >>> import d2lmods
    >>> from d2lmods import nn
    >>> conv = nn.LazyConv2d(6, kernel_size=5, padding=2)
    >>> _ = conv(d2lmods.zeros(1, 3, 8, 8)); conv
    Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, dtype=dtype
        )
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """``ConvTranspose2d`` whose ``in_channels`` is read from the first input it sees."""

    cls_to_become = ConvTranspose2d

    def __init__(
        self,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
            dtype=dtype,
        )
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
