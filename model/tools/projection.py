"""Projections of the explored state graph: its quotient under an abstraction, drawn.

The composed graph is too large to draw whole, so it is drawn through an
*abstraction*: a function from a :class:`~hvr_model.hyperv.state.World` to a short
tuple of names (one VM's protection state and replication phase; the site
roles; the recovery plan's progress). States with the same tuple form a
*block*; :func:`project` builds the quotient graph with
``networkx.quotient_graph``: one node per block, an edge between two blocks
when some transition joins their states, labelled with the event names (no
parameters) and how many transitions carry each. Transitions inside a block
are not drawn as self-loops but counted on the block.

:func:`projection_graph` draws a quotient: strongly connected components
(``networkx.condensation``) as shaded clusters, the initial state's block with
a double border, blocks that hold a *home* state
(:func:`hvr_model.hyperv.views.is_home`) in green.
:func:`counterexample_graph` draws a violating path on top, steps numbered.

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.tools.verification import check_config as check
>>> config = load_config("single_vm")
>>> quotient = project(check(config).exploration, site_roles(config))
>>> home, away = sorted(quotient)
>>> home[-1], away[-1]
('ActiveOnPrimarySite', 'ActiveOnRecoverySite')
>>> sorted(quotient.edges[home, away]["events"])
['cancel_failover', 'planned_failover', 'planned_failover_on_replica', 'unplanned_failover']
>>> quotient.nodes[home]["initial"], quotient.nodes[home]["scc"], quotient.nodes[away]["home"]
(True, 1, 0)
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable

import graphviz
import networkx as nx

from ..hyperv.config import Config
from ..hyperv.state import SITE_NAMES, World

__all__ = ["Abstraction", "vm_protection", "site_roles", "plan_progress", "ABSTRACTIONS", "abstraction",
           "event_name", "project", "projection_graph", "counterexample_graph", "projection_diagram",
           "counterexample_diagram"]

_FONT = "Helvetica"
_SCC_FILLS = ("#eef3ff", "#fff3e0", "#f3e9ff", "#e9f7f7", "#fdeaea", "#f4f4e2")
_HOME_FILL = "#c9efc9"
_PATH_COLOUR = "#d62728"


@dataclass(frozen=True)
class Abstraction:
    """A named map from states to blocks: ``key(world)`` is a tuple, one value per field."""

    name: str
    title: str
    fields: tuple[str, ...]
    key: Callable[[World], tuple[str, ...]]

    def label(self, block: tuple[str, ...]) -> str:
        """The block's values, one ``field: value`` per line (DOT ``\\n`` escapes).

        >>> from hvr_model.hyperv.config import load_config
        >>> vm_protection(load_config("single_vm"), "web").label(("Protected", "Replicating"))
        'protection: Protected\\\\nphase: Replicating'
        """
        return "\\n".join(f"{field}: {value}" for field, value in zip(self.fields, block))


def _vm_index(config: Config, vm: str | None) -> int:
    names = [v.name for v in config.vms]
    if vm is None:
        return 0
    if vm not in names:
        raise ValueError(f"no VM named {vm!r} in configuration {config.name!r} (VMs: {', '.join(names)})")
    return names.index(vm)


def vm_protection(config: Config, vm: str | None = None) -> Abstraction:
    """One VM's (ASR protection state, replication phase); the first VM by default.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.state import initial_world
    >>> config = load_config("single_vm")
    >>> vm_protection(config).key(initial_world(config))
    ('Unprotected', 'Disabled')
    """
    i = _vm_index(config, vm)
    name = config.vms[i].name
    return Abstraction(f"vm_protection_{name}", f"VM {name}: ASR protection state and replication phase",
                       ("protection", "phase"), lambda w: (str(w.vms[i].protection), str(w.vms[i].phase)))


def site_roles(config: Config, arg: str | None = None) -> Abstraction:
    """The sites, the link, the vault and each VM's active site.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.state import initial_world
    >>> config = load_config("single_vm")
    >>> site_roles(config).key(initial_world(config))
    ('Online', 'Online', 'Connected', 'Reachable', 'ActiveOnPrimarySite')
    """
    fields = tuple(f"site {s}" for s in SITE_NAMES) + ("network", "vault") + tuple(
        f"{vm.name} active" for vm in config.vms)

    def key(w: World) -> tuple[str, ...]:
        return (*map(str, w.sites), str(w.network), str(w.vault), *(str(vm.active) for vm in w.vms))

    return Abstraction("site_roles", "site roles: sites, link, vault and each VM's active site", fields, key)


def plan_progress(config: Config, arg: str | None = None) -> Abstraction:
    """The recovery plan's status, kind and current boot group.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.state import initial_world
    >>> config = load_config("two_group_plan")
    >>> plan_progress(config).key(initial_world(config))
    ('Idle', 'None', '1')
    """
    return Abstraction("plan_progress", "recovery plan: status, kind and current boot group",
                       ("plan", "kind", "group"),
                       lambda w: (str(w.plan_status), str(w.plan_kind), str(w.plan_group + 1)))


#: The abstractions by name: ``(config, argument) -> Abstraction``.
ABSTRACTIONS: dict[str, Callable[[Config, str | None], Abstraction]] = {
    "vm_protection": vm_protection, "site_roles": site_roles, "plan_progress": plan_progress}


def abstraction(name: str, config: Config, arg: str | None = None) -> Abstraction:
    """The abstraction called ``name`` for ``config`` (``arg``: the VM of ``vm_protection``)."""
    if name not in ABSTRACTIONS:
        raise ValueError(f"unknown abstraction {name!r}: one of {', '.join(ABSTRACTIONS)}")
    return ABSTRACTIONS[name](config, arg)


def event_name(label: str) -> str:
    """The event of an action label, without its parameters.

    >>> event_name("planned_failover(vm=web)"), event_name("vault_outage()")
    ('planned_failover', 'vault_outage')
    """
    return label.split("(", 1)[0]


def _transition_counts(graph: nx.DiGraph, block_of: dict) -> dict[tuple, Counter]:
    """``{(block, block): Counter(event name -> transitions)}`` over every edge of ``graph``."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for u, v, actions in graph.edges(data="actions"):
        counts[block_of[u], block_of[v]].update(map(event_name, actions))
    return counts


