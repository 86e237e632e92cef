"""The command line's arguments: the parser of ``hvr-model`` and its argument types.

Every argument error is bad input (exit 2) through :mod:`hvr_model.tools.guard`, like any other.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import sys
from pathlib import Path

from ..checker.inputs import InputError
from .version import __version__
from .schemas import SCHEMA_NAMES
from .guard import EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK, EXIT_VIOLATED

__all__ = ["parser", "EXIT_CODES", "EXIT_FOR_VERDICT", "MAX_WORKERS", "SAFE_NAME", "default_memory_mib"]

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
        command = self.prog.removeprefix("hvr-model").strip()     # the guard says "hvr-model: error:"
        raise InputError(f"{command}: {message}" if command else message)


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hvr-model", description="Check, fuzz and trace-check the formal model of Hyper-V "
                     "Replica orchestrated by Azure Site Recovery.", epilog=EXIT_CODES,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hvr-model {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, print the traceback too (anywhere on the command line)")
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
    check.add_argument("--workers", type=_workers, metavar="N",
                       help="explore with N processes (hash-partitioned; safety claims only, like --safety-only)")
    check.add_argument("--ray", metavar="ADDRESS", nargs="?", const="local",
                       help="run the workers as Ray actors: 'local' (default) starts a local Ray, or a "
                            "cluster address; needs pip install 'hvr-model[cluster]'")
    check.add_argument("--max-memory", type=_positive_int, metavar="MIB", default=default_memory_mib(),
                       help="stop exploring (exit 3) when the process holds this many MiB "
                            "(default: 60%% of physical memory, ulimit -v or the cgroup limit, whichever is least)")
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
    trace_check.add_argument("file", help="the trace: JSON Lines (.jsonl, format in specs/traces.md) or ITF "
                                          "(.itf.json, e.g. from check --itf)")
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
    fuzz.add_argument("--workers", type=_workers, default=1, metavar="N",
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
    schema = sub.add_parser("schema", help="print a published JSON Schema: config, trace (lines) or result (--json)")
    schema.add_argument("name", choices=SCHEMA_NAMES, help="which schema")
    return parser


def default_memory_mib() -> int:
    """60% of the memory this process may use, in MiB: a run stops cleanly there instead of failing.

    The memory it may use is the least of physical memory, the address-space limit
    (``ulimit -v``) and the cgroup's limit (a container's ``memory.max``). Not more than 60%:
    the whole-graph and liveness claims decided after exploration need memory of their own
    (up to about half again what exploring held, on the default configuration).
    """
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    try:
        cgroup = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if cgroup.isdigit():
            limits.append(int(cgroup))
    except OSError:
        pass
    return max(1, int(min(limits, default=16 * 2**30) * 0.6) // 2**20)


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
#: A file name made of a configuration's (user-chosen) name: anything but these becomes "_".
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.+-]")
#: More processes than this is a typo, not a plan (each is a full Python with its share of states).
MAX_WORKERS = 256


def _workers(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKERS}, got {value}")
    return value


