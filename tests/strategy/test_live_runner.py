"""The same strategy class on a running engine: closed bars in, orders through the engine's path."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from core.model import Fill, Side
from core.strategy.base import Bar, Strategy
from core.strategy.live import LiveRunner
from tests.support.venue_under_test import InProcessVenue

SYM = "BTCUSDT"
QTY = Decimal("0.01")


class BuyOnce(Strategy):
    """Buys on the first bar it is handed; records what it was told."""

    name = "buy_once"

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[Bar] = []
        self.fills: list[Fill] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)
        if len(self.bars) == 1:
            self.ctx.market(Side.BUY, QTY)

    def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)


async def test_a_strategy_runs_on_the_sim_engine_through_the_order_path(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path))
    await engine.start()
    strategy = BuyOnce()
    runner = LiveRunner(engine, strategy, SYM)
    try:
        await runner.start()
        assert all(b.ts_ms + 60_000 <= engine.now_ms() for b in runner.ctx.bars)
        await venue.pass_time(61)
        assert await runner.poll() >= 1
        assert strategy.bars and strategy.bars[-1].ts_ms + 60_000 <= engine.now_ms()
        assert [r.ok for r in runner.results] == [True]
        await venue.wait_for(lambda: runner.ctx.position(SYM) is not None, what="the strategy's position")
        await venue.wait_for(lambda: bool(strategy.fills), what="the strategy's fill")
        assert runner.ctx.signed_size(SYM) == QTY
        assert await runner.poll() == 0  # a bar is handed over once
    finally:
        await runner.stop()
        await engine.stop()
    link = runner.results[0].order_link_id
    with sqlite3.connect(tmp_path / "journal.db") as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM records WHERE order_link_id = ?", (link,))]
        (data,) = db.execute(
            "SELECT data FROM records WHERE kind = 'intent' AND order_link_id = ?", (link,)
        ).fetchone()
    assert kinds[:2] == ["intent", "risk_decision"]
    assert '"strategy:buy_once"' in data