def project(exploration, abs_: Abstraction, config: Config | None = None, *,
            home: Callable[[World, Config | None], bool] | None = None) -> nx.DiGraph:
    """The quotient of the explored graph under ``abs_``; nodes are block keys.

    ``home`` tells a home state (default :func:`hvr_model.hyperv.views.is_home`).

    Node attributes: ``states`` (how many), ``initial`` (holds an initial
    state), ``home`` (how many home states), ``internal`` (Counter of the
    events of transitions inside the block), ``depth`` (least BFS depth),
    ``scc`` (number of its strongly connected component when that has more than
    one block, else 0). Edge attribute ``events``: Counter of event names.
    """
    if home is None:
        from ..hyperv.views import is_home as home
    graph = exploration.graph
    block_of = {s: abs_.key(s) for s in graph}
    members: dict[tuple, list] = defaultdict(list)
    for state, block in block_of.items():
        members[block].append(state)
    counts = _transition_counts(graph, block_of)
    key_of = {frozenset(states): block for block, states in members.items()}
    initial = set(exploration.initial)

    def node_data(b: frozenset) -> dict:
        return {"states": len(b), "initial": not initial.isdisjoint(b),
                "home": sum(home(s, config) for s in b), "internal": counts.get((key_of[b],) * 2, Counter()),
                "depth": min(map(exploration.depth_of, b))}

    quotient = nx.quotient_graph(graph, list(key_of), node_data=node_data, relabel=False,
                                 edge_relation=lambda b, c: (key_of[b], key_of[c]) in counts,
                                 edge_data=lambda b, c: {"events": counts[key_of[b], key_of[c]]})
    quotient = nx.relabel_nodes(quotient, key_of)
    _number_components(quotient)
    return quotient


