"""Fixtures of the block-store claims."""
from __future__ import annotations

import pytest

from hvr_model.blockstore import resync

from .helpers import B, CHUNK


@pytest.fixture
def small_chunks(monkeypatch):
    """Resync compares chunks of CHUNK blocks (instead of 1 MiB) so a 16-block disk has 4 chunks."""
    monkeypatch.setattr(resync, "DEFAULT_CHUNK_BYTES", CHUNK * B)
