"""Hyper-V Replica Log (.hrl): the model's own simplified binary log format (REQ-10, 35-37).

The primary host tracks guest writes to each replicated disk in a replication
log. At every replication interval the tracker closes the current log (writes
its end marker) and opens the next one, which names the closed log as its
predecessor (REQ-10). The closed log is sent to the replica server, which
applies it only after :func:`accept` has found it authentic, authorized,
intact, closed, meant for that disk and next in the chain (REQ-35..37).
Anything else raises a :class:`LogRejected` subclass and changes nothing: the
replica applies the returned log itself, after ``accept`` returns (REQ-36).
Under REQ-16 an invalid, out-of-sequence or unclosed log leads the engine to a
resync; that decision belongs to the state machines, not to this module.

The format is inspired by [MS-HRL] but is not it: it is a small, checkable
stand-in with the same ingredients (per-record checksums, an id chain, an end
marker). All integers are little-endian; offsets are from the start of the log.

========================  ===========================================================
record                    bytes
========================  ===========================================================
header                    ``magic "HVRL"`` u16 version=1, u16 server name length,
                          source server name (UTF-8), u8 flags (bit 0: app
                          consistent), 1 pad byte, u16 VM name length, u32 disk,
                          u64 log id, u64 predecessor id, u32 block size, VM name
                          (UTF-8), u64 xxh3-64 of all the header bytes before it
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

Model decisions: a log covers one disk; each entry is one whole block (block
granular); cross-disk write order (REQ-12) is kept by the caller switching all
disks of a VM at the same point; log ids start at 1 and predecessor 0 means no
earlier log (the first log after the initial copy). A tracker restarted after a
resync with ``first_log_id=k`` names ``k - 1`` as the predecessor of its first
log: the chain resumes at the id the replica reports as last applied.

>>> key = Credential("hv1.contoso.com", b"s" * 32, "kerberos")
>>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=4)
>>> tracker.record(7, b"abcd")
>>> log = tracker.switch()
>>> policy = ReplicaServerPolicy({key.server: key},
...                              (AuthorizationEntry("*.contoso.com", "/replica", "dc"),))
>>> accept(encode(log, key), policy=policy, vm="web", disk=0, block_size=4,
...        last_applied_id=0).entries
(LogEntry(block=7, data=b'abcd'),)
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import NamedTuple

import xxhash

__all__ = [
    "MAGIC", "VERSION", "AUTH_METHODS",
    "LogEntry", "LogHeader", "ReplicationLog", "LogWriter",
    "Credential", "AuthorizationEntry", "ReplicaServerPolicy",
    "LogRejected", "LogCorrupted", "LogTruncated", "LogNotClosed", "LogOutOfSequence",
    "LogForWrongDisk", "LogUnauthorized", "LogAuthenticationFailed",
    "Span", "encode", "decode", "accept", "record_spans",
]

MAGIC = b"HVRL"
VERSION = 1
#: How host-to-host replication is authenticated (REQ-35).
AUTH_METHODS = ("kerberos", "certificate")

_PREAMBLE = struct.Struct("<4sHH")          # magic, version, server name length
_HEADER_FIELDS = struct.Struct("<BxHIQQI")  # flags, VM name length, disk, log id, predecessor, block size
_CHECKSUM = struct.Struct("<Q")             # xxh3-64
_ENTRY = struct.Struct("<4sQI")             # tag, block index, length
_END = struct.Struct("<4sQ")                # tag, number of entries
_ENTRY_TAG, _END_TAG, _AUTH_TAG = b"ENTR", b"DONE", b"AUTH"
_TAG_SIZE = 4
_MAC_SIZE = hashlib.sha256().digest_size
_TRAILER_SIZE = _TAG_SIZE + _MAC_SIZE
_APP_CONSISTENT = 0x01
_U16, _U32, _U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1
_MIN_KEY_BYTES = 16


# --------------------------------------------------------------------------- errors

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


class LogForWrongDisk(LogRejected):
    """The log was written for another VM, another disk or another block size."""


class LogUnauthorized(LogRejected):
    """The (authenticated) source server is not authorized by the replica server."""


class LogAuthenticationFailed(LogRejected):
    """The MAC does not verify, or the replica holds no key for the claimed server."""


# --------------------------------------------------------------------------- data

def _utf8_length(name: object) -> int | None:
    """Byte length of ``name`` in UTF-8, or None when it is not an encodable str."""
    if not isinstance(name, str):
        return None
    try:
        return len(name.encode())
    except UnicodeEncodeError:
        return None


def _is_int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _as_bytes(data: object, what: str) -> bytes:
    """``data`` as bytes; TypeError unless it is bytes-like (an int would make zero bytes)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes-like, got {type(data).__name__}")