def _number_components(quotient: nx.DiGraph) -> None:
    """Set ``scc`` on each block: 1, 2, ... in topological order for components of 2+ blocks."""
    dag = nx.condensation(quotient)
    first = {c: min(_order(quotient, k) for k in dag.nodes[c]["members"]) for c in dag}
    number = 0
    for c in nx.lexicographical_topological_sort(dag, key=first.get):
        members = dag.nodes[c]["members"]
        number += len(members) > 1
        for k in members:
            quotient.nodes[k]["scc"] = number if len(members) > 1 else 0


def _order(quotient: nx.DiGraph, block: tuple) -> tuple:
    return quotient.nodes[block]["depth"], block


def _node_ids(quotient: nx.DiGraph) -> dict[tuple, str]:
    """Stable DOT ids ``b1, b2, ...`` by least depth, then block key."""
    return {k: f"b{i}" for i, k in enumerate(sorted(quotient, key=lambda k: _order(quotient, k)), 1)}


def _counts_text(counter: Counter) -> str:
    return "\\n".join(f"{event} ({n})" for event, n in sorted(counter.items()))


def _node_label(quotient: nx.DiGraph, block: tuple, abs_: Abstraction) -> str:
    data = quotient.nodes[block]
    lines = [abs_.label(block), f"{data['states']} states" + (f", {data['home']} home" if data["home"] else "")]
    if data["internal"]:
        lines.append(f"internal: {sum(data['internal'].values())} transitions")
    if data["initial"]:
        lines.insert(0, "INITIAL")
    return "\\n".join(lines)


def _node_style(data: dict, on_path: bool) -> dict[str, str]:
    style = {"style": "rounded,filled", "fillcolor": _HOME_FILL if data["home"] else "white"}
    if data["initial"]:
        style |= {"peripheries": "2", "penwidth": "2"}
    if on_path:
        style |= {"color": _PATH_COLOUR, "penwidth": "2.5"}
    return style


def _add_nodes(dot: graphviz.Digraph, quotient: nx.DiGraph, abs_: Abstraction, ids: dict,
               highlight: frozenset) -> None:
    """Blocks, those of one strongly connected component in one shaded cluster."""
    by_scc: dict[int, list] = defaultdict(list)
    for block in sorted(quotient, key=lambda k: _order(quotient, k)):
        by_scc[quotient.nodes[block]["scc"]].append(block)
    for scc, blocks in sorted(by_scc.items()):
        if scc == 0:
            _declare(dot, quotient, abs_, ids, blocks, highlight)
            continue
        with dot.subgraph(name=f"cluster_scc{scc}") as cluster:
            cluster.attr(label=f"strongly connected component {scc}", style="filled",
                         color=_SCC_FILLS[(scc - 1) % len(_SCC_FILLS)], fontsize="10")
            _declare(cluster, quotient, abs_, ids, blocks, highlight)


def _declare(dot, quotient, abs_, ids, blocks, highlight) -> None:
    for block in blocks:
        dot.node(ids[block], _node_label(quotient, block, abs_),
                 **_node_style(quotient.nodes[block], block in highlight))


def _legend(quotient: nx.DiGraph, abs_: Abstraction, title: str) -> str:
    return (f"{title}\\nprojection on {abs_.title}: {quotient.number_of_nodes()} blocks, "
            f"{quotient.number_of_edges()} block edges\\n"
            "double border: the initial state's block; green: holds a home state; shaded: strongly connected "
            "component; edge label: event (transitions)")


