"""Datasets and mini-batch loading, shaped like ``torch.utils.data``.

>>> import d2lmods
>>> from d2lmods.utils.data import TensorDataset, DataLoader
>>> X, y = d2lmods.arange(10.).reshape(5, 2), d2lmods.arange(5)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
>>> len(loader), [tuple(xb.shape) for xb, yb in loader]
(3, [(2, 2), (2, 2), (1, 2)])

``shuffle=True`` draws a fresh permutation each epoch from d2lmods' global
random generator, so ``d2lmods.manual_seed(0)`` makes the order repeatable.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Dataset", "TensorDataset", "DataLoader", "random_split", "Subset", "default_collate"]


class Dataset:
    """Base class: subclasses implement ``__getitem__`` (and usually ``__len__``)."""

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(self, index) returning one sample"
        )

    def __add__(self, other):
        raise NotImplementedError("concatenating datasets is not supported by d2lmods")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``dataset[i] == (t0[i], t1[i], ...)``.

    >>> import d2lmods
    >>> ds = TensorDataset(d2lmods.zeros(3, 2), d2lmods.arange(3))
    >>> len(ds), ds[1][1].item()
    (3, 1)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        n = tensors[0].shape[0] if len(tensors[0].shape) else None
        for i, t in enumerate(tensors):
            if not hasattr(t, "shape") or len(t.shape) == 0 or t.shape[0] != n:
                shapes = ", ".join(str(tuple(getattr(x, "shape", ()))) for x in tensors)
                raise ValueError(
                    f"Size mismatch between tensors: TensorDataset needs every tensor to have the "
                    f"same first dimension (the number of samples), got shapes {shapes} "
                    f"(tensor {i} differs). Check that X and y hold the same number of rows."
                )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, idx):
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


def _randperm(n: int) -> np.ndarray:
    from d2lmods.random import default_generator

    return default_generator().permutation(n)


def random_split(dataset, lengths):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths
    (integers, or fractions summing to 1)."""
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # spread the remainder like torch does
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of the "
            f"input dataset ({n})"
        )
    perm = _randperm(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start : start + length]))
        start += length
    return out


def default_collate(batch):
    """Stack a list of samples into a batch: tensors are stacked along a new
    first dimension, numbers become a tensor, tuples/lists/dicts are collated
    field by field."""
    import d2lmods
    from d2lmods._tensor.core import Tensor

    first = batch[0]
    if isinstance(first, Tensor):
        return d2lmods.stack(list(batch))
    if isinstance(first, np.ndarray):
        return d2lmods.tensor(np.stack(batch))
    if isinstance(first, (bool, numbers.Number, np.generic)):
        return d2lmods.tensor(np.asarray(batch))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        sizes = {len(b) for b in batch}
        if len(sizes) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
        f"or lists; found {type(first).__name__}"
    )


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    Parameters follow PyTorch: ``batch_size=1``, ``shuffle=False``,
    ``drop_last=False``, ``collate_fn``. ``num_workers`` is accepted and
    ignored (loading happens in the main process).
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        collate_fn=None,
        num_workers=0,
        **kwargs,
    ):
        if batch_size is not None and (
            not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0
        ):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader needs a dataset with __getitem__ and __len__ (e.g. "
                f"TensorDataset(X, y)); got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = num_workers

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return _randperm(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        bs = self.batch_size
        stop = (len(order) // bs) * bs if self.drop_last else len(order)
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for start in range(0, stop, bs):
            idx = order[start : start + bs]
            if fast:  # one fancy-index per tensor instead of stacking rows one by one
                import d2lmods

                index = d2lmods.tensor(idx)
                yield [t[index] for t in self.dataset.tensors]
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(samples)
