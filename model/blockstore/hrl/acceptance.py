"""The replica host's checks before it applies a log: :func:`accept` (REQ-35, 36, 37).

Authenticate the claimed source server by the MAC (REQ-35), authorize it
(REQ-36), decode with every checksum and require the end marker (REQ-37), then
check the destination (VM, disk, relationship, block size), the generation, the
id chain and that every entry's block lies inside the disk. A refusal raises a
:class:`~hvr_model.blockstore.hrl.errors.LogRejected` and changes nothing; the
caller applies the returned log (REQ-36). The format read is the model's own,
inspired by [MS-HRL] (see :mod:`hvr_model.blockstore.hrl`).
"""
from __future__ import annotations

import hmac

from .decoding import _read_preamble, decode
from .errors import (
    LogAuthenticationFailed, LogForWrongDisk, LogNotClosed, LogOutOfSequence, LogStaleGeneration,
    LogTruncated,
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


def _check_destination(header: LogHeader, vm: str, disk: int, relationship: int,
                       block_size: int) -> None:
    for name, found, wanted in (("vm", header.vm, vm), ("disk", header.disk, disk),
                                ("relationship", header.relationship, relationship),
                                ("block_size", header.block_size, block_size)):
        if found != wanted:
            raise LogForWrongDisk(f"log {header.log_id} is for {name} {found!r}, "
                                  f"this replica disk has {name} {wanted!r}", field=name)


def _check_generation(header: LogHeader, generation: int) -> None:
    if header.generation != generation:
        when = "an earlier" if header.generation < generation else "a later"
        raise LogStaleGeneration(f"log {header.log_id} belongs to {when} generation "
                                 f"({header.generation}) of the relationship, the replica is at "
                                 f"generation {generation}", field="generation")


def _check_blocks(log: ReplicationLog, blocks: int) -> None:
    for index, entry in enumerate(log.entries):
        if entry.block >= blocks:
            raise LogForWrongDisk(f"entry {index} of log {log.header.log_id} names block "
                                  f"{entry.block}, the disk has {blocks} blocks",
                                  field="entry metadata")


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
           blocks: int, relationship: int, generation: int, last_applied_id: int) -> ReplicationLog:
    """The log in ``data`` if the replica may apply it next to this disk; raises LogRejected otherwise.

    In order: read the claimed source server, verify the MAC with the key the
    policy holds for it, authorize the server, decode with every checksum,
    require the end marker, check VM, disk, relationship and block size, then
    the generation, then the chain (``log_id == last_applied_id + 1`` and
    predecessor ``== last_applied_id``), then that every entry names a block
    of the disk. The header, and so the relationship and generation, is covered
    by the MAC: only the source server's key can bind a log to them. Nothing is
    changed: the caller applies the returned log.

    Parameters
    ----------
    data : bytes
        The log as it arrived (:func:`~hvr_model.blockstore.hrl.encode`).
    policy : ReplicaServerPolicy
        The keys and authorization entries of the replica server.
    vm, disk, block_size, blocks : str, int, int, int
        The replica disk the log must be meant for: its VM, index, block size
        and number of blocks (an entry naming a block outside it is refused).
    relationship, generation : int
        The replication relationship and its current generation on the
        replica: a log of another relationship (:class:`LogForWrongDisk`) or
        generation (:class:`LogStaleGeneration`) is refused, so a recorded log
        of an earlier generation can never continue the restarted id chain.
    last_applied_id : int
        The id of the last log applied to this disk in this generation (0: none).

    Raises
    ------
    LogRejected
        The subclass names the check that refused it; ``field`` the part.
    ValueError
        An expected value (not the log) is out of range.

    >>> from hvr_model.blockstore.hrl import Credential, LogWriter, ReplicaServerPolicy, encode
    >>> key = Credential("hv1.contoso.com", b"s" * 32, "certificate")
    >>> policy = ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1, relationship=7, generation=1)
    >>> first, second = tracker.switch(), tracker.switch()
    >>> replica = dict(policy=policy, vm="web", disk=0, block_size=1, blocks=8, relationship=7)
    >>> accept(encode(second, key), generation=1, last_applied_id=0, **replica)
    Traceback (most recent call last):
    hvr_model.blockstore.hrl.errors.LogOutOfSequence: reordered or skipped: log 2 arrived before log 1 (field: log_id)
    >>> accept(encode(first, key), generation=2, last_applied_id=0, **replica)
    Traceback (most recent call last):
    hvr_model.blockstore.hrl.errors.LogStaleGeneration: log 1 belongs to an earlier generation (1) of the relationship, the replica is at generation 2 (field: generation)
    """
    for name, value, low in (("last_applied_id", last_applied_id, 0), ("relationship", relationship, 0),
                             ("generation", generation, 0), ("blocks", blocks, 1)):
        if not _is_int_in(value, low, _U64):
            raise ValueError(f"{name} must be in {low}..{_U64}, got {value!r}")
    view = memoryview(data).cast("B")
    server, signed_from = _read_preamble(view)
    _authenticate(view, policy.credential_for(server), signed_from)
    policy.authorize(server)
    log = decode(view)
    if not log.closed:  # decode already refuses it; kept so the rule reads here too
        raise LogNotClosed(f"log {log.header.log_id} was not closed", field="end marker")
    _check_destination(log.header, vm, disk, relationship, block_size)
    _check_generation(log.header, generation)
    _check_sequence(log.header, last_applied_id)
    _check_blocks(log, blocks)
    return log
