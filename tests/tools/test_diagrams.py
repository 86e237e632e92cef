"""diagrams/: machine diagrams from the tables, projections of the explored graph, staleness."""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hvr_model.tools.cli import main
from hvr_model.hyperv.system import MACHINES
from hvr_model.hyperv.config import load_config
from hvr_model.tools.diagrams import (FAN_IN, diagram_sources, machine_diagram, render_svg, row_text, rows,
                                write_diagrams, LEDGER)
from hvr_model.checker.explorer import explore
from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.tools.projection import (Abstraction, counterexample_graph, project, projection_graph, site_roles,
                                  vm_protection)
from hvr_model.tools.verification import check_config as check

DIAGRAMS = Path(__file__).resolve().parents[2] / "diagrams"
REGENERATE = "run 'hvr-model diagrams' and commit diagrams/"


@pytest.fixture(scope="module")
def sources():
    return {stem: dot.source for stem, dot in diagram_sources().items()}


def test_committed_diagrams_are_up_to_date(sources):
    stale = [stem for stem, source in sources.items()
             if not (DIAGRAMS / f"{stem}.dot").exists()
             or (DIAGRAMS / f"{stem}.dot").read_text(encoding="utf-8") != source]
    assert not stale, f"stale or missing diagrams: {', '.join(stale)}; {REGENERATE}"


def test_diagrams_folder_holds_only_generated_diagrams_each_with_its_svg(sources):
    committed = {p.stem for p in DIAGRAMS.glob("*.dot")}
    assert committed == set(sources), f"diagrams not in the catalogue: {sorted(committed - set(sources))}; {REGENERATE}"
    assert {p.stem for p in DIAGRAMS.glob("*.svg")} == set(sources)
    listed = (DIAGRAMS / LEDGER).read_text(encoding="utf-8").split()
    assert listed == sorted(f"{stem}{suffix}" for stem in sources for suffix in (".dot", ".svg")), REGENERATE


def test_diagrams_readme_explains_every_file(sources):
    readme = (DIAGRAMS / "README.md").read_text(encoding="utf-8")
    missing = [stem for stem in sources if stem not in readme]
    assert not missing, f"diagrams/README.md does not mention {missing}"
    assert "hvr-model diagrams" in readme


def test_dot_is_deterministic(sources):
    assert {stem: dot.source for stem, dot in diagram_sources().items()} == sources


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_machine_diagram_shows_every_state_and_every_row_with_its_guards(machine):
    source = machine_diagram(machine).source
    for state in machine.states:
        assert f"<B>{state}</B>" in source
    unwrapped = source.replace("\\n", " ")
    for row in rows(machine):
        assert row_text(row) in unwrapped, row


def test_guards_and_effects_are_on_the_edges():
    protection = next(m for m in MACHINES if m.name == "protection")
    unwrapped = machine_diagram(protection).source.replace("\\n", " ")
    assert "Protected -> PlannedFailoverPendingCommit" in unwrapped
    assert "planned_failover [vault_reachable, both_vmm_servers_up, replication_path_up" in unwrapped
    assert "/ shut_down_old_source, ship_final_log" in unwrapped


def test_hyperv_names_are_a_second_line_where_they_differ():
    protection = next(m for m in MACHINES if m.name == "protection")
    source = machine_diagram(protection).source
    assert "<B>PlannedFailoverCommitted</B><BR/><FONT POINT-SIZE=\"9\">Hyper-V: FailedOver</FONT>" in source
    replication = machine_diagram(next(m for m in MACHINES if m.name == "replication")).source
    assert "\tReplicating [label=<<B>Replicating</B>>]" in replication  # same name in Hyper-V: one line


def test_a_row_from_many_states_is_drawn_once_from_a_box():
    replication = next(m for m in MACHINES if m.name == "replication")
    source = machine_diagram(replication).source
    fan_in = [r for r in rows(replication) if len(r.sources) >= FAN_IN and r.trigger == "disable_protection"]
    assert fan_in and source.count("disable_protection") == len(fan_in)
    assert "from every state" in source


def test_machine_diagrams_render_as_svg():
    for machine in MACHINES:
        root = ET.fromstring(render_svg(machine_diagram(machine)).encode())
        assert root.tag.endswith("svg")


# -- projections ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def single_vm():
    return check(load_config("single_vm"))


