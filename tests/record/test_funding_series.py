"""Funding from recorded data: `trade-console backtest --data DIR` on a recording whose tickers carry
fundingRate/nextFundingTime settles funding at the recorded times and rates, not a constant every
8 hours (the recording made by the recorder's own writer)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from console.cli import main
from core.model import Side
from core.record.format import RecordingWriter, TickerRec, TradeRec
from core.record.funding import recorded_funding
from core.strategy.base import Bar, Strategy

SYM = "BTCUSDT"
T0 = 1767225600000 + 7 * 3_600_000  # 2026-01-01T07:00Z
MINUTE = 60_000
MINUTES = 120
FIRST = T0 + 30 * MINUTE  # 07:30: an hourly funding symbol, off the 8-hour grid
SECOND = T0 + 90 * MINUTE  # 08:30
UNREACHED = T0 + 150 * MINUTE  # announced, but the recording ends before it
PRICE = "60000.0"
QTY = Decimal("0.01")
RANGE = ["--from", "2026-01-01T07:00", "--to", "2026-01-01T09:00"]


class Hold(Strategy):
    """Buys 0.01 on the first bar and holds it through every funding time."""

    name = "hold"

    def on_bar(self, bar: Bar) -> None:
        if len(self.ctx.bars) == 1:
            self.ctx.market(Side.BUY, QTY)


def _ticker(minute: int) -> dict[str, object]:
    """What the ticker stream sent at ``minute``: the rate drifts within each interval (the last
    one before a funding time is the one settled); some deltas carry the rate only."""
    at = T0 + minute * MINUTE
    if at < FIRST:
        rate, nxt = ("0.0004" if minute < 20 else "0.0010"), FIRST
    elif at < SECOND:
        rate, nxt = ("0.0001" if minute < 80 else "0.0030"), SECOND
    else:
        rate, nxt = "-0.0002", UNREACHED
    if minute % 3 == 1:
        return {"fundingRate": rate}
    return {"fundingRate": rate, "nextFundingTime": str(nxt), "markPrice": PRICE}


def recording(out: Path) -> Path:
    writer = RecordingWriter(out, "sim", (SYM,))
    for minute in range(MINUTES):
        ts = T0 + minute * MINUTE
        writer.write(TickerRec(ts + 5, SYM, _ticker(minute)))
        for n in range(2):
            writer.write(
                TradeRec(ts + 20_000 * n + 7, SYM, ts + 20_000 * n, "Buy", PRICE, "0.010", f"{minute}-{n}")
            )
    writer.close()
    return out


def backtest(tmp_path: Path, rec: Path, out: str, *flags: str) -> dict[str, object]:
    argv = ["backtest", f"{__name__}:Hold", "--data", str(rec), "--symbol", SYM, *RANGE, *flags]
    assert main([*argv, "--no-plots", "--out", str(tmp_path / out)]) == 0
    stats: dict[str, object] = json.loads((tmp_path / out / "stats.json").read_text())
    return stats


def test_the_recording_names_each_funding_time_and_the_rate_settled_then(tmp_path: Path) -> None:
    rec = recording(tmp_path / "rec")
    assert recorded_funding(rec, SYM) == ((FIRST, Decimal("0.0010")), (SECOND, Decimal("0.0030")))


def test_a_backtest_on_the_recording_settles_the_recorded_funding(tmp_path: Path) -> None:
    rec = recording(tmp_path / "rec")
    stats = backtest(tmp_path, rec, "recorded")
    assert stats["funding"] == "recorded: 2 funding times, rates 0.0010..0.0030 (size x mark x rate)"
    assert stats["funding_settlements"] == 2  # 07:30 and 08:30, not 08:00
    value = QTY * Decimal(PRICE)
    assert Decimal(str(stats["funding_paid"])) == value * Decimal("0.0010") + value * Decimal("0.0030")

    constant = backtest(tmp_path, rec, "constant", "--funding-rate", "0.0010")
    assert constant["funding_settlements"] == 1  # 08:00 only
    assert Decimal(str(constant["funding_paid"])) == value * Decimal("0.0010")
    assert backtest(tmp_path, rec, "off", "--no-funding")["funding_settlements"] == 0
