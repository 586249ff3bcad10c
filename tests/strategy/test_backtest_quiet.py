"""Bars where nothing can happen at the venue do not drive it, and change nothing: a held position
over a quiet stretch, funding at the funding times and a liquidation inside the stretch come out
as when every bar drives the venue (forced here by a resting bid far below the market)."""

from __future__ import annotations

from decimal import Decimal

from core.model import Side
from core.strategy.backtest import BacktestConfig, BacktestResult, run_backtest
from core.strategy.base import Bar, Strategy

START = 1_767_225_600_000  # 2026-01-01 00:00 UTC
HOUR = 3_600_000
PRICE = 50_000
FAR_BID = Decimal(1_000)
"""A bid no bar reaches: it rests all along, so every bar drives the venue."""


class Hold(Strategy):
    """Buys 1 on the first bar and holds it; with ``rest_bid`` also leaves a far bid working."""

    name = "hold"

    def __init__(self, rest_bid: bool = False) -> None:
        super().__init__()
        self.rest_bid = rest_bid
        self.sent = False

    def on_bar(self, bar: Bar) -> None:
        if not self.sent:
            self.sent = True
            self.ctx.market(Side.BUY, Decimal(1))
            if self.rest_bid:
                self.ctx.limit(Side.BUY, Decimal("0.01"), FAR_BID)


def hourly(rows: list[tuple[int, int, int, int]]) -> list[Bar]:
    return [Bar(START + i * HOUR, o, h, lo, c) for i, (o, h, lo, c) in enumerate(rows)]


def wobble(n: int) -> list[tuple[int, int, int, int]]:
    """``n`` hourly bars within 1 % of the price (a leverage-10 long is nowhere near liquidation)."""
    out = []
    for i in range(n):
        o, c = PRICE + 50 * (i % 3), PRICE + 50 * ((i + 1) % 3)
        out.append((o, max(o, c) + 100, min(o, c) - 100, c))
    return out


def run(data: list[Bar], rest_bid: bool) -> BacktestResult:
    return run_backtest(Hold(rest_bid), data, BacktestConfig(interval_ms=HOUR))


def test_a_held_position_over_quiet_bars_drives_the_venue_only_at_the_order_and_funding() -> None:
    data = hourly(wobble(30))
    quiet, busy = run(data, rest_bid=False), run(data, rest_bid=True)
    # The first open, the first bar's close (a funding time: 00:00), the order's open, and each later
    # funding time (08:00, 16:00, 24:00) with the catch-up to the close standing before it; the
    # reference drives every bar at its low, high and close.
    assert quiet.drives == 3 + 2 * 3
    assert busy.drives >= 3 * (len(data) - 1)
    assert [(f.ts_ms, f.price, f.qty) for f in quiet.fills] == [(f.ts_ms, f.price, f.qty) for f in busy.fills]
    assert [(p.ts_ms, p.amount) for p in quiet.funding] == [(p.ts_ms, p.amount) for p in busy.funding]
    assert busy.rejections == []
    assert [p.ts_ms for p in quiet.funding] == [START + h * HOUR for h in (8, 16, 24)]
    # Funding at the close standing before each funding time, the one quiet bars never drove to.
    assert [p.amount for p in quiet.funding] == [
        Decimal(data[h - 1].close) * Decimal("0.0001") for h in (8, 16, 24)
    ]
    assert [p.equity for p in quiet.equity] == [p.equity for p in busy.equity]


def test_a_liquidation_inside_a_quiet_stretch_happens_in_the_same_bar_at_the_same_price() -> None:
    crash = (PRICE, PRICE, int(PRICE * 0.85), int(PRICE * 0.95))  # its low only crosses liquidation
    rows = [*wobble(20), crash, *[(crash[3], crash[3] + 100, crash[3] - 100, crash[3])] * 5]
    data = hourly(rows)
    quiet, busy = run(data, rest_bid=False), run(data, rest_bid=True)
    assert quiet.drives < len(data) // 2
    assert len(quiet.liquidations) == len(busy.liquidations) == 1
    liq, ref = quiet.liquidations[0], busy.liquidations[0]
    at = rows.index(crash)
    assert data[at].ts_ms < liq.ts_ms < data[at].ts_ms + HOUR
    assert data[at].ts_ms < ref.ts_ms < data[at].ts_ms + HOUR
    assert (liq.price, liq.qty, liq.fee) == (ref.price, ref.qty, ref.fee)
    assert [p.equity for p in quiet.equity] == [p.equity for p in busy.equity]
    assert quiet.funding == busy.funding
