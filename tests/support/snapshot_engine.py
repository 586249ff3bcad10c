"""The snapshot tests' engine: market data from the real seeded sim, previews from the real risk chain.

Snapshot tests must be deterministic, so nothing here goes over a socket or reads wall time: the
real :class:`~core.sim.exchange.SimExchange` (seed 42) is stepped on a :class:`FrozenClock`, and its
Bybit-shaped replies go through the client's own parsing and order book into the store. The
ticket's preview is the engine's: a real, never-started :class:`~core.engine.Engine` on the same
store and clock previews every order over this account (its builder, risk context and chain, fee
rates and preview). Only the account itself (positions, orders) is a fixed fixture.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from functools import cache
from typing import Any

from core.api import RiskPreview
from core.clock import FrozenClock
from core.config import Settings
from core.engine import Engine
from core.events import LogLine
from core.market.books import DISPLAY_DEPTH
from core.market.candles import TIMEFRAMES, Candle
from core.market.depth import DepthLevels
from core.market.orderbook import OrderBook
from core.model import BookView, Instrument, Mode, OrderRequest, Position, Side, Ticker, Trade
from core.sim.exchange import SimExchange
from core.store import MarketStore
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS
from tests.support.console_fakes import T0, FakeEngine, console_settings
from tests.support.sim_json import json_view

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
SEED = 42
STEPS = 120  # one per second of the price series


@cache
def _sim_market() -> tuple[
    dict[str, Instrument],
    dict[str, tuple[BookView, list[Ticker], list[Trade]]],
    dict[tuple[str, str], list[Candle]],
    dict[str, DepthLevels],
]:
    """Step the seeded sim and read what a client would read (with the kline history the engine
    seeds the chart from). Cached: the sim is deterministic."""
    clock = FrozenClock(T0 - STEPS * 1000)
    ex = json_view(SimExchange(seed=SEED, clock=clock))
    series: dict[str, list[Ticker]] = {s: [] for s in SYMBOLS}
    for _ in range(STEPS):
        clock.advance(1000)
        ex.step(clock.now_ms())
        for sym in SYMBOLS:
            item = ex.tickers({"category": "linear", "symbol": sym})["list"][0]
            series[sym].append(parse.ticker(item, clock.now_ms()))
    insts: dict[str, Instrument] = {}
    out: dict[str, tuple[BookView, list[Ticker], list[Trade]]] = {}
    depths: dict[str, DepthLevels] = {}  # the display book (orderbook.1000) the ladder groups from
    for sym in SYMBOLS:
        info = ex.instruments_info({"category": "linear", "symbol": sym})["list"][0]
        insts[sym] = parse.instrument(info)
        raw = ex.orderbook({"category": "linear", "symbol": sym, "limit": "50"})
        book = OrderBook(sym, 50)
        bids, asks = parse.book_levels(raw["b"], "bid"), parse.book_levels(raw["a"], "ask")
        book.apply_snapshot(bids, asks, int(raw["u"]), int(raw["seq"]), int(raw["ts"]))
        trades = [
            Trade(
                sym, Side(t["side"]), parse.dec(t["price"]), parse.dec(t["size"]), int(t["time"]), t["execId"]
            )
            for t in reversed(ex.recent_trade({"category": "linear", "symbol": sym, "limit": "40"})["list"])
        ]
        out[sym] = (book.view(30), series[sym], trades)
        deep = ex.orderbook({"category": "linear", "symbol": sym, "limit": str(DISPLAY_DEPTH)})
        display = OrderBook(sym, DISPLAY_DEPTH)
        display.apply_snapshot(parse.book_levels(deep["b"], "bid"), parse.book_levels(deep["a"], "ask"), 1)
        db, da = display.top(DISPLAY_DEPTH)
        depths[sym] = DepthLevels(sym, db, da, 1, int(deep["ts"]))
    candles: dict[tuple[str, str], list[Candle]] = {}
    for sym in SYMBOLS:
        for tf in TIMEFRAMES:
            query = {"category": "linear", "symbol": sym, "interval": KLINE_INTERVALS[tf], "limit": "200"}
            candles[sym, tf] = parse.kline_rows(ex.kline(query)["list"])
    return insts, out, candles, depths


def _q(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


class SeededSimEngine(FakeEngine):
    """FakeEngine's account on the seeded sim's market, with the engine's own risk preview."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        insts, market, candles, depths = _sim_market()
        self._instruments = dict(insts)
        # The fixture's connectivity and log lines, minus its made-up rejection (a real one follows).
        events = [e for e in self.store.drain_events() if "REJECTED" not in getattr(e, "message", "")]
        self.store = MarketStore()
        for ev in events:
            self.store.put_event(ev)
        for _sym, (book, tickers, trades) in market.items():
            for t in tickers:
                self.store.put_ticker(t)
            self.store.put_book(book)
            self.store.put_trades(trades)
        for (sym, tf), rows in candles.items():
            self.store.seed_candles(sym, tf, rows)
        for depth in depths.values():
            self.store.put_depth(depth)
        self._restage_account()
        # A real engine (never started: no venue is called) on this store and frozen clock; its journal
        # is in memory, so nothing is written.
        in_memory = self.settings.model_copy(
            update={"journal": self.settings.journal.model_copy(update={"path": ":memory:"})}
        )
        self._engine = Engine(in_memory, clock=self.clock, store=self.store)
        self._engine.instruments.update(self._instruments)
        fat_finger = OrderRequest(
            "BTCUSDT", Side.BUY, Decimal("0.01"), price=_q(self.mark("BTCUSDT") * 12 / 10, Decimal(1))
        )
        blocking = self.preview(fat_finger).blocking
        assert blocking is not None
        self.store.put_event(LogLine(T0 - 1000, f"REJECTED BTCUSDT by {blocking.check}: {blocking.reason}"))

    def mark(self, symbol: str) -> Decimal:
        """The sim's last mark price for ``symbol``."""
        ticker = self.store.ticker(symbol)
        assert ticker is not None
        return ticker.mark_price

    def _restage_account(self) -> None:
        """The fixture account (a long, a short, three orders) placed around the sim's prices."""
        btc, eth, sol = (self.mark(s) for s in SYMBOLS)
        tick = {s: self._instruments[s].tick_size for s in SYMBOLS}
        btc_entry = _q(btc * Decimal("0.99"), tick["BTCUSDT"])
        eth_entry = _q(eth * Decimal("1.004"), tick["ETHUSDT"])
        self.positions = {
            "BTCUSDT": Position(
                "BTCUSDT", Side.BUY, Decimal("0.500"), btc_entry, btc, (btc - btc_entry) * Decimal("0.5"),
                leverage=Decimal("10"), liq_price=_q(btc_entry * Decimal("0.91"), tick["BTCUSDT"]),
                take_profit=_q(btc * Decimal("1.04"), tick["BTCUSDT"]), position_im=btc_entry / 20,
            ),
            "ETHUSDT": Position(
                "ETHUSDT", Side.SELL, Decimal("2.00"), eth_entry, eth, (eth_entry - eth) * 2,
                leverage=Decimal("5"), liq_price=_q(eth_entry * Decimal("1.19"), tick["ETHUSDT"]),
                stop_loss=_q(eth * Decimal("1.03"), tick["ETHUSDT"]),
            ),
        }  # fmt: skip
        self.orders = {}
        self._n = 0
        self._add_order(
            Side.BUY, "BTCUSDT", Decimal("0.100"), btc - tick["BTCUSDT"] * 45, created=T0 - 65_000
        )
        self._add_order(
            Side.SELL, "BTCUSDT", Decimal("0.050"), btc + tick["BTCUSDT"] * 55, created=T0 - 5_000, ro=True
        )
        self._add_order(Side.BUY, "SOLUSDT", Decimal("10.0"), _q(sol * Decimal("0.97"), tick["SOLUSDT"]),
                        created=T0 - 3_600_000)  # fmt: skip

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The engine's own rates (the base tier until a venue's are loaded)."""
        return self._engine.fee_rates(symbol)

    def preview(self, request: OrderRequest, *, amending: str | None = None) -> RiskPreview:
        """The engine's own preview (builder, risk chain, fees, position effect, rounding notes) over
        this account: a change to the engine's preview shows in the snapshots."""
        state = self._engine.state
        state.positions = dict(self.positions)
        state.orders = dict(self.orders)
        state.balance = self.balance
        return self._engine.preview(request, amending=amending)


def make_sim_app(mode: str = "sim", *, refresh: bool = False, **overrides: Any) -> Any:
    """A console on the seeded-sim snapshot engine (sim/demo/live badges alike)."""
    from console.app import TradeConsoleApp

    settings = console_settings(mode, **overrides)
    engine = SeededSimEngine(settings)
    assert settings.mode in (Mode.SIM, Mode.DEMO, Mode.LIVE)
    return TradeConsoleApp(engine, settings, clock=engine.clock, refresh=refresh)
