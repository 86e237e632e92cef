"""The replica host's checks before it applies a log: :func:`accept` (REQ-35, 36, 37).

Authenticate the claimed source server by the MAC (REQ-35), authorize it
(REQ-36), decode with every checksum and require the end marker (REQ-37), then
check the destination disk and the id chain. A refusal raises a
:class:`~hvr_model.blockstore.hrl.errors.LogRejected` and changes nothing; the
caller applies the returned log (REQ-36). The format read is the model's own,
inspired by [MS-HRL] (see :mod:`hvr_model.blockstore.hrl`).
"""
from __future__ import annotations

import hmac

from .decoding import _read_preamble, decode
from .errors import (
    LogAuthenticationFailed, LogForWrongDisk, LogNotClosed, LogOutOfSequence, LogTruncated,
)
from .records import _MAC_SIZE, _TRAILER_SIZE, _U64, LogHeader, ReplicationLog, _is_int_in
from .security import Credential, ReplicaServerPolicy, _mac

__all__ = ["accept"]


def _authenticate(view: memoryview, credential: Credential, signed_from: int) -> None:
    """Verify the MAC of ``view`` with ``credential`` (constant-time comparison)."""
    if len(view) < signed_from + _TRAILER_SIZE:
        raise LogTruncated("the log is too short to hold a trailer", field="trailer")
    expected = _mac(credential, view[:-_MAC_SIZE])
    if not hmac.compare_digest(expected, view[-_MAC_SIZE:]):
        raise LogAuthenticationFailed(
            f"MAC does not verify with the {credential.method} key of {credential.server!r} "
            "(altered, cut short, or signed with another key)", field="mac")


def _check_destination(header: LogHeader, vm: str, disk: int, block_size: int) -> None:
    for name, found, wanted in (("vm", header.vm, vm), ("disk", header.disk, disk),
                                ("block_size", header.block_size, block_size)):
        if found != wanted:
            raise LogForWrongDisk(f"log {header.log_id} is for {name} {found!r}, "
                                  f"this replica disk has {name} {wanted!r}", field=name)


def _check_sequence(header: LogHeader, last_applied_id: int) -> None:
    log_id, expected = header.log_id, last_applied_id + 1
    if log_id < expected:
        raise LogOutOfSequence(f"replayed: log {log_id} is at or before the last applied log "
                               f"{last_applied_id}", field="log_id")
    if log_id > expected:
        raise LogOutOfSequence(f"reordered or skipped: log {log_id} arrived before log {expected}",
                               field="log_id")
    if header.predecessor_id != last_applied_id:
        raise LogOutOfSequence(f"log {log_id} names predecessor {header.predecessor_id}, "
                               f"the replica last applied {last_applied_id}",
                               field="predecessor_id")


def accept(data: bytes, *, policy: ReplicaServerPolicy, vm: str, disk: int, block_size: int,
           last_applied_id: int) -> ReplicationLog:
    """The log in ``data`` if the replica may apply it next to this disk; raises LogRejected otherwise.

    In order: read the claimed source server, verify the MAC with the key the
    policy holds for it, authorize the server, decode with every checksum,
    require the end marker, check VM, disk and block size, then the chain
    (``log_id == last_applied_id + 1`` and predecessor ``== last_applied_id``).
    Nothing is changed: the caller applies the returned log.

    >>> from hvr_model.blockstore.hrl import Credential, LogWriter, ReplicaServerPolicy, encode
    >>> key = Credential("hv1.contoso.com", b"s" * 32, "certificate")
    >>> policy = ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1)
    >>> first, second = tracker.switch(), tracker.switch()
    >>> accept(encode(second, key), policy=policy, vm="web", disk=0, block_size=1,
    ...        last_applied_id=0)
    Traceback (most recent call last):
    hvr_model.blockstore.hrl.errors.LogOutOfSequence: reordered or skipped: log 2 arrived before log 1 (field: log_id)
    """
    if not _is_int_in(last_applied_id, 0, _U64):
        raise ValueError(f"last_applied_id must be in 0..{_U64}, got {last_applied_id!r}")
    view = memoryview(data).cast("B")
    server, signed_from = _read_preamble(view)
    _authenticate(view, policy.credential_for(server), signed_from)
    policy.authorize(server)
    log = decode(view)
    if not log.closed:  # decode already refuses it; kept so the rule reads here too
        raise LogNotClosed(f"log {log.header.log_id} was not closed", field="end marker")
    _check_destination(log.header, vm, disk, block_size)
    _check_sequence(log.header, last_applied_id)
    return log
