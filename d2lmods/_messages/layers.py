"""The layers' input checks (``Linear``, ``Conv2d``, lazy layers), ``nn.functional`` and ``nn.init``.

``who`` is the layer's name and place, e.g. ``'Linear at MLP.out'``; ``where`` is a
``" (in MLP.out)"`` suffix, or ``""`` outside a model.
"""
from __future__ import annotations

__all__ = [
    "numpy_input", "none_input", "module_input", "not_a_tensor", "lazy_input", "lazy_zero_dim",
    "linear_shape", "dtype_mismatch", "features_type", "conv_input", "batch_norm_single",
    "layer_norm_shape", "embedding_dtype", "embedding_range", "mse_shapes", "float_indices",
    "probs_shape", "one_hot_ints", "target_shape", "target_range", "nll_probs", "bce_shapes",
    "init_lazy", "softmax_before_cross_entropy", "loss_arguments_swapped", "total_loss_graph",
]


# ---- what a layer was given instead of a tensor --------------------------------------------

def numpy_input(who: str, dtype, shape, name: str = "input") -> str:
    return (f"{who} got a numpy.ndarray (dtype {dtype}, shape {shape}) as its {name}, but layers "
            "take d2lmods tensors. Fix: convert it first, X = torch.from_numpy(x).float() "
            "(float32, like the layers' weights) or X = torch.tensor(x, dtype=torch.float32).")


def none_input(who: str, name: str) -> str:
    return (f"{who} got None as its {name}. Likely cause: the forward() that produced it has no "
            "`return` statement (a Python function without return gives None). Fix: end that "
            "forward with `return X`.")


def module_input(who: str, name: str, kind: str) -> str:
    return (f"{who} got a {kind} module as its {name} instead of a tensor. Likely cause: the "
            f"class was stored instead of an instance (self.act = nn.{kind} without parentheses), "
            f"so calling it built a new {kind} module instead of applying one. Fix: create the "
            f"layer with parentheses, nn.{kind}(), and call it on tensors.")


def not_a_tensor(who: str, name: str, type_name: str) -> str:
    return (f"{who}: {name} must be a Tensor, not {type_name}. "
            "Fix: convert it first, e.g. X = torch.tensor(data, dtype=torch.float32).")


def lazy_input(who: str) -> str:
    return (f"{who} got an uninitialized lazy parameter as its input. Fix: run one forward with a "
            "sample batch first.")


def lazy_zero_dim(who: str) -> str:
    return (f"{who} got a 0-d input; it needs at least one dimension to read in_features from. "
            "Fix: pass a batch such as X of shape (batch_size, num_inputs).")


# ---- Linear ----------------------------------------------------------------------------------

def linear_shape(who: str, shape: tuple, w_in: int, w_out: int) -> str:
    """The RuntimeError for an input whose last dimension is not ``in_features``."""
    if len(shape) == 0:
        last = 1
        torch_line = "both arguments to linear need to be at least 1D, but they are 0D and 2D"
    else:
        last = shape[-1]
        rows = 1
        for d in shape[:-1]:
            rows *= d
        torch_line = f"mat1 and mat2 shapes cannot be multiplied ({rows}x{last} and {w_in}x{w_out})"
    hint = (f"make it nn.Linear({last}, {w_out}) so it accepts what the previous layer produces, "
            f"or use nn.LazyLinear({w_out}) to infer in_features from the first batch")
    if len(shape) > 2:
        flat = 1
        for d in shape[1:]:
            flat *= d
        hint += (f"; if each example is a {'x'.join(map(str, shape[1:]))} grid (e.g. an image), "
                 f"flatten it first with nn.Flatten() and use in_features={flat}")
    return (f"{torch_line}\n{who} expects in_features={w_in} but the input's last dimension is "
            f"{last} (input shape {shape}). Fix: {hint}.")


def dtype_mismatch(who: str, a, b, *, float64_into_float32: bool, float32_into_float64: bool) -> str:
    """The RuntimeError for an input of dtype ``a`` into a layer whose weight has dtype ``b``."""
    text = (f"mat1 and mat2 must have the same dtype, but got {a.torch_name} and {b.torch_name}: "
            f"the input to {who} is {a} but its weight is {b}. ")
    if float64_into_float32:
        return text + ("Likely causes: the input was built from float64 numpy data (torch.from_numpy "
                       "keeps float64), or the model was converted with .double() but this layer was "
                       "missed (e.g. it is kept in a plain Python list, so .double() never reached "
                       "it). Fix: convert the input with X.float(), or register every layer "
                       "(nn.ModuleList) and convert the whole model.")
    if float32_into_float64:
        return text + ("Likely cause: this layer was converted with .double() but the input was not. "
                       "Fix: convert the input with X.double(), or keep the model in float32.")
    if not a.is_floating_point and b.is_floating_point:
        return text + (f"Layers compute in floating point, and integer data is not converted "
                       f"automatically. Fix: convert the input, X = X.to({b}) (X.float() for float32).")
    return text + f"Fix: convert the input with X.to({b}) (layers compute in their weights' dtype)."


