"""The .hrl records' byte layout and the values they carry: header, entries, log (REQ-10, 37).

The ``struct`` layouts, tags and sizes of the records (see the table in
:mod:`hvr_model.blockstore.hrl`, inspired by [MS-HRL]), the checks shared by the
constructors and the decoder, and the immutable :class:`LogHeader`,
:class:`LogEntry` and :class:`ReplicationLog` that the writer produces and the
decoder returns.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import KW_ONLY, dataclass

__all__ = ["MAGIC", "VERSION", "LogEntry", "LogHeader", "ReplicationLog"]

MAGIC = b"HVRL"
#: Version 2 added the relationship and its generation to the header (version 1 logs are refused).
VERSION = 2

_PREAMBLE = struct.Struct("<4sHH")              # magic, version, server name length
#: flags, VM name length, disk, relationship, generation, log id, predecessor, block size
_HEADER_FIELDS = struct.Struct("<BxHIQQQQI")
_CHECKSUM = struct.Struct("<Q")             # xxh3-64
_ENTRY = struct.Struct("<4sQI")             # tag, block index, length
_END = struct.Struct("<4sQ")                # tag, number of entries
_ENTRY_TAG, _END_TAG, _AUTH_TAG = b"ENTR", b"DONE", b"AUTH"
_TAG_SIZE = 4
_MAC_SIZE = hashlib.sha256().digest_size
_TRAILER_SIZE = _TAG_SIZE + _MAC_SIZE
_APP_CONSISTENT = 0x01
_U16, _U32, _U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1


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


def _header_problem(vm, disk, log_id, predecessor_id, source_server, block_size, relationship,
                    generation) -> str | None:
    """What is wrong with these header values, or None; shared by LogHeader and decode."""
    checks = (
        _name_problem("vm", vm),
        _name_problem("source_server", source_server),
        None if _is_int_in(disk, 0, _U32) else f"disk must be in 0..{_U32}, got {disk!r}",
        None if _is_int_in(relationship, 0, _U64) else f"relationship must be in 0..{_U64}, got {relationship!r}",
        None if _is_int_in(generation, 0, _U64) else f"generation must be in 0..{_U64}, got {generation!r}",
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
    it follows, 0 for the first log of a generation.

    Parameters
    ----------
    relationship : int
        Keyword only. The replication relationship the log belongs to (a 64-bit
        id both hosts know; see :func:`hvr_model.blockstore.hrl.accept`).
    generation : int
        Keyword only. The relationship's generation: a new one starts whenever
        the id chain restarts (protection enabled again, a resync, reverse
        replication), and it never goes back, so a log of an earlier chain can
        never continue the current one.

    >>> LogHeader("web", 0, 2, 1, "hv1.contoso.com", 4096, relationship=7, generation=1).predecessor_id
    1
    >>> LogHeader("web", 0, 2, 2, "hv1.contoso.com", 4096, relationship=7, generation=1)
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
    _: KW_ONLY
    relationship: int
    generation: int

    def __post_init__(self) -> None:
        problem = _header_problem(self.vm, self.disk, self.log_id, self.predecessor_id,
                                  self.source_server, self.block_size, self.relationship,
                                  self.generation)
        if problem is None and not isinstance(self.app_consistent, bool):
            problem = f"app_consistent must be a bool, got {self.app_consistent!r}"
        if problem is not None:
            raise ValueError(problem)


@dataclass(frozen=True)
class ReplicationLog:
    """A log: its header, its entries in write order, and whether its end marker was written.

    >>> header = LogHeader("web", 0, 1, 0, "hv1.contoso.com", 4, relationship=7, generation=1)
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
