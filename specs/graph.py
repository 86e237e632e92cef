"""Claims on the whole explored graph, decided on the compact graph with scipy.sparse.csgraph.

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

import numpy as np

from hvr_model.checker.exploration import Step
from hvr_model.checker.graphs import (edge_mask, label_mask, labelled_successors, out_label_ids, reachable, reaching,
                                      shortest_path_ids)
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
    store = exploration.store
    homes = [i for i, state in enumerate(store.nodes) if is_home(state, system.config)]
    can_get_home = reaching(store, homes)
    stuck = np.flatnonzero(~can_get_home)     # ids are in BFS order: the first is the shallowest
    if not len(stuck):
        return True, exploration.path_to_id(homes[0]) if homes else None
    return False, exploration.path_to_id(int(stuck[0]))


def _steps(exploration, path) -> list[Step]:
    names, nodes = exploration.store.label_names, exploration.store.nodes
    return [Step(None if lid is None else names[lid], nodes[i]) for lid, i in path]


def _stage_path(exploration, between, stages, reached, lids):
    """A concrete path through the stages, built back to front with shortest paths."""
    store, steps = exploration.store, []
    target = int(np.flatnonzero(stages[-1])[0])
    _, dst, lab = store.csr()
    src = store.sources()
    for k in range(len(lids) - 1, -1, -1):
        into = (dst == target) & (lab == lids[k]) & reached[k][src]
        pred = int(src[into].min())
        path = shortest_path_ids(store, np.flatnonzero(stages[k]), pred, None if k == 0 else between)
        steps[:0] = _steps(exploration, path[1:]) + [Step(store.label_names[lids[k]], store.nodes[target])]
        target = path[0][1]
    return exploration.path_to_id(target) + steps


def _without_asr_operations_on(system, store, index):
    """Per edge: not an ASR operation on VM ``index``, nor a Hyper-V one that moves its protection
    (prepare and fail over on the replica, Cancel Failover): the cycle's steps come in a row."""
    def other(label) -> bool:
        event = system.event_by_label[label]
        return event.args.vm != index or not (
            event.spec.kind == "orchestration" or any(p.machine.name == "protection" for p in event.participants))
    return edge_mask(store, other)


def failback_cycle_reachable(exploration, system):
    """The cycle's ASR operations on one VM in a row; anything else may happen between them."""
    store = exploration.store
    initial = np.zeros(store.states, dtype=bool)
    initial[store.ids(exploration.initial)] = True
    for index, vm in enumerate(system.config.vms):
        lids = [store.label_ids.get(f"{event}(vm={vm.name})") for event in FAILBACK_CYCLE]
        if None in lids:
            continue
        between = _without_asr_operations_on(system, store, index)
        stages, reached = [initial], []
        for k, lid in enumerate(lids):
            reached.append(reachable(store, np.flatnonzero(stages[-1]), None if k == 0 else between))
            stages.append(labelled_successors(store, reached[-1], lid))
        home_role = np.fromiter((s.vms[index].active is ActiveSite.PRIMARY_SITE for s in store.nodes), bool,
                                count=store.states)
        stages[-1] = stages[-1] & home_role
        if stages[-1].any():
            return True, _stage_path(exploration, between, stages, reached, lids)
    # Vacuous where the configuration binds no VM to every step; a model that binds them but
    # never takes one (a step's guard never true) fails the claim.
    if not any(all(f"{event}(vm={vm.name})" in system.event_by_label for event in FAILBACK_CYCLE)
               for vm in system.config.vms):
        return None, "no VM takes every step of the cycle (" + ", ".join(FAILBACK_CYCLE) + ")"
    return False, None


def replication_independent_of_vault(exploration, system):
    """Engine steps enabled with the vault unreachable = with it reachable (read from the graph)."""
    store = exploration.store
    engine = label_mask(store, lambda label: system.event_by_label[label].spec.kind == "engine")
    compared = 0
    for sid, node in enumerate(store.nodes):        # BFS order: the first mismatch is the shallowest
        if node.vault is not VaultStatus.UNREACHABLE:
            continue
        compared += 1
        twin = node._replace(vault=VaultStatus.REACHABLE)
        if _engine_labels(store, engine, sid) != _engine_labels(store, engine, store.index.get(twin), system, twin):
            return False, exploration.path_to_id(sid)
    return (True, None) if compared else (None, "the vault is unreachable in no reachable state")


def _engine_labels(store, engine, sid, system=None, world=None) -> set[str]:
    """The engine events enabled in state ``sid``; a state the graph lacks is expanded by the model."""
    if sid is not None and sid < store.expanded:
        return {store.label_names[lid] for lid in out_label_ids(store, sid) if engine[lid]}
    return {step.event.label for step in system.steps(world) if step.event.spec.kind == "engine"}


PROPERTIES = (
    GraphClaim("no_deadlock", (), "Every reachable state has a successor.", no_deadlock),
    GraphClaim("recoverable_to_home", ("REQ-29",),
               "From every reachable state, every VM can again be protected on its original primary.",
               recoverable_to_home),
    GraphClaim("failback_cycle_reachable", ("REQ-29", "REQ-28", "REQ-27"),
               "Unplanned failover, commit, reverse replication, planned failover back, commit, reverse "
               "replication: the seed's failback returns a VM to its original roles.",
               failback_cycle_reachable, symmetric=False),
    GraphClaim("replication_independent_of_vault", ("REQ-01",),
               "With the vault unreachable the replication engine can do all it could with it reachable.",
               replication_independent_of_vault),
)
