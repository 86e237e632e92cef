"""Typed ITF (Informal Trace Format) states and traces, and replaying an exported ITF trace.

The Informal Trace Format of Apalache and Quint
(https://apalache-mc.org/docs/adr/015adr-trace.html) is what :func:`itf_trace`
writes and :func:`check_itf_trace` reads back. Every state holds the same five
variables, each of one type in every state of every trace of a configuration
(:func:`itf_var_types` gives them in Apalache's type syntax, written as
``#meta.varTypes``):

* ``site``: ``Str -> Str``, a ``#map`` from site name to status;
* ``network``, ``vault``: ``Str``;
* ``plan``: a record ``{status: Str, kind: Str, group: Int}``;
* ``vm``: a ``#map`` from VM name to a record of its variables: enum states as
  strings, counters as ``{"#bigint": ...}``, flags as booleans, ``power`` and
  ``mode`` as ``#map`` per site, ``disk`` as a ``#map`` per disk index, and
  ``direction`` (none while the VM is unprotected) as an optional value. In data
  configurations the record has ``data``: the block store's ``phase``, its write
  ``history`` (records ``{disk, block, data}``), ``disk`` (disk index -> site ->
  the blocks' text, ``"."`` unwritten) and the optional ``points_hold_writes``,
  ``lost_writes``, ``next_log``, ``recorded``.

An optional value is a list of at most one element (``Seq(T)``: ``[]`` absent,
``[x]`` present): a variable never changes type, never appears midway and is
never ``null``. (Quint's ``Some``/``None`` variants are not used: itf-py reads a
variant holding a ``#bigint`` as a record and fails.)

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("single_vm")
>>> s = itf_state(initial_world(cfg), cfg)
>>> s["site"], s["plan"]["group"], s["vm"]["#map"][0][0]
({'#map': [['primary', 'Online'], ['recovery', 'Online']]}, {'#bigint': '0'}, 'web')
>>> web = s["vm"]["#map"][0][1]
>>> web["protection"], web["snapshot"], web["unsent"], web["direction"], web["disk"]["#map"][0]
('Unprotected', False, {'#bigint': '0'}, [], [{'#bigint': '0'}, 'Pending'])
>>> itf_var_types(cfg)["site"], itf_var_types(cfg)["plan"]
('Str -> Str', '{ status: Str, kind: Str, group: Int }')
"""
from __future__ import annotations

from pathlib import Path

from ..blockstore.hrl import LogWriter
from ..checker.inputs import MAX_DEPTH, MAX_TRACE_BYTES, InputError, excerpt, parse_json, read_text
from ..hyperv.config import Config, ConfigError, config_names, load_config
from ..hyperv.describe import _recorded, describe
from ..hyperv.mutants import MUTANTS
from ..hyperv.state import SITE_NAMES, World
from ..hyperv.views import direction, replication_health, replication_mode
from .oracle import Oracle
from .traces import TraceFailure, TraceMalformed, TraceResult

__all__ = ["ITF_FORMAT_DESCRIPTION", "ITF_VARS", "ItfMalformed", "itf_state", "itf_var_types", "itf_trace",
           "check_itf_trace", "check_itf_data"]

ITF_FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
ITF_VARS = ("site", "network", "vault", "plan", "vm")
_ENUMS = ("protection", "phase", "active", "test")
_FLAGS = ("snapshot", "unclosed_log", "older_points", "diverged_replica", "source_needs_resync", "held_logs",
          "missed_cycles")
_COUNTS = ("unsent", "retries", "chosen_point")
_SHOWN_DIFFERENCES = 6


class ItfMalformed(TraceMalformed):
    """The ITF file is not a trace this tool can replay; ``state`` is the state's index (None: the file)."""

    def __init__(self, state: int | None, reason: str):
        super().__init__(0, reason if state is None else f"state {state}: {reason}")
        self.state = state


def _int(n: int) -> dict:
    return {"#bigint": str(n)}


def _map(pairs) -> dict:
    return {"#map": [[k, v] for k, v in pairs]}


def _optional(value) -> list:
    return [] if value is None else [value]


def _block_text(b) -> str:
    return "." if b is None else b.decode("latin-1") if b.isascii() and b.isalnum() else b.hex()


