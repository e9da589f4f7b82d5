"""Optimizers: ``SGD``, ``Adam``, ``AdamW`` (PyTorch's update rules and state dicts)."""
from d2lmods._messages import TrainingWarning
from d2lmods.optim.optimizer import Optimizer, StaleGradientWarning
from d2lmods.optim.sgd import SGD
from d2lmods.optim.adam import Adam, AdamW

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "StaleGradientWarning", "TrainingWarning"]
