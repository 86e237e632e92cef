"""Claims about disk images and the replica's recovery points (atomic apply, retention, undo logs).

Modules: hvr_model.blockstore.disk (DiskImage), hvr_model.blockstore.replica
(ReplicaVm, undo logs), driven through hvr_model.blockstore.ReplicatedVm where
the claim is about the points a VM's replica keeps. Requirements: REQ-14/15
(recovery points, undo logs), REQ-27 (changing the point before commit, commit).

Disks are tiny (16 blocks of 16 bytes) except where a claim is about size.
Every expected value is computed independently of the code under test: by
replaying the guest writes (``replay``, in helpers.py) on blank disks.
"""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from hvr_model.blockstore import DataPathError, ReplicatedVm, hrl
from hvr_model.blockstore.disk import DiskImage
from hvr_model.blockstore.replica import ApplyInterrupted, ReplicaVm, UndoLog, UndoLogCorrupted

from .helpers import (
    B, N, blk, blank_disks, replay, history_replay, protected, replica_side, switch_all, sign,
)


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


@pytest.mark.parametrize("writes, message", [
    ({0: [(1, blk("ok")), (N, blk("past"))]}, f"disk 0 has blocks 0..{N - 1}, a write names block {N}"),
    ({1: [(2**64 - 1, blk("far"))]}, f"disk 1 has blocks 0..{N - 1}, a write names block {2**64 - 1}"),
    ({0: [(-1, blk("neg"))]}, "a write names block -1"),
    ({2: [(0, blk("nodisk"))]}, "the replica has disks 0..1, a write names disk 2"),
    ({0: [(0, b"short")]}, "a write to block 0 holds 5 bytes"),
])
def test_apply_refuses_a_write_outside_the_replica_before_staging_anything(writes, message):
    """Defence in depth behind the log checks: a bad index is a clear ValueError, never an
    IndexError or a write to another block (a negative index would wrap around)."""
    r = _replica_with_history()
    before = (r.disks, r.points)
    with pytest.raises(ValueError, match=re.escape(message)):
        r.apply(writes)
    assert (r.disks, r.points) == before


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
    accepted = [hrl.accept(data, policy=vm.hosts[vm.target].policy, vm="web", disk=d, block_size=B, blocks=N,
                           relationship=vm.relationship, generation=vm.replica_generation,
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