def _data(data) -> dict:
    """A VM's block store as an ITF record (data configurations)."""
    points = None
    if data.replica is not None and data.point_seq:
        points = [_int(data.point_seq.get(p.point_id, -1)) for p in data.replica.points]
    next_log = None
    if data.writers and all(isinstance(w, LogWriter) for w in data.writers):
        next_log = [_int(w.open_log.header.log_id - last) for w, last in zip(data.writers, data.last_applied)]
    recorded = None
    if data.recorded:
        recorded = _recorded(data)
    return {
        "phase": data.phase,
        "history": [{"disk": _int(w.disk), "block": _int(w.block), "data": w.data.decode("latin-1")}
                    for w in data.history],
        "disk": _map((_int(d), _map((site, [_block_text(b) for b in data.images[s][d].blocks])
                                    for s, site in enumerate(SITE_NAMES)))
                     for d in range(len(data.images[0]))),
        "points_hold_writes": _optional(points),
        "lost_writes": _optional(None if data.last_failover is None else _int(len(data.last_failover.lost_writes))),
        "next_log": _optional(next_log),
        "recorded": _optional(recorded),
    }


def _vm(w: World, i: int) -> dict:
    vm = w.vms[i]
    out: dict = {field: str(getattr(vm, field)) for field in _ENUMS}
    out |= {field: bool(getattr(vm, field)) for field in _FLAGS}
    out |= {field: _int(getattr(vm, field)) for field in _COUNTS}
    out["power"] = _map((site, str(vm.power[s])) for s, site in enumerate(SITE_NAMES))
    out["mode"] = _map((site, str(replication_mode(w, i, s))) for s, site in enumerate(SITE_NAMES))
    out["disk"] = _map((_int(d), str(progress)) for d, progress in enumerate(vm.disks))
    towards = direction(w, i)
    out["direction"] = _optional(None if towards is None else str(towards))
    out["health"] = str(replication_health(w, i))
    if vm.data is not None:
        out["data"] = _data(vm.data)
    return out


def itf_state(w: World, config: Config) -> dict:
    """The ITF variables (:data:`ITF_VARS`) of ``w``, typed as :func:`itf_var_types` says.

    Parameters
    ----------
    w : World
        A state of ``config``'s model.
    config : Config
        Names the VMs (the ``vm`` map's keys).

    Returns
    -------
    dict
        ``{variable: ITF value}``, the same variables and types in every state.
    """
    return {"site": _map((site, str(w.sites[s])) for s, site in enumerate(SITE_NAMES)),
            "network": str(w.network), "vault": str(w.vault),
            "plan": {"status": str(w.plan_status), "kind": str(w.plan_kind), "group": _int(w.plan_group)},
            "vm": _map((config.vms[i].name, _vm(w, i)) for i in range(len(w.vms)))}


def itf_var_types(config: Config) -> dict[str, str]:
    """Each ITF variable's type in Apalache's type syntax (``#meta.varTypes``).

    An optional value is ``Seq(T)`` of at most one element.
    """
    fields = [f"{f}: Str" for f in _ENUMS] + [f"{f}: Bool" for f in _FLAGS] + [f"{f}: Int" for f in _COUNTS]
    fields += ["power: Str -> Str", "mode: Str -> Str", "disk: Int -> Str", "direction: Seq(Str)", "health: Str"]
    if config.data is not None:
        fields.append("data: { phase: Str, history: Seq({ disk: Int, block: Int, data: Str }), "
                      "disk: Int -> (Str -> Seq(Str)), points_hold_writes: Seq(Seq(Int)), lost_writes: Seq(Int), "
                      "next_log: Seq(Seq(Int)), recorded: Seq(Str) }")
    return {"site": "Str -> Str", "network": "Str", "vault": "Str", "plan": "{ status: Str, kind: Str, group: Int }",
            "vm": f"Str -> {{ {', '.join(fields)} }}"}


def itf_trace(steps, config: Config, mutant: str | None = None, **meta) -> dict:
    """An ITF trace of ``steps`` (:class:`~hvr_model.checker.exploration.Step`); ``meta`` goes into ``#meta``.

    Each state's ``#meta`` has its ``index`` and the ``action`` (label) that led to it
    (``null`` for the initial state); the trace's ``#meta`` names the ``config`` and the
    ``mutant`` (what :func:`check_itf_trace` replays against) and has ``varTypes``.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.system import System
    >>> from hvr_model.checker.exploration import Step
    >>> config = load_config("single_vm")
    >>> w0 = System(config).initial_states()[0]
    >>> w1 = System(config).apply(w0, "enable_protection(vm=web)")
    >>> trace = itf_trace([Step(None, w0), Step("enable_protection(vm=web)", w1)], config)
    >>> trace["vars"], [s["#meta"] for s in trace["states"]]
    (['site', 'network', 'vault', 'plan', 'vm'], [{'index': 0, 'action': None}, {'index': 1, 'action': 'enable_protection(vm=web)'}])
    >>> trace["states"][1]["vm"]["#map"][0][1]["protection"]
    'EnablingProtection'
    """
    states = [{"#meta": {"index": i, "action": step.action}, **itf_state(step.state, config)}
              for i, step in enumerate(steps)]
    return {"#meta": {"format": "ITF", "format-description": ITF_FORMAT_DESCRIPTION, "source": "hvr-model",
                      "config": config.name, "mutant": mutant, "varTypes": itf_var_types(config), **meta},
            "vars": list(ITF_VARS), "states": states}


