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
  be evaluated in a state (it then does not hold there); any other exception a
  predicate raises is a bug in the spec: that claim's verdict is ``error``;
* optionally ``fairness(label)``: ``"weak"``, ``"strong"`` or None per action,
  for liveness claims (:class:`~hvr_model.checker.properties.LivenessClaim`).

Every claim gets a verdict (:mod:`hvr_model.checker.results`): a claim about a
situation that never arises is ``vacuous``, never ``holds``.

>>> from hvr_model.checker.properties import Always, Sometimes
>>> class Counter:
...     config = 3
...     def initial_states(self):
...         return [0]
...     def successors(self, n):
...         return [("inc", n + 1)] if n < self.config else []
>>> result = check(Counter(), [Always("bounded", (), "never past the limit", lambda n, c: n <= c),
...                            Sometimes("reaches_limit", (), "the limit is reached", lambda n, c: n == c)])
>>> result.verdict, result.exploration.states, [r.verdict for r in result.results]
('holds', 4, ['holds', 'holds'])
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .context import LabelAction, _Context
from .deciding import (decide_graph, decide_invariant, decide_liveness, decide_sometimes, decide_steps,
                       fired_nowhere, not_applicable, result, unreached)
from .exploration import Progress
from .explorer import explore
from .parallel import explore_parallel
from .properties import Always, AlwaysStep, GraphClaim, LivenessClaim, Sometimes, SometimesStep
from .results import CheckResult, ClaimProgress, PropertyResult
from .runtime import raise_if_interrupted
from .safety import SafetyExploration, explore_fingerprints
from .symmetry import SymmetryCheck, concretize

__all__ = ["PropertyResult", "CheckResult", "ClaimProgress", "check", "LabelAction", "safety_checks", "settle"]

_FIRED = "fired:"   # prefix of the reach-step checks that tell a safety search which events fired


def check(model: Any, properties: Sequence, *, max_states: int | None = None,
          progress: Callable[[Progress | ClaimProgress], None] | None = None, symmetry: bool = False,
          safety_only: bool = False, max_memory: int | None = None, workers: int | None = None,
          backend: str = "processes", ray_address: str | None = None,
          make_model: Callable[[], Any] | None = None) -> CheckResult:
    """Explore ``model`` exhaustively (breadth first) and decide every claim.

    Parameters
    ----------
    model : object
        See the module docstring for the methods it needs.
    properties : sequence of Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim, LeadsTo, Eventually
    max_states : int, optional
        Stop after this many states; the run's verdict is then ``incomplete``.
    progress : callable, optional
        Called with a :class:`Progress` about once a second while exploring, then with a
        :class:`ClaimProgress` before each whole-graph or liveness claim is decided.
    symmetry : bool
        Explore one representative per symmetry class, with the model's
        ``canonical(state)`` (:mod:`hvr_model.checker.symmetry`); paths in the
        results are replayed into runs of the model; whole-graph claims that
        are not marked ``symmetric`` (and liveness claims) are ``unknown``.
    safety_only : bool
        Keep 64-bit fingerprints instead of the graph (:mod:`hvr_model.checker.safety`):
        invariants, step claims and witnesses are decided, whole-graph and liveness claims are ``unknown``.
    max_memory : int, optional
        Bytes of resident memory at which exploration stops (the result is incomplete).
    workers, backend, ray_address, make_model
        Explore with ``workers`` partitions over ``backend`` ("processes" or "ray",
        :mod:`hvr_model.checker.parallel`), safety-only; ``make_model()`` builds the model
        in each worker (default: this one, which a Ray worker must be able to unpickle).

    Returns
    -------
    CheckResult
        Results in the order of ``properties``; ``seconds`` is the whole check.

    Raises
    ------
    TypeError
        An item of ``properties`` is not a property.
    ValueError
        Two properties share a name.
    ModelError
        The model's successors are not ``(label, hashable state)`` pairs.
    SpecError
        With ``workers``: a predicate raised in a worker (in one process the claim's verdict is ``error``).
    """
    started = time.perf_counter()
    claimed = _validated(properties)
    context = _Context(model)
    properties, broken = _screened(claimed, context.config)
    if workers:
        run = explore_parallel(make_model or (lambda: model), safety_checks(properties, symmetry), workers=workers,
                               backend=backend, ray_address=ray_address, max_states=max_states,
                               max_memory=max_memory, progress=progress)
        if symmetry:
            run.canonical = model.canonical
        results = [_safety_result(p, run, context.config) for p in properties]
    elif safety_only:
        checks = safety_checks(properties, symmetry, context)(model)
        run = explore_fingerprints(model.initial_states(), model.successors, **checks, max_states=max_states,
                                   progress=progress, max_memory=max_memory)
        results = [_safety_result(p, run, context.config) for p in properties]
    else:
        run, results = _check_graph(model, properties, context, max_states=max_states, progress=progress,
                                    canonical=_canonical(model, symmetry), max_memory=max_memory, started=started)
    results = settle(properties, results, run.complete, context)
    decided = {r.name: r for r in results} | broken
    return CheckResult(model, run, [decided[p.name] for p in claimed], time.perf_counter() - started)


