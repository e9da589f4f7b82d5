"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Every op asks ``STATE.enabled`` before recording a graph node, so the check is one attribute read.

    >>> import d2lmods as torch
    >>> w = torch.ones(2, requires_grad=True)
    >>> with torch.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
"""

import functools

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


# One process-wide switch (d2lmods does not record graphs from several threads at once).
STATE = _GradState()


def is_grad_enabled():
    """True when new ops record the graph needed by ``backward``."""
    return STATE.enabled


class _GradModeContext:
    """Base of the context managers below; each instance also works as a decorator."""

    _mode = True

    def __new__(cls, orig_func=None):
        # ``@no_grad`` without parentheses decorates the function directly.
        if callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        self._prev = []

    def __enter__(self):
        self._prev.append(STATE.enabled)
        STATE.enabled = self._mode
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Run a block (or a decorated function) without recording gradients.

    Use it for parameter updates and evaluation::

        with torch.no_grad():
            w -= lr * w.grad
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Record gradients inside a ``no_grad`` block."""

    _mode = True


class _InferenceState:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = False


INFERENCE = _InferenceState()


def is_inference_mode_enabled():
    """True inside ``with torch.inference_mode():``."""
    return INFERENCE.enabled


class inference_mode(no_grad):
    """``no_grad`` that ``is_inference_mode_enabled()`` reports (accepted so PyTorch code runs
    unchanged; d2lmods has no separate inference tensors)."""

    def __new__(cls, mode=True):
        return object.__new__(cls)

    def __init__(self, mode=True):
        super().__init__()
        self._inference = bool(mode)
        self._mode = not mode
        self._inference_prev = []

    def __enter__(self):
        self._inference_prev.append(INFERENCE.enabled)
        INFERENCE.enabled = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        INFERENCE.enabled = self._inference_prev.pop()
        return super().__exit__(*exc)

    def __call__(self, fn):
        mode = self._inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` turns recording off; works as a call, a context manager or a decorator."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        super().__init__()
        self._mode = bool(mode)
        # Like PyTorch, calling it as a plain function takes effect immediately.
        self._prev.append(STATE.enabled)
        STATE.enabled = self._mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        STATE.enabled = self._prev.pop()
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
