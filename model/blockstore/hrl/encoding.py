"""Writing a log as bytes: :func:`encode`, its record checksums and MAC, and :func:`record_spans`.

Every record carries its xxh3-64 checksum and the whole log is signed with the
source server's key (REQ-35, 37; record layout inspired by [MS-HRL], see
:mod:`hvr_model.blockstore.hrl`). :func:`record_spans` tells where each record
lies in the bytes ``encode`` produces.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple

import xxhash

from .records import (
    _APP_CONSISTENT, _AUTH_TAG, _CHECKSUM, _END, _END_TAG, _ENTRY, _ENTRY_TAG, _HEADER_FIELDS,
    _PREAMBLE, _TRAILER_SIZE, MAGIC, VERSION, LogEntry, LogHeader, ReplicationLog,
)
from .security import Credential, _mac_context

__all__ = ["Span", "encode", "record_spans"]


def _checksum(data: bytes | memoryview) -> bytes:
    return _CHECKSUM.pack(xxhash.xxh3_64_intdigest(data))


def _header_record(header: LogHeader) -> bytes:
    server, vm = header.source_server.encode(), header.vm.encode()
    flags = _APP_CONSISTENT if header.app_consistent else 0
    body = b"".join((
        _PREAMBLE.pack(MAGIC, VERSION, len(server)), server,
        _HEADER_FIELDS.pack(flags, len(vm), header.disk, header.relationship, header.generation,
                            header.log_id, header.predecessor_id, header.block_size),
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
    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4, relationship=7, generation=1)
    >>> data = encode(ReplicationLog(header, (LogEntry(9, b"abcd"),), closed=True), key)
    >>> data[:4], len(data)
    (b'HVRL', 170)
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

    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4, relationship=7, generation=1)
    >>> for span in record_spans(ReplicationLog(header, (LogEntry(9, b"abcd"),), closed=True)):
    ...     print(span.part, span.start, span.stop, span.entry)
    header 0 78 None
    entry metadata 78 102 0
    data block 102 114 0
    end marker 114 134 None
    trailer 134 170 None
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
