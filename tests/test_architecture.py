"""The package's layers: each module imports only from its own layer or below, with no cycle.

Layers, lowest first: checker (domain-free), blockstore (the data path), hyperv (the model),
specs (claims), conformance (oracle, traces, fuzzing), tools (CLI, report, diagrams, exports).
Imports inside functions count: every ``import`` statement of every module is read.
"""
import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("checker", "blockstore", "hyperv", "specs", "conformance", "tools")
MAX_LINES = 400


def _module_files() -> dict[str, Path]:
    """``{module name: file}`` for every module of hvr_model (model/ and specs/)."""
    out = {}
    for folder, prefix in ((ROOT / "model", "hvr_model"), (ROOT / "specs", "hvr_model.specs")):
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([prefix, *parts])] = path
    return out


MODULES = _module_files()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> set[str]:
    """Every hvr_model module ``name`` imports, anywhere in its file."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            subs = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            found |= subs or {base}
    return {m for m in found if m in MODULES and m != name}


GRAPH = nx.DiGraph([(name, target) for name in MODULES for target in _imports(name)])
GRAPH.add_nodes_from(MODULES)


def layer(name: str) -> int:
    """The layer index of a module; the package root and ``__main__`` sit on top of all."""
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def test_the_import_graph_has_no_cycle():
    assert nx.is_directed_acyclic_graph(GRAPH), list(nx.simple_cycles(GRAPH))[:5]


def test_every_import_goes_to_the_same_layer_or_below():
    upward = [f"{a} -> {b}" for a, b in GRAPH.edges if layer(b) > layer(a)]
    assert upward == []


def test_the_checker_and_the_block_store_stand_alone():
    for a, b in GRAPH.edges:
        if layer(a) in (LAYERS.index("checker"), LAYERS.index("blockstore")):
            assert layer(a) == layer(b), f"{a} imports {b}"


@pytest.mark.parametrize("package, forbidden", [("hvr_model.checker", "hvr_model.hyperv"),
                                                ("hvr_model.checker", "hvr_model.blockstore"),
                                                ("hvr_model.blockstore", "hvr_model.hyperv"),
                                                ("hvr_model.hyperv", "hvr_model.specs")])
def test_importing_a_layer_loads_nothing_above_it(package, forbidden):
    code = f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith('{forbidden}')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_module_is_over_the_size_limit():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_graph_sees_imports_inside_functions():
    assert "hvr_model.conformance.testing" in _imports("hvr_model.tools.cli")   # imported inside _trace


def test_the_public_api_is_listed_and_resolves():
    import hvr_model
    assert hvr_model.__all__ and all(getattr(hvr_model, name) is not None for name in hvr_model.__all__)