def projection_graph(quotient: nx.DiGraph, abs_: Abstraction, title: str, *,
                     muted: bool = False, highlight: frozenset = frozenset()) -> graphviz.Digraph:
    """The quotient as a Graphviz digraph (deterministic DOT).

    ``muted`` greys its edges; blocks in ``highlight`` get a red border.
    """
    dot = graphviz.Digraph(abs_.name, comment=f"hvr-model projection: {title}; generated, do not edit")
    dot.attr(rankdir="TB", fontname=_FONT, fontsize="14", labelloc="t", label=_legend(quotient, abs_, title),
             nodesep="0.4", compound="true")
    dot.attr("node", shape="box", fontname=_FONT, fontsize="11")
    dot.attr("edge", fontname=_FONT, fontsize="9", **({"color": "gray70", "fontcolor": "gray55"} if muted else {}))
    ids = _node_ids(quotient)
    _add_nodes(dot, quotient, abs_, ids, highlight)
    for u, v in sorted(quotient.edges, key=lambda e: (ids[e[0]], ids[e[1]])):
        dot.edge(ids[u], ids[v], _counts_text(quotient.edges[u, v]["events"]))
    return dot


def _path_edges(steps, abs_: Abstraction) -> list[tuple[tuple, tuple, list[str]]]:
    """``(block, block, ["3. action", ...])`` along the path; consecutive steps inside one block merge."""
    edges: list[tuple[tuple, tuple, list[str]]] = []
    for i, (before, step) in enumerate(zip(steps, steps[1:]), 1):
        tail, head = abs_.key(before.state), abs_.key(step.state)
        text = f"{i}. {step.action}"
        if edges and tail == head == edges[-1][0] == edges[-1][1]:
            edges[-1][2].append(text)
        else:
            edges.append((tail, head, [text]))
    return edges


def counterexample_graph(quotient: nx.DiGraph, abs_: Abstraction, steps, title: str) -> graphviz.Digraph:
    """The projection, greyed, with the path ``steps`` (:class:`~hvr_model.checker.exploration.Step`) drawn on it."""
    on_path = frozenset(abs_.key(step.state) for step in steps)
    dot = projection_graph(quotient, abs_, title, muted=True, highlight=on_path)
    ids = _node_ids(quotient)
    for tail, head, texts in _path_edges(steps, abs_):
        dot.edge(ids[tail], ids[head], "\\n".join(texts), color=_PATH_COLOUR, fontcolor=_PATH_COLOUR,
                 penwidth="2.5", fontsize="10")
    return dot


def _explore(config: Config):
    from ..hyperv.system import System
    from ..checker.explorer import explore
    system = System(config)
    return explore(system.initial_states(), system.successors)


def projection_diagram(config_name: str, abstraction_name: str, arg: str | None = None) -> graphviz.Digraph:
    """Explore a shipped configuration and draw its projection.

    >>> print(projection_diagram("single_vm", "site_roles").source)  # doctest: +ELLIPSIS
    // hvr-model projection: configuration single_vm (... states, ... transitions); generated, do not edit
    ...
    	b1 -> b2 [label="cancel_failover (...)\\nplanned_failover (...)\\nunplanned_failover (...)"]
    ...
    """
    from ..hyperv.config import load_config
    config = load_config(config_name)
    exploration = _explore(config)
    abs_ = abstraction(abstraction_name, config, arg)
    title = f"configuration {config.name} ({exploration.states:,} states, {exploration.edges:,} transitions)"
    return projection_graph(project(exploration, abs_, config), abs_, title)


def counterexample_diagram(config_name: str, mutant: str, abstraction_name: str,
                           arg: str | None = None) -> graphviz.Digraph:
    """Check a mutant of a shipped configuration; draw the counterexample of the property it must violate."""
    from ..hyperv.mutants import MUTANTS
    from .verification import check_config
    result = check_config(config_name, mutant)
    config = result.config
    prop = result.result(MUTANTS[mutant].kills)
    if not prop.counterexample:
        raise ValueError(f"mutant {mutant}: {prop.name} has no counterexample on {config_name}")
    abs_ = abstraction(abstraction_name, config, arg)
    title = (f"counterexample for {prop.name} (mutant {mutant}, configuration {config.name}): "
             f"{len(prop.counterexample) - 1} steps")
    return counterexample_graph(project(result.exploration, abs_, config), abs_, prop.counterexample, title)