# -- replaying ----------------------------------------------------------------------------------

def check_itf_trace(path: str | Path) -> TraceResult:
    """Replay the ITF trace at ``path`` (as :func:`itf_trace` writes it) against the model.

    The file goes through :func:`hvr_model.checker.inputs.read_text` and
    :func:`~hvr_model.checker.inputs.parse_json` (a regular UTF-8 file of at most
    :data:`~hvr_model.checker.inputs.MAX_TRACE_BYTES`, bounded nesting).
    See :func:`check_itf_data`.

    Raises
    ------
    ItfMalformed
        (a :class:`~hvr_model.conformance.traces.TraceMalformed`, an ``InputError``)
        the file is not such a trace; the message names the state's index.
    """
    try:
        text = read_text(path, what="ITF trace", limit=MAX_TRACE_BYTES)
        data = parse_json(text, "", limit=MAX_TRACE_BYTES, max_depth=MAX_DEPTH)
    except InputError as exc:
        raise ItfMalformed(None, exc.reason) from None
    return check_itf_data(data, str(path), folder=Path(path).parent)


def check_itf_data(data, name: str = "<itf>", folder: str | Path | None = None) -> TraceResult:
    """Replay a parsed ITF trace: every state's action from the one before, and the lasso's closing step.

    The model is the configuration and mutant of ``#meta`` (a relative configuration
    path is read from ``folder``). Each state's ``#meta.action`` is an action label of
    that model; the state it leads to must equal the trace's state (all variables).
    With ``loop``, the step from the last state to ``states[loop]`` (by that state's
    action) is checked too, unless ``loop`` is the last state (it stutters).

    Returns
    -------
    TraceResult
        As :func:`~hvr_model.conformance.traces.check_trace` gives; ``events`` counts the
        steps checked, and a failure's ``line`` is the index of the state it is about.

    Raises
    ------
    ItfMalformed
        Not an ITF trace of this tool (no configuration, an unknown mutant or action,
        a state without ``#meta.index`` ...): the message names the state's index.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.system import System
    >>> from hvr_model.checker.exploration import Step
    >>> config = load_config("single_vm")
    >>> w0 = System(config).initial_states()[0]
    >>> w1 = System(config).apply(w0, "enable_protection(vm=web)")
    >>> trace = itf_trace([Step(None, w0), Step("enable_protection(vm=web)", w1)], config)
    >>> check_itf_data(trace).conforms
    True
    >>> trace["states"][1]["#meta"]["action"] = "commit(vm=web)"
    >>> check_itf_data(trace).failure.requirements
    ['REQ-27']
    """
    oracle, states, loop = _parse(data, folder)
    system, config = oracle.system, oracle.config
    result = TraceResult(name, config.name)
    start = next((w for w in system.initial_states() if itf_state(w, config) == states[0][1]), None)
    if start is None:
        oracle.state = system.initial_states()[0]
        result.failure = _mismatch(oracle, 0, "(initial state)", itf_state(oracle.state, config), states[0][1])
        return result
    oracle.state = start
    steps = [(i, label, value) for i, (label, value) in enumerate(states) if i]
    if loop is not None and loop != len(states) - 1:
        steps.append((loop, states[loop][0], states[loop][1]))   # the lasso's closing step
    for index, label, expected in steps:
        if not _replay(oracle, index, label, expected, result):
            break
        result.events += 1
    return result


def _replay(oracle: Oracle, index: int, label: str, expected: dict, result: TraceResult) -> bool:
    system, config = oracle.system, oracle.config
    bound = system.event_by_label[label]
    successors = [system.fire(oracle.state, step) for step in system.steps(oracle.state, (bound,))]
    if not successors:
        refusal = system.refusal(oracle.state, bound)
        result.failure = TraceFailure(index, label, [r for r, _ in refusal], sorted({q for _, q in refusal if q}),
                                      oracle.allowed(), describe(oracle.state, config))
        return False
    match = next((w for w in successors if itf_state(w, config) == expected), None)
    if match is None:
        result.failure = _mismatch(oracle, index, label, itf_state(successors[0], config), expected)
        return False
    oracle.state = match
    return True


