"""Check a model against properties: explore it, then decide each claim.

Works on any model with the shape of stateright's ``Model``:

* ``initial_states()`` -> a sequence of hashable states;
* ``successors(state)`` -> iterable of ``(action label, next state)``;
* optionally ``config``: handed to every predicate as its second argument
  (``None`` if absent) and to each claim's ``applies`` test;
* optionally ``action(label)``: the binding of an action label, handed to step
  checks; its attribute ``event`` names the event that step claims list
  (default: the label up to its first ``(``);
* optionally ``evaluation_errors``: exception types that mean a claim cannot
  be evaluated in a state (it then does not hold there).

>>> from hvr_model.checker.properties import Always, Sometimes
>>> class Counter:
...     config = 3
...     def initial_states(self):
...         return [0]
...     def successors(self, n):
...         return [("inc", n + 1)] if n < self.config else []
>>> result = check(Counter(), [Always("bounded", (), "never past the limit", lambda n, c: n <= c),
...                            Sometimes("reaches_limit", (), "the limit is reached", lambda n, c: n == c)])
>>> result.holds, result.exploration.states, [r.holds for r in result.results]
(True, 4, [True, True])
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from .exploration import Exploration, Progress, Step
from .explorer import explore
from .properties import Always, AlwaysStep, GraphClaim, Sometimes, SometimesStep
from .parallel import explore_parallel
from .safety import SafetyExploration, explore_fingerprints
from .symmetry import SymmetryCheck, concretize

__all__ = ["PropertyResult", "CheckResult", "check", "LabelAction"]

#: Exceptions that, raised by a predicate, mean the state is malformed for the claim.
_EVALUATION_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError)


@dataclass(frozen=True)
class PropertyResult:
    name: str
    kind: str
    holds: bool
    requirements: tuple[str, ...]
    doc: str
    counterexample: list[Step] | None = None   # for a violated claim: shortest path to it
    example: list[Step] | None = None          # for a satisfied reachability claim: a witness path
    skipped: str = ""                          # why the claim could not be decided


@dataclass
class CheckResult:
    """What :func:`check` found: the model, its exploration and one result per property."""

    model: Any
    exploration: Exploration
    results: list[PropertyResult]

    @property
    def system(self) -> Any:
        """The model checked (the name the Hyper-V layer uses for its composed model)."""
        return self.model

    @property
    def config(self) -> Any:
        return getattr(self.model, "config", None)

    @property
    def mutant(self) -> str | None:
        """The name of the broken variant checked, if the model is one."""
        return getattr(self.model, "mutant", None)

    @property
    def holds(self) -> bool:
        return all(r.holds for r in self.results if not r.skipped)

    def result(self, name: str) -> PropertyResult:
        return next(r for r in self.results if r.name == name)

    @property
    def violated(self) -> list[str]:
        return [r.name for r in self.results if not r.holds and not r.skipped]


class LabelAction(NamedTuple):
    """The binding of an action for models without ``action()``: the label's event name."""

    event: str
    label: str


def check(model: Any, properties: Sequence, *, max_states: int | None = None,
          progress: Callable[[Progress], None] | None = None, symmetry: bool = False,
          safety_only: bool = False, max_memory: int | None = None, workers: int | None = None,
          backend: str = "processes", ray_address: str | None = None,
          make_model: Callable[[], Any] | None = None) -> CheckResult:
    """Explore ``model`` exhaustively (breadth first) and decide every property.

    Parameters
    ----------
    model : object
        See the module docstring for the methods it needs.
    properties : sequence of Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim
    max_states : int, optional
        Stop after this many states; whole-graph claims are then skipped.
    progress : callable, optional
        Called with a :class:`Progress` about once a second while exploring.
    symmetry : bool
        Explore one representative per symmetry class, with the model's
        ``canonical(state)`` (:mod:`hvr_model.checker.symmetry`); paths in the
        results are replayed into runs of the model; whole-graph claims that
        are not marked ``symmetric`` are skipped.
    safety_only : bool
        Keep 64-bit fingerprints instead of the graph (:mod:`hvr_model.checker.safety`):
        invariants, step claims and witnesses are decided, whole-graph claims skipped.
    max_memory : int, optional
        Bytes of resident memory at which exploration stops (the result is incomplete).
    workers, backend, ray_address, make_model
        Explore with ``workers`` partitions over ``backend`` ("processes" or "ray",
        :mod:`hvr_model.checker.parallel`), safety-only; ``make_model()`` builds the model
        in each worker (default: this one, which a Ray worker must be able to unpickle).

    Returns
    -------
    CheckResult
        Results in the order of ``properties``.

    Raises
    ------
    TypeError
        An item of ``properties`` is not a property.
    ValueError
        Two properties share a name.
    ModelError
        The model's successors are not ``(label, hashable state)`` pairs.
    """
    properties = _validated(properties)
    context = _Context(model)
    if workers:
        run = explore_parallel(make_model or (lambda: model), safety_checks(properties, symmetry), workers=workers,
                               backend=backend, ray_address=ray_address, max_states=max_states,
                               max_memory=max_memory, progress=progress)
        if symmetry:
            run.canonical = model.canonical
        return CheckResult(model, run, [_safety_result(p, run, context.config) for p in properties])
    if safety_only:
        return _check_safety(model, properties, context, max_states=max_states, progress=progress,
                             canonical=_canonical(model, symmetry), max_memory=max_memory)
    invariants = {p.name: context.bind(p.predicate) for p in properties if isinstance(p, Always)}
    exploration = explore(model.initial_states(), model.successors, invariants=invariants,
                          max_states=max_states, progress=progress, canonical=_canonical(model, symmetry),
                          max_memory=max_memory)
    results = [_decide_invariant(p, exploration) for p in properties if isinstance(p, Always)]
    results += [_decide_sometimes(p, exploration, context) for p in properties if isinstance(p, Sometimes)]
    results += _decide_steps([p for p in properties if isinstance(p, (AlwaysStep, SometimesStep))],
                             exploration, context)
    results += [_decide_graph(p, exploration, model) for p in properties if isinstance(p, GraphClaim)]
    order = {p.name: i for i, p in enumerate(properties)}
    results.sort(key=lambda r: order[r.name])
    if exploration.canonical is not None:
        results = [_concrete(r, model) for r in results]
    return CheckResult(model, exploration, results)


