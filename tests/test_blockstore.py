"""Claims about the reference block store: the replication and merge data path on real bytes.

Modules: hvr_model.disk (DiskImage), hvr_model.replica (ReplicaVm, undo logs),
hvr_model.resync (chunk digests), hvr_model.blockstore (ReplicatedVm), driven
through hvr_model.hrl wire bytes where the claim is about what the replica host
accepts. Requirements: REQ-08 (initial replication), REQ-10/12 (delta cycles,
all disks at one point), REQ-14/15 (recovery points, undo logs), REQ-16..20
(resync), REQ-24..29 (failover, commit, reverse replication, failback),
REQ-35..37 (authentication, authorization, log integrity).

Disks are tiny (16 blocks of 16 bytes) except where a claim is about size.
Every expected value is computed independently of the code under test: by
replaying the guest writes (``replay``) on blank disks.
"""
from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hvr_model import hrl, resync
from hvr_model.blockstore import DataPathError, Host, ReplicatedVm
from hvr_model.disk import DiskImage
from hvr_model.hrl import (
    AuthorizationEntry, Credential, LogAuthenticationFailed, LogCorrupted, LogForWrongDisk,
    LogNotClosed, LogOutOfSequence, LogRejected, LogTruncated, LogUnauthorized, LogWriter,
    ReplicaServerPolicy,
)
from hvr_model.replica import ApplyInterrupted, ReplicaVm, UndoLog, UndoLogCorrupted
from hvr_model.resync import chunk_digests, resync_disk

B = 16                  # block size (bytes)
N = 16                  # blocks per disk
CHUNK = 4               # blocks per resync chunk in the small-disk resync claims

PRIMARY_NAME = "hv-primary.contoso.com"
RECOVERY_NAME = "hv-recovery.contoso.com"
OUTSIDER_NAME = "hv7.fabrikam.com"


# --------------------------------------------------------------------------- helpers

def blk(tag: str, size: int = B) -> bytes:
    """A recognisable, non-zero block: ``tag`` padded with dashes."""
    return tag.encode().ljust(size, b"-")[:size]


def blank_disks(disks: int = 2, blocks: int = N, block_size: int = B) -> tuple[DiskImage, ...]:
    return (DiskImage.blank(blocks, block_size),) * disks


def replay(blank: tuple[DiskImage, ...], writes) -> tuple[DiskImage, ...]:
    """The disks after applying the guest ``writes`` in order: the independent oracle."""
    disks = list(blank)
    for write in writes:
        disks[write.disk] = disks[write.disk].write(write.block, write.data)
    return tuple(disks)


def history_replay(vm: ReplicatedVm, upto: int | None = None) -> tuple[DiskImage, ...]:
    writes = vm.history if upto is None else vm.history[:upto]
    return replay(blank_disks(vm.disks, vm.blocks, vm.block_size), writes)


def protected(disks: int = 2, **options) -> ReplicatedVm:
    """A VM whose initial replication is complete (phase delta), with no writes yet."""
    vm = ReplicatedVm("web", disks=disks, blocks=N, block_size=B, **options)
    vm.enable_protection()
    while len(vm.copied) < vm.disks:
        vm.copy_next_disk()
    vm.complete_initial_replication()
    return vm


def every_point(vm: ReplicatedVm) -> tuple[tuple[DiskImage, ...], ...]:
    return tuple(vm.replica_disks(i) for i in range(len(vm.replica.points)))


def replica_side(vm: ReplicatedVm) -> tuple:
    """Everything a refused or interrupted delivery must leave exactly as it was."""
    return (vm.replica, every_point(vm), vm.images[vm.target], tuple(vm.last_applied),
            dict(vm.point_seq), vm.phase)


def switch_all(vm: ReplicatedVm) -> list[hrl.ReplicationLog]:
    """Close every disk's open log at the same instant, as a cycle does."""
    return [writer.switch() for writer in vm.writers]


def sign(vm: ReplicatedVm, logs) -> list[bytes]:
    """Wire bytes of ``logs`` signed by the VM's current source host."""
    return [hrl.encode(log, vm.hosts[vm.source].credential) for log in logs]


def flip(data: bytes, offset: int, mask: int = 0xFF) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


def span(log: hrl.ReplicationLog, part: str, entry: int | None = None) -> hrl.Span:
    return next(s for s in hrl.record_spans(log)
                if s.part == part and (entry is None or s.entry == entry))


def resign(data: bytes, credential: Credential) -> bytes:
    """What a buggy but authentic tracker sends: these bytes with a valid MAC (see test_hrl.py)."""
    unsigned = data[:-32]
    return unsigned + hrl._mac(credential, unsigned)


@pytest.fixture
def small_chunks(monkeypatch):
    """Resync compares chunks of CHUNK blocks (instead of 1 MiB) so a 16-block disk has 4 chunks."""
    monkeypatch.setattr(resync, "DEFAULT_CHUNK_BYTES", CHUNK * B)


# =========================================================================== DiskImage

def test_unwritten_blocks_read_as_zeros_and_are_stored_sparse():
    disk = DiskImage.blank(N, B)
    assert all(disk.read(i) == bytes(B) for i in range(N))
    assert disk.blocks == (None,) * N
    assert disk.written_blocks() == ()
    assert disk.size == N * B


def test_writing_zeros_normalises_the_block_to_unwritten():
    blank = DiskImage.blank(N, B)
    zeroed = blank.write(3, blk("x")).write(3, bytes(B))
    assert zeroed.blocks[3] is None
    assert zeroed == blank
    assert zeroed.written_blocks() == ()


def test_write_returns_a_new_image_and_leaves_the_old_one_unchanged():
    old = DiskImage.blank(N, B).write(1, blk("one"))
    new = old.write(1, blk("two")).write(2, blk("three"))
    assert (old.read(1), old.read(2), old.written_blocks()) == (blk("one"), bytes(B), (1,))
    assert (new.read(1), new.read(2)) == (blk("two"), blk("three"))


