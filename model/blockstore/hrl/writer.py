"""The primary host's change tracker of one disk: :class:`LogWriter` (REQ-10).

It records guest writes in the open log and, at each replication interval,
closes it (end marker) and opens the next, which names the closed one as its
predecessor: the id chain the replica checks under REQ-37. Every log it writes
carries the replication relationship and the generation the tracker was started
in, so a log of one chain can never be taken for a log of a later one.
"""
from __future__ import annotations

from dataclasses import replace

from .records import _U64, LogEntry, LogHeader, ReplicationLog, _as_bytes, _is_int_in

__all__ = ["LogWriter"]


class LogWriter:
    """The change tracker of ONE disk on the primary host: records writes, switches logs.

    Parameters
    ----------
    vm, disk, source_server, block_size : str, int, str, int
        What every log's header names: the VM, the disk, the server writing it
        (whose key signs it) and the block size.
    first_log_id : int
        The id of the first log; it names ``first_log_id - 1`` as its predecessor.
    relationship : int
        Keyword only: the replication relationship the logs belong to.
    generation : int
        Keyword only: the relationship's generation this tracker writes in. Whoever
        starts a tracker on a restarted chain (ids from 1 again) must give it a
        generation never used before (:class:`~hvr_model.blockstore.ReplicatedVm`
        counts them over the VM's lifetime).

    >>> tracker = LogWriter("web", 1, "hv1.contoso.com", block_size=2, relationship=7, generation=1)
    >>> tracker.record(5, b"hi")
    >>> first = tracker.switch(app_consistent=True)
    >>> (first.header.log_id, first.closed, first.header.app_consistent, len(first.entries))
    (1, True, True, 1)
    >>> tracker.open_log.header.log_id, tracker.open_log.header.predecessor_id
    (2, 1)
    """

    def __init__(self, vm: str, disk: int, source_server: str, block_size: int,
                 first_log_id: int = 1, *, relationship: int, generation: int):
        predecessor = first_log_id - 1 if _is_int_in(first_log_id, 1, _U64) else first_log_id
        self._header = LogHeader(vm, disk, first_log_id, predecessor, source_server, block_size,
                                 relationship=relationship, generation=generation)
        self._entries: list[LogEntry] = []

    @property
    def generation(self) -> int:
        """The generation every log of this tracker carries."""
        return self._header.generation

    @property
    def open_log(self) -> ReplicationLog:
        """The log being written (never closed)."""
        return ReplicationLog(self._header, tuple(self._entries), closed=False)

    def record(self, block: int, data: bytes) -> None:
        """Append one guest write of a whole block to the open log.

        Raises ValueError when ``block`` is negative or ``data`` is not exactly one block.

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=2, relationship=7, generation=1)
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

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1, first_log_id=5,
        ...                     relationship=7, generation=1)
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

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1, relationship=7, generation=1)
        >>> twin = tracker.copy(); twin.record(0, b"x")
        >>> len(tracker.open_log.entries), len(twin.open_log.entries)
        (0, 1)
        """
        twin = LogWriter.__new__(LogWriter)
        twin._header, twin._entries = self._header, list(self._entries)
        return twin

    def discard(self) -> None:
        """Drop the open log's entries (a resync starts over); its id stays.

        >>> tracker = LogWriter("web", 0, "hv1.contoso.com", block_size=1, relationship=7, generation=1)
        >>> tracker.record(0, b"x"); tracker.discard(); tracker.open_log.entries
        ()
        """
        self._entries = []
