"""Effects: the named ``after`` actions of the machine tables.

Each effect is a method ``(world, args) -> world`` of :class:`Effects`; it
updates the extended variables (power, disks, logs, recovery points, plan
progress) after the participating machines have moved to their new states.
"""
from __future__ import annotations

import weakref

from ..blockstore import DataPathError
from ..blockstore.hrl import LogRejected
from .config import Config
from .guards import Args
from .protocol.protection import PENDING_COMMIT
from .protocol.recovery_plan import PlanKind
from .protocol.replication import TRACKING_PHASES, DiskCopy
from .protocol.vm_role import VmPower
from .state import VmState, World, update_vm as _update_vm, with_vms
from .views import link_up, reachable, replica_site, runs_at_source, source_site

__all__ = ["Effects"]


_TRACKING = ("delta", "initial_replication")


def _ship(data) -> None:
    if data.phase == "initial_replication":
        data.complete_initial_replication()
    elif data.phase == "delta":
        data.replicate()


def _on_data(w: World, a: Args, operation) -> World:
    """Run ``operation`` on a copy of the VM's block store (data configurations only)."""
    data = w.vms[a.vm].data
    if data is None:
        return w
    return _update_vm(w, a.vm, data=_run_on(data, operation, a.event))


def _run_on(data, operation, event: str):
    """``operation`` applied to a frozen copy of ``data``; the original is never changed."""
    twin = data.copy()
    try:
        operation(twin)
    except (DataPathError, LogRejected) as refusal:
        # The data path cannot do what the protocol just did (a broken one may even refuse its
        # own genuine log): kept in the state, so that a property reports it with a
        # counterexample instead of the checker crashing.
        twin = data.copy()
        twin.refusal = f"{event}: {refusal}"
    return _interned(twin.frozen())


#: One object per data-path value alive (states share it: a large share of a data state's memory).
_DATA_VALUES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _interned(data):
    # The class and the settings are part of the value: a mutant's broken block store must not
    # borrow a real one, nor one configuration's VM (another retention, say) another's with the
    # same bytes: the table outlives a check.
    settings = (data.name, data.retention, data.app_consistent_every, data.authentication, data.block_size,
                data.wiretap)
    return _DATA_VALUES.setdefault((type(data), settings, data.key_of_frozen()), data)


def _with_power(vm: VmState, site: int, power: VmPower) -> tuple[VmPower, VmPower]:
    return (power, vm.power[1]) if site == 0 else (vm.power[0], power)


def _shut_down(w: World, a: Args, site: int) -> World:
    """The VM's copy on ``site`` shut down (and its block store's guest stopped)."""
    w = _update_vm(w, a.vm, power=_with_power(w.vms[a.vm], site, VmPower.OFF))
    return _on_data(w, a, lambda d: d.shutdown())


