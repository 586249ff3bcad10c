"""The same strategy against a running engine (the sim, demo or live venue).

:class:`LiveRunner` hands the strategy the engine's closed candles of its timeframe, one at a
time and only once closed (the store's candles come from the venue's kline stream), sends the
commands a callback queued right after it returns, and passes on the engine's order updates and
fills of the orders it sent (the account may be shared with the trader and other strategies).
The candles already closed at start fill ``ctx.bars`` so indicators are warm; ``on_bar`` is
called only for bars that close while it runs.

A callback that raises stops the runner: the error is kept as :class:`StrategyError` (naming the
callback) in :attr:`LiveRunner.error`, :meth:`LiveRunner.run` raises it, and an error raised from
an engine event (``on_fill``, ``on_order``) never reaches the engine's publisher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.events import Event, FillReceived, OrderUpdated
from core.market.candles import INTERVALS_MS
from core.strategy.base import Bar, Strategy
from core.strategy.context import StrategyContext

if TYPE_CHECKING:
    from core.api import CommandResult
    from core.engine import Engine
    from core.market.candles import Candle

POLL_S = 0.5
"""How often :meth:`LiveRunner.run` looks for a newly closed bar."""
WARM_BARS = 1_000
"""Closed candles handed over at start (history, no ``on_bar``)."""


class StrategyError(Exception):
    """A strategy's callback raised; the message names the callback and the error."""


class LiveRunner:
    """Runs one strategy on a started engine."""

    def __init__(
        self,
        engine: Engine,
        strategy: Strategy,
        symbol: str,
        *,
        timeframe: str = "1m",
        ctx: StrategyContext | None = None,
    ) -> None:
        if timeframe not in INTERVALS_MS:
            raise ValueError(f"timeframe {timeframe!r} is not one of {', '.join(INTERVALS_MS)}")
        self.engine = engine
        self.strategy = strategy
        self.timeframe = timeframe
        self.interval_ms = INTERVALS_MS[timeframe]
        self.ctx = ctx or StrategyContext(engine, strategy.name, symbol, engine.clock.now_ms)
        self.results: list[CommandResult] = []
        """The engine's answer to every command sent, in order."""
        self.links: set[str] = set()
        """Client order ids of the orders this strategy sent (its fills and updates are its own)."""
        self.error: StrategyError | None = None
        """Why the strategy stopped by itself (a callback raised); None while it has not."""
        self._last_ms = -1
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        """Warm the bar history, attach to the engine's events, call ``on_start``."""
        for bar in self._closed():
            self.ctx.push_bar(bar)
            self._last_ms = bar.ts_ms
        self.engine.publisher.listeners.append(self._on_event)
        self.strategy.bind(self.ctx)
        self._call("on_start", self.strategy.on_start)
        await self._send()

    async def poll(self) -> int:
        """Deliver the bars closed since the last poll and fire due timers; the bars delivered."""
        fresh = [b for b in self._closed() if b.ts_ms > self._last_ms]
        for bar in fresh:
            if self._stopped.is_set():
                return 0
            self._last_ms = bar.ts_ms
            self.ctx.push_bar(bar)
            self._call("on_bar", self.strategy.on_bar, bar)
            await self._send()
        self._timer(self.ctx.now_ms())
        await self._send()
        return len(fresh)

    async def run(self, poll_s: float = POLL_S) -> None:
        """Poll until :meth:`stop`; raises :class:`StrategyError` when a callback raised."""
        while not self._stopped.is_set():
            await self.poll()
            try:
                await asyncio.wait_for(self._stopped.wait(), poll_s)
            except TimeoutError:
                continue
        if self.error is not None:
            raise self.error

    async def stop(self) -> None:
        """Call ``on_stop``, send what it queued and detach from the engine."""
        self._stopped.set()
        try:
            self._call("on_stop", self.strategy.on_stop)
            await self._send()
        finally:
            self.detach()

    def detach(self) -> None:
        """Stop at once without calling ``on_stop`` (a kill, a failure): nothing queued is sent."""
        self._stopped.set()
        self.ctx.take()
        if self._on_event in self.engine.publisher.listeners:
            self.engine.publisher.listeners.remove(self._on_event)

    @property
    def stopped(self) -> bool:
        """True once stopped, detached or failed."""
        return self._stopped.is_set()

    # --- inside -----------------------------------------------------------------------------------
    def _closed(self) -> list[Bar]:
        now = self.ctx.now_ms()
        candles = self.engine.store.candles(self.ctx.symbol, self.timeframe, WARM_BARS)
        return [_bar(c) for c in candles if c.start_ms + self.interval_ms <= now]

    async def _send(self) -> None:
        for command in self.ctx.take():
            result = await command.send(self.engine)
            if result.order_link_id:
                self.links.add(result.order_link_id)
            self.results.append(result)
            self._call("on_result", self.strategy.on_result, result)

    def _timer(self, now_ms: int) -> None:
        for due in self.ctx.due_timers(now_ms):
            self._call("on_timer", self.strategy.on_timer, due)

    def _call(self, what: str, callback: Callable[..., None], *args: Any) -> None:
        """Run one callback; a raise becomes :class:`StrategyError` naming it."""
        try:
            callback(*args)
        except Exception as exc:
            raise StrategyError(f"{what} raised {type(exc).__name__}: {exc}") from exc

    def _on_event(self, event: Event) -> None:
        """Engine events of this strategy's orders; a raising callback stops it, never the engine."""
        try:
            if isinstance(event, FillReceived) and event.fill.order_link_id in self.links:
                self._call("on_fill", self.strategy.on_fill, event.fill)
            elif isinstance(event, OrderUpdated) and event.order.order_link_id in self.links:
                self._call("on_order", self.strategy.on_order, event.order)
        except StrategyError as err:
            self.error = err
            self.detach()


def _bar(c: Candle) -> Bar:
    return Bar(c.start_ms, c.open, c.high, c.low, c.close, c.volume)
