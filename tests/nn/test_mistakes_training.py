"""Learner mistakes in training code: each is explained (cause, place, fix); correct code is silent."""
import warnings

import numpy as np
import pytest

import d2lmods
from d2lmods import nn
from d2lmods.nn import functional as F
from d2lmods.optim import StaleGradientWarning


def _data(n=16):
    d2lmods.manual_seed(0)
    return d2lmods.randn(n, 4), d2lmods.randn(n, 1)


# ----------------------------------------------------------------------------- zero_grad forgotten
def _train(zero, steps=3, how="optimizer"):
    X, y = _data()
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = d2lmods.optim.SGD(net.parameters(), lr=0.01)
    for _ in range(steps):
        if zero and how == "optimizer":
            opt.zero_grad()
        elif zero and how == "net":
            net.zero_grad()
        elif zero and how == "in_place":
            opt.zero_grad(set_to_none=False)
        elif zero and how == "net_in_place":
            net.zero_grad(set_to_none=False)
        loss = F.mse_loss(net(X), y)
        loss.backward()
        opt.step()


def test_forgotten_zero_grad_warns_once_naming_parameter_and_fix():
    with pytest.warns(StaleGradientWarning) as record:
        _train(zero=False, steps=4)
    assert len(record) == 1
    text = str(record[0].message)
    assert "parameter 'weight' of Linear" in text and "(shape (8, 4))" in text
    assert "optimizer.zero_grad()" in text and "before the previous step()" in text
    assert record[0].filename == __file__  # points at the loop's opt.step() line


@pytest.mark.parametrize("how", ["optimizer", "net", "in_place", "net_in_place"])
def test_loops_that_reset_gradients_are_silent(how):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(zero=True, steps=4, how=how)


def test_zero_grad_after_step_and_accumulation_within_a_step_are_silent():
    X, y = _data()
    net = nn.Linear(4, 1)
    opt = d2lmods.optim.Adam(net.parameters(), lr=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            for half in (X[:8], X[8:]):  # deliberate accumulation over two micro-batches
                F.mse_loss(net(half), y[:8]).backward()
            opt.step()
            opt.zero_grad()
        F.mse_loss(net(X), y).backward()
        for _ in range(2):  # step twice on the same gradient: no new contribution was added
            opt.step()


# ----------------------------------------------------------------------------- wrong params argument
def test_passing_the_method_instead_of_calling_it():
    net = nn.Linear(2, 1)
    with pytest.raises(TypeError) as err:
        d2lmods.optim.SGD(net.parameters, lr=0.1)
    assert "net.parameters()" in str(err.value) and "method" in str(err.value)


def test_consumed_generator():
    net = nn.Linear(2, 1)
    params = net.parameters()
    list(params)
    with pytest.raises(ValueError) as err:
        d2lmods.optim.Adam(params)
    text = str(err.value)
    assert "empty parameter list" in text and "already" in text and "net.parameters()" in text


def test_empty_list_of_parameters():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = []  # the classic mistake: a plain list

    with pytest.raises(ValueError, match="empty parameter list.*ModuleList"):
        d2lmods.optim.SGD(list(Holder().parameters()), lr=0.1)


def test_correct_optimizer_construction_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2lmods.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
        d2lmods.optim.AdamW([{"params": nn.Linear(2, 1).parameters(), "lr": 1e-3}])


# ----------------------------------------------------------------------------- in-place updates
def test_manual_update_outside_no_grad_is_refused_and_inside_works():
    w = nn.Parameter(d2lmods.ones(2))
    (w * 2).sum().backward()
    with pytest.raises(RuntimeError, match="leaf"):
        w -= 0.1 * w.grad
    with d2lmods.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8])


