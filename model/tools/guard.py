"""No traceback, ever, outside ``--debug``: the top-level handler of every command.

:func:`guarded` runs a command and turns whatever ends it into an exit code
and one line on stderr (with ``--json``, also a JSON object on stdout, so a
program reading the output always gets JSON):

=====================================  ====  ==========================================
what ended the run                     code  message
=====================================  ====  ==========================================
bad input (``InputError``: config,     2     the file, line and key at fault
trace, argument, output path)
``MemoryError``                        3     where the run was, and how to fit it
a spec that raised (``SpecError``)     4     the spec named
anything else                          4     the exception, one line
Ctrl-C                                 130   where the run was; nothing was written
SIGTERM                                143   likewise
=====================================  ====  ==========================================

Outputs are staged (:mod:`hvr_model.checker.outputs`), so an interrupted run
leaves the user's earlier files as they were.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import sys
import time
import traceback
from typing import Callable

from ..checker.errors import SpecError
from ..checker.exploration import Progress
from ..checker.inputs import InputError
from ..checker.runtime import Terminated, on_interrupt, reset_interrupts

__all__ = ["STATUS", "RunStatus", "Terminated", "guarded", "MEMORY_ADVICE",
           "EXIT_OK", "EXIT_VIOLATED", "EXIT_BAD_INPUT", "EXIT_INCOMPLETE", "EXIT_INTERNAL",
           "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM

#: What to try when a run does not fit in memory (printed with exit 3).
MEMORY_ADVICE = ("to fit the budget: --symmetry (one state per renaming of interchangeable VMs), "
                 "--safety-only (64-bit fingerprints, no graph), --workers N, fewer VMs or faults or "
                 "smaller [bounds] in the configuration, or a larger --max-memory")


class RunStatus:
    """Where the current command is, for the message of an interrupted run."""

    def __init__(self) -> None:
        self.activity, self.progress, self.started = "starting", None, time.monotonic()
        #: The command's exit code once its verdict is known (what a closed pipe must not change).
        self.outcome: int | None = None
        #: Files renamed into place so far (an interrupt after them must not say "nothing written").
        self.written: list = []

    def begin(self, activity: str) -> None:
        self.activity, self.progress = activity, None

    def record(self, progress) -> None:
        self.progress = progress

    def written_note(self) -> str:
        return (f"{len(self.written)} output file(s) had been written whole" if self.written
                else "no output was written")

    def where(self) -> str:
        """``while exploring default: 12,345 states, depth 9; 3.2 s in``."""
        detail = ""
        if isinstance(self.progress, Progress):
            detail = f": {self.progress.states:,} states, {self.progress.edges:,} transitions, depth {self.progress.depth}"
        elif self.progress is not None:
            detail = f": claim {self.progress.index}/{self.progress.total} ({self.progress.name})"
        return f"while {self.activity}{detail}; {time.monotonic() - self.started:.1f} s in"


#: The running command's status (one command per process).
STATUS = RunStatus()


def _quiet_lost_interrupts(unraisable) -> None:
    """``sys.unraisablehook``: an interrupt raised inside a gc callback is acted on later, not printed."""
    if not issubclass(unraisable.exc_type, (KeyboardInterrupt, Terminated)):
        sys.__unraisablehook__(unraisable)


#: Longest message printed: a refusal never echoes megabytes of input back.
_MAX_MESSAGE = 1000
#: Errors writing an output that say something about the place, not about hvr-model.
_PLACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _one_line(message: str) -> str:
    """``message`` on one line (newlines shown as \\n), cut to _MAX_MESSAGE characters."""
    text = message.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= _MAX_MESSAGE else f"{text[:_MAX_MESSAGE]}... ({len(text):,} characters)"


def _say(code: int, kind: str, message: str, as_json: bool) -> int:
    """Print the one-line message (and the JSON error object); a closed or full stream is not an error more."""
    message = _one_line(message)
    try:
        print(f"hvr-model: {kind}: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass
    if as_json:
        try:
            print(json.dumps({"error": {"kind": kind, "message": message}, "exit_code": code}, indent=2), flush=True)
        except (OSError, ValueError, AttributeError):
            pass
    return code


def _interrupted(code: int, kind: str, as_json: bool) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # a second Ctrl-C must not break the message
    return _say(code, kind, f"{STATUS.where()}; {STATUS.written_note()}", as_json)


def guarded(command: Callable[[], int], *, debug: bool = False, as_json: bool = False) -> int:
    """Run ``command`` and return its exit code, or the code of what stopped it (table above)."""
    reset_interrupts()
    sys.unraisablehook = _quiet_lost_interrupts
    try:
        previous = {signum: signal.signal(signum, on_interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:      # not the main thread (a test calling main): leave signals alone
        previous = {}
    try:
        return command()
    except BrokenPipeError:  # the reader went away (e.g. piped into head): the verdict stands
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK if STATUS.outcome is None else STATUS.outcome
    except KeyboardInterrupt:
        return _interrupted(EXIT_INTERRUPTED, "interrupted", as_json)
    except Terminated:
        return _interrupted(EXIT_TERMINATED, "terminated", as_json)
    except InputError as exc:
        if debug:
            traceback.print_exc()
        return _say(EXIT_BAD_INPUT, "error", str(exc), as_json)
    except MemoryError:
        return _say(EXIT_INCOMPLETE, "incomplete", f"out of memory {STATUS.where()}; {MEMORY_ADVICE}", as_json)
    except SpecError as exc:  # raised in a worker process: the spec's bug, named
        if debug:
            traceback.print_exc()
        return _say(EXIT_INTERNAL, "error", f"{exc} (a bug in the spec, not a violation"
                    + ("" if debug else "; --debug for the traceback") + ")", as_json)
    except Exception as exc:  # noqa: BLE001 -- anything unexpected is ours: one line, exit 4
        if isinstance(exc, OSError) and exc.errno in _PLACE_ERRNOS:     # e.g. stdout on a full disk
            return _say(EXIT_BAD_INPUT, "error", f"cannot write: {exc.strerror} "
                        f"({exc.filename or 'standard output'})", as_json)
        if debug:
            traceback.print_exc()
        return _say(EXIT_INTERNAL, "internal error", f"{type(exc).__name__}: {str(exc)[:500]}"
                    + ("" if debug else " (run with --debug for the traceback)"), as_json)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = sys.__unraisablehook__
