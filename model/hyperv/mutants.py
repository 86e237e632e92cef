"""Deliberately broken variants of the Hyper-V model (mutants), and :func:`system_for`.

Each mutant is a patch (:mod:`hvr_model.checker.mutation`) on the declarative
tables (a dropped guard or effect, a redirected row) or a swapped effect or
block store, and names the property that must catch it. The variant is chosen
where the check is declared: ``system_for(config, mutant="...")`` composes new
tables, guards and effects; nothing is patched in place. The manifest
(``specs/manifest.toml``) runs every mutant and expects that property, and only
a violation, to be reported.

>>> from hvr_model.hyperv.config import load_config
>>> system = system_for(load_config("single_vm"), mutant="disks_copied_in_parallel")
>>> system.mutant, MUTANTS[system.mutant].kills
('disks_copied_in_parallel', 'one_disk_copied_at_a_time')
"""
from __future__ import annotations

import os

from ..checker.mutation import (add_effect, add_guard, change_rows, drop_effect, drop_guard, drop_rows, extend_source,
                                remove_source, replace_effect, replace_guard)
from .config import Config, ConfigError, as_config
from .effects import _with_power
from .guards import Args
from .mutant_catalogue import MUTANTS, Mutant, register, register as _register
from .protocol.protection import ProtectionState as _P
from .protocol.recovery_plan import PlanKind as _K, PlanStatus as _S
from .protocol.replication import ReplicationPhase as _R
from .protocol.vm_role import ActiveSite as _A, VmPower
from .state import update_vm
from .system import System
from .views import source_site

__all__ = ["Mutant", "MUTANTS", "system_for", "register"]

def system_for(config: Config | str | os.PathLike[str], mutant: str | None = None) -> System:
    """The composed model of ``config`` (a Config, a shipped name or a TOML path), or of its broken
    variant ``mutant``.

    Raises
    ------
    ConfigError
        For an unknown mutant name (the message lists where to find the names).
    """
    config = as_config(config)
    if mutant is None:
        return System(config)
    if mutant not in MUTANTS:
        raise ConfigError(f"--mutant: unknown mutant {mutant!r} (see 'hvr-model mutants')")
    machines, guards, effects = MUTANTS[mutant].variant()
    return System(config, machines, guards(config), effects(config), mutant=mutant)




def _boot_serving(effects, w, a):
    """Broken boot: the failed-over VM serves users at once, before commit."""
    vm = w.vms[a.vm]
    return update_vm(w, a.vm, power=_with_power(vm, source_site(vm), VmPower.SERVING))



def _one_group_machine_started(guards, w, a):
    """Broken group completion: the group counts as started once any one of its machines runs."""
    if w.plan_kind is _K.TEST:
        return True
    return any(guards.workload_running(w, Args(a.event, i)) for i in guards.groups[w.plan_group])



# -- the catalogue -------------------------------------------------------------------------------

_register("unplanned_failover_ignores_running_source",
          "Unplanned failover does not make sure the source VM is off.",
          "no_split_brain", drop_guard("protection", "unplanned_failover", "source_vm_off"))
_register("cancel_failover_leaves_replica_running",
          "Cancelling a failover leaves the failed-over copy running on what is again the replica site.",
          "workload_runs_only_on_active_site", drop_effect("protection", "cancel_failover", "power_off_failed_over_vm"))
_register("disks_copied_in_parallel",
          "Initial replication starts a disk while another is still being copied.",
          "one_disk_copied_at_a_time", drop_guard("replication", "begin_disk_copy", "no_disk_copying"))
_register("snapshot_kept_after_initial_replication",
          "Initial replication completes without deleting the VM snapshot.",
          "snapshot_exactly_during_initial_replication",
          drop_effect("replication", "complete_initial_replication", "delete_snapshot"))
_register("failed_over_vm_serves_before_commit",
          "A failed-over VM serves users as soon as it boots, before commit.",
          "workload_serves_from_replica_only_after_commit",
          replace_effect("vm_role", "start_vm", "boot_workload", "boot_serving", _boot_serving))
_register("unplanned_failover_keeps_replicating",
          "Unplanned failover leaves the replication engine running.",
          "unplanned_failover_leaves_vm_unprotected",
          change_rows("replication", ("unplanned_failover",), lambda r: {**r, "dest": _R.REPLICATING}))
_register("planned_failover_without_final_log",
          "Planned failover does not send the last log before failing over.",
          "planned_failover_leaves_vm_protected", drop_effect("protection", "planned_failover", "ship_final_log"))
_register("reverse_replication_before_commit",
          "Reverse replication is allowed before the failover is committed.",
          "reverse_replication_after_commit_keeps_active_site",
          extend_source("protection", "reverse_replicate",
                        [_P.PLANNED_FAILOVER_PENDING_COMMIT, _P.UNPLANNED_FAILOVER_PENDING_COMMIT]))
_register("reverse_replication_without_other_site",
          "Reverse replication starts without checking that the other site can receive it.",
          "reverse_replication_after_commit_keeps_active_site",
          drop_guard("protection", "reverse_replicate", "replication_path_up"), config="single_vm_faults")
_register("test_failover_during_resync",
          "Test failover is allowed while a resynchronization runs.",
          "no_test_or_planned_failover_during_resync",
          drop_guard("test_failover", "test_failover", "phase_allows_test_failover"))
