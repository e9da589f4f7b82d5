"""Part ``tied_params``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
