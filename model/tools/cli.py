"""Command line: ``hvr-model check`` and friends.

Exit codes, of every command: 0 every property holds (or the trace conforms,
or the fuzzer found nothing), 1 a property is violated (the counterexample is
printed), 2 bad input (configuration, trace, argument, output path), 3
incomplete (a state or memory bound stopped the exploration: nothing is
proved), 4 internal error (a spec that raised, or a bug of ours: one line,
the traceback with --debug).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from ..checker.explorer import explore
from ..checker.inputs import InputError
from ..checker.outputs import OutputError, Outputs, write_atomic
from ..checker.manifest import Outcome
from ..hyperv.config import ConfigError, config_names, load_config
from ..hyperv.mutants import MUTANTS, system_for
from .console import ProgressLine, as_json, print_report
from .guard import (EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK, EXIT_VIOLATED,
                    STATUS, guarded)
from .verification import check_config

__all__ = ["main"]


EXIT_CODES = """exit codes (every command):
  0  every property holds (vacuous ones are listed as warnings); the trace conforms; fuzzing found nothing
  1  a property is violated (counterexample printed); the trace does not conform; fuzzing found a failure
  2  bad input: configuration, trace, argument or output path (a named error, nothing written)
  3  incomplete: --max-states or the memory budget stopped exploration (nothing is proved), or claims
     could not be decided in the mode chosen (--safety-only, --workers, --symmetry: listed as unknown)
  4  internal error: a spec raised while evaluated, or a bug of hvr-model (--debug shows the traceback)
  130, 143  interrupted (Ctrl-C) or terminated (SIGTERM): where the run was is printed, no output written
