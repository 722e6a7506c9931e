"""The import rule of `bot/__init__.py`, checked on the source with `ast`.

Every module of bot/, scheduler/ and storage/ gets a layer; an import (at the top, inside
a function or under TYPE_CHECKING alike) may only reach the same layer or a lower one,
and no two modules may import each other, directly or around a circle. Reading the
clock (`datetime.now(`, `time.time(`) happens in `bot/clock.py` alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("bot", "scheduler", "storage")

# Bottom first: module names, or "package.*" for a package and everything in it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("bot.config", "bot.texts", "bot.events", "bot.clock", "bot.privacy")),
    ("storage", ("storage.*",)),
    ("domain", ("bot.domain.*", "bot.nlp.*")),
    ("dispatcher", ("bot.dispatcher",)),
    ("handlers", ("bot.handlers.*",)),
    ("services", ("bot.ingest", "bot.outbox", "bot.application", "bot.config_file",
                  "bot.exports", "bot.doctor")),
    ("scheduler", ("scheduler.*",)),
    ("channels", ("bot.channels.*",)),
    ("factory", ("bot", "bot.factory")),
    ("entry", ("bot.cli", "bot.wsgi", "bot.__main__")),
]

CLOCK_READS = re.compile(r"\bdatetime\.now\(|\btime\.time\(")


def _modules() -> dict[str, Path]:
    found = {}
    for root in ROOTS:
        for path in (REPO / root).rglob("*.py"):
            rel = path.relative_to(REPO)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module of ours that `name` (a module or an attribute of one) refers to."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> set[str]:
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            owner = _owner(target)
            if owner and owner != module:
                found.add(owner)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def layer_of(module: str) -> int:
    for index, (_name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            package = pattern.removesuffix(".*")
            if module == package or (pattern.endswith(".*") and
                                     module.startswith(package + ".")):
                return index
    raise AssertionError(f"{module} has no layer: add it to LAYERS")


def _upward() -> set[tuple[str, str]]:
    return {(src, dst) for src, targets in GRAPH.items() for dst in targets
            if layer_of(dst) > layer_of(src)}


def _circles() -> set[tuple[str, ...]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_imports_only_reach_down():
    upward = sorted(_upward())
    assert not upward, "imports of a higher layer:\n" + "\n".join(
        f"  {src} ({LAYERS[layer_of(src)][0]}) -> {dst} ({LAYERS[layer_of(dst)][0]})"
        for src, dst in upward)


def test_no_import_circles():
    circles = sorted(_circles())
    assert not circles, "import circles:\n" + "\n".join("  " + " <-> ".join(c)
                                                          for c in circles)


def test_the_clock_is_read_in_one_place():
    readers = sorted(path.relative_to(REPO).as_posix() for path in MODULES.values()
                     if path.relative_to(REPO).as_posix() != "bot/clock.py"
                     and CLOCK_READS.search(path.read_text(encoding="utf-8")))
    assert not readers, f"read the system clock outside bot/clock.py: {readers}"


def test_only_the_factory_wires_channels_and_handlers():
    wired = ("bot.channels", "bot.handlers")
    outside = sorted(
        (src, dst) for src, targets in GRAPH.items() for dst in targets
        for package in wired
        if dst.startswith(package) and not src.startswith(package)
        and src not in ("bot", "bot.factory"))
    assert not outside, f"only bot/factory.py imports channels and handlers: {outside}"