def _name_problem(what: str, name: object) -> str | None:
    size = _utf8_length(name)
    if size is None or not 0 < size <= _U16:
        return f"{what} must be a non-empty UTF-8 name of at most {_U16} bytes, got {name!r}"
    return None


def _header_problem(vm, disk, log_id, predecessor_id, source_server, block_size) -> str | None:
    """What is wrong with these header values, or None; shared by LogHeader and decode."""
    checks = (
        _name_problem("vm", vm),
        _name_problem("source_server", source_server),
        None if _is_int_in(disk, 0, _U32) else f"disk must be in 0..{_U32}, got {disk!r}",
        None if _is_int_in(log_id, 1, _U64) else f"log_id must be in 1..{_U64}, got {log_id!r}",
        None if _is_int_in(block_size, 1, _U32) else f"block_size must be in 1..{_U32}, got {block_size!r}",
    )
    problem = next((c for c in checks if c is not None), None)
    if problem is None and not _is_int_in(predecessor_id, 0, log_id - 1):
        problem = f"predecessor_id must be in 0..log_id-1 ({log_id - 1}), got {predecessor_id!r}"
    return problem


@dataclass(frozen=True)
class LogEntry:
    """One guest write of exactly one block: the block index and the block's new contents.

    >>> LogEntry(3, b"wxyz").block
    3
    """

    block: int
    data: bytes

    def __post_init__(self) -> None:
        if not _is_int_in(self.block, 0, _U64):
            raise ValueError(f"block must be in 0..{_U64}, got {self.block!r}")
        object.__setattr__(self, "data", _as_bytes(self.data, "data"))


@dataclass(frozen=True)
class LogHeader:
    """Which disk a log belongs to, where it sits in the chain and who wrote it.

    ``log_id`` starts at 1 for a disk; ``predecessor_id`` is the id of the log
    it follows, 0 for the first log after the initial copy.

    >>> LogHeader("web", 0, 2, 1, "hv1.contoso.com", 4096).predecessor_id
    1
    >>> LogHeader("web", 0, 2, 2, "hv1.contoso.com", 4096)
    Traceback (most recent call last):
    ValueError: predecessor_id must be in 0..log_id-1 (1), got 2
    """

    vm: str
    disk: int
    log_id: int
    predecessor_id: int
    source_server: str
    block_size: int
    app_consistent: bool = False

    def __post_init__(self) -> None:
        problem = _header_problem(self.vm, self.disk, self.log_id, self.predecessor_id,
                                  self.source_server, self.block_size)
        if problem is None and not isinstance(self.app_consistent, bool):
            problem = f"app_consistent must be a bool, got {self.app_consistent!r}"
        if problem is not None:
            raise ValueError(problem)