class Effects:
    """The effects of every machine, bound to one configuration."""

    #: The block store class of data configurations (None: the reference ReplicatedVm).
    engine_class = None

    def __init__(self, config: Config):
        self.config = config

    # -- initial replication (REQ-08) -----------------------------------------------------
    def take_snapshot(self, w: World, a: Args) -> World:
        vm = w.vms[a.vm]
        w = _update_vm(w, a.vm, snapshot=True, disks=(DiskCopy.PENDING,) * len(vm.disks))
        return _on_data(w, a, lambda d: d.enable_protection())

    def delete_snapshot(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, snapshot=False)

    def mark_disk_copying(self, w: World, a: Args) -> World:
        return self._set_disk(w, a, DiskCopy.COPYING)

    def mark_disk_copied(self, w: World, a: Args) -> World:
        return _on_data(self._set_disk(w, a, DiskCopy.COPIED), a, lambda d: d.copy_disk(a.disk))

    def _set_disk(self, w: World, a: Args, progress: DiskCopy) -> World:
        disks = list(w.vms[a.vm].disks)
        disks[a.disk] = progress
        return _update_vm(w, a.vm, disks=tuple(disks))

    def mark_all_disks_in_sync(self, w: World, a: Args) -> World:
        """A completed resync leaves every disk in sync (finishing an interrupted initial copy)."""
        return _update_vm(w, a.vm, disks=(DiskCopy.COPIED,) * len(w.vms[a.vm].disks), diverged_replica=False)

    def mark_replica_diverged(self, w: World, a: Args) -> World:
        """After an unplanned failover the old primary holds data the new one never had."""
        return _update_vm(w, a.vm, diverged_replica=True)

    def reset_disk_copies(self, w: World, a: Args) -> World:
        """No relationship any more: nothing copied, no replica to be diverged from."""
        return _update_vm(w, a.vm, disks=(DiskCopy.PENDING,) * len(w.vms[a.vm].disks), diverged_replica=False,
                          missed_cycles=False, source_needs_resync=False)

    # -- replication logs (REQ-10, 16, 21) ------------------------------------------------
    def append_to_log(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, unsent=w.vms[a.vm].unsent + 1)

    def ship_logs(self, w: World, a: Args) -> World:
        return _on_data(_update_vm(w, a.vm, unsent=0), a, _ship)

    def add_recovery_point(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, older_points=self.config.older_recovery_points)

    def discard_logs(self, w: World, a: Args) -> World:
        w = _update_vm(w, a.vm, unsent=0, unclosed_log=False, held_logs=False)
        return _on_data(w, a, lambda d: d.require_resync() if d.phase in _TRACKING else None)

    def hold_logs_on_replica(self, w: World, a: Args) -> World:
        """Offline initial replication: the delta is sent and held until the import (REQ-09)."""
        w = _update_vm(w, a.vm, unsent=0, held_logs=True)
        return _on_data(w, a, lambda d: d.send_held_logs())

    def merge_held_logs(self, w: World, a: Args) -> World:
        """The import done, the held logs are merged (the data path does it as it seeds the replica)."""
        return _update_vm(w, a.vm, held_logs=False)

    def miss_cycle(self, w: World, a: Args) -> World:
        """A replication cycle was missed: the statistics window remembers it (REQ-22)."""
        return _update_vm(w, a.vm, missed_cycles=True)

    def reset_statistics(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, missed_cycles=False)

    def reset_retries(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, retries=0)

    def back_off(self, w: World, a: Args) -> World:
        retries = min(w.vms[a.vm].retries + 1, self.config.bounds.retry_attempts)  # saturates
        return _update_vm(w, a.vm, retries=retries)

    def reset_recovery_points(self, w: World, a: Args) -> World:
        """REQ-20: after a resync the recovery points are built up again."""
        return _update_vm(w, a.vm, older_points=False, chosen_point=0)

    # -- failover (REQ-24..30) ------------------------------------------------------------
    def ship_final_log(self, w: World, a: Args) -> World:
        """Planned failover sends what was not yet replicated (REQ-24)."""
        return self.ship_logs(w, a)

    def shut_down_old_source(self, w: World, a: Args) -> World:
        """The ASR planned failover job shuts the source VM down itself (REQ-24).

        Effects run after the machines moved: the old source is now the replica side.
        """
        return _shut_down(w, a, replica_site(w.vms[a.vm]))

    def shut_down_and_synchronize(self, w: World, a: Args) -> World:
        """ASR's "shut down source and synchronize" (REQ-25): a reachable source is shut down and,
        when the link is up and its log closed, sends what it had not; otherwise the failover goes
        on with what was replicated."""
        vm, old = w.vms[a.vm], replica_site(w.vms[a.vm])
        if vm.power[old] is VmPower.OFF and not reachable(w, old):
            return w
        w = _shut_down(w, a, old)
        if not link_up(w) or vm.unclosed_log or vm.source_needs_resync:
            return w
        w = _update_vm(w, a.vm, unsent=0)
        return _on_data(w, a, lambda d: d.replicate() if d.phase == "delta" else None)

    def note_source_needs_resync(self, w: World, a: Args) -> World:
        return _update_vm(w, a.vm, source_needs_resync=True)

    def drop_old_source_log(self, w: World, a: Args) -> World:
        """Commit: the old source's pending log can no longer be sent anywhere (REQ-27, 28)."""
        return _update_vm(w, a.vm, unsent=0, unclosed_log=False, source_needs_resync=False)

    def discard_failover_point(self, w: World, a: Args) -> World:
        """Cancel Failover discards the failover disk; every recovery point stays (REQ-30 b)."""
        return _update_vm(w, a.vm, chosen_point=0, source_needs_resync=False)

    def select_other_recovery_point(self, w: World, a: Args) -> World:
        chosen = 1 - w.vms[a.vm].chosen_point
        w = _update_vm(w, a.vm, chosen_point=chosen)
        return _on_data(w, a, lambda d: d.change_recovery_point(-1 - chosen))

    def keep_chosen_recovery_point(self, w: World, a: Args) -> World:
        """Commit (or cancel) ends the choice: the other points are deleted (REQ-27)."""
        return _update_vm(w, a.vm, older_points=False, chosen_point=0)

    def serve_booted_workload(self, w: World, a: Args) -> World:
        vm = w.vms[a.vm]
        site = source_site(vm)
        if vm.power[site] is VmPower.BOOTED:
            return _update_vm(w, a.vm, power=_with_power(vm, site, VmPower.SERVING))
        return w

    def power_off_failed_over_vm(self, w: World, a: Args) -> World:
        """Cancel: the failed-over copy (now on the replica side again) is turned off."""
        vm = w.vms[a.vm]
        return _update_vm(w, a.vm, power=_with_power(vm, replica_site(vm), VmPower.OFF))

    # -- workload power ----------------------------------------------------------------------
    def boot_workload(self, w: World, a: Args) -> World:
        """Start the VM on its active site: it serves users only once any failover is committed."""
        vm = w.vms[a.vm]
        power = VmPower.BOOTED if vm.protection in PENDING_COMMIT else VmPower.SERVING
        w = _update_vm(w, a.vm, power=_with_power(vm, source_site(vm), power))
        return _on_data(w, a, lambda d: d.start())

    def shut_down_workload(self, w: World, a: Args) -> World:
        return _shut_down(w, a, source_site(w.vms[a.vm]))

    def crash_workloads_on_site(self, w: World, a: Args) -> World:
        """Every VM copy on the site stops; a running source leaves its log unclosed (REQ-16)."""
        return with_vms(w, tuple(self._crash_vm(vm, a) for vm in w.vms))

    def _crash_vm(self, vm: VmState, a: Args) -> VmState:
        site = a.site
        if vm.power[site] is VmPower.OFF:
            return vm
        unclosed = vm.unclosed_log or (source_site(vm) == site and vm.phase in TRACKING_PHASES)
        data = vm.data
        if data is not None and source_site(vm) == site:
            data = _run_on(data, lambda d: d.crash_source_host(), a.event)
        return vm._replace(power=_with_power(vm, site, VmPower.OFF), unclosed_log=unclosed, data=data)

    # -- the reference block store (data configurations) -----------------------------------------
    def write_block(self, w: World, a: Args) -> World:
        """The guest's write reaches the source disk (and its log, while tracked)."""
        if a.block is None:
            return w
        return _on_data(w, a, lambda d: d.write(a.disk, a.block, a.value.encode()))

    def fail_over_to_replica(self, w: World, a: Args) -> World:
        kind = "planned" if a.event in ("planned_failover", "planned_failover_on_replica") else "unplanned"
        return _on_data(w, a, lambda d: d.fail_over(kind))

    def deliver_corrupted_log(self, w: World, a: Args) -> World:
        """One cycle whose logs are damaged in transit: the replica must refuse them."""
        return _on_data(w, a, lambda d: d.replicate_corrupted())

    def deliver_replayed_log(self, w: World, a: Args) -> World:
        """The recorded first delta of a generation reaches the replica again: it must be refused."""
        return _on_data(w, a, lambda d: d.receive_replayed_delta())

    def commit_data(self, w: World, a: Args) -> World:
        return _on_data(w, a, lambda d: d.commit())

    def cancel_failover_data(self, w: World, a: Args) -> World:
        return _on_data(w, a, lambda d: d.cancel_failover())

    def reverse_replicate_data(self, w: World, a: Args) -> World:
        return _on_data(w, a, lambda d: d.reverse_replicate())

    def resync_data(self, w: World, a: Args) -> World:
        return _on_data(w, a, lambda d: d.resync() if d.phase == "resync_required" else None)

    def remove_relationship(self, w: World, a: Args) -> World:
        return _on_data(w, a, lambda d: d.disable_protection())

    # -- recovery plan --------------------------------------------------------------------------
    def begin_planned_plan(self, w: World, a: Args) -> World:
        return w._replace(plan_kind=PlanKind.PLANNED, plan_group=0)

    def begin_unplanned_plan(self, w: World, a: Args) -> World:
        return w._replace(plan_kind=PlanKind.UNPLANNED, plan_group=0)

    def begin_test_plan(self, w: World, a: Args) -> World:
        return w._replace(plan_kind=PlanKind.TEST, plan_group=0)

    def next_group(self, w: World, a: Args) -> World:
        return w._replace(plan_group=w.plan_group + 1)

    def shut_down_plan_vms(self, w: World, a: Args) -> World:
        """The plan's shutdown step: ASR shuts down every plan VM that still runs (REQ-24, 33)."""
        for i in range(len(w.vms)):
            if self.config.group_of(i) is not None and runs_at_source(w.vms[i]):
                w = self.shut_down_workload(w, a._replace(vm=i))
        return w

    def end_plan(self, w: World, a: Args) -> World:
        return w._replace(plan_kind=PlanKind.NONE, plan_group=0)
