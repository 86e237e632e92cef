"""What ``hvr-model check`` shows: the progress line, the properties table, counterexamples, JSON.

The JSON object is documented in the README ("Command line").
"""
from __future__ import annotations

from ..checker.exploration import Progress
from ..checker.results import ClaimProgress
from ..checker.runtime import resident_bytes
from ..hyperv.describe import changes, describe
from ..hyperv.readout import claim_reads
from ..hyperv.state import World
from ..specs.catalogue import by_name

__all__ = ["ProgressLine", "print_report", "as_json", "mode", "run_summary", "SHOWN", "cycle_steps"]


class ProgressLine:
    """States, states/s, depth and resident memory on one line, rewritten in place on a terminal.

    ``show=False`` prints nothing; every update still goes to ``status`` (a
    :class:`~hvr_model.tools.guard.RunStatus`), which says where an interrupted run was.
    """

    def __init__(self, stream, show: bool = True, status=None, budget: int | None = None):
        self.stream, self.tty, self.last = stream, stream.isatty(), 0.0
        self.show, self.status, self.budget = show, status, budget

    def __call__(self, p: Progress | ClaimProgress) -> None:
        if self.status is not None:
            self.status.record(p)
        if not self.show:
            return
        if isinstance(p, ClaimProgress):
            line, every = f"deciding whole-graph and liveness claims: {p.index}/{p.total} {p.name}", 0
        else:
            line, every = (f"exploring: {p.states:,} states, {p.edges:,} edges, depth {p.depth}, "
                           f"{p.states_per_second:,.0f} states/s, {self._memory()}"), 5
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        elif every == 0 or p.seconds - self.last >= every or self.last == 0:
            self.stream.write(line + "\n")
            self.last = p.seconds or 1e-9
        self.stream.flush()

    def _memory(self) -> str:
        """Resident memory, and the share of the budget it is (the exploration stops at 100%)."""
        held = resident_bytes()
        share = f" ({held / self.budget:.0%} of the --max-memory budget)" if self.budget else ""
        return f"{held / 2**20:,.0f} MiB{share}"

    def done(self) -> None:
        if self.tty and self.show:
            self.stream.write("\n")


#: How each verdict is shown in the properties table.
SHOWN = {"holds": "holds", "violated": "VIOLATED", "vacuous": "vacuous", "unknown": "unknown", "error": "ERROR"}


def print_report(result) -> None:
    e, cfg = result.exploration, result.config
    mutant = f" (mutant {result.mutant})" if result.mutant else ""
    kept = "" if mode(result) == "graph" else f" [{mode(result)}]"
    kept += " [symmetry]" if e.canonical is not None else ""
    print(f"configuration {cfg.name}{mutant}{kept}: {e.states:,} states, {e.edges:,} transitions, depth {e.depth}, "
          f"{e.seconds:.1f} s ({e.states_per_second:,.0f} states/s)"
          + ("" if e.complete else f"  [INCOMPLETE: {e.stopped}]"))
    width = max(len(r.name) for r in result.results)
    print(f"\n{'property':{width}}  {'kind':14}  {'result':9}  requirements")
    for r in result.results:
        print(f"{r.name:{width}}  {r.kind:14}  {SHOWN[r.verdict]:9}  {', '.join(r.requirements)}")
    for r in result.results:
        if r.verdict == "violated":
            _print_counterexample(r, cfg)
            _print_read(r, result)
    _print_notes(result)
    print(f"\n{run_summary(result)}")
    print(f"total {result.seconds:.1f} s (exploration {e.seconds:.1f} s, claims {result.seconds - e.seconds:.1f} s)")


def _print_notes(result) -> None:
    """Errors, then warnings (vacuous claims), then claims not decided, each with its reason."""
    for verdict, title in (("error", "ERRORS in specs (not violations of the model)"),
                           ("vacuous", "warnings: vacuous claims (nothing they are about happened)"),
                           ("unknown", "not decided")):
        chosen = [r for r in result.results if r.verdict == verdict]
        if chosen:
            print(f"\n{title}:")
            for r in chosen:
                print(f"  {r.name}: {r.reason}")


def run_summary(result) -> str:
    """The run's verdict in one line (what the exit code says)."""
    e, verdict = result.exploration, result.verdict
    if verdict == "violated":
        return "violated: " + ", ".join(result.violated)
    if verdict == "error":
        return "ERROR: a spec raised while being evaluated: " + ", ".join(result.errors)
    if verdict == "incomplete" and not e.complete:
        return (f"INCOMPLETE ({e.stopped}): no violation in the {e.states:,} states explored; nothing is "
                f"proved. To go further: {_advice(result)}.")
    decided = len(result.results) - len(result.vacuous) - len(result.unknown)
    vacuous = f" ({len(result.vacuous)} vacuous)" if result.vacuous else ""
    if verdict == "incomplete":
        return (f"INCOMPLETE: the {decided} decided properties hold{vacuous}, but {len(result.unknown)} could not "
                f"be decided in this mode (listed above); run without --safety-only/--workers/--symmetry to "
                f"decide them")
    return f"all {decided} decided properties hold{vacuous}"


def mode(result) -> str:
    """How the run kept its states: the graph, fingerprints in one process, or workers."""
    if result.exploration.store is not None:
        return "graph"
    return "safety-only" if getattr(result.exploration, "workers", 0) <= 1 else "workers"


