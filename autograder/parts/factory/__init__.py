"""Part ``factory``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