def features_type(cls: str, name: str, value) -> str:
    return (f"{cls}: {name} must be an int, got {type(value).__name__} ({value!r}). "
            f"Fix: pass the number of features, e.g. nn.{cls}(20, 256).")


# ---- Conv2d ----------------------------------------------------------------------------------

def conv_input(who: str, shape: tuple, c: int) -> str | None:
    """The RuntimeError text for an input Conv2d cannot take, or ``None`` if it is fine."""
    head = (f"{who} (in_channels={c}) expects input of shape "
            f"(N, {c}, H, W) or, unbatched, ({c}, H, W), but got {shape}")
    if len(shape) == 3:
        if shape[0] == c:
            return None  # an unbatched image, as PyTorch allows
        if c == 1:
            return (f"{head}: this looks like a batch of {shape[0]} single-channel images "
                    f"without the channel dimension. Fix: add it with X.unsqueeze(1) "
                    f"(or X.reshape(-1, 1, {shape[1]}, {shape[2]})).")
        if shape[-1] == c:
            return (f"{head}: this looks like one channels-last image (H, W, C). "
                    f"Fix: X.permute(2, 0, 1) (and add a batch dim with unsqueeze(0)).")
        return f"{head}. Fix: pass a 4-D batch (N, {c}, H, W)."
    if len(shape) != 4:
        fix = ("If it comes from a Linear/Flatten layer, reshape it back to images first, e.g. "
               "X.reshape(-1, C, H, W) or nn.Unflatten(1, (C, H, W))." if len(shape) == 2
               else "Fix: pass a 4-D batch (N, C, H, W).")
        return f"{head}: a {len(shape)}-D input. {fix}"
    if shape[1] == c:
        return None
    if shape[-1] == c:
        return (f"{head}: the channels are in the last dimension (channels-last, "
                f"N x H x W x C, as images from PIL/numpy/TensorFlow usually are). "
                f"Fix: X.permute(0, 3, 1, 2) to get (N, C, H, W).")
    return (f"{head}, i.e. {shape[1]} channels instead of {c}. Fix: check in_channels "
            f"against the number of channels the previous layer produces (its "
            f"out_channels), or use nn.LazyConv2d to infer it.")


def conv_channels(who: str, cls: str, detail: str, weight: list, shape: list, c_in: int,
                  c: int) -> str:
    """Conv1d/ConvTranspose2d given an input with the wrong number of channels."""
    return (f"Given {detail}, weight of size {weight}, expected input{shape} to have {c_in} "
            f"channels, but got {c} channels instead: {who} has in_channels={c_in}. Fix: make "
            f"in_channels match the channels the previous layer produces (its out_channels), "
            f"or use nn.Lazy{cls} to infer it.")


def conv_rank(who: str, cls: str, dims: int, shape: list) -> str:
    return (f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {cls}, but "
            f"got input of size: {shape} ({who})")


# ---- nn.functional -----------------------------------------------------------------------------

def batch_norm_single(shape: tuple, where: str) -> str:
    return (f"Expected more than 1 value per channel when training, got input size "
            f"{_size(shape)}{where}: batch normalization in training mode "
            f"needs several samples to compute a mean and variance. Fix: call net.eval() "
            f"before predicting on a single example (BatchNorm then uses its running "
            f"statistics), or train with a batch size > 1.")


def layer_norm_shape(ns: tuple, shape: tuple, where: str) -> str:
    return (f"Given normalized_shape={list(ns)}, expected input with shape [*, "
            f"{', '.join(map(str, ns))}], but got input of size {list(shape)}{where}. Fix: "
            f"LayerNorm's normalized_shape must equal the input's last dimension(s).")


def embedding_dtype(dtype, where: str) -> str:
    return (f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {dtype} instead{where}. Embedding looks rows up "
            f"by integer id. Fix: pass integer ids, e.g. X.long().")


def embedding_range(bad: int, n: int, top: int, where: str) -> str:
    return (f"index out of range in self: id {bad} is not a row of the embedding table "
            f"(num_embeddings={n}, valid ids 0..{n - 1}){where}. Fix: build the Embedding "
            f"with num_embeddings >= {top + 1} (the vocabulary size), or map the ids "
            f"into range.")


def _size(shape) -> str:
    """A shape as torch prints sizes in these messages (``torch.Size([2, 1])``), d2lmods' name."""
    return f"d2lmods.Size({list(shape)})"


def mse_shapes(si: tuple, st: tuple, where: str) -> str:
    return (f"Using a target size ({_size(st)}) that is different to the input size "
            f"({_size(si)}){where}. "
            f"This will likely lead to incorrect results due to broadcasting: every prediction "
            f"may be compared with every target. Please ensure they have the same size, e.g. "
            + (f"y.reshape({si}) or y_hat.squeeze(1)" if len(si) == 2 and si[1] == 1 and len(st) == 1
               else "y.reshape(y_hat.shape)")
            + ".")


def float_indices(fn: str, st: tuple, dtype, where: str) -> str:
    return (f"{fn}: target holds class indices of shape {st} but is floating point "
            f"({dtype}); class indices must be integers (expected scalar type Long but "
            f"found Float){where}. {expected_targets(fn)}. Fix: pass y.long() (e.g. "
            f"cross_entropy(y_hat, y.long())).")


def probs_shape(fn: str, si: tuple, st: tuple, where: str) -> str:
    return (f"{fn}: float targets are read as class probabilities (e.g. one-hot rows) and must "
            f"have the input's shape {si}, but target has shape {st}{where}. "
            f"{expected_targets(fn)}. Fix: pass class "
            f"indices of shape {si[:1] + si[2:]} (y.argmax(dim=1) for one-hot rows), or make the "
            f"model output {st[1] if len(st) > 1 else '?'} classes to match the one-hot width.")


def one_hot_ints(fn: str, si: tuple, where: str) -> str:
    return (f"{fn}: target has the input's shape {si} but an integer dtype; this looks like "
            f"one-hot encoded labels{where}. Fix: pass class indices y.argmax(dim=1) "
            f"(shape {si[:1] + si[2:]}), or y.float() to use them as class probabilities.")


def target_shape(fn: str, expected: tuple, si: tuple, st: tuple, where: str) -> str:
    return (f"{fn}: expected target of shape {expected} (one class index per sample) for input "
            f"of shape {si}, got {st}{where}. {expected_targets(fn)}. Fix: "
            + ("flatten the labels with y.reshape(-1)" if len(st) == 2 and st[1] == 1
               else "pass one integer label per row of the input") + ".")


def target_range(fn: str, n_classes: int, lo: int, hi: int, n_bad: int, where: str) -> str:
    bad = hi if hi >= n_classes else lo
    fix = (f"if the labels run 1..{n_classes}, subtract 1 (y - 1)" if lo >= 1 and hi == n_classes
           else f"make the last layer output {hi + 1} classes (the labels go up to {hi})"
           if hi >= n_classes else "labels must be 0..C-1; negative labels are invalid")
    return (f"Target {bad} is out of bounds{where}: {fn} got {n_classes} class scores per "
            f"sample, so valid targets are 0..{n_classes - 1}, but {n_bad} target(s) fall "
            f"outside (min {lo}, max {hi}). Fix: {fix}.")


def nll_probs(si: tuple, where: str) -> str:
    return (f"nll_loss: target must hold class indices (int64), got float targets "
            f"of the input's shape {si}{where}. Fix: pass "
            f"y.argmax(dim=1), or use cross_entropy, which accepts probabilities.")


def bce_shapes(si: tuple, st: tuple, where: str) -> str:
    return (f"Target size ({_size(st)}) must be the same as input size ({_size(si)}){where}. Fix: "
            + (f"y.reshape({si}) or y_hat.squeeze(1)" if len(si) == 2 and si[1] == 1
               else "reshape the targets to the logits' shape")
            + "; targets must also be floats (y.float()).")


# ---- nn.init -----------------------------------------------------------------------------------

def init_lazy(fn: str) -> str:
    return (f"nn.init.{fn}: this parameter is an uninitialized lazy parameter (its shape is "
            f"not known yet). Fix: run one forward pass first (e.g. net(X) with a batch of "
            f"inputs), then initialize it, e.g. net.apply(init_fn) after net(X).")


# ---- losses given the wrong thing ---------------------------------------------------------------

def expected_targets(fn: str) -> str:
    if fn == "nll_loss":
        return "nll_loss expects class indices (int64) of shape (N,), one label per sample"
    return (f"{fn} expects either class indices (int64) of shape (N,), one label per sample, or "
            "class probabilities (float) of the input's shape (N, C)")


def softmax_before_cross_entropy(fn: str, op: str, shape: tuple, where: str) -> str:
    if op == "softmax":
        effect = ("the scores are squashed twice (into 0..1, then softmax again), so the loss "
                  "hardly changes whatever the model predicts and training stalls")
        alt = "use softmax only to show probabilities"
    else:
        effect = ("log_softmax twice gives the same loss as once, so this is the loss of a model "
                  "whose output already holds log-probabilities, which is nn.NLLLoss's job")
        alt = "or keep log_softmax in the model and use nn.NLLLoss()"
    return (f"{fn} got an input of shape {shape} that already went through {op}{where}, but "
            f"{fn} applies log_softmax itself: {effect}. Fix: pass the raw scores (logits), "
            f"loss_fn(net(X), y), with the {op} removed from the model ({alt}).")


def loss_arguments_swapped(fn: str, si: tuple, st: tuple, where: str) -> str:
    return (f"{fn} got its arguments the other way round{where}: the first one (shape {si}) holds "
            f"the labels and the second one (shape {st}) the model's output, but losses take "
            "(input, target) = (prediction, labels). Fix: swap them, loss_fn(y_hat, y).")


def total_loss_graph() -> str:
    return ("A loss that backward() already went through is added into another tensor (as in "
            "`total_loss += loss` over batches): the sum keeps every batch's graph alive, so "
            "memory grows with each batch and nothing is learned from it. Fix: add the number "
            "instead, total_loss += loss.item() (or loss.detach()).")
