"""Hyper-V Replica Log (.hrl): the model's own simplified binary log format (REQ-10, 35-37).

The primary host tracks guest writes to each replicated disk in a replication
log. At every replication interval the tracker closes the current log (writes
its end marker) and opens the next one, which names the closed log as its
predecessor (REQ-10). The closed log is sent to the replica server, which
applies it only after :func:`accept` has found it authentic, authorized,
intact, closed, meant for that disk, of the current generation of the
replication relationship and next in the chain (REQ-35..37). Anything else
raises a :class:`LogRejected` subclass and changes nothing: the replica applies
the returned log itself, after ``accept`` returns (REQ-36). Under REQ-16 an
invalid, out-of-sequence or unclosed log leads the engine to a resync; that
decision belongs to the state machines, not to this package.

Every log is bound to its *replication relationship* (a 64-bit id both hosts
know) and to the relationship's *generation*. Log ids restart at 1 whenever the
chain restarts (protection enabled again after a disable, every resync, reverse
replication), so an id chain alone cannot tell a recorded log of an earlier
chain from the next genuine one: the generation can, and it changes at every
restart and never goes back over the VM's lifetime. Both sit in the header,
which the MAC covers, so only the source server's key can bind a log to them;
a log of another generation is refused as :class:`LogStaleGeneration`.

The format is inspired by [MS-HRL] but is not it: it is a small, checkable
stand-in with the same ingredients (per-record checksums, an id chain, an end
marker). All integers are little-endian; offsets are from the start of the log.

========================  ===========================================================
record                    bytes
========================  ===========================================================
header                    ``magic "HVRL"`` u16 version=2, u16 server name length,
                          source server name (UTF-8), u8 flags (bit 0: app
                          consistent), 1 pad byte, u16 VM name length, u32 disk,
                          u64 relationship, u64 generation, u64 log id, u64
                          predecessor id, u32 block size, VM name (UTF-8), u64
                          xxh3-64 of all the header bytes before it
entry metadata (each)     ``"ENTR"``, u64 block index, u32 length, u64 xxh3-64 of
                          the 16 bytes before it
data block (each)         *length* bytes of data, u64 xxh3-64 of the data
end marker (closed only)  ``"DONE"``, u64 number of entries, u64 xxh3-64 of the 12
                          bytes before it
trailer                   ``"AUTH"``, 32-byte HMAC-SHA-256 of everything before it
========================  ===========================================================

The source server's name comes right after the magic, version and name length,
so a replica can read who claims to have sent a log, verify the MAC with the key
it holds for that server, and only then parse the rest (:func:`accept`). The MAC
is keyed by the server's :class:`Credential` and also covers the authentication
method, so a log signed under Kerberos does not verify as a certificate log.

How a cut-off log reads (:func:`decode`): bytes that stop inside a record raise
:class:`LogTruncated`; bytes that stop exactly between records before any end
marker raise :class:`LogNotClosed`, because that is precisely what a log left
behind by a host crash looks like (``decode(..., allow_open=True)`` returns such a
log, ``closed=False``, for inspection); bytes that stop after the end marker but
before or inside the trailer raise :class:`LogTruncated`. :func:`accept` checks
the MAC first, so there any cut or altered byte is a
:class:`LogAuthenticationFailed`; ``decode`` tells which part was hit.

Every structural field is bounded before it is used: names by their u16
length, an entry's length must equal the header's block size, and every length
is checked against the bytes actually present before anything is read or
copied (so no field can make the decoder allocate more than the log's own size);
:func:`accept` then refuses an entry naming a block outside the replica disk
(``blocks``) as :class:`LogForWrongDisk`, so no block index from the wire is
ever used unchecked.

Model decisions: a log covers one disk; each entry is one whole block (block
granular); cross-disk write order (REQ-12) is kept by the caller switching all
disks of a VM at the same point; log ids start at 1 in every generation and
predecessor 0 means no earlier log in it (the first log after the initial copy
or a resync). A tracker restarted with ``first_log_id=k`` names ``k - 1`` as the
predecessor of its first log: the chain resumes at the id the replica reports
as last applied, within the same generation.

Where things are: :mod:`.records` (byte layout, :class:`LogHeader`,
:class:`LogEntry`, :class:`ReplicationLog`), :mod:`.errors` (the
:class:`LogRejected` family), :mod:`.writer` (:class:`LogWriter`),
:mod:`.security` (:class:`Credential`, :class:`ReplicaServerPolicy`, the MAC),
:mod:`.encoding` (:func:`encode`, :func:`record_spans`), :mod:`.decoding`
(:func:`decode`) and :mod:`.acceptance` (:func:`accept`). This package
re-exports every public name, so ``hrl.LogWriter``, ``hrl.accept`` and the like
read the same wherever they are defined.

>>> key = Credential("hv1.contoso.com", b"s" * 32, "kerberos")
>>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=4, relationship=7, generation=1)
>>> tracker.record(7, b"abcd")
>>> log = tracker.switch()
>>> policy = ReplicaServerPolicy({key.server: key},
...                              (AuthorizationEntry("*.contoso.com", "/replica", "dc"),))
>>> accept(encode(log, key), policy=policy, vm="web", disk=0, block_size=4, blocks=8,
...        relationship=7, generation=1, last_applied_id=0).entries
(LogEntry(block=7, data=b'abcd'),)
"""
from __future__ import annotations

from .acceptance import accept
from .decoding import decode
from .encoding import Span, encode, record_spans
from .errors import (
    LogAuthenticationFailed, LogCorrupted, LogForWrongDisk, LogNotClosed, LogOutOfSequence,
    LogRejected, LogStaleGeneration, LogTruncated, LogUnauthorized,
)
from .records import MAGIC, VERSION, LogEntry, LogHeader, ReplicationLog
from .security import AUTH_METHODS, AuthorizationEntry, Credential, ReplicaServerPolicy
from .writer import LogWriter

__all__ = [
    "MAGIC", "VERSION", "AUTH_METHODS",
    "LogEntry", "LogHeader", "ReplicationLog", "LogWriter",
    "Credential", "AuthorizationEntry", "ReplicaServerPolicy",
    "LogRejected", "LogCorrupted", "LogTruncated", "LogNotClosed", "LogOutOfSequence",
    "LogStaleGeneration", "LogForWrongDisk", "LogUnauthorized", "LogAuthenticationFailed",
    "Span", "encode", "decode", "accept", "record_spans",
]
