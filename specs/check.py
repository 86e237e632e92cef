"""Check a configuration against the properties: explore, then decide each claim.

>>> from hvr_model.config import load_config
>>> result = check(load_config("single_vm"))
>>> result.holds, result.exploration.complete
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hvr_model.blockstore import DataPathError
from hvr_model.compose import System
from hvr_model.config import Config
from hvr_model.explorer import Exploration, Progress, Step, explore

from .catalogue import ALL_PROPERTIES
from .properties import Always, AlwaysStep, GraphClaim, Sometimes, SometimesStep

__all__ = ["PropertyResult", "CheckResult", "check"]


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
    config: Config
    system: System
    exploration: Exploration
    results: list[PropertyResult]

    @property
    def holds(self) -> bool:
        return all(r.holds for r in self.results if not r.skipped)

    def result(self, name: str) -> PropertyResult:
        return next(r for r in self.results if r.name == name)

    @property
    def violated(self) -> list[str]:
        return [r.name for r in self.results if not r.holds and not r.skipped]


def check(config: Config, properties=ALL_PROPERTIES, *, max_states: int | None = None,
          progress: Callable[[Progress], None] | None = None) -> CheckResult:
    """Explore ``config`` exhaustively and decide every property."""
    system = System(config)
    invariants = {p.name: _bind(p.predicate, config) for p in properties if isinstance(p, Always)}
    exploration = explore(system.initial_states(), system.successors, invariants=invariants,
                          max_states=max_states, progress=progress)
    results = [_decide_invariant(p, exploration) for p in properties if isinstance(p, Always)]
    results += [_decide_sometimes(p, exploration, config) for p in properties if isinstance(p, Sometimes)]
    results += _decide_steps([p for p in properties if isinstance(p, (AlwaysStep, SometimesStep))],
                             exploration, system)
    results += [_decide_graph(p, exploration, system) for p in properties if isinstance(p, GraphClaim)]
    order = {p.name: i for i, p in enumerate(properties)}
    results.sort(key=lambda r: order[r.name])
    return CheckResult(config, system, exploration, results)


def _bind(predicate, config):
    return lambda world: _holds(predicate, world, config)


def _holds(predicate, *args) -> bool:
    """A claim that cannot even be evaluated in a state (the state is malformed) does not hold there."""
    try:
        return bool(predicate(*args))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError, DataPathError):
        return False


def _result(p, holds, counterexample=None, example=None, skipped="") -> PropertyResult:
    return PropertyResult(p.name, p.kind, holds, p.requirements, p.doc, counterexample, example, skipped)


def _decide_invariant(p: Always, exploration: Exploration) -> PropertyResult:
    bad = exploration.violations.get(p.name)
    return _result(p, bad is None, None if bad is None else exploration.path_to(bad))


def _not_applicable(p) -> PropertyResult:
    return _result(p, True, skipped="not applicable: the configuration cannot produce this situation")


def _decide_sometimes(p: Sometimes, exploration: Exploration, config: Config) -> PropertyResult:
    if not p.applies_to(config):
        return _not_applicable(p)
    found = [s for s in exploration.graph if _holds(p.predicate, s, config)]
    if not found:
        return _result(p, False, skipped="" if exploration.complete else "exploration incomplete")
    best = min(found, key=exploration.depth_of)
    return _result(p, True, example=exploration.path_to(best))


def _decide_steps(props, exploration: Exploration, system: System) -> list[PropertyResult]:
    """One pass over every edge, in order of the source state's depth."""
    by_event: dict[str, list] = {}
    for p in props:
        for event in p.events:
            by_event.setdefault(event, []).append(p)
    found: dict[str, tuple[int, list[Step]]] = {}
    graph, config = exploration.graph, system.config
    for u in graph:
        depth = None
        for v, data in graph.succ[u].items():
            for label in data["actions"]:
                event = system.event_by_label[label]
                for p in by_event.get(event.args.event, ()):
                    if _step_matters(p, u, v, event.args, config):
                        depth = exploration.depth_of(u) if depth is None else depth
                        if p.name not in found or depth < found[p.name][0]:
                            found[p.name] = (depth, exploration.path_to(u) + [Step(label, v)])
    return [_step_result(p, found.get(p.name), exploration) if p.applies_to(config) else _not_applicable(p)
            for p in props]


def _step_matters(p, u, v, args, config) -> bool:
    """True for a violating step of an AlwaysStep, or a witnessing step of a SometimesStep."""
    ok = _holds(p.check, u, v, args, config)
    return not ok if isinstance(p, AlwaysStep) else ok


def _step_result(p, found, exploration) -> PropertyResult:
    if isinstance(p, AlwaysStep):
        return _result(p, found is None, None if found is None else found[1])
    if found is None:
        return _result(p, False, skipped="" if exploration.complete else "exploration incomplete")
    return _result(p, True, example=found[1])


def _decide_graph(p: GraphClaim, exploration: Exploration, system: System) -> PropertyResult:
    if not exploration.complete:
        return _result(p, True, skipped="exploration incomplete: whole-graph claims need every state")
    holds, path = p.decide(exploration, system)
    return _result(p, holds, None if holds else path, path if holds else None)
