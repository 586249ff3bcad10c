"""The private WebSocket authenticates on the venue's clock: with the local clock two minutes
behind the venue's, the Bybit feeds sign their ``auth`` expiry with the adapter's clock offset (the
one REST signing uses) and the account stream works; without the offset the venue refuses it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.clock import SystemClock
from core.config import SimSettings, load_settings
from core.market.candles import Candle
from core.model import Balance, Fill, Order, OrderRequest, OrderType, Position, Side, Ticker, Trade
from core.orders.builder import OrderBuilder
from core.orders.ids import new_order_link_id
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread
from core.venues.base import BookDelta, BookSnapshot, Feeds, FeedTiming
from core.venues.bybit.rest import BybitVenue

pytestmark = pytest.mark.timeout(60)

SYM = "BTCUSDT"
SKEW_MS = 120_000
"""How far the venue's clock runs ahead of the local one (far beyond the 1 s auth expiry)."""
TIMING = FeedTiming(reconnect_backoff_s=(0.5, 4.0), ack_timeout_s=10.0)


class _AheadClock(SystemClock):
    """The venue's clock: the local wall clock plus :data:`SKEW_MS`."""

    def now_ms(self) -> int:
        return super().now_ms() + SKEW_MS


class _Sink:
    """Records the private stream's connection states and order pushes; wakes waiters on each."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str, str]] = []
        self.orders: list[Order] = []
        self.changed = threading.Condition()

    def connection(self, stream: str, state: str, detail: str) -> None:
        with self.changed:
            self.states.append((stream, state, detail))
            self.changed.notify_all()

    def order(self, order: Order) -> None:
        with self.changed:
            self.orders.append(order)
            self.changed.notify_all()

    def wait_for(self, what: str, timeout: float = 15.0) -> bool:
        """Until an auth refusal (``refused``) or an order push (``order``) has arrived."""

        def seen() -> bool:
            if what == "refused":
                return any(s == "private" and "auth refused" in d for s, _st, d in self.states)
            return bool(self.orders)

        with self.changed:
            return self.changed.wait_for(seen, timeout)

    def book_snapshot(self, book: BookSnapshot) -> None:
        """Market data is not what this test is about."""

    def book_delta(self, delta: BookDelta) -> None:
        """Unused."""

    def ticker(self, ticker: Ticker) -> None:
        """Unused."""

    def trade(self, trade: Trade) -> None:
        """Unused."""

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Unused."""

    def fill(self, fill: Fill) -> None:
        """Unused."""

    def position(self, position: Position) -> None:
        """Unused."""

    def balance(self, balance: Balance) -> None:
        """Unused."""


@pytest.fixture(scope="module")
def ahead() -> Iterator[SimVenueThread]:
    """A sim venue whose clock runs :data:`SKEW_MS` ahead of this machine's."""
    settings = SimSettings(port=0, market_rate_hz=50.0)
    clock = _AheadClock()
    exchange = SimExchange(seed=settings.seed, clock=clock, starting_balance=settings.starting_balance)
    venue = SimVenueThread(settings, clock, exchange=exchange, limits_scale=100.0).start()
    yield venue
    venue.stop()


@pytest.fixture
def bybit(ahead: SimVenueThread, tmp_path: Path) -> BybitVenue:
    sim = ahead.settings.model_copy(update={"port": ahead.port})
    settings = load_settings(
        sim=sim, journal={"path": str(tmp_path / "journal.db")}, metrics={"enabled": False}
    )
    return BybitVenue(settings)


def _start(feeds: Feeds) -> threading.Thread:
    thread = threading.Thread(target=feeds.start, daemon=True)
    thread.start()
    return thread


def test_without_the_offset_the_venue_refuses_the_private_stream(bybit: BybitVenue) -> None:
    """The control: pybit's own expiry (local time + 1 s) is two minutes in the venue's past."""
    sink = _Sink()
    feeds = bybit.feeds((SYM,), sink, TIMING)
    thread = _start(feeds)
    try:
        assert sink.wait_for("refused"), sink.states
    finally:
        feeds.stop()
        thread.join(15)


def test_with_the_venues_offset_a_skewed_local_clock_still_authenticates(bybit: BybitVenue) -> None:
    local_ms = SystemClock().now_ms()
    offset = bybit.server_time_ms() - local_ms
    assert offset >= SKEW_MS - 5_000
    bybit.set_clock_offset(offset)  # what the engine does after reading the venue's time
    sink = _Sink()
    feeds = bybit.feeds((SYM,), sink, TIMING)
    feeds.start()
    try:
        assert not [d for s, _st, d in sink.states if "auth refused" in d], sink.states
        assert ("private", "up", "connected") in sink.states, sink.states
        # an account push proves the private stream is authenticated, not merely connected
        [inst] = bybit.instruments((SYM,))
        price = Decimal(repr(bybit.orderbook(SYM, 1).bids[0][0])) * Decimal("0.9")
        request = OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, price)
        built = OrderBuilder().build(request, inst, ref_price=price, order_link_id=new_order_link_id("tc"))
        ack = bybit.place(built)
        assert sink.wait_for("order"), sink.states
        assert any(o.order_link_id == ack.client_order_id for o in sink.orders)
        bybit.cancel(SYM, ack.client_order_id)
    finally:
        feeds.stop()
