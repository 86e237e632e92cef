"""A set of 64-bit state fingerprints with their BFS parents: numpy open addressing, TLC-style.

For state spaces beyond memory, the safety-only search keeps no graph and no
states, only each state's fingerprint (a 64-bit hash) and its parent's, in two
parallel ``uint64`` arrays probed linearly; 16 bytes a slot, the table doubled
when it is three-quarters full. Insertion is vectorized over a batch of
fingerprints. As in TLC, two states with the same fingerprint are taken for
one (for well-spread hashes the chance of any such collision is about
``n**2 / 2**65`` for ``n`` states; :meth:`FingerprintTable.collision_odds`
reports it).

A fingerprint is Python's ``hash()`` of the state, which is fast but has
structure a model must not fall into: ``hash(-1) == hash(-2)``, so two states
that differ only by -1 against -2 in the same place share a fingerprint, and
one of them is lost. Encode such values otherwise (a string, a non-negative
int), and compare a safety-only run's counts with a graph run on a small
configuration, as the tests do for every shipped one.

>>> import numpy as np
>>> table = FingerprintTable(capacity=16)
>>> table.insert(np.array([5, 9, 5, 13], dtype=np.uint64), np.array([0, 5, 5, 5], dtype=np.uint64)).tolist()
[True, True, False, True]
>>> table.insert(np.array([9, 21], dtype=np.uint64), np.array([5, 9], dtype=np.uint64)).tolist()
[False, True]
>>> len(table), table.parent_of(21), table.capacity
(4, 9, 16)
"""
from __future__ import annotations

import io
import pickle

import numpy as np
import xxhash

__all__ = ["FingerprintTable", "fingerprint", "stable_fingerprint"]

_EMPTY = np.uint64(0)
_LOAD = 0.75
_GOLDEN = np.uint64(0x9E37_79B9_7F4A_7C15)


def _home_slots(keys: np.ndarray, capacity: int) -> np.ndarray:
    """Fibonacci hashing: the top bits of ``key * golden ratio``, so that keys with structure in
    their low bits (small integers hash to themselves) still spread over the table."""
    shift = np.uint64(64 - (capacity.bit_length() - 1))
    with np.errstate(over="ignore"):
        return (keys * _GOLDEN) >> shift


def fingerprint(state) -> int:
    """The 64-bit fingerprint of a state: its hash as an unsigned integer, never 0 (0 marks a free slot).

    The one hash that is 0 is moved to an arbitrary odd constant (a collision only
    with a state whose hash is that constant).
    """
    return (hash(state) & 0xFFFF_FFFF_FFFF_FFFF) or 0x9E37_79B9_7F4A_7C15


def stable_fingerprint(state) -> int:
    """A fingerprint that separate interpreters agree on: a 64-bit xxh3 of the state's pickle.

    :func:`fingerprint` uses ``hash()``, which on Python 3.11 depends on object addresses for
    ``None`` and identity-hashed objects, so two processes that did not fork from one another
    may hash one state differently; this costs a pickle per state but does not. The pickler
    runs without its memo, so that equal states give equal bytes however their parts are
    shared (states with sets or dicts must build them in one order).
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True        # no memo: sharing inside a state must not change its bytes
    pickler.dump(state)
    return xxhash.xxh3_64_intdigest(buffer.getvalue()) or 0x9E37_79B9_7F4A_7C15


class FingerprintTable:
    """Fingerprints of the states found, each with its BFS parent's (0 for an initial state)."""

    def __init__(self, capacity: int = 1 << 16):
        size = 1 << max(4, int(capacity - 1).bit_length())
        self.keys = np.zeros(size, dtype=np.uint64)
        self.parents = np.zeros(size, dtype=np.uint64)
        self.count = 0

    def __len__(self) -> int:
        return self.count

    @property
    def capacity(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.parents.nbytes

    def collision_odds(self) -> float:
        """Probability that two of the states found share a fingerprint (birthday bound)."""
        return min(1.0, self.count * self.count / 2.0 ** 65)

    def insert(self, keys: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """Add ``keys`` (uint64, non-zero) with their parents; per key, whether it was new.

        A key repeated within the batch is new only at its first occurrence.
        """
        new = np.zeros(len(keys), dtype=bool)
        unique, first = np.unique(keys, return_index=True)
        if self.count + len(unique) > _LOAD * self.capacity:
            self._grow(self.count + len(unique))
        added = self._place(unique, parents[first])
        new[first[added]] = True
        self.count += int(added.sum())
        return new

    def _place(self, keys: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """Linear probing for distinct keys; per key, whether it was placed (not already present)."""
        mask = np.uint64(self.capacity - 1)
        slots = _home_slots(keys, self.capacity)
        pending = np.arange(len(keys))
        added = np.zeros(len(keys), dtype=bool)
        while len(pending):
            current = self.keys[slots[pending]]
            empty = current == _EMPTY
            # Several keys may reach one free slot in the same round: the first claims it.
            claim = pending[empty]
            _, winners = np.unique(slots[claim], return_index=True)
            won = claim[winners]
            self.keys[slots[won]] = keys[won]
            self.parents[slots[won]] = parents[won]
            added[won] = True
            found = current == keys[pending]
            done = found.copy()
            done[np.flatnonzero(empty)[winners]] = True
            moving = ~done & ~empty
            slots[pending[moving]] = (slots[pending[moving]] + np.uint64(1)) & mask
            pending = pending[~done]
        return added

    def _grow(self, needed: int) -> None:
        old_keys, old_parents = self.keys, self.parents
        size = self.capacity
        while needed > _LOAD * size:
            size *= 2
        self.keys = np.zeros(size, dtype=np.uint64)
        self.parents = np.zeros(size, dtype=np.uint64)
        used = old_keys != _EMPTY
        self._place(old_keys[used], old_parents[used])

    def parent_of(self, key: int) -> int:
        """The parent fingerprint recorded with ``key`` (``KeyError`` if absent)."""
        mask = self.capacity - 1
        slot = int(_home_slots(np.array([key], dtype=np.uint64), self.capacity)[0])
        while True:
            current = int(self.keys[slot])
            if current == key:
                return int(self.parents[slot])
            if current == 0:
                raise KeyError(key)
            slot = (slot + 1) & mask