def test_unchanged_blocks_are_shared_between_images_not_copied():
    old = DiskImage.blank(N, B).write(1, blk("one"))
    new = old.write(2, blk("two"))
    assert new.blocks[1] is old.blocks[1]


def test_image_does_not_alias_a_mutable_buffer_it_was_written_with():
    buffer = bytearray(blk("original"))
    disk = DiskImage.blank(N, B).write(0, buffer)
    buffer[:] = blk("mutated")
    assert disk.read(0) == blk("original")


def test_write_many_applies_in_order_so_the_last_write_to_a_block_wins():
    disk = DiskImage.blank(N, B).write_many([(5, blk("a")), (6, blk("b")), (5, blk("c"))])
    assert (disk.read(5), disk.read(6)) == (blk("c"), blk("b"))


@pytest.mark.parametrize("block", [-1, N, N + 7])
def test_write_outside_the_disk_is_rejected(block):
    disk = DiskImage.blank(N, B)
    with pytest.raises(IndexError):
        disk.write(block, blk("x"))


@pytest.mark.parametrize("size", [0, B - 1, B + 1])
def test_write_of_other_than_one_block_is_rejected(size):
    with pytest.raises(ValueError):
        DiskImage.blank(N, B).write(0, b"x" * size)


def test_read_past_the_end_is_rejected():
    with pytest.raises(IndexError):
        DiskImage.blank(N, B).read(N)


def test_read_of_a_negative_block_index_is_rejected():
    disk = DiskImage.blank(N, B).write(N - 1, blk("last"))
    with pytest.raises(IndexError):
        disk.read(-1)


@pytest.mark.parametrize("blocks, block_size", [(0, B), (N, 0), (-1, B)])
def test_blank_disk_needs_at_least_one_block_of_one_byte(blocks, block_size):
    with pytest.raises(ValueError):
        DiskImage.blank(blocks, block_size)


# =========================================================================== initial replication (REQ-08)

def test_enable_protection_snapshots_the_source_as_it_is():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.write(0, 1, blk("before"))
    vm.enable_protection()
    assert vm.phase == "initial_replication"
    assert vm.snapshot == vm.source_disks() == history_replay(vm)


def test_writes_during_initial_replication_go_to_the_log_not_into_snapshot_or_copies():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.write(0, 1, blk("before"))
    vm.enable_protection()
    vm.copy_next_disk()
    during = vm.write(0, 1, blk("during"))
    assert [(e.block, e.data) for e in vm.writers[0].open_log.entries] == [(1, blk("during"))]
    assert vm.writers[1].open_log.entries == ()
    assert vm.snapshot[0].read(1) == blk("before")                 # copy-on-write snapshot
    assert vm.images[vm.target][0].read(1) == blk("before")        # the copy is from the snapshot
    vm.copy_next_disk()
    assert vm.images[vm.target][0].read(1) == blk("before")
    assert vm.source_disks()[0].read(1) == during.data


def test_disks_are_copied_one_at_a_time_from_the_snapshot():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.write(0, 0, blk("zero"))
    vm.write(1, 0, blk("one"))
    vm.enable_protection()
    vm.write(1, 0, blk("changed"))
    assert vm.images[vm.target] == blank_disks()
    assert vm.copy_next_disk() == 0
    assert vm.images[vm.target] == (vm.snapshot[0], blank_disks()[1])
    assert vm.copy_next_disk() == 1
    assert vm.images[vm.target] == vm.snapshot
    assert vm.images[vm.target][1].read(0) == blk("one")


def test_copy_order_can_be_chosen_and_a_disk_is_copied_once():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.enable_protection()
    assert vm.copy_disk(1) == 1
    with pytest.raises(DataPathError):
        vm.copy_disk(1)
    assert vm.copy_next_disk() == 0
    with pytest.raises(DataPathError):
        vm.copy_next_disk()


def test_initial_replication_completes_only_when_every_disk_is_copied():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.enable_protection()
    vm.copy_next_disk()
    with pytest.raises(DataPathError):
        vm.complete_initial_replication()


def test_after_initial_replication_replica_equals_source_and_snapshot_is_gone():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B, retention=1)
    vm.write(0, 2, blk("a"))
    vm.enable_protection()
    vm.copy_next_disk()
    vm.write(1, 3, blk("b"))
    vm.copy_next_disk()
    vm.write(0, 2, blk("c"))
    vm.complete_initial_replication()
    assert vm.snapshot is None
    assert vm.phase == "delta"
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)
    assert vm.images[vm.target] == vm.source_disks()
    # the seeded point is the snapshot (write 1 only); the logs written meanwhile are the next point
    assert vm.applied_seq(-2) == 1 and vm.replica_disks(-2) == history_replay(vm, 1)
    assert vm.applied_seq(-1) == 3


# =========================================================================== delta replication (REQ-10, 12)

def test_replicate_ships_exactly_the_writes_since_the_last_cycle():
    vm = protected(retention=5)
    vm.write(0, 1, blk("a"))
    assert vm.replicate() == 1
    writes = [vm.write(0, 2, blk("b")), vm.write(1, 3, blk("c")), vm.write(0, 2, blk("d"))]
    pending = [[(e.block, e.data) for e in w.open_log.entries] for w in vm.writers]
    assert pending == [[(2, blk("b")), (2, blk("d"))], [(3, blk("c"))]]
    assert vm.replicate() == len(writes)
    assert vm.replicate() == 0
    assert vm.applied_seq() == len(vm.history) == 4
    changed = {(d, i) for d in range(2) for i in range(N)
               if vm.replica_disks(-3)[d].read(i) != vm.replica_disks(-2)[d].read(i)}
    assert changed == {(0, 2), (1, 3)}


def test_all_disks_reach_the_same_recovery_point():
    vm = protected(retention=3)
    vm.write(0, 0, blk("old0"))
    vm.replicate()
    vm.write(0, 4, blk("disk0"))
    vm.write(1, 5, blk("disk1"))
    vm.replicate()
    new, previous = vm.replica_disks(-1), vm.replica_disks(-2)
    assert (new[0].read(4), new[1].read(5)) == (blk("disk0"), blk("disk1"))
    assert (previous[0].read(4), previous[1].read(5)) == (bytes(B), bytes(B))
    assert previous[0].read(0) == blk("old0")


