"""The same strategy against a running engine (the sim, demo or live venue).

:class:`LiveRunner` hands the strategy the engine's closed candles of its timeframe, one at a
time and only once closed (the store's candles come from the venue's kline stream), sends the
commands a callback queued right after it returns, and passes on the engine's order updates and
fills of the orders it sent (the account may be shared with the trader and other strategies).
The candles already closed at start fill ``ctx.bars`` so indicators are warm; ``on_bar`` is
called only for bars that close while it runs.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

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


class LiveRunner:
    """Runs one strategy on a started engine."""

    def __init__(self, engine: Engine, strategy: Strategy, symbol: str, *, timeframe: str = "1m") -> None:
        if timeframe not in INTERVALS_MS:
            raise ValueError(f"timeframe {timeframe!r} is not one of {', '.join(INTERVALS_MS)}")
        self.engine = engine
        self.strategy = strategy
        self.timeframe = timeframe
        self.interval_ms = INTERVALS_MS[timeframe]
        self.ctx = StrategyContext(engine, strategy.name, symbol, engine.clock.now_ms)
        self.results: list[CommandResult] = []
        """The engine's answer to every command sent, in order."""
        self._links: set[str] = set()
        self._last_ms = -1
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        """Warm the bar history, attach to the engine's events, call ``on_start``."""
        for bar in self._closed():
            self.ctx.push_bar(bar)
            self._last_ms = bar.ts_ms
        self.engine.publisher.listeners.append(self._on_event)
        self.strategy.bind(self.ctx)
        self.strategy.on_start()
        await self._send()

    async def poll(self) -> int:
        """Deliver the bars closed since the last poll and fire due timers; the bars delivered."""
        fresh = [b for b in self._closed() if b.ts_ms > self._last_ms]
        for bar in fresh:
            self._last_ms = bar.ts_ms
            self.ctx.push_bar(bar)
            self.strategy.on_bar(bar)
            await self._send()
        self._timer(self.ctx.now_ms())
        await self._send()
        return len(fresh)

    async def run(self, poll_s: float = POLL_S) -> None:
        """Poll until :meth:`stop`."""
        while not self._stopped.is_set():
            await self.poll()
            try:
                await asyncio.wait_for(self._stopped.wait(), poll_s)
            except TimeoutError:
                continue

    async def stop(self) -> None:
        """Call ``on_stop``, send what it queued and detach from the engine."""
        self._stopped.set()
        self.strategy.on_stop()
        await self._send()
        if self._on_event in self.engine.publisher.listeners:
            self.engine.publisher.listeners.remove(self._on_event)

    # --- inside -----------------------------------------------------------------------------------
    def _closed(self) -> list[Bar]:
        now = self.ctx.now_ms()
        candles = self.engine.store.candles(self.ctx.symbol, self.timeframe, WARM_BARS)
        return [_bar(c) for c in candles if c.start_ms + self.interval_ms <= now]

    async def _send(self) -> None:
        for command in self.ctx.take():
            result = await command.send(self.engine)
            if result.order_link_id:
                self._links.add(result.order_link_id)
            self.results.append(result)
            self.strategy.on_result(result)

    def _timer(self, now_ms: int) -> None:
        for due in self.ctx.due_timers(now_ms):
            self.strategy.on_timer(due)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, FillReceived) and event.fill.order_link_id in self._links:
            self.strategy.on_fill(event.fill)
        elif isinstance(event, OrderUpdated) and event.order.order_link_id in self._links:
            self.strategy.on_order(event.order)


def _bar(c: Candle) -> Bar:
    return Bar(c.start_ms, c.open, c.high, c.low, c.close, c.volume)
