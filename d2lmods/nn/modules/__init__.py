"""Layer classes of ``d2lmods.nn`` (re-exported from ``d2lmods.nn``)."""