def test_write_order_within_a_disk_is_preserved_the_last_write_wins():
    vm = protected(retention=1)
    vm.write(0, 7, blk("first"))
    vm.write(0, 7, blk("second"))
    vm.replicate()
    assert vm.replica_disks()[0].read(7) == blk("second")
    assert vm.replica_disks() == vm.source_disks()


def test_a_delivery_applies_all_disks_or_none():
    vm = protected()
    vm.write(0, 0, blk("a"))
    vm.write(1, 0, blk("b"))
    before = replica_side(vm)
    wire = sign(vm, switch_all(vm))
    damaged = [wire[0], flip(wire[1], len(wire[1]) // 2)]
    with pytest.raises(LogAuthenticationFailed):
        vm.receive(damaged)
    assert replica_side(vm) == before
    assert vm.receive(wire) == 2 and vm.replica_disks() == vm.source_disks()


@pytest.mark.parametrize("delivered", [slice(0, 1), slice(0, 0)])
def test_a_delivery_missing_a_disks_log_is_refused_and_changes_nothing(delivered):
    vm = protected()
    vm.write(1, 0, blk("first"))
    vm.write(0, 0, blk("second"))
    before = replica_side(vm)
    wire = sign(vm, switch_all(vm))
    with pytest.raises((LogRejected, DataPathError, ValueError)):
        vm.receive(wire[delivered])
    assert replica_side(vm) == before


# =========================================================================== atomic apply

def _replica_with_history() -> ReplicaVm:
    r = ReplicaVm.seeded(blank_disks(), retention=2)
    r = r.apply({0: [(0, blk("a"))], 1: [(1, blk("b"))]})
    return r.apply({0: [(2, blk("c"))]})


DELTA = {0: [(0, blk("x")), (3, blk("y")), (0, blk("z"))], 1: [(1, blk("w")), (4, blk("v"))]}
DELTA_WRITES = sum(len(v) for v in DELTA.values())


@pytest.mark.parametrize("k", range(DELTA_WRITES))
def test_apply_interrupted_after_k_block_writes_leaves_the_replica_unchanged(k):
    r = _replica_with_history()
    before = (r.disks, r.points, tuple(r.point_disks(i) for i in range(len(r.points))))
    with pytest.raises(ApplyInterrupted):
        r.apply(DELTA, crash_after=k)
    assert (r.disks, r.points, tuple(r.point_disks(i) for i in range(len(r.points)))) == before


def test_apply_with_a_crash_point_past_the_last_write_completes_like_a_normal_apply():
    r = _replica_with_history()
    assert r.apply(DELTA, crash_after=DELTA_WRITES) == r.apply(DELTA)


def test_apply_publishes_a_new_point_holding_every_disks_writes():
    r = _replica_with_history()
    after = r.apply(DELTA)
    assert after.disks == (r.disks[0].write_many(DELTA[0]), r.disks[1].write_many(DELTA[1]))
    assert after.point_disks(-2) == r.disks
    assert after.points[-1].point_id == r.points[-1].point_id + 1


@pytest.mark.parametrize("k", [0, 1, 2])
def test_crash_during_a_merge_on_the_replica_host_changes_nothing_and_the_log_applies_later(k):
    vm = protected(retention=2)
    vm.write(0, 0, blk("a"))
    vm.replicate()
    vm.write(0, 1, blk("b"))
    vm.write(1, 2, blk("c"))
    vm.write(0, 1, blk("d"))
    before = replica_side(vm)
    wire = sign(vm, switch_all(vm))
    accepted = [hrl.accept(data, policy=vm.hosts[vm.target].policy, vm="web", disk=d, block_size=B,
                           last_applied_id=vm.last_applied[d]) for d, data in enumerate(wire)]
    writes = {log.header.disk: [(e.block, e.data) for e in log.entries] for log in accepted}
    with pytest.raises(ApplyInterrupted):
        vm.replica.apply(writes, crash_after=k)
    assert replica_side(vm) == before
    assert vm.receive(wire) == 3
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)


# =========================================================================== recovery points (REQ-14, 15, 27)

def test_retention_bounds_the_number_of_older_points():
    vm = protected(retention=3)
    assert len(vm.replica.points) == 2          # the seeded copy and the first merge
    for cycle in range(5):
        vm.write(0, cycle, blk(f"c{cycle}"))
        vm.replicate()
        assert len(vm.replica.points) == min(cycle + 3, 4)
    assert vm.replica_disks(0) == history_replay(vm, 2)


def test_default_retention_keeps_only_the_latest_point():
    vm = protected()
    for cycle in range(3):
        vm.write(1, cycle, blk(f"c{cycle}"))
        vm.replicate()
    assert len(vm.replica.points) == 1
    assert vm.replica_disks() == vm.source_disks()


def test_each_point_is_the_source_after_the_prefix_of_writes_it_holds():
    vm = protected(retention=3)
    prefix_at_cycle = []
    for cycle, (disk, block) in enumerate([(0, 1), (1, 2), (0, 1), (1, 15)]):
        vm.write(disk, block, blk(f"w{cycle}"))
        vm.write(1 - disk, block, blk(f"v{cycle}"))
        vm.replicate()
        prefix_at_cycle.append(len(vm.history))
    assert [vm.applied_seq(i) for i in range(4)] == prefix_at_cycle
    for i, held in enumerate(prefix_at_cycle):
        assert vm.replica_disks(i) == history_replay(vm, held)


def test_every_nth_cycle_makes_an_app_consistent_point():
    vm = protected(retention=10, app_consistent_every=3)   # the initial merge is cycle 1
    flags = {}
    for _ in range(7):
        vm.replicate()
        flags[vm.cycles] = vm.replica.points[-1].app_consistent
    assert flags == {c: c % 3 == 0 for c in range(2, 9)}
    # the seeded point, then the points of cycles 1..8
    assert [p.app_consistent for p in vm.replica.points] == [False] + [c % 3 == 0 for c in range(1, 9)]


def test_without_app_consistent_frequency_no_point_is_app_consistent():
    vm = protected(retention=5)
    for _ in range(4):
        vm.replicate()
    assert not any(p.app_consistent for p in vm.replica.points)


def _failed_over_with_points() -> tuple[ReplicatedVm, list[int]]:
    """retention 2, three cycles (one write each) and one unsent write, then unplanned failover."""
    vm = protected(retention=2)
    for cycle in range(3):
        vm.write(0, cycle, blk(f"c{cycle}"))
        vm.replicate()
    vm.write(1, 9, blk("unsent"))
    held = [vm.applied_seq(i) for i in range(3)]
    vm.unplanned_failover()
    return vm, held


def test_recovery_point_can_be_changed_before_commit():
    vm, held = _failed_over_with_points()
    old = list(vm._old_history)
    report = vm.change_recovery_point(-3)
    assert vm.source_disks() == replay(blank_disks(), old[:held[0]])
    assert report.lost_writes == tuple(old[held[0]:])
    report = vm.change_recovery_point(-1)
    assert vm.source_disks() == replay(blank_disks(), old[:held[2]])
    assert report.lost_writes == tuple(old[held[2]:])


def test_commit_keeps_the_chosen_point_and_deletes_the_others():
    vm, held = _failed_over_with_points()
    old = list(vm._old_history)
    vm.change_recovery_point(-2)
    vm.commit()
    assert len(vm.replica.points) == 1
    assert vm.replica_disks() == replay(blank_disks(), old[:held[1]]) == vm.source_disks()
    with pytest.raises(DataPathError):
        vm.change_recovery_point(-1)
    with pytest.raises(DataPathError):
        vm.cancel_failover()


def _tampered(vm: ReplicatedVm, index: int) -> None:
    """Change the old data in point ``index``'s undo log, keeping its old checksum."""
    point = vm.replica.points[index]
    disk, block, old = point.undo.entries[0]
    entries = ((disk, block, blk("tampered")),) + point.undo.entries[1:]
    bad = replace(point, undo=replace(point.undo, entries=entries))
    points = vm.replica.points[:index] + (bad,) + vm.replica.points[index + 1:]
    vm.replica = replace(vm.replica, points=points)


def test_corrupt_undo_log_makes_only_older_points_unreachable():
    vm = protected(retention=3)
    for cycle in range(3):
        vm.write(0, 0, blk(f"c{cycle}"))
        vm.replicate()
    held = [vm.applied_seq(i) for i in range(4)]
    _tampered(vm, 2)                      # point 2's undo log rebuilds point 1
    for newer in (2, 3, -1, -2):
        assert vm.replica_disks(newer) == history_replay(vm, held[newer])
    for older in (0, 1, -3, -4):
        with pytest.raises(UndoLogCorrupted):
            vm.replica_disks(older)
    with pytest.raises(UndoLogCorrupted):
        vm.unplanned_failover(1)
    report = vm.unplanned_failover(2)
    assert vm.source_disks() == replay(blank_disks(), vm._old_history[:held[2]])
    assert report.lost_writes == tuple(vm._old_history[held[2]:])


def test_undo_log_checksum_detects_a_changed_entry():
    undo = UndoLog.of([(0, 1, blk("a")), (1, 2, None)])
    assert undo.verified() is undo
    with pytest.raises(UndoLogCorrupted):
        replace(undo, entries=((0, 1, blk("b")), (1, 2, None))).verified()
    with pytest.raises(UndoLogCorrupted):
        replace(undo, entries=((0, 1, blk("a")), (1, 2, bytes(B)))).verified()


# =========================================================================== resync (REQ-16..20)

def test_resync_sends_exactly_the_differing_chunks():
    source = DiskImage.blank(N, B).write_many([(1, blk("a")), (9, blk("b")), (10, blk("c"))])
    target = DiskImage.blank(N, B).write_many([(1, blk("a")), (14, blk("old"))])
    synced, report = resync_disk(source, target, chunk_blocks=CHUNK)
    assert synced == source
    assert report.chunks_total == N // CHUNK
    assert report.differing_chunks == (2, 3)
    assert (report.chunks_sent, report.bytes_sent) == (2, 2 * CHUNK * B)


def test_resync_of_equal_disks_sends_nothing():
    disk = DiskImage.blank(N, B).write(3, blk("a"))
    synced, report = resync_disk(disk, disk, chunk_blocks=CHUNK)
    assert synced == disk and (report.chunks_sent, report.bytes_sent) == (0, 0)


def test_resync_keeps_the_targets_blocks_outside_the_sent_chunks():
    source = DiskImage.blank(N, B).write(0, blk("new"))
    target = DiskImage.blank(N, B).write(15, blk("same")).write(0, blk("old"))
    source = source.write(15, blk("same"))
    synced, report = resync_disk(source, target, chunk_blocks=CHUNK)
    assert synced.blocks[15] is target.blocks[15]
    assert report.differing_chunks == (0,)


def test_resync_counts_a_partial_last_chunk_by_its_real_size():
    source = DiskImage.blank(10, B).write(9, blk("tail"))
    synced, report = resync_disk(source, DiskImage.blank(10, B), chunk_blocks=CHUNK)
    assert synced == source
    assert (report.chunks_total, report.differing_chunks, report.bytes_sent) == (3, (2,), 2 * B)


def test_resync_refuses_disks_of_different_geometry():
    with pytest.raises(ValueError):
        resync_disk(DiskImage.blank(N, B), DiskImage.blank(N + 1, B))
    with pytest.raises(ValueError):
        resync_disk(DiskImage.blank(N, B), DiskImage.blank(N, 2 * B))


def test_chunk_digests_read_unwritten_blocks_as_zeros():
    sparse = DiskImage.blank(N, B)
    dense = DiskImage(B, (bytes(B),) * N)
    assert chunk_digests(sparse, CHUNK) == chunk_digests(dense, CHUNK)
    assert len(chunk_digests(sparse, CHUNK)) == N // CHUNK


def test_host_crash_leaves_an_unclosed_log_and_requires_resync(small_chunks):
    vm = protected(retention=2)
    vm.write(0, 1, blk("sent"))
    vm.replicate()
    vm.write(0, 9, blk("unsent"))
    vm.write(1, 13, blk("unsent"))
    vm.crash_source_host()
    assert (vm.phase, vm.running, vm.writers) == ("resync_required", False, [])
    with pytest.raises(DataPathError):
        vm.replicate()
    vm.start()
    reports = vm.resync()
    assert [r.differing_chunks for r in reports] == [(2,), (3,)]
    assert [r.bytes_sent for r in reports] == [CHUNK * B, CHUNK * B]
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)
    assert len(vm.replica.points) == 1 and vm.applied_seq() == len(vm.history)


