"""GPU queries, answered for a CPU-only library: no device is ever available.

Lets the usual device-selection code run unchanged::

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")   # -> cpu
"""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No-op (there is no GPU generator); ``d2lmods.manual_seed`` seeds everything."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """No-op: CPU work is always synchronous."""
