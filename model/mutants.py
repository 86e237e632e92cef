"""Deliberately broken variants of the model (mutants).

Each mutant patches the declarative tables (drops a guard, drops an effect,
redirects a row) or swaps one effect, and names the property that must catch
it. The manifest (``specs/manifest.toml``) runs every mutant and expects that
property, and only a violation, to be reported.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

__all__ = ["Mutant", "MUTANTS"]

MUTANTS: dict[str, "Mutant"] = {}


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    kills: str                      # the property that must catch it
    patch: Callable                 # (machines, guards, effects) -> (machines, guards, effects)
    config: str = "single_vm"       # the shipped configuration it is checked on

    def build(self, config):
        from .compose import MACHINES
        from .effects import Effects
        from .guards import Guards
        return self.patch(MACHINES, Guards(config), Effects(config))


# -- table patches -------------------------------------------------------------------------

def _patch_rows(machines, machine_name, match, change):
    """Copy of ``machines`` where the rows of ``machine_name`` that ``match`` are changed."""
    patched = []
    for m in machines:
        if m.name == machine_name:
            rows = tuple(change(dict(row)) if match(row) else row for row in m.transitions)
            m = replace(m, transitions=rows)
        patched.append(m)
    return tuple(patched)


def _without(names, drop):
    return [n for n in names if n != drop]


def change_rows(machine, triggers, change):
    """Apply ``change`` (row dict -> row dict) to every row of ``triggers`` in ``machine``."""
    def patch(machines, guards, effects):
        return _patch_rows(machines, machine, lambda r: r["trigger"] in triggers, change), guards, effects
    return patch


def drop_guard(machine, trigger, guard):
    """Remove guard ``guard`` from every row of ``trigger`` in ``machine``."""
    def patch(machines, guards, effects):
        return (_patch_rows(machines, machine, lambda r: r["trigger"] == trigger,
                            lambda r: {**r, "conditions": _without(r["conditions"], guard)}), guards, effects)
    return patch


def add_guard(machine, trigger, guard):
    """Add guard ``guard`` to every row of ``trigger`` in ``machine``."""
    def patch(machines, guards, effects):
        return (_patch_rows(machines, machine, lambda r: r["trigger"] == trigger,
                            lambda r: {**r, "conditions": r["conditions"] + [guard]}), guards, effects)
    return patch


def drop_effect(machine, trigger, effect):
    """Remove effect ``effect`` from every row of ``trigger`` in ``machine``."""
    def patch(machines, guards, effects):
        return (_patch_rows(machines, machine, lambda r: r["trigger"] == trigger,
                            lambda r: {**r, "after": _without(r["after"], effect)}), guards, effects)
    return patch


def drop_rows(machine, trigger, source=None, dest=None):
    """Remove the rows of ``trigger`` (optionally only from ``source`` or to ``dest``)."""
    def patch(machines, guards, effects):
        def keep(row):
            return not (row["trigger"] == trigger and source in (None, row["source"])
                        and dest in (None, row["dest"]))
        patched = tuple(replace(m, transitions=tuple(r for r in m.transitions if keep(r)))
                        if m.name == machine else m for m in machines)
        return patched, guards, effects
    return patch


def remove_source(machine, triggers, state):
    """Stop the rows of ``triggers`` from firing in ``state``."""
    def without_state(row):
        source = row["source"] if isinstance(row["source"], (list, tuple)) else [row["source"]]
        return {**row, "source": [s for s in source if s != state]}

    def patch(machines, guards, effects):
        changed = _patch_rows(machines, machine, lambda r: r["trigger"] in triggers, without_state)
        return tuple(replace(m, transitions=tuple(r for r in m.transitions if r["source"]))
                     for m in changed), guards, effects
    return patch


def extend_source(machine, trigger, extra):
    """Let the rows of ``trigger`` also fire from the states ``extra``."""
    def as_list(source):
        return list(source) if isinstance(source, (list, tuple)) else [source]

    def patch(machines, guards, effects):
        return (_patch_rows(machines, machine, lambda r: r["trigger"] == trigger,
                            lambda r: {**r, "source": as_list(r["source"]) + list(extra)}), guards, effects)
    return patch


def replace_effect(machine, trigger, old, new, implementation):
    """Swap effect ``old`` for ``new`` (given as a function) on ``trigger``."""
    def patch(machines, guards, effects):
        setattr(effects, new, lambda w, a: implementation(effects, w, a))
        return (_patch_rows(machines, machine, lambda r: r["trigger"] == trigger,
                            lambda r: {**r, "after": [new if e == old else e for e in r["after"]]}),
                guards, effects)
    return patch


def _boot_serving(effects, w, a):
    """Broken boot: the failed-over VM serves users at once, before commit."""
    from .sites import VmPower
    from .effects import _update_vm, _with_power
    from .world import source_site
    vm = w.vms[a.vm]
    return _update_vm(w, a.vm, power=_with_power(vm, source_site(vm), VmPower.SERVING))


def _register(name, description, kills, patch, config="single_vm"):
    MUTANTS[name] = Mutant(name, description, kills, patch, config)


# -- the catalogue -------------------------------------------------------------------------------
from .protection import ProtectionState as _P  # noqa: E402
from .replication import ReplicationPhase as _R  # noqa: E402
from .sites import ActiveSite as _A  # noqa: E402

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
_register("planned_failover_with_source_running",
          "Planned failover does not require the source VM to be shut down.",
          "planned_failover_only_with_source_shut_down",
          drop_guard("protection", "planned_failover", "source_vm_off"))
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
                      lambda r: {**r, "conditions": _without(r["conditions"], "current_group_started")}),
          config="two_group_plan")
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
          remove_source("vm_role", ("planned_failover", "unplanned_failover"), _A.RECOVERY_SITE))
_register("no_reverse_replication_after_unplanned_failover",
          "Reverse replication is only offered after a planned failover.",
          "failback_cycle_reachable",
          remove_source("protection", ("reverse_replicate",), _P.UNPLANNED_FAILOVER_COMMITTED))


# -- block store (data) mutants: a broken ReplicatedVm, or a broken data effect ---------------------

def broken_engine(**methods):
    """Run data configurations on a ReplicatedVm subclass with ``methods`` replaced."""
    def patch(machines, guards, effects):
        from .blockstore import ReplicatedVm
        effects.engine_class = type("BrokenReplicatedVm", (ReplicatedVm,), methods)
        return machines, guards, effects
    return patch


def _apply_disk_by_disk(self, wire, app_consistent=False):
    """Broken merge: each disk's log becomes a recovery point of its own (not atomic across disks)."""
    shipped = 0
    for d, data in enumerate(wire):
        log = self.accept_log(d, data)      # checked and merged one disk at a time
        shipped += self._merge({d: [(e.block, e.data) for e in log.entries]}, [log], app_consistent=False)
    return shipped


