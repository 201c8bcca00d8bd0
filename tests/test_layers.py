"""The architecture as a test: imports go one way (app → qa → index → corpus, the text toolkit
``corpus.text`` at the bottom), no cycle, no private name crosses a module, rooms stay small, and
importing the packages changes nothing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import defaultdict

from tests.conftest import ROOT

LAYERS = {"corpus": 0, "index": 1, "qa": 2, "app": 3}
MAX_LINES = 400


def _modules() -> dict[str, object]:
    mods = {}
    for layer in LAYERS:
        for p in (ROOT / layer).rglob("*.py"):
            parts = p.relative_to(ROOT).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return mods


def _imports(tree, top_level_only: bool = False):
    """``(module, names)`` of each absolute import of a parsed file."""
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def _graph(top_level_only: bool = False) -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, p in mods.items():
        for module, names in _imports(ast.parse(p.read_text(encoding="utf-8")), top_level_only):
            for t in [f"{module}.{n}" for n in names] + [module]:
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


def test_the_text_toolkit_reads_nothing_above_it():
    out = [(a, b) for a, deps in _graph().items() if a.startswith("corpus.text") for b in deps
           if not b.startswith("corpus.text")]
    assert out == []


def test_retrieval_is_the_bottom_room_of_qa():
    above = ("qa.answer", "qa.analysis", "qa.llm", "qa.assistant", "qa.conversation", "qa.evaluate")
    out = [(a, b) for a, deps in _graph().items() if a.startswith("qa.retrieval") for b in deps if b.startswith(above)]
    assert out == []


def test_the_quoted_path_never_imports_the_llm_room_at_import_time():
    out = [(a, b) for a, deps in _graph(top_level_only=True).items() if not a.startswith("qa.llm")
           for b in deps if b.startswith("qa.llm")]
    assert out == []


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


def test_no_module_imports_another_modules_private_name():
    found = []
    for p in [*_modules().values(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        for module, names in _imports(ast.parse(p.read_text(encoding="utf-8"))):
            if module.split(".")[0] in LAYERS:
                found += [f"{p.relative_to(ROOT)}: {module}.{n}" for n in names if n.startswith("_")]
    assert found == []


def test_every_module_stays_under_the_size_limit():
    big = [f"{p.relative_to(ROOT)}: {n}" for p in [*_modules().values(), *(ROOT / "bench").glob("*.py")]
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert big == []


def test_qa_keeps_its_modules_in_rooms():
    top = sorted(p.name for p in (ROOT / "qa").glob("*.py"))
    assert len(top) <= 12, top
    assert {"retrieval", "answer", "analysis", "llm"} <= {p.name for p in (ROOT / "qa").iterdir() if p.is_dir()}


def test_importing_the_packages_sets_no_environment_variable():
    code = ("import os; before = dict(os.environ); import corpus, index, qa, app.cli, app.web, qa.assistant, "
            "index.embed; changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)); "
            "print(changed); raise SystemExit(1 if changed else 0)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "TOKENIZERS_", "GRADIO_"))}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