def _screened(properties: list, config) -> tuple[list, dict[str, PropertyResult]]:
    """The claims whose own set-up runs (``applies``, ``for_each``), and an ``error`` result for each other.

    A claim's applicability test or instance list is spec code like its predicate: when it
    raises, that claim is an error of the spec and the rest of the check goes on.
    """
    sound, broken = [], {}
    for p in properties:
        try:
            if p.applies_to(config):
                p.inapplicable_reason(config)
                if isinstance(p, LivenessClaim):
                    p.instances(config)
        except Exception as exc:  # noqa: BLE001 -- any exception of spec code is the spec's bug
            broken[p.name] = result(p, "error", reason=f"its applies/for_each raised {type(exc).__name__}: "
                                                       f"{exc} (a bug in the spec, not a violation)")
        else:
            sound.append(p)
    return sound, broken


def _check_graph(model, properties, context: _Context, *, progress, canonical, started, **options):
    """Explore into a state graph, then decide every claim on it."""
    invariants = {p.name: context.bind(p.name, p.predicate) for p in properties
                  if isinstance(p, Always) and p.applies_to(context.config)}
    exploration = explore(model.initial_states(), model.successors, invariants=invariants, progress=progress,
                          canonical=canonical, **options)
    context.locate = exploration.path_to
    slow = [p for p in properties if isinstance(p, (GraphClaim, LivenessClaim)) and p.applies_to(context.config)]

    def announce(p) -> None:
        raise_if_interrupted()
        if progress is not None and p in slow:
            progress(ClaimProgress(p.name, slow.index(p) + 1, len(slow), time.perf_counter() - started))

    steps = [p for p in properties if isinstance(p, (AlwaysStep, SometimesStep)) and p.applies_to(context.config)]
    decided = {r.name: r for r in decide_steps(steps, exploration, context)}
    results = []
    for p in properties:
        announce(p)
        results.append(decided.get(p.name) or _decide(p, exploration, context))
    if exploration.canonical is not None:
        results = [_concrete(r, model) for r in results]
    return exploration, results


def _decide(p, exploration, context: _Context) -> PropertyResult:
    if not p.applies_to(context.config):
        return not_applicable(p, context.config)
    if isinstance(p, Always):
        return decide_invariant(p, exploration)
    if isinstance(p, Sometimes):
        return decide_sometimes(p, exploration, context)
    if isinstance(p, LivenessClaim):
        return decide_liveness(p, exploration, context)
    return decide_graph(p, exploration, context.model)


def settle(properties: Sequence, results: list[PropertyResult], complete: bool, context: _Context
           ) -> list[PropertyResult]:
    """The run-wide rules, after each claim is decided on its own.

    * a claim whose predicate raised is ``error`` (whatever it was decided to);
    * in an incomplete run, a safety claim with no violation found is ``unknown``, and so
      is a claim found vacuous for want of a step, witness or trigger (the states not
      explored may hold them); only a configuration's lack of the feature stays ``vacuous``;
    * an invariant or step claim whose witness (``witness=``) is not ``holds`` is
      ``vacuous``: the situation it is about was never reached.
    """
    by_name = {r.name: r for r in results}
    out = []
    for p, r in zip(properties, results):
        if p.name in context.spec_errors:
            r = _spec_error(p, context, r)
        elif not complete and (r.verdict == "holds" and isinstance(p, (Always, AlwaysStep))
                               or r.verdict == "vacuous" and p.applies_to(context.config)):
            r = replace(r, verdict="unknown", reason="exploration incomplete: nothing is decided from the states "
                                                     "explored but a violation")
        elif r.verdict == "holds" and getattr(p, "witness", ""):
            r = _through_witness(r, by_name.get(p.witness), p.witness)
        out.append(r)
    return out


