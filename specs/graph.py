"""Claims on the whole explored graph, decided with networkx algorithms.

* ``no_deadlock``: every reachable state has a successor.
* ``recoverable_to_home``: from every reachable state the system can get back
  to *home* (every VM protected, running on its original primary site,
  replicating normally; both sites, the link and the vault up; no plan or
  drill running).
* ``failback_cycle_reachable``: the seed's full cycle is possible for some VM:
  unplanned failover, commit, reverse replication, planned failover back,
  commit, reverse replication, ending at home roles.
* ``replication_independent_of_vault``: in every reachable state where the
  vault is unreachable, the engine can do exactly what it could with the vault
  reachable (REQ-01: the vault only orchestrates).
"""
from __future__ import annotations

import networkx as nx

from hvr_model.checker.exploration import Step
from hvr_model.checker.graphs import first_by_depth, labelled_successors, reachable, reaching
from hvr_model.checker.properties import GraphClaim
from hvr_model.hyperv.environment import VaultStatus
from hvr_model.hyperv.protocol.vm_role import ActiveSite
from hvr_model.hyperv.views import is_home

__all__ = ["PROPERTIES", "FAILBACK_CYCLE"]

FAILBACK_CYCLE = ("unplanned_failover", "commit", "reverse_replicate", "planned_failover", "commit",
                  "reverse_replicate")


def no_deadlock(exploration, system):
    if not exploration.deadlocks:
        return True, None
    return False, exploration.path_to(exploration.deadlocks[0])


def recoverable_to_home(exploration, system):
    graph = exploration.graph
    homes = [n for n in graph if is_home(n, system.config)]
    can_get_home = reaching(graph, homes)
    stuck = [n for n in graph if n not in can_get_home]
    if not stuck:
        return True, exploration.path_to(homes[0]) if homes else None
    return False, exploration.path_to(first_by_depth(exploration, stuck))


def _edge_label(graph, u, v) -> str:
    return graph.edges[u, v]["actions"][0]


def _stage_path(exploration, between, stages, reached, labels):
    """A concrete path through the stages, built back to front with shortest paths."""
    graph, steps = exploration.graph, []
    target = first_by_depth(exploration, stages[-1])
    for k in range(len(labels) - 1, -1, -1):
        pred = next(u for u in graph.pred[target]
                    if u in reached[k] and labels[k] in graph.edges[u, target]["actions"])
        _, path = nx.multi_source_dijkstra(graph if k == 0 else between, stages[k], pred)
        steps[:0] = [Step(_edge_label(graph, a, b), b) for a, b in zip(path, path[1:])] + [Step(labels[k], target)]
        target = path[0]
    return exploration.path_to(target) + steps


def _without_asr_operations_on(system, graph, index):
    """The graph less the edges that are only ASR operations on VM ``index``."""
    def other(label) -> bool:
        event = system.event_by_label[label]
        return event.spec.kind != "orchestration" or event.args.vm != index

    return nx.subgraph_view(graph, filter_edge=lambda u, v: any(map(other, graph.edges[u, v]["actions"])))


def failback_cycle_reachable(exploration, system):
    """The cycle's ASR operations on one VM in a row; anything else may happen between them."""
    graph = exploration.graph
    for index, vm in enumerate(system.config.vms):
        labels = [f"{event}(vm={vm.name})" for event in FAILBACK_CYCLE]
        between = _without_asr_operations_on(system, graph, index)
        stages, reached = [set(exploration.initial)], []
        for k, label in enumerate(labels):
            reached.append(reachable(graph if k == 0 else between, stages[-1]))
            stages.append(labelled_successors(graph, reached[-1], label))
        stages[-1] = {n for n in stages[-1] if n.vms[index].active is ActiveSite.PRIMARY_SITE}
        if stages[-1]:
            return True, _stage_path(exploration, between, stages, reached, labels)
    return False, None


def replication_independent_of_vault(exploration, system):
    engine = [n for n in exploration.graph if n.vault is VaultStatus.UNREACHABLE]
    for node in sorted(engine, key=exploration.depth_of):
        if _engine_labels(system, node) != _engine_labels(system, node._replace(vault=VaultStatus.REACHABLE)):
            return False, exploration.path_to(node)
    return True, None


def _engine_labels(system, world) -> set[str]:
    return {step.event.label for step in system.steps(world) if step.event.spec.kind == "engine"}


PROPERTIES = (
    GraphClaim("no_deadlock", (), "Every reachable state has a successor.", no_deadlock),
    GraphClaim("recoverable_to_home", ("REQ-29",),
               "From every reachable state, every VM can again be protected on its original primary.",
               recoverable_to_home),
    GraphClaim("failback_cycle_reachable", ("REQ-29", "REQ-28", "REQ-27"),
               "Unplanned failover, commit, reverse replication, planned failover back, commit, reverse "
               "replication: the seed's failback returns a VM to its original roles.",
               failback_cycle_reachable),
    GraphClaim("replication_independent_of_vault", ("REQ-01",),
               "With the vault unreachable the replication engine can do all it could with it reachable.",
               replication_independent_of_vault),
)
