"""Sizes in nn messages print as torch prints them there: ``torch.Size([2, 1])``, not ``(2, 1)``.

Each test builds torch's text with the library's own name (``d2lmods.Size`` on d2lmods) and
checks that the message starts with it; d2lmods may add where it happened and a fix after it.
"""

import warnings

import pytest


def _size(lib, *dims):
    return f"{lib.__name__}.Size({list(dims)})"


def test_mse_loss_shape_warning(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.nn.MSELoss()(lib.zeros(4, 1), lib.zeros(4))
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(texts) == 1
    assert texts[0].startswith(
        f"Using a target size ({_size(lib, 4)}) that is different to the "
        f"input size ({_size(lib, 4, 1)})"
    )
    assert "This will likely lead to incorrect results due to broadcasting" in texts[0]


def test_mse_loss_same_shapes_are_silent(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lib.nn.MSELoss()(lib.zeros(4, 1), lib.zeros(4).reshape(4, 1))


def test_bce_with_logits_shape_error(lib):
    with pytest.raises(ValueError) as info:
        lib.nn.BCEWithLogitsLoss()(lib.zeros(8, 1), lib.zeros(8))
    assert str(info.value).startswith(
        f"Target size ({_size(lib, 8)}) must be the same as input size ({_size(lib, 8, 1)})"
    )


def test_batch_norm_single_sample_error(lib):
    with pytest.raises(ValueError) as info:
        lib.nn.BatchNorm1d(3)(lib.zeros(1, 3))
    assert str(info.value).startswith(
        f"Expected more than 1 value per channel when training, got input size {_size(lib, 1, 3)}"
    )


def test_load_state_dict_size_mismatch(lib):
    with pytest.raises(RuntimeError) as info:
        lib.nn.Linear(4, 2).load_state_dict({"weight": lib.zeros(3), "bias": lib.zeros(2)})
    assert (
        f"size mismatch for weight: copying a param with shape {_size(lib, 3)} from "
        f"checkpoint, the shape in current model is {_size(lib, 2, 4)}."
    ) in str(info.value)


def test_linear_shape_error_keeps_torchs_first_line(lib):
    with pytest.raises(RuntimeError) as info:
        lib.nn.Linear(3, 2)(lib.zeros(2, 4))
    assert str(info.value).startswith("mat1 and mat2 shapes cannot be multiplied (2x4 and 3x2)")


def test_layer_norm_shape_error_keeps_torchs_lists(lib):
    with pytest.raises(RuntimeError) as info:
        lib.nn.LayerNorm(3)(lib.zeros(2, 4))
    text = str(info.value).replace("size [", "size[")  # torch has no space before the list
    assert text.startswith(
        "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[2, 4]"
    )
