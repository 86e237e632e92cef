"""Site roles and orchestration (REQ-01, 02, 04, 25).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> no_split_brain(initial_world(cfg), cfg)
True
"""
from __future__ import annotations

from hvr_model.hyperv.environment import SiteStatus, VaultStatus
from hvr_model.hyperv.events import EVENTS

from hvr_model.hyperv.protocol.vm_role import VmPower
from hvr_model.hyperv.views import replica_site, runs_at_source, source_site, vmm_up

from hvr_model.checker.graphs import label_mask, out_label_ids
from hvr_model.checker.properties import Always, AlwaysStep, GraphClaim, Sometimes, SometimesStep

from .applicability import has_fault, takes_event

__all__ = ["no_split_brain", "workload_runs_only_on_active_site", "orchestration_needs_no_other_vmm", "PROPERTIES",
           "ORCHESTRATION_SITES"]

OFF = VmPower.OFF


def no_split_brain(w, config) -> bool:
    """No VM runs a production copy on both sites at once."""
    return all(vm.power[0] is OFF or vm.power[1] is OFF for vm in w.vms)


def workload_runs_only_on_active_site(w, config) -> bool:
    """The active site is the only one where a VM's copy runs (REQ-04)."""
    return all(vm.power[replica_site(vm)] is OFF for vm in w.vms)


def _vm_runs_on_recovery_site(w, config) -> bool:
    return any(vm.power[1] is not OFF for vm in w.vms)


#: The sites whose VMM server each ASR operation needs, relative to the VM's active site before
#: it, and the requirement that says so (REQ-02: an action on a site goes through that site's VMM
#: server). "replica" means the recovery side only: unplanned failover and drills must work with
#: the primary's VMM server lost. A job that ends Failed needs only the vault to have taken it
#: (REQ-38); a cancelled one had started, through the servers its operation needs (REQ-30 a).
#: Recovery-plan steps (``_PLAN_STEPS``) need only the vault; the per-VM steps they permit
#: need their own servers.
ORCHESTRATION_SITES = {
    "enable_protection": ("both", "REQ-06"), "finalize_protection": ("source", "REQ-06"),
    "disable_protection": ("source", "REQ-07"), "planned_failover": ("both", "REQ-24"),
    "unplanned_failover": ("replica", "REQ-25"), "change_recovery_point": ("source", "REQ-27"),
    "commit": ("source", "REQ-27"), "reverse_replicate": ("both", "REQ-28"),
    "test_failover": ("replica", "REQ-31"), "cleanup_test_failover": ("replica", "REQ-31"),
    "enable_protection_failed": ("vault", "REQ-38"), "planned_failover_failed": ("vault", "REQ-38"),
    "unplanned_failover_failed": ("vault", "REQ-38"), "planned_failover_cancelled": ("both", "REQ-30"),
    "unplanned_failover_cancelled": ("replica", "REQ-30"),
}
_PLAN_STEPS = ("start_planned_recovery_plan", "start_unplanned_recovery_plan", "start_test_recovery_plan",
               "complete_shutdown_step", "complete_failover_step", "complete_boot_group",
               "confirm_manual_action", "group_script_succeeds", "restart_recovery_plan",
               "close_recovery_plan")


def _needed_sites(w, args) -> tuple[int, ...]:
    """The sites whose VMM server the ASR operation ``args`` needs in ``w`` (REQ-02)."""
    entry = ORCHESTRATION_SITES.get(args.event)
    if entry is None:
        return ()
    vm = w.vms[args.vm]
    sites = {"both": (0, 1), "source": (source_site(vm),), "replica": (replica_site(vm),), "vault": ()}[entry[0]]
    if args.shutdown_source and runs_at_source(vm):
        # "Shut down source and synchronize" shuts a running source down through its VMM (REQ-25).
        sites = tuple(sorted({*sites, source_site(vm)}))
    return sites


def orchestration_needs_vault_and_vmm(before, after, args, config) -> bool:
    """An ASR operation runs only with the vault reachable and the VMM servers it acts through up."""
    return before.vault is VaultStatus.REACHABLE and all(vmm_up(before, s) for s in _needed_sites(before, args))


