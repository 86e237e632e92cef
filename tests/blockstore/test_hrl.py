"""Claims about the replication log format and the replica's acceptance rules (hvr_model.blockstore.hrl).

REQ-10 (a log per interval, chained), REQ-35 (Kerberos or certificate),
REQ-36 (authorization entries, refusal changes nothing), REQ-37 (checksums on
header, entry metadata and data blocks; chain by id; end marker). Byte offsets
come from ``record_spans``, the layout the encoder produces, never from guesses.
"""
from __future__ import annotations

import tracemalloc

import pytest
import xxhash
from hypothesis import HealthCheck, given, settings, strategies as st

from hvr_model.blockstore import hrl
from hvr_model.blockstore.hrl import (
    AuthorizationEntry, Credential, LogAuthenticationFailed, LogCorrupted, LogEntry,
    LogForWrongDisk, LogHeader, LogNotClosed, LogOutOfSequence, LogRejected, LogTruncated,
    LogUnauthorized, LogWriter, ReplicaServerPolicy, ReplicationLog, accept, decode, encode,
    record_spans,
)
from hvr_model.blockstore.hrl.security import _mac

SERVER = "hv1.contoso.com"
OUTSIDER = "hv7.fabrikam.com"
BLOCK = 16
KEY = Credential(SERVER, bytes(range(32)), "kerberos")
OUTSIDER_KEY = Credential(OUTSIDER, bytes(range(100, 132)), "certificate")
CONTOSO = AuthorizationEntry("*.contoso.com", "/replica/contoso", "dc-east")
POLICY = ReplicaServerPolicy({SERVER: KEY, OUTSIDER: OUTSIDER_KEY}, (CONTOSO,))
WRITES = ((3, b"a" * BLOCK), (7, b"b" * BLOCK), (3, b"c" * BLOCK))
RELATIONSHIP = 0x5EED_0F_7E1A7104      # the replication relationship of web's disk 0
GENERATION = 3                          # its current generation on the replica
DISK_BLOCKS = 2**41                     # blocks of the replica disk: every index the tests write fits


def tracker(**overrides) -> LogWriter:
    args = dict(vm="web", disk=0, source_server=SERVER, block_size=BLOCK, relationship=RELATIONSHIP,
                generation=GENERATION) | overrides
    return LogWriter(**args)


def closed_log(writes=WRITES, **overrides) -> ReplicationLog:
    writer = tracker(**overrides)
    for block, data in writes:
        writer.record(block, data)
    return writer.switch()


def accept_web(data: bytes, last_applied_id: int = 0, policy: ReplicaServerPolicy = POLICY,
               **overrides) -> ReplicationLog:
    """accept() for the replica of disk 0 of VM web (block size 16), at generation GENERATION."""
    target = dict(vm="web", disk=0, block_size=BLOCK, blocks=DISK_BLOCKS, relationship=RELATIONSHIP,
                  generation=GENERATION) | overrides
    return accept(data, policy=policy, last_applied_id=last_applied_id, **target)


def flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


def span(log: ReplicationLog, part: str, entry: int | None = None) -> hrl.Span:
    return next(s for s in record_spans(log) if s.part == part and (entry is None or s.entry == entry))


def resign(data: bytes, credential: Credential) -> bytes:
    """What a buggy but authentic tracker sends: the bytes as given, with a valid MAC."""
    unsigned = data[:-32]
    return unsigned + _mac(credential, unsigned)


# --------------------------------------------------------------------------- round trips, tracker

def test_open_log_round_trips_for_inspection_only():
    writer = tracker()
    for block, data in WRITES:
        writer.record(block, data)
    decoded = decode(encode(writer.open_log, KEY), allow_open=True)
    assert decoded == writer.open_log and decoded.closed is False


def test_closed_log_round_trips():
    log = closed_log()
    assert decode(encode(log, KEY)) == log and log.closed


def test_empty_closed_log_round_trips():
    log = closed_log(writes=())
    assert decode(encode(log, KEY)) == log and log.entries == ()


def test_encoded_length_is_the_layout_length():
    log = closed_log()
    assert len(encode(log, KEY)) == record_spans(log)[-1].stop