def _needs_resync_because_logs_grew_too_large(vm):
    for block in range(N):
        vm.write(0, block, blk(f"big{block}"))
    vm.require_resync()


def _needs_resync_because_the_chain_broke(vm):
    vm.write(1, 5, blk("lost"))
    switch_all(vm)                          # this cycle's logs never reach the replica
    vm.write(1, 6, blk("next"))
    with pytest.raises(LogOutOfSequence):
        vm.replicate()
    vm.require_resync()


def _needs_resync_because_a_log_was_invalid(vm):
    vm.write(0, 2, blk("bad"))
    assert isinstance(vm.replicate_corrupted(), LogAuthenticationFailed)


@pytest.mark.parametrize("cause", [_needs_resync_because_logs_grew_too_large,
                                   _needs_resync_because_the_chain_broke,
                                   _needs_resync_because_a_log_was_invalid])
def test_require_resync_then_resync_makes_the_replica_equal_and_resets_recovery_points(cause, small_chunks):
    vm = protected(retention=3)
    for cycle in range(3):
        vm.write(0, 0, blk(f"c{cycle}"))
        vm.replicate()
    assert len(vm.replica.points) == 4
    replica_before = vm.images[vm.target]
    cause(vm)
    assert vm.phase == "resync_required"
    assert vm.images[vm.target] == replica_before            # nothing was merged meanwhile
    expected = [tuple(c for c in range(N // CHUNK)
                      if any(vm.source_disks()[d].read(b) != replica_before[d].read(b)
                             for b in range(c * CHUNK, (c + 1) * CHUNK)))
                for d in range(2)]
    reports = vm.resync()
    assert [r.differing_chunks for r in reports] == expected
    assert [r.bytes_sent for r in reports] == [len(e) * CHUNK * B for e in expected]
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)
    assert len(vm.replica.points) == 1                       # REQ-20
    assert vm.phase == "delta"
    vm.write(1, 1, blk("after"))
    assert vm.replicate() == 1
    assert vm.replica_disks() == vm.source_disks()
    assert len(vm.replica.points) == 2                       # points build up again