@dataclass(frozen=True)
class ReplicationLog:
    """A log: its header, its entries in write order, and whether its end marker was written.

    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4)
    >>> ReplicationLog(header, (LogEntry(0, b"abc"),), closed=True)
    Traceback (most recent call last):
    ValueError: entry 0 (block 0) holds 3 bytes, the block size is 4
    """

    header: LogHeader
    entries: tuple[LogEntry, ...]
    closed: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(self.entries))
        for index, entry in enumerate(self.entries):
            if not isinstance(entry, LogEntry):
                raise ValueError(f"entry {index} is not a LogEntry: {entry!r}")
            if len(entry.data) != self.header.block_size:
                raise ValueError(f"entry {index} (block {entry.block}) holds {len(entry.data)} "
                                 f"bytes, the block size is {self.header.block_size}")


# --------------------------------------------------------------------------- tracker

class LogWriter:
    """The change tracker of ONE disk on the primary host: records writes, switches logs.

    >>> tracker = LogWriter("web", 1, "hv1.contoso.com", block_size=2)
    >>> tracker.record(5, b"hi")
    >>> first = tracker.switch(app_consistent=True)
    >>> (first.header.log_id, first.closed, first.header.app_consistent, len(first.entries))
    (1, True, True, 1)
    >>> tracker.open_log.header.log_id, tracker.open_log.header.predecessor_id
    (2, 1)
    """

    def __init__(self, vm: str, disk: int, source_server: str, block_size: int,
                 first_log_id: int = 1):
        predecessor = first_log_id - 1 if _is_int_in(first_log_id, 1, _U64) else first_log_id
        self._header = LogHeader(vm, disk, first_log_id, predecessor, source_server, block_size)
        self._entries: list[LogEntry] = []

    @property
    def open_log(self) -> ReplicationLog:
        """The log being written (never closed)."""
        return ReplicationLog(self._header, tuple(self._entries), closed=False)

    def record(self, block: int, data: bytes) -> None:
        """Append one guest write of a whole block to the open log.

        Raises ValueError when ``block`` is negative or ``data`` is not exactly one block.

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=2)
        >>> tracker.record(0, b"abc")
        Traceback (most recent call last):
        ValueError: a write must be exactly one block (2 bytes), got 3
        """
        data = _as_bytes(data, "data")
        if len(data) != self._header.block_size:
            raise ValueError(f"a write must be exactly one block ({self._header.block_size} "
                             f"bytes), got {len(data)}")
        self._entries.append(LogEntry(block, data))

    def switch(self, app_consistent: bool = False) -> ReplicationLog:
        """Close the open log (end marker) and open the next one; returns the closed log.

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1, first_log_id=5)
        >>> [tracker.switch().header.log_id for _ in range(3)], tracker.open_log.header.log_id
        ([5, 6, 7], 8)
        """
        closed_header = replace(self._header, app_consistent=app_consistent)
        closed = ReplicationLog(closed_header, tuple(self._entries), closed=True)
        self._header = replace(self._header, log_id=closed_header.log_id + 1,
                               predecessor_id=closed_header.log_id)
        self._entries = []
        return closed

    def copy(self) -> "LogWriter":
        """An independent tracker in the same state (the model keeps trackers inside its states).

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1)
        >>> twin = tracker.copy(); twin.record(0, b"x")
        >>> len(tracker.open_log.entries), len(twin.open_log.entries)
        (0, 1)
        """
        twin = LogWriter.__new__(LogWriter)
        twin._header, twin._entries = self._header, list(self._entries)
        return twin

    def discard(self) -> None:
        """Drop the open log's entries (a resync starts over); its id stays.

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1)
        >>> tracker.record(0, b"x"); tracker.discard(); tracker.open_log.entries
        ()
        """
        self._entries = []


# --------------------------------------------------------------------------- security

