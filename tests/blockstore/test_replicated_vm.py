"""Claims about the reference data path, hvr_model.blockstore.ReplicatedVm, on real bytes.

Initial replication, delta cycles, failover and random runs of the whole data
path. Requirements: REQ-08 (initial replication), REQ-10/12 (delta cycles, all
disks at one point), REQ-24..29 (failover, commit, reverse replication,
failback), REQ-30 (cancel failover).

Disks are tiny (16 blocks of 16 bytes) except where a claim is about size.
Every expected value is computed independently of the code under test: by
replaying the guest writes (``replay``, in helpers.py) on blank disks.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hvr_model.blockstore import DataPathError, ReplicatedVm
from hvr_model.blockstore.hrl import LogAuthenticationFailed, LogRejected

from .helpers import (
    B, N, blk, blank_disks, replay, history_replay, protected, replica_side, switch_all, sign,
    flip,
)


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
def test_cancel_failover_keeps_the_relationship_and_the_pending_log(kind):
    """REQ-30 b: the failover disk is discarded; the source resumes from its pending log."""
    vm = _running_with_unsent()
    original, old_history = vm.source_disks(), list(vm.history)
    points = len(vm.replica.points)
    if kind == "planned":
        vm.shutdown()
        vm.planned_failover()
    else:
        vm.unplanned_failover()
    vm.start()
    vm.write(0, 11, blk("discarded"))
    vm.cancel_failover()
    assert vm.source == 0 and vm.phase == "delta" and not vm.running
    assert vm.source_disks() == original
    assert vm.history == old_history
    assert len(vm.replica.points) >= points       # every recovery point is kept (retention permitting)
    vm.start()
    vm.replicate()                               # the unsent writes of the unplanned case go now
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)


def test_failover_again_after_cancel_starts_from_the_chosen_point():
    """REQ-30 b: after a cancel another failover (to an older point) gives that point's data."""
    vm = _running_with_unsent()
    older = vm.replica.point_disks(-2)
    vm.unplanned_failover()
    vm.cancel_failover()
    report = vm.unplanned_failover(point=-2)
    assert vm.source_disks() == older
    assert report.lost_writes == tuple(vm._old_history[vm.point_seq[vm.replica.points[-2].point_id]:])


def test_offline_initial_replication_merges_held_deltas_after_the_import():
    """REQ-09: deltas sent before the import are held, then merged: the replica equals the source."""
    vm = ReplicatedVm("app", disks=2, blocks=4, block_size=16)
    vm.write(0, 0, blk("before export"))
    vm.enable_protection()
    vm.copy_disk(0)
    vm.write(0, 1, blk("during export"))
    assert vm.send_held_logs() == 1
    vm.copy_disk(1)
    vm.write(1, 2, blk("after the held delta"))
    assert vm.send_held_logs() == 1
    assert vm.replica is None                       # nothing merged before the import
    vm.complete_initial_replication()
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)
    assert vm.held == ()


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
