"""What a claim's predicate sees besides the state, and what happens when the predicate itself fails.

A predicate that raises one of the model's ``evaluation_errors`` (exception
types the model declares: "this state is malformed for the claim") does not
hold there: that is a finding about the model. Any other exception is a bug in
the spec: it is recorded against the claim (its verdict becomes ``error``,
never ``violated``), or, where no record can travel back (a worker process),
raised as :class:`~hvr_model.checker.errors.SpecError`.

>>> class Model:
...     config = None
>>> context = _Context(Model())
>>> context.holds("half", lambda n, c: 1 / n > 0, 0, None, default=True)
True
>>> context.spec_errors["half"][0]
'ZeroDivisionError: division by zero'
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .errors import SpecError

__all__ = ["LabelAction"]


class LabelAction(NamedTuple):
    """The binding of an action for models without ``action()``: the label's event name."""

    event: str
    label: str


def _label_action(label: str) -> LabelAction:
    return LabelAction(label.split("(", 1)[0], label)


class _Context:
    """The model's config, actions and evaluation errors, and the spec errors met so far.

    ``spec_errors`` maps a claim to (message, the state it failed in); with ``record=False``
    the first spec error is raised instead.
    """

    def __init__(self, model: Any, record: bool = True):
        self.model = model
        self.config = getattr(model, "config", None)
        self.errors = tuple(getattr(model, "evaluation_errors", ()))
        action = getattr(model, "action", None)
        self.action = action if action is not None else _label_action
        self.record = record
        self.spec_errors: dict[str, tuple[str, Any]] = {}
        #: ``state -> path`` once a graph is explored: where a spec error happened.
        self.locate: Any = None

    def bind(self, name: str, predicate, default: bool = True):
        """``state -> bool``: the predicate with this context's config and error handling."""
        config = self.config
        return lambda state: self.holds(name, predicate, state, config, default=default)

    def holds(self, name: str, predicate, *args, default: bool) -> bool:
        """The predicate's truth; ``default`` if the spec raised (the claim's verdict is then ``error``)."""
        try:
            return bool(predicate(*args))
        except self.errors:
            return False
        except Exception as exc:  # noqa: BLE001 -- any other exception is the spec's bug, reported as such
            if not self.record:
                raise SpecError(name, exc) from exc
            self.spec_errors.setdefault(name, (f"{type(exc).__name__}: {exc}", args[0]))
            return default
