"""The tensor object and its satellites (dtypes, printing, creation, method binding)."""

from . import methods as _methods  # noqa: F401  (attaches ops to Tensor)
from .core import Tensor