def test_a_block_written_back_to_its_replicated_value_is_not_resent(small_chunks):
    vm = protected()
    vm.write(0, 0, blk("kept"))
    vm.replicate()
    vm.write(0, 0, blk("temporary"))
    vm.write(0, 0, blk("kept"))
    vm.crash_source_host()
    vm.start()
    assert [r.chunks_sent for r in vm.resync()] == [0, 0]


def test_resync_is_refused_unless_required():
    vm = protected()
    with pytest.raises(DataPathError):
        vm.resync()


def test_resync_of_a_16_mib_disk_hashes_in_parallel_and_matches_the_sequential_result(monkeypatch):
    blocks, size = 4096, 4096                                 # 16 MiB
    assert blocks * size >= resync.PARALLEL_FROM_BYTES
    source = DiskImage.blank(blocks, size).write_many(
        (b, bytes([b % 251 + 1]) * size) for b in range(0, blocks, 37))
    target = source.write_many([(5, b"\x07" * size), (600, b"\x08" * size), (4095, b"\x09" * size)])
    threads = []
    original = resync.chunk_digests

    def spying(image, chunk_blocks):
        threads.append(threading.get_ident())
        return original(image, chunk_blocks)

    monkeypatch.setattr(resync, "chunk_digests", spying)
    parallel = resync_disk(source, target)
    assert len(threads) == 2 and threads[0] != threads[1]
    threads.clear()
    monkeypatch.setattr(resync, "PARALLEL_FROM_BYTES", 1 << 62)
    sequential = resync_disk(source, target)
    assert len(set(threads)) == 1
    assert parallel == sequential
    synced, report = parallel
    assert synced == source
    chunk = resync.DEFAULT_CHUNK_BYTES // size
    assert report.differing_chunks == (0, 600 // chunk, 4095 // chunk)
    assert report.bytes_sent == 3 * resync.DEFAULT_CHUNK_BYTES


def test_small_disks_are_hashed_on_one_thread(monkeypatch):
    started = []
    monkeypatch.setattr(resync, "ThreadPoolExecutor",
                        lambda *a, **k: started.append(1) or concurrent.futures.ThreadPoolExecutor(*a, **k))
    resync_disk(DiskImage.blank(N, B), DiskImage.blank(N, B).write(0, blk("x")))
    assert started == []


# =========================================================================== security through the data path (REQ-35..37)

def _delta_with_pending(**options) -> ReplicatedVm:
    """A protected VM with an older point and writes pending on both disks."""
    vm = protected(retention=2, **options)
    vm.write(0, 0, blk("first"))
    vm.replicate()
    vm.write(0, 1, blk("d0"))
    vm.write(1, 2, blk("d1"))
    vm.write(0, 1, blk("d0-again"))
    return vm


def _assert_refused(vm: ReplicatedVm, wire: list[bytes], error: type[LogRejected],
                    good: list[bytes] | None = None, field: str | None = None) -> LogRejected:
    """``wire`` is refused with exactly ``error``; nothing changes; the genuine ``good`` still applies."""
    before = replica_side(vm)
    with pytest.raises(LogRejected) as info:
        vm.receive(wire)
    assert type(info.value) is error, repr(info.value)
    if field is not None:
        assert info.value.field == field
    assert replica_side(vm) == before
    if good is not None:
        vm.receive(good)
        assert vm.replica_disks() == vm.source_disks() == history_replay(vm)
    return info.value


@pytest.mark.parametrize("part, entry", [("header", None), ("entry metadata", 0), ("data block", 0),
                                         ("data block", 1), ("end marker", None), ("trailer", None)])
def test_a_byte_flipped_in_transit_fails_authentication_and_changes_nothing(part, entry):
    vm = _delta_with_pending()
    logs = switch_all(vm)
    wire = sign(vm, logs)
    region = span(logs[0], part, entry)
    # (bytes of the header's preamble are read before the MAC: see the two claims below)
    for offset in {region.stop - 1, region.stop - 10}:
        _assert_refused(vm, [flip(wire[0], offset), wire[1]], LogAuthenticationFailed)
    other = span(logs[1], part, 0 if entry is not None else None)
    _assert_refused(vm, [wire[0], flip(wire[1], other.stop - 1)], LogAuthenticationFailed, good=wire)


def test_a_flipped_magic_is_refused_as_corrupted_before_authentication():
    vm = _delta_with_pending()
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, [flip(wire[0], 0), wire[1]], LogCorrupted, good=wire, field="magic")