def test_init_and_optimizer_paths_work_outside_no_grad():
    net = nn.Linear(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.init.normal_(net.weight, std=0.01)
        nn.init.zeros_(net.bias)
        opt = d2lmods.optim.SGD(net.parameters(), lr=0.1)
        net(d2lmods.ones(1, 3)).sum().backward()
        opt.step()
    assert net.weight.is_leaf and net.weight.requires_grad


# ----------------------------------------------------------------------------- save / load
def test_saving_the_module_instead_of_its_state_dict(tmp_path):
    net = nn.Sequential(nn.Linear(2, 1))
    with pytest.raises(TypeError, match=r"d2lmods.save\(net.state_dict\(\), path\)"):
        d2lmods.save(net, tmp_path / "net")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2lmods.save(net.state_dict(), tmp_path / "net")
        net.load_state_dict(d2lmods.load(tmp_path / "net"))


def test_loading_a_file_that_is_not_d2lmods(tmp_path):
    path = tmp_path / "weights.csv"
    path.write_text("1,2,3\n")
    with pytest.raises(d2lmods.serialization.SerializationError) as err:
        d2lmods.load(path)
    assert str(path) in str(err.value) and "not a d2lmods file" in str(err.value)


# ----------------------------------------------------------------------------- losses
def test_cross_entropy_with_one_hot_int_targets():
    logits = d2lmods.randn(4, 3)
    one_hot = F.one_hot(d2lmods.tensor([0, 2, 1, 2]), 3)
    with pytest.raises(RuntimeError) as err:
        F.cross_entropy(logits, one_hot)
    text = str(err.value)
    assert "(4, 3)" in text and "one-hot" in text and "y.argmax(dim=1)" in text


def test_cross_entropy_with_one_hot_of_wrong_width():
    with pytest.raises(RuntimeError) as err:
        nn.CrossEntropyLoss()(d2lmods.randn(4, 3), d2lmods.zeros(4, 5))
    text = str(err.value)
    assert "(4, 3)" in text and "(4, 5)" in text and "argmax" in text


def test_cross_entropy_with_float_class_indices():
    with pytest.raises(RuntimeError, match=r"y.long\(\)"):
        nn.CrossEntropyLoss()(d2lmods.randn(4, 3), d2lmods.tensor([0.0, 1.0, 2.0, 1.0]))


def test_cross_entropy_labels_out_of_range_name_range_and_fix():
    net = nn.Sequential(nn.Linear(4, 10))
    y = d2lmods.tensor([1, 10, 5, 3])  # labels 1..10 instead of 0..9
    with pytest.raises(IndexError) as err:
        nn.CrossEntropyLoss()(net(d2lmods.randn(4, 4)), y)
    text = str(err.value)
    assert "Target 10 is out of bounds" in text and "0..9" in text and "y - 1" in text
    with pytest.raises(IndexError, match="output 13 classes"):
        F.cross_entropy(d2lmods.randn(2, 10), d2lmods.tensor([12, 0]))


def test_cross_entropy_correct_variants_are_silent():
    logits = d2lmods.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(logits, d2lmods.tensor([0, 2, 1, 2]))
        F.cross_entropy(logits, F.one_hot(d2lmods.tensor([0, 2, 1, 2]), 3).float())
        F.cross_entropy(logits, d2lmods.tensor([0, -100, 1, 2]))  # ignore_index


def test_mse_broadcasting_shapes_warn_with_the_fix():
    y_hat, y = d2lmods.randn(8, 1), d2lmods.randn(8)
    with pytest.warns(UserWarning) as record:
        nn.MSELoss()(y_hat, y)
    text = str(record[0].message)
    assert "d2lmods.Size([8])" in text and "d2lmods.Size([8, 1])" in text and "broadcasting" in text
    assert "y.reshape((8, 1))" in text or "squeeze(1)" in text
    assert record[0].filename == __file__  # points at the learner's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.MSELoss()(y_hat, y.reshape(8, 1))


def test_bce_with_logits_shape_mismatch():
    with pytest.raises(ValueError,
                       match=r"Target size \(d2lmods.Size\(\[8\]\)\) must be the same as input"):
        nn.BCEWithLogitsLoss()(d2lmods.randn(8, 1), d2lmods.ones(8))


# ----------------------------------------------------------------------------- layers
def test_batchnorm_train_mode_with_one_sample():
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU())
    with pytest.raises(ValueError) as err:
        net(d2lmods.randn(1, 4))
    text = str(err.value)
    assert "more than 1 value per channel" in text and "net.eval()" in text
    assert "Sequential.1" in text
    net(d2lmods.randn(2, 4))
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net(d2lmods.randn(1, 4))


def test_conv2d_given_images_without_channel_dim():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU())
    with pytest.raises(RuntimeError) as err:
        net(d2lmods.randn(64, 28, 28))
    text = str(err.value)
    assert "Sequential.0" in text and "in_channels=1" in text and "(64, 28, 28)" in text
    assert "X.unsqueeze(1)" in text


def test_conv2d_given_channels_last_images():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError) as err:
        conv(d2lmods.randn(2, 32, 32, 3))
    text = str(err.value)
    assert "channels-last" in text and "X.permute(0, 3, 1, 2)" in text and "(2, 32, 32, 3)" in text


def test_conv2d_wrong_number_of_channels():
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Conv2d(16, 8, 3))
    with pytest.raises(RuntimeError) as err:
        net(d2lmods.randn(2, 1, 12, 12))
    text = str(err.value)
    assert "Sequential.2" in text and "in_channels=16" in text and "6 channels instead of 16" in text


def test_conv2d_correct_inputs_are_silent():
    conv = nn.Conv2d(3, 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tuple(conv(d2lmods.randn(2, 3, 8, 8)).shape) == (2, 4, 6, 6)
        assert tuple(conv(d2lmods.randn(3, 8, 8)).shape) == (4, 6, 6)  # unbatched, as in torch


def test_flatten_linear_mismatch_after_conv_says_in_features():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(6 * 5 * 5, 10))
    with pytest.raises(RuntimeError) as err:
        net(d2lmods.randn(2, 1, 28, 28))
    text = str(err.value)
    assert "1176" in text and "150" in text  # what in_features is and what it should be
    assert "Sequential.3" in text
