"""Part ``custom_layers``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
