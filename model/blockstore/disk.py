"""Virtual disks as immutable images of fixed-size blocks (sparse where unwritten).

A :class:`DiskImage` is a value: writing returns a new image that shares every
unchanged block with the old one. That makes a VM snapshot copy-on-write for
free (the snapshot is the image as it was), makes an atomic apply trivial (the
new image is published in one step or not at all), and lets small images be
part of the explored, hashable state.

Blocks never written, or written with zeros, are stored as ``None`` and read
as zeros, so two images with the same content are equal.

>>> disk = DiskImage.blank(blocks=4, block_size=4)
>>> after = disk.write(1, b"abcd")
>>> after.read(1), after.read(0), disk.read(1)
(b'abcd', b'\\x00\\x00\\x00\\x00', b'\\x00\\x00\\x00\\x00')
>>> after.write(1, b"\\x00" * 4) == disk
True
>>> after.written_blocks()
(1,)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

__all__ = ["DiskImage"]


@lru_cache(maxsize=8)
def _zeros(size: int) -> bytes:
    """One block of zeros (a comparison with it stops at the first non-zero byte)."""
    return bytes(size)


@dataclass(frozen=True)
class DiskImage:
    """The content of one virtual hard disk: ``len(blocks)`` blocks of ``block_size`` bytes."""

    block_size: int
    blocks: tuple[bytes | None, ...]

    @classmethod
    def blank(cls, blocks: int, block_size: int) -> "DiskImage":
        """A disk of ``blocks`` unwritten blocks."""
        if blocks < 1 or block_size < 1:
            raise ValueError("a disk needs at least one block of at least one byte")
        return cls(block_size, (None,) * blocks)

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self.block_size * len(self.blocks)

    def read(self, block: int) -> bytes:
        if not 0 <= block < len(self.blocks):
            raise IndexError(f"block {block} is outside a disk of {len(self.blocks)} blocks")
        data = self.blocks[block]
        return bytes(self.block_size) if data is None else data

    def _normal(self, block: int, data: bytes) -> bytes | None:
        if not 0 <= block < len(self.blocks):
            raise IndexError(f"block {block} is outside a disk of {len(self.blocks)} blocks")
        if len(data) != self.block_size:
            raise ValueError(f"a block is {self.block_size} bytes, got {len(data)}")
        return None if data == _zeros(len(data)) else bytes(data)

    def write(self, block: int, data: bytes) -> "DiskImage":
        """The image after writing one block."""
        return self.write_many({block: data})

    def write_many(self, writes: Mapping[int, bytes] | Iterable[tuple[int, bytes]]) -> "DiskImage":
        """The image after writing several blocks (later writes to a block win)."""
        items = writes.items() if isinstance(writes, Mapping) else writes
        blocks = list(self.blocks)
        for block, data in items:
            blocks[block] = self._normal(block, data)
        return DiskImage(self.block_size, tuple(blocks))

    def written_blocks(self) -> tuple[int, ...]:
        """Indices of the blocks that hold data (non-zero)."""
        return tuple(i for i, data in enumerate(self.blocks) if data is not None)
