"""Optimizers: how they were built and how the training loop uses them."""
from __future__ import annotations


def method_passed(cls: str, name: str, owner: str | None) -> str:
    return (f"{cls} got the method {name} itself, not the parameters: 'method' object is not "
            f"iterable. Call it: {cls}(net.{name}(), ...)"
            + (f" (net is the {owner})" if owner is not None else ""))


def single_tensor(type_name: str, cls: str) -> str:
    return ("params argument given to the optimizer should be an iterable of Tensors or dicts, "
            f"but got {type_name}. Wrap a single tensor in a list: {cls}([w], ...)")


SET_OF_PARAMETERS = (
    "params argument given to the optimizer should be an iterable of Tensors "
    "or dicts, but got a set (its order changes between runs); use a list")

NO_PARAMETERS = (
    "optimizer got an empty parameter list: the model has no parameters to train. "
    "Check that its layers are registered as attributes (self.fc = nn.Linear(...)) or "
    "held in nn.Sequential/nn.ModuleList, not in a plain Python list; a lazy layer "
    "also has parameters only after it is constructed")


def parameters_generator_used(cls: str, args: str) -> str:
    return ("optimizer got an empty parameter list: the generator passed in was already "
            "used up (a generator such as net.parameters() can be iterated only once, e.g. "
            "list(params) or another optimizer consumed it). Fix: call net.parameters() "
            f"again right where you build the optimizer: `optimizer = torch.optim.{cls}"
            f"(net.parameters(){args})`")


def stale_gradient(cls: str, param: str) -> str:
    return (f"{cls}.step(): the gradient of {param} still holds "
            f"the contributions from before the previous step(): gradients accumulate in .grad "
            f"and nothing reset them, so this update uses old + new gradients. "
            f"Fix: call optimizer.zero_grad() in every iteration, before loss.backward().")


# ---- the training and evaluation loop ---------------------------------------------------------

def step_without_gradients(cls: str, wiped_by_zero_grad: bool) -> str:
    if wiped_by_zero_grad:
        return (f"{cls}.step() found no gradient on any parameter: zero_grad() ran after "
                "backward() and wiped the gradients, so this step changes nothing. Fix: call "
                "zero_grad() before backward(), in this order: optimizer.zero_grad(); "
                "loss.backward(); optimizer.step().")
    return (f"{cls}.step() found no gradient on any parameter: no backward() ran since the last "
            "zero_grad() (or since the optimizer was built), so this step changes nothing. Fix: "
            "compute the loss and call loss.backward() before optimizer.step().")


def parameter_replaced(cls: str, where: str, kind: str, args: str) -> str:
    return (f"{cls}.step() still updates the old {where}: that {kind} was replaced after the "
            "optimizer was built, and an optimizer holds the parameter objects it was given, not "
            "the attribute names. The new one is never trained. Fix: build the optimizer after "
            f"replacing it, `optimizer = torch.optim.{cls}(net.parameters(){args})`, or change "
            "the values in place, with torch.no_grad(): param.copy_(new_values).")
