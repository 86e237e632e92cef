"""The ``hvr-model`` program's first lines: Ctrl-C and SIGTERM are handled before anything heavy loads.

Importing the command line loads numpy, scipy, networkx and the model (about half a
second); an interrupt in that window would otherwise print a KeyboardInterrupt
traceback, and SIGTERM would end the process without a word. Nothing has been
written then, so the message says so; :func:`hvr_model.tools.cli.main` takes over
the signals once it runs (see :mod:`hvr_model.tools.guard`).
"""
from __future__ import annotations

import signal
import sys

__all__ = ["main"]


#: Signals received while loading (one raised inside a gc callback of an imported library is lost).
_PENDING: list[int] = []


def _starting(signum, frame) -> None:
    _PENDING.append(signum)
    raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)


def _say(signum: int) -> int:
    word = "interrupted" if signum == signal.SIGINT else "terminated"
    print(f"hvr-model: {word}: while starting; no output was written", file=sys.stderr)
    return 128 + signum


def main() -> int:
    """Run the command line; exit 130/143 with one line when interrupted while it loads."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _starting)
    try:
        from .cli import main as run
    except (KeyboardInterrupt, SystemExit):
        return _say(_PENDING[-1] if _PENDING else signal.SIGINT)
    if _PENDING:
        return _say(_PENDING[-1])
    return run()


if __name__ == "__main__":
    sys.exit(main())