def test_a_flipped_source_server_name_is_refused_as_unauthenticated():
    vm = _delta_with_pending()
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, [flip(wire[0], 8, 0x20), wire[1]], LogAuthenticationFailed, good=wire,
                    field="source_server")


@pytest.mark.parametrize("part", ["header", "entry metadata", "data block", "end marker"])
def test_an_authentic_log_with_a_bad_checksum_is_refused_as_corrupted(part):
    vm = _delta_with_pending()
    logs = switch_all(vm)
    wire = sign(vm, logs)
    region = span(logs[0], part, 0 if part in ("entry metadata", "data block") else None)
    bad = resign(flip(wire[0], region.stop - 1), vm.hosts[vm.source].credential)
    _assert_refused(vm, [bad, wire[1]], LogCorrupted, good=wire, field=part)


@pytest.mark.parametrize("keep, error", [
    (lambda n: n - 1, LogAuthenticationFailed),        # last MAC byte lost
    (lambda n: n - 33, LogAuthenticationFailed),       # MAC and one signed byte lost
    (lambda n: n // 2, LogAuthenticationFailed),       # cut in the middle
    (lambda n: 10, LogTruncated),                      # stops inside the source server name
    (lambda n: 0, LogTruncated),                       # nothing arrived
], ids=["last-byte", "mac-and-one", "half", "in-preamble", "empty"])
def test_a_truncated_log_is_refused_and_changes_nothing(keep, error):
    vm = _delta_with_pending()
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, [wire[0][:keep(len(wire[0]))], wire[1]], error, good=wire)


def test_an_authentic_log_cut_between_records_is_refused_as_not_closed():
    vm = _delta_with_pending()
    logs = switch_all(vm)
    wire = sign(vm, logs)
    cut = span(logs[0], "end marker").start
    bad = resign(wire[0][:cut] + b"AUTH" + bytes(32), vm.hosts[vm.source].credential)
    _assert_refused(vm, [bad, wire[1]], LogNotClosed, good=wire)


def test_a_replayed_log_is_refused_as_out_of_sequence():
    vm = _delta_with_pending()
    wire = sign(vm, switch_all(vm))
    assert vm.receive(wire) == 3
    _assert_refused(vm, wire, LogOutOfSequence, field="log_id")


def test_logs_delivered_out_of_order_are_refused_then_accepted_in_order():
    vm = _delta_with_pending()
    first = sign(vm, switch_all(vm))
    vm.write(1, 7, blk("second cycle"))
    second = sign(vm, switch_all(vm))
    _assert_refused(vm, second, LogOutOfSequence, field="log_id")
    vm.receive(first)
    vm.receive(second)
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)


def test_an_unclosed_log_is_refused_even_when_authentic():
    vm = _delta_with_pending()
    credential = vm.hosts[vm.source].credential
    open_wire = [hrl.encode(w.open_log, credential) for w in vm.writers]
    _assert_refused(vm, open_wire, LogNotClosed, field="end marker")
    _assert_refused(vm, [hrl.encode(vm.writers[0].open_log, credential),
                         hrl.encode(vm.writers[1].switch(), credential)], LogNotClosed)


def _hosts(allow_any: bool = False, entries=None) -> tuple[Host, Host, Credential]:
    """Primary, recovery (whose policy also holds a key for an outsider) and the outsider's key."""
    creds = {n: Credential(n, f"key-of-{n}".encode(), "kerberos")
             for n in (PRIMARY_NAME, RECOVERY_NAME, OUTSIDER_NAME)}
    if entries is None:
        entries = tuple(AuthorizationEntry(n, f"D:\\Replica\\{n}", "contoso")
                        for n in (PRIMARY_NAME, RECOVERY_NAME))
    policy = ReplicaServerPolicy(creds, entries, allow_any_authenticated=allow_any)
    return (Host(PRIMARY_NAME, creds[PRIMARY_NAME], policy),
            Host(RECOVERY_NAME, creds[RECOVERY_NAME], policy), creds[OUTSIDER_NAME])


def _outsider_wire(vm: ReplicatedVm, credential: Credential) -> list[bytes]:
    """Chain-correct logs for every disk of ``vm``, written and signed by ``credential``'s server."""
    wire = []
    for disk in range(vm.disks):
        writer = LogWriter(vm.name, disk, credential.server, B, first_log_id=vm.last_applied[disk] + 1)
        writer.record(3, blk("intruder"))
        wire.append(hrl.encode(writer.switch(), credential))
    return wire


def test_a_log_from_an_authenticated_but_unauthorized_server_is_refused():
    primary, recovery, outsider = _hosts()
    vm = _delta_with_pending(hosts=(primary, recovery))
    wire = sign(vm, switch_all(vm))
    error = _assert_refused(vm, _outsider_wire(vm, outsider), LogUnauthorized, good=wire,
                            field="source_server")
    assert OUTSIDER_NAME in str(error)


