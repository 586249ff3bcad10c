"""The backtester: a strategy, unchanged, through the real engine on the in-process venue.

Each bar moves a :class:`~core.clock.FrozenClock` and drives the in-process venue's market to the
bar's prices (:meth:`~core.venues.simulated.venue.SimulatedVenue.drive`: the book re-centres at
the price and a trade prints there, so market orders fill there and resting orders, conditionals
and TP/SL see it). The order of one bar:

1. next-open fills: commands the strategy queued on the previous bar are sent at this bar's open
   (the market driven to the open first);
2. with working orders or position TP/SL, the market visits the bar's low and high (the nearer
   extreme first), so stops and limits trigger inside the bar;
3. the market is driven to the close; the bar is handed to the strategy (it has now closed);
4. bar-close fills: the commands are sent at once, at the close; through-book fills: they are sent
   ``latency_ms`` after the close, once the market generator has moved the market over that time,
   so market orders walk the generator's book as it stands then (slippage from its depth, partial
   fills when it runs out) and limit orders rest until the market trades through them.

With an open position and no working order, the market also visits the bar's adverse extreme when
it reaches the position's liquidation price, so the venue liquidates inside the bar.

Every command goes through :class:`~core.engine.Engine` (builder, risk chain, journal, executor);
the journal lives in a temporary directory, metrics are off. Fees are the venue's maker/taker
rates. Funding: the venue settles every open position at each funding time (00:00, 08:00, 16:00
UTC) at ``funding_rate`` (a constant; None pays none); the settlements and liquidations are kept
apart from the strategy's fills in the result.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core.analytics.types import FundingPayment
from core.api import CommandResult
from core.clock import FrozenClock
from core.config import load_settings
from core.engine import Engine
from core.events import Event, FillReceived, OrderUpdated
from core.model import Fill, OrderStatus, Side
from core.strategy.base import Bar, Strategy
from core.strategy.context import StrategyContext
from core.venues.registry import build_venue

NEXT_OPEN = "next-open"
BAR_CLOSE = "bar-close"
THROUGH_BOOK = "through-book"
FILL_MODELS = (NEXT_OPEN, BAR_CLOSE, THROUGH_BOOK)
DEFAULT_LATENCY_MS = 50
"""Order latency of the through-book fill model: the time from the bar's close to the send."""
DEFAULT_FUNDING_RATE = Decimal("0.0001")
"""The funding rate positions settle at every 8 h by default: the sim venue's ticker rate."""
FUNDING = "Funding"
LIQUIDATION = "BustTrade"
SETTLE_TURNS = 3
"""Loop turns that let the engine apply what the venue handed over (account events)."""
SHM = Path("/dev/shm")
"""A memory-backed directory for the journal when the system has one (its fsyncs are cheap)."""
WORKING = frozenset({OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.PARTIALLY_FILLED})
INTRABAR_STEPS = 4
"""A bar is split in this many instants: open, first extreme, second extreme, close."""
Progress = Callable[[int], None]


@runtime_checkable
class DrivenVenue(Protocol):
    """The in-process venue as the backtester moves it (built by name through the registry)."""

    def drive(self, symbol: str, price: float, at_ms: int) -> None:
        """Jump to ``at_ms`` and move ``symbol``'s market to ``price``."""
        ...

    def set_bar_mode(self, on: bool = True) -> None:
        """Publish what a bar moves (top of book, trades, prices), not a deep book or klines."""
        ...

    def set_funding_rate(self, rate: Decimal | None) -> None:
        """Settle open positions at ``rate`` at each funding time (None: no funding)."""
        ...

    def wander(self, at_ms: int) -> None:
        """Jump to ``at_ms`` with the market generator moving the market over the time elapsed."""
        ...


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """What to run: symbol, bar interval, seed, fill model, starting balance, setting overrides."""

    symbol: str = "BTCUSDT"
    interval_ms: int = 60_000
    seed: int = 7
    fill_model: str = NEXT_OPEN
    starting_balance: Decimal = Decimal("100000")
    funding_rate: Decimal | None = DEFAULT_FUNDING_RATE
    """Funding rate settled at each funding time (a constant); None pays no funding."""
    latency_ms: int = DEFAULT_LATENCY_MS
    """Through-book fills only: milliseconds from a bar's close to the orders' send."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Extra settings sections, e.g. ``{"risk": {"max_order_notional": "1000"}}``."""


