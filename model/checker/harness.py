"""A generic Hypothesis stateful harness: random walks over any model, checking its claims.

:func:`state_machine` turns a model (``initial_states()``, ``successors(state)``,
optionally ``config``, ``action(label)`` and ``events``, as for
:func:`hvr_model.checker.checking.check`) into a
:class:`hypothesis.stateful.RuleBasedStateMachine`. Its one rule picks an
enabled action of the current state; every ``Always`` claim is an invariant
and every ``AlwaysStep`` claim is checked on each step, so Hypothesis finds
and reports (with ``note()``\\ d steps) runs that violate them. This is the
sampling counterpart of exhaustive exploration, for models too large to explore.

Each run may prefer a random subset of event names (*swarm testing*; when none
of them is enabled, any enabled action is taken), and within a run the actions
fired least often so far come first. An *observer* can add checks of its own
after every step (e.g. compare an implementation under test).

>>> from hypothesis import settings
>>> from hypothesis.stateful import run_state_machine_as_test
>>> from hvr_model.checker.properties import Always
>>> class Counter:
...     def initial_states(self):
...         return [0]
...     def successors(self, n):
...         return [("inc", n + 1), ("reset", 0)]
>>> machine = state_machine(Counter(), invariants=[Always("small", (), "below 100", lambda n, c: n < 100)])
>>> run_state_machine_as_test(machine, settings=settings(max_examples=5, stateful_step_count=10, database=None))
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .checking import LabelAction
from .runtime import raise_if_interrupted
from .properties import Always, AlwaysStep

__all__ = ["Observer", "state_machine"]


class Observer(Protocol):
    """Hooks a user adds to the harness; each may fail a run by raising (e.g. ``AssertionError``)."""

    def reset(self, machine: Any) -> None: ...

    def step(self, machine: Any, before: Any, after: Any, label: str) -> None: ...

    def teardown(self, machine: Any) -> None: ...


def _event_names(model: Any) -> list[str]:
    return sorted({e.args.event for e in getattr(model, "events", ())})


def state_machine(model: Any, *, invariants: Sequence[Always] = (), step_claims: Sequence[AlwaysStep] = (),
                  observer: Observer | None = None, swarm: bool = True,
                  name: str = "ModelMachine") -> type[RuleBasedStateMachine]:
    """A ``RuleBasedStateMachine`` class walking ``model`` and checking the claims.

    Parameters
    ----------
    model : object
        ``initial_states()`` and ``successors(state)``; optionally ``config`` (second argument of
        every predicate), ``action(label)`` (the binding handed to step checks, whose ``event``
        attribute names the event) and ``events`` (bound events, whose ``args.event`` names
        give the swarm its choices).
    invariants : sequence of Always
    step_claims : sequence of AlwaysStep
    observer : Observer, optional
        Called on reset, after every step (before the step claims) and at teardown.
    swarm : bool
        Prefer a random subset of event names in each run.
    name : str
        The class name Hypothesis reports.
    """
    config = getattr(model, "config", None)
    action = getattr(model, "action", None) or (lambda label: LabelAction(label.split("(", 1)[0], label))
    names = _event_names(model)

    class ModelMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.state = model.initial_states()[0]
            self.labels: list[str] = []
            self.fired: Counter = Counter()
            self.states: set = set()
            self.allowed: frozenset[str] = frozenset(names)
            self._enabled: tuple | None = None
            if observer is not None:
                observer.reset(self)

        @initialize(data=st.data())
        def choose_swarm(self, data):
            if swarm and names:
                chosen = data.draw(st.fixed_dictionaries({n: st.booleans() for n in names}), label="swarm")
                self.allowed = frozenset(n for n, keep in chosen.items() if keep) or frozenset(names)
            note(f"swarm: {', '.join(sorted(self.allowed))}")

        def enabled(self) -> list[tuple[str, Any]]:
            if self._enabled is None or self._enabled[0] is not self.state:
                self._enabled = (self.state, list(model.successors(self.state)))
            return self._enabled[1]

        @precondition(lambda self: bool(self.enabled()))
        @rule(data=st.data())
        def step(self, data):
            raise_if_interrupted()      # Ctrl-C may have been lost in a gc callback of Hypothesis
            label, after = _choose(self, data, action)
            before, self.state = self.state, after
            self.labels.append(label)
            note(f"{len(self.labels)}. {label}")
            if observer is not None:
                observer.step(self, before, after, label)
            args = action(label)
            for claim in step_claims:
                if args.event in claim.events and claim.starts_in(before, config):
                    assert claim.check(before, after, args, config), \
                        f"step property {claim.name} violated by step {len(self.labels)}. {label}: {claim.doc}"

        def teardown(self):
            if observer is not None:
                observer.teardown(self)

    for claim in invariants:
        _add_invariant(ModelMachine, claim, config)
    ModelMachine.__name__ = ModelMachine.__qualname__ = name
    return ModelMachine


def _choose(machine, data, action) -> tuple[str, Any]:
    """Draw one enabled action: the swarm's events first, then the least fired, then its outcome."""
    enabled = machine.enabled()
    # Swarm: prefer the run's subset of events, unless none is enabled or the run loops.
    looping = machine.state in machine.states
    machine.states.add(machine.state)
    preferred = (None if looping else [s for s in enabled if action(s[0]).event in machine.allowed]) or enabled
    labels = {label for label, _ in preferred}
    # Within a run, the actions fired least often so far come first (fewer reset loops).
    least = min(machine.fired[label] for label in labels)
    fresh = sorted(label for label in labels if machine.fired[label] == least)
    label = data.draw(st.sampled_from(fresh), label="event")
    machine.fired[label] += 1
    outcomes = [after for chosen, after in preferred if chosen == label]
    after = outcomes[0] if len(outcomes) == 1 else data.draw(st.sampled_from(outcomes), label="rows")
    return label, after


def invariant_message(claim: Always, labels: Sequence[str]) -> str:
    """The failure message of an invariant violated after the steps ``labels``."""
    return (f"invariant {claim.name} violated after step {len(labels)}"
            + (f". {labels[-1]}" if labels else " (initial state)") + f": {claim.doc}")


def _add_invariant(cls, claim: Always, config) -> None:
    def check(self):
        assert claim.predicate(self.state, config), invariant_message(claim, self.labels)
    check.__name__ = f"invariant_{claim.name}"
    setattr(cls, check.__name__, invariant()(check))
