"""Block-store mutants: a broken ReplicatedVm (or data effect) run inside the state graph.

Each replaces one operation of the reference block store with a realistic bug
(a non-atomic merge, entries applied newest first, a skipped checksum, ...) and
names the data property of ``specs/data.py`` that must catch it.
"""
from __future__ import annotations

from ..blockstore import ReplicatedVm, hrl
from ..blockstore.replica import ReplicaVm
from ..checker.mutation import Patch, Variant, change_rows, drop_effect, subclass
from .effects import _on_data
from .protocol.replication import ReplicationPhase
from .state import update_vm
from .mutant_catalogue import register as _register

__all__ = ["broken_engine"]

#: ``(name, description, property that must catch it, patch, configuration)`` of each block-store mutant.

def broken_engine(**methods) -> Patch:
    """Run data configurations on a ReplicatedVm subclass with ``methods`` replaced."""
    def patch(v: Variant) -> Variant:
        engine = subclass(ReplicatedVm, "BrokenReplicatedVm", **methods)
        return v._replace(effects=subclass(v.effects, "EffectsOnBrokenEngine", engine_class=engine))
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


def _accept_ignoring_generation(self, disk, data):
    """Broken replica: a log's generation is not checked (the attacker trial's bug): the log's own
    generation is taken for the current one, so after a resync a recorded log continues the chain."""
    try:
        claimed = hrl.decode(data).header.generation
    except hrl.LogRejected:
        claimed = self.replica_generation     # accept refuses it for its own reason
    return hrl.accept(data, policy=self.hosts[self.target].policy, vm=self.name, disk=disk,
                      block_size=self.block_size, blocks=self.blocks, relationship=self.relationship,
                      generation=claimed, last_applied_id=self.last_applied[disk])


def _fail_over_keeping_history(self, kind, point=-1):
    """Broken failover: the new source believes it holds every write of the old one."""
    history = list(self.history)
    report = ReplicatedVm.fail_over(self, kind, point)
    self.history = history
    return report


def _fail_over_to_oldest_point(self, kind, point=-1):
    """Broken unplanned failover: it starts from the oldest point kept, not the latest."""
    return ReplicatedVm.fail_over(self, kind, 0 if kind == "unplanned" else point)


def _resync_first_chunk_only(self):
    """Broken resync: only the first differing chunk is sent."""
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
    self.replica = ReplicaVm.seeded(self.images[self.target], self.retention)
    self.point_seq = {0: len(self.history)}
    self.writers, self.phase = [], "resync_required"
    return False


def _enable_without_snapshot(self):
    """Broken initial replication: tracking starts but no snapshot is taken."""
    ReplicatedVm.enable_protection(self)
    self.phase = "unprotected"


def _restart_trackers(data):
    """Broken resume: change tracking starts afresh with empty logs (same log ids, so the chain holds)."""
    server = data.hosts[data.source].server
    data.writers = [hrl.LogWriter(data.name, d, server, data.block_size, first_log_id=w.open_log.header.log_id,
                                  relationship=data.relationship, generation=w.generation)
                    for d, w in enumerate(data.writers)]


def _forget_paused_log(effects, w, a):
    """Resuming after a pause forgets the log written meanwhile: nothing of it is ever sent."""
    w = update_vm(w, a.vm, unsent=0)
    return _on_data(w, a, lambda d: _restart_trackers(d) if d.phase == "delta" else None)


def _resume_forgets_paused_log(v: Variant) -> Variant:
    effects = subclass(v.effects, "EffectsForgettingPausedLog",
                       forget_paused_log=lambda self, w, a: _forget_paused_log(self, w, a))

    def resumed_from_pause(row):
        paused = row["source"] in (ReplicationPhase.SUSPENDED, [ReplicationPhase.SUSPENDED])
        return {**row, "after": row["after"] + ["forget_paused_log"]} if paused else row
    return change_rows("replication", ("resume_replication",), resumed_from_pause)(v)._replace(effects=effects)


_DATA = "data_single_vm"
_OVERWRITE = "data_overwrite"
_FAILBACK = "data_failback"     # one disk: broken failbacks explode on two (see the configuration)
_REPLAY = "data_replay"         # the only one recording a delta to replay (it multiplies the states)
_register("non_atomic_apply", "A delta is merged disk by disk: recovery points mix disks from different times.",
          "replica_points_are_history_prefixes", broken_engine(receive=_apply_disk_by_disk), config=_DATA)
_register("out_of_order_apply", "A log's entries are applied newest first.",
          "replica_points_are_history_prefixes", broken_engine(receive=_apply_newest_first), config=_OVERWRITE)
_register("skipped_checksum", "The replica applies a log damaged in transit without checking it.",
          "corrupted_log_is_never_applied", broken_engine(replicate_corrupted=_apply_corrupted_unchecked),
          config=_DATA)
_register("replayed_log_accepted",
          "The replica ignores a log's generation: a recorded authentic log replayed after a resync "
          "continues the restarted chain (ids from 1 again) and is applied.",
          "replayed_log_is_never_applied", broken_engine(accept_log=_accept_ignoring_generation),
          config=_REPLAY)
_register("planned_failover_without_final_log_on_data",
          "Planned failover swaps roles without sending the last log (on real bytes).",
          "planned_failover_loses_nothing", drop_effect("protection", "planned_failover", "ship_final_log"),
          config=_FAILBACK)
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
          broken_engine(reverse_replicate=_reverse_always_resync), config=_FAILBACK)
_register("data_path_loses_its_snapshot",
          "Starting initial replication does not take the snapshot the disk copies are made from.",
          "data_path_follows_the_protocol",
          broken_engine(enable_protection=_enable_without_snapshot), config=_DATA)
_register("resume_forgets_writes_made_while_paused",
          "Resuming a paused replication restarts change tracking with an empty log: the writes made during "
          "the pause are never sent.",
          "no_change_lost_before_it_is_sent", _resume_forgets_paused_log, config=_FAILBACK)
