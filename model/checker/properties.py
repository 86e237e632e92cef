"""The property kinds: claims about states, about steps, and about the whole graph.

* :class:`Always`: an invariant, true in every reachable state.
* :class:`Sometimes`: a reachability witness, true in at least one reachable
  state; every ``Always`` is paired with one, so a model that cannot move (or
  cannot reach the situation the invariant is about) fails.
* :class:`AlwaysStep`: true of every step (edge) whose event it names, given
  the state before and after.
* :class:`SometimesStep`: at least one step of the named events satisfies it.
* :class:`GraphClaim`: a claim on the whole explored graph, decided with
  scipy.sparse.csgraph algorithms (deadlock freedom, recoverability, a reachable cycle).
* :class:`LeadsTo`: ``trigger ~> goal`` under fairness (TLA+'s leads-to): from
  every reachable state where the trigger holds, every fair behaviour reaches a
  goal state. :class:`Eventually` is ``<>goal`` from the initial states. Both
  are decided by SCC analysis of the graph (:mod:`hvr_model.checker.liveness`);
  a violation is a lasso, a stem and a fair cycle (or fair stuttering) that
  never meets the goal.

Every claim is decided to one of :data:`VERDICTS`: ``holds``, ``violated``,
``vacuous`` (nothing the claim is about ever happened: its ``applies`` test
fails for the configuration, its events never fire, its witness or trigger is
never reached), ``unknown`` (not decided: incomplete exploration, no graph kept,
unsound under symmetry) or ``error`` (the predicate itself raised: a bug in the
spec, not in the model).

Predicates take ``(world, config)``; step checks take ``(before, after, args,
config)``, where ``args`` is the action's binding (see :func:`hvr_model.checker.checking.check`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Always", "Sometimes", "AlwaysStep", "SometimesStep", "GraphClaim", "LeadsTo", "Eventually", "Property",
           "LivenessClaim", "VERDICTS", "Applicability", "FAIRNESS_KINDS"]

#: What a claim can be decided to (see the module docstring).
VERDICTS = ("holds", "violated", "vacuous", "unknown", "error")

#: Fairness a model or a claim can declare for an action: TLA+'s WF and SF.
FAIRNESS_KINDS = ("weak", "strong")


@dataclass(frozen=True)
class Applicability:
    """An ``applies`` test with the reason it gives when it fails (reported as "vacuous: reason").

    Combine tests with ``&`` and ``|``; a failed combination gives the reasons of its failed parts.

    >>> plan = Applicability(lambda config: "plan" in config, "the configuration has no recovery plan")
    >>> data = Applicability(lambda config: "data" in config, "the configuration has no [data]")
    >>> (plan & data)({"plan"}), (plan & data).why({"plan"})
    (False, 'the configuration has no [data]')
    """

    test: Callable[[Any], bool]
    reason: str | Callable[[Any], str]

    def __call__(self, config) -> bool:
        return bool(self.test(config))

    def why(self, config) -> str:
        """Why the test fails for ``config``."""
        return self.reason(config) if callable(self.reason) else self.reason

    def __and__(self, other: "Applicability") -> "Applicability":
        return Applicability(lambda c: self(c) and other(c),
                             lambda c: "; ".join(t.why(c) for t in (self, other) if not t(c)))

    def __or__(self, other: "Applicability") -> "Applicability":
        return Applicability(lambda c: self(c) or other(c), lambda c: f"{self.why(c)}, and {other.why(c)}")


@dataclass(frozen=True)
class _Named:
    name: str
    requirements: tuple[str, ...]
    doc: str
    #: For reachability claims: the configurations where the situation can arise at all.
    applies: Callable[[Any], bool] | None = field(default=None, kw_only=True)

    def applies_to(self, config) -> bool:
        return self.applies is None or self.applies(config)

    def inapplicable_reason(self, config) -> str:
        """Why the claim is vacuous where ``applies`` fails for ``config``."""
        if isinstance(self.applies, Applicability):
            return self.applies.why(config)
        return "the configuration cannot produce this situation"


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

    def starts_in(self, state, config) -> bool:
        """Whether a step from ``state`` is one the claim is about (its ``when``, if any, holds there)."""
        return self.when is None or bool(self.when(state, config))


@dataclass(frozen=True)
class AlwaysStep(_StepClaim):
    events: frozenset[str]
    check: Callable[[Any, Any, Any, Any], bool]
    witness: str = ""
    #: Only steps from states where ``when(state, config)`` holds are checked (once per state, not per step).
    when: Callable[[Any, Any], bool] | None = field(default=None, kw_only=True)
    kind: str = field(default="always-step", init=False)


@dataclass(frozen=True)
class SometimesStep(_StepClaim):
    events: frozenset[str]
    check: Callable[[Any, Any, Any, Any], bool]
    when: Callable[[Any, Any], bool] | None = field(default=None, kw_only=True)
    kind: str = field(default="sometimes-step", init=False)


@dataclass(frozen=True)
class GraphClaim(_Named):
    decide: Callable[..., Any]     # (exploration, system) -> (holds, counterexample or witness path)
    kind: str = field(default="graph", init=False)
    #: Decided soundly on a symmetry-reduced graph (it does not tell interchangeable components apart).
    symmetric: bool = field(default=True, kw_only=True)


def _events(name: str, events) -> frozenset[str]:
    if isinstance(events, str) or not all(isinstance(e, str) and e for e in events):
        raise TypeError(f"{name}: fairness must be a collection of event names, got {events!r}")
    return frozenset(events)


@dataclass(frozen=True)
class LivenessClaim(_Named):
    """Fairness, interruptions, instances and symmetry shared by the liveness kinds (keyword-only)."""

    weak: frozenset[str] = field(default=frozenset(), kw_only=True)
    strong: frozenset[str] = field(default=frozenset(), kw_only=True)
    unless: frozenset[str] = field(default=frozenset(), kw_only=True)
    for_each: Callable[[Any], Any] | None = field(default=None, kw_only=True)
    #: Liveness on a symmetry-reduced graph would need fairness per orbit of actions: not decided there.
    symmetric = False

    def instances(self, config) -> list:
        """The values the claim is stated for, one by one (``[None]``: one claim, unparametrised)."""
        return [None] if self.for_each is None else list(self.for_each(config))

    def __post_init__(self) -> None:
        for name in ("weak", "strong", "unless"):
            object.__setattr__(self, name, _events(self.name, getattr(self, name)))
        if self.for_each is not None and not callable(self.for_each):
            raise TypeError(f"{self.name}: for_each must be a function config -> values, got {self.for_each!r}")


@dataclass(frozen=True)
class LeadsTo(LivenessClaim):
    """``trigger ~> goal``: wherever ``trigger`` holds, every fair behaviour then or later reaches ``goal``.

    Fairness comes from the model (``model.fairness(label)``: "weak", "strong" or None per
    action) and is strengthened per claim: ``weak`` and ``strong`` name events (every
    action of the event) the claim assumes weakly or strongly fair, e.g. an operator step
    the claim says will happen. A claim whose trigger is never reached is vacuous.

    ``unless`` names events that interrupt: taking one of their actions discharges the
    claim as reaching the goal does (``P ~> (Q \\/ A happened)``), e.g. an operator who
    cancels the resync the claim waits for.

    With ``for_each`` (``config -> values``) the claim is TLA+'s ``\\A x : P(x) ~> Q(x)``:
    ``trigger`` and ``goal`` take ``(state, config, x)`` and each ``x`` is decided apart
    (e.g. per VM: one VM's resync must complete, not just some VM's).
    """

    trigger: Callable[..., bool]
    goal: Callable[..., bool]
    kind: str = field(default="leads-to", init=False)


@dataclass(frozen=True)
class Eventually(LivenessClaim):
    """``<>goal``: every fair behaviour from an initial state reaches ``goal`` (fairness as for LeadsTo)."""

    goal: Callable[..., bool]
    kind: str = field(default="eventually", init=False)
    #: The initial states: what ``<>goal`` is claimed from.
    trigger = None


Property = Always | Sometimes | AlwaysStep | SometimesStep | GraphClaim | LeadsTo | Eventually