_register("resync_keeps_recovery_points",
          "Completing a resync keeps the old recovery points.",
          "resync_completion_resets_recovery_points",
          drop_effect("replication", "complete_resynchronization", "reset_recovery_points"),
          config="single_vm_faults")
_register("commit_without_vault",
          "Commit goes ahead while the vault is unreachable.",
          "orchestration_needs_vault_and_vmm", drop_guard("protection", "commit", "vault_reachable"),
          config="single_vm_faults")
_register("test_failover_without_replica_vmm",
          "Test failover runs with the replica site's VMM server down.",
          "orchestration_needs_vault_and_vmm", drop_guard("test_failover", "test_failover", "replica_vmm_up"),
          config="single_vm_faults")
_register("unplanned_failover_needs_primary_vmm",
          "Unplanned failover also checks the primary site's VMM server, so losing it blocks the failover.",
          "orchestration_needs_no_other_vmm", add_guard("protection", "unplanned_failover", "source_vmm_up"),
          config="single_vm_faults")
_register("cancel_failover_needs_vmm",
          "Hyper-V's Cancel Failover also asks the failed-over site's VMM server, which it does not go through.",
          "orchestration_needs_no_other_vmm", add_guard("protection", "cancel_failover", "source_vmm_up"),
          config="single_vm_faults")
_register("delta_replication_needs_vault",
          "The replication engine waits for the vault before shipping a log.",
          "replication_independent_of_vault", add_guard("replication", "replicate_delta", "vault_reachable"),
          config="single_vm_faults")
_register("plan_boots_all_groups_at_once",
          "A recovery plan lets every group's machines start as soon as they failed over.",
          "recovery_plan_boots_groups_in_order", drop_guard("vm_role", "start_vm", "plan_permits_start"),
          config="two_group_plan")
_register("plan_group_completes_before_boot",
          "A plan group completes without waiting for its machines to start.",
          "group_completes_after_its_machines_start",
          change_rows("recovery_plan", ("complete_boot_group", "group_script_succeeds", "group_script_fails"),
                      lambda r: {**r, "conditions": [c for c in r["conditions"] if c != "current_group_started"]}),
          config="two_group_plan")
_register("plan_group_done_when_one_machine_started",
          "A plan group counts as started (and the plan moves on) once any one of its machines runs.",
          "group_completes_after_its_machines_start",
          replace_guard("current_group_started", _one_group_machine_started), config="plan_group_of_two")
_register("script_failure_ignored_in_planned_failover",
          "A failing group script does not stop a planned-failover plan.",
          "failing_script_stops_only_planned_failover",
          change_rows("recovery_plan", ("group_script_fails",),
                      lambda r: {**r, "conditions": [c for c in r["conditions"]
                                                     if c not in ("plan_is_planned", "plan_is_not_planned")]}),
          config="two_group_plan")
_register("sites_never_restored",
          "A site that goes down never comes back.",
          "no_deadlock", drop_rows("site", "site_restored"), config="two_site_outages")
_register("no_failover_back_to_primary",
          "Failover only ever goes from the primary site to the recovery site.",
          "recoverable_to_home",
          remove_source("vm_role", ("planned_failover", "planned_failover_on_replica", "unplanned_failover"),
                        _A.RECOVERY_SITE))
_register("no_reverse_replication_after_unplanned_failover",
          "Reverse replication is only offered after a planned failover.",
          "failback_cycle_reachable",
          remove_source("protection", ("reverse_replicate",), _P.UNPLANNED_FAILOVER_COMMITTED))

_register("cancel_failover_after_commit",
          "Hyper-V's Cancel Failover is also taken after the failover was committed, undoing the commit.",
          "commit_is_final",
          extend_source("protection", "cancel_failover", [_P.PLANNED_FAILOVER_COMMITTED, _P.UNPLANNED_FAILOVER_COMMITTED]))

_register("drill_shuts_production_down",
          "A test failover shuts the production VM down, as a planned failover would.",
          "drill_leaves_production_untouched", add_effect("test_failover", "test_failover", "shut_down_workload"))
_register("manual_action_skipped",
          "A group with a manual post-action completes the plan without waiting for the confirmation.",
          "manual_action_pauses_the_plan",
          change_rows("recovery_plan", ("complete_boot_group",),
                      lambda r: {**r, "dest": _S.COMPLETED} if "group_has_manual_action" in r["conditions"] else r),
          config="two_group_plan")
_register("finalize_before_initial_replication",
          "Protection is finalized while the initial copy is still running.",
          "protected_only_after_initial_replication",
          drop_guard("protection", "finalize_protection", "initial_replication_complete"))

_register("reverse_replication_skips_resync_after_unplanned_failover",
          "Reverse replication after an unplanned failover replicates deltas at once, as after a planned one.",
          "reverse_replication_syncs_as_the_failover_requires",
          change_rows("replication", ("reverse_replicate",),
                      lambda r: {**r, "dest": _R.REPLICATING, "after": []}
                      if "after_unplanned_failover" in r["conditions"] else r))
_register("cancelled_resync_resumes_replication",
          "Cancelling a resynchronization resumes delta replication instead of leaving the resync required.",
          "cancelled_resync_is_required_again",
          change_rows("replication", ("cancel_resynchronization",), lambda r: {**r, "dest": _R.REPLICATING, "after": []}))

# The mutants by theme register after this module's own, which keeps the catalogue's order.
from . import data_mutants, fidelity_mutants, liveness_mutants, witness_mutants  # noqa: E402,F401
