"""``d2lmods.nn``: modules, parameters, containers and layers, as in ``torch.nn``.

    >>> from d2lmods import nn
    >>> net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
"""
# --- module system: Module, Parameter, containers, lazy mixin, Linear, checks -----------------
from . import parameter
from .._messages import (ModuleUsageWarning, SharedInstanceWarning, StateDictWarning,
                         TrainingWarning, UnregisteredModuleWarning)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .lazy import LazyModuleMixin
from .module import Module
from .modules.linear import Identity, LazyLinear, Linear
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import utils

# --- layers, functional, init (nn-layers area) ------------------------------------------------
from . import functional, init
from .modules.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .modules.conv import Conv2d, LazyConv2d
from .modules.conv import Conv1d, ConvTranspose2d, LazyConv1d, LazyConvTranspose2d
from .modules.dropout import Dropout
from .modules.flatten import Flatten, Unflatten
from .modules.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, LazyBatchNorm1d
from .modules.normalization import BatchNorm3d, LazyBatchNorm2d, LazyBatchNorm3d
from .modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .modules.pooling import AdaptiveAvgPool1d, AvgPool1d, MaxPool1d
from .modules.sparse import Embedding