def test_a_log_from_a_server_the_replica_holds_no_key_for_is_refused():
    vm = _delta_with_pending()
    stranger = Credential(OUTSIDER_NAME, b"k" * 32, "kerberos")
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, _outsider_wire(vm, stranger), LogAuthenticationFailed, good=wire,
                    field="source_server")


def test_any_authenticated_mode_accepts_an_unlisted_authenticated_server_only():
    primary, recovery, outsider = _hosts(allow_any=True, entries=())
    vm = _delta_with_pending(hosts=(primary, recovery))
    assert vm.replicate() == 3                              # the primary is in no entry
    assert vm.replica_disks() == vm.source_disks()
    stranger = Credential("hv8.fabrikam.com", b"k" * 32, "kerberos")
    _assert_refused(vm, _outsider_wire(vm, stranger), LogAuthenticationFailed)
    vm.receive(_outsider_wire(vm, outsider))
    assert all(d.read(3) == blk("intruder") for d in vm.replica_disks())


def test_without_any_authenticated_mode_an_empty_authorization_list_refuses_everyone():
    primary, recovery, _ = _hosts()
    vm = _delta_with_pending(hosts=(primary, recovery))
    vm.hosts[vm.target].policy = replace(vm.hosts[vm.target].policy, entries=())
    _assert_refused(vm, sign(vm, switch_all(vm)), LogUnauthorized)


def test_a_log_sent_for_another_disk_is_refused():
    vm = _delta_with_pending()
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, [wire[1], wire[0]], LogForWrongDisk, good=wire, field="disk")


def test_a_log_for_another_vm_is_refused():
    vm = _delta_with_pending()
    credential = vm.hosts[vm.source].credential
    other = LogWriter("db", 0, credential.server, B, first_log_id=vm.last_applied[0] + 1)
    other.record(0, blk("db"))
    wire = sign(vm, switch_all(vm))
    _assert_refused(vm, [hrl.encode(other.switch(), credential), wire[1]], LogForWrongDisk,
                    good=wire, field="vm")


@pytest.mark.parametrize("key, method", [(b"w" * 32, "kerberos"), (None, "certificate")])
def test_a_log_signed_with_the_wrong_key_or_method_fails_authentication(key, method):
    vm = _delta_with_pending()
    legit = vm.hosts[vm.source].credential
    wrong = Credential(legit.server, key or legit.key, method)
    logs = switch_all(vm)
    _assert_refused(vm, [hrl.encode(log, wrong) for log in logs], LogAuthenticationFailed,
                    good=sign(vm, logs), field="mac")


@pytest.mark.parametrize("method", hrl.AUTH_METHODS)
def test_replication_works_under_either_authentication_method(method):
    vm = _delta_with_pending(authentication=method)
    assert vm.hosts[0].credential.method == method
    vm.replicate()
    assert vm.replica_disks() == vm.source_disks()


def test_replicate_corrupted_is_refused_and_requires_resync():
    vm = _delta_with_pending()
    before = replica_side(vm)[:5]
    refusal = vm.replicate_corrupted()
    assert isinstance(refusal, LogAuthenticationFailed)
    assert replica_side(vm)[:5] == before
    assert vm.phase == "resync_required"


# =========================================================================== failover (REQ-24..30)

def _running_with_unsent(**options) -> ReplicatedVm:
    vm = protected(retention=2, **options)
    vm.write(0, 0, blk("w1"))
    vm.write(1, 1, blk("w2"))
    vm.replicate()
    vm.write(0, 2, blk("w3"))
    vm.replicate()
    vm.write(0, 0, blk("w4-unsent"))
    vm.write(1, 3, blk("w5-unsent"))
    return vm


def test_planned_failover_is_refused_while_the_source_runs():
    vm = _running_with_unsent()
    before = (vm.source, vm.phase, replica_side(vm))
    with pytest.raises(DataPathError):
        vm.planned_failover()
    assert (vm.source, vm.phase, replica_side(vm)) == before


def test_planned_failover_sends_the_last_changes_and_loses_nothing():
    vm = _running_with_unsent()
    old_source, old_history = vm.source_disks(), list(vm.history)
    vm.shutdown()
    report = vm.planned_failover()
    assert report.kind == "planned" and report.lost_writes == ()
    assert vm.source == 1
    assert vm.source_disks() == old_source
    assert vm.history == old_history
    assert vm.images[0] == old_source


def test_unplanned_failover_starts_from_the_last_point_and_loses_exactly_the_unsent_writes():
    vm = _running_with_unsent()
    old_history = list(vm.history)
    report = vm.unplanned_failover()
    assert report.kind == "unplanned"
    assert [w.data for w in report.lost_writes] == [blk("w4-unsent"), blk("w5-unsent")]
    assert report.lost_writes == tuple(old_history[3:])
    assert vm.source == 1 and not vm.running
    assert vm.source_disks() == replay(blank_disks(), old_history[:3])
    assert vm.history == old_history[:3]


def test_unplanned_failover_to_an_older_point_reports_the_extra_lost_writes():
    vm = _running_with_unsent()
    old_history = list(vm.history)
    held = vm.applied_seq(-2)
    assert held == 2
    report = vm.unplanned_failover(-2)
    assert report.lost_writes == tuple(old_history[2:])
    assert [w.data for w in report.lost_writes] == [blk("w3"), blk("w4-unsent"), blk("w5-unsent")]
    assert vm.source_disks() == replay(blank_disks(), old_history[:2])


def test_unplanned_failover_needs_a_replica():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    with pytest.raises(DataPathError):
        vm.unplanned_failover()


