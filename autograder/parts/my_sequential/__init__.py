"""Part ``my_sequential``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
