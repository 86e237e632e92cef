"""The replica side of one VM: the latest data plus undo logs for older recovery points.

The replica VHDs always hold the latest replicated data (REQ-15). Applying a
delta (one closed log per disk, REQ-10) creates a new recovery point; the
blocks it overwrote are kept as that point's *undo log* (.hru) so the previous
point can be rebuilt on demand. Only ``retention`` older points are kept
(REQ-14). An undo log carries a checksum: a corrupt one makes the points older
than it unreachable and leaves newer ones usable (REQ-15).

Everything here is a value: :meth:`ReplicaVm.apply` returns a new replica and
never changes the one it was called on, so an apply interrupted part way (a
crash) leaves the replica at its previous recovery point.

>>> from hvr_model.blockstore.disk import DiskImage
>>> r = ReplicaVm.seeded((DiskImage.blank(2, 2),), retention=1)
>>> r1 = r.apply({0: [(0, b"aa")]})
>>> r2 = r1.apply({0: [(0, b"bb"), (1, b"cc")]}, app_consistent=True)
>>> [d.read(0) for d in r2.point_disks(-1)], [d.read(0) for d in r2.point_disks(-2)]
([b'bb'], [b'aa'])
>>> [p.app_consistent for p in r2.points]
[False, True]
>>> r2.keep_point(-2).disks[0].read(0), len(r2.keep_point(-2).points)
(b'aa', 1)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import xxhash

from .disk import DiskImage

__all__ = ["UndoLog", "RecoveryPoint", "ReplicaVm", "UndoLogCorrupted", "ApplyInterrupted"]


class UndoLogCorrupted(Exception):
    """An undo log failed its checksum: the points older than it cannot be rebuilt."""


class ApplyInterrupted(Exception):
    """A simulated crash in the middle of an apply (the replica is left as it was)."""


def _undo_checksum(entries: tuple[tuple[int, int, bytes | None], ...]) -> int:
    h = xxhash.xxh3_64()
    for disk, block, data in entries:
        h.update(disk.to_bytes(4, "little") + block.to_bytes(8, "little"))
        h.update(b"\x00" if data is None else b"\x01" + data)
    return h.intdigest()


@dataclass(frozen=True)
class UndoLog:
    """The blocks a delta overwrote, as they were before it: ``(disk, block, old data)``."""

    entries: tuple[tuple[int, int, bytes | None], ...]
    checksum: int

    @classmethod
    def of(cls, entries) -> "UndoLog":
        entries = tuple(entries)
        return cls(entries, _undo_checksum(entries))

    def verified(self) -> "UndoLog":
        if _undo_checksum(self.entries) != self.checksum:
            raise UndoLogCorrupted("undo log checksum mismatch")
        return self


@dataclass(frozen=True)
class RecoveryPoint:
    """A point the VM can fail over to. ``undo`` rebuilds the point before it."""

    point_id: int
    app_consistent: bool
    undo: UndoLog | None        # None for the oldest point kept


@dataclass(frozen=True)
class ReplicaVm:
    """Replica VHDs of one VM (latest data) and the recovery points kept, oldest first."""

    disks: tuple[DiskImage, ...]
    points: tuple[RecoveryPoint, ...]
    retention: int = 0          # older points kept besides the latest

    @classmethod
    def seeded(cls, disks: Iterable[DiskImage], retention: int = 0) -> "ReplicaVm":
        """A replica holding ``disks`` (after an initial copy or a resync) as its only point."""
        return cls(tuple(disks), (RecoveryPoint(0, False, None),), retention)

    def apply(self, writes: Mapping[int, Iterable[tuple[int, bytes]]], *, app_consistent: bool = False,
              crash_after: int | None = None) -> "ReplicaVm":
        """The replica after merging one delta (per disk, its ``(block, data)`` in log order).

        All disks move to the new point together (REQ-12). ``crash_after`` simulates a crash
        after that many block writes: :class:`ApplyInterrupted` is raised and, since nothing was
        published, ``self`` still holds the previous point.

        Raises
        ------
        ValueError
            A disk or block index outside the replica, or data that is not one block, before
            anything is staged (the replica's own check, behind the log acceptance that
            refuses such a log first: a bad index never reaches a disk image).

        >>> r = ReplicaVm.seeded((DiskImage.blank(2, 2),))
        >>> r.apply({0: [(2, b"zz")]})
        Traceback (most recent call last):
        ValueError: disk 0 has blocks 0..1, a write names block 2
        """
        writes = {disk: list(entries) for disk, entries in writes.items()}
        self._check_writes(writes)
        staged, undo, done = list(self.disks), [], 0
        for disk, entries in sorted(writes.items()):
            overwritten: dict[int, bytes | None] = {}
            image = staged[disk]
            new_blocks = list(image.blocks)
            for block, data in entries:
                if crash_after is not None and done >= crash_after:
                    raise ApplyInterrupted(f"crash after {done} block writes")
                overwritten.setdefault(block, image.blocks[block])
                new_blocks[block] = image._normal(block, data)
                done += 1
            staged[disk] = DiskImage(image.block_size, tuple(new_blocks))
            undo += [(disk, block, old) for block, old in overwritten.items()]
        point = RecoveryPoint(self.points[-1].point_id + 1, app_consistent, UndoLog.of(undo))
        return self._trimmed(replace(self, disks=tuple(staged), points=self.points + (point,)))

    def _check_writes(self, writes: Mapping[int, list[tuple[int, bytes]]]) -> None:
        for disk, entries in writes.items():
            if not (isinstance(disk, int) and 0 <= disk < len(self.disks)):
                raise ValueError(f"the replica has disks 0..{len(self.disks) - 1}, a write names disk {disk!r}")
            image = self.disks[disk]
            for block, data in entries:
                if not (isinstance(block, int) and 0 <= block < len(image.blocks)):
                    raise ValueError(f"disk {disk} has blocks 0..{len(image.blocks) - 1}, "
                                     f"a write names block {block!r}")
                if len(data) != image.block_size:
                    raise ValueError(f"disk {disk} has {image.block_size}-byte blocks, "
                                     f"a write to block {block} holds {len(data)} bytes")

    def _trimmed(self, replica: "ReplicaVm") -> "ReplicaVm":
        keep = replica.points[-(replica.retention + 1):]
        oldest = replace(keep[0], undo=None)
        return replace(replica, points=(oldest,) + keep[1:])

    def point_disks(self, index: int = -1) -> tuple[DiskImage, ...]:
        """The disks as of recovery point ``index`` (-1 latest, -2 the one before, ...)."""
        index %= len(self.points)
        blocks = [list(d.blocks) for d in self.disks]
        for point in reversed(self.points[index + 1:]):
            for disk, block, old in point.undo.verified().entries:
                blocks[disk][block] = old
        return tuple(DiskImage(d.block_size, tuple(b)) for d, b in zip(self.disks, blocks))

    def keep_point(self, index: int) -> "ReplicaVm":
        """Commit: point ``index`` becomes the latest and only point; the others are deleted (REQ-27)."""
        point = self.points[index % len(self.points)]
        return ReplicaVm(self.point_disks(index), (replace(point, undo=None),), self.retention)

    def reset_points(self) -> "ReplicaVm":
        """After a resync every older point is gone; the current data is the only point (REQ-20)."""
        return ReplicaVm.seeded(self.disks, self.retention)
