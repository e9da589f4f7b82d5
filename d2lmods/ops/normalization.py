"""``batch_norm`` as one autograd op (PyTorch's ``NativeBatchNormBackward0``).

Per channel ``c`` (dim 1), over the ``M`` values of the batch and the spatial dimensions::

    xhat = (x - mean) * invstd          invstd = 1 / sqrt(var + eps)
    y    = xhat * weight + bias

While training, ``mean``/``var`` are the batch's (biased variance) and depend on ``x``, so

    dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))

In eval mode they are the running estimates, constants: ``dx = weight * invstd * dy``.
Always ``dweight = sum(dy * xhat)`` and ``dbias = sum(dy)``.
The running estimates are updated in place with the unbiased batch variance, as PyTorch does.
"""
import numpy as np

from .._messages import core as texts
from ._util import STATE, Node, OpError, Size, out, plain, ver

__all__ = ["batch_norm"]


class NativeBatchNormBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, w, b = self.inputs
        xhat, invstd, wd = self.saved
        training, axes, bshape = self.meta
        g = np.asarray(g, dtype=xhat.dtype)
        gx = gw = gb = None
        gsum = g.sum(axis=axes) if (b is not None or (x is not None and training)) else None
        gdot = (g * xhat).sum(axis=axes) if (w is not None or (x is not None and training)) \
            else None
        if x is not None:
            scale = invstd if wd is None else invstd * wd
            if training:
                m = xhat.size // xhat.shape[1]
                gx = scale.reshape(bshape) * (g - (gsum / m).reshape(bshape)
                                              - xhat * (gdot / m).reshape(bshape))
            else:
                gx = g * scale.reshape(bshape)
            gx = gx.astype(x[0]._data.dtype, copy=False)
        if w is not None:
            gw = gdot.astype(wd.dtype, copy=False)
        if b is not None:
            gb = gsum.astype(b[0]._data.dtype, copy=False)
        return gx, gw, gb


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel of ``input`` (N, C, ...) by the batch's statistics when
    ``training`` (updating ``running_mean``/``running_var`` in place if given), else by the
    running ones."""
    x = input
    xd = x._data
    if xd.ndim < 2:
        raise OpError(f"batch_norm: expected an input with a batch and a channel dimension "
                      f"(N, C, ...), got shape {Size(xd.shape)}", op="batch_norm",
                      shapes=(xd.shape,))
    if xd.dtype.kind != "f":
        raise OpError(f"batch_norm expects a floating-point input, got {x.dtype}",
                      op="batch_norm", shapes=(xd.shape,))
    c = xd.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.shape != (c,):
            raise OpError(f"batch_norm: {name} of shape {Size(t._data.shape)} does not match the "
                          f"input's {c} channels (input of shape {Size(xd.shape)})",
                          op="batch_norm", shapes=(xd.shape, t._data.shape))
    if xd.dtype != np.float16:   # half inputs may use float32 statistics, as on PyTorch's CPU
        for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                        ("running_var", running_var)):
            if t is not None and t._data.dtype != xd.dtype:
                raise OpError(texts.mixed_dtype("batch_norm", x.dtype, name, t.dtype),
                              op="batch_norm", shapes=(xd.shape, t._data.shape))
    axes = (0,) + tuple(range(2, xd.ndim))
    bshape = (1, c) + (1,) * (xd.ndim - 2)
    work = np.float32 if xd.dtype == np.float16 else xd.dtype
    xw = xd.astype(work, copy=False)
    if training:
        m = xd.size // c
        mean = xw.mean(axis=axes)
        centered = xw - mean.reshape(bshape)
        var = (centered * centered).mean(axis=axes)
        invstd = (1.0 / np.sqrt(var + eps)).astype(work, copy=False)
        xhat = centered * invstd.reshape(bshape)
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
        rm = running_mean._data.astype(work, copy=False)
        invstd = (1.0 / np.sqrt(running_var._data.astype(work, copy=False) + eps)).astype(
            work, copy=False)
        xhat = (xw - rm.reshape(bshape)) * invstd.reshape(bshape)
    wd = None if weight is None else weight._data
    y = xhat * wd.reshape(bshape) if wd is not None else xhat.copy()
    if bias is not None:
        y += bias._data.reshape(bshape)
    y = y.astype(xd.dtype, copy=False)
    w_rg = weight is not None and weight._rg
    b_rg = bias is not None and bias._rg
    if STATE.enabled and (x._rg or w_rg or b_rg):
        versions = (ver(weight),) if weight is not None else ()
        node = NativeBatchNormBackward0()
        res = out(y, node, (x if x._rg else None, weight if w_rg else None,
                            bias if b_rg else None),
                  (xhat, invstd, wd), versions, meta=(bool(training), axes, bshape))
        return res
    return plain(y)
