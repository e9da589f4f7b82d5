"""Part ``parallel_module``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
