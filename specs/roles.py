"""Site roles and orchestration (REQ-01, 02, 04, 25).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> no_split_brain(initial_world(cfg), cfg)
True
"""
from __future__ import annotations

from hvr_model.hyperv.environment import VaultStatus

from hvr_model.hyperv.protocol.vm_role import VmPower
from hvr_model.hyperv.views import replica_site, source_site, vmm_up

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

from .applicability import has_fault, takes_event

__all__ = ["no_split_brain", "workload_runs_only_on_active_site", "PROPERTIES", "ORCHESTRATION_SITES"]

OFF = VmPower.OFF


def no_split_brain(w, config) -> bool:
    """No VM runs a production copy on both sites at once."""
    return all(vm.power[0] is OFF or vm.power[1] is OFF for vm in w.vms)


def workload_runs_only_on_active_site(w, config) -> bool:
    """The active site is the only one where a VM's copy runs (REQ-04)."""
    return all(vm.power[replica_site(vm)] is OFF for vm in w.vms)


def _vm_runs_on_recovery_site(w, config) -> bool:
    return any(vm.power[1] is not OFF for vm in w.vms)


#: The sites whose VMM server an ASR operation needs (REQ-02), relative to the
#: VM's active site before the operation. Plan steps need only the vault.
ORCHESTRATION_SITES = {
    "enable_protection": "both", "finalize_protection": "source", "disable_protection": "source",
    "planned_failover": "both", "unplanned_failover": "replica", "change_recovery_point": "source",
    "commit": "source", "reverse_replicate": "both",
    "test_failover": "replica", "cleanup_test_failover": "replica",
    # A job that ends Failed needs only the vault to have taken it (REQ-38); a cancelled one had
    # started, through the servers its operation needs (REQ-30 a).
    "enable_protection_failed": "vault", "planned_failover_failed": "vault", "unplanned_failover_failed": "vault",
    "planned_failover_cancelled": "both", "unplanned_failover_cancelled": "replica",
}
_PLAN_STEPS = ("start_planned_recovery_plan", "start_unplanned_recovery_plan", "start_test_recovery_plan",
               "complete_shutdown_step", "complete_failover_step", "complete_boot_group",
               "confirm_manual_action", "group_script_succeeds", "restart_recovery_plan",
               "close_recovery_plan")


def _needed_sites(w, args) -> tuple[int, ...]:
    where = ORCHESTRATION_SITES.get(args.event)
    if where is None:
        return ()
    vm = w.vms[args.vm]
    return {"both": (0, 1), "source": (source_site(vm),), "replica": (replica_site(vm),), "vault": ()}[where]


def orchestration_needs_vault_and_vmm(before, after, args, config) -> bool:
    """An ASR operation runs only with the vault reachable and the VMM servers it acts through up."""
    return before.vault is VaultStatus.REACHABLE and all(vmm_up(before, s) for s in _needed_sites(before, args))


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
    SometimesStep("replication_continues_while_vault_unreachable", ("REQ-01",),
                  "Delta replication ships logs while the vault is unreachable.",
                  frozenset({"replicate_delta"}), _replicates_while_vault_unreachable,
                  applies=lambda c: has_fault("vault_outage")(c) and takes_event("guest_write")(c)),
)