@dataclass(frozen=True)
class Credential:
    """A server's authentication key: stands for the Kerberos session key or the certificate key.

    The key is never shown in the repr.

    >>> Credential("hv1.contoso.com", b"k" * 32, "certificate")
    Credential(server='hv1.contoso.com', method='certificate')
    >>> Credential("hv1.contoso.com", b"k" * 32, "ntlm")
    Traceback (most recent call last):
    ValueError: method must be one of ('kerberos', 'certificate'), got 'ntlm'
    """

    server: str
    key: bytes = field(repr=False)
    method: str

    def __post_init__(self) -> None:
        problem = _name_problem("server", self.server)
        if problem:
            raise ValueError(problem)
        if self.method not in AUTH_METHODS:
            raise ValueError(f"method must be one of {AUTH_METHODS}, got {self.method!r}")
        if not isinstance(self.key, bytes) or len(self.key) < _MIN_KEY_BYTES:
            raise ValueError(f"key must be at least {_MIN_KEY_BYTES} bytes")


def _pattern_problem(pattern: object) -> str | None:
    if not isinstance(pattern, str) or not pattern:
        return f"server_pattern must be a non-empty str, got {pattern!r}"
    exact = pattern.removeprefix("*.")
    if not exact or any(c in exact for c in "*?[]"):
        return f"server_pattern must be a server name or '*.domain', got {pattern!r}"
    return None


@dataclass(frozen=True)
class AuthorizationEntry:
    """One primary server (or ``*.domain``) the replica accepts, with its storage and trust group.

    >>> AuthorizationEntry("*.contoso.com", "/replica", "dc").matches("HV1.Contoso.com")
    True
    >>> AuthorizationEntry("hv1.contoso.com", "/replica", "dc").matches("hv2.contoso.com")
    False
    """

    server_pattern: str
    storage_location: str
    trust_group: str

    def __post_init__(self) -> None:
        problem = _pattern_problem(self.server_pattern)
        if problem is None and not (self.storage_location and self.trust_group):
            problem = "storage_location and trust_group must be non-empty"
        if problem:
            raise ValueError(problem)

    @property
    def is_wildcard(self) -> bool:
        return self.server_pattern.startswith("*.")

    def matches(self, server: str) -> bool:
        """Whether ``server`` is this entry's server (names compare case-insensitively, as DNS)."""
        return fnmatch.fnmatchcase(server.lower(), self.server_pattern.lower())


@dataclass(frozen=True)
class ReplicaServerPolicy:
    """What the replica server trusts: keys of authenticated servers and its authorization entries.

    ``credentials`` maps a server name to the key the replica holds for it; with
    ``allow_any_authenticated`` any server that authenticates is accepted into
    the default storage.

    >>> key = Credential("hv9.fabrikam.com", b"k" * 32, "kerberos")
    >>> strict = ReplicaServerPolicy({key.server: key}, ())
    >>> strict.authorize("hv9.fabrikam.com")
    Traceback (most recent call last):
    hvr_model.hrl.LogUnauthorized: server 'hv9.fabrikam.com' matches no authorization entry (field: source_server)
    >>> print(ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    ...       .authorize("hv9.fabrikam.com"))
    None
    """

    credentials: Mapping[str, Credential]
    entries: tuple[AuthorizationEntry, ...]
    allow_any_authenticated: bool = False

    def __post_init__(self) -> None:
        credentials = dict(self.credentials)
        for name, credential in credentials.items():
            if not isinstance(credential, Credential) or credential.server != name:
                raise ValueError(f"credentials[{name!r}] must be a Credential for server {name!r}")
        object.__setattr__(self, "credentials", MappingProxyType(credentials))
        object.__setattr__(self, "entries", tuple(self.entries))
        if not all(isinstance(e, AuthorizationEntry) for e in self.entries):
            raise ValueError("entries must be AuthorizationEntry values")

    def credential_for(self, server: str) -> Credential:
        """The key the replica holds for ``server``; LogAuthenticationFailed when it has none."""
        credential = self.credentials.get(server)
        if credential is None:
            raise LogAuthenticationFailed(f"no key for server {server!r}", field="source_server")
        return credential

    def authorize(self, server: str) -> AuthorizationEntry | None:
        """The entry that authorizes ``server`` (exact names before wildcards, then in order).

        Returns None when no entry matches but any authenticated server is
        allowed (default storage); raises LogUnauthorized otherwise.
        """
        ordered = sorted(self.entries, key=lambda e: e.is_wildcard)
        entry = next((e for e in ordered if e.matches(server)), None)
        if entry is None and not self.allow_any_authenticated:
            raise LogUnauthorized(f"server {server!r} matches no authorization entry",
                                  field="source_server")
        return entry


