"""Guards: the named conditions of the machine tables, as predicates on the state.

Each guard is a method ``(world, args) -> bool`` of :class:`Guards`, which is
bound to a configuration (plan groups, bounds). ``args`` is the event binding
(:class:`Args`): the event name and, where the event has them, the VM, site
and disk it acts on. Guards read the state before the event.
"""
from __future__ import annotations

from typing import NamedTuple

from .config import Config
from .protocol.test_failover import TestFailoverState
from .protocol.protection import ProtectionState
from .protocol.recovery_plan import PLAN_RUNNING, PlanKind, PlanStatus
from .protocol.replication import DiskCopy, ReplicationPhase, RESYNC_PHASES
from .environment import VaultStatus
from .state import World
from .views import active_faults, host_up, link_up, reachable, replica_site, runs_at_source, source_site, vmm_up

__all__ = ["Args", "Guards", "GUARD_REQUIREMENTS", "GUARD_REQUIREMENTS_BY_EVENT"]

P = ProtectionState
_FAILOVER_OF_KIND = {"planned_failover": PlanKind.PLANNED, "unplanned_failover": PlanKind.UNPLANNED,
                     "test_failover": PlanKind.TEST}
_PLAN_FAILED_OVER = {PlanKind.PLANNED: lambda vm: vm.protection is P.PLANNED_FAILOVER_PENDING_COMMIT,
                     PlanKind.UNPLANNED: lambda vm: vm.protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT,
                     PlanKind.TEST: lambda vm: vm.test is TestFailoverState.RUNNING}


#: The requirement each guard comes from (REQUIREMENTS.md), for refusals that explain themselves.
GUARD_REQUIREMENTS = {
    "vault_reachable": "REQ-01", "source_vmm_up": "REQ-02", "replica_vmm_up": "REQ-02",
    "both_vmm_servers_up": "REQ-02", "source_host_up": "REQ-01", "replica_host_up": "REQ-25",
    "active_host_up": "REQ-04", "replication_path_up": "REQ-01", "replication_path_down": "REQ-21",
    "copy_path_up": "REQ-09", "workload_running": "REQ-10", "workload_off": "REQ-04",
    "source_vm_off": "REQ-24", "initial_replication_complete": "REQ-06", "no_test_failover": "REQ-31",
    "replica_has_consistent_point": "REQ-19", "older_recovery_point_exists": "REQ-14",
    "after_planned_failover": "REQ-28", "after_unplanned_failover": "REQ-28",
    "replica_has_recovery_point": "REQ-31", "phase_allows_test_failover": "REQ-19",
    "online_initial_replication": "REQ-05", "deferred_initial_replication": "REQ-09",
    "disk_pending": "REQ-08", "disk_copying": "REQ-08", "no_disk_copying": "REQ-08",
    "all_disks_copied": "REQ-08", "write_budget_left": "REQ-10", "log_pending": "REQ-10",
    "log_below_limit": "REQ-16", "log_at_limit": "REQ-16", "unclosed_log": "REQ-16",
    "log_closed_cleanly": "REQ-37", "fault_budget_left": "REQ-01", "vm_not_locked_by_plan": "REQ-33",
    "vm_not_locked_by_plan_unless_shutdown": "REQ-33", "plan_permits_failover": "REQ-33",
    "plan_permits_start": "REQ-33", "plan_vms_protected": "REQ-33",
    "plan_vms_failed_over": "REQ-33", "current_group_started": "REQ-33",
    "group_has_no_post_action": "REQ-34", "group_has_manual_action": "REQ-34", "group_has_script": "REQ-34",
    "more_groups": "REQ-32", "last_group": "REQ-32", "plan_is_planned": "REQ-34",
    "plan_is_not_planned": "REQ-34",
    "without_source_shutdown": "REQ-25", "with_source_shutdown": "REQ-25", "source_vm_off_or_reachable": "REQ-25",
    "source_log_usable": "REQ-30", "source_needs_resync": "REQ-30",
    "automatic_resynchronization": "REQ-18", "cycles_missed_in_window": "REQ-22",
    "not_prepared_for_failover": "REQ-24", "plan_vms_can_be_shut_down": "REQ-24",
    "offline_initial_replication": "REQ-09",
}