def _mismatch(oracle: Oracle, index: int, label: str, model: dict, expected: dict) -> TraceFailure:
    have, want = dict(_flat(model)), dict(_flat(expected))
    wrong = [f"expected {p} = {want.get(p, '(no value)')}, the model has {have.get(p, '(no value)')}"
             for p in [*have, *(p for p in want if p not in have)] if have.get(p) != want.get(p)]
    if len(wrong) > _SHOWN_DIFFERENCES:
        wrong = wrong[:_SHOWN_DIFFERENCES] + [f"... and {len(wrong) - _SHOWN_DIFFERENCES} more differences"]
    return TraceFailure(index, label, wrong or ["expected the trace's state"], [], oracle.allowed(),
                        describe(oracle.state, oracle.config))


def _flat(value, path: str = ""):
    """``(path, leaf text)`` pairs of an ITF value, for the differences in a failure."""
    if isinstance(value, dict) and "#bigint" in value and len(value) == 1:
        yield path, str(value["#bigint"])
    elif isinstance(value, dict) and "#map" in value and len(value) == 1 and isinstance(value["#map"], list):
        for entry in value["#map"]:
            key, item = entry if isinstance(entry, list) and len(entry) == 2 else (excerpt(entry, 40), None)
            key = key["#bigint"] if isinstance(key, dict) and "#bigint" in key else key
            yield from _flat(item, f"{path}[{key}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _flat(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        yield path, "[" + ", ".join(text for _, text in (p for v in value for p in _flat(v))) + "]"
    else:
        yield path, excerpt(value, 80) if not isinstance(value, str) else value


def _parse(data, folder) -> tuple[Oracle, list[tuple[str | None, dict]], int | None]:
    """The model the trace names, its states as ``(action, {variable: value})``, and ``loop``."""
    if not isinstance(data, dict) or not isinstance(data.get("#meta"), dict):
        raise ItfMalformed(None, "an ITF trace is a JSON object with #meta, vars and states")
    meta = data["#meta"]
    if meta.get("format", "ITF") != "ITF" or not isinstance(meta.get("config"), str):
        raise ItfMalformed(None, "#meta must name the configuration (config): "
                                 "replayed are the ITF traces hvr-model check --itf writes")
    mutant = meta.get("mutant")
    if mutant is not None and (not isinstance(mutant, str) or mutant not in MUTANTS):
        raise ItfMalformed(None, f"#meta: unknown mutant {excerpt(mutant)}")
    config = meta["config"]
    if folder is not None and config not in config_names() and not Path(config).is_absolute():
        config = str(Path(folder) / config)
    try:
        oracle = Oracle(load_config(config), mutant)
    except ConfigError as exc:
        raise ItfMalformed(None, str(exc)) from None
    if data.get("vars") != list(ITF_VARS):
        raise ItfMalformed(None, f"vars must be {list(ITF_VARS)}")
    states = data.get("states")
    if not isinstance(states, list) or not states:
        raise ItfMalformed(None, "states must be a non-empty list")
    loop = data.get("loop")
    if loop is not None and (type(loop) is not int or not 0 <= loop < len(states)):
        raise ItfMalformed(None, f"loop must be the index of a state (0 to {len(states) - 1})")
    return oracle, [_state(oracle, i, s) for i, s in enumerate(states)], loop


def _state(oracle: Oracle, i: int, state) -> tuple[str | None, dict]:
    if not isinstance(state, dict) or not isinstance(state.get("#meta"), dict):
        raise ItfMalformed(i, "a state is an object with #meta")
    meta = state["#meta"]
    if type(meta.get("index", i)) is not int or meta.get("index", i) != i:
        raise ItfMalformed(i, f"#meta.index is {excerpt(meta.get('index'))}, not {i}")
    action = meta.get("action")
    if i == 0 and action is not None:
        raise ItfMalformed(i, "the initial state has no action (#meta.action null)")
    if i and (not isinstance(action, str) or action not in oracle.system.event_by_label):
        raise ItfMalformed(i, f"#meta.action {excerpt(action)} is not an action of configuration "
                              f"{oracle.config.name!r}")
    values = {k: v for k, v in state.items() if k != "#meta"}
    if set(values) != set(ITF_VARS):
        raise ItfMalformed(i, f"the variables must be {', '.join(ITF_VARS)}")
    return action, values