def test_switch_chains_ids_each_log_naming_the_one_before():
    writer = tracker()
    logs = [writer.switch() for _ in range(4)]
    assert [(log.header.log_id, log.header.predecessor_id) for log in logs] == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert all(log.closed for log in logs) and writer.open_log.header.predecessor_id == 4


def test_tracker_started_after_a_baseline_names_the_baseline_as_predecessor():
    log = tracker(first_log_id=6).switch()
    assert (log.header.log_id, log.header.predecessor_id) == (6, 5)
    assert accept_web(encode(log, KEY), last_applied_id=5) == log


def test_switch_marks_only_the_closed_log_app_consistent():
    writer = tracker()
    assert writer.switch(app_consistent=True).header.app_consistent
    assert not writer.open_log.header.app_consistent
    assert decode(encode(tracker().switch(app_consistent=True), KEY)).header.app_consistent


def test_open_log_is_never_closed_and_grows_with_each_write():
    writer = tracker()
    writer.record(1, b"x" * BLOCK)
    assert writer.open_log.closed is False and writer.open_log.entries == (LogEntry(1, b"x" * BLOCK),)


@pytest.mark.parametrize("block, data", [(0, b"x" * (BLOCK - 1)), (0, b"x" * (BLOCK + 1)), (-1, b"x" * BLOCK)])
def test_record_refuses_a_write_that_is_not_one_whole_block(block, data):
    with pytest.raises(ValueError):
        tracker().record(block, data)


def test_record_refuses_data_that_is_not_bytes():
    with pytest.raises(TypeError):
        tracker().record(0, BLOCK)


def test_discard_drops_the_open_entries_and_keeps_the_log_id():
    writer = tracker()
    writer.switch()
    writer.record(1, b"x" * BLOCK)
    writer.discard()
    assert writer.open_log.entries == () and writer.open_log.header.log_id == 2


# --------------------------------------------------------------------------- corruption (decode)

@pytest.mark.parametrize("part", ["header", "entry metadata", "data block", "end marker"])
@pytest.mark.parametrize("where", ["middle", "checksum"])
def test_flipped_byte_raises_log_corrupted_naming_the_part(part, where):
    log = closed_log()
    region = span(log, part, entry=1 if part in ("entry metadata", "data block") else None)
    offset = (region.start + region.stop) // 2 if where == "middle" else region.stop - 1
    with pytest.raises(LogCorrupted) as info:
        decode(flip(encode(log, KEY), offset))
    assert info.value.field == part and part in str(info.value)


def test_header_middle_byte_is_past_the_preamble_so_only_the_checksum_can_catch_it():
    log = closed_log()
    preamble = 8 + len(SERVER.encode())
    assert span(log, "header").stop // 2 >= preamble


@pytest.mark.parametrize("offset, field", [(0, "magic"), (4, "version")])
def test_bad_magic_or_version_raises_log_corrupted(offset, field):
    with pytest.raises(LogCorrupted) as info:
        decode(flip(encode(closed_log(), KEY), offset))
    assert info.value.field == field


def test_unknown_record_tag_raises_log_corrupted():
    log = closed_log()
    with pytest.raises(LogCorrupted) as info:
        decode(flip(encode(log, KEY), span(log, "end marker").start))
    assert info.value.field == "record tag"


def test_stray_bytes_after_the_trailer_raise_log_corrupted():
    with pytest.raises(LogCorrupted) as info:
        decode(encode(closed_log(), KEY) + b"\0")
    assert info.value.field == "trailer"


def _with_u32(data: bytes, offset: int, value: int, checked: slice) -> bytes:
    """``data`` with the u32 at ``offset`` set to ``value``, the checksum right after ``checked``
    recomputed and the MAC re-signed: what a buggy but authentic tracker could send."""
    changed = bytearray(data)
    changed[offset:offset + 4] = value.to_bytes(4, "little")
    changed[checked.stop:checked.stop + 8] = xxhash.xxh3_64_intdigest(bytes(changed[checked])).to_bytes(8, "little")
    return resign(bytes(changed), KEY)


