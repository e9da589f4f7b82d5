"""``batch_norm`` as one autograd op (PyTorch's ``NativeBatchNormBackward0``).

Per channel ``c`` (dim 1), over the ``M`` values of the batch and the spatial dimensions::

    xhat = (x - mean) * invstd          invstd = 1 / sqrt(var + eps)
    y    = xhat * weight + bias

While training, ``mean``/``var`` are the batch's (biased variance) and depend on ``x``, so

    dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))

In eval mode they are the running estimates, constants: ``dx = weight * invstd * dy``.
Always ``dweight = sum(dy * xhat)`` and ``dbias = sum(dy)``.
The running estimates are updated in place with the unbiased batch variance, as PyTorch does.

Both directions run as the kernels of ``d2lmods.kernels.normalization`` on the input viewed as
(N, C, S): the forward is one affine pass ``x * scale + shift`` (after a statistics pass while
training), the backward one pass of sums and one writing the input's gradient. The input is kept
for the backward rather than ``xhat`` (PyTorch keeps it too), so no normalized copy is made.
"""

import numpy as np

from .. import kernels as K
from .._messages import core as texts
from ..kernels import contig
from ._util import STATE, Node, OpError, Size, out, plain, ver

__all__ = ["batch_norm"]


class NativeBatchNormBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, w, b = self.inputs
        x3, mean, invstd, wd = self.saved  # mean, invstd: float64, length C
        training, x_shape, x_dtype = self.meta
        work = x3.dtype
        g3 = contig(np.asarray(g), dtype=work).reshape(x3.shape)
        gx = gw = gb = None
        need_sums = b is not None or w is not None or (x is not None and training)
        gsum, gdot = K.batch_norm_bwd_sums(g3, x3, mean.astype(work)) if need_sums else (0, 0)
        if x is not None:
            scale = invstd if wd is None else invstd * wd
            if training:
                m = x3.shape[0] * x3.shape[2]
                k2 = -scale * invstd * invstd * (gdot / m)
                k3 = -scale * (gsum / m)
                gx = K.batch_norm_bwd_input(
                    g3, x3, mean.astype(work), scale.astype(work), k2.astype(work), k3.astype(work)
                )
            else:
                gx = K.batch_norm_affine(g3, scale.astype(work), np.zeros(len(scale), work))
            gx = gx.reshape(x_shape).astype(x_dtype, copy=False)
        if w is not None:
            gw = (gdot * invstd).astype(wd.dtype)
        if b is not None:
            gb = gsum.astype(b[0]._data.dtype)
        return gx, gw, gb


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalize each channel of ``input`` (N, C, ...) by the batch's statistics when
    ``training`` (updating ``running_mean``/``running_var`` in place if given), else by the
    running ones."""
    x = input
    xd = x._data
    if xd.ndim < 2:
        raise OpError(
            f"batch_norm: expected an input with a batch and a channel dimension "
            f"(N, C, ...), got shape {Size(xd.shape)}",
            op="batch_norm",
            shapes=(xd.shape,),
        )
    if xd.dtype.kind != "f":
        raise OpError(
            f"batch_norm expects a floating-point input, got {x.dtype}",
            op="batch_norm",
            shapes=(xd.shape,),
        )
    c = xd.shape[1]
    for name, t in (
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        if t is not None and t._data.shape != (c,):
            raise OpError(
                f"batch_norm: {name} of shape {Size(t._data.shape)} does not match the "
                f"input's {c} channels (input of shape {Size(xd.shape)})",
                op="batch_norm",
                shapes=(xd.shape, t._data.shape),
            )
    if xd.dtype != np.float16:  # half inputs may use float32 statistics, as on PyTorch's CPU
        for name, t in (
            ("weight", weight),
            ("bias", bias),
            ("running_mean", running_mean),
            ("running_var", running_var),
        ):
            if t is not None and t._data.dtype != xd.dtype:
                raise OpError(
                    texts.mixed_dtype("batch_norm", x.dtype, name, t.dtype),
                    op="batch_norm",
                    shapes=(xd.shape, t._data.shape),
                )
    work = np.float32 if xd.dtype == np.float16 else xd.dtype
    x3 = contig(xd, dtype=work).reshape(xd.shape[0], c, -1)  # (N, C, S), kept for the backward
    if training:
        m = x3.shape[0] * x3.shape[2]
        mean, var = K.batch_norm_stats(x3)  # float64
        invstd = 1.0 / np.sqrt(var + eps)
        if running_mean is not None and running_var is not None:
            rm, rv = running_mean._data, running_var._data
            unbiased = var * (m / (m - 1)) if m > 1 else var
            rm *= rm.dtype.type(1 - momentum)
            rm += (mean * momentum).astype(rm.dtype, copy=False)
            rv *= rv.dtype.type(1 - momentum)
            rv += (unbiased * momentum).astype(rv.dtype, copy=False)
            running_mean._vcell[0] += 1
            running_var._vcell[0] += 1
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        mean = running_mean._data.astype(np.float64)
        var = running_var._data.astype(np.float64)
        invstd = 1.0 / np.sqrt(var + eps)
    wd = None if weight is None else weight._data
    scale = invstd if wd is None else invstd * wd
    shift = -mean * scale if bias is None else bias._data - mean * scale
    y = K.batch_norm_affine(x3, scale.astype(work), shift.astype(work))
    y = y.reshape(xd.shape).astype(xd.dtype, copy=False)
    w_rg = weight is not None and weight._rg
    b_rg = bias is not None and bias._rg
    if STATE.enabled and (x._rg or w_rg or b_rg):
        # the input is kept (PyTorch keeps it too), so its in-place changes are checked
        versions = (ver(x),) + ((ver(weight),) if weight is not None else ())
        node = NativeBatchNormBackward0()
        res = out(
            y,
            node,
            (x if x._rg else None, weight if w_rg else None, bias if b_rg else None),
            (x3, mean, invstd, wd),
            versions,
            meta=(bool(training), xd.shape, xd.dtype),
        )
        return res
    return plain(y)
