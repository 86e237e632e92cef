"""Event-log conformance: check a JSON Lines trace of a real system against the model.

Format (see specs/traces.md): a header line ``{"format": "hvr-model-trace",
"version": 1, "config": NAME, "observed": "full" | "partial"}`` then one event per
line, ``{"event": NAME, "vm": ..., "site": ..., "disk": ..., "block": ...,
"data": ..., "expect": {PATH: VALUE}, "comment": ...}`` with only the
parameters the event takes. A *partial* trace may leave out Hyper-V engine
events: before an event the model refuses, a breadth-first search of at most
``max_unobserved`` engine steps looks for a way to make it allowed, and the
steps it had to assume are reported.

>>> text = '\\n'.join(['{"format": "hvr-model-trace", "version": 1, "config": "single_vm", "observed": "full"}',
...                   '{"event": "enable_protection", "vm": "web"}',
...                   '{"event": "commit", "vm": "web"}'])
>>> result = check_trace_text(text)
>>> result.conforms, result.failure.line, result.failure.requirements
(False, 3, ['REQ-27'])
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..checker.inputs import MAX_TRACE_BYTES, InputError, excerpt, parse_json, read_text
from ..hyperv.config import ConfigError, config_names, load_config
from ..hyperv.describe import describe
from ..hyperv.events import canonical_event
from .oracle import DEFAULT_MAX_UNOBSERVED, Oracle, Refused, UnknownEvent

__all__ = ["TraceMalformed", "TraceFailure", "TraceResult", "check_trace", "check_trace_text",
           "DEFAULT_MAX_UNOBSERVED", "FORMAT", "VERSION"]

FORMAT, VERSION = "hvr-model-trace", 1
_HEADER_KEYS = {"format", "version", "config", "observed", "comment"}
_PARAM_TYPES = {"vm": str, "site": str, "disk": int, "block": int, "data": str, "shutdown_source": bool,
                "job": str}


class TraceMalformed(InputError):
    """The trace file is not a well-formed trace; ``line`` is 1-based (0: the file as a whole)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason, line=line or None)
        self.line = line


@dataclass(frozen=True)
class TraceFailure:
    line: int
    event: str                       # the label the model refused (or whose expectation failed)
    reasons: list[str]
    requirements: list[str]
    allowed: list[str]               # what the model allowed at that point
    state: dict[str, str]            # the model's state there


@dataclass
class TraceResult:
    name: str
    config: str
    events: int = 0
    failure: TraceFailure | None = None
    assumed: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class _Event:
    line: int
    label: str
    expect: dict


def check_trace(path: str | Path, max_unobserved: int = DEFAULT_MAX_UNOBSERVED) -> TraceResult:
    """Check the trace file at ``path``; :class:`TraceMalformed` if it is not one.

    The file goes through :func:`hvr_model.checker.inputs.read_text`: a regular UTF-8
    file of at most :data:`~hvr_model.checker.inputs.MAX_TRACE_BYTES` (a FIFO or device
    is refused before it is read).
    """
    try:
        text = read_text(path, what="trace", limit=MAX_TRACE_BYTES)
    except InputError as exc:
        raise TraceMalformed(exc.line or 0, exc.reason) from None
    return check_trace_text(text, str(path), max_unobserved, folder=Path(path).parent)


def check_trace_text(text: str, name: str = "<string>", max_unobserved: int = DEFAULT_MAX_UNOBSERVED,
                     folder: str | Path | None = None) -> TraceResult:
    """Check a trace given as text (every line is validated before any is checked).

    A relative configuration path in the header is read from ``folder`` (the trace's own
    folder, for :func:`check_trace`), else from the working directory.
    """
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not lines:
        raise TraceMalformed(1, "empty trace: a header line is needed")
    oracle, partial = _header(*lines[0], folder=folder)
    paths = _state_paths(oracle)
    events = [_event(oracle, paths, n, line) for n, line in lines[1:]]
    result = TraceResult(name, oracle.config.name)
    for event in events:
        if not _step(oracle, event, partial, max_unobserved, result):
            break
        result.events += 1
    return result


def _json(n: int, line: str) -> dict:
    try:
        item = parse_json(line, "", line=n)
    except InputError as exc:
        raise TraceMalformed(n, exc.reason) from None
    if not isinstance(item, dict):
        raise TraceMalformed(n, "a line must be a JSON object")
    return item


