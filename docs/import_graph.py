"""Draw the import structure of the code as a Mermaid diagram (``make imports``).

The graph is built from the code itself (with grimp, the library import-linter uses), folded to
the layers a reader thinks in: ``console``, ``widgets``, ``core.engine``, ``core.venues.bybit``,
``core.sim``, ... An arrow ``a --> b`` means some module of ``a`` imports some module of ``b``.
Imports that only exist for type checking are included (they are imports all the same).

Usage: ``python docs/import_graph.py > docs/imports.md`` (``--check FILE`` exits 1 when FILE is
out of date, for CI).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grimp

ROOTS = ("core", "console", "widgets", "themes")
DOMAIN = frozenset({"core.model", "core.events", "core.api", "core.clock", "core.config_files"})
"""Small shared modules drawn as one node: the domain types and the engine's public API."""
ADAPTERS = "core.venues."


def layer(module: str) -> str:
    """The node a module is drawn as: ``core.engine.facade`` -> ``core.engine``; a venue adapter
    keeps its name (``core.venues.bybit``); the port's own modules are ``core.venues``."""
    parts = module.split(".")
    if parts[0] != "core" or len(parts) == 1:
        return parts[0]
    top = ".".join(parts[:2])
    if top in DOMAIN:
        return "core.domain"
    if module.startswith(ADAPTERS) and len(parts) > 3:
        return ".".join(parts[:3])
    if module.startswith(ADAPTERS) and len(parts) == 3 and parts[2] in ADAPTER_NAMES:
        return module
    return top


ADAPTER_NAMES = frozenset({"bybit", "hyperliquid", "simulated"})
"""Subpackages of core.venues that are adapters (drawn on their own)."""


def edges() -> set[tuple[str, str]]:
    """Folded import edges between the project's layers (no self-loops)."""
    graph = grimp.build_graph(*ROOTS, include_external_packages=False)
    out: set[tuple[str, str]] = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = layer(importer), layer(imported)
            if a != b:
                out.add((a, b))
    return out


def mermaid() -> str:
    """The whole Markdown document."""
    lines = [
        "# Import structure",
        "",
        "Generated from the code by `make imports` (`docs/import_graph.py`); do not edit by hand.",
        "An arrow `a --> b`: some module of `a` imports some module of `b`.",
        "",
        "```mermaid",
        "graph LR",
    ]
    for a, b in sorted(edges()):
        lines.append(f"    {a.replace('.', '_')}[{a}] --> {b.replace('.', '_')}[{b}]")
    lines += ["```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the diagram, or check a committed copy of it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, help="exit 1 when this file is not the current diagram")
    args = parser.parse_args(argv)
    text = mermaid()
    if args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is out of date: run `make imports`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