with --json, an error is also a JSON object on stdout: {"error": {"kind", "message"}, "exit_code"}"""

#: A run's verdict (hvr_model.checker.results.RUN_VERDICTS) -> the exit code that says it.
EXIT_FOR_VERDICT = {"holds": EXIT_OK, "violated": EXIT_VIOLATED, "incomplete": EXIT_INCOMPLETE,
                    "error": EXIT_INTERNAL}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad arguments are bad input like any other: exit 2, via the guard
        self.print_usage(sys.stderr)
        raise InputError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hvr-model", description="Check, fuzz and trace-check the formal model of Hyper-V "
                     "Replica orchestrated by Azure Site Recovery.", epilog=EXIT_CODES,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="explore a configuration and check every property", epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--config", default="default",
                       help="a shipped configuration name or a TOML file (default: default)")
    check.add_argument("--mutant", help="check a deliberately broken variant of the model (see 'mutants')")
    check.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                       help="keep one state per renaming of interchangeable VMs (identical settings); "
                            "default: the configuration's symmetry key")
    check.add_argument("--json", action="store_true", help="print the result as JSON (schema in README)")
    check.add_argument("--max-states", type=_positive_int, help="stop exploring after this many states (exit 3)")
    check.add_argument("--safety-only", action="store_true",
                       help="keep 64-bit state fingerprints instead of the graph: invariants, step claims and "
                            "witnesses only, for state spaces beyond memory")
    check.add_argument("--workers", type=_positive_int, metavar="N",
                       help="explore with N processes (hash-partitioned; safety claims only, like --safety-only)")
    check.add_argument("--ray", metavar="ADDRESS", nargs="?", const="local",
                       help="run the workers as Ray actors: 'local' (default) starts a local Ray, or a "
                            "cluster address; needs pip install 'hvr-model[cluster]'")
    check.add_argument("--max-memory", type=_positive_int, metavar="MIB", default=_default_memory_mib(),
                       help="stop exploring (exit 3) when the process holds this many MiB "
                            "(default: 60%% of physical memory, leaving room for the claims decided after)")
    check.add_argument("--quiet", action="store_true", help="no progress display")
    check.add_argument("--report", metavar="DIR", help="write a self-contained HTML report to DIR/index.html")
    check.add_argument("--export-graph", metavar="FILE", type=_graph_file,
                       help="write the explored graph to FILE.graphml (GraphML) or FILE.json (node-link JSON)")
    check.add_argument("--itf", metavar="DIR", help="write each counterexample to DIR/PROPERTY.itf.json (ITF)")
    manifest = sub.add_parser("manifest", help="run every manifest entry (configurations and mutants)")
    manifest.add_argument("--update", action="store_true",
                          help="rewrite the pinned counts and violations in specs/manifest.toml")
    manifest.add_argument("--only", help="run only entries whose name contains this text")
    trace = sub.add_parser("trace", help="check an event log (JSON Lines trace) against the model")
    trace_sub = trace.add_subparsers(dest="trace_command", required=True, parser_class=_Parser)
    trace_check = trace_sub.add_parser("check", help="exit 0 if the trace conforms, 1 if not, 2 if malformed")
    trace_check.add_argument("file", help="the trace (.jsonl); format in specs/traces.md")
    trace_check.add_argument("--max-unobserved", type=_non_negative_int, default=8,
                             help="engine steps a partial trace may leave out before an event (default 8)")
    sub.add_parser("configs", help="list the shipped configurations")
    sub.add_parser("mutants", help="list the mutants and the property each must violate")
    fuzz = sub.add_parser("fuzz", help="fuzz the model (and the block store) with Hypothesis")
    fuzz.add_argument("--config", default="single_vm",
                      help="a shipped configuration name or a TOML file (default: single_vm)")
    fuzz.add_argument("--profile", choices=("ci", "deep"), default="ci",
                      help="ci: deterministic 50 runs x 60 steps; deep: 2000 random runs x 200 steps")
    fuzz.add_argument("--examples", type=_positive_int, help="number of runs (overrides the profile)")
    fuzz.add_argument("--steps", type=_positive_int, help="steps per run (overrides the profile)")
    fuzz.add_argument("--seed", type=_non_negative_int, help="random seed (not derandomized)")
    fuzz.add_argument("--mutant", help="fuzz a deliberately broken variant of the model (see 'mutants')")
    fuzz.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                      help="a swarm of N processes, each with its own seed and share of the runs")
    fuzz.add_argument("--max-states", type=_positive_int, default=50_000,
                      help="explore configurations up to this size for the differential check and "
                           "edge coverage (default 50000)")
    fuzz.add_argument("--trace-out", metavar="FILE",
                      help="where to save a failing run as a trace (default: fuzz-CONFIG[-MUTANT].jsonl)")
    traceability = sub.add_parser("traceability",
                                  help="write the requirements traceability table (specs/traceability.md)")
    traceability.add_argument("--out", metavar="FILE",
                              help="where to write it (default: specs/traceability.md beside the catalogue)")
    traceability.add_argument("--check", action="store_true",
                              help="write nothing; exit 1 if FILE is stale (not the table generated now)")
    diagrams = sub.add_parser("diagrams", help="regenerate the state diagrams (DOT and SVG) in a folder")
    diagrams.add_argument("--out", default="diagrams", help="the folder to write (default: diagrams)")
    return parser


def _default_memory_mib() -> int:
    """60% of physical memory, in MiB: a run stops cleanly there instead of failing for memory.

    Not more: the whole-graph and liveness claims decided after exploration need memory
    of their own (up to about half again what exploring held, on the default configuration).
    """
    try:
        return max(1, int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.6) // 2**20)
    except (ValueError, OSError):
        return 16 * 1024


def _graph_file(text: str) -> str:
    if not text.endswith((".graphml", ".json")):
        raise argparse.ArgumentTypeError(f"must end in .graphml or .json, got {text!r}")
    return text


def _int_at_least(minimum: int):
    """An argparse type: an integer of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


