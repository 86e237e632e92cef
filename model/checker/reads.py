"""Which parts of a state a predicate read: the variables that explain its verdict.

A counterexample shows, step by step, what changed; the claim it violates may
hinge on a variable that did not change at the last step (a log batch left
unsent long before the failover that exposes it). :func:`reads` evaluates the
predicate once more on the states wrapped in recording proxies and returns the
*access paths* it followed, such as ``('vms', 1, 'unsent')``.

A path is a tuple of attribute names (``str``), keys or indexes (for a
NamedTuple, the field name), and method calls written ``"name()"``
(``"len()"`` for :func:`len`). Passing through a container is not reading it:
``w.vms[1].unsent`` gives ``('vms', 1, 'unsent')`` alone, and a record fetched
but never looked into gives nothing.

What the proxy does:

* containers (tuples and NamedTuples, lists, dicts, dataclass instances) are
  wrapped, so that attribute reads, indexing, iteration (one path per item
  reached) and ``len`` are recorded;
* leaves (enum members, ``str``, ``bytes``, numbers, ``bool``, ``None``) and any
  other object are returned raw, so ``x is Phase.REPLICATING`` and comparisons
  behave as on the state itself;
* a method reached through a proxy runs on the raw object and returns a raw
  value (``vm._replace(...)``, ``disks.count(...)``);
* comparing, hashing, printing, testing the truth of or membership in a
  container reads it whole (its own path is recorded); ``x is None`` cannot be
  seen (identity is not an operation an object can intercept);
* ``isinstance`` sees the wrapped object's class.

>>> from enum import Enum
>>> from typing import NamedTuple
>>> class Phase(Enum):
...     IDLE = "Idle"
...     BUSY = "Busy"
>>> class Vm(NamedTuple):
...     phase: Phase
...     unsent: int
>>> class World(NamedTuple):
...     vms: tuple
>>> w = World((Vm(Phase.IDLE, 0), Vm(Phase.BUSY, 1)))
>>> nothing_unsent_while_busy = lambda w, config: all(v.unsent == 0 for v in w.vms if v.phase is Phase.BUSY)
>>> r = reads(nothing_unsent_while_busy, w, None)
>>> r.holds, r.paths[0]
(False, (('vms', 0, 'phase'), ('vms', 1, 'phase'), ('vms', 1, 'unsent')))
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

__all__ = ["Reads", "Path", "reads"]

#: An access path from a state's root: attribute names, keys or indexes, and ``"name()"`` calls.
Path = tuple

_LEAVES = (Enum, str, bytes, bool, int, float, complex, type(None))


@dataclasses.dataclass(frozen=True)
class Reads:
    """What a predicate returned and what it read.

    Attributes
    ----------
    holds : bool
        The predicate's truth value (the same on the proxies as on the raw states).
    paths : tuple of tuple of Path
        For each proxied argument, in the order of ``states``: the paths read,
        in the order first read, each once.
    """

    holds: bool
    paths: tuple[tuple[Path, ...], ...]


def reads(predicate: Callable[..., Any], *args: Any, states: Sequence[int] = (0,)) -> Reads | None:
    """Evaluate ``predicate(*args)`` with the arguments at positions ``states`` recorded.

    Parameters
    ----------
    predicate : callable
        A state claim ``(state, config)`` or a step claim ``(before, after, args, config)``.
    *args
        The predicate's arguments, raw.
    states : sequence of int
        Positions of the arguments that are states, to be proxied: ``(0,)`` for a
        state claim, ``(0, 1)`` for a step claim. The others (config, the
        action's binding) are passed as they are.

    Returns
    -------
    Reads or None
        None when the predicate raises (raw or proxied) or its truth value
        differs under the proxies (it told a proxy from the real value, e.g.
        with ``type(x) is``): the caller then has nothing better than the diff.
    """
    try:
        expected = bool(predicate(*args))
    except Exception:   # noqa: BLE001 - any failure means: no explanation, fall back
        return None
    logs = {i: _Log() for i in states}
    wrapped = [_Proxy(a, (), logs[i]) if i in logs and _is_container(a) else a for i, a in enumerate(args)]
    try:
        got = bool(predicate(*wrapped))
    except Exception:   # noqa: BLE001
        return None
    if got != expected:
        return None
    return Reads(got, tuple(logs[i].paths() for i in states))


class _Log:
    """The paths read, in first-read order, each once."""

    def __init__(self):
        self.seen: dict[Path, None] = {}

    def use(self, path: Path) -> None:
        self.seen.setdefault(path, None)

    def paths(self) -> tuple[Path, ...]:
        return tuple(self.seen)


def _is_container(value: Any) -> bool:
    return (isinstance(value, (tuple, list, dict))
            or (dataclasses.is_dataclass(value) and not isinstance(value, type)))


def _wrap(value: Any, path: Path, log: _Log) -> Any:
    if _is_container(value):
        return _Proxy(value, path, log)
    log.use(path)
    return value


def _unwrap(value: Any) -> Any:
    """The raw value of a proxy handed back to real code (read whole), else the value."""
    if type(value) is _Proxy:
        log, path, raw = (object.__getattribute__(value, n) for n in ("_log", "_path", "_raw"))
        log.use(path)
        return raw
    return value


def _step(raw: Any, key: Any) -> Any:
    """The path element for ``raw[key]``: a NamedTuple's field name rather than its position."""
    if not isinstance(key, int) or isinstance(key, bool) or not isinstance(raw, Sequence):
        return key
    index = key + len(raw) if key < 0 else key   # an item has one path, however it is indexed
    fields = getattr(type(raw), "_fields", None)
    return fields[index] if fields is not None and 0 <= index < len(fields) else index


class _Proxy:
    """A container of a state that records what is read through it (see the module docstring)."""

    __slots__ = ("_raw", "_path", "_log")

    def __init__(self, raw: Any, path: Path, log: _Log):
        object.__setattr__(self, "_raw", raw)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_log", log)

    @property
    def __class__(self):   # isinstance() falls back to __class__: the wrapped object's
        return type(self._raw)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._raw, name)
        if callable(value) and not _is_container(value) and not isinstance(value, _LEAVES):
            return self._method(name, value)
        return _wrap(value, self._path + (name,), self._log)

    def _method(self, name: str, method: Callable) -> Callable:
        path, log = self._path + (name + "()",), self._log

        def call(*args, **kwargs):
            log.use(path)
            return method(*map(_unwrap, args), **{k: _unwrap(v) for k, v in kwargs.items()})
        return call

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a state is read-only while its reads are recorded (set {name})")

    def __getitem__(self, key: Any) -> Any:
        raw, key = self._raw, _unwrap(key)
        if isinstance(key, slice) and isinstance(raw, Sequence):
            self._log.use(self._path + ("len()",))   # where a slice ends depends on the length
            for i in range(*key.indices(len(raw))):
                self._log.use(self._path + (_step(raw, i),))
            return raw[key]
        return _wrap(raw[key], self._path + (_step(raw, key),), self._log)

    def __iter__(self):
        raw, path, log = self._raw, self._path, self._log
        if isinstance(raw, Mapping):
            for key in raw:
                log.use(path + (key,))
                yield key
        elif isinstance(raw, Sequence):
            for i, item in enumerate(raw):
                yield _wrap(item, path + (_step(raw, i),), log)
        else:
            log.use(path)
            yield from raw
            return
        log.use(path + ("len()",))   # running out of items tells the length (an empty one's too)

    def __reversed__(self):
        raw = self._raw
        for i in reversed(range(len(raw))):
            yield _wrap(raw[i], self._path + (_step(raw, i),), self._log)
        self._log.use(self._path + ("len()",))

    def __len__(self) -> int:
        self._log.use(self._path + ("len()",))
        return len(self._raw)

    def __bool__(self) -> bool:
        return bool(_unwrap(self))

    def __contains__(self, item: Any) -> bool:
        return _unwrap(item) in _unwrap(self)

    def __hash__(self) -> int:
        return hash(_unwrap(self))

    def __repr__(self) -> str:
        return repr(_unwrap(self))

    def __str__(self) -> str:
        return str(_unwrap(self))

    def __format__(self, spec: str) -> str:
        return format(_unwrap(self), spec)

    def __eq__(self, other):
        return _unwrap(self) == _unwrap(other)

    def __ne__(self, other):
        return _unwrap(self) != _unwrap(other)

    def __lt__(self, other):
        return _unwrap(self) < _unwrap(other)

    def __le__(self, other):
        return _unwrap(self) <= _unwrap(other)

    def __gt__(self, other):
        return _unwrap(self) > _unwrap(other)

    def __ge__(self, other):
        return _unwrap(self) >= _unwrap(other)

    def __add__(self, other):
        return _unwrap(self) + _unwrap(other)

    def __radd__(self, other):
        return _unwrap(other) + _unwrap(self)
