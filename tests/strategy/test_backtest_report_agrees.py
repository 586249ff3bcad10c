"""The report folder agrees with itself and with the range asked for: ``stats.json``'s start and
end are ``--from`` and ``--to``, and its exposure time is the share of ``equity.csv``'s bars that
hold a position; fees, realised PnL, notional and final equity add up from the CSVs.

Before: start_ms/end_ms were one bar early (a run of 2026-01-01 .. 2026-01-02 said it started
2025-12-31 23:59 and ended 2026-01-01 23:59), and exposure time counted the starting balance as
a flat bar (97.85 % where equity.csv's 1,440 bars give 97.92 %)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main

SMA = "core.strategy.examples.sma_cross:SmaCross"


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_the_report_agrees_with_the_range_and_with_its_csvs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = "2026-01-01T00:00", "2026-01-01T03:00"
    argv = ["backtest", SMA, "--from", start, "--to", end, "--params", "fast=3", "slow=8"]
    assert main([*argv, "--no-plots", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert (stats["start_ms"], stats["end_ms"]) == (_ms(start), _ms(end))
    assert "2026-01-01 00:00 UTC" in printed and "2026-01-01 03:00 UTC" in printed

    with (tmp_path / "equity.csv").open() as fh:
        bars = list(csv.DictReader(fh))
    with (tmp_path / "trades.csv").open() as fh:
        fills = list(csv.DictReader(fh))
    assert len(bars) == stats["bars"] == stats["periods"] == 180
    held = sum(1 for b in bars if float(b["position"]) != 0)
    assert 0 < held < len(bars)
    assert stats["exposure_time"] == held / len(bars)
    assert len(fills) == stats["fills"] > 0
    assert sum(Decimal(f["fee"]) for f in fills) == Decimal(stats["fees_paid"])
    assert sum(Decimal(f["closed_pnl"]) for f in fills) == Decimal(stats["realised_pnl"])
    notional = sum(Decimal(f["qty"]) * Decimal(f["price"]) for f in fills)
    assert notional == Decimal(stats["traded_notional"])
    assert Decimal(bars[-1]["equity"]) == Decimal(stats["final_equity"]).quantize(Decimal("1e-8"))
