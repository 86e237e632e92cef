"""One input path: every file a run reads goes through :func:`read_text`, then :func:`parse_toml`
or :func:`parse_json`.

A model checker's inputs (configurations, traces, manifests, catalogues) come
from users and from other tools; a bad one must be refused at once with a
message naming the file, the line and the key, never a traceback and never
megabytes echoed back. The reader refuses what is not a regular file (a FIFO
would block, a device like ``/dev/zero`` never ends) before reading a byte,
bounds the size, decodes UTF-8 strictly, and bounds nesting (Python's parsers
recurse, so ``[[[[...]]]]`` would end in a RecursionError).

>>> parse_toml('a = [[[1]]]', "x.toml", max_depth=2)
Traceback (most recent call last):
...
hvr_model.checker.inputs.InputError: x.toml: key a: nested deeper than 2 levels
>>> parse_json('{"event": NaN}', "t.jsonl", line=3)
Traceback (most recent call last):
...
hvr_model.checker.inputs.InputError: t.jsonl:3: not JSON: NaN is not a JSON value
"""
from __future__ import annotations

import json
import os
import stat
import tomllib
from typing import Any

__all__ = ["InputError", "read_text", "parse_toml", "parse_json", "excerpt", "MAX_CONFIG_BYTES",
           "MAX_TRACE_BYTES", "MAX_LINE_BYTES", "MAX_DEPTH"]

#: Bounds of what a run reads. A configuration or manifest is a few KiB; a trace is one
#: line per event, so even a long-lived system's log stays far below these.
MAX_CONFIG_BYTES = 1 << 20
MAX_TRACE_BYTES = 256 << 20
MAX_LINE_BYTES = 1 << 20
MAX_DEPTH = 32


class InputError(ValueError):
    """Bad input: the message starts with where (``file:line: key:``), then what is wrong.

    Every command maps it to exit code 2 (bad input) and writes nothing.

    >>> str(InputError("not TOML", source="a.toml", line=3, key="vms"))
    'a.toml:3: key vms: not TOML'
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.reason, self.source, self.line, self.key = message, source, line, key
        where = f"{source}:{line}" if source and line else source or (f"line {line}" if line else "")
        prefix = (f"{where}: " if where else "") + (f"key {key}: " if key else "")
        super().__init__(prefix + message)


def excerpt(value: object, limit: int = 200) -> str:
    """``repr(value)`` cut to about ``limit`` characters: an error message never echoes megabytes.

    >>> excerpt("x" * 1000, 12)
    "'xxxxxxxxx... (1002 characters)"
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 2]}... ({len(text)} characters)"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_text(path: str | os.PathLike, *, what: str = "file", limit: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file. Opened without blocking, so a FIFO is refused, not waited on.
    what : str
        What the file is (``"configuration"``, ``"trace"``), for the messages.
    limit : int
        Bytes the file may hold; a larger one is refused before it is read.

    Returns
    -------
    str
        The text, a leading UTF-8 byte-order mark removed.

    Raises
    ------
    InputError
        Missing, unreadable, not a regular file, larger than ``limit``, or not UTF-8
        (the message names the line of the first bad byte).
    """
    source = os.fspath(path)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"no such {what}", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror or exc}", source=source) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(f"{_kind(info.st_mode)}, not a {what} file", source=source)
    with os.fdopen(fd, "rb") as stream:
        if info.st_size > limit:
            raise InputError(f"{info.st_size:,} bytes, more than the {limit:,} a {what} may hold", source=source)
        try:
            data = stream.read(limit + 1)      # a file that grows (or lies about its size) stops here
        except OSError as exc:
            raise InputError(f"cannot read the {what}: {exc.strerror or exc}", source=source) from None
    if len(data) > limit:
        raise InputError(f"more than the {limit:,} bytes a {what} may hold", source=source)
    return decode_utf8(data, source)


def decode_utf8(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped); InputError naming the line otherwise."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text (byte {exc.start}: {exc.reason})", source=source, line=line) from None


def parse_toml(text: str, source: str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """``text`` parsed as TOML, nested at most ``max_depth`` levels.

    Raises
    ------
    InputError
        Not TOML (the message gives tomllib's line and column), or nested too deeply.
    """
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    except RecursionError:
        raise InputError(f"not valid TOML: nested deeper than {max_depth} levels", source=source) from None
    _check_depth(value, max_depth, source, None)
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def parse_json(text: str, source: str, *, line: int | None = None, max_depth: int = MAX_DEPTH,
               limit: int = MAX_LINE_BYTES) -> Any:
    """``text`` (one JSON value, e.g. a JSON Lines line) parsed with bounded size and nesting.

    NaN and Infinity are refused (they are not JSON), as are integers of more
    digits than Python converts.

    Raises
    ------
    InputError
        Longer than ``limit`` characters, not JSON, or nested deeper than ``max_depth``.
    """
    if len(text) > limit:
        raise InputError(f"{len(text):,} characters, more than the {limit:,} a line may hold",
                         source=source, line=line)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", source=source, line=line) from None
    except RecursionError:
        raise InputError(f"not JSON: nested deeper than {max_depth} levels", source=source, line=line) from None
    except ValueError as exc:     # NaN, Infinity, or an integer of thousands of digits
        raise InputError(f"not JSON: {excerpt(str(exc), 120)[1:-1]}", source=source, line=line) from None
    _check_depth(value, max_depth, source, line)
    return value


def _check_depth(value: Any, max_depth: int, source: str, line: int | None) -> None:
    """InputError naming the top-level key when more than ``max_depth`` containers nest (no recursion)."""
    pending = [(value, 1, None)]
    while pending:
        item, depth, top = pending.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > max_depth:
            raise InputError(f"nested deeper than {max_depth} levels", source=source, line=line, key=top)
        if isinstance(item, dict):
            pending.extend((v, depth + 1, top if top is not None else str(k)) for k, v in item.items())
        else:
            pending.extend((v, depth + 1, top) for v in item)
