"""Published JSON Schemas (draft 2020-12): configurations, trace lines and ``check --json``.

The schemas ship in the package (``hvr_model/schemas/NAME.schema.json``) for other
tools to validate against: ``config`` (a configuration TOML file, parsed, as JSON),
``trace`` (one line of a JSON Lines trace: the header or an event, specs/traces.md)
and ``result`` (what ``hvr-model check --json`` prints: the result object, or the
error object printed on bad input, interruption or an internal error).

They are generated from the model's own tables (the faults, policy choices and
bounds of :mod:`hvr_model.hyperv.config`, the events of
:mod:`hvr_model.hyperv.events`, the verdicts of the checker) by :func:`build`;
:func:`write_schemas` regenerates the shipped files (``python -m
hvr_model.tools.schemas``) and the tests fail when they are stale.

A schema checks the shape of a document; the model checks more (e.g. that the VMs
of a recovery plan exist, that a trace's events exist in its configuration).

>>> schema("config")["$schema"]
'https://json-schema.org/draft/2020-12/schema'
>>> "site_outage" in schema("config")["properties"]["faults"]["items"]["enum"]
True
>>> schema("nothing")
Traceback (most recent call last):
...
hvr_model.checker.inputs.InputError: unknown schema 'nothing' (known: config, trace, result)
"""
from __future__ import annotations

import dataclasses
import json
import sys
from importlib import resources
from pathlib import Path

from ..checker import properties as _claims
from ..checker.inputs import InputError
from ..checker.properties import VERDICTS
from ..checker.results import RUN_VERDICTS
from ..conformance import traces as _traces
from ..hyperv import config as _config
from ..hyperv.events import ALIASES, EVENTS, JOB_OUTCOMES, OPTIONS, job_event
from ..hyperv.state import SITE_NAMES
from . import guard

__all__ = ["SCHEMA_NAMES", "schema", "build", "render", "write_schemas", "stale_schemas", "SCHEMA_FOLDER",
           "DRAFT", "INTEGER_RANGES", "ERROR_KINDS", "main"]

#: The schemas shipped, by name (the file is ``NAME.schema.json``).
SCHEMA_NAMES = ("config", "trace", "result")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Where the shipped schema files live in the source tree (package data of hvr_model).
SCHEMA_FOLDER = Path(__file__).resolve().parents[1] / "schemas"


def schema(name: str) -> dict:
    """The shipped schema ``name`` (one of :data:`SCHEMA_NAMES`), as a dict.

    Raises
    ------
    InputError
        ``name`` is not one of :data:`SCHEMA_NAMES`.
    """
    _known(name)
    return json.loads((resources.files("hvr_model") / "schemas" / _file(name)).read_text(encoding="utf-8"))


def build(name: str) -> dict:
    """Schema ``name`` generated from the model's tables (what the shipped file must hold)."""
    _known(name)
    return {"config": _config_schema, "trace": _trace_schema, "result": _result_schema}[name]()


