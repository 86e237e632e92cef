"""Errors a model can cause in the checker: its output is not of the shape the checker takes.

>>> raise ModelError("successors(0) yielded 1, not a (label, next state) pair")
Traceback (most recent call last):
...
hvr_model.checker.errors.ModelError: successors(0) yielded 1, not a (label, next state) pair
"""
from __future__ import annotations

__all__ = ["ModelError"]


class ModelError(TypeError):
    """A model broke the checker's contract (a successor that is no pair, an unhashable state, ...)."""