def _header(n: int, line: str, folder: str | Path | None = None) -> tuple[Oracle, bool]:
    head = _json(n, line)
    if head.get("format") != FORMAT or type(head.get("version")) is not int or head["version"] != VERSION:
        raise TraceMalformed(n, f'the first line must be the header {{"format": "{FORMAT}", "version": {VERSION}, ...}}')
    if set(head) - _HEADER_KEYS:
        raise TraceMalformed(n, f"unknown header key(s): {', '.join(sorted(set(head) - _HEADER_KEYS))}")
    if head.get("observed", "full") not in ("full", "partial"):
        raise TraceMalformed(n, 'observed must be "full" or "partial"')
    if not isinstance(head.get("config"), str):
        raise TraceMalformed(n, "the header must name a configuration (config)")
    config = head["config"]
    if folder is not None and config not in config_names() and not Path(config).is_absolute():
        config = str(Path(folder) / config)
    try:
        oracle = Oracle(load_config(config))
    except ConfigError as exc:
        raise TraceMalformed(n, str(exc)) from None
    return oracle, head.get("observed", "full") == "partial"


def _state_paths(oracle: Oracle) -> frozenset[str]:
    """Every state path an ``expect`` may name (some data paths appear only after a failover)."""
    paths = set(oracle.describe())
    for vm, state in zip(oracle.config.vms, oracle.state.vms):
        if state.data is not None:
            paths |= {f"vm[{vm.name}].data.points_hold_writes", f"vm[{vm.name}].data.lost_writes"}
    return frozenset(paths)


def _event(oracle: Oracle, paths: frozenset[str], n: int, line: str) -> _Event:
    item = _json(n, line)
    name = item.pop("event", None)
    if not isinstance(name, str) or canonical_event(name) is None:
        raise TraceMalformed(n, f"unknown or missing event {excerpt(name)}")
    expect, _ = item.pop("expect", {}), item.pop("comment", None)
    error = item.pop("error", None)
    if error is not None and (not isinstance(error, str) or item.get("job") != "Failed"):
        raise TraceMalformed(n, f'{name}: "error" is a text, and only for a job that ended "Failed"')
    for key, value in item.items():
        kind = _PARAM_TYPES.get(key)
        if kind is None or (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise TraceMalformed(n, f"{name}: parameter {excerpt(key)} is unknown or of the wrong type")
    try:
        label = oracle.label(name, **item)
    except UnknownEvent as exc:
        raise TraceMalformed(n, str(exc)) from None
    return _Event(n, label, _expectations(paths, n, expect))


def _expectations(known: frozenset[str], n: int, expect) -> dict:
    if not isinstance(expect, dict):
        raise TraceMalformed(n, "expect must be an object of state paths")
    for path, value in expect.items():
        if path not in known or not isinstance(value, str):
            raise TraceMalformed(n, f"expect: unknown state path {excerpt(path)} (or a non-string value)")
    return expect


def _step(oracle: Oracle, event: _Event, partial: bool, bound: int, result: TraceResult) -> bool:
    try:
        oracle.apply_label(event.label)
    except Refused as refusal:
        assumed, reached = oracle.search_unobserved(event.label, bound) if partial else (None, ())
        if assumed is None:
            reasons = refusal.reasons + (_unassumable(oracle, event.label, bound, reached) if partial else [])
            result.failure = _failure(oracle, event, reasons, refusal.requirements)
            return False
        oracle.state = assumed[1]
        oracle.apply_label(event.label)
        result.assumed.append((event.line, assumed[0]))
    return _expected(oracle, event, result)


def _expected(oracle: Oracle, event: _Event, result: TraceResult) -> bool:
    if not event.expect:
        return True
    state = describe(oracle.state, oracle.config)
    wrong = [f"expected {p} = {v}, the model has {state.get(p, '(no value)')}"
             for p, v in event.expect.items() if state.get(p) != v]
    if wrong:
        result.failure = _failure(oracle, event, wrong, [])
    return not wrong


def _failure(oracle: Oracle, event: _Event, reasons, requirements) -> TraceFailure:
    return TraceFailure(event.line, event.label, list(reasons), list(requirements), oracle.allowed(),
                        describe(oracle.state, oracle.config))


def _unassumable(oracle: Oracle, label: str, bound: int, reached: list) -> list[str]:
    """The unobserved engine steps that would lead to what ``label`` needs, and why none could be assumed.

    Each is explained in the first of the states the bounded search ``reached`` where only its
    guards refuse it (else in the trace's state).
    """
    system = oracle.system
    event = system.event_by_label[label]
    needed = {(p.instance, state) for p in event.participants if p.read(oracle.state) not in p.rows
              for state in p.rows}
    out = []
    for engine in system.events:
        if engine.spec.kind != "engine" or not any(
                (p.instance, row.dest) in needed for p in engine.participants for rows in p.rows.values()
                for row in rows):
            continue
        where = next((w for w in reached if all(p.read(w) in p.rows for p in engine.participants)), oracle.state)
        if not any(True for _ in system.steps(where, (engine,))):
            why = "; ".join(system.refusal_reasons(where, engine))
            out.append(f"could not assume {engine.label} within {bound} unobserved steps: {why}")
    return out