def _mac(credential: Credential, signed: memoryview | bytes) -> bytes:
    """HMAC-SHA-256 over a context naming the method, then the signed bytes."""
    mac = hmac.new(credential.key, _mac_context(credential), hashlib.sha256)
    mac.update(signed)
    return mac.digest()


def _mac_context(credential: Credential) -> bytes:
    return b"hvr-model hrl v%d %s\0" % (VERSION, credential.method.encode())


# --------------------------------------------------------------------------- encoding

def _checksum(data: bytes | memoryview) -> bytes:
    return _CHECKSUM.pack(xxhash.xxh3_64_intdigest(data))


def _header_record(header: LogHeader) -> bytes:
    server, vm = header.source_server.encode(), header.vm.encode()
    flags = _APP_CONSISTENT if header.app_consistent else 0
    body = b"".join((
        _PREAMBLE.pack(MAGIC, VERSION, len(server)), server,
        _HEADER_FIELDS.pack(flags, len(vm), header.disk, header.log_id,
                            header.predecessor_id, header.block_size),
        vm))
    return body + _checksum(body)


def _entry_metadata(entry: LogEntry) -> bytes:
    body = _ENTRY.pack(_ENTRY_TAG, entry.block, len(entry.data))
    return body + _checksum(body)


def _end_marker(entry_count: int) -> bytes:
    body = _END.pack(_END_TAG, entry_count)
    return body + _checksum(body)


def _unsigned_records(log: ReplicationLog):
    """Every record before the MAC, in order (header, entries, end marker, trailer tag)."""
    yield _header_record(log.header)
    for entry in log.entries:
        yield _entry_metadata(entry)
        yield entry.data
        yield _checksum(entry.data)
    if log.closed:
        yield _end_marker(len(log.entries))
    yield _AUTH_TAG


def encode(log: ReplicationLog, credential: Credential) -> bytes:
    """The bytes of ``log``, signed with the source server's ``credential``.

    Raises ValueError when the credential is not the log's source server's.

    >>> key = Credential("hv1.contoso.com", b"s" * 32, "kerberos")
    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4)
    >>> data = encode(ReplicationLog(header, (LogEntry(9, b"abcd"),), closed=True), key)
    >>> data[:4], len(data)
    (b'HVRL', 154)
    """
    if credential.server != log.header.source_server:
        raise ValueError(f"credential of {credential.server!r} cannot sign a log of "
                         f"{log.header.source_server!r}")
    mac = hmac.new(credential.key, _mac_context(credential), hashlib.sha256)
    parts = []
    for part in _unsigned_records(log):
        mac.update(part)
        parts.append(part)
    parts.append(mac.digest())
    return b"".join(parts)


class Span(NamedTuple):
    """Where one part of an encoded log lies: ``data[start:stop]``; ``entry`` is its index or None."""

    part: str
    start: int
    stop: int
    entry: int | None = None


def record_spans(log: ReplicationLog) -> tuple[Span, ...]:
    """The layout :func:`encode` gives ``log``: header, entry metadata and data blocks, end marker, trailer.

    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4)
    >>> for span in record_spans(ReplicationLog(header, (LogEntry(9, b"abcd"),), closed=True)):
    ...     print(span.part, span.start, span.stop, span.entry)
    header 0 62 None
    entry metadata 62 86 0
    data block 86 98 0
    end marker 98 118 None
    trailer 118 154 None
    """
    spans, position = [], 0

    def add(part: str, size: int, entry: int | None = None) -> None:
        nonlocal position
        spans.append(Span(part, position, position + size, entry))
        position += size

    header = log.header
    add("header", _PREAMBLE.size + len(header.source_server.encode()) + _HEADER_FIELDS.size
        + len(header.vm.encode()) + _CHECKSUM.size)
    for index, entry in enumerate(log.entries):
        add("entry metadata", _ENTRY.size + _CHECKSUM.size, index)
        add("data block", len(entry.data) + _CHECKSUM.size, index)
    if log.closed:
        add("end marker", _END.size + _CHECKSUM.size)
    add("trailer", _TRAILER_SIZE)
    return tuple(spans)


