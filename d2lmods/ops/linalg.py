"""Matrix products on numpy BLAS: ``matmul`` (``@``), ``mm``, ``bmm``, ``dot``, ``mv``, ``outer``.

    y = a @ b        da = dy @ b^T,   db = a^T @ dy

Unlike elementwise ops, products never mix dtypes silently (PyTorch refuses too): a float64
input with float32 weights is an error that names both dtypes.
"""
import numpy as np

from ._util import Node, STATE, Size, Tensor, out, plain, sum_to, ver, OpError

__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "check_same_dtype"]


def check_same_dtype(a, b, op="mm"):
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        raise OpError(f"{'expected m1 and m2 to have the same dtype' if op == 'bmm' else 'mat1 and mat2 must have the same dtype'}, "
                      f"but got {a.dtype.torch_name} and {b.dtype.torch_name}",
                      op=op, shapes=(a._data.shape, b._data.shape))


def _mm_shape_error(sa, sb, op="mm"):
    return OpError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                   f"{sb[0]}x{sb[1]})", op=op, shapes=(sa, sb))


class MmBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (g @ bd.T if a is not None else None, ad.T @ g if b is not None else None)


def mm(a, b):
    """Product of two 2-D tensors."""
    ad, bd = a._data, b._data
    if ad.ndim != 2 or bd.ndim != 2:
        raise OpError(f"{'self' if ad.ndim != 2 else 'mat2'} must be a matrix (mm needs 2-D "
                      f"tensors, got shapes {Size(ad.shape)} and {Size(bd.shape)})", op="mm",
                      shapes=(ad.shape, bd.shape))
    if ad.shape[1] != bd.shape[0]:
        raise _mm_shape_error(ad.shape, bd.shape)
    check_same_dtype(a, b)
    res = ad @ bd
    if STATE.enabled and (a._rg or b._rg):
        return out(res, MmBackward0(), (a if a._rg else None, b if b._rg else None), (ad, bd),
                   (ver(a), ver(b)))
    return plain(res)


class BmmBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (g @ np.swapaxes(bd, -1, -2) if a is not None else None,
                np.swapaxes(ad, -1, -2) @ g if b is not None else None)


def bmm(a, b):
    """Batched product of (B, n, m) and (B, m, p) tensors."""
    ad, bd = a._data, b._data
    if ad.ndim != 3 or bd.ndim != 3:
        raise OpError(f"batch1 and batch2 must be 3D tensors (got shapes {Size(ad.shape)} and "
                      f"{Size(bd.shape)})", op="bmm", shapes=(ad.shape, bd.shape))
    if ad.shape[0] != bd.shape[0] or ad.shape[2] != bd.shape[1]:
        raise OpError(f"Expected size for first two dimensions of batch2 tensor to be: "
                      f"[{ad.shape[0]}, {ad.shape[2]}] but got: [{bd.shape[0]}, {bd.shape[1]}].",
                      op="bmm", shapes=(ad.shape, bd.shape))
    check_same_dtype(a, b, "bmm")
    res = ad @ bd
    if STATE.enabled and (a._rg or b._rg):
        return out(res, BmmBackward0(), (a if a._rg else None, b if b._rg else None), (ad, bd),
                   (ver(a), ver(b)))
    return plain(res)


class DotBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (g * bd if a is not None else None, g * ad if b is not None else None)


class MvBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (np.outer(g, bd) if a is not None else None, ad.T @ g if b is not None else None)


class SqueezeBackward4(Node):
    """vector @ matrix (PyTorch records it as an unsqueeze + mm + squeeze: SqueezeBackward4)."""
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        return (bd @ g if a is not None else None, np.outer(ad, g) if b is not None else None)


class UnsafeViewBackward0(Node):
    """Broadcast batched matmul (N-D @ N-D): gradients summed over broadcast batch dims."""
    __slots__ = ()

    def backward(self, g):
        a, b = self.inputs
        ad, bd = self.saved
        ga = gb = None
        if a is not None:
            ga = sum_to(g @ np.swapaxes(bd, -1, -2), ad.shape)
        if b is not None:
            gb = sum_to(np.swapaxes(ad, -1, -2) @ g, bd.shape)
        return ga, gb


def _record(res, node_cls, a, b):
    if STATE.enabled and (a._rg or b._rg):
        return out(res, node_cls(), (a if a._rg else None, b if b._rg else None),
                   (a._data, b._data), (ver(a), ver(b)))
    return plain(res)


def matmul(a, b):
    """``a @ b`` with NumPy/PyTorch rules for 1-D, 2-D and batched operands."""
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(b).__name__}")
    ad, bd = a._data, b._data
    na, nb = ad.ndim, bd.ndim
    if na == 0 or nb == 0:
        raise OpError(f"both arguments to matmul need to be at least 1D, but they are {na}D and "
                      f"{nb}D", op="matmul", shapes=(ad.shape, bd.shape))
    if na == 2 and nb == 2:
        return mm(a, b)
    check_same_dtype(a, b, "matmul")
    if na == 1 and nb == 1:
        if ad.shape[0] != bd.shape[0]:
            raise OpError(f"inconsistent tensor size, expected tensor [{ad.shape[0]}] and src "
                          f"[{bd.shape[0]}] to have the same number of elements, but got "
                          f"{ad.shape[0]} and {bd.shape[0]} elements respectively", op="dot",
                          shapes=(ad.shape, bd.shape))
        return _record(np.asarray(ad @ bd), DotBackward0, a, b)
    if na == 2 and nb == 1:
        if ad.shape[1] != bd.shape[0]:
            raise OpError(f"size mismatch, got input ({ad.shape[0]}), mat ({ad.shape[0]}x"
                          f"{ad.shape[1]}), vec ({bd.shape[0]})", op="mv",
                          shapes=(ad.shape, bd.shape))
        return _record(ad @ bd, MvBackward0, a, b)
    if na == 1 and nb == 2:
        if ad.shape[0] != bd.shape[0]:
            raise _mm_shape_error((1, ad.shape[0]), bd.shape, "matmul")
        return _record(ad @ bd, SqueezeBackward4, a, b)
    # batched: promote 1-D operands, multiply, then drop the added axes
    if na == 1:
        return matmul(a.unsqueeze(0), b).squeeze(-2)
    if nb == 1:
        return matmul(a, b.unsqueeze(-1)).squeeze(-1)
    if ad.shape[-1] != bd.shape[-2]:
        raise _mm_shape_error((int(np.prod(ad.shape[:-1])), ad.shape[-1]), bd.shape[-2:],
                              "matmul") if nb == 2 else OpError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{bd.shape[0]}, {ad.shape[-1]}] but got: [{bd.shape[0]}, {bd.shape[-2]}].",
            op="matmul", shapes=(ad.shape, bd.shape))
    try:
        res = ad @ bd
    except ValueError:
        raise OpError(f"The size of tensor a must match the size of tensor b at non-singleton "
                      f"batch dimensions (shapes {Size(ad.shape)} and {Size(bd.shape)})",
                      op="matmul", shapes=(ad.shape, bd.shape)) from None
    return _record(res, UnsafeViewBackward0, a, b)


def dot(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise OpError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors",
                      op="dot", shapes=(a._data.shape, b._data.shape))
    return matmul(a, b)


def mv(a, b):
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise OpError(f"vector + matrix @ vector expected, got {a._data.ndim}, {b._data.ndim}",
                      op="mv", shapes=(a._data.shape, b._data.shape))
    return matmul(a, b)


def outer(a, b):
    return a.reshape(-1, 1) * b.reshape(1, -1)
