"""Reading a log from bytes: :func:`decode`, which verifies every record checksum (REQ-37).

Records are read in order (header, entry metadata and data blocks, end marker,
trailer; the format is inspired by [MS-HRL]); bytes cut inside a record, a
checksum mismatch or a missing end marker raise the matching
:class:`~hvr_model.blockstore.hrl.errors.LogRejected`. The MAC is not checked
here: that needs a key (see :mod:`hvr_model.blockstore.hrl.acceptance`).
"""
from __future__ import annotations

import xxhash

from .errors import LogCorrupted, LogNotClosed, LogTruncated
from .records import (
    _APP_CONSISTENT, _AUTH_TAG, _CHECKSUM, _END, _END_TAG, _ENTRY, _ENTRY_TAG, _HEADER_FIELDS,
    _PREAMBLE, _TAG_SIZE, _TRAILER_SIZE, MAGIC, VERSION, LogEntry, LogHeader, ReplicationLog,
    _header_problem,
)

__all__ = ["decode"]


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
    (flags, vm_length, disk, relationship, generation, log_id, predecessor_id,
     block_size) = _HEADER_FIELDS.unpack(fields)
    position += _HEADER_FIELDS.size
    raw_vm = _take(view, position, vm_length, "header")
    position += vm_length
    _verify(view[:position], _take(view, position, _CHECKSUM.size, "header"), "header")
    vm = _decode_name(raw_vm, "VM")
    problem = (f"unknown header flags {flags:#04x}" if flags & ~_APP_CONSISTENT
               else _header_problem(vm, disk, log_id, predecessor_id, server, block_size,
                                    relationship, generation))
    if problem is not None:
        raise LogCorrupted(f"invalid header: {problem}", field="header")
    header = LogHeader(vm, disk, log_id, predecessor_id, server, block_size,
                       app_consistent=bool(flags & _APP_CONSISTENT), relationship=relationship,
                       generation=generation)
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

    >>> from hvr_model.blockstore.hrl import Credential, LogWriter, encode
    >>> key = Credential("hv1.contoso.com", b"s" * 32, "kerberos")
    >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=4, relationship=7, generation=1)
    >>> tracker.record(1, b"abcd")
    >>> decode(encode(tracker.open_log, key))
    Traceback (most recent call last):
    hvr_model.blockstore.hrl.errors.LogNotClosed: log 1 has no end marker: it was not closed cleanly (field: end marker)
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