# --------------------------------------------------------------------------- decoding

def _take(view: memoryview, start: int, size: int, part: str) -> memoryview:
    """``view[start:start+size]``, or LogTruncated when the bytes stop before its end."""
    if start + size > len(view):
        raise LogTruncated(f"the log stops inside the {part} at offset {len(view)}", field=part)
    return view[start:start + size]


def _verify(covered: memoryview, stored: memoryview, part: str, where: str = "") -> None:
    """LogCorrupted naming ``part`` unless ``stored`` is the xxh3-64 of ``covered``."""
    if xxhash.xxh3_64_intdigest(covered) != _CHECKSUM.unpack(stored)[0]:
        raise LogCorrupted(f"{part} checksum mismatch{where}", field=part)


def _read_preamble(view: memoryview) -> tuple[str, int]:
    """The claimed source server (untrusted) and the offset just after its name."""
    head = bytes(view[:len(MAGIC)])
    if not head:
        raise LogTruncated("the log is empty", field="header")
    if head != MAGIC[:len(head)]:
        raise LogCorrupted(f"bad magic {head!r}, expected {MAGIC!r}", field="magic")
    _, version, server_length = _PREAMBLE.unpack(_take(view, 0, _PREAMBLE.size, "header"))
    if version != VERSION:
        raise LogCorrupted(f"unsupported version {version}, expected {VERSION}", field="version")
    raw = _take(view, _PREAMBLE.size, server_length, "header")
    return _decode_name(raw, "source server"), _PREAMBLE.size + server_length


def _decode_name(raw: memoryview, what: str) -> str:
    try:
        return bytes(raw).decode()
    except UnicodeDecodeError:
        raise LogCorrupted(f"header {what} name is not UTF-8", field="header") from None


def _read_header(view: memoryview) -> tuple[LogHeader, int]:
    """The header (checksum verified first) and the offset of the first record after it."""
    server, position = _read_preamble(view)
    fields = _take(view, position, _HEADER_FIELDS.size, "header")
    flags, vm_length, disk, log_id, predecessor_id, block_size = _HEADER_FIELDS.unpack(fields)
    position += _HEADER_FIELDS.size
    raw_vm = _take(view, position, vm_length, "header")
    position += vm_length
    _verify(view[:position], _take(view, position, _CHECKSUM.size, "header"), "header")
    vm = _decode_name(raw_vm, "VM")
    problem = (f"unknown header flags {flags:#04x}" if flags & ~_APP_CONSISTENT
               else _header_problem(vm, disk, log_id, predecessor_id, server, block_size))
    if problem is not None:
        raise LogCorrupted(f"invalid header: {problem}", field="header")
    header = LogHeader(vm, disk, log_id, predecessor_id, server, block_size,
                       app_consistent=bool(flags & _APP_CONSISTENT))
    return header, position + _CHECKSUM.size


def _read_entry(view: memoryview, position: int, index: int, block_size: int) -> tuple[LogEntry, int]:
    """One entry metadata record and its data block, both checksums verified."""
    metadata = _take(view, position, _ENTRY.size + _CHECKSUM.size, "entry metadata")
    where = f" in entry {index} at offset {position}"
    _verify(metadata[:_ENTRY.size], metadata[_ENTRY.size:], "entry metadata", where)
    _, block, length = _ENTRY.unpack(metadata[:_ENTRY.size])
    if length != block_size:
        raise LogCorrupted(f"entry {index} length {length} is not the block size {block_size}",
                           field="entry metadata")
    position += len(metadata)
    block_record = _take(view, position, length + _CHECKSUM.size, "data block")
    _verify(block_record[:length], block_record[length:], "data block",
            f" in entry {index} (block {block}) at offset {position}")
    return LogEntry(block, bytes(block_record[:length])), position + len(block_record)


