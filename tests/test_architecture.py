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
    ("foundation", ("bot.config", "bot.texts.*", "bot.events", "bot.clock", "bot.privacy")),
    ("storage", ("storage.*",)),
    ("domain", ("bot.domain.*", "bot.nlp.*")),
    ("dispatcher", ("bot.dispatcher",)),
    ("handlers", ("bot.handlers.*",)),
    ("services", ("bot.ingest", "bot.outbox", "bot.application", "bot.config_file",
                  "bot.exports", "bot.doctor")),
    ("scheduler", ("scheduler.*",)),
    ("channels", ("bot.channels.*", "bot.desk", "bot.desk.*")),
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


# --- user-facing Chinese lives in bot/texts --------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
WORDING_FREE = ("bot/handlers/*.py", "bot/domain/*.py", "bot/dispatcher.py", "scheduler/*.py",
                "bot/channels/*.py", "bot/exports.py")
# Calls whose string arguments are parsed, not shown: text tests and command registration
# (the command word is parsed; its usage line and summary live in texts.COMMAND_HELP).
PARSING_CALLS = {"startswith", "endswith", "lstrip", "rstrip", "strip", "replace", "split",
                 "removeprefix", "removesuffix", "index", "compile", "match", "search",
                 "command"}


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _parse_vocabulary(tree: ast.Module) -> set[int]:
    """Ids of string constants that are vocabulary to parse: module-level constants, the
    operands of comparisons (`word in ("是", "对")`) and arguments of text tests."""
    allowed: set[int] = set()

    def mark(node: ast.AST) -> None:
        allowed.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))

    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            mark(node)
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            mark(node)  # the module docstring
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                mark(first)
        elif isinstance(node, ast.Compare):
            mark(node)
        elif isinstance(node, ast.Call) and _called(node) in PARSING_CALLS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                mark(arg)
    return allowed


def _wording_outside_texts() -> list[str]:
    found = []
    for pattern in WORDING_FREE:
        for path in sorted(REPO.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            allowed = _parse_vocabulary(tree)
            found += [f"{path.relative_to(REPO).as_posix()}:{node.lineno}: {node.value!r}"
                      for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and CJK.search(node.value) and id(node) not in allowed]
    return found


def test_user_facing_chinese_lives_in_texts():
    found = _wording_outside_texts()
    assert not found, "Chinese wording outside bot/texts:\n" + "\n".join(found)


def test_only_storage_touches_the_session():
    touching = sorted(path.relative_to(REPO).as_posix() for module, path in MODULES.items()
                      if not module.startswith("storage")
                      and re.search(r"\brepos\.session\b", path.read_text(encoding="utf-8")))
    assert not touching, f"session calls outside storage/: {touching}"