#: Where a guard shared by several events implements another requirement for one of them:
#: (guard, event) -> requirement. A refusal cites this one (REQ-24 is planned failover's, not
#: unplanned failover's).
GUARD_REQUIREMENTS_BY_EVENT = {
    ("source_vm_off", "prepare_planned_failover"): "REQ-24",
    ("source_vm_off", "unplanned_failover"): "REQ-25",
    ("active_host_up", "cancel_failover"): "REQ-30",     # only the failed-over replica's host is needed
    ("workload_off", "vhd_changed_offline"): "REQ-16",
    ("replica_host_up", "test_failover"): "REQ-31",
    ("replica_host_up", "planned_failover_on_replica"): "REQ-24",
    ("replica_host_up", "unplanned_failover_cancelled"): "REQ-30",
    ("source_host_up", "planned_failover_cancelled"): "REQ-30",
    ("source_host_up", "prepare_planned_failover"): "REQ-24",
    ("source_host_up", "resume_replication"): "REQ-21",
    ("log_closed_cleanly", "planned_failover"): "REQ-24",
    ("log_closed_cleanly", "prepare_planned_failover"): "REQ-24",
    ("log_closed_cleanly", "resume_replication"): "REQ-21",
    ("no_test_failover", "planned_failover"): "REQ-31",
    ("replication_path_up", "planned_failover"): "REQ-24",
    ("replication_path_up", "prepare_planned_failover"): "REQ-24",
    ("replication_path_up", "reverse_replicate"): "REQ-28",
    ("replication_path_up", "enable_protection"): "REQ-06",
    ("vault_reachable", "planned_failover_failed"): "REQ-38",
    ("vault_reachable", "unplanned_failover_failed"): "REQ-38",
    ("vault_reachable", "enable_protection_failed"): "REQ-38",
}



class Args(NamedTuple):
    """The binding of one event: its name and the VM, site and disk it acts on."""

    event: str
    vm: int | None = None
    site: int | None = None
    disk: int | None = None
    block: int | None = None     # guest writes in data configurations
    value: str | None = None
    shutdown_source: bool | None = None   # unplanned failover's option (REQ-25)


