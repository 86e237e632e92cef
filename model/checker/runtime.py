"""What a long search needs from the Python runtime: the garbage collector paused, resident memory.

>>> with gc_paused():
...     resident_bytes() > 0
True
"""
from __future__ import annotations

import gc
import resource
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused", "resident_bytes"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; on exit, file what was allocated as old and resume.

    ``gc.freeze(); gc.unfreeze()`` moves every tracked object to the oldest
    generation in O(1), so the next young collections do not rescan the whole
    graph. It is skipped if the caller froze objects of their own.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def resident_bytes() -> int:
    """Resident memory of this process now (Linux ``/proc``; the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_stop(budget: int, states: int) -> str:
    """Why a search stopped at its memory budget, with what a state cost (resident bytes / states).

    >>> memory_stop(2**30, 0).startswith("memory budget (1,024 MiB) reached at 0 states")
    True
    """
    per_state = resident_bytes() / states if states else 0.0
    return (f"memory budget ({budget / 2**20:,.0f} MiB) reached at {states:,} states "
            f"(about {per_state:,.0f} bytes per state held)")