def _apply_newest_first(self, wire, app_consistent=False):
    """Broken merge: a log's entries are applied newest first, so older writes win."""
    logs = self.accept_delta(wire)
    writes = {log.header.disk: [(e.block, e.data) for e in reversed(log.entries)] for log in logs}
    return self._merge(writes, logs, app_consistent)


def _apply_corrupted_unchecked(self):
    """Broken replica: the damaged log is applied without verifying its checksums."""
    logs = [w.switch() for w in self.writers]
    damaged = {log.header.disk: [(e.block, bytes([e.data[0] ^ 0xFF]) + e.data[1:]) for e in log.entries]
               for log in logs}
    self._merge(damaged, logs, app_consistent=False)
    self.require_resync()


def _fail_over_keeping_history(self, kind, point=-1):
    """Broken failover: the new source believes it holds every write of the old one."""
    from .blockstore import ReplicatedVm
    history = list(self.history)
    report = ReplicatedVm.fail_over(self, kind, point)
    self.history = history
    return report


def _fail_over_to_oldest_point(self, kind, point=-1):
    """Broken unplanned failover: it starts from the oldest point kept, not the latest."""
    from .blockstore import ReplicatedVm
    return ReplicatedVm.fail_over(self, kind, 0 if kind == "unplanned" else point)


def _resync_first_chunk_only(self):
    """Broken resync: only the first differing chunk is sent."""
    from .blockstore import ReplicatedVm
    target = self.images[self.target]
    reports = ReplicatedVm.resync(self)
    if len(target) > 1:
        images = list(self.images[self.target])
        images[-1] = target[-1]
        self.images[self.target] = tuple(images)
        self.replica = type(self.replica).seeded(self.images[self.target], self.retention)
    return reports


def _reverse_always_resync(self):
    """Broken reverse replication: it throws away an in-sync copy and resyncs even after a planned failover."""
    self._require("committed")
    from .replica import ReplicaVm
    self.replica = ReplicaVm.seeded(self.images[self.target], self.retention)
    self.point_seq = {0: len(self.history)}
    self.writers, self.phase = [], "resync_required"
    return False


def _enable_without_snapshot(self):
    """Broken initial replication: tracking starts but no snapshot is taken."""
    from .blockstore import ReplicatedVm
    ReplicatedVm.enable_protection(self)
    self.phase = "unprotected"


_DATA = "data_single_vm"
_OVERWRITE = "data_overwrite"
_register("non_atomic_apply", "A delta is merged disk by disk: recovery points mix disks from different times.",
          "replica_points_are_history_prefixes", broken_engine(receive=_apply_disk_by_disk), config=_DATA)
_register("out_of_order_apply", "A log's entries are applied newest first.",
          "replica_points_are_history_prefixes", broken_engine(receive=_apply_newest_first), config=_OVERWRITE)
_register("skipped_checksum", "The replica applies a log damaged in transit without checking it.",
          "corrupted_log_is_never_applied", broken_engine(replicate_corrupted=_apply_corrupted_unchecked),
          config=_DATA)
_register("planned_failover_without_final_log_on_data",
          "Planned failover swaps roles without sending the last log (on real bytes).",
          "planned_failover_loses_nothing", drop_effect("protection", "planned_failover", "ship_final_log"),
          config=_DATA)
_register("unplanned_failover_from_oldest_point",
          "Unplanned failover starts from the oldest recovery point instead of the latest.",
          "unplanned_failover_loses_only_unsent_writes", broken_engine(fail_over=_fail_over_to_oldest_point),
          config=_DATA)
_register("failover_keeps_lost_writes_in_history",
          "After a failover the new source still lists the writes it never received.",
          "source_disks_replay_their_history", broken_engine(fail_over=_fail_over_keeping_history), config=_DATA)
_register("resync_skips_a_chunk", "Resync leaves the last disk as it was.",
          "resync_makes_both_sides_equal", broken_engine(resync=_resync_first_chunk_only), config=_DATA)
_register("reverse_replication_always_resyncs",
          "Reverse replication resyncs even after a planned failover, when both sides are equal.",
          "reverse_replication_after_planned_failover_is_delta_only",
          broken_engine(reverse_replicate=_reverse_always_resync), config=_DATA)
_register("data_path_loses_its_snapshot",
          "Starting initial replication does not take the snapshot the disk copies are made from.",
          "data_path_follows_the_protocol",
          broken_engine(enable_protection=_enable_without_snapshot), config=_DATA)
