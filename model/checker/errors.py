"""Errors a model can cause in the checker: its output is not of the shape the checker takes.

>>> raise ModelError("successors(0) yielded 1, not a (label, next state) pair")
Traceback (most recent call last):
...
hvr_model.checker.errors.ModelError: successors(0) yielded 1, not a (label, next state) pair
"""
from __future__ import annotations

__all__ = ["ModelError", "SpecError"]


class ModelError(TypeError):
    """A model broke the checker's contract (a successor that is no pair, an unhashable state, ...)."""


class SpecError(RuntimeError):
    """A claim's own predicate raised: a bug in the spec, reported apart from any violation of the model.

    >>> str(SpecError("bad_claim", KeyError("x")))
    "spec bad_claim raised KeyError: 'x'"
    """

    def __init__(self, claim: str, cause: BaseException):
        super().__init__(f"spec {claim} raised {type(cause).__name__}: {cause}")
        self.claim = claim

    def __reduce__(self):  # travels back from a worker process as itself
        return _rebuild, (self.claim, str(self))


def _rebuild(claim: str, message: str) -> "SpecError":
    error = SpecError.__new__(SpecError)
    RuntimeError.__init__(error, message)
    error.claim = claim
    return error
