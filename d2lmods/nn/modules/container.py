"""torch's path ``torch.nn.modules.container`` for the containers of ``d2lmods.nn.containers``."""

from ..containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
