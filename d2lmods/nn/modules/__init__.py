"""Layer classes of ``d2lmods.nn`` (re-exported from ``d2lmods.nn``), under torch's module paths.

Code that imports from ``torch.nn.modules.<file>`` -- ``from torch.nn.modules.linear import
Linear``, ``from torch.nn.modules.lazy import LazyModuleMixin`` -- runs with ``d2lmods`` in place
of ``torch``: ``module``, ``container``, ``lazy``, ``linear``, ``activation``, ``batchnorm``,
``normalization``, ``conv``, ``pooling``, ``dropout``, ``flatten``, ``loss`` and ``sparse`` exist.
"""

from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .batchnorm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose2d, LazyConv1d, LazyConv2d, LazyConvTranspose2d
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .lazy import LazyModuleMixin
from .linear import Identity, LazyLinear, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .sparse import Embedding

__all__ = [
    "Module",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "LazyModuleMixin",
    "Identity",
    "Linear",
    "LazyLinear",
    "ReLU",
    "LeakyReLU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "ELU",
    "CELU",
    "SELU",
    "SiLU",
    "Mish",
    "Hardswish",
    "Hardsigmoid",
    "Softplus",
    "Hardtanh",
    "ReLU6",
    "LogSigmoid",
    "Softsign",
    "Tanhshrink",
    "Threshold",
    "GLU",
    "Softmin",
    "PReLU",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LayerNorm",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConvTranspose2d",
    "Dropout",
    "Flatten",
    "Unflatten",
    "MSELoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCEWithLogitsLoss",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "Embedding",
]
