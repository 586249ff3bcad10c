"""Snapshot tests for the market panes (synchronous, as pytest-textual-snapshot requires): the fills
pane with today's realised PnL, the ladder grouped by price, and candles at another timeframe.

Deterministic like ``test_console_snapshots``: market data and kline history from the real sim
(seed 42) stepped on a frozen clock, a fixed account, no refresh timer, NO_COLOR cleared. The
fills are a fixture consistent with that account (yesterday's fills opened the positions; today's
one partly closed the ETH short). Create/accept with ``pytest tests/console --snapshot-update``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.pilot import Pilot

from core.model import Fill, Side
from tests.support.console_fakes import T0, console_settings
from tests.support.console_types import SnapCompare
from tests.support.snapshot_engine import SeededSimEngine, _q

SMALL = (80, 24)
LARGE = (160, 50)
TAKER, MAKER = Decimal("0.00055"), Decimal("0.0002")


class FillsSnapshotEngine(SeededSimEngine):
    """The seeded-sim engine with the account's fills recorded in the store."""

    def __init__(self) -> None:
        super().__init__(console_settings())
        btc, eth = self.positions["BTCUSDT"], self.positions["ETHUSDT"]
        eth_mark = self.mark("ETHUSDT")
        close_px = _q(eth_mark - Decimal("0.37"), Decimal("0.01"))
        fills = [
            self._fill("BTCUSDT", Side.BUY, "0.300", btc.entry_price, TAKER, T0 - 1_128_000),
            self._fill("BTCUSDT", Side.BUY, "0.200", btc.entry_price, MAKER, T0 - 440_000, maker=True),
            self._fill("ETHUSDT", Side.SELL, "2.50", eth.entry_price, TAKER, T0 - 115_000),
            self._fill(
                "ETHUSDT",
                Side.BUY,
                "0.50",
                close_px,
                TAKER,
                T0,
                pnl=(eth.entry_price - close_px) * Decimal("0.5"),
            ),
        ]
        for f in fills:
            self.store.put_fill(f)

    def _fill(
        self,
        symbol: str,
        side: Side,
        qty: str,
        price: Decimal,
        rate: Decimal,
        ts: int,
        *,
        maker: bool = False,
        pnl: Decimal = Decimal(0),
    ) -> Fill:
        q = Decimal(qty)
        fee = (q * price * rate).quantize(Decimal("0.00000001"))
        n = len(self.store.fills()) + 1
        return Fill(symbol, side, q, price, fee, f"x{n}", f"o{n}", f"tc-f{n:03d}", maker, ts, pnl)


def make_app() -> Any:
    """A console on the fills snapshot engine."""
    from console.app import TradeConsoleApp

    engine = FillsSnapshotEngine()
    return TradeConsoleApp(engine, engine.settings, clock=engine.clock, refresh=False)


async def _settle(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.pause()


def test_fills_pane(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=_settle)


def test_grouped_ladder(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("g", "g", "G")  # coarser twice, finer once: 5 ticks, 0.5 for BTC
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)


def test_grouped_ladder_small(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("g", "g")  # 10 ticks: 1.0 for BTC (the book holds 30 levels of 0.1)
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)


def test_grouped_ladder_coarsest(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("g", "g", "g", "g")  # 100 ticks: 10 USD for BTC, past the 50-level book
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)


def test_candles_15m(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("f", "f")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)
