"""Claims about replication sessions: every log is bound to its relationship and generation (REQ-16, 18-20, 28, 35-37).

Log ids restart at 1 whenever the chain restarts (protection enabled again, a
resync, reverse replication). A recorded authentic log of an earlier chain must
never be applied again, even when its id is exactly the one the replica expects
next: the header (covered by the MAC) names the relationship and its
generation, the replica accepts only its current generation, and the
generation never goes back. Every block index from the wire is range-checked
before use. A refusal changes nothing and the next genuine delta still applies.

Expected values are computed independently of the code under test (the guest
writes replayed on blank disks, ``history_replay``) or written out.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

from hvr_model.blockstore import DataPathError, ReplicatedVm, hrl
from hvr_model.blockstore.hrl import (
    Credential, LogAuthenticationFailed, LogForWrongDisk, LogOutOfSequence, LogRejected,
    LogStaleGeneration, LogWriter,
)

from .helpers import B, N, blk, history_replay, protected, replica_side, sign

U64 = 2**64 - 1


class _Tap:
    """Every delivery ``vm.receive`` gets, in order: the wire bytes an eavesdropper records."""

    def __init__(self, vm: ReplicatedVm):
        self.deliveries: list[list[bytes]] = []
        genuine = vm.receive

        def receive(wire, app_consistent=False):
            self.deliveries.append(list(wire))
            return genuine(wire, app_consistent)
        vm.receive = receive


def _assert_replay_refused(vm: ReplicatedVm, wire: list[bytes], error=LogStaleGeneration) -> LogRejected:
    """``wire`` is refused with exactly ``error`` and the replica is byte for byte as it was."""
    before = replica_side(vm)
    with pytest.raises(LogRejected) as info:
        vm.receive(wire)
    assert type(info.value) is error, repr(info.value)
    assert replica_side(vm) == before
    return info.value


def _next_delta_applies(vm: ReplicatedVm, disk: int = 0, block: int = 1, tag: str = "next") -> None:
    """A genuine write and cycle after the refusals: applied, both sides equal the replayed history."""
    applied = list(vm.last_applied)
    vm.write(disk, block, blk(tag, vm.block_size))
    vm.replicate()
    assert vm.last_applied == [a + 1 for a in applied]
    assert vm.replica_disks() == vm.source_disks() == history_replay(vm)


# =========================================================================== the attacker trial (regression)

def test_recorded_logs_replayed_after_a_resync_are_refused_and_replication_carries_on():
    """The reported bug: after a resync the chain restarted at id 1 and logs 1 and 2 of the old
    chain, replayed, were accepted (replica OLD!, source NEW!) and the next genuine log refused."""
    vm = ReplicatedVm("web", disks=1, blocks=4, block_size=4)
    tap = _Tap(vm)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()                     # log 1 on the wire
    vm.write(0, 0, b"OLD!")
    vm.replicate()                                        # log 2
    vm.write(0, 0, b"NEW!")
    vm.replicate()                                        # log 3
    vm.crash_source_host()
    vm.start()
    vm.resync()
    assert vm.replica_disks()[0].read(0) == vm.source_disks()[0].read(0) == b"NEW!"
    log1, log2 = tap.deliveries[0], tap.deliveries[1]
    for wire in (log1, log2):
        error = _assert_replay_refused(vm, wire)
        assert error.field == "generation"
    assert vm.replica_disks()[0].read(0) == b"NEW!" and vm.last_applied == [0]
    _next_delta_applies(vm, tag="gen2")


def test_each_restart_of_the_chain_starts_a_generation_that_never_goes_back(small_chunks):
    vm = ReplicatedVm("web", disks=1, blocks=N, block_size=B)
    seen = [vm.generation]
    vm.enable_protection()
    seen.append(vm.generation)
    vm.copy_next_disk()
    vm.complete_initial_replication()
    vm.crash_source_host()
    vm.start()
    vm.resync()
    seen.append(vm.generation)
    vm.disable_protection()
    seen.append(vm.generation)                            # a disable keeps the counter
    vm.enable_protection()
    seen.append(vm.generation)
    assert seen == sorted(seen) and len(set(seen)) == 4 and seen[2] == seen[3]
    vm.copy_next_disk()
    vm.complete_initial_replication()
    assert vm.replica_generation == vm.generation == vm.writers[0].generation


# =========================================================================== stale generations

def test_a_log_of_the_relationship_before_a_disable_is_refused_after_enabling_again():
    vm = ReplicatedVm("web", disks=1, blocks=N, block_size=B)
    tap = _Tap(vm)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()                     # old log 1
    vm.write(0, 3, blk("old"))
    vm.replicate()                                        # old log 2: predecessor 1
    vm.disable_protection()
    vm.write(0, 3, blk("new"))
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()                     # new log 1: the replica expects log 2 next
    assert vm.last_applied == [1]
    old_log2 = tap.deliveries[1]
    assert hrl.decode(old_log2[0]).header.log_id == 2    # exactly the id the new chain expects
    _assert_replay_refused(vm, old_log2)
    _assert_replay_refused(vm, tap.deliveries[0])
    assert vm.replica_disks()[0].read(3) == blk("new")
    _next_delta_applies(vm)


def _tapped(disks: int = 1) -> tuple[ReplicatedVm, _Tap]:
    """A VM whose initial replication is complete (its log 1 recorded by the tap)."""
    vm = ReplicatedVm("web", disks=disks, blocks=N, block_size=B)
    tap = _Tap(vm)
    vm.enable_protection()
    while len(vm.copied) < disks:
        vm.copy_next_disk()
    vm.complete_initial_replication()
    return vm, tap


def test_a_log_of_the_old_direction_is_refused_after_reverse_replication():
    vm, tap = _tapped()
    vm.write(0, 2, blk("before"))
    vm.replicate()
    vm.shutdown()
    vm.planned_failover()
    vm.commit()
    assert vm.reverse_replicate() is True                 # delta only: the new replica expects log 1
    vm.start()
    assert vm.last_applied == [0]
    first = tap.deliveries[0]                             # log 1 of the old direction, its own key
    assert hrl.decode(first[0]).header.predecessor_id == 0
    _assert_replay_refused(vm, first)
    _assert_replay_refused(vm, tap.deliveries[1])
    _next_delta_applies(vm, tag="back")


def test_a_log_of_the_old_direction_is_refused_after_an_unplanned_failover_and_resync(small_chunks):
    vm, tap = _tapped()
    vm.write(0, 2, blk("sent"))
    vm.replicate()
    vm.unplanned_failover()
    vm.commit()
    assert vm.reverse_replicate() is False
    vm.resync()
    vm.start()
    assert vm.last_applied == [0]
    _assert_replay_refused(vm, tap.deliveries[0])
    _next_delta_applies(vm, tag="after")


def test_a_replay_within_its_own_generation_is_still_refused_as_out_of_sequence():
    vm = protected(disks=1)
    tap = _Tap(vm)
    vm.write(0, 0, blk("a"))
    vm.replicate()
    _assert_replay_refused(vm, tap.deliveries[0], LogOutOfSequence)
    _next_delta_applies(vm)


def test_rewriting_the_generation_of_a_recorded_log_breaks_its_mac(small_chunks):
    """The generation is in the signed header: an attacker without the key cannot move a log to
    the current generation (checksums recomputed, the original MAC kept)."""
    vm = protected(disks=1)
    tap = _Tap(vm)
    vm.write(0, 0, blk("a"))
    vm.replicate()
    vm.crash_source_host()
    vm.start()
    vm.resync()
    wire = tap.deliveries[0][0]
    log = hrl.decode(wire)
    moved = replace(log, header=replace(log.header, generation=vm.replica_generation, log_id=1,
                                        predecessor_id=0))
    guessed_key = Credential(log.header.source_server, b"attacker-guess!!" * 2, "kerberos")
    forged = hrl.encode(moved, guessed_key)[:-32] + wire[-32:]
    _assert_replay_refused(vm, [forged], LogAuthenticationFailed)
    _next_delta_applies(vm)


# =========================================================================== the wiretap the model replays

def test_wiretap_keeps_the_first_delta_of_each_generation_for_a_replay(small_chunks):
    vm = ReplicatedVm("web", disks=2, blocks=N, block_size=B, wiretap=True)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    recorded = vm.recorded
    assert [log.header.log_id for log in recorded[1]] == [1, 1]
    vm.write(0, 0, blk("a"))
    vm.replicate()
    assert vm.recorded is recorded                        # only the first delta of a generation
    assert isinstance(vm.receive_replayed_delta(), LogOutOfSequence)
    vm.crash_source_host()
    vm.start()
    vm.resync()
    before = replica_side(vm)
    refusal = vm.receive_replayed_delta()
    assert isinstance(refusal, LogStaleGeneration) and replica_side(vm) == before
    _next_delta_applies(vm, disk=1)
    assert vm.recorded is not recorded and vm.recorded[1][0].header.generation == vm.replica_generation


def test_without_the_wiretap_nothing_is_recorded_to_replay():
    vm = protected(disks=1)
    assert vm.recorded == ()
    with pytest.raises(DataPathError, match="no delta was recorded"):
        vm.receive_replayed_delta()


def test_the_key_stays_the_same_over_repeated_resyncs(small_chunks):
    """Generations are kept relative in the key: a bounded model with resyncs stays finite."""
    vm = ReplicatedVm("web", disks=1, blocks=N, block_size=B, wiretap=True)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    keys = []
    for _ in range(3):
        vm.crash_source_host()
        vm.start()
        vm.resync()
        keys.append(vm.key())
    assert vm.generation == 4 and keys[0] == keys[1] == keys[2]


# =========================================================================== block indices from the wire

@pytest.mark.parametrize("block", [4, U64])
def test_an_authentic_log_naming_a_block_outside_the_disk_is_refused(block):
    vm = ReplicatedVm("web", disks=1, blocks=4, block_size=4)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    vm.write(0, 3, b"good")
    vm.replicate()
    writer = LogWriter("web", 0, vm.hosts[vm.source].server, 4, first_log_id=vm.last_applied[0] + 1,
                       relationship=vm.relationship, generation=vm.replica_generation)
    writer.record(block, b"evil")
    error = _assert_replay_refused(vm, sign(vm, [writer.switch()]), LogForWrongDisk)
    assert error.field == "entry metadata" and str(block) in str(error)
    assert vm.replica_disks()[0].read(3) == b"good"
    _next_delta_applies(vm)


def test_accept_takes_every_block_inside_the_disk_and_none_outside():
    key = Credential("hv1.contoso.com", b"k" * 32, "kerberos")
    policy = hrl.ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    writer = LogWriter("web", 0, key.server, 1, relationship=5, generation=2)
    for block in range(4):
        writer.record(block, b"x")
    data = hrl.encode(writer.switch(), key)
    target = dict(policy=policy, vm="web", disk=0, block_size=1, relationship=5, generation=2,
                  last_applied_id=0)
    assert len(hrl.accept(data, blocks=4, **target).entries) == 4
    with pytest.raises(LogForWrongDisk, match="names block 3, the disk has 3 blocks"):
        hrl.accept(data, blocks=3, **target)


@pytest.mark.parametrize("name, value", [("blocks", 0), ("generation", -1), ("relationship", 2**64),
                                         ("generation", True)])
def test_accept_refuses_an_out_of_range_expectation(name, value):
    key = Credential("hv1.contoso.com", b"k" * 32, "kerberos")
    policy = hrl.ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    target = dict(policy=policy, vm="web", disk=0, block_size=1, blocks=4, relationship=5, generation=2,
                  last_applied_id=0) | {name: value}
    with pytest.raises(ValueError, match=name):
        hrl.accept(b"", **target)


# =========================================================================== any other session is refused

KEY = Credential("hv1.contoso.com", bytes(range(32)), "kerberos")
POLICY = hrl.ReplicaServerPolicy({KEY.server: KEY}, (), allow_any_authenticated=True)
sessions = st.tuples(st.integers(0, U64), st.integers(0, U64))


@settings(max_examples=200, deadline=None)
@given(expected=sessions, sent=sessions, log_id=st.integers(1, 5))
def test_a_log_of_any_other_relationship_or_generation_is_refused(expected, sent, log_id):
    """Whatever the ids: the log is accepted only in its own relationship and generation."""
    (relationship, generation), (log_relationship, log_generation) = expected, sent
    writer = LogWriter("web", 0, KEY.server, 1, first_log_id=log_id, relationship=log_relationship,
                       generation=log_generation)
    writer.record(0, b"r")
    data = hrl.encode(writer.switch(), KEY)
    target = dict(policy=POLICY, vm="web", disk=0, block_size=1, blocks=1, relationship=relationship,
                  generation=generation, last_applied_id=log_id - 1)
    if sent == expected:
        assert hrl.accept(data, **target).entries[0].data == b"r"
        return
    with pytest.raises(LogRejected) as info:
        hrl.accept(data, **target)
    if log_relationship != relationship:
        assert type(info.value) is LogForWrongDisk and info.value.field == "relationship"
    else:
        assert type(info.value) is LogStaleGeneration and info.value.field == "generation"


@settings(max_examples=25, deadline=None)
@given(restarts=st.integers(0, 3), other=st.integers(0, 8))
def test_the_data_path_applies_only_logs_of_its_current_generation(restarts, other):
    vm = ReplicatedVm("web", disks=1, blocks=4, block_size=4)
    vm.enable_protection()
    vm.copy_next_disk()
    vm.complete_initial_replication()
    for _ in range(restarts):
        vm.crash_source_host()
        vm.start()
        vm.resync()
    writer = LogWriter("web", 0, vm.hosts[vm.source].server, 4, first_log_id=vm.last_applied[0] + 1,
                       relationship=vm.relationship, generation=other)
    writer.record(0, b"mine")
    wire = sign(vm, [writer.switch()])
    if other == vm.replica_generation:
        vm.receive(wire)
        assert vm.replica_disks()[0].read(0) == b"mine"
    else:
        _assert_replay_refused(vm, wire)


def test_a_relationship_of_its_own_refuses_the_logs_of_another_with_the_same_vm_and_hosts():
    """A VM recreated under the same name between the same hosts starts its generations again:
    given a fresh relationship id, the old VM's logs are refused for their relationship."""
    old = ReplicatedVm("web", disks=1, blocks=4, block_size=4)
    tap = _Tap(old)
    old.enable_protection()
    old.copy_next_disk()
    old.complete_initial_replication()
    new = ReplicatedVm("web", disks=1, blocks=4, block_size=4, relationship=old.relationship ^ 1)
    new.enable_protection()
    new.copy_next_disk()
    new.complete_initial_replication()
    assert (new.generation, new.last_applied) == (old.generation, old.last_applied) == (1, [1])
    wire = [hrl.encode(replace(log, header=replace(log.header, log_id=2, predecessor_id=1)),
                       old.hosts[0].credential) for log in map(hrl.decode, tap.deliveries[0])]
    error = _assert_replay_refused(new, wire, LogForWrongDisk)
    assert error.field == "relationship"
    with pytest.raises(ValueError, match="64-bit id"):
        ReplicatedVm("web", relationship=2**64)
