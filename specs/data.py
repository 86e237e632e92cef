"""Data properties, on real bytes: the reference block store inside the explored state.

They apply to data configurations (``[data]`` in the TOML), where every VM
carries a :class:`hvr_model.blockstore.ReplicatedVm`. A VM's *history* is the
sequence of guest writes its current source holds; replaying it on blank disks
must give the source's disks, and every recovery point of the replica must be
the replay of a prefix of it (never a mix, REQ-12, 15).

>>> from hvr_model.blockstore.disk import DiskImage
>>> from hvr_model.blockstore import GuestWrite
>>> blank = (DiskImage.blank(1, 1),)
>>> replay(blank, [GuestWrite(1, 0, 0, b"A"), GuestWrite(2, 0, 0, b"B")])[0].read(0)
b'B'
"""
from __future__ import annotations

from hvr_model.blockstore.disk import DiskImage
from hvr_model.hyperv.protocol.protection import ProtectionState
from hvr_model.hyperv.views import link_up, reachable, source_site

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

from .applicability import has_data, has_fault, when

__all__ = ["replay", "source_disks_replay_their_history", "replica_points_are_history_prefixes",
           "no_change_lost_before_it_is_sent", "replayed_log_is_never_applied", "PROPERTIES"]


_has_data = has_data


def replay(blank: tuple[DiskImage, ...], writes) -> tuple[DiskImage, ...]:
    """The disks after applying ``writes`` in order to ``blank``."""
    disks = list(blank)
    for write in writes:
        disks[write.disk] = disks[write.disk].write(write.block, write.data)
    return tuple(disks)


def _blank(data) -> tuple[DiskImage, ...]:
    return (DiskImage.blank(data.blocks, data.block_size),) * data.disks


def _data_vms(w):
    return [vm.data for vm in w.vms if vm.data is not None]


def source_disks_replay_their_history(w, config) -> bool:
    """The running copy holds exactly the writes of its history, in order."""
    return all(d.source_disks() == replay(_blank(d), d.history) for d in _data_vms(w))


def replica_points_are_history_prefixes(w, config) -> bool:
    """Every recovery point is the source as it was after some prefix of its writes (REQ-12, 14, 15)."""
    for d in _data_vms(w):
        if d.phase != "delta":
            continue
        for i in range(len(d.replica.points)):
            if d.replica.point_disks(i) != replay(_blank(d), d.history[:d.applied_seq(i)]):
                return False
    return True


def data_path_follows_the_protocol(w, config) -> bool:
    """The reference block store could carry out every step the protocol took."""
    return all(d.refusal is None for d in _data_vms(w))


def _write_replicated(w, config) -> bool:
    return any(d.phase == "delta" and d.replica.points and d.applied_seq() > 0
               for d in _data_vms(w))


def _older_point_held(w, config) -> bool:
    return any(d.phase == "delta" and len(d.replica.points) > 1 for d in _data_vms(w))


def _with_logged_changes(d) -> tuple[DiskImage, ...]:
    """The replica's latest point with every change still in the source's open logs applied, in order."""
    disks = list(d.replica_disks())
    for disk, writer in enumerate(d.writers):
        for entry in writer.open_log.entries:
            disks[disk] = disks[disk].write(entry.block, entry.data)
    return tuple(disks)


def no_change_lost_before_it_is_sent(w, config) -> bool:
    """While replication runs, every change not yet on the replica waits in a replication log (REQ-10, 13).

    The replica's latest point plus the open logs is the source, byte for byte: pausing and
    resuming replication, failing cycles or switching logs drop nothing that the next cycle
    must send.
    """
    return all(_with_logged_changes(d) == d.source_disks() for d in _data_vms(w) if d.phase == "delta")


def _change_waits_in_log(w, config) -> bool:
    return any(d.phase == "delta" and any(wr.open_log.entries for wr in d.writers) for d in _data_vms(w))


def _resumed_with_writes_made_while_paused(before, after, args, config) -> bool:
    d = before.vms[args.vm].data
    return d is not None and d.phase == "delta" and any(wr.open_log.entries for wr in d.writers)


def _pauses(config) -> bool:
    return (all(e not in config.exclude for e in _PAUSE + ("guest_write",))
            and any(all(e not in vm.exclude for e in _PAUSE + ("guest_write",)) for vm in config.vms))


_pauses_with_data = has_data & when(_pauses, "no VM both takes guest writes and pauses and resumes replication")


_PAUSE = ("suspend_replication", "resume_replication")


def planned_failover_loses_nothing(before, after, args, config) -> bool:
    """After a planned failover the new source holds exactly what the old one had (REQ-24)."""
    b, a = before.vms[args.vm].data, after.vms[args.vm].data
    return b is None or (a.last_failover.lost_writes == () and a.source_disks() == b.source_disks())