def _spec_error(p, context: _Context, r: PropertyResult) -> PropertyResult:
    message, state = context.spec_errors[p.name]
    try:
        where = context.locate(state) if context.locate is not None else None
    except KeyError:            # a state of the model that the (symmetry-reduced) graph does not hold
        where = None
    return result(p, "error", where, reason=f"the spec raised {message} (a bug in the spec, not a violation)")


def _through_witness(r: PropertyResult, witness: PropertyResult | None, name: str) -> PropertyResult:
    if witness is None:
        return replace(r, verdict="vacuous", reason=f"its witness {name} was not checked")
    if witness.verdict == "holds":
        return r
    why = witness.reason or "not reached"
    return replace(r, verdict="vacuous" if witness.verdict != "unknown" else "unknown",
                   reason=f"its witness {name} is {witness.verdict}: {why}")


def safety_checks(properties: Sequence, symmetry: bool = False, context: _Context | None = None
                  ) -> Callable[[Any], dict]:
    """``model -> checks``: what a fingerprint search (one process or a worker) decides as it goes.

    Built from the model where the search runs, so that only the properties travel to a
    worker; there (no ``context`` given) a predicate that raises stops the run with a
    :class:`~hvr_model.checker.errors.SpecError`.
    """
    def make(model) -> dict:
        ctx = context or _Context(model, record=False)
        config, applies = ctx.config, [p for p in properties if p.applies_to(ctx.config)]

        def step(p, default):
            starts = _from_when(p, ctx)

            def check(u, label, v) -> bool:
                if not starts(u, label, v):
                    return default          # not a step the claim is about: neither a violation nor a witness
                return ctx.holds(p.name, p.check, u, v, ctx.action(label), config, default=default)
            return p.events, check
        invariants = {p.name: ctx.bind(p.name, p.predicate) for p in applies if isinstance(p, Always)}
        reach_steps = {p.name: step(p, False) for p in applies if isinstance(p, SometimesStep)}
        reach_steps |= {_FIRED + p.name: (p.events, _from_when(p, ctx)) for p in applies if isinstance(p, AlwaysStep)}
        canonical = _canonical(model, symmetry)
        return {"invariants": invariants,
                "step_checks": {p.name: step(p, True) for p in applies if isinstance(p, AlwaysStep)},
                "reach": {p.name: ctx.bind(p.name, p.predicate, False) for p in applies if isinstance(p, Sometimes)},
                "reach_steps": reach_steps,
                "event_of": lambda label: ctx.action(label).event,
                "canonical": SymmetryCheck(canonical, invariants) if canonical and invariants else canonical}
    return make


def _from_when(p, ctx: _Context):
    """A reach-step check that fires on every step of the claim's events from a state where ``when`` holds."""
    if p.when is None:
        return lambda u, label, v: True
    return lambda u, label, v: ctx.holds(p.name, p.starts_in, u, ctx.config, default=True)


def _safety_result(p, run: SafetyExploration, config) -> PropertyResult:
    if not p.applies_to(config):
        return not_applicable(p, config)
    if isinstance(p, (GraphClaim, LivenessClaim)):
        return result(p, "unknown", reason="not checked in safety-only mode: no graph is stored")
    if isinstance(p, (Sometimes, SometimesStep)):
        witness = run.witnesses.get(p.name)
        return result(p, "holds", example=witness) if witness is not None else unreached(p, run.complete)
    bad = (run.violations if isinstance(p, Always) else run.step_violations).get(p.name)
    if bad is not None:
        return result(p, "violated", bad)
    if isinstance(p, AlwaysStep) and _FIRED + p.name not in run.witnesses:
        return result(p, "vacuous", reason=fired_nowhere(p))
    return result(p, "holds")


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


_KINDS = (Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim, LivenessClaim)


def _validated(properties) -> list:
    """The properties as a list; each of a known kind, each name once."""
    properties = list(properties)
    for p in properties:
        if not isinstance(p, _KINDS):
            raise TypeError(f"not a property (Always, Sometimes, AlwaysStep, SometimesStep, GraphClaim, LivenessClaim, "
                            f"Eventually): {p!r}")
    names = [p.name for p in properties]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"property names must be unique: {', '.join(twice)}")
    witnesses = {p.name for p in properties if isinstance(p, (Sometimes, SometimesStep))}
    unknown = sorted(f"{p.name} (witness {p.witness!r})" for p in properties
                     if getattr(p, "witness", "") and p.witness not in witnesses)
    if unknown:
        raise ValueError(f"a witness must name a Sometimes or SometimesStep claim of the list: {', '.join(unknown)}")
    return properties
