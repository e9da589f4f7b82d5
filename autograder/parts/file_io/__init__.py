"""Part ``file_io``: ``probe.py`` runs in the sandbox, ``judge.py`` outside it."""