_non_negative_int, _positive_int = _int_at_least(0), _int_at_least(1)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see EXIT_CODES). Never raises, never a traceback
    outside ``--debug`` (see :mod:`hvr_model.tools.guard`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    return guarded(lambda: _main(argv), debug=debug, as_json="--json" in argv)


def _main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    commands = {"check": _check, "configs": _configs, "mutants": _mutants, "manifest": _manifest,
                "diagrams": _diagrams, "trace": _trace, "fuzz": _fuzz, "traceability": _traceability}
    STATUS.begin(f"running {args.command}")
    return commands[args.command](args)


def _configs(args) -> int:
    for name in config_names():
        cfg = load_config(name)
        print(f"{name:30} {cfg.description.splitlines()[0] if cfg.description else ''}")
    return EXIT_OK


def _mutants(args) -> int:
    for m in MUTANTS.values():
        print(f"{m.name:50} kills {m.kills:50} on {m.config}")
    return EXIT_OK


def _manifest(args) -> int:
    from . import manifest
    results, failed = [], 0
    if args.update and args.only:
        raise ConfigError("--update: rewrites the whole manifest, do not combine it with --only")
    if args.update:
        Outputs().file(_in_checkout(manifest.MANIFEST_PATH, manifest.source_checkout, "no --update"), "--update")
    for entry in manifest.manifest_entries():
        if args.only and args.only not in entry.name:
            continue
        result = manifest.run_entry(entry)
        diffs = manifest.entry_differences(entry, result)
        failed += bool(diffs)
        results.append((entry, Outcome.of(result)))   # the pins only: no state graph kept per entry
        print(f"{'ok  ' if not diffs else 'DIFF'} {entry.name:70} {result.exploration.states:>9,} states "
              f"{result.exploration.seconds:6.1f} s" + "".join(f"\n       {d}" for d in diffs))
    if args.update:
        print(f"updated {write_atomic(manifest.MANIFEST_PATH, manifest.render(results), '--update')}")
        return EXIT_OK
    return EXIT_VIOLATED if failed else EXIT_OK


def _trace(args) -> int:
    from ..conformance.testing import explain
    from ..conformance.traces import TraceMalformed, check_trace
    STATUS.begin(f"checking the trace {args.file}")
    try:
        result = check_trace(args.file, args.max_unobserved)
    except TraceMalformed as exc:
        raise InputError(f"malformed trace, {exc}", source=args.file) from None
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
    with Outputs() as outputs:
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
        if args.json:
            json.dump(as_json(result), sys.stdout, indent=2)
            print()
        else:
            print_report(result)
        for path in outputs.commit():
            print(f"wrote {path}", file=sys.stderr)
    return EXIT_FOR_VERDICT[result.verdict]


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
    with Outputs() as outputs:
        config, system = _load(args)
        mutant = args.mutant
        default = f"fuzz-{config.name}" + (f"-{mutant}" if mutant else "") + ".jsonl"
        trace_out = outputs.file(args.trace_out or default, "--trace-out")
        STATUS.begin(f"fuzzing {config.name}" + (f" (mutant {mutant})" if mutant else ""))
        return _run_fuzz(args, fuzz, config, system, trace_out, outputs)


def _run_fuzz(args, fuzz, config, system, trace_out, outputs: Outputs) -> int:
    mutant = args.mutant
    exploration = explore(system.initial_states(), system.successors, max_states=args.max_states)
    if not exploration.complete:
        exploration = None
    report = fuzz.fuzz(config, args.profile, examples=args.examples, steps=args.steps, seed=args.seed,
                       exploration=exploration, mutant=mutant, workers=args.workers)
    named = f" (mutant {mutant})" if mutant else ""
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
    comment = f"found by hvr-model fuzz: {report.failure.message}" + named
    lines = fuzz.trace_lines(config, report.failure.labels, comment, mutant)
    outputs.stage(trace_out, "".join(json.dumps(line) + "\n" for line in lines))
    written, = outputs.commit()
    print(f"wrote {written} (replay: hvr-model trace check {written})")
    return EXIT_VIOLATED


def _traceability(args) -> int:
    from . import traceability as tr
    out = Path(args.out) if args.out else _in_checkout(tr.DEFAULT_OUT, tr.source_checkout, "--out FILE")
    if not args.check:
        Outputs().file(out, "--out")          # refused before the table is built
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
    print(f"wrote {write_atomic(out, text, '--out')}")
    return EXIT_OK


def _in_checkout(path: Path, source_checkout, flag: str) -> Path:
    """``path`` when the package runs from a source checkout; in an install, bad input naming ``flag``."""
    if not source_checkout(path):
        raise InputError(f"{path} is inside the installed package, not a source checkout: give {flag}")
    return path


def _diagrams(args) -> int:
    from .diagrams import write_diagrams
    STATUS.begin(f"drawing the diagrams into {args.out}")
    for path in write_diagrams(args.out):
        print(f"wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