def test_unplanned_failover_after_a_crash_during_initial_replication_is_a_prefix_or_refused():
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B)
    vm.write(0, 0, blk("A"))
    vm.write(1, 0, blk("B"))
    vm.enable_protection()
    vm.copy_next_disk()                       # disk 0 copied (holds A), disk 1 not yet
    vm.crash_source_host()
    old_history = list(vm.history)
    try:
        report = vm.unplanned_failover()
    except DataPathError:
        return                                # refusing is acceptable: there is no recovery point
    held = len(old_history) - len(report.lost_writes)
    assert report.lost_writes == tuple(old_history[held:])
    assert vm.source_disks() == replay(blank_disks(), old_history[:held])


def test_reverse_replication_after_planned_failover_is_delta_only_even_with_new_writes():
    vm = _running_with_unsent()
    vm.shutdown()
    vm.planned_failover()
    vm.start()
    vm.write(1, 8, blk("after failover"))
    vm.commit()
    vm.write(0, 9, blk("after commit"))
    assert vm.reverse_replicate() is True
    assert vm.phase == "delta" and vm.target == 0
    vm.write(1, 10, blk("after reverse"))
    assert vm.replicate() == 3
    assert vm.replica_disks() == vm.source_disks() == vm.images[0] == history_replay(vm)


def test_reverse_after_a_planned_failover_moved_to_an_older_point_ends_with_equal_sides(small_chunks):
    vm = _running_with_unsent()
    vm.shutdown()
    vm.planned_failover()
    report = vm.change_recovery_point(-2)
    assert report.lost_writes                   # the older point lacks the last cycle
    vm.commit()
    if not vm.reverse_replicate():
        vm.resync()
    vm.start()
    vm.replicate()
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)


def test_reverse_replication_after_unplanned_failover_needs_resync_which_discards_the_lost_writes(small_chunks):
    vm = _running_with_unsent()
    report = vm.unplanned_failover()
    lost_blocks = {(w.disk, w.block) for w in report.lost_writes}
    vm.start()
    vm.write(1, 12, blk("new source"))
    vm.commit()
    assert vm.reverse_replicate() is False
    assert vm.phase == "resync_required"
    with pytest.raises(DataPathError):
        vm.replicate()
    assert all(vm.images[0][d].read(b) != vm.source_disks()[d].read(b) for d, b in lost_blocks)
    reports = vm.resync()
    assert [r.differing_chunks for r in reports] == [(0,), (0, 3)]   # blocks 0 | 3 and 12
    assert vm.images[0] == vm.source_disks() == vm.replica_disks() == history_replay(vm)
    vm.write(0, 5, blk("later"))
    assert vm.replicate() == 1
    assert vm.replica_disks() == vm.source_disks()


def test_full_failback_returns_to_the_original_site_with_identical_data():
    vm = _running_with_unsent()
    vm.unplanned_failover()
    vm.start()
    vm.write(0, 4, blk("on recovery"))
    vm.commit()
    assert vm.reverse_replicate() is False
    vm.resync()
    vm.write(1, 5, blk("protected back"))
    vm.replicate()
    vm.write(1, 6, blk("unsent at failback"))
    vm.shutdown()
    report = vm.planned_failover()              # back to site 0
    assert report.lost_writes == ()
    assert vm.source == 0
    vm.commit()
    assert vm.reverse_replicate() is True
    vm.start()
    vm.write(0, 7, blk("home again"))
    vm.replicate()
    assert vm.source == 0 and vm.phase == "delta"
    assert vm.images[0] == vm.images[1] == vm.replica_disks() == history_replay(vm)
    assert vm.source_disks()[1].read(6) == blk("unsent at failback")


@pytest.mark.parametrize("kind", ["planned", "unplanned"])
def test_cancel_failover_returns_to_the_original_source_unprotected(kind):
    vm = _running_with_unsent()
    original, old_history = vm.source_disks(), list(vm.history)
    if kind == "planned":
        vm.shutdown()
        vm.planned_failover()
    else:
        vm.unplanned_failover()
    vm.start()
    vm.write(0, 11, blk("discarded"))
    vm.cancel_failover()
    assert vm.source == 0
    assert vm.source_disks() == original
    assert vm.history == old_history
    assert (vm.phase, vm.replica, vm.writers, vm.running) == ("unprotected", None, [], False)
    vm.start()
    vm.enable_protection()                        # it can be protected again (REQ-07)
    assert vm.phase == "initial_replication"


# =========================================================================== random runs

OPERATIONS = st.one_of(
    st.tuples(st.just("write"), st.integers(0, 1), st.integers(0, 3), st.integers(0, 3)),
    st.just(("replicate",)),
    st.just(("crash_resync",)),
    st.just(("require_resync",)),
)


def _check_invariants(vm: ReplicatedVm) -> None:
    assert vm.source_disks() == history_replay(vm)
    for i in range(len(vm.replica.points)):
        assert vm.replica_disks(i) == history_replay(vm, vm.applied_seq(i))
    assert vm.images[vm.target] == vm.replica.disks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(1, 3)), max_size=3),
       operations=st.lists(OPERATIONS, max_size=25))
def test_random_runs_keep_source_equal_to_history_and_points_equal_to_its_prefixes(before, operations):
    vm = ReplicatedVm("web", disks=2, blocks=4, block_size=8, retention=2)
    for disk, block, value in before:
        vm.write(disk, block, bytes([value]) * 8)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    pending = 0
    for operation in operations:
        if operation[0] == "write":
            _, disk, block, value = operation
            vm.write(disk, block, bytes([value]) * 8)
            pending += 1
        elif operation[0] == "replicate":
            assert vm.replicate() == pending
            pending = 0
        elif operation[0] == "crash_resync":
            vm.crash_source_host()
            vm.start()
            vm.resync()
            pending = 0
            assert len(vm.replica.points) == 1
        else:
            vm.require_resync()
            vm.resync()
            pending = 0
        _check_invariants(vm)
        assert vm.applied_seq() == len(vm.history) - pending
    for point in range(len(vm.replica.points)):       # failover never starts from a mix
        twin = vm.copy()
        held = twin.applied_seq(point)
        report = twin.unplanned_failover(point)
        assert report.lost_writes == tuple(vm.history[held:])
        assert twin.source_disks() == replay(blank_disks(2, 4, 8), vm.history[:held])
