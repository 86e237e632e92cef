"""Why a replica refuses a log: :class:`LogRejected` and one subclass per kind of refusal.

A refusal changes nothing on the replica (REQ-36); the kinds are the checks of
REQ-35 (authentication, authorization), REQ-37 (checksums, truncation, end
marker, chain by id), the log's destination (VM, disk, relationship, block
size, every block inside the disk) and its generation (a log recorded before
the chain restarted, replayed). The format is the model's own,
inspired by [MS-HRL] (see :mod:`hvr_model.blockstore.hrl`).
"""
from __future__ import annotations

__all__ = [
    "LogRejected", "LogCorrupted", "LogTruncated", "LogNotClosed", "LogOutOfSequence",
    "LogStaleGeneration", "LogForWrongDisk", "LogUnauthorized", "LogAuthenticationFailed",
]


class LogRejected(Exception):
    """A log that must not be applied; ``reason`` says why, ``field`` names the part (or None).

    >>> str(LogCorrupted("data block checksum mismatch in entry 0", field="data block"))
    'data block checksum mismatch in entry 0 (field: data block)'
    """

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason, field)
        self.reason = reason
        self.field = field

    def __str__(self) -> str:
        return self.reason if self.field is None else f"{self.reason} (field: {self.field})"


class LogCorrupted(LogRejected):
    """A checksum does not match, or the bytes are not this format (magic, version, layout)."""


class LogTruncated(LogRejected):
    """The bytes stop in the middle of a record (or before the trailer of a closed log)."""


class LogNotClosed(LogRejected):
    """The log has no end marker: it was never closed cleanly (e.g. the host crashed)."""


class LogOutOfSequence(LogRejected):
    """The log does not continue the replica's chain: replayed, reordered or after a gap."""


class LogStaleGeneration(LogRejected):
    """The log belongs to another generation of the replication relationship.

    Ids restart at 1 whenever a new generation starts (protection enabled again,
    a resync, reverse replication), so an authentic log of an earlier generation
    can carry exactly the id the replica expects next: only its generation tells
    the replay apart. A generation the replica has not reached is refused too.
    """


class LogForWrongDisk(LogRejected):
    """The log was written for another VM, disk, relationship or block size, or names a block
    outside the disk."""


class LogUnauthorized(LogRejected):
    """The (authenticated) source server is not authorized by the replica server."""


class LogAuthenticationFailed(LogRejected):
    """The MAC does not verify, or the replica holds no key for the claimed server."""
