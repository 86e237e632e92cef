"""Claims about resynchronization by chunk checksums (hvr_model.blockstore.resync) and its use.

Modules: hvr_model.blockstore.resync (chunk digests, resync_disk), driven
through hvr_model.blockstore.ReplicatedVm where the claim is about when a VM
needs a resync and what it leaves. Requirements: REQ-16..20 (resync).

Disks are tiny (16 blocks of 16 bytes) except where a claim is about size.
Every expected value is computed independently of the code under test: by
replaying the guest writes (``replay``, in helpers.py) on blank disks.
"""
from __future__ import annotations

import concurrent.futures
import threading

import pytest

from hvr_model.blockstore import DataPathError, resync
from hvr_model.blockstore.disk import DiskImage
from hvr_model.blockstore.hrl import LogAuthenticationFailed, LogOutOfSequence
from hvr_model.blockstore.resync import chunk_digests, resync_disk

from .helpers import B, N, CHUNK, blk, history_replay, protected, switch_all


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
