"""Benchmark: the explorer engine's targets, each measured in this run next to its baseline.

Usage::

    python benchmarks/bench_engine.py [--quick] [--nine]

Printed, each in a fresh interpreter so that peaks do not mix:

* two-phase commit, 7 RMs: explorer states/s as a share of the hand-tuned BFS's
  (``bench_explorer.hand_bfs_gc_paused``: a set and a deque, collector paused) (goal >= 0.7);
* two-phase commit, 8 RMs: bytes of peak RSS growth per stored state with the graph
  (goal <= 500) and of the fingerprint table in safety-only mode (goal <= 40);
* with ``--nine``: 9 RMs in safety-only mode, peak RSS (goal: within 4 GiB);
* the default configuration's whole ``check``: wall time and peak RSS of ``hvr-model check``
  (goals <= 25 s, <= 300 MB) and the share of the whole-graph claims (goal <= 15%);
* ``--workers 2`` against ``--workers 1`` on the default configuration (goal >= 1.6x).

``--quick`` uses 6 RMs and skips the 8-RM runs (for a smoke test).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "examples"))


def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object."""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=str(HERE)).stdout
    return json.loads(out.strip().splitlines()[-1])


_PRELUDE = f"""
import json, resource, sys, time
sys.path[:0] = [{str(HERE)!r}, {str(HERE.parent / 'examples')!r}]
import two_phase_commit as tp
def hwm():
    return int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024
"""


def rate(rms: int) -> dict:
    return _child(_PRELUDE + f"""
from bench_explorer import hand_bfs_gc_paused
from hvr_model.checker import explore
m = tp.TwoPhaseCommit({rms})
best = {{}}
for _ in range(2):
    t = time.perf_counter(); r = explore(m.initial_states(), m.successors, invariants={{"tc": tp.tc_consistent}})
    best["explorer"] = min(best.get("explorer", 1e9), time.perf_counter() - t)
    del r
    t = time.perf_counter(); n, _ = hand_bfs_gc_paused(m.initial_states(), m.successors)
    best["hand"] = min(best.get("hand", 1e9), time.perf_counter() - t)
print(json.dumps({{"states": n, **best}}))
""")


def memory(rms: int, mode: str) -> dict:
    run = ("r = explore(m.initial_states(), m.successors, invariants={'tc': tp.tc_consistent}); extra = 0"
           if mode == "graph" else
           "r = explore_fingerprints(m.initial_states(), m.successors, invariants={'tc': tp.tc_consistent}); "
           "extra = r.table_bytes")
    return _child(_PRELUDE + f"""
from hvr_model.checker import explore
from hvr_model.checker.safety import explore_fingerprints
m = tp.TwoPhaseCommit({rms}); base = hwm(); t = time.perf_counter()
{run}
print(json.dumps({{"states": r.states, "seconds": time.perf_counter() - t, "growth": hwm() - base,
                  "table": extra}}))
""")


def default_check() -> dict:
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "hvr_model", "check", "--quiet"],
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    claims = _child(_PRELUDE + """
import hvr_model.checker.checking as C
from hvr_model.tools.verification import check_config
spent = [0.0]
decide = C._decide_graph
def timed(*a):
    t = time.perf_counter(); r = decide(*a); spent[0] += time.perf_counter() - t; return r
C._decide_graph = timed
t = time.perf_counter(); r = check_config("default"); total = time.perf_counter() - t
print(json.dumps({"total": total, "graph_claims": spent[0]}))
""")
    return {"wall": wall, "peak_kib": int(out.stderr.strip().splitlines()[-1]), "exit": out.returncode, **claims}


def workers() -> dict:
    out = {}
    for n in (1, 2):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hvr_model", "check", "--quiet", "--workers", str(n)], check=True,
                       capture_output=True)
        out[n] = time.perf_counter() - start
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 RMs, no 8-RM runs")
    parser.add_argument("--nine", action="store_true", help="also 9 RMs in safety-only mode (a few minutes)")
    args = parser.parse_args(argv)
    r = rate(6 if args.quick else 7)
    print(f"2PC {6 if args.quick else 7} RMs, {r['states']:,} states: explorer {r['states'] / r['explorer']:,.0f} "
          f"states/s, hand BFS {r['states'] / r['hand']:,.0f} states/s, share {r['hand'] / r['explorer']:.2f} "
          f"(goal >= 0.7)")
    if not args.quick:
        for mode, goal in (("graph", 500), ("safety", 40)):
            m = memory(8, mode)
            per = (m["growth"] if mode == "graph" else m["table"]) / m["states"]
            print(f"2PC 8 RMs, {mode}: {m['states']:,} states in {m['seconds']:.1f} s, {per:.0f} B per state "
                  f"(goal <= {goal}); peak RSS growth {m['growth'] / 2**20:,.0f} MiB")
    if args.nine:
        m = memory(9, "safety")
        print(f"2PC 9 RMs, safety-only: {m['states']:,} states in {m['seconds']:.0f} s, peak RSS growth "
              f"{m['growth'] / 2**30:.2f} GiB (goal: within 4 GiB)")
    d = default_check()
    print(f"default check: {d['wall']:.1f} s wall (goal <= 25), peak {d['peak_kib'] / 1024:.0f} MB (goal <= 300), "
          f"whole-graph claims {100 * d['graph_claims'] / d['total']:.0f}% of the check (goal <= 15%)")
    w = workers()
    print(f"default, --workers 1: {w[1]:.1f} s, --workers 2: {w[2]:.1f} s, speed-up {w[1] / w[2]:.2f} "
          f"(goal >= 1.6)")


if __name__ == "__main__":
    main()
