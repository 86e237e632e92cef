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
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["InputError", "read_text", "read_so_far", "parse_toml", "parse_json", "excerpt", "MAX_CONFIG_BYTES",
           "MAX_TRACE_BYTES", "MAX_LINE_BYTES", "MAX_DEPTH"]

#: Bounds of what a run reads. A configuration or manifest is a few KiB; a trace is one
#: line per event, so even a long-lived system's log stays far below these.
MAX_CONFIG_BYTES = 1 << 20
MAX_TRACE_BYTES = 256 << 20
MAX_LINE_BYTES = 1 << 20
MAX_DEPTH = 32

#: Every file :func:`read_text` has read in this process: outputs never overwrite one.
_READ: set = set()
#: TOML tokens, enough to find dotted keys: a bare or quoted key part, a dot, anything else.
_TOKEN = re.compile(r'[A-Za-z0-9_-]+|"[^"\n]*"|\'[^\'\n]*\'|[ \t]+|.', re.DOTALL)


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


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_text(path: str | os.PathLike, *, what: str = "file", limit: int = MAX_CONFIG_BYTES,
              remember: bool = True) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file. Opened without blocking, so a FIFO is refused, not waited on.
    what : str
        What the file is (``"configuration"``, ``"trace"``), for the messages.
    limit : int
        Bytes the file may hold; a larger one is refused before it is read.
    remember : bool
        Add the file to :func:`read_so_far` (outputs never overwrite an input); False for a
        file the run itself rewrites (a ledger of what it wrote).

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
    except (OSError, ValueError) as exc:      # ValueError: a NUL byte in the name
        raise InputError(f"cannot read the {what}: {getattr(exc, 'strerror', None) or exc}",
                         source=source) from None
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
    if remember:
        _READ.add(os.path.realpath(source))
    return decode_utf8(data, source)


def read_so_far() -> frozenset:
    """The resolved paths of every file read through :func:`read_text` in this process."""
    return frozenset(Path(p) for p in _READ)


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
    dotted = _dotted_key_beyond(text, MAX_DEPTH)
    if dotted is not None:
        line = text.count("\n", 0, dotted) + 1
        raise InputError(f"a dotted key of more than {MAX_DEPTH} parts", source=source, line=line)
    try:
        value = tomllib.loads(text, parse_float=_finite)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    except RecursionError:
        raise InputError(f"not valid TOML: nested deeper than {max_depth} levels", source=source) from None
    except ValueError as exc:     # an integer of thousands of digits, nan or inf
        raise InputError(f"not valid TOML: {_cut(str(exc))}", source=source) from None
    _check_depth(value, max_depth, source, None)
    return value


def _dotted_key_beyond(text: str, parts: int) -> int | None:
    """Offset of a dotted key of more than ``parts`` parts (``a.b.c...``), or None; linear time.

    tomllib's time and memory grow with the square of a key's parts: 100,000 of them
    exhaust memory long before any check on the parsed value could run.
    """
    run, expect_part = 0, True
    for token in _TOKEN.finditer(text):
        piece = token.group()
        if piece.isspace() and "\n" not in piece:
            continue
        if expect_part and (piece[0] in "\"'" or piece[0].isalnum() or piece[0] in "_-"):
            run, expect_part = run + 1, False
            if run > parts:
                return token.start()
        elif not expect_part and piece == ".":
            expect_part = True
        else:
            run, expect_part = 0, True
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    """A float literal's value; ValueError for nan, inf, or a literal too large for a float (1e400)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


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
    size = len(text) if len(text) > limit else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(f"more than the {limit:,} bytes a line may hold", source=source, line=line)
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", source=source, line=line) from None
    except RecursionError:
        raise InputError(f"not JSON: nested deeper than {max_depth} levels", source=source, line=line) from None
    except ValueError as exc:     # NaN, Infinity, or an integer of thousands of digits
        raise InputError(f"not JSON: {_cut(str(exc))}", source=source, line=line) from None
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
