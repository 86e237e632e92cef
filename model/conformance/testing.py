"""pytest helpers for users who check their own implementation's event logs against the model.

>>> import pytest, tempfile, pathlib
>>> bad = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
>>> _ = bad.write_text('{"format": "hvr-model-trace", "version": 1, "config": "single_vm"}\\n'
...                    '{"event": "commit", "vm": "web"}\\n')
>>> try:
...     assert_conforms(bad)
... except AssertionError as err:
...     print(str(err).splitlines()[0])
t.jsonl line 2: commit(vm=web) refused
"""
from __future__ import annotations

import os

from pathlib import Path

from .traces import DEFAULT_MAX_UNOBSERVED, TraceResult, check_trace

__all__ = ["assert_conforms", "explain"]


def explain(result: TraceResult) -> str:
    """A readable account of why a trace does not conform."""
    f = result.failure
    if f is None:
        return f"{result.name}: conforms ({result.events} events)"
    verdict = "does not match the model" if f.reasons[0].startswith("expected ") else "refused"
    lines = [f"{Path(result.name).name} line {f.line}: {f.event} {verdict}",
             *(f"  because {r}" for r in f.reasons)]
    if f.requirements:
        lines.append(f"  requirements: {', '.join(f.requirements)}")
    lines.append(f"  the model allowed: {', '.join(f.allowed) or 'nothing'}")
    return "\n".join(lines)


def assert_conforms(path: str | os.PathLike[str], max_unobserved: int = DEFAULT_MAX_UNOBSERVED) -> TraceResult:
    """Fail the calling test, with the explanation, unless the trace at ``path`` conforms."""
    result = check_trace(path, max_unobserved)
    if not result.conforms:
        raise AssertionError(explain(result))
    return result