def render(name: str) -> str:
    """The text of the shipped file of schema ``name``: :func:`build`, as indented JSON."""
    return json.dumps(build(name), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: str | Path = SCHEMA_FOLDER) -> list[Path]:
    """Regenerate every schema file in ``folder``; the paths written (only those that changed)."""
    folder, written = Path(folder), []
    folder.mkdir(parents=True, exist_ok=True)
    for name in SCHEMA_NAMES:
        path, text = folder / _file(name), render(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_schemas(folder: str | Path = SCHEMA_FOLDER) -> list[str]:
    """Names of the schemas whose file in ``folder`` is missing or differs from :func:`render`."""
    folder = Path(folder)
    return [name for name in SCHEMA_NAMES
            if not (folder / _file(name)).exists() or (folder / _file(name)).read_text(encoding="utf-8") != render(name)]


def _known(name: str) -> None:
    if name not in SCHEMA_NAMES:
        raise InputError(f"unknown schema {name!r} (known: {', '.join(SCHEMA_NAMES)})")


def _file(name: str) -> str:
    return f"{name}.schema.json"


def _head(name: str, title: str, description: str) -> dict:
    return {"$schema": DRAFT, "$id": f"urn:hvr-model:schema:{name}", "title": title, "description": description}


def _table(props: dict, required=(), doc: str = "") -> dict:
    out = {"type": "object"} | ({"description": doc} if doc else {})
    out |= {"properties": props, "additionalProperties": False}
    return out | ({"required": list(required)} if required else {})


def _integer(low: int, high: int | None = None, default: int | None = None) -> dict:
    out = {"type": "integer", "minimum": low} | ({"maximum": high} if high is not None else {})
    return out | ({"default": default} if default is not None else {})


def _choice(choices, default: str | None = None) -> dict:
    return {"type": "string", "enum": list(choices)} | ({"default": default} if default is not None else {})


def _list(items: dict, low: int = 0, high: int | None = None, unique: bool = False) -> dict:
    out = {"type": "array", "items": items} | ({"minItems": low} if low else {})
    return out | ({"maxItems": high} if high is not None else {}) | ({"uniqueItems": True} if unique else {})


# -- configuration ----------------------------------------------------------------------------------------
#: The integer ranges parse_config enforces, ``{key path: (low, high)}`` (tests cross-check them).
INTEGER_RANGES = {"vms.disks": (1, 4), "policy.recovery_point_retention_hours": (0, 24),
                  "policy.app_consistent_snapshot_hours": (0, 12), "policy.port": (1, 65535),
                  "bounds.log_threshold": (1, 8), "bounds.retry_attempts": (1, 6),
                  "bounds.max_concurrent_faults": (0, 3), "data.blocks": (1, 4), "data.max_writes": (1, 6)}


def _ranged(path: str, default: int | None = None) -> dict:
    return _integer(*INTEGER_RANGES[path], default=default)


def _config_schema() -> dict:
    protocol = [n for n, e in EVENTS.items() if e.kind != "environment"]
    per_vm = [n for n in protocol if "vm" in EVENTS[n].params]
    p, b, d = _config.Policy(), _config.Bounds(), _config.DataConfig()
    vm = _table({"name": {"type": "string", "minLength": 1, "description": "unique among the VMs"},
                 "disks": _ranged("vms.disks", 1),
                 "exclude": _list(_choice(per_vm), unique=False) | {"description": "events of this VM left out"}},
                required=["name"])
    policy = _table({
        "copy_frequency": _choice(_config.COPY_FREQUENCIES, p.copy_frequency),
        "recovery_point_retention_hours": _ranged("policy.recovery_point_retention_hours",
                                                  p.recovery_point_retention_hours),
        "app_consistent_snapshot_hours": _ranged("policy.app_consistent_snapshot_hours",
                                                 p.app_consistent_snapshot_hours)
        | {"description": "less than recovery_point_retention_hours when not 0 (REQ-05)"},
        "initial_replication": _choice(_config.INITIAL_REPLICATION, p.initial_replication),
        "authentication": _choice(_config.AUTHENTICATION, p.authentication),
        "port": _ranged("policy.port", p.port),
        "resynchronization": _choice(_config.RESYNCHRONIZATION, p.resynchronization)},
        doc="the ASR replication policy (REQ-05)")
    bounds = _table({name: _ranged(f"bounds.{name}", getattr(b, name)) for name in _config.Bounds.__dataclass_fields__},
                    doc="abstraction bounds that keep the state space finite")
    group = _table({"vms": _list({"type": "string"}, low=1, unique=True) | {"description": "VMs named in vms"},
                    "post_action": _choice(_config.POST_ACTIONS, "none")}, required=["vms"])
    data = _table({"blocks": _ranged("data.blocks", d.blocks),
                   "values": _list({"type": "string", "pattern": "^[\\u0001-\\u007f]$"}, 1, 4, unique=True)
                   | {"default": list(d.values), "description": "one non-zero byte each"},
                   "max_writes": _ranged("data.max_writes", d.max_writes)},
                  doc="real bytes in the state: each VM runs the reference block store")
    props = {"name": {"type": "string"}, "description": {"type": "string"},
             "initially_protected": {"type": "boolean", "default": False},
             "symmetry": {"type": "boolean", "default": False},
             "vms": _list(vm, 1, 4), "policy": policy, "bounds": bounds,
             "faults": _list(_choice(_config.FAULTS), unique=True) | {"description": "environment faults enabled"},
             "recovery_plan": _table({"groups": _list(group, 1, _config.MAX_GROUPS)}, required=["groups"]),
             "exclude": _list(_choice(protocol)) | {"description": "protocol and guest events left out"},
             "data": data}
    assert set(props) == _config._TOP_KEYS, "the configuration keys changed: update the schema"
    return _head("config", "hvr-model configuration",
                 "A configuration TOML file as parsed (tomllib), in JSON. The model also checks what a schema "
                 "cannot: unique VM names, plan VMs that exist and sit in one group, the policy's REQ-05 rule, "
                 "the events a plan needs, symmetry.") | _table(props, required=["vms"])


# -- trace lines ------------------------------------------------------------------------------------------
def _header_schema() -> dict:
    props = {"format": {"const": _traces.FORMAT}, "version": {"const": _traces.VERSION},
             "config": {"type": "string", "description": "a shipped configuration name or a TOML file's path"},
             "observed": _choice(("full", "partial"), "full"), "comment": {"type": "string"}}
    assert set(props) == _traces._HEADER_KEYS, "the trace header keys changed: update the schema"
    return _table(props, required=["format", "version", "config"], doc="line 1: the header")


def _event_schema() -> dict:
    types = {str: {"type": "string"}, int: {"type": "integer", "minimum": 0}, bool: {"type": "boolean"}}
    params = {key: dict(types[kind]) for key, kind in _traces._PARAM_TYPES.items()}
    params["site"] = _choice(SITE_NAMES)
    params["job"] = _choice(JOB_OUTCOMES, "Succeeded")
    names = list(EVENTS) + list(ALIASES)
    props = {"event": _choice(names) | {"description": "an event of the model, or an ASR alias"}, **params,
             "error": {"type": "string", "description": 'only with "job": "Failed"'},
             "expect": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "{state path: value} after this event"},
             "comment": {"type": "string"}}
    out = _table(props, required=["event"], doc="every other line: one event")
    out["dependentSchemas"] = {"error": {"required": ["job"], "properties": {"job": {"const": "Failed"}}}}
    rules: dict[str, list[str]] = {}
    for name in names:      # events that take the same parameters and jobs share one rule
        rules.setdefault(json.dumps(_event_rule(name, params)), []).append(name)
    out["allOf"] = [{"if": {"properties": {"event": {"enum": events}}, "required": ["event"]},
                     "then": json.loads(rule)} for rule, events in rules.items()]
    return out


