"""The venue port alone carries what differs between venues: no engine, order, risk, journal,
strategy, market or console code compares anything with a venue's name (``"bybit"``,
``"hyperliquid"``, ...). Read from the source, so a new ``if venue.name == "hyperliquid"`` fails
here before it ships.

Two console files start processes rather than trade: ``console/cli.py`` (``trade-console sim
--venue``, which standalone sim to serve) and ``console/runner.py`` (which embedded sim the
configured venue needs in sim mode); they are the only ones allowed to name a venue.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.endpoint_policy import known_venues

ROOT = Path(__file__).resolve().parents[2]
TRADING_CODE = (
    "core/engine",
    "core/orders",
    "core/risk",
    "core/journal",
    "core/resilience",
    "core/strategy",
    "core/market",
    "core/analytics",
    "core/observability",
    "core/api.py",
    "core/store.py",
    "core/events.py",
    "core/model.py",
    "console",
    "widgets",
)
STARTS_SIMS = {"console/cli.py", "console/runner.py"}


def _files() -> list[Path]:
    out: list[Path] = []
    for name in TRADING_CODE:
        path = ROOT / name
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [p for p in out if p.relative_to(ROOT).as_posix() not in STARTS_SIMS]


def _name_comparisons(source: str, label: str, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare | ast.Match):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.lower() in names:
                found.append(f"{label}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_trading_code_compares_with_a_venues_name() -> None:
    names = set(known_venues())
    assert {"bybit", "hyperliquid"} <= names
    found = [
        hit
        for path in _files()
        for hit in _name_comparisons(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), names)
    ]
    assert found == [], "\n".join(found)


def test_the_scan_finds_a_planted_comparison() -> None:
    names = set(known_venues())
    planted = 'def f(v):\n    return 1 if v.name == "hyperliquid" else 2\n'
    assert len(_name_comparisons(planted, "planted", names)) == 1
    matched = 'def g(v):\n    match v:\n        case "Bybit":\n            return 1\n'
    assert len(_name_comparisons(matched, "matched", names)) == 1
    assert _name_comparisons('x = "hyperliquid"\n', "assigned", names) == []
