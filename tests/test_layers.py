"""The architecture as a test: imports go one way (app → qa → index → corpus), with no cycle."""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.conftest import ROOT

LAYERS = {"corpus": 0, "index": 1, "qa": 2, "app": 3}


def _graph() -> dict[str, set[str]]:
    mods = {}
    for layer in LAYERS:
        for p in (ROOT / layer).rglob("*.py"):
            parts = p.relative_to(ROOT).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph: dict[str, set[str]] = defaultdict(set)
    for name, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t.split(".")[0] in LAYERS:
                    while t not in mods and "." in t:
                        t = t.rsplit(".", 1)[0]
                    if t in mods and t != name and not name.startswith(t + "."):  # a package's own __init__ is no edge
                        graph[name].add(t)
                        break
    return graph


def test_imports_go_one_way():
    up = [(a, b) for a, deps in _graph().items() for b in deps if LAYERS[b.split(".")[0]] > LAYERS[a.split(".")[0]]]
    assert up == []


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(u, path):
        state[u] = 1
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                cycles.append(path[path.index(v):] + [v])
            elif v not in state:
                visit(v, [*path, v])
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []
