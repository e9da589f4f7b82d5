"""``state_dict()`` and ``load_state_dict()``: misuse warnings, wrong arguments, loading hints."""

from __future__ import annotations


def edited(keys: list) -> str:
    shown = ", ".join(repr(k) for k in keys[:4]) + (", ..." if len(keys) > 4 else "")
    return (
        f"Assigning a new tensor to state_dict()[{shown}] changes only that dict, not the model: "
        "state_dict() returns references to the parameters, and replacing an entry does not "
        "write into them. Fix: edit the dict and pass it to net.load_state_dict(sd), or change "
        "the parameter in place: `with torch.no_grad(): sd[key].copy_(value)`."
    )


def loading_itself(cls: str, key: str) -> str:
    return (
        f"load_state_dict() was given tensors that ARE {cls}'s current "
        f"parameters (e.g. '{key}'), so nothing is restored. state_dict() returns "
        "references that follow the model as it trains, not a saved copy. Fix: take a real "
        "snapshot when saving the best weights: best = copy.deepcopy(net.state_dict()) or "
        "best = {k: v.clone() for k, v in net.state_dict().items()}."
    )


def nothing_loaded(n: int, first: str, cls: str, hint: str) -> str:
    return (
        f"load_state_dict(strict=False) matched none of the {n} entries given "
        f"(e.g. '{first}'), so {cls} is unchanged. {hint}"
    )


def whole_model(given: str, own: str) -> str:
    return (
        f"load_state_dict() expects a state_dict (a dict of tensors), but got the whole model "
        f"{given}. Fix: {own.lower()}.load_state_dict(other.state_dict()), or, if you saved the "
        "model object, save `net.state_dict()` instead."
    )


def method_passed(given_type) -> str:
    return (
        f"Expected state_dict to be dict-like, got {given_type}: the method state_dict itself "
        "was passed. Fix: call it, model.load_state_dict(other.state_dict())."
    )


NUMPY_ENTRY = " (convert numpy arrays with torch.from_numpy(a))"

# ---- hints after the error list of a failed load --------------------------------------------------

COMPARE_KEYS = "How to fix: compare list(sd.keys()) with list(model.state_dict().keys())."


def strip_prefix(pre: str) -> str:
    return (
        f"How to fix: the checkpoint's keys start with '{pre}' (it was saved from a model "
        f"that held this one as `{pre[:-1]}`); strip the prefix: "
        f"model.load_state_dict({{k.removeprefix('{pre}'): v for k, v in sd.items()}})."
    )


def add_prefix(pre: str) -> str:
    return (
        f"How to fix: this model's keys start with '{pre}' but the checkpoint's do not; "
        f"load into the submodule instead (model.{pre[:-1]}.load_state_dict(sd)) or add "
        f"the prefix: {{'{pre}' + k: v for k, v in sd.items()}}."
    )


SIZE_MISMATCH = (
    "How to fix: the checkpoint was saved from a model with different layer sizes. Build "
    "the model with the same sizes as when it was saved (compare print(model) with the "
    "shapes above), or drop the mismatched keys and load with strict=False."
)

NAMES_MISMATCH = (
    "How to fix: the checkpoint's names do not match this model's (compare "
    "list(sd.keys()) with list(model.state_dict().keys())); rename the keys, or build the "
    "same architecture that was saved."
)

MISSING = (
    "How to fix: the checkpoint lacks some of this model's parameters (a different or "
    "smaller architecture was saved). Build the same model that was saved, or pass "
    "strict=False to load only the keys that match and keep the rest as initialized."
)

UNEXPECTED = (
    "How to fix: the checkpoint holds entries this model does not have (a bigger or "
    "different architecture was saved). Build the same model, or pass strict=False to "
    "ignore the extra keys."
)
