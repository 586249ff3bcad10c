"""Stopping the Bybit feeds while they wait for subscription acks returns at once.

A venue that accepts the sockets but never acknowledges the subscriptions leaves ``start()`` (and
the watchdog's rebuild) waiting up to the ack timeout. Before the fix ``stop()`` closed the
sockets but left that wait running, so an engine stopping during a reconnect sat out the whole
timeout (5 s by default) before it could finish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from core.config import load_settings
from core.market.candles import Candle
from core.model import Balance, Fill, Order, Position, Ticker, Trade
from core.observability.baddata import BadDataTracker
from core.venues.base import BookDelta, BookSnapshot, FeedTiming
from core.venues.bybit.feeds import BybitFeeds
from tests.support.ws_loopback import LoopbackWs

pytestmark = pytest.mark.timeout(120)

ACK_TIMEOUT_S = 60.0
"""Far longer than the test waits for ``start()`` to return after ``stop()``."""


class SilentVenue(LoopbackWs):
    """WebSockets on loopback that accept every frame and answer none (no acks, no data)."""


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
