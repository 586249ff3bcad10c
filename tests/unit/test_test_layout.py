"""No test imports another test module: what tests share lives in ``tests/support/`` (modules) or
in a folder's ``conftest.py`` (fixtures), so a test module can move, split or go without breaking
another one."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def _is_test_module(dotted: str) -> bool:
    """True for ``tests.<...>.test_<name>`` (the last part is a test module, not a package)."""
    parts = dotted.split(".")
    return len(parts) > 1 and parts[0] == "tests" and parts[-1].startswith("test_")


def _package_of(path: Path) -> list[str]:
    """The dotted package a file under the repository sits in, as parts (``["tests", "unit"]``)."""
    return list(path.relative_to(ROOT).parent.parts)


def _absolute(node: ast.ImportFrom, package: list[str]) -> str:
    """The dotted module a ``from ... import`` names, relative levels resolved against ``package``."""
    if node.level == 0:
        return node.module or ""
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported(tree: ast.AST, package: list[str]) -> Iterator[tuple[int, str]]:
    """Every module an import statement in ``tree`` names, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def test_test_module_names_are_recognised() -> None:
    assert _is_test_module("tests.console.test_strategies_console")
    assert not _is_test_module("tests.support.late_leg")
    assert not _is_test_module("tests.venue_multi.conftest")
    assert not _is_test_module("test_x")


def test_relative_imports_resolve_to_their_package() -> None:
    tree = ast.parse("from .test_a import x\nfrom .. import test_b\nfrom ..support import y\n")
    names = {name for _, name in _imported(tree, ["tests", "console"])}
    assert "tests.console.test_a" in names
    assert "tests.test_b" in names
    assert not any(_is_test_module(name) for name in names - {"tests.console.test_a", "tests.test_b"})


def test_no_test_imports_another_test_module() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, _package_of(path)):
            if _is_test_module(name):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offenders, "move what is shared to tests/support/ or a conftest.py:\n" + "\n".join(
        sorted(set(offenders))
    )
