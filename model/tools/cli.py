"""Command line: ``hvr-model check`` and friends (the arguments are in :mod:`.arguments`).

Exit codes, of every command: 0 every property holds (or the trace conforms,
or the fuzzer found nothing), 1 a property is violated (the counterexample is
printed), 2 bad input (configuration, trace, argument, output path), 3
incomplete (a state or memory bound stopped the exploration: nothing is
proved), 4 internal error (a spec that raised, or a bug of ours: one line,
the traceback with --debug), 130/143 interrupted (see :mod:`.guard`).
"""
from __future__ import annotations

import contextlib
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from ..checker.explorer import explore
from ..checker.inputs import InputError
from ..checker.outputs import OutputError, Outputs
from ..checker.manifest import Outcome
from ..hyperv.config import ConfigError, config_names, load_config
from ..hyperv.mutants import MUTANTS, system_for
from .arguments import EXIT_CODES, EXIT_FOR_VERDICT, SAFE_NAME, parser
from .console import ProgressLine, as_json, print_report
from .guard import EXIT_OK, EXIT_VIOLATED, STATUS, guarded
from .verification import check_config

__all__ = ["main", "EXIT_CODES"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see EXIT_CODES). Never raises, never a traceback
    outside ``--debug`` (see :mod:`hvr_model.tools.guard`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    return guarded(lambda: _main(argv), debug=debug, as_json="--json" in argv)


def _main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    commands = {"check": _check, "configs": _configs, "mutants": _mutants, "manifest": _manifest,
                "diagrams": _diagrams, "trace": _trace, "fuzz": _fuzz, "traceability": _traceability,
                "schema": _schema}
    STATUS.begin(f"running {args.command}")
    return commands[args.command](args)


def _configs(args) -> int:
    for name in config_names():
        cfg = load_config(name)
        print(f"{name:30} {' '.join(cfg.description.split())}")
    return EXIT_OK


def _mutants(args) -> int:
    for m in MUTANTS.values():
        print(f"{m.name:50} kills {m.kills:50} on {m.config}")
    return EXIT_OK


def _manifest(args) -> int:
    from . import manifest
    if args.update and args.only:
        raise ConfigError("--update: rewrites the whole manifest, do not combine it with --only")
    with Outputs() as outputs:
        target = args.update and outputs.file(
            _in_checkout(manifest.MANIFEST_PATH, manifest.source_checkout, "no --update"), "--update")
        return _run_manifest(args, manifest, target, outputs)


def _run_manifest(args, manifest, target: Path | None, outputs: Outputs) -> int:
    results, failed = [], 0
    for entry in manifest.manifest_entries():
        if args.only and args.only not in entry.name:
            continue
        result = manifest.run_entry(entry)
        diffs = manifest.entry_differences(entry, result)
        failed += bool(diffs)
        results.append((entry, Outcome.of(result)))   # the pins only: no state graph kept per entry
        print(f"{'ok  ' if not diffs else 'DIFF'} {entry.name:70} {result.exploration.states:>9,} states "
              f"{result.exploration.seconds:6.1f} s" + "".join(f"\n       {d}" for d in diffs))
    if target:
        outputs.stage(target, manifest.render(results))
        print(f"updated {outputs.commit()[0]}")
        return EXIT_OK
    return EXIT_VIOLATED if failed else EXIT_OK


def _trace(args) -> int:
    from ..conformance.testing import explain
    from ..conformance.traces import TraceMalformed, check_trace
    STATUS.begin(f"checking the trace {args.file}")
    try:
        if args.file.endswith(".itf.json"):     # an ITF trace (Apalache, Quint, or check --itf)
            from ..conformance.itf import check_itf_trace
            result = check_itf_trace(args.file)
        else:
            result = check_trace(args.file, args.max_unobserved)
    except TraceMalformed as exc:
        raise InputError(f"malformed trace, {exc}", source=args.file) from None
    STATUS.outcome = EXIT_OK if result.conforms else EXIT_VIOLATED
    if result.conforms:
        print(f"{args.file}: conforms to configuration {result.config} ({result.events} events checked)")
        for line, labels in result.assumed:
            print(f"  before line {line}, assumed unobserved: {', '.join(labels)}")
        return EXIT_OK
    print(explain(result))
    print("  the model's state there:")
    for path, value in result.failure.state.items():
        print(f"    {path} = {value}")
    return EXIT_VIOLATED


def _load(args):
    """The configuration and the composed (possibly mutant) system the arguments name."""
    config = load_config(args.config)
    return config, system_for(config, args.mutant)


def _planned_outputs(args, outputs: Outputs) -> dict:
    """Every output location of ``check``, validated before any work (bad input: exit 2, nothing written)."""
    return {"report": args.report and outputs.folder(args.report, "--report"),
            "graph": args.export_graph and outputs.file(args.export_graph, "--export-graph"),
            "itf": args.itf and outputs.folder(args.itf, "--itf")}


def _check(args) -> int:
    with Outputs(on_commit=STATUS.written.append) as outputs:
        planned = _planned_outputs(args, outputs)
        config = load_config(args.config)
        workers = args.workers or (2 if args.ray else None)
        if (args.safety_only or workers) and (args.report or args.export_graph):
            raise ConfigError("--safety-only/--workers: no graph is kept, so --report and --export-graph are "
                              "not available")
        progress = ProgressLine(sys.stderr, show=not (args.quiet or args.json), status=STATUS,
                                budget=args.max_memory * 2**20)
        STATUS.begin(f"checking {config.name}" + (f" (mutant {args.mutant})" if args.mutant else ""))
        result = check_config(config, args.mutant, max_states=args.max_states, progress=progress,
                              symmetry=args.symmetry, safety_only=args.safety_only,
                              max_memory=args.max_memory * 2**20, workers=workers,
                              backend="ray" if args.ray else "processes",
                              ray_address=None if args.ray in (None, "local") else args.ray)
        progress.done()
        # A one-shot process: no later collection (nor the one at exit) need scan the states again.
        gc.freeze()
        STATUS.begin("writing the outputs")
        _stage_outputs(result, planned, outputs)
        written = outputs.commit()          # in place before the verdict is printed (a reader may stop early)
    STATUS.outcome = EXIT_FOR_VERDICT[result.verdict]
    if args.json:
        print(json.dumps(as_json(result), indent=2))
    else:
        print_report(result)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return STATUS.outcome


def _stage_outputs(result, planned: dict, outputs: Outputs) -> None:
    """Stage the report, graph and ITF files (renamed into place together by the caller)."""
    from . import exports, report
    try:
        if planned["report"]:
            outputs.stage(planned["report"] / "index.html", report.render_report(result, draw=_has_graphviz()))
        if planned["graph"]:
            exports.stage_graph(result.exploration, result.config, planned["graph"], outputs, result.mutant)
        if planned["itf"] and not exports.stage_itf(result, planned["itf"], outputs):
            print(f"--itf: no counterexample to write to {planned['itf']}", file=sys.stderr)
    except OSError as exc:      # the folder vanished or filled up since it was checked
        raise OutputError(f"writing the outputs failed: {exc.strerror or exc}; nothing was written") from None


def _has_graphviz() -> bool:
    """Whether Graphviz's ``dot`` runs; if not, say once which package to install."""
    from .diagrams import graphviz_missing
    problem = graphviz_missing()
    if problem:
        print(f"hvr-model: note: {problem}; the report shows the diagrams' DOT source instead", file=sys.stderr)
    return not problem


def _fuzz(args) -> int:
    from ..conformance import fuzz
    with Outputs(on_commit=STATUS.written.append) as outputs:
        config, system = _load(args)
        mutant = args.mutant
        default = SAFE_NAME.sub("_", f"fuzz-{config.name}" + (f"-{mutant}" if mutant else ""))[:200] + ".jsonl"
        trace_out = outputs.file(args.trace_out or default, "--trace-out")
        STATUS.begin(f"fuzzing {config.name}" + (f" (mutant {mutant})" if mutant else ""))
        with _hypothesis_storage_elsewhere():
            return _run_fuzz(args, fuzz, config, system, trace_out, outputs)


@contextlib.contextmanager
def _hypothesis_storage_elsewhere():
    """Hypothesis's cache (.hypothesis/) in a temporary folder: the trace is fuzz's only output."""
    from hypothesis.configuration import set_hypothesis_home_dir
    with tempfile.TemporaryDirectory(prefix="hvr-model-hypothesis-") as home:
        set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            set_hypothesis_home_dir(None)


def _run_fuzz(args, fuzz, config, system, trace_out, outputs: Outputs) -> int:
    mutant = args.mutant
    exploration = explore(system.initial_states(), system.successors, max_states=args.max_states)
    if not exploration.complete:
        exploration = None
    report = fuzz.fuzz(config, args.profile, examples=args.examples, steps=args.steps, seed=args.seed,
                       exploration=exploration, mutant=mutant, workers=args.workers)
    named = f" (mutant {mutant})" if mutant else ""
    if report.failure is not None:      # the trace is in place before anything is printed
        comment = f"found by hvr-model fuzz: {report.failure.message}" + named
        outputs.stage(trace_out, fuzz.trace_text(config, report.failure.labels, comment, mutant))
        outputs.commit()
    STATUS.outcome = EXIT_OK if report.failure is None else EXIT_VIOLATED
    print(f"fuzzed {config.name}{named}, profile {args.profile}: {len(report.runs)} runs, {report.steps:,} steps, "
          f"{report.seconds:.1f} s ({report.steps_per_second:,.0f} steps/s)")
    print(f"actions executed: {len(report.actions)}: "
          + ", ".join(f"{label} x{n}" for label, n in report.actions.most_common()))
    if exploration is not None:
        cov = fuzz.coverage(exploration, report.edges)
        print(f"edge coverage: {cov.covered_edges:,}/{cov.edges:,} edges ({cov.edge_percent:.1f}%), "
              f"{cov.covered_actions}/{cov.actions} actions ({cov.action_percent:.1f}%)"
              + (f"; never fired: {', '.join(cov.uncovered_actions)}" if cov.uncovered_actions else ""))
    else:
        print(f"edge coverage: n/a (more than {args.max_states:,} states; differential check skipped)")
    if report.failure is None:
        print("no failure found")
        return EXIT_OK
    print("\nFAILURE " + fuzz.reproduction(report.failure))
    print(f"wrote {trace_out} (replay: hvr-model trace check {trace_out})")
    return EXIT_VIOLATED


def _traceability(args) -> int:
    from . import traceability as tr
    out = Path(args.out) if args.out else _in_checkout(tr.DEFAULT_OUT, tr.source_checkout, "--out FILE")
    with Outputs() as outputs:
        target = None if args.check else outputs.file(out, "--out")     # refused before the table is built
        return _write_traceability(args, tr, out, target, outputs)


def _write_traceability(args, tr, out: Path, target: Path | None, outputs: Outputs) -> int:
    table = tr.build()
    for problem in tr.problems(table):
        print(f"hvr-model: warning: {problem}", file=sys.stderr)
    text = tr.render_markdown(table)
    if args.check:
        if tr.is_current(out, text):
            print(f"{out}: current")
            return EXIT_OK
        print(f"{out}: stale, regenerate it with: hvr-model traceability" + (f" --out {out}" if args.out else ""),
              file=sys.stderr)
        return EXIT_VIOLATED
    outputs.stage(target, text)
    print(f"wrote {outputs.commit()[0]}")
    return EXIT_OK


def _in_checkout(path: Path, source_checkout, flag: str) -> Path:
    """``path`` when the package runs from a source checkout; in an install, bad input naming ``flag``."""
    if not source_checkout(path):
        raise InputError(f"{path} is inside the installed package, not a source checkout: give {flag}")
    return path


def _schema(args) -> int:
    from .schemas import schema
    print(json.dumps(schema(args.name), indent=2, ensure_ascii=False))
    return EXIT_OK


def _diagrams(args) -> int:
    from .diagrams import write_diagrams
    STATUS.begin(f"drawing the diagrams into {args.out}")
    for path in write_diagrams(args.out):
        print(f"wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
