"""Tests of d2lmods.nn (module system and layers)."""