def _advice(result) -> str:
    """What could take an incomplete run further, leaving out what it already uses."""
    ways = []
    if result.exploration.canonical is None and result.config.interchangeable_vms():
        ways.append("--symmetry (interchangeable VMs)")
    if mode(result) == "graph":
        ways += ["--safety-only (fingerprints, no graph)", "--workers N (processes; safety claims)"]
    ways += ["a larger --max-memory or --max-states", "narrower bounds and faults in the configuration"]
    return ", ".join(ways)


def _print_counterexample(r, config) -> None:
    print(f"\ncounterexample for {r.name}" + (f" ({r.reason})" if r.reason else "") + f": {r.doc}")
    if not r.counterexample:
        print("  (the claim failed with no path: nothing satisfied it)")
        return
    for i, (before, step) in enumerate(_pairs(r.counterexample)):
        if before is None:
            print("  0. initial state")
            continue
        _print_step(i, before, step, config)
    if r.cycle is not None:
        _print_cycle(r, config)


def _print_step(i, before, step, config) -> None:
    diff = changes(before.state, step.state, config)
    shown = ", ".join(f"{k}: {a} -> {b}" for k, (a, b) in diff.items()) or "no visible change"
    print(f"  {i}. {step.action}\n       {shown}")


def _print_cycle(r, config) -> None:
    """A lasso's loop: the fair behaviour that never reaches the goal."""
    n = len(r.counterexample)
    if not r.cycle:
        print(f"  then it stutters at step {n - 1} forever: no fair action is enabled there, and the goal "
              f"never holds")
        return
    print(f"  then repeats forever (a fair cycle back to step {n - 1}; the goal never holds):")
    for i, before, step in cycle_steps(r):
        _print_step(i, before, step, config)


def _pairs(steps):
    return zip([None] + steps[:-1], steps)


def cycle_steps(r):
    """A lasso's cycle as ``(step number, step before, step)``, numbered on from the stem."""
    befores = [r.counterexample[-1]] + r.cycle[:-1]
    return [(i, before, step) for i, (before, step) in enumerate(zip(befores, r.cycle), start=len(r.counterexample))]


def _path_json(steps, config):
    if steps is None:
        return None
    out = []
    for i, (before, step) in enumerate(_pairs(steps)):
        item = {"step": i, "action": step.action, "state": describe(step.state, config)}
        if before is not None:
            item["changes"] = {k: list(v) for k, v in changes(before.state, step.state, config).items()}
        out.append(item)
    return out


def as_json(result) -> dict:
    e, cfg = result.exploration, result.config
    return {
        "config": cfg.name, "mutant": result.mutant, "mode": mode(result), "symmetry": e.canonical is not None,
        "complete": e.complete, "states": e.states,
        "edges": e.edges, "depth": e.depth, "seconds": round(e.seconds, 3), "total_seconds": round(result.seconds, 3),
        "verdict": result.verdict, "holds": result.holds, "stopped": e.stopped or None,
        "advice": _advice(result) if not e.complete else None,
        "properties": [_property_json(r, cfg) | {"read": _read_json(r, result)} for r in result.results],
    }


def _property_json(r, cfg) -> dict:
    """One claim: ``holds`` is true, false, or null with ``vacuous`` / ``unknown`` / ``error`` giving the reason."""
    out = {"name": r.name, "kind": r.kind, "verdict": r.verdict, "holds": r.holds,
           "vacuous": r.reason if r.verdict == "vacuous" else None,
           "unknown": r.reason if r.verdict == "unknown" else None,
           "error": r.reason if r.verdict == "error" else None,
           "instance": r.reason if r.verdict == "violated" and r.reason else None,
           "requirements": list(r.requirements),
           "counterexample": _path_json(r.counterexample, cfg)}
    if r.cycle is not None:
        out["cycle"] = _cycle_json(r, cfg)
    return out


def _cycle_json(r, cfg) -> list:
    """A lasso's loop, its steps numbered on from the stem (empty: stuttering at the stem's end)."""
    return [{"step": i, "action": step.action, "state": describe(step.state, cfg),
             "changes": {k: list(v) for k, v in changes(before.state, step.state, cfg).items()}}
            for i, before, step in cycle_steps(r)]


def _claim_read(r, result) -> dict | None:
    """What a violated state or step claim of the catalogue read at the end of its counterexample.

    See :func:`hvr_model.hyperv.readout.claim_reads`; None for other kinds of claim,
    for claims not in the catalogue and for models other than the Hyper-V one.
    """
    if r.holds is not False or not r.counterexample or not isinstance(r.counterexample[-1].state, World):
        return None
    try:
        prop = by_name(r.name)
    except KeyError:
        return None
    return claim_reads(prop, r.counterexample, result.system) if prop.kind == r.kind else None


def _print_read(r, result) -> None:
    """The variables the claim's verdict rests on, unchanged ones included (after the steps' diffs)."""
    read = _claim_read(r, result)
    if read is None:
        return
    if "last" in read:
        print("  the claim read, in the last state:")
        lines = [f"    {k} = {v}" for k, v in read["last"].items()]
    else:
        print("  the claim read, in the states before and after the last step:")
        lines = [f"    {when:6}  {k} = {v}" for when in ("before", "after") for k, v in read[when].items()]
    print("\n".join(lines) or "    no variable of the state (only the configuration or the action)")


def _read_json(r, result) -> dict | None:
    """``{key: value}`` for a state claim, ``{"before": {...}, "after": {...}}`` for a step claim, or null."""
    read = _claim_read(r, result)
    return read and read.get("last", read)