def _event_rule(name: str, params: dict) -> dict:
    """What event ``name`` takes: its parameters (options and data ones optional), the job outcomes it has."""
    spec = EVENTS[ALIASES.get(name, name)]
    takes = set(spec.params) | ({"disk", "block", "data"} if name == "guest_write" else set())
    jobs = [outcome for outcome in JOB_OUTCOMES if job_event(ALIASES.get(name, name), outcome)]
    return {"required": [p for p in spec.params if p not in OPTIONS],
            "properties": {p: False for p in params if p not in takes and p != "job"} | {"job": {"enum": jobs}}}


def _trace_schema() -> dict:
    return _head("trace", "hvr-model trace line",
                 "One line of a JSON Lines trace (specs/traces.md): the header (line 1) or an event. An event "
                 "carries the parameters it takes (guest_write also disk, block and data in a data "
                 "configuration); the model also checks the VM names, the state paths of expect and that the "
                 "event exists in the configuration. A line with a format key is a header.") | {
        "if": {"required": ["format"]}, "then": {"$ref": "#/$defs/header"}, "else": {"$ref": "#/$defs/event"},
        "$defs": {"header": _header_schema(), "event": _event_schema()}}


# -- check --json -----------------------------------------------------------------------------------------
_NULLABLE_TEXT = {"type": ["string", "null"]}


def _step_schema(changes_required: bool) -> dict:
    props = {"step": {"type": "integer", "minimum": 0},
             "action": {"type": ["string", "null"], "description": "null for the initial state"},
             "state": {"type": "object", "additionalProperties": {"type": "string"}},
             "changes": {"type": "object", "additionalProperties": _list({"type": "string"}, 2, 2)
                         | {"description": "[old, new]"}}}
    return _table(props, required=["step", "action", "state"] + (["changes"] if changes_required else []))


def _claim_kinds() -> list[str]:
    classes = [getattr(_claims, n) for n in _claims.__all__ if isinstance(getattr(_claims, n), type)]
    return sorted({f.default for c in classes if dataclasses.is_dataclass(c)
                   for f in dataclasses.fields(c) if f.name == "kind" and isinstance(f.default, str)})


