"""The property kinds: claims about states, about steps, and about the whole graph.

* :class:`Always`: an invariant, true in every reachable state.
* :class:`Sometimes`: a reachability witness, true in at least one reachable
  state; every ``Always`` is paired with one, so a model that cannot move (or
  cannot reach the situation the invariant is about) fails.
* :class:`AlwaysStep`: true of every step (edge) whose event it names, given
  the state before and after.
* :class:`SometimesStep`: at least one step of the named events satisfies it.
* :class:`GraphClaim`: a claim on the whole explored graph, decided with
  networkx algorithms (deadlock freedom, recoverability, a reachable cycle).

Predicates take ``(world, config)``; step checks take ``(before, after, args,
config)``, where ``args`` is the action's binding (see :func:`hvr_model.checker.checking.check`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Always", "Sometimes", "AlwaysStep", "SometimesStep", "GraphClaim", "Property"]


@dataclass(frozen=True)
class _Named:
    name: str
    requirements: tuple[str, ...]
    doc: str
    #: For reachability claims: the configurations where the situation can arise at all.
    applies: Callable[[Any], bool] | None = field(default=None, kw_only=True)

    def applies_to(self, config) -> bool:
        return self.applies is None or self.applies(config)


@dataclass(frozen=True)
class Always(_Named):
    predicate: Callable[[Any, Any], bool]
    witness: str = ""              # the paired Sometimes property
    kind: str = field(default="always", init=False)


@dataclass(frozen=True)
class Sometimes(_Named):
    predicate: Callable[[Any, Any], bool]
    kind: str = field(default="sometimes", init=False)


class _StepClaim(_Named):
    """A claim about the steps of some events: ``events`` is a collection of event names."""

    def __post_init__(self) -> None:
        events = self.events
        if isinstance(events, str) or not all(isinstance(e, str) and e for e in events):
            raise TypeError(f"{self.name}: events must be a collection of event names, got {events!r}")
        object.__setattr__(self, "events", frozenset(events))


@dataclass(frozen=True)
class AlwaysStep(_StepClaim):
    events: frozenset[str]
    check: Callable[[Any, Any, Any, Any], bool]
    witness: str = ""
    kind: str = field(default="always-step", init=False)


@dataclass(frozen=True)
class SometimesStep(_StepClaim):
    events: frozenset[str]
    check: Callable[[Any, Any, Any, Any], bool]
    kind: str = field(default="sometimes-step", init=False)


@dataclass(frozen=True)
class GraphClaim(_Named):
    decide: Callable[..., Any]     # (exploration, system) -> (holds, counterexample or witness path)
    kind: str = field(default="graph", init=False)
    #: Decided soundly on a symmetry-reduced graph (it does not tell interchangeable components apart).
    symmetric: bool = field(default=True, kw_only=True)


Property = Always | Sometimes | AlwaysStep | SometimesStep | GraphClaim
