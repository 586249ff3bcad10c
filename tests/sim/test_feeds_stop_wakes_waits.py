"""Stopping the Bybit feeds while they wait for subscription acks returns at once.

A venue that accepts the sockets but never acknowledges the subscriptions leaves ``start()`` (and
the watchdog's rebuild) waiting up to the ack timeout. Before the fix ``stop()`` closed the
sockets but left that wait running, so an engine stopping during a reconnect sat out the whole
timeout (5 s by default) before it could finish.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from core.config import load_settings
from core.market.candles import Candle
from core.model import Balance, Fill, Order, Position, Ticker, Trade
from core.observability.baddata import BadDataTracker
from core.venues.base import BookDelta, BookSnapshot, FeedTiming
from core.venues.bybit.feeds import BybitFeeds

pytestmark = pytest.mark.timeout(120)

ACK_TIMEOUT_S = 60.0
"""Far longer than the test waits for ``start()`` to return after ``stop()``."""


class SilentVenue:
    """WebSockets on loopback that accept every frame and answer none (no acks, no data)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.connected = threading.Semaphore(0)
        self.sockets: list[web.WebSocketResponse] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/v5/public/linear", self._socket)
        app.router.add_get("/v5/private", self._socket)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self.ready.set()
        self.loop.run_forever()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        self.connected.release()
        async for _msg in ws:
            pass  # heard, never answered
        return ws

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        await self.runner.cleanup()


class Sink:
    """Records connection states; nothing else arrives from a silent venue."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str, str]] = []

    def connection(self, stream: str, state: str, detail: str) -> None:
        self.states.append((stream, state, detail))

    def book_snapshot(self, book: BookSnapshot) -> None:
        """Never sent."""

    def book_delta(self, delta: BookDelta) -> None:
        """Never sent."""

    def ticker(self, ticker: Ticker) -> None:
        """Never sent."""

    def trade(self, trade: Trade) -> None:
        """Never sent."""

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Never sent."""

    def order(self, order: Order) -> None:
        """Never sent."""

    def fill(self, fill: Fill) -> None:
        """Never sent."""

    def position(self, position: Position) -> None:
        """Never sent."""

    def balance(self, balance: Balance) -> None:
        """Never sent."""


@pytest.fixture
def silent() -> Iterator[SilentVenue]:
    venue = SilentVenue()
    try:
        yield venue
    finally:
        venue.close()


def test_stop_wakes_a_start_waiting_for_acks(silent: SilentVenue) -> None:
    sink = Sink()
    feeds = BybitFeeds(
        load_settings(sim={"port": silent.port}, metrics={"enabled": False}),
        ("BTCUSDT",),
        sink,
        FeedTiming(ack_timeout_s=ACK_TIMEOUT_S),
        BadDataTracker(),
    )
    starting = threading.Thread(target=feeds.start, daemon=True)
    starting.start()
    assert silent.connected.acquire(timeout=30) and silent.connected.acquire(timeout=30)  # both sockets
    feeds.stop()
    starting.join(timeout=ACK_TIMEOUT_S / 4)
    assert not starting.is_alive(), "start() still waiting for acks after stop()"
    assert not any(state == "up" for _s, state, _d in sink.states)  # never reported as working
