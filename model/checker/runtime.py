"""What a long search needs from the Python runtime: the garbage collector paused, resident memory.

>>> with gc_paused():
...     resident_bytes() > 0
True
"""
from __future__ import annotations

import gc
import resource
import signal
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


def as_worker_process() -> None:
    """Signals in a forked worker: Ctrl-C is the coordinator's to handle, SIGTERM simply ends it.

    A terminal's Ctrl-C reaches the whole process group; a worker that raised
    KeyboardInterrupt too would leave the coordinator waiting on its pipe forever. The
    coordinator stops its workers when it unwinds.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C (KeyboardInterrupt), so staged outputs are removed."""


#: The interrupting signal received and not yet acted on (see :func:`raise_if_interrupted`).
_PENDING: list[int] = []


def on_interrupt(signum: int, frame) -> None:
    """Signal handler for SIGINT and SIGTERM: remember the signal, then raise it as an exception.

    The exception can be lost: one raised inside a garbage-collector callback or a
    finaliser is printed as "Exception ignored" and the run goes on (Hypothesis
    installs such a callback). Long loops therefore call :func:`raise_if_interrupted`.
    """
    _PENDING.append(signum)
    raise_if_interrupted()


def reset_interrupts() -> None:
    """Forget interrupts already acted on (a new command in the same process starts clean)."""
    _PENDING.clear()


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt (SIGINT) or :class:`Terminated` (SIGTERM) if one arrived and was lost."""
    if _PENDING:
        signum = _PENDING[-1]
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated()
