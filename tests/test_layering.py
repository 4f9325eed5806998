"""The layering rules of the code, checked over the import graph (every ``import`` statement, read with ``ast``).

- ``server.core`` imports neither Starlette nor ``kms_client`` (nor any other server package);
- ``kms_client``, ``minikms`` and ``wirejson`` import nothing of ``server``; ``kms_client`` nothing of ``minikms``;
- the REST packages (``server.api``, ``server.api232``) and the signaling package (``server.rpc``) do not
  import each other: both talk to ``server.core`` and ``server.media`` only;
- the signaling package sees the media side only through the sessions' media (``server.media.hosting`` and
  what a ``MediaSession`` is): never the media servers, their placement or their resets and losses
  (``server.media.servers``, ``.picker``, ``.server_events``), which are the assembly's and the media side's;
- the server's packages (``server.<name>``, a top-level module counting as one) form no import cycle, so that
  the app is assembled in one place (``server.assembly``) rather than by packages importing each other.

Imports under ``TYPE_CHECKING`` count too: a layering rule is about what a module may know.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_PACKAGES = ("server", "kms_client", "minikms", "wirejson")

REST = ("server.api", "server.api232")
SIGNALING = ("server.rpc",)
MEDIA_SERVERS = ("server.media.servers", "server.media.picker", "server.media.server_events")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(path: Path, module: str) -> set[str]:
    """Every module this file names in an import (``from a import b`` names ``a`` and ``a.b``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for top in TOP_PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = _module_name(path)
            graph[module] = _imports_of(path, module)
    return graph


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _unit(module: str) -> str:
    """The server package a module belongs to (``server.rpc.service`` -> ``server.rpc``)."""
    return ".".join(module.split(".")[:2])


def rule_violations(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) pairs that break a layering rule other than the no-cycle one."""
    bad: set[tuple[str, str]] = set()
    for module, imported in graph.items():
        for target in imported:
            top = target.split(".")[0]
            if top in TOP_PACKAGES and target not in graph:
                continue  # a name imported from a module (``from a import b``): ``a`` is checked
            if _within(module, ["server.core"]):
                if top in ("starlette", "kms_client") or (
                    top == "server" and not _within(target, ["server.core"])
                ):
                    bad.add((module, target))
            elif (
                (top == "server" and _within(module, ["kms_client", "minikms", "wirejson"]))
                or (top == "minikms" and _within(module, ["kms_client", "wirejson"]))
                or (_within(module, REST) and _within(target, SIGNALING))
                or (_within(module, SIGNALING) and _within(target, REST))
                or (_within(module, SIGNALING) and _within(target, MEDIA_SERVERS))
            ):
                bad.add((module, target))
    return bad


def package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups (more than one package) of the graph between server packages."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        if not module.startswith("server."):
            continue
        for target in imported:
            if target in graph and target.startswith("server.") and _unit(target) != _unit(module):
                edges[_unit(module)].add(_unit(target))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return groups


def _cycle_edges(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    members = set(group)
    return sorted(
        f"{module} -> {target}"
        for module, imported in graph.items()
        for target in imported
        if target in graph
        and _unit(module) in members
        and _unit(target) in members
        and _unit(module) != _unit(target)
    )


def test_layering_rules_hold() -> None:
    assert sorted(rule_violations(import_graph())) == []


def test_no_cycles_between_server_packages() -> None:
    graph = import_graph()
    cycles = package_cycles(graph)
    assert cycles == [], [(group, _cycle_edges(graph, group)) for group in cycles]


def test_the_checker_sees_a_cycle_and_a_violation() -> None:
    """The check itself can fail: a made-up graph with a cycle and a REST -> signaling import."""
    graph = {
        "server.api.a": {"server.rpc.b"},
        "server.rpc.b": {"server.api.a"},
        "server.core.c": {"starlette.requests"},
        "server.rpc.d": {"server.media.server_events", "server.media.hosting"},
        "server.media.server_events": set(),
        "server.media.hosting": set(),
    }
    assert package_cycles(graph) == [["server.api", "server.rpc"]]
    assert rule_violations(graph) == {
        ("server.api.a", "server.rpc.b"),
        ("server.rpc.b", "server.api.a"),
        ("server.core.c", "starlette.requests"),
        ("server.rpc.d", "server.media.server_events"),
    }