def unplanned_failover_loses_only_unsent_writes(before, after, args, config) -> bool:
    """Unplanned failover starts from the last replicated point and loses exactly the unsent writes."""
    b, a = before.vms[args.vm].data, after.vms[args.vm].data
    if b is None or args.shutdown_source:
        return True
    held = b.applied_seq()
    return (a.last_failover.lost_writes == tuple(b.history[held:])
            and a.source_disks() == replay(_blank(b), b.history[:held]))


def shutdown_and_synchronize_loses_nothing(before, after, args, config) -> bool:
    """ASR's "shut down source and synchronize" with the primary and the link up: nothing lost (REQ-25)."""
    b, a = before.vms[args.vm], after.vms[args.vm].data
    if a is None or not args.shutdown_source or not _reachable_with_link(before, b) or b.data.phase != "delta":
        return True
    return a.last_failover.lost_writes == () and a.source_disks() == b.data.source_disks()


def _reachable_with_link(w, vm) -> bool:
    return reachable(w, source_site(vm)) and link_up(w) and not vm.unclosed_log


def _synchronized_unsent_writes(before, after, args, config) -> bool:
    b = before.vms[args.vm].data
    return bool(args.shutdown_source) and b is not None and b.phase == "delta" and b.applied_seq() < len(b.history)


def _unplanned_failover_loses_writes(before, after, args, config) -> bool:
    a = after.vms[args.vm].data
    return a is not None and len(a.last_failover.lost_writes) > 0


def resync_makes_both_sides_equal(before, after, args, config) -> bool:
    """A completed resync leaves the replica equal to the source (REQ-18)."""
    a = after.vms[args.vm].data
    return a is None or a.replica_disks() == a.source_disks()


def reverse_replication_after_planned_failover_is_delta_only(before, after, args, config) -> bool:
    """After a planned failover both sides already match: reverse replication sends no resync (REQ-28)."""
    b, a = before.vms[args.vm], after.vms[args.vm].data
    if a is None or b.protection is not ProtectionState.PLANNED_FAILOVER_COMMITTED:
        return True
    return a.phase == "delta" and a.replica_disks() == replay(_blank(a), a.history[:a.applied_seq()])


def _failback_with_data(before, after, args, config) -> bool:
    b, a = before.vms[args.vm], after.vms[args.vm].data
    return (a is not None and b.protection is ProtectionState.PLANNED_FAILOVER_COMMITTED and a.source == 0
            and len(a.history) > 0)


def corrupted_log_is_never_applied(before, after, args, config) -> bool:
    """A log damaged in transit is refused and leaves the replica byte for byte unchanged (REQ-37)."""
    b, a = before.vms[args.vm].data, after.vms[args.vm].data
    return b is None or _points(a.replica) == _points(b.replica)


def _points(replica) -> list:
    """Every recovery point's disks, byte for byte (ids are bookkeeping, not data)."""
    return [replica.point_disks(i) for i in range(len(replica.points))]


def replayed_log_is_never_applied(before, after, args, config) -> bool:
    """A recorded authentic log sent again is refused: the replica stays byte for byte as it was
    and so does its chain (last log applied, generation), so the next genuine delta still applies
    (REQ-36, 37). Ids and generations are compared relative to the trackers, as the state keeps
    them (:meth:`~hvr_model.blockstore.ReplicatedVm.replica_chain`)."""
    b, a = before.vms[args.vm].data, after.vms[args.vm].data
    if b is None or b.replica is None:
        return True
    return (a.replica is not None and _points(a.replica) == _points(b.replica)
            and a.replica_chain() == b.replica_chain())


_replays_logs = has_data & has_fault("log_replay")


def _earlier_generation_replayed(before, after, args, config) -> bool:
    """The replayed delta is of an earlier generation and its ids are the ones the restarted chain
    expects next: what only the generation check refuses."""
    d = before.vms[args.vm].data
    if d is None or not d.recorded or d.replica is None:
        return False
    logs = d.recorded[1]
    return (logs[0].header.generation != d.replica_generation
            and all(log.header.log_id == last + 1 for log, last in zip(logs, d.last_applied)))