@dataclass(slots=True)
class EquityPoint:
    """Equity at one bar's close."""

    ts_ms: int
    equity: float
    position: float
    price: float


@dataclass(slots=True)
class BacktestResult:
    """What a run produced: the fills, the equity curve, the engine's answers that were refusals."""

    config: BacktestConfig
    strategy: str
    params: dict[str, Any]
    fills: list[Fill] = field(default_factory=list)
    equity: list[EquityPoint] = field(default_factory=list)
    rejections: list[CommandResult] = field(default_factory=list)
    funding: list[FundingPayment] = field(default_factory=list)
    """Funding settlements (positive: paid)."""
    liquidations: list[Fill] = field(default_factory=list)
    """The venue's liquidation executions (also among ``fills``: they closed the position)."""
    commands: int = 0
    bars: int = 0


class Backtest:
    """Runs one strategy over bars on a private engine and in-process venue."""

    def __init__(self, strategy: Strategy, config: BacktestConfig) -> None:
        if config.fill_model not in FILL_MODELS:
            raise ValueError(f"fill model must be one of {', '.join(FILL_MODELS)}, got {config.fill_model!r}")
        if not 0 <= config.latency_ms < config.interval_ms:
            raise ValueError(f"latency must be 0 .. {config.interval_ms - 1} ms, got {config.latency_ms}")
        self.strategy = strategy
        self.config = config
        self.result = BacktestResult(config, strategy.name, strategy.values())

    async def run(self, bars: Iterable[Bar], progress: Progress | None = None) -> BacktestResult:
        """Run over ``bars`` (oldest first); ``progress`` is told each bar's index."""
        it = iter(bars)
        first = next(it, None)
        if first is None:
            raise ValueError("no bars in the requested range")
        base = SHM if SHM.is_dir() else None
        with tempfile.TemporaryDirectory(prefix="backtest-", dir=base) as tmp:
            await self._run(first, it, Path(tmp), progress)
        return self.result

    async def _run(self, first: Bar, rest: Iterable[Bar], tmp: Path, progress: Progress | None) -> None:
        cfg = self.config
        clock = FrozenClock(first.ts_ms - cfg.interval_ms)
        settings = self._settings(tmp)
        venue = build_venue(settings, now_ms=clock.now_ms)  # shares the frozen clock
        if not isinstance(venue, DrivenVenue):
            raise TypeError(f"venue {venue.name} cannot be driven by bars")
        self.venue, self.clock = venue, clock
        if not venue.instruments((cfg.symbol,)):
            raise ValueError(f"symbol {cfg.symbol}: the in-process venue does not list it")
        venue.set_bar_mode(True)
        venue.set_funding_rate(cfg.funding_rate)
        venue.drive(cfg.symbol, first.open, clock.now_ms())
        self.engine = Engine(settings, clock=clock, venue=venue)
        self.engine.publisher.listeners.append(self._on_event)
        await self.engine.start()
        if self.engine.books is not None:
            # The keeper throttles publication on wall time; in virtual time every change counts.
            self.engine.books.publish_interval_s = 0.0
        try:
            self.ctx = StrategyContext(self.engine, self.strategy.name, cfg.symbol, clock.now_ms)
            self.strategy.bind(self.ctx)
            self.strategy.on_start()
            await self._send()
            for n, bar in enumerate(_chain(first, rest)):
                await self._bar(bar)
                if progress is not None:
                    progress(n)
            self.strategy.on_stop()
            await self._send()
        finally:
            await self.engine.stop()

    def _settings(self, tmp: Path) -> Any:
        cfg = self.config
        extra = dict(cfg.settings)
        risk = {"symbols": [cfg.symbol], **extra.pop("risk", {})}
        return load_settings(
            mode="sim",
            venue={"name": "simulated"},
            journal={"path": str(tmp / "journal.db")},
            metrics={"enabled": False},
            risk=risk,
            ui={"default_symbol": cfg.symbol},
            sim={"seed": cfg.seed, "starting_balance": str(cfg.starting_balance)},
            **extra,
        )

    # --- one bar ----------------------------------------------------------------------------------
    async def _bar(self, bar: Bar) -> None:
        sym, step = self.config.symbol, self.config.interval_ms // INTRABAR_STEPS
        if self.ctx.pending:
            await self._drive(bar.open, bar.ts_ms)
            await self._send()
        if self._working():
            near, far = (
                (bar.low, bar.high) if bar.open - bar.low < bar.high - bar.open else (bar.high, bar.low)
            )
            await self._drive(near, bar.ts_ms + step)
            await self._drive(far, bar.ts_ms + 2 * step)
        elif (adverse := self._liquidating(bar)) is not None:
            await self._drive(adverse, bar.ts_ms + step)
        close_ms = bar.ts_ms + self.config.interval_ms - 1
        await self._drive(bar.close, close_ms)
        self.ctx.push_bar(bar)
        self.strategy.on_bar(bar)
        self._timer(close_ms)
        if self.config.fill_model == BAR_CLOSE:
            await self._send()
        elif self.config.fill_model == THROUGH_BOOK and self.ctx.pending:
            self.venue.wander(close_ms + self.config.latency_ms)
            await self._send()
        self._mark(bar, sym)

    def _liquidating(self, bar: Bar) -> float | None:
        """The bar's adverse extreme when it reaches the open position's liquidation price."""
        pos = self.engine.state.positions.get(self.config.symbol)
        if pos is None or pos.size <= 0 or pos.liq_price is None:
            return None
        liq = float(pos.liq_price)
        if pos.side is Side.BUY:
            return bar.low if bar.low <= liq else None
        return bar.high if bar.high >= liq else None

    async def _drive(self, price: float, at_ms: int) -> None:
        self.venue.drive(self.config.symbol, price, max(at_ms, self.clock.now_ms()))
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)

    def _working(self) -> bool:
        state = self.engine.state
        if any(o.status in WORKING for o in state.orders.values()):
            return True
        return any(p.stop_loss or p.take_profit for p in state.positions.values())

    def _timer(self, now_ms: int) -> None:
        for due in self.ctx.due_timers(now_ms):
            self.strategy.on_timer(due)

    async def _send(self) -> None:
        for command in self.ctx.take():
            result = await command.send(self.engine)
            self.result.commands += 1
            if not result.ok:
                self.result.rejections.append(result)
            self.strategy.on_result(result)
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)

    def _mark(self, bar: Bar, symbol: str) -> None:
        state = self.engine.state
        wallet = float(state.balance.wallet_balance) if state.balance is not None else 0.0
        pos = state.positions.get(symbol)
        size = 0.0
        upnl = 0.0
        if pos is not None and pos.size > 0:
            size = float(pos.size) if pos.side is Side.BUY else -float(pos.size)
            upnl = size * (bar.close - float(pos.entry_price))
        self.result.equity.append(EquityPoint(bar.ts_ms, wallet + upnl, size, bar.close))
        self.result.bars += 1

    # --- engine events ----------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        """The backtest's account is the strategy's alone: every fill and order update is its own,
        including the venue's TP/SL and conditional orders that carry no id the strategy chose."""
        if isinstance(event, FillReceived):
            fill = event.fill
            if fill.exec_type == FUNDING:
                self.result.funding.append(FundingPayment(fill.symbol, fill.ts_ms, fill.fee))
                return
            if fill.exec_type == LIQUIDATION:
                self.result.liquidations.append(fill)
            self.result.fills.append(fill)
            self.strategy.on_fill(fill)
        elif isinstance(event, OrderUpdated):
            self.strategy.on_order(event.order)


def _chain(first: Bar, rest: Iterable[Bar]) -> Iterable[Bar]:
    yield first
    yield from rest


def run_backtest(
    strategy: Strategy,
    bars: Sequence[Bar] | Iterable[Bar],
    config: BacktestConfig,
    progress: Progress | None = None,
) -> BacktestResult:
    """Run a backtest to the end on a fresh event loop."""
    return asyncio.run(Backtest(strategy, config).run(bars, progress))
