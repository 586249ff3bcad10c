"""A backtest's journal, fills and equity curve are those of a recorded run, to the last digit.

The golden file was written by the backtester before its per-fill work was made cheaper (the
journal's sanitising, the venue's pushes, the market drive before an order): every record (kind,
time, symbol, client order id, the sanitised JSON payload), every fill (id, price, qty, fee) and
every equity point of three fixed-seed runs must come out the same. Client order ids carry a
random tail and a per-process sequence, so they are compared by order of first appearance.
Rewritten once since (2026-12-01) when next-open fills moved to the open exactly: in
``sma_next_open`` the sells' prices and fees (one tick up) and the equity after them changed,
nothing else; the other two runs came out the same.

Regenerate (only when a change of the records is intended): ``python -m
tests.strategy.test_backtest_journal``.
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.model import Fill
from core.strategy.backtest import BAR_CLOSE, NEXT_OPEN, Backtest, BacktestConfig
from core.strategy.base import Strategy
from core.strategy.data import generated_bars
from core.strategy.examples.market_maker import MarketMaker
from core.strategy.examples.sma_cross import SmaCross

GOLDEN = Path(__file__).parent / "golden" / "backtest_journal.json.gz"
START_MS = 1_767_225_600_000  # 2026-01-01 UTC
MINUTE_MS = 60_000
BARS = 200
SEED = 7
SELECT = "SELECT ts_ms, kind, symbol, order_link_id, data FROM records ORDER BY seq"
LINK_RE = re.compile(r"tc-[0-9a-z]{13}-[0-9a-f]{8}")
CASES: dict[str, tuple[str, str]] = {
    "sma_next_open": ("sma", NEXT_OPEN),
    "sma_bar_close": ("sma", BAR_CLOSE),
    "maker_next_open": ("maker", NEXT_OPEN),
}


def _strategy(name: str) -> Strategy:
    if name == "sma":
        return SmaCross(fast=2, slow=3, qty=Decimal("0.01"))
    return MarketMaker(spread_bps=Decimal("2"))


def _normalise(text: str, links: dict[str, str]) -> str:
    def name(m: re.Match[str]) -> str:
        return links.setdefault(m.group(0), f"L{len(links)}")

    return LINK_RE.sub(name, text)


def _fill(f: Fill) -> list[Any]:
    return [f.exec_id, f.ts_ms, f.side.value, str(f.qty), str(f.price), str(f.fee), f.exec_type]


def run_case(case: str, tmp: Path) -> dict[str, Any]:
    """One fixed-seed run: its journal records, fills and equity points as plain JSON."""
    import asyncio

    strategy, model = CASES[case]
    bars = list(generated_bars(SEED, START_MS, START_MS + BARS * MINUTE_MS))
    config = BacktestConfig(seed=SEED, fill_model=model)
    result = asyncio.run(Backtest(_strategy(strategy), config).run(bars, journal_dir=tmp))
    links: dict[str, str] = {}
    with sqlite3.connect(tmp / "journal.db") as con:
        rows = con.execute(SELECT).fetchall()
    records = [[*row[:3], _normalise(row[3], links), _normalise(row[4], links)] for row in rows]
    fills = [_fill(f) for f in result.fills]
    equity = [[p.ts_ms, repr(p.equity), repr(p.position), repr(p.price)] for p in result.equity]
    return {"records": records, "fills": fills, "equity": equity}


def _golden() -> dict[str, Any]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_backtest_writes_the_recorded_journal_fills_and_equity(case: str, tmp_path: Path) -> None:
    want = _golden()[case]
    got = json.loads(json.dumps(run_case(case, tmp_path)))
    assert len(got["records"]) == len(want["records"])
    for n, (g, w) in enumerate(zip(got["records"], want["records"], strict=True)):
        assert g == w, f"record {n}"
    assert got["fills"] == want["fills"]
    assert got["equity"] == want["equity"]
    assert want["fills"], "the run must trade"


def main() -> None:
    """Write the golden file from the backtester as it is."""
    import tempfile

    out = {}
    for case in sorted(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            out[case] = run_case(case, Path(tmp))
    GOLDEN.parent.mkdir(exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(out, fh, separators=(",", ":"))


if __name__ == "__main__":
    main()
