"""Claims about what the replica host accepts through the data path (REQ-35..37).

hvr_model.blockstore.ReplicatedVm driven through hvr_model.blockstore.hrl wire
bytes: authentication, authorization and log integrity; a refused delivery
changes nothing on the replica.

Disks are tiny (16 blocks of 16 bytes) except where a claim is about size.
Every expected value is computed independently of the code under test: by
replaying the guest writes (``replay``, in helpers.py) on blank disks.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from hvr_model.blockstore import Host, ReplicatedVm, hrl
from hvr_model.blockstore.hrl import (
    AuthorizationEntry, Credential, LogAuthenticationFailed, LogCorrupted, LogForWrongDisk,
    LogNotClosed, LogOutOfSequence, LogRejected, LogTruncated, LogUnauthorized, LogWriter,
    ReplicaServerPolicy,
)

from .helpers import (
    B, PRIMARY_NAME, RECOVERY_NAME, OUTSIDER_NAME, blk, history_replay, protected, replica_side,
    switch_all, sign, flip, span, resign,
)


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
        writer = LogWriter(vm.name, disk, credential.server, B, first_log_id=vm.last_applied[disk] + 1,
                           relationship=vm.relationship, generation=vm.replica_generation)
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
    other = LogWriter("db", 0, credential.server, B, first_log_id=vm.last_applied[0] + 1,
                      relationship=vm.relationship, generation=vm.replica_generation)
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