def test_projection_accounts_for_every_state_and_transition(single_vm):
    e = single_vm.exploration
    for abs_ in (vm_protection(single_vm.config, "web"), site_roles(single_vm.config)):
        q = project(e, abs_, single_vm.config)
        assert sum(q.nodes[b]["states"] for b in q) == e.states
        crossing = sum(sum(q.edges[edge]["events"].values()) for edge in q.edges)
        internal = sum(sum(q.nodes[b]["internal"].values()) for b in q)
        assert crossing + internal == e.edges
        assert sum(q.nodes[b]["initial"] for b in q) == 1
        assert not any(u == v for u, v in q.edges)


def test_projected_edges_are_labelled_with_event_names_and_counts(single_vm):
    q = project(single_vm.exploration, vm_protection(single_vm.config), single_vm.config)
    events = q.edges[("Protected", "Replicating"), ("PlannedFailoverPendingCommit", "Disabled")]["events"]
    assert set(events) == {"planned_failover"} and events["planned_failover"] > 0
    source = projection_graph(q, vm_protection(single_vm.config), "t").source
    assert f"planned_failover ({events['planned_failover']})" in source
    assert "(vm=" not in source


def test_home_and_initial_blocks_are_highlighted(single_vm):
    abs_ = vm_protection(single_vm.config)
    q = project(single_vm.exploration, abs_, single_vm.config)
    assert [b for b in q if q.nodes[b]["home"]] == [("Protected", "Replicating")]
    source = projection_graph(q, abs_, "t").source
    assert "INITIAL\\nprotection: Unprotected" in source and "peripheries=2" in source
    assert source.count('fillcolor="#c9efc9"') == 1


def _toy_exploration():
    #  0 <-> 1 -> 2 <-> 3 -> 4: components {0, 1}, {2, 3}, {4}
    moves = {0: [("go", 1)], 1: [("back", 0), ("on", 2)], 2: [("go", 3)], 3: [("back", 2), ("on", 4)],
             4: [("stay", 4)]}
    return explore([0], moves.__getitem__)


def test_strongly_connected_components_are_numbered_in_topological_order():
    abs_ = Abstraction("toy", "the state itself", ("n",), lambda n: (str(n),))
    q = project(_toy_exploration(), abs_, home=lambda n, config: n == 4)
    assert {b[0]: q.nodes[b]["scc"] for b in q} == {"0": 1, "1": 1, "2": 2, "3": 2, "4": 0}
    assert q.nodes[("4",)]["internal"] == {"stay": 1}
    source = projection_graph(q, abs_, "toy").source
    assert "subgraph cluster_scc1" in source and "subgraph cluster_scc2" in source
    assert "cluster_scc3" not in source


def test_counterexample_is_drawn_with_numbered_steps():
    mutant = "planned_failover_without_final_log"
    result = check(load_config("single_vm"), mutant)
    steps = result.result(MUTANTS[mutant].kills).counterexample
    abs_ = vm_protection(result.config)
    source = counterexample_graph(project(result.exploration, abs_, result.config), abs_, steps, "t").source
    for i, step in enumerate(steps[1:], 1):
        assert f"{i}. {step.action}" in source
    assert source.count("color=\"#d62728\"") >= len({abs_.key(s.state) for s in steps})


# -- the command ------------------------------------------------------------------------------

def test_diagrams_command_writes_dot_and_svg_and_drops_only_its_own_stale_files(tmp_path, capsys):
    (tmp_path / "machine_mine.dot").write_text("digraph {}")          # the user's, matching the names
    (tmp_path / "machine_gone.dot").write_text("digraph {}")          # an earlier run's, listed by it
    (tmp_path / LEDGER).write_text("machine_gone.dot\n")
    (tmp_path / "notes.txt").write_text("kept")
    assert main(["diagrams", "--out", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    dots = {p.stem for p in tmp_path.glob("*.dot")}
    assert "machine_protection" in dots and "machine_gone" not in dots and "machine_mine" in dots
    assert (tmp_path / "notes.txt").exists()
    assert "machine_protection.svg" in (tmp_path / LEDGER).read_text().split()
    for svg in tmp_path.glob("*.svg"):
        assert ET.parse(svg).getroot().tag.endswith("svg")


def test_diagrams_without_graphviz_say_which_package_to_install_and_write_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert main(["diagrams", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "install the graphviz package" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_write_diagrams_returns_the_paths(tmp_path):
    written = write_diagrams(tmp_path)
    assert len(written) == 2 * len(list(tmp_path.glob("*.dot")))