@pytest.mark.parametrize("field", ["entry length", "header block size"])
def test_a_huge_length_field_is_refused_without_allocating_it(field):
    """No structural field is used as a size unchecked: an entry length must be the block size, and
    every length is checked against the bytes present before anything is copied."""
    log = closed_log()
    data = encode(log, KEY)
    if field == "entry length":
        meta = span(log, "entry metadata", 0)
        huge = _with_u32(data, meta.start + 12, 2**32 - 1, slice(meta.start, meta.start + 16))
    else:
        header = span(log, "header")
        end = header.stop - 8 - len(b"web")           # the VM name and the checksum follow the fields
        huge = _with_u32(data, end - 4, 2**32 - 1, slice(0, header.stop - 8))
    tracemalloc.start()
    try:
        with pytest.raises(LogRejected) as info:
            accept_web(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert type(info.value) is LogCorrupted and info.value.field == "entry metadata", repr(info.value)
    assert "4294967295" in str(info.value) and peak < 1 << 20


def test_corrupted_log_is_refused_by_accept_as_an_authentication_failure_first():
    log = closed_log()
    data = flip(encode(log, KEY), (span(log, "data block", 0).start + span(log, "data block", 0).stop) // 2)
    with pytest.raises(LogAuthenticationFailed):
        accept_web(data)


@pytest.mark.parametrize("part", ["header", "entry metadata", "data block"])
def test_authentic_log_with_a_bad_checksum_is_refused_by_accept(part):
    log = closed_log()
    region = span(log, part, entry=0 if part != "header" else None)
    data = resign(flip(encode(log, KEY), region.stop - 1), KEY)
    with pytest.raises(LogCorrupted) as info:
        accept_web(data)
    assert info.value.field == part


# --------------------------------------------------------------------------- truncation

def cut_points(log: ReplicationLog) -> dict[str, int]:
    spans = {(s.part, s.entry): s for s in record_spans(log)}
    return {
        "inside the preamble": 3,
        "inside the header": spans["header", None].stop - 1,
        "inside entry metadata": spans["entry metadata", 1].start + 5,
        "inside a data block": spans["data block", 1].start + BLOCK // 2,
        "inside a data block checksum": spans["data block", 2].stop - 3,
        "inside the end marker": spans["end marker", None].start + 6,
        "after the end marker, before the trailer": spans["end marker", None].stop,
        "inside the trailer": spans["trailer", None].stop - 1,
    }


@pytest.mark.parametrize("where", list(cut_points(closed_log())))
def test_log_cut_inside_a_record_raises_log_truncated(where):
    log = closed_log()
    with pytest.raises(LogTruncated):
        decode(encode(log, KEY)[:cut_points(log)[where]])


def test_empty_bytes_raise_log_truncated():
    with pytest.raises(LogTruncated):
        decode(b"")


@pytest.mark.parametrize("boundary", ["before the end marker", "between two entries"])
def test_log_cut_exactly_between_records_before_the_end_marker_raises_log_not_closed(boundary):
    log = closed_log()
    cut = span(log, "end marker").start if boundary == "before the end marker" else span(log, "data block", 0).stop
    data = encode(log, KEY)[:cut]
    with pytest.raises(LogNotClosed):
        decode(data)
    assert decode(data, allow_open=True).closed is False


def test_log_cut_short_is_refused_by_accept():
    log = closed_log()
    with pytest.raises(LogRejected):
        accept_web(encode(log, KEY)[:span(log, "end marker").start])


# --------------------------------------------------------------------------- accept: closed, chain, disk

def test_unclosed_log_is_refused_by_accept_even_when_authentic():
    writer = tracker()
    writer.record(0, b"x" * BLOCK)
    with pytest.raises(LogNotClosed):
        accept_web(encode(writer.open_log, KEY))


def test_accept_returns_exactly_the_recorded_entries_in_write_order():
    accepted = accept_web(encode(closed_log(), KEY))
    assert accepted.entries == tuple(LogEntry(block, data) for block, data in WRITES)
    assert accepted.header.source_server == SERVER and accepted.closed


def test_accept_takes_a_chain_of_logs_in_order():
    writer = tracker()
    last = 0
    for round_ in range(3):
        writer.record(round_, bytes([round_]) * BLOCK)
        last = accept_web(encode(writer.switch(), KEY), last_applied_id=last).header.log_id
    assert last == 3


def test_replayed_log_is_refused_as_out_of_sequence():
    data = encode(closed_log(), KEY)
    accept_web(data, last_applied_id=0)
    with pytest.raises(LogOutOfSequence) as info:
        accept_web(data, last_applied_id=1)
    assert "replayed" in str(info.value)


def test_log_arriving_before_its_predecessor_is_refused_as_out_of_sequence():
    writer = tracker()
    writer.switch()
    second = writer.switch()
    with pytest.raises(LogOutOfSequence) as info:
        accept_web(encode(second, KEY), last_applied_id=0)
    assert "reordered or skipped" in str(info.value)


def test_log_id_two_ahead_is_refused_as_out_of_sequence():
    writer = tracker()
    writer.switch()
    writer.switch()
    third = writer.switch()
    with pytest.raises(LogOutOfSequence, match="log 3 arrived before log 2"):
        accept_web(encode(third, KEY), last_applied_id=1)


def test_log_naming_another_predecessor_is_refused_as_out_of_sequence():
    header = LogHeader("web", 0, 2, 0, SERVER, BLOCK, relationship=RELATIONSHIP, generation=GENERATION)
    with pytest.raises(LogOutOfSequence) as info:
        accept_web(encode(ReplicationLog(header, (), closed=True), KEY), last_applied_id=1)
    assert info.value.field == "predecessor_id"


@pytest.mark.parametrize("target, field", [({"disk": 1}, "disk"), ({"vm": "sql"}, "vm"),
                                           ({"block_size": 2 * BLOCK}, "block_size")])
def test_log_for_another_disk_is_refused(target, field):
    with pytest.raises(LogForWrongDisk) as info:
        accept_web(encode(closed_log(), KEY), **target)
    assert info.value.field == field


def test_refusal_leaves_the_replica_unchanged():
    replica = {0: b"0" * BLOCK}
    before = dict(replica)
    data = encode(closed_log(writes=((0, b"n" * BLOCK),)), KEY)
    for attempt in (lambda: accept_web(data, disk=1), lambda: accept_web(data, last_applied_id=1),
                    lambda: accept_web(flip(data, len(data) // 2))):
        with pytest.raises(LogRejected):
            for entry in attempt().entries:  # the replica applies only what accept returned
                replica[entry.block] = entry.data
    assert replica == before


# --------------------------------------------------------------------------- authentication, authorization

@pytest.mark.parametrize("method", ["kerberos", "certificate"])
def test_both_authentication_methods_are_accepted(method):
    credential = Credential(SERVER, b"m" * 32, method)
    policy = ReplicaServerPolicy({SERVER: credential}, (CONTOSO,))
    assert accept_web(encode(closed_log(), credential), policy=policy).entries


def test_log_signed_with_another_key_fails_authentication():
    forged = Credential(SERVER, b"f" * 32, "kerberos")
    with pytest.raises(LogAuthenticationFailed) as info:
        accept_web(encode(closed_log(), forged))
    assert info.value.field == "mac"


def test_log_signed_under_another_method_fails_authentication():
    same_key_other_method = Credential(SERVER, KEY.key, "certificate")
    with pytest.raises(LogAuthenticationFailed):
        accept_web(encode(closed_log(), same_key_other_method))


def test_tampered_mac_fails_authentication():
    data = encode(closed_log(), KEY)
    with pytest.raises(LogAuthenticationFailed):
        accept_web(flip(data, len(data) - 1))


def test_server_the_replica_holds_no_key_for_fails_authentication():
    stranger = Credential("hv2.contoso.com", b"s" * 32, "kerberos")
    with pytest.raises(LogAuthenticationFailed) as info:
        accept_web(encode(closed_log(source_server=stranger.server), stranger))
    assert info.value.field == "source_server"


def test_authenticated_server_without_authorization_entry_is_unauthorized():
    with pytest.raises(LogUnauthorized) as info:
        accept_web(encode(closed_log(source_server=OUTSIDER), OUTSIDER_KEY))
    assert info.value.field == "source_server"


def test_any_authenticated_mode_accepts_a_server_without_entry_into_default_storage():
    policy = ReplicaServerPolicy(POLICY.credentials, (CONTOSO,), allow_any_authenticated=True)
    log = closed_log(source_server=OUTSIDER)
    assert accept_web(encode(log, OUTSIDER_KEY), policy=policy) == log
    assert policy.authorize(OUTSIDER) is None and policy.authorize(SERVER) == CONTOSO


def test_any_authenticated_mode_still_requires_authentication():
    policy = ReplicaServerPolicy({}, (), allow_any_authenticated=True)
    with pytest.raises(LogAuthenticationFailed):
        accept_web(encode(closed_log(), KEY), policy=policy)


def test_exact_authorization_entry_wins_over_a_wildcard():
    exact = AuthorizationEntry(SERVER, "/replica/hv1", "dc-west")
    policy = ReplicaServerPolicy({}, (CONTOSO, exact))
    assert policy.authorize(SERVER) == exact and policy.authorize("hv3.contoso.com") == CONTOSO


@pytest.mark.parametrize("pattern", ["*", "hv*.contoso.com", "*.", "", "h?.contoso.com"])
def test_authorization_entry_takes_only_a_name_or_a_domain_wildcard(pattern):
    with pytest.raises(ValueError):
        AuthorizationEntry(pattern, "/replica", "dc")


def test_encode_refuses_to_sign_another_servers_log():
    with pytest.raises(ValueError):
        encode(closed_log(), OUTSIDER_KEY)


def test_credential_repr_does_not_show_the_key():
    assert KEY.key.hex() not in repr(KEY) and str(list(KEY.key)) not in repr(KEY)


def test_policy_credentials_cannot_be_changed_after_construction():
    with pytest.raises(TypeError):
        POLICY.credentials["intruder"] = KEY  # type: ignore[index]


# --------------------------------------------------------------------------- properties

writes_strategy = st.lists(
    st.tuples(st.integers(0, 2**40), st.binary(min_size=BLOCK, max_size=BLOCK)), max_size=6)


@given(writes=writes_strategy, closed=st.booleans(), app_consistent=st.booleans())
def test_any_sequence_of_writes_round_trips(writes, closed, app_consistent):
    writer = tracker()
    for block, data in writes:
        writer.record(block, data)
    log = writer.switch(app_consistent=app_consistent) if closed else writer.open_log
    assert decode(encode(log, KEY), allow_open=True) == log


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(writes=writes_strategy, data=st.data())
def test_any_single_flipped_byte_makes_accept_refuse(writes, data):
    log = closed_log(writes=writes)
    encoded = encode(log, KEY)
    assert accept_web(encoded) == log
    offset = data.draw(st.integers(0, len(encoded) - 1), label="offset")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(LogRejected):
        accept_web(flip(encoded, offset, mask))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(writes=writes_strategy, data=st.data())
def test_decode_of_a_flipped_byte_refuses_unless_the_byte_is_in_the_mac(writes, data):
    log = closed_log(writes=writes)
    encoded = encode(log, KEY)
    offset = data.draw(st.integers(0, len(encoded) - 1), label="offset")
    mask = data.draw(st.integers(1, 255), label="mask")
    if offset >= len(encoded) - 32:
        assert decode(flip(encoded, offset, mask)) == log
    else:
        with pytest.raises(LogRejected):
            decode(flip(encoded, offset, mask))


@given(writes=writes_strategy, data=st.data())
def test_any_cut_is_refused_with_truncated_or_not_closed(writes, data):
    log = closed_log(writes=writes)
    encoded = encode(log, KEY)
    cut = data.draw(st.integers(0, len(encoded) - 1), label="cut")
    with pytest.raises((LogTruncated, LogNotClosed)):
        decode(encoded[:cut])
    with pytest.raises(LogRejected):
        accept_web(encoded[:cut])