def _property_schema() -> dict:
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    props = {"name": {"type": "string"}, "kind": _choice(_claim_kinds()), "verdict": _choice(VERDICTS),
             "holds": {"type": ["boolean", "null"]},
             "vacuous": _NULLABLE_TEXT, "unknown": _NULLABLE_TEXT, "error": _NULLABLE_TEXT, "instance": _NULLABLE_TEXT,
             "requirements": _list({"type": "string", "pattern": "^REQ-[0-9]+$"}),
             "counterexample": {"oneOf": [{"type": "null"}, _list({"$ref": "#/$defs/step"})]},
             "read": {"description": "what a violated claim read: {path: value}, or {before, after} for a step claim",
                      "oneOf": [{"type": "null"}, strings,
                                _table({"before": strings, "after": strings}, required=["before", "after"])]},
             "cycle": _list({"$ref": "#/$defs/cycle_step"})
             | {"description": "a violated liveness claim's loop; empty: it stutters at the last step"}}
    out = _table(props, required=[k for k in props if k != "cycle"])
    reasons = {"holds": (True, None), "violated": (False, None), "vacuous": (None, "vacuous"),
               "unknown": (None, "unknown"), "error": (None, "error")}
    out["allOf"] = [{"if": {"properties": {"verdict": {"const": v}}},
                     "then": {"properties": {"holds": {"const": holds}}
                              | ({reason: {"type": "string"}} if reason else {})}} for v, (holds, reason) in reasons.items()]
    return out


def _run_schema() -> dict:
    count = {"type": "integer", "minimum": 0}
    props = {"config": {"type": "string"}, "mutant": _NULLABLE_TEXT, "mode": _choice(("graph", "safety-only", "workers")),
             "symmetry": {"type": "boolean"}, "complete": {"type": "boolean"}, "states": count, "edges": count,
             "depth": count, "seconds": {"type": "number", "minimum": 0}, "total_seconds": {"type": "number", "minimum": 0},
             "verdict": _choice(RUN_VERDICTS), "holds": {"type": "boolean"}, "stopped": _NULLABLE_TEXT,
             "advice": _NULLABLE_TEXT, "properties": _list({"$ref": "#/$defs/property"})}
    out = _table(props, required=list(props), doc="the result of a check that ran")
    out["if"], out["then"] = {"properties": {"verdict": {"const": "holds"}}}, {"properties": {"holds": {"const": True}}}
    out["else"] = {"properties": {"holds": {"const": False}}}
    return out


#: What ended a run, as ``_say`` in :mod:`hvr_model.tools.guard` names it, and its exit codes.
ERROR_KINDS = {"error": (guard.EXIT_BAD_INPUT, guard.EXIT_INTERNAL), "incomplete": (guard.EXIT_INCOMPLETE,),
               "internal error": (guard.EXIT_INTERNAL,), "interrupted": (guard.EXIT_INTERRUPTED,),
               "terminated": (guard.EXIT_TERMINATED,)}


def _error_schema() -> dict:
    codes = sorted({c for cs in ERROR_KINDS.values() for c in cs})
    error = _table({"kind": _choice(ERROR_KINDS), "message": {"type": "string"}}, required=["kind", "message"])
    return _table({"error": error, "exit_code": {"enum": codes}}, required=["error", "exit_code"],
                  doc="what stopped the command (bad input, memory, an interrupt, an internal error)")


def _result_schema() -> dict:
    return _head("result", "hvr-model check --json",
                 "What hvr-model check --json prints: the result of the check, or an error object (README, "
                 "'Command line' and 'Bad input and faults'). An object with an error key is an error object.") | {
        "if": {"required": ["error"]}, "then": {"$ref": "#/$defs/error"}, "else": {"$ref": "#/$defs/run"},
        "$defs": {"run": _run_schema(), "error": _error_schema(), "property": _property_schema(),
                  "step": _step_schema(False), "cycle_step": _step_schema(True)}}


def main(argv: list[str] | None = None) -> int:
    """``python -m hvr_model.tools.schemas [FOLDER]``: regenerate the schema files; prints those written."""
    argv = sys.argv[1:] if argv is None else argv
    for path in write_schemas(argv[0] if argv else SCHEMA_FOLDER):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
