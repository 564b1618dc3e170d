"""The layers of `engine`, computed from its imports.

    python tests/layers.py           # print the picture and any violation
    python tests/layers.py --write   # rewrite the picture in docs/design.md

A layer is a folder of `engine/` (or one top-level module); `LAYERS` is their
order, the pipeline's: a module may import only from its own layer or an
earlier one, and never a name starting with `_` from another module.
`tests/test_layers.py` checks both, and that docs/design.md shows this picture.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "engine"

#: The layers in pipeline order, each with what it holds.
LAYERS: list[tuple[str, str]] = [
    ("core", "spans, diagnostics and their registry, resources, countries"),
    ("syntax", "text → CST → AST, and the printer AST → text (fmt and the digest)"),
    ("event", "the event: its fields, JSON checks, timestamps, model, schema"),
    ("ir", "the contract between the checker and the evaluators"),
    ("check", "AST → IR + diagnostics"),
    ("decide", "values, reasons, the reference, the fast path, explain, Policy, guard, analysis"),
    ("load", "the pipeline: read → parse → use → check → digest → compile"),
    ("runtime", "the policy store (hot reload) and the decision log"),
    ("records", "the DPO's documents: the Art. 30 record, the Art. 13/14 notice, the data map"),
    ("tools", "fmt, lint, testing, repl, highlight, report formats"),
    ("audit", "whole logs in SQL: DuckDB and Spark"),
    ("serve", "the decision service over HTTP (uvicorn): endpoints, auth, metrics, OpenAPI"),
    ("lsp", "the language server for editors (pygls): diagnostics, hover, completion, rename…"),
    ("cli", "the command line and the entry points"),
]
#: top-level modules that belong to a layer of another name
MEMBERS = {"__main__": "cli", "spark_submit": "cli", "__init__": "cli"}
ORDER = {name: index for index, (name, _) in enumerate(LAYERS)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "cli"  # `engine` itself: the package's face
    head = parts[1]
    return MEMBERS.get(head, head)


def imports(path: Path):
    """(line, imported module, imported names) of every engine import in a file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "engine" or target.startswith("engine."):
                yield node.lineno, target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("engine"):
                    yield node.lineno, alias.name, []


def files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def graph():
    """layer -> layers it imports, and the violations (back edges, private names)."""
    edges: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    modules = {module_name(p) for p in files()}
    for path in files():
        source = module_name(path)
        here = layer_of(source)
        for line, target, names in imports(path):
            # `from engine.x import y` may name a module y
            targets = [(f"{target}.{n}" if f"{target}.{n}" in modules else target, n) for n in names] or [(target, "")]
            for module, name in targets:
                there = layer_of(module)
                where = f"{path.relative_to(ROOT)}:{line}"
                if module not in modules:
                    problems.append(f"{where}: imports {module}, which is not a module of engine")
                    continue
                if there != here:
                    edges[here].add(there)
                    if ORDER[there] > ORDER[here]:
                        problems.append(f"{where}: {here} imports the later layer {there} ({module})")
                if name.startswith("_") and module != source and not name.startswith("__"):
                    problems.append(f"{where}: imports the private name {name} of {module}")
    return edges, problems


def lines_per_layer() -> dict[str, int]:
    count: dict[str, int] = defaultdict(int)
    for path in files():
        count[layer_of(module_name(path))] += len(path.read_text(encoding="utf-8").splitlines())
    return count


def depth(edges: dict[str, set[str]]) -> int:
    """The longest chain of layer imports (the number of layers on it)."""
    memo: dict[str, int] = {}

    def longest(layer: str, seen: frozenset) -> int:
        if layer in memo:
            return memo[layer]
        best = 1 + max((longest(n, seen | {layer}) for n in edges.get(layer, ()) if n not in seen), default=0)
        memo[layer] = best
        return best

    return max(longest(layer, frozenset()) for layer in ORDER)


def picture() -> str:
    """The layers, top (last) to bottom (first), with the layers each imports."""
    edges, _ = graph()
    rows = ["```", "layer     imports from", "--------  ------------"]
    for name, what in reversed(LAYERS):
        uses = ", ".join(sorted(edges.get(name, ()), key=ORDER.__getitem__, reverse=True)) or "-"
        rows.append(f"{name:<8}  {uses}")
        rows.append(f"{'':<8}  ({what})")
    rows.append("```")
    return "\n".join(rows) + "\n"


BEGIN = "<!-- layers: generated by `python tests/layers.py --write` -->\n"
END = "<!-- /layers -->\n"


def write() -> None:
    design = ROOT / "docs" / "design.md"
    text = design.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    design.write_text(text[:start] + picture() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    edges, problems = graph()
    print(picture(), end="")
    print("lines: " + ", ".join(f"{name} {count}" for name, count in sorted(
        lines_per_layer().items(), key=lambda item: ORDER[item[0]])))
    print(f"depth {depth(edges)} layers; {len(problems)} violation(s)")
    for problem in problems:
        print(" ", problem)