def _read_end_marker(view: memoryview, position: int, entry_count: int) -> int:
    record = _take(view, position, _END.size + _CHECKSUM.size, "end marker")
    _verify(record[:_END.size], record[_END.size:], "end marker", f" at offset {position}")
    _, count = _END.unpack(record[:_END.size])
    if count != entry_count:
        raise LogCorrupted(f"end marker counts {count} entries, the log holds {entry_count}",
                           field="end marker")
    return position + len(record)


def _read_trailer(view: memoryview, position: int) -> None:
    remaining = len(view) - position
    if remaining < _TRAILER_SIZE:
        raise LogTruncated(f"the log stops inside the trailer at offset {len(view)}", field="trailer")
    if remaining > _TRAILER_SIZE:
        raise LogCorrupted(f"{remaining - _TRAILER_SIZE} stray bytes after the trailer",
                           field="trailer")


def _read_records(view: memoryview, position: int, block_size: int):
    """Entries, whether an end marker was seen, and whether the trailer is present."""
    entries: list[LogEntry] = []
    closed = False
    while position < len(view):
        tag = bytes(_take(view, position, _TAG_SIZE, "record tag"))
        if tag == _AUTH_TAG:
            _read_trailer(view, position)
            return entries, closed, True
        if tag == _ENTRY_TAG and not closed:
            entry, position = _read_entry(view, position, len(entries), block_size)
            entries.append(entry)
        elif tag == _END_TAG and not closed:
            position = _read_end_marker(view, position, len(entries))
            closed = True
        else:
            expected = "trailer" if closed else "entry, end marker or trailer"
            raise LogCorrupted(f"unexpected record tag {tag!r} at offset {position} "
                               f"(expected {expected})", field="record tag")
    return entries, closed, False


def decode(data: bytes, *, allow_open: bool = False) -> ReplicationLog:
    """The log in ``data``, every checksum verified (the MAC is not: that needs a key, see accept).

    Raises a :class:`LogRejected` subclass for anything that is not a
    well-formed log; an unclosed log is returned (``closed=False``) only with
    ``allow_open=True``, for inspection.

    >>> key = Credential("hv1.contoso.com", b"s" * 32, "kerberos")
    >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=4)
    >>> tracker.record(1, b"abcd")
    >>> decode(encode(tracker.open_log, key))
    Traceback (most recent call last):
    hvr_model.hrl.LogNotClosed: log 1 has no end marker: it was not closed cleanly (field: end marker)
    >>> decode(encode(tracker.open_log, key), allow_open=True) == tracker.open_log
    True
    """
    view = memoryview(data).cast("B")
    header, position = _read_header(view)
    entries, closed, has_trailer = _read_records(view, position, header.block_size)
    if closed and not has_trailer:
        raise LogTruncated("the log stops after its end marker, before the trailer", field="trailer")
    if not closed and not allow_open:
        raise LogNotClosed(f"log {header.log_id} has no end marker: it was not closed cleanly",
                           field="end marker")
    return ReplicationLog(header, tuple(entries), closed)


# --------------------------------------------------------------------------- replica side

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

    >>> key = Credential("hv1.contoso.com", b"s" * 32, "certificate")
    >>> policy = ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1)
    >>> first, second = tracker.switch(), tracker.switch()
    >>> accept(encode(second, key), policy=policy, vm="web", disk=0, block_size=1,
    ...        last_applied_id=0)
    Traceback (most recent call last):
    hvr_model.hrl.LogOutOfSequence: reordered or skipped: log 2 arrived before log 1 (field: log_id)
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
