"""Deciding each kind of claim on an explored state graph (the default, graph-keeping mode).

Each ``decide_*`` function returns the claim's :class:`PropertyResult` before the
run-wide rules of :func:`hvr_model.checker.checking.settle` (vacuity through
witnesses, spec errors, incomplete runs) are applied.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .context import _Context
from .exploration import Exploration, Step
from .graphs import label_mask
from .properties import AlwaysStep, GraphClaim, LivenessClaim, Sometimes
from .results import PropertyResult

__all__ = ["decide_invariant", "decide_sometimes", "decide_steps", "decide_graph", "decide_liveness", "result",
           "not_applicable", "unreached", "fired_nowhere"]


def result(p, verdict: str, counterexample=None, example=None, reason: str = "", cycle=None) -> PropertyResult:
    return PropertyResult(p.name, p.kind, verdict, p.requirements, p.doc, counterexample, example, reason, cycle)


def not_applicable(p, config) -> PropertyResult:
    return result(p, "vacuous", reason=p.inapplicable_reason(config))


def decide_invariant(p, exploration: Exploration) -> PropertyResult:
    bad = exploration.violations.get(p.name)
    return result(p, "holds") if bad is None else result(p, "violated", exploration.path_to(bad))


def decide_sometimes(p: Sometimes, exploration: Exploration, context: _Context) -> PropertyResult:
    # States are stored in BFS order: the first one found has the least depth.
    test = context.bind(p.name, p.predicate, default=False)
    best = next((i for i, s in enumerate(exploration.store.nodes) if test(s)), None)
    if best is None:
        return unreached(p, exploration.complete)
    return result(p, "holds", example=exploration.path_to_id(best))


def unreached(p, complete: bool) -> PropertyResult:
    """A reachability claim not reached: violated in a complete run, unknown in an incomplete one."""
    if complete:
        return result(p, "violated")
    return result(p, "unknown", reason="exploration incomplete: not reached in the states explored")


def decide_steps(props, exploration: Exploration, context: _Context) -> list[PropertyResult]:
    """Each claim over the edges of the events it names, in BFS order of their source.

    A claim's ``when`` (a state predicate on the source) is evaluated once per source state,
    so a claim about every event but only some states visits only their edges.
    """
    store = exploration.store
    _, dst, lab = store.csr()
    src = store.sources()
    by_label = _EdgesByLabel(lab)
    events = [context.action(label).event for label in store.label_names]
    concrete = _Targets(exploration, context.model)
    results = []
    for p in props:
        edges = by_label.edges([lid for lid, event in enumerate(events) if event in p.events])
        if p.when is not None and len(edges):
            edges = edges[_sources_where(p, src[edges], store.nodes, context)]
        fired = len(edges) > 0
        found = None
        for k in edges:
            u, label = int(src[k]), store.label_names[lab[k]]
            after = concrete(u, label, int(dst[k]))
            if _step_matters(p, store.nodes[u], after, context.action(label), context):
                found = exploration.path_to_id(u) + [Step(label, after)]
                break
        results.append(_step_result(p, found, fired, exploration))
    return results


class _EdgesByLabel:
    """Edge ids grouped by label (one stable sort): a claim's edges without a scan of all of them."""

    def __init__(self, lab: np.ndarray):
        self.order = np.argsort(lab, kind="stable")
        self.bounds = np.searchsorted(lab[self.order], np.arange(int(lab.max(initial=-1)) + 2))

    def edges(self, lids: list[int]) -> np.ndarray:
        """The edges of these labels, in edge order (sources in BFS order)."""
        parts = [self.order[self.bounds[lid]:self.bounds[lid + 1]] for lid in lids if lid + 1 < len(self.bounds)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _sources_where(p, sources: np.ndarray, nodes, context: _Context) -> np.ndarray:
    """Per edge: its source satisfies the claim's ``when`` (evaluated once per distinct source)."""
    distinct, index = np.unique(sources, return_inverse=True)
    ok = np.fromiter((context.holds(p.name, p.when, nodes[int(u)], context.config, default=True)
                      for u in distinct), dtype=bool, count=len(distinct))
    return ok[index]


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


def _step_matters(p, u, v, args, context: _Context) -> bool:
    """True for a violating step of an AlwaysStep, or a witnessing step of a SometimesStep."""
    if isinstance(p, AlwaysStep):
        return not context.holds(p.name, p.check, u, v, args, context.config, default=True)
    return context.holds(p.name, p.check, u, v, args, context.config, default=False)


def _step_result(p, found, fired: bool, exploration) -> PropertyResult:
    if isinstance(p, AlwaysStep):
        if found is not None:
            return result(p, "violated", found)
        if not fired:
            return result(p, "vacuous", reason=fired_nowhere(p))
        return result(p, "holds")
    if found is None:
        return unreached(p, exploration.complete)
    return result(p, "holds", example=found)


def fired_nowhere(p) -> str:
    """The vacuity reason of a step claim none of whose events fired (from a state where ``when`` holds)."""
    where = " from a state where its 'when' holds" if p.when is not None else ""
    events = ", ".join(sorted(p.events)) if len(p.events) <= 8 else f"{len(p.events)} events"
    return f"none of its events ({events}) fired{where} on an explored step"


def decide_graph(p: GraphClaim, exploration: Exploration, model: Any) -> PropertyResult:
    unknown = _undecidable(p, exploration)
    if unknown:
        return result(p, "unknown", reason=unknown)
    holds, path = p.decide(exploration, model)
    if holds is None:           # the claim found nothing to be about: ``path`` says why
        return result(p, "vacuous", reason=str(path))
    return result(p, "holds", example=path) if holds else result(p, "violated", path)


def _undecidable(p, exploration: Exploration) -> str:
    """Why a whole-graph claim cannot be decided on this exploration ("" if it can)."""
    if exploration.store is None:
        return "not checked in safety-only mode: no graph is stored"
    if not exploration.complete:
        return "exploration incomplete: whole-graph claims need every state"
    if exploration.canonical is not None and not p.symmetric:
        return "not checked under symmetry reduction: the claim tells interchangeable components apart"
    return ""


def decide_liveness(p: LivenessClaim, exploration: Exploration, context: _Context) -> PropertyResult:
    """``trigger ~> goal`` under the model's and the claim's fairness, by fair-SCC analysis, per instance."""
    unknown = _undecidable(p, exploration)
    if unknown:
        return result(p, "unknown", reason=unknown)
    weak, strong = fairness_masks(exploration.store, context, p)
    discharge = label_mask(exploration.store, lambda label: context.action(label).event in p.unless)
    triggered = False
    for x in p.instances(context.config):
        lasso, occurred = _lasso(p, x, exploration, context, (weak, strong, discharge))
        triggered |= occurred
        if lasso is not None:
            return _lasso_result(p, lasso, exploration.store, x)
    if not triggered:
        return result(p, "vacuous", reason="its trigger holds in no reachable state outside its goal")
    return result(p, "holds")


def _lasso(p, x, exploration: Exploration, context: _Context, masks):
    """(the lasso or None, whether the trigger occurred) for instance ``x``."""
    from .liveness import initial_mask, leads_to, open_triggers
    store, config = exploration.store, context.config
    args = () if p.for_each is None else (x,)
    if p.trigger is None:
        trigger = initial_mask(store)
    else:
        trigger = _mask(store, lambda s: context.holds(p.name, p.trigger, s, config, *args, default=False))
    if not trigger.any():
        return None, False
    goal = _mask(store, lambda s: context.holds(p.name, p.goal, s, config, *args, default=True))
    if not open_triggers(trigger, goal):    # the goal already holds wherever the trigger does: nothing to wait for
        return None, False
    return leads_to(store, trigger, goal, *masks), True


def _lasso_result(p, lasso, store, x) -> PropertyResult:
    names, nodes = store.label_names, store.nodes
    stem = [Step(None if lid is None else names[lid], nodes[sid]) for lid, sid in lasso.stem]
    cycle = [Step(names[lid], nodes[sid]) for lid, sid in lasso.cycle]
    return result(p, "violated", stem, cycle=cycle, reason="" if p.for_each is None else f"for {x!r}")


def _mask(store, test) -> np.ndarray:
    return np.fromiter((test(s) for s in store.nodes), dtype=bool, count=store.states)


def fairness_masks(store, context: _Context, p: LivenessClaim) -> tuple[np.ndarray, np.ndarray]:
    """Per label id: weakly fair, strongly fair (the model's ``fairness(label)``, then the claim's events)."""
    declared = getattr(context.model, "fairness", lambda label: None)
    weak = np.zeros(len(store.label_names), dtype=bool)
    strong = np.zeros(len(store.label_names), dtype=bool)
    for lid, label in enumerate(store.label_names):
        event = context.action(label).event
        kind = "strong" if event in p.strong else "weak" if event in p.weak else declared(label)
        if kind not in (None, "weak", "strong"):
            raise ValueError(f"fairness of {label!r} must be 'weak', 'strong' or None, got {kind!r}")
        weak[lid], strong[lid] = kind == "weak", kind == "strong"
    return weak, strong
