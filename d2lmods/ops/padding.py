"""``pad`` as in ``torch.nn.functional.pad``: constant, reflect, replicate and circular modes.

``pad`` lists ``(left, right)`` pairs from the last dimension backwards; a negative amount crops.
The constant mode is one slice assignment (``ConstantPadNdBackward0``: the gradient is the slice
of the upstream gradient that covers the input, zero where the input was cropped).
The other modes gather the input at an index per output position along each padded dimension
(reflect: ``-i`` and ``2 (n - 1) - i`` outside ``[0, n)``; replicate: the nearest edge;
circular: ``i mod n``); their gradient scatters the upstream gradient back with ``np.add.at``.
"""

import numpy as np

from ._util import STATE, Node, OpError, OpNotImplementedError, out, plain

__all__ = ["pad"]


class ConstantPadNdBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        dst, src, shape = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        gx[src] = g[dst]
        return (gx,)


class _GatherPadBackward(Node):
    __slots__ = ()

    def backward(self, g):
        index, shape = self.meta
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(gx, index, g)
        return (gx,)


class ReflectionPad1DBackward0(_GatherPadBackward):
    __slots__ = ()


class ReflectionPad2DBackward0(_GatherPadBackward):
    __slots__ = ()


class ReflectionPad3DBackward0(_GatherPadBackward):
    __slots__ = ()


class ReplicationPad1DBackward0(_GatherPadBackward):
    __slots__ = ()


class ReplicationPad2DBackward0(_GatherPadBackward):
    __slots__ = ()


class ReplicationPad3DBackward0(_GatherPadBackward):
    __slots__ = ()


class CopySlices(_GatherPadBackward):  # the name torch's composite circular pad shows
    __slots__ = ()


_NODES = {
    ("reflect", 1): ReflectionPad1DBackward0,
    ("reflect", 2): ReflectionPad2DBackward0,
    ("reflect", 3): ReflectionPad3DBackward0,
    ("replicate", 1): ReplicationPad1DBackward0,
    ("replicate", 2): ReplicationPad2DBackward0,
    ("replicate", 3): ReplicationPad3DBackward0,
}


def _pairs(pad, ndim):
    """``[(before, after)]`` for every dimension, from torch's last-dimension-first list."""
    k = len(pad) // 2
    pairs = [(0, 0)] * (ndim - k)
    for d in range(k - 1, -1, -1):
        pairs.append((int(pad[2 * d]), int(pad[2 * d + 1])))
    return pairs


def pad(input, pad, mode="constant", value=None):
    x = input._data
    if any(not isinstance(p, (int, np.integer)) or isinstance(p, bool) for p in pad):
        bad = next(p for p in pad if not isinstance(p, (int, np.integer)))
        pos = list(pad).index(bad)
        raise TypeError(
            "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
            f"type {type(bad).__name__} at pos {pos}"
        )
    if len(pad) % 2:
        raise OpError("Padding length must be divisible by 2", op="pad", shapes=(x.shape,))
    if len(pad) // 2 > x.ndim:
        raise OpError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {x.ndim}",
            op="pad",
            shapes=(x.shape,),
        )
    pairs = _pairs(pad, x.ndim)
    if mode == "constant":
        return _constant(input, pairs, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise OpNotImplementedError(f"Unrecognised padding mode {mode}", op="pad")
    if value is not None and value != 0:
        raise OpError(f'Padding mode "{mode}" doesn\'t take in value argument', op="pad")
    k = len(pad) // 2
    if not (k >= 1 and x.ndim in (k + 1, k + 2) and k <= 3):
        raise OpNotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)",
            op="pad",
            shapes=(x.shape,),
        )
    idx = []
    for d in range(x.ndim - k, x.ndim):
        n = x.shape[d]
        a, b = pairs[d]
        if mode == "reflect" and (a >= n or b >= n):
            raise OpError(
                f"Argument #{2 + 2 * k}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({a}, {b}) at dimension {d} of input "
                f"{list(x.shape)}",
                op="pad",
                shapes=(x.shape,),
            )
        if mode == "circular" and (a > n or b > n):
            raise OpError("Padding value causes wrapping around more than once.", op="pad")
        j = np.arange(-a, n + b)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= n, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        else:
            j = j % n
        idx.append(j)
    index = (slice(None),) * (x.ndim - k) + np.ix_(*idx)
    y = x[index]
    if input._rg and STATE.enabled:
        node = CopySlices() if mode == "circular" else _NODES[mode, k]()
        return out(y, node, (input,), (), (), meta=(index, x.shape))
    return plain(y)


def _constant(input, pairs, value):
    x = input._data
    src = tuple(slice(max(-a, 0), x.shape[i] - max(-b, 0)) for i, (a, b) in enumerate(pairs))
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, pairs))
    if any(s < 0 for s in shape):
        raise OpError(
            "narrow(): length must be non-negative.\npad: the negative padding crops more "
            f"than the input's size (input shape {list(x.shape)}, pad {pairs[::-1]}).",
            op="pad",
            shapes=(x.shape,),
        )
    y = np.full(shape, value, dtype=x.dtype)
    dst = tuple(
        slice(max(a, 0), max(a, 0) + max(s.stop - s.start, 0)) for s, (a, _) in zip(src, pairs)
    )
    y[dst] = x[src]
    if input._rg and STATE.enabled:
        return out(y, ConstantPadNdBackward0(), (input,), (), (), meta=(dst, src, x.shape))
    return plain(y)
