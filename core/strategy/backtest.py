"""The backtester: a strategy, unchanged, through the real engine on the in-process venue.

Each bar moves a :class:`~core.clock.FrozenClock` and drives the in-process venue's market to the
bar's prices (:meth:`~core.venues.simulated.bars.BarDriver.drive`: the book re-centres at
the price and a trade prints there, so market orders fill there and resting orders, conditionals
and TP/SL see it). The order of one bar:

1. next-open fills: commands the strategy queued on the previous bar are sent at this bar's open
   (the market driven to the open first, quoted on the side the first queued market order takes:
   the best ask at the open for a buy, the best bid for a sell, so it fills at the open itself);
2. with working orders or position TP/SL, the market visits the bar's low and high (the nearer
   extreme first), so stops and limits trigger inside the bar;
3. the market is driven to the close; the bar is handed to the strategy (it has now closed);
4. bar-close fills: the commands are sent at once, at the close; through-book fills: they are sent
   ``latency_ms`` after the close, once the market generator has moved the market over that time,
   so market orders walk the generator's book as it stands then (slippage from its depth, partial
   fills when it runs out) and limit orders rest until the market trades through them.

With an open position and no working order, the market also visits the bar's adverse extreme when
it reaches the position's liquidation price, so the venue liquidates inside the bar.

A quiet bar, where nothing can happen at the venue (no command waits, no algo is live, no order,
conditional, TP/SL or trailing stop works there, no funding time falls inside the bar and the
bar's extremes stay clear of the position's liquidation price), does not move the venue's market:
the clock moves to the close and the strategy gets the bar; the equity point is the bar's close
and the held position either way. The market is brought to a bar's price again before the next
command goes, and to the last close before a funding time (funding settles at the mark standing
then). Bars after an order that left nothing working are quiet from then on. After a drive or a
command the runner waits until the engine has applied what the venue handed over (no fixed
number of loop turns), so a bar that handed nothing over costs no loop turn.

Every command goes through :class:`~core.engine.Engine` (builder, risk chain, journal, executor);
the journal lives in a temporary directory, metrics are off. Fees are the venue's maker/taker
rates. Funding: the venue settles every open position at each funding time (00:00, 08:00, 16:00
UTC) at ``funding_rate`` (a constant; None pays none); the settlements and liquidations are kept
apart from the strategy's fills in the result.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from core.analytics.types import FundingPayment
from core.clock import FrozenClock
from core.config import load_settings
from core.engine import Engine
from core.events import Event, FillReceived, OrderUpdated
from core.model import Balance, OrderStatus, Position, Side
from core.strategy.backtest_types import (
    BAR_CLOSE,
    FILL_MODELS,
    NEXT_OPEN,
    THROUGH_BOOK,
    BacktestConfig,
    BacktestResult,
    DrivenVenue,
    EquityPoint,
    Held,
    Progress,
)
from core.strategy.base import Bar, Strategy
from core.strategy.context import StrategyContext
from core.strategy.params import qty_refusal
from core.venues.registry import build_venue

__all__ = [
    "BAR_CLOSE",
    "FILL_MODELS",
    "NEXT_OPEN",
    "THROUGH_BOOK",
    "Backtest",
    "BacktestConfig",
    "BacktestResult",
    "EquityPoint",
    "run_backtest",
]

FUNDING = "Funding"
LIQUIDATION = "BustTrade"
SETTLE_TURNS = 3
"""Loop turns an algo's tasks get after each market move and command while it is live."""
ALGO_COMMAND = "algo "
"""How a strategy's queued algo start is named (:meth:`StrategyContext.start_algo`)."""
SHM = Path("/dev/shm")
"""A memory-backed directory for the journal when the system has one (its fsyncs are cheap)."""
WORKING = frozenset({OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.PARTIALLY_FILLED})
JOURNAL_BATCH_ROWS = 1000
"""Journal records per commit: a backtest's journal is a throwaway file, not an audit log of real
money, so its records are committed in batches (every one still written, in order)."""
INTRABAR_STEPS = 4
"""A bar is split in this many instants: open, first extreme, second extreme, close."""


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
        self._last: Bar | None = None
        """The previous bar."""
        self._stale = False
        """True when quiet bars left the venue's market at an earlier bar's prices."""
        self._pushes = 0
        """Private pushes of the venue the engine has applied (see :meth:`_settle`)."""
        self._algo_started = False
        """An algo was started and may still be live."""
        self._held_of: tuple[Balance | None, Position | None] = (None, None)
        self._held_now = Held.of(None, None)

    async def run(
        self, bars: Iterable[Bar], progress: Progress | None = None, *, journal_dir: Path | None = None
    ) -> BacktestResult:
        """Run over ``bars`` (oldest first); ``progress`` is told each bar's index. The engine's
        journal is ``journal_dir/journal.db`` when given (kept), else in a temporary directory
        removed after the run."""
        it = iter(bars)
        first = next(it, None)
        if first is None:
            raise ValueError("no bars in the requested range")
        if journal_dir is not None:
            await self._run(first, it, journal_dir, progress)
            return self.result
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
        listed = venue.instruments((cfg.symbol,))
        if not listed:
            raise ValueError(f"symbol {cfg.symbol}: the in-process venue does not list it")
        if why := qty_refusal(self.strategy.values(), listed[0]):
            raise ValueError(f"param {why}")
        self.bars = venue.bars
        self.bars.set_bar_mode(True)
        self.bars.set_funding_rate(cfg.funding_rate)
        self.bars.drive(cfg.symbol, first.open, clock.now_ms())
        self.engine = Engine(settings, clock=clock, venue=venue)
        # Client order ids from the seed and the virtual clock: a run repeated is the same run.
        self.engine.pretrade.builder.seed_ids(cfg.seed, clock.now_ms)
        # The run's journal is thrown away with its directory: no fsync, one commit per batch.
        self.engine.journal.batch_commits(JOURNAL_BATCH_ROWS)
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
            await self._send_at_end()
        finally:
            self.result.drives = self.bars.drives
            await self.engine.stop()

    async def _send_at_end(self) -> None:
        """Send what the last bar and ``on_stop`` queued, at the last close; what fills there is in
        the last equity point too (the report's trades, fees and equity then agree)."""
        if not self.ctx.pending:
            return
        filled = len(self.result.fills)
        await self._catch_up()
        await self._send()
        if len(self.result.fills) != filled and self._last is not None:
            self.result.equity[-1] = self._point(self._last)

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
        close_ms = bar.ts_ms + self.config.interval_ms - 1
        if self._quiet(bar, close_ms):
            await self._quiet_bar(bar, close_ms)
        else:
            await self._busy_bar(bar, close_ms)
        self._last = bar
        self._mark(bar)

    async def _busy_bar(self, bar: Bar, close_ms: int) -> None:
        """A bar where something can happen at the venue: the market visits its prices."""
        step = self.config.interval_ms // INTRABAR_STEPS
        funding = self.bars.next_funding_ms()
        if funding is not None and funding <= close_ms:
            await self._catch_up()  # funding settles at the mark standing before this bar
        if self.ctx.pending:
            takes = self.ctx.taking() if self.config.fill_model == NEXT_OPEN else None
            await self._drive(bar.open, bar.ts_ms, takes)
            await self._send()
            if self._quiet(bar, close_ms):  # the orders left nothing the rest of the bar can act on
                await self._quiet_bar(bar, close_ms)
                return
        if self._working():
            near, far = (
                (bar.low, bar.high) if bar.open - bar.low < bar.high - bar.open else (bar.high, bar.low)
            )
            await self._drive(near, bar.ts_ms + step)
            await self._drive(far, bar.ts_ms + 2 * step)
        elif (adverse := self._liquidating(bar)) is not None:
            await self._drive(adverse, bar.ts_ms + step)
        await self._drive(bar.close, close_ms)
        self._closed(bar, close_ms)
        await self._close_fills(bar, close_ms)

    async def _quiet_bar(self, bar: Bar, close_ms: int) -> None:
        """A bar where nothing can happen at the venue: the clock moves to the close and the
        strategy gets the bar; the market is driven to the close only when commands go now."""
        self.clock.advance(close_ms - self.clock.now_ms())
        self._stale = True
        self._closed(bar, close_ms)
        await self._close_fills(bar, close_ms)

    def _closed(self, bar: Bar, close_ms: int) -> None:
        self.ctx.push_bar(bar)
        self.strategy.on_bar(bar)
        self._timer(close_ms)

    async def _close_fills(self, bar: Bar, close_ms: int) -> None:
        """Bar-close and through-book fills: the commands queued at this close go now."""
        model = self.config.fill_model
        if model == NEXT_OPEN or not self.ctx.pending:
            return
        if self._stale:
            await self._drive(bar.close, close_ms)
        if model == THROUGH_BOOK:
            self.bars.wander(close_ms + self.config.latency_ms)
        await self._send()

    def _quiet(self, bar: Bar, close_ms: int) -> bool:
        """True when a move to this bar's prices can act on nothing at the venue: no command
        waits, no live algo, no working order or TP/SL there, no funding time inside the bar and
        no position whose liquidation price the bar comes near."""
        if self.ctx.pending or self._algos_live() or not self.bars.market_idle(self.config.symbol):
            return False
        funding = self.bars.next_funding_ms()
        if funding is not None and funding <= close_ms:
            return False
        return not self._near_liquidation(bar)

    def _near_liquidation(self, bar: Bar) -> bool:
        """An open position whose liquidation price is unknown, or which the bar's adverse
        extreme comes within ``LIQ_NEAR`` of."""
        held = self._held()
        if held.size == 0:
            return False
        if held.size > 0:
            return bar.low <= held.liq_floor
        return bar.high >= held.liq_ceiling

    def _algos_live(self) -> bool:
        if self._algo_started:
            self._algo_started = any(not a.terminal for a in self.engine.algos())
        return self._algo_started

    def _liquidating(self, bar: Bar) -> float | None:
        """The bar's adverse extreme when it reaches the open position's liquidation price."""
        pos = self.engine.state.positions.get(self.config.symbol)
        if pos is None or pos.size <= 0 or pos.liq_price is None:
            return None
        liq = float(pos.liq_price)
        if pos.side is Side.BUY:
            return bar.low if bar.low <= liq else None
        return bar.high if bar.high >= liq else None

    async def _catch_up(self) -> None:
        """Bring the venue's market to the last bar's close when quiet bars left it behind."""
        if self._stale and self._last is not None:
            last_close_ms = self._last.ts_ms + self.config.interval_ms - 1
            await self._drive(self._last.close, last_close_ms)

    async def _drive(self, price: float, at_ms: int, takes: Side | None = None) -> None:
        self.bars.drive(self.config.symbol, price, max(at_ms, self.clock.now_ms()), takes)
        self._stale = False
        await self._settle()

    async def _settle(self) -> None:
        """Let the engine apply what the venue handed over. The feeds hand account events to the
        loop in order, so once a callback queued after them has run, they have been applied; an
        applied event that made the engine call the venue again is waited for the same way. With
        an algo live, its tasks get the loop turns they had before (ticks, child orders)."""
        if self._algo_started:
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        while (pushes := self.bars.private_pushes()) != self._pushes:
            self._pushes = pushes
            applied = loop.create_future()
            loop.call_soon(_resolve, applied)
            await applied

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
            self._algo_started = self._algo_started or command.what.startswith(ALGO_COMMAND)
            await self._settle()

    def _mark(self, bar: Bar) -> None:
        self.result.equity.append(self._point(bar))
        self.result.bars += 1

    def _point(self, bar: Bar) -> EquityPoint:
        """The equity at ``bar``'s close: the wallet and the held position marked at the close."""
        held = self._held()
        upnl = held.size * (bar.close - held.entry) if held.size else 0.0
        return EquityPoint(bar.ts_ms, held.wallet + upnl, held.size, bar.close)

    def _held(self) -> Held:
        """The wallet and the position as floats, read again only when the engine's balance or
        position changed (they are replaced, never modified, so an identity check tells)."""
        state = self.engine.state
        balance, pos = state.balance, state.positions.get(self.config.symbol)
        if balance is not self._held_of[0] or pos is not self._held_of[1]:
            self._held_of = (balance, pos)
            self._held_now = Held.of(balance, pos)
        return self._held_now

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


def _resolve(applied: asyncio.Future[None]) -> None:
    """Wake the runner waiting on ``applied``, unless a cancel (Ctrl-C) has ended that wait."""
    if not applied.done():
        applied.set_result(None)


def _chain(first: Bar, rest: Iterable[Bar]) -> Iterable[Bar]:
    yield first
    yield from rest


def run_backtest(
    strategy: Strategy,
    bars: Sequence[Bar] | Iterable[Bar],
    config: BacktestConfig,
    progress: Progress | None = None,
) -> BacktestResult:
    """Run a backtest to the end on a fresh event loop.

    The loop's main coroutine returns None and the result is read from the backtest after: on
    Python 3.11, :func:`asyncio.run` formats its main task (and so the task's result) when it puts
    back the SIGINT handler, which for a result of a million equity points took seconds."""
    backtest = Backtest(strategy, config)
    asyncio.run(_to_end(backtest, bars, progress))
    return backtest.result


async def _to_end(backtest: Backtest, bars: Iterable[Bar], progress: Progress | None) -> None:
    await backtest.run(bars, progress)