def _check_safety(model, properties, context: _Context, *, canonical, **options) -> CheckResult:
    """:func:`check` in safety-only mode: everything decided during one fingerprint search."""
    checks = safety_checks(properties, canonical is not None)(model)
    run = explore_fingerprints(model.initial_states(), model.successors, **checks, **options)
    return CheckResult(model, run, [_safety_result(p, run, context.config) for p in properties])


def safety_checks(properties: Sequence, symmetry: bool = False) -> Callable[[Any], dict]:
    """``model -> checks``: what a fingerprint search (one process or a worker) decides as it goes.

    Built from the model where the search runs, so that only the properties travel to a worker.
    """
    def make(model) -> dict:
        context = _Context(model)
        config, applies = context.config, [p for p in properties if p.applies_to(context.config)]

        def step(p):
            return p.events, lambda u, label, v: context.holds(p.check, u, v, context.action(label), config)
        invariants = {p.name: context.bind(p.predicate) for p in properties if isinstance(p, Always)}
        canonical = _canonical(model, symmetry)
        return {"invariants": invariants,
                "step_checks": {p.name: step(p) for p in properties if isinstance(p, AlwaysStep)},
                "reach": {p.name: context.bind(p.predicate) for p in applies if isinstance(p, Sometimes)},
                "reach_steps": {p.name: step(p) for p in applies if isinstance(p, SometimesStep)},
                "event_of": lambda label: context.action(label).event,
                "canonical": SymmetryCheck(canonical, invariants) if canonical and invariants else canonical}
    return make


def _safety_result(p, run: SafetyExploration, config) -> PropertyResult:
    if isinstance(p, GraphClaim):
        return _result(p, True, skipped="not checked in safety-only mode: no graph is stored")
    if isinstance(p, (Sometimes, SometimesStep)):
        if not p.applies_to(config):
            return _not_applicable(p)
        witness = run.witnesses.get(p.name)
        if witness is None:
            return _result(p, False, skipped="" if run.complete else "exploration incomplete")
        return _result(p, True, example=witness)
    if isinstance(p, AlwaysStep) and not p.applies_to(config):
        return _not_applicable(p)
    bad = (run.violations if isinstance(p, Always) else run.step_violations).get(p.name)
    return _result(p, bad is None, bad)


def _canonical(model: Any, symmetry: bool):
    if not symmetry:
        return None
    canonical = getattr(model, "canonical", None)
    if canonical is None:
        raise TypeError(f"symmetry reduction needs the model to offer canonical(state); "
                        f"{type(model).__name__} does not")
    return canonical


def _concrete(r: PropertyResult, model: Any) -> PropertyResult:
    """The result with its paths replayed from representatives into runs of the model."""
    def run(path):
        return None if not path else concretize(path, model.initial_states(), model.successors, model.canonical)
    return replace(r, counterexample=run(r.counterexample), example=run(r.example))


_KINDS = (Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim)


def _validated(properties) -> list:
    """The properties as a list; each of a known kind, each name once."""
    properties = list(properties)
    for p in properties:
        if not isinstance(p, _KINDS):
            raise TypeError(f"not a property (Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim): {p!r}")
    names = [p.name for p in properties]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"property names must be unique: {', '.join(twice)}")
    return properties


class _Context:
    """What a predicate sees besides the state: the model's config, actions and evaluation errors."""

    def __init__(self, model: Any):
        self.model = model
        self.config = getattr(model, "config", None)
        self.errors = _EVALUATION_ERRORS + tuple(getattr(model, "evaluation_errors", ()))
        action = getattr(model, "action", None)
        self.action = action if action is not None else _label_action

    def bind(self, predicate):
        return lambda state: self.holds(predicate, state, self.config)

    def holds(self, predicate, *args) -> bool:
        """A claim that cannot even be evaluated in a state (the state is malformed) does not hold there."""
        try:
            return bool(predicate(*args))
        except self.errors:
            return False


def _label_action(label: str) -> LabelAction:
    return LabelAction(label.split("(", 1)[0], label)


def _result(p, holds, counterexample=None, example=None, skipped="") -> PropertyResult:
    return PropertyResult(p.name, p.kind, holds, p.requirements, p.doc, counterexample, example, skipped)


def _decide_invariant(p: Always, exploration: Exploration) -> PropertyResult:
    bad = exploration.violations.get(p.name)
    return _result(p, bad is None, None if bad is None else exploration.path_to(bad))


def _not_applicable(p) -> PropertyResult:
    return _result(p, True, skipped="not applicable: the configuration cannot produce this situation")


def _decide_sometimes(p: Sometimes, exploration: Exploration, context: _Context) -> PropertyResult:
    if not p.applies_to(context.config):
        return _not_applicable(p)
    # States are stored in BFS order: the first one found has the least depth.
    best = next((i for i, s in enumerate(exploration.store.nodes) if context.holds(p.predicate, s, context.config)),
                None)
    if best is None:
        return _result(p, False, skipped="" if exploration.complete else "exploration incomplete")
    return _result(p, True, example=exploration.path_to_id(best))


def _decide_steps(props, exploration: Exploration, context: _Context) -> list[PropertyResult]:
    """One pass over the edges of the events the claims name, in BFS order of their source."""
    store = exploration.store
    by_label = _claims_by_label(props, store.label_names, context)
    found: dict[str, list[Step]] = {}
    concrete = _Targets(exploration, context.model)
    if by_label:
        nodes, dst, lab, offsets = store.nodes, store.dst, store.lab, store.offsets
        for u in range(store.expanded):
            for k in range(offsets[u], offsets[u + 1]):
                claims = by_label.get(lab[k])
                if claims is None:
                    continue
                label = store.label_names[lab[k]]
                args, after = context.action(label), concrete(u, label, dst[k])
                for p in claims:
                    if p.name not in found and _step_matters(p, nodes[u], after, args, context):
                        found[p.name] = exploration.path_to_id(u) + [Step(label, after)]
    return [_step_result(p, found.get(p.name), exploration) if p.applies_to(context.config)
            else _not_applicable(p) for p in props]


class _Targets:
    """The state a transition leads to: stored, or under symmetry the model's own (not its representative).

    A step claim reads the state after in the frame of the state before (e.g. "the VM
    the event names"), which a representative may have permuted.
    """

    def __init__(self, exploration: Exploration, model: Any):
        self.store, self.canonical, self.model = exploration.store, exploration.canonical, model
        self.source, self.successors = -1, []

    def __call__(self, u: int, label: str, v: int) -> Any:
        target = self.store.nodes[v]
        if self.canonical is None:
            return target
        if u != self.source:
            self.source, self.successors = u, list(self.model.successors(self.store.nodes[u]))
        return next(nxt for name, nxt in self.successors if name == label and self.canonical(nxt) == target)


def _claims_by_label(props, label_names, context: _Context) -> dict[int, list]:
    """Label id -> the step claims about its event."""
    by_event: dict[str, list] = {}
    for p in props:
        for event in p.events:
            by_event.setdefault(event, []).append(p)
    out = {}
    for lid, label in enumerate(label_names):
        claims = by_event.get(context.action(label).event)
        if claims:
            out[lid] = claims
    return out


def _step_matters(p, u, v, args, context: _Context) -> bool:
    """True for a violating step of an AlwaysStep, or a witnessing step of a SometimesStep."""
    ok = context.holds(p.check, u, v, args, context.config)
    return not ok if isinstance(p, AlwaysStep) else ok


def _step_result(p, found, exploration) -> PropertyResult:
    if isinstance(p, AlwaysStep):
        return _result(p, found is None, found)
    if found is None:
        return _result(p, False, skipped="" if exploration.complete else "exploration incomplete")
    return _result(p, True, example=found)


def _decide_graph(p: GraphClaim, exploration: Exploration, model: Any) -> PropertyResult:
    if not exploration.complete:
        return _result(p, True, skipped="exploration incomplete: whole-graph claims need every state")
    if exploration.canonical is not None and not p.symmetric:
        return _result(p, True, skipped="not checked under symmetry reduction: the claim tells "
                                        "interchangeable components apart")
    holds, path = p.decide(exploration, model)
    return _result(p, holds, None if holds else path, path if holds else None)
