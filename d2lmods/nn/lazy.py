"""``LazyModuleMixin``: layers that learn their input size from the first batch.

A lazy layer (``nn.LazyLinear(256)``) starts with :class:`UninitializedParameter`
placeholders. A forward pre-hook reads the first input's shape, fills the
placeholders *in place* (so an optimizer created earlier still holds the right
objects), runs ``reset_parameters`` and then turns the layer into its eager
class (``cls_to_become``: ``LazyLinear`` -> ``Linear``), as PyTorch does::

    >>> import d2lmods as torch
    >>> from d2lmods import nn
    >>> layer = nn.LazyLinear(3)
    >>> layer
    LazyLinear(in_features=0, out_features=3, bias=True)
    >>> _ = layer(torch.randn(2, 5))
    >>> layer
    Linear(in_features=5, out_features=3, bias=True)

Writing a lazy layer: subclass ``(LazyModuleMixin, EagerLayer)``, create
placeholders in ``__init__``, and implement ``initialize_parameters(self, input)``
that calls ``materialize(shape)`` on each placeholder (under ``no_grad``) and then
``self.reset_parameters()``.
"""

from __future__ import annotations

from .._messages import modules as texts
from .parameter import is_lazy, no_grad

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mixin for modules whose parameter shapes are inferred from the first input."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _lazy_load_hook(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        """Give placeholders the checkpoint's shapes, so ``load_state_dict`` can copy into them.

        The layer keeps its lazy class (and ``in_features=0`` in its repr) until its first
        call, as in PyTorch 2.x.
        """
        for registry in (self._parameters, self._buffers):
            for name, value in registry.items():
                key = prefix + name
                if value is None or key not in state_dict or not is_lazy(value):
                    continue
                incoming = state_dict[key]
                if is_lazy(incoming):
                    continue
                with no_grad():
                    value.materialize(tuple(incoming.shape))

    def initialize_parameters(self, *args, **kwargs):
        """Materialize the placeholders from the first input (each lazy layer implements this)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """True while any own parameter or buffer is still a placeholder."""
        params = self._parameters.values()
        buffers = self._buffers.values()
        return any(is_lazy(p) for p in params) or any(is_lazy(b) for b in buffers)

    def _infer_parameters(self, module, args, kwargs=None):
        """Forward pre-hook: initialize from the first input, then become the eager class."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def forward(self, *args, **kwargs):
        if self.has_uninitialized_params():
            raise RuntimeError(texts.lazy_forward_direct(self._get_name()))
        return super().forward(*args, **kwargs)

    def _replicate_for_data_parallel(self):  # pragma: no cover - API parity only
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`."
        )
