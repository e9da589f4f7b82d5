"""``d2lmods.nn``: modules, parameters, containers and layers, as in ``torch.nn``.

>>> from d2lmods import nn
>>> net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
"""

# --- module system: Module, Parameter, containers, lazy mixin, Linear, checks -----------------
from .._messages import (
    ModuleUsageWarning,
    SharedInstanceWarning,
    StateDictWarning,
    TrainingWarning,
    UnregisteredModuleWarning,
)

# --- layers, functional, init (nn-layers area) ------------------------------------------------
from . import functional, init, parameter, utils
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .lazy import LazyModuleMixin
from .module import Module
from .modules.activation import (
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
from .modules.conv import (
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    LazyConv1d,
    LazyConv2d,
    LazyConvTranspose2d,
)
from .modules.dropout import Dropout
from .modules.flatten import Flatten, Unflatten
from .modules.linear import Identity, LazyLinear, Linear
from .modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .modules.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    LayerNorm,
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
)
from .modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .modules.sparse import Embedding
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