def orchestration_needs_no_other_vmm(exploration, system):
    """No ASR operation, plan step or Hyper-V host operation depends on a VMM server it does not need (REQ-02).

    For every reachable state where a site's VMM server is down (its host up), the same state
    with that server up must enable exactly the same orchestration steps, except those that
    need that server: an operation that checks the wrong site's VMM server is refused where it
    should run (or runs where it should not). The twin state is expanded by the model when the
    graph does not hold it.
    """
    store = exploration.store
    orchestration = label_mask(store, lambda label: _is_orchestration(system.event_by_label[label].args.event))
    for sid in range(store.expanded):            # BFS order: the first mismatch is the shallowest
        node = store.nodes[sid]
        for site in (0, 1):
            if node.sites[site] is not SiteStatus.VMM_SERVER_DOWN:
                continue
            twin = node._replace(sites=tuple(SiteStatus.ONLINE if k == site else s for k, s in enumerate(node.sites)))
            here = _orchestration_labels(system, store, orchestration, sid, node)
            there = _orchestration_labels(system, store, orchestration, store.index.get(twin), twin)
            if any(site not in _needed_sites(node, system.event_by_label[label].args) for label in here ^ there):
                return False, exploration.path_to_id(sid)
    return True, None


#: Hyper-V's own operations, run by an operator on a host: no VMM server is involved (REQ-02, 24,
#: 30 b: Cancel Failover needs only the replica host).
_HOST_OPERATIONS = frozenset(name for name, spec in EVENTS.items() if spec.kind == "operator")


def _is_orchestration(event: str) -> bool:
    return event in ORCHESTRATION_SITES or event in _PLAN_STEPS or event in _HOST_OPERATIONS


def _orchestration_labels(system, store, orchestration, sid, world) -> set[str]:
    """The orchestration steps enabled in ``world`` (state ``sid`` of the graph, or None)."""
    if sid is not None and sid < store.expanded:
        return {store.label_names[lid] for lid in out_label_ids(store, sid) if orchestration[lid]}
    return {step.event.label for step in system.steps(world) if _is_orchestration(step.event.args.event)}


def _replicates_while_vault_unreachable(before, after, args, config) -> bool:
    return before.vault is VaultStatus.UNREACHABLE


PROPERTIES = (
    Always("no_split_brain", ("REQ-25", "REQ-04"),
           "A VM never runs on both sites at once (no two live production copies).",
           no_split_brain, witness="vm_runs_on_recovery_site"),
    Sometimes("vm_runs_on_recovery_site", ("REQ-25",),
              "Some VM does run on the recovery site (after a failover).", _vm_runs_on_recovery_site),
    Always("workload_runs_only_on_active_site", ("REQ-04",),
           "Each VM has exactly one active site, and its workload runs nowhere else.",
           workload_runs_only_on_active_site, witness="vm_runs_on_recovery_site"),
    AlwaysStep("orchestration_needs_vault_and_vmm", ("REQ-01", "REQ-02"),
               "ASR operations and recovery-plan steps need the vault, and the VMM servers of the "
               "sites they act on.",
               frozenset(ORCHESTRATION_SITES) | frozenset(_PLAN_STEPS), orchestration_needs_vault_and_vmm,
               witness="replication_continues_while_vault_unreachable"),
    GraphClaim("orchestration_needs_no_other_vmm", ("REQ-02", "REQ-25", "REQ-30"),
               "No ASR operation, plan step or Hyper-V host operation is refused (or allowed) because of a VMM "
               "server it does not need: unplanned failover and drills need only the recovery side's, "
               "Cancel Failover none.",
               orchestration_needs_no_other_vmm, applies=has_fault("vmm_server_outage")),
    SometimesStep("replication_continues_while_vault_unreachable", ("REQ-01",),
                  "Delta replication ships logs while the vault is unreachable.",
                  frozenset({"replicate_delta"}), _replicates_while_vault_unreachable,
                  applies=has_fault("vault_outage") & takes_event("guest_write")),
)
