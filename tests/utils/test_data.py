"""d2lmods.utils.data: Dataset, TensorDataset, DataLoader (batching, shuffling, drop_last)."""

import numpy as np
import pytest

import d2lmods
from d2lmods.utils import data


def _xy(n=10):
    X = d2lmods.arange(n * 2, dtype=d2lmods.float32).reshape(n, 2)
    y = d2lmods.arange(n)
    return X, y


def test_tensor_dataset_indexing_and_len():
    X, y = _xy(5)
    ds = data.TensorDataset(X, y)
    assert len(ds) == 5
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), [6.0, 7.0])
    assert yi.item() == 3


def test_tensor_dataset_size_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(5, 2\), \(4,\)"):
        data.TensorDataset(d2lmods.zeros(5, 2), d2lmods.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        data.TensorDataset()


@pytest.mark.parametrize(
    "n,bs,drop,sizes",
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (9, 3, False, [3, 3, 3]),
        (2, 5, False, [2]),
        (2, 5, True, []),
    ],
)
def test_batches_in_order(n, bs, drop, sizes):
    X, y = _xy(n)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=bs, drop_last=drop)
    assert len(loader) == len(sizes)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == sizes
    if batches:
        seen = np.concatenate([b[1].numpy() for b in batches])
        np.testing.assert_array_equal(seen, np.arange(len(seen)))
        np.testing.assert_array_equal(batches[0][0].numpy(), X.numpy()[:bs])


def test_shuffle_covers_everything_once_and_follows_the_seed():
    X, y = _xy(50)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=True)
    d2lmods.manual_seed(123)
    first = np.concatenate([yb.numpy() for _, yb in loader])
    second = np.concatenate([yb.numpy() for _, yb in loader])
    assert sorted(first.tolist()) == list(range(50))
    assert not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new order every epoch
    d2lmods.manual_seed(123)
    again = np.concatenate([yb.numpy() for _, yb in loader])
    np.testing.assert_array_equal(first, again)
    # features stay aligned with labels
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())


def test_custom_dataset_with_default_collate():
    class Squares(data.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return d2lmods.tensor([float(i), float(i * i)]), i, {"id": i}

    batches = list(data.DataLoader(Squares(), batch_size=4))
    xb, ib, meta = batches[0]
    assert tuple(xb.shape) == (4, 2)
    np.testing.assert_array_equal(ib.numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(meta["id"].numpy(), [0, 1, 2, 3])
    assert tuple(batches[1][0].shape) == (3, 2)


def test_batch_size_none_yields_samples_and_bad_batch_size_is_refused():
    X, y = _xy(3)
    items = list(data.DataLoader(data.TensorDataset(X, y), batch_size=None))
    assert len(items) == 3 and items[2][1].item() == 2
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="positive integer"):
            data.DataLoader(data.TensorDataset(X, y), batch_size=bad)


def test_dataset_base_requires_getitem():
    class Empty(data.Dataset):
        pass

    with pytest.raises(NotImplementedError, match="__getitem__"):
        Empty()[0]


def test_random_split():
    ds = data.TensorDataset(*_xy(10))
    d2lmods.manual_seed(0)
    a, b = data.random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3
    ids = sorted([int(a[i][1]) for i in range(7)] + [int(b[i][1]) for i in range(3)])
    assert ids == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        data.random_split(ds, [5, 6])


@pytest.mark.oracle
def test_same_batching_as_torch(torch):
    import torch.utils.data as tdata

    X, y = _xy(11)
    mine = [yb.numpy().tolist() for _, yb in data.DataLoader(data.TensorDataset(X, y), 4)]
    theirs = [
        yb.tolist()
        for _, yb in tdata.DataLoader(
            tdata.TensorDataset(torch.tensor(X.numpy()), torch.tensor(y.numpy())), 4
        )
    ]
    assert mine == theirs


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    bs=st.integers(1, 12),
    drop=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_loader_partitions_the_dataset(n, bs, drop, shuffle, seed):
    d2lmods.manual_seed(seed)
    X, y = _xy(n)
    loader = data.DataLoader(
        data.TensorDataset(X, y), batch_size=bs, shuffle=shuffle, drop_last=drop
    )
    batches = [yb.numpy().tolist() for _, yb in loader]
    assert len(batches) == len(loader)
    assert all(len(b) == bs for b in batches[:-1])
    seen = [i for b in batches for i in b]
    assert len(seen) == len(set(seen))
    if drop:
        assert len(seen) == (n // bs) * bs
    else:
        assert sorted(seen) == list(range(n))