PROPERTIES = (
    Always("data_path_follows_the_protocol", ("REQ-08", "REQ-10"),
           "Every step of the protocol is one the reference block store can carry out on its bytes.",
           data_path_follows_the_protocol, witness="replicated_write_reaches_replica", applies=_has_data),
    Always("source_disks_replay_their_history", ("REQ-10",),
           "The running copy's disks are its write history replayed in order.",
           source_disks_replay_their_history, witness="replicated_write_reaches_replica", applies=_has_data),
    Always("replica_points_are_history_prefixes", ("REQ-12", "REQ-14", "REQ-15"),
           "Every recovery point equals the source after a prefix of its writes, on every disk at once.",
           replica_points_are_history_prefixes, witness="replicated_write_reaches_replica", applies=_has_data),
    Sometimes("replicated_write_reaches_replica", ("REQ-10", "REQ-12"),
              "A guest write reaches a recovery point on the replica, byte for byte.",
              _write_replicated, applies=_has_data),
    Sometimes("older_recovery_point_held", ("REQ-14",), "The replica keeps an older recovery point.",
              _older_point_held,
              applies=_has_data & when(lambda c: c.policy.recovery_point_retention_hours > 0,
                                                  "the policy keeps no older recovery points (retention 0)")),
    Always("no_change_lost_before_it_is_sent", ("REQ-10", "REQ-13"),
           "The replica's latest point plus the changes waiting in the replication logs is the source, "
           "byte for byte: nothing written is dropped before it is sent, a pause included.",
           no_change_lost_before_it_is_sent, witness="change_waits_in_log", applies=_has_data),
    Sometimes("change_waits_in_log", ("REQ-10",), "A guest write waits in a replication log to be sent.",
              _change_waits_in_log, applies=_has_data),
    SometimesStep("replication_resumed_with_writes_made_while_paused", ("REQ-13",),
                  "Replication is resumed with guest writes made during the pause still to send.",
                  frozenset({"resume_replication"}), _resumed_with_writes_made_while_paused,
                  applies=_pauses_with_data),
    AlwaysStep("planned_failover_loses_nothing", ("REQ-24",),
               "Planned failover: the new source holds exactly the old source's data.",
               frozenset({"planned_failover"}), planned_failover_loses_nothing,
               witness="failback_returns_with_data", applies=_has_data),
    AlwaysStep("unplanned_failover_loses_only_unsent_writes", ("REQ-25",),
               "Unplanned failover: the new source is the last replicated prefix; lost = exactly the unsent writes.",
               frozenset({"unplanned_failover"}), unplanned_failover_loses_only_unsent_writes,
               witness="unplanned_failover_loses_writes", applies=_has_data),
    AlwaysStep("shutdown_and_synchronize_loses_nothing", ("REQ-25",),
               "Unplanned failover with the source shut down and synchronized first loses nothing.",
               frozenset({"unplanned_failover"}), shutdown_and_synchronize_loses_nothing,
               witness="unsent_writes_synchronized_at_failover", applies=_has_data),
    SometimesStep("unsent_writes_synchronized_at_failover", ("REQ-25",),
                  "An unplanned failover with the option finds writes not yet sent, and sends them.",
                  frozenset({"unplanned_failover"}), _synchronized_unsent_writes, applies=_has_data),
    SometimesStep("unplanned_failover_loses_writes", ("REQ-25",),
                  "An unplanned failover does lose unsent writes (and reports them).",
                  frozenset({"unplanned_failover"}), _unplanned_failover_loses_writes, applies=_has_data),
    AlwaysStep("resync_makes_both_sides_equal", ("REQ-18",),
               "Completing a resync makes the replica equal to the source.",
               frozenset({"complete_resynchronization"}), resync_makes_both_sides_equal,
               witness="unplanned_failover_loses_writes", applies=_has_data),
    AlwaysStep("reverse_replication_after_planned_failover_is_delta_only", ("REQ-28", "REQ-29"),
               "After a planned failover, reverse replication finds both sides equal (failback loses nothing).",
               frozenset({"reverse_replicate"}), reverse_replication_after_planned_failover_is_delta_only,
               witness="failback_returns_with_data", applies=_has_data),
    SometimesStep("failback_returns_with_data", ("REQ-29",),
                  "Reverse replication after a planned failover back returns written data to the primary.",
                  frozenset({"reverse_replicate"}), _failback_with_data, applies=_has_data),
    AlwaysStep("corrupted_log_is_never_applied", ("REQ-37",),
               "A log damaged in transit is refused; the replica stays byte for byte as it was.",
               frozenset({"receive_corrupted_log"}), corrupted_log_is_never_applied,
               witness="replicated_write_reaches_replica", applies=_has_data),
    AlwaysStep("replayed_log_is_never_applied", ("REQ-36", "REQ-37"),
               "A recorded authentic log replayed to the replica, of an earlier generation or already "
               "applied, is refused: the replica and its chain stay as they were, so the next genuine "
               "delta still applies.",
               frozenset({"receive_replayed_log"}), replayed_log_is_never_applied,
               witness="earlier_generation_log_replayed", applies=_replays_logs),
    SometimesStep("earlier_generation_log_replayed", ("REQ-36", "REQ-37"),
                  "A log of an earlier generation is replayed just when its ids continue the restarted "
                  "chain (after a resync or a reverse replication): only its generation tells it apart.",
                  frozenset({"receive_replayed_log"}), _earlier_generation_replayed, applies=_replays_logs),
)