class Guards:
    """The guards of every machine, bound to one configuration."""

    def __init__(self, config: Config):
        self.config = config
        self.plan_vms = tuple(i for i in range(len(config.vms)) if config.group_of(i) is not None)
        self.groups = tuple(tuple(i for i in range(len(config.vms)) if config.group_of(i) == g)
                            for g in range(len(config.plan)))
        self._faults_of, self._faults = None, 0

    # -- orchestration: vault and VMM servers (REQ-01, REQ-02) --------------------------
    def vault_reachable(self, w: World, a: Args) -> bool:
        return w.vault is VaultStatus.REACHABLE

    def source_vmm_up(self, w: World, a: Args) -> bool:
        return vmm_up(w, source_site(w.vms[a.vm]))

    def replica_vmm_up(self, w: World, a: Args) -> bool:
        return vmm_up(w, replica_site(w.vms[a.vm]))

    def both_vmm_servers_up(self, w: World, a: Args) -> bool:
        return vmm_up(w, 0) and vmm_up(w, 1)

    # -- hosts and the replication path ------------------------------------------------
    def source_host_up(self, w: World, a: Args) -> bool:
        return host_up(w, source_site(w.vms[a.vm]))

    def replica_host_up(self, w: World, a: Args) -> bool:
        return host_up(w, replica_site(w.vms[a.vm]))

    def active_host_up(self, w: World, a: Args) -> bool:
        return self.source_host_up(w, a)

    def replication_path_up(self, w: World, a: Args) -> bool:
        return link_up(w)

    def replication_path_down(self, w: World, a: Args) -> bool:
        return self.source_host_up(w, a) and not self.replication_path_up(w, a)

    def copy_path_up(self, w: World, a: Args) -> bool:
        """Offline initial replication copies to media: only the source host is needed."""
        if self.config.policy.initial_replication == "offline":
            return self.source_host_up(w, a)
        return self.replication_path_up(w, a)

    # -- the workload --------------------------------------------------------------------
    def workload_running(self, w: World, a: Args) -> bool:
        return runs_at_source(w.vms[a.vm])

    def workload_off(self, w: World, a: Args) -> bool:
        return not self.workload_running(w, a)

    def source_vm_off(self, w: World, a: Args) -> bool:
        """No copy of the VM runs on its source site (REQ-24, REQ-25)."""
        return self.workload_off(w, a)

    def not_prepared_for_failover(self, w: World, a: Args) -> bool:
        """A primary prepared for a planned failover stays off until failover or cancel (REQ-24)."""
        return w.vms[a.vm].phase is not ReplicationPhase.PREPARED_FOR_FAILOVER

    # -- failover options and cancel (REQ-25, REQ-30) ----------------------------------------
    def with_source_shutdown(self, w: World, a: Args) -> bool:
        return bool(a.shutdown_source)

    def without_source_shutdown(self, w: World, a: Args) -> bool:
        return not a.shutdown_source

    def source_vm_off_or_reachable(self, w: World, a: Args) -> bool:
        """ASR can shut the source down (its host and VMM server are up), or it is off already."""
        return self.source_vm_off(w, a) or reachable(w, source_site(w.vms[a.vm]))

    def source_needs_resync(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].source_needs_resync

    def source_log_usable(self, w: World, a: Args) -> bool:
        return not self.source_needs_resync(w, a)

    # -- protection ----------------------------------------------------------------------
    def initial_replication_complete(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].phase is ReplicationPhase.REPLICATING

    def no_test_failover(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].test is TestFailoverState.NONE

    def replica_has_consistent_point(self, w: World, a: Args) -> bool:
        """Not while the first sync after an unplanned failover's reverse replication runs (model decision)."""
        return not w.vms[a.vm].diverged_replica

    def older_recovery_point_exists(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].older_points

    def after_planned_failover(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].protection in (P.PLANNED_FAILOVER_PENDING_COMMIT, P.PLANNED_FAILOVER_COMMITTED)

    def after_unplanned_failover(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].protection in (P.UNPLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_COMMITTED)

    def replica_has_recovery_point(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].protection is P.PROTECTED

    def phase_allows_test_failover(self, w: World, a: Args) -> bool:
        """REQ-19: no test failover while a resynchronization runs."""
        return w.vms[a.vm].phase not in RESYNC_PHASES

    # -- replication engine --------------------------------------------------------------
    def online_initial_replication(self, w: World, a: Args) -> bool:
        return self.config.policy.initial_replication == "online"

    def deferred_initial_replication(self, w: World, a: Args) -> bool:
        return not self.online_initial_replication(w, a)

    def offline_initial_replication(self, w: World, a: Args) -> bool:
        return self.config.policy.initial_replication == "offline"

    def automatic_resynchronization(self, w: World, a: Args) -> bool:
        """The replication settings let the engine start a resync itself (REQ-18)."""
        return self.config.policy.resynchronization != "manual"

    def cycles_missed_in_window(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].missed_cycles

    def disk_pending(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].disks[a.disk] is DiskCopy.PENDING

    def disk_copying(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].disks[a.disk] is DiskCopy.COPYING

    def no_disk_copying(self, w: World, a: Args) -> bool:
        return DiskCopy.COPYING not in w.vms[a.vm].disks

    def all_disks_copied(self, w: World, a: Args) -> bool:
        return all(d is DiskCopy.COPIED for d in w.vms[a.vm].disks)

    def write_budget_left(self, w: World, a: Args) -> bool:
        """Data configurations bound the writes a VM's history may hold."""
        data = w.vms[a.vm].data
        return data is None or len(data.history) < self.config.data.max_writes

    def log_pending(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].unsent > 0

    def log_below_limit(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].unsent < self.config.bounds.log_threshold

    def log_at_limit(self, w: World, a: Args) -> bool:
        """The unsent log has reached the bound that stands for 50% of the VM's VHD size (REQ-16)."""
        return w.vms[a.vm].unsent >= self.config.bounds.log_threshold

    def unclosed_log(self, w: World, a: Args) -> bool:
        return w.vms[a.vm].unclosed_log

    def log_closed_cleanly(self, w: World, a: Args) -> bool:
        """A log left open by a crash cannot be shipped: planned failover must wait for the resync."""
        return not w.vms[a.vm].unclosed_log

    # -- environment -----------------------------------------------------------------------
    def fault_budget_left(self, w: World, a: Args) -> bool:
        # Every fault event of a state asks this: count the faults once per state.
        if w is not self._faults_of:
            self._faults_of, self._faults = w, active_faults(w)
        return self._faults < self.config.bounds.max_concurrent_faults

    # -- recovery plan -----------------------------------------------------------------------
    def _locked(self, w: World, vm: int) -> bool:
        return w.plan_status in PLAN_RUNNING and vm in self.plan_vms

    def vm_not_locked_by_plan(self, w: World, a: Args) -> bool:
        """While a plan runs, its VMs take no other ASR operation (model decision)."""
        return not self._locked(w, a.vm)

    def vm_not_locked_by_plan_unless_shutdown(self, w: World, a: Args) -> bool:
        return (not self._locked(w, a.vm) or w.plan_kind is PlanKind.TEST
                or w.plan_status is PlanStatus.SHUTDOWN_STEP)

    def plan_permits_failover(self, w: World, a: Args) -> bool:
        if not self._locked(w, a.vm):
            return True
        return w.plan_status is PlanStatus.FAILOVER_STEP and w.plan_kind is _FAILOVER_OF_KIND[a.event]

    def plan_permits_start(self, w: World, a: Args) -> bool:
        """REQ-33: a plan VM starts only when the plan has reached its group."""
        if not self._locked(w, a.vm) or w.plan_kind is PlanKind.TEST:
            return True
        return (w.plan_status in (PlanStatus.BOOT_STEP, PlanStatus.AWAITING_MANUAL_ACTION, PlanStatus.STOPPED)
                and self.config.group_of(a.vm) <= w.plan_group)

    def plan_vms_protected(self, w: World, a: Args) -> bool:
        vms = [w.vms[i] for i in self.plan_vms]
        return (bool(vms) and all(vm.protection is P.PROTECTED and vm.test is TestFailoverState.NONE
                                  for vm in vms)
                and len({vm.active for vm in vms}) == 1)

    def plan_vms_can_be_shut_down(self, w: World, a: Args) -> bool:
        """ASR shuts each plan VM down itself: it is off, or its source host is up (REQ-24)."""
        return all(not runs_at_source(w.vms[i]) or host_up(w, source_site(w.vms[i])) for i in self.plan_vms)

    def plan_vms_failed_over(self, w: World, a: Args) -> bool:
        failed_over = _PLAN_FAILED_OVER[w.plan_kind]
        return all(failed_over(w.vms[i]) for i in self.plan_vms)

    def current_group_started(self, w: World, a: Args) -> bool:
        if w.plan_kind is PlanKind.TEST:
            return True
        return all(self.workload_running(w, Args(a.event, i)) for i in self.groups[w.plan_group])

    def _post_action(self, w: World) -> str:
        return self.config.plan[w.plan_group].post_action

    def group_has_no_post_action(self, w: World, a: Args) -> bool:
        return self._post_action(w) == "none"

    def group_has_manual_action(self, w: World, a: Args) -> bool:
        return self._post_action(w) == "manual"

    def group_has_script(self, w: World, a: Args) -> bool:
        return self._post_action(w) == "script"

    def more_groups(self, w: World, a: Args) -> bool:
        return w.plan_group < len(self.config.plan) - 1

    def last_group(self, w: World, a: Args) -> bool:
        return not self.more_groups(w, a)

    def plan_is_planned(self, w: World, a: Args) -> bool:
        return w.plan_kind is PlanKind.PLANNED

    def plan_is_not_planned(self, w: World, a: Args) -> bool:
        return not self.plan_is_planned(w, a)
