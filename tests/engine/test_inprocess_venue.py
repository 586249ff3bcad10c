"""The in-process venue on its own: the sim's exchange behind the venue port, on a virtual clock.

Every command and query of the port, the streams it delivers while time is advanced, classified
errors, determinism (same seed, same events) and the registry's view of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from core.clock import FrozenClock
from core.config import load_settings
from core.config_files import ConfigError
from core.endpoint_policy import check_venue_endpoint
from core.market.books import DISPLAY_DEPTH
from core.market.timerange import TimeRange
from core.model import (
    Fill,
    Instrument,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
)
from core.orders.builder import OrderBuilder
from core.orders.built import BuiltOrder
from core.resilience.errors import OrderGone, Rejected, Unchanged
from core.sim._public import DEEP_PUSH_MS
from core.venues.base import BookDelta, BookSnapshot, FeedTiming, PlaceAck, Venue
from core.venues.registry import build_venue
from core.venues.simulated import InProcessFeeds, SimulatedVenue
from tests.support.recording_sink import RecordingSink

SYM = "BTCUSDT"
DISPLAY_PUSH_MS = DEEP_PUSH_MS[DISPLAY_DEPTH]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def venue(clock: FrozenClock) -> SimulatedVenue:
    return SimulatedVenue(clock, seed=7)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def feeds(venue: SimulatedVenue, sink: RecordingSink) -> Iterator[InProcessFeeds]:
    running = venue.feeds((SYM,), sink, FeedTiming())
    assert isinstance(running, InProcessFeeds)
    running.start()
    yield running
    running.stop()


def _instrument(venue: SimulatedVenue) -> Instrument:
    (inst,) = venue.instruments((SYM,))
    return inst


def _mark(venue: SimulatedVenue) -> Decimal:
    ticker = venue.ticker(SYM)
    assert ticker is not None
    return ticker.mark_price


def _limit_buy(venue: SimulatedVenue, qty: str = "0.01", pct: str = "0.98") -> BuiltOrder:
    price = (_mark(venue) * Decimal(pct)).quantize(Decimal("0.1"))
    request = OrderRequest(SYM, Side.BUY, Decimal(qty), OrderType.LIMIT, price)
    return OrderBuilder().build(request, _instrument(venue))


def _market(venue: SimulatedVenue, side: Side, qty: str) -> BuiltOrder:
    request = OrderRequest(SYM, side, Decimal(qty), OrderType.MARKET)
    return OrderBuilder().build(request, _instrument(venue), ref_price=_mark(venue))


def test_capabilities_and_endpoint(venue: SimulatedVenue) -> None:
    port: Venue = venue  # implements the port (checked by mypy)
    assert port.capabilities.name == "simulated"
    assert venue.name == "simulated"
    assert venue.rest_url == "sim://in-process"
    assert venue.capabilities.inline_calls
    assert venue.endpoint_of("place") == "/v5/order/create"


def test_advance_steps_the_market_on_the_virtual_clock(
    venue: SimulatedVenue, clock: FrozenClock, sink: RecordingSink, feeds: InProcessFeeds
) -> None:
    start = clock.now_ms()
    assert ("connection", ("public", "up", "in-process")) in sink.events
    assert ("connection", ("private", "up", "in-process")) in sink.events
    snapshot, display = sink.of("book_snapshot")  # the trading book, then the ladder's display book
    assert isinstance(snapshot, BookSnapshot) and snapshot.bids and snapshot.asks and snapshot.depth == 0
    assert isinstance(display, BookSnapshot) and display.depth == DISPLAY_DEPTH
    assert len(display.bids) == DISPLAY_DEPTH and len(display.asks) == DISPLAY_DEPTH
    venue.advance(2_000)
    assert clock.now_ms() == start + 2_000
    assert venue.server_time_ms() == start + 2_000
    deltas = [d for d in sink.of("book_delta") if isinstance(d, BookDelta) and d.depth == 0]
    assert len(deltas) == 2_000 // venue.tick_ms  # one per market step
    seqs = [snapshot.seq, *(d.seq for d in deltas)]
    assert seqs == list(range(snapshot.seq, snapshot.seq + len(seqs)))  # no gap, no repeat
    deep = [d for d in sink.of("book_delta") if isinstance(d, BookDelta) and d.depth == DISPLAY_DEPTH]
    assert len(deep) == 2_000 // DISPLAY_PUSH_MS  # Bybit's cadence for orderbook.1000
    assert [d.seq for d in deep] == list(range(display.seq + 1, display.seq + 1 + len(deep)))
    assert all(d.ts_ms <= start + 2_000 for d in deltas)
    tickers = [t for t in sink.of("ticker") if isinstance(t, Ticker)]
    assert tickers and all(t.mark_price > 0 and t.symbol == SYM for t in tickers)
    assert sink.of("trade") and sink.of("candle")
    assert feeds.messages["public"] > len(deltas)
    assert feeds.bad_values == 0


def test_same_seed_same_market(clock: FrozenClock) -> None:
    def run() -> list[tuple[str, object]]:
        venue = SimulatedVenue(FrozenClock(clock.now_ms()), seed=11)
        sink = RecordingSink()
        venue.feeds((SYM,), sink, FeedTiming()).start()
        venue.advance(1_500)
        return sink.events

    assert run() == run()


def test_place_amend_cancel_and_lookups(
    venue: SimulatedVenue, sink: RecordingSink, feeds: InProcessFeeds
) -> None:
    built = _limit_buy(venue)
    ack = venue.place(built)
    assert isinstance(ack, PlaceAck) and ack.client_order_id == built.order_link_id and ack.order_id
    pushed = [o for o in sink.of("order") if isinstance(o, Order)]
    assert pushed[-1].order_link_id == built.order_link_id and pushed[-1].status is OrderStatus.NEW
    (working,) = venue.open_orders(SYM)
    assert built.price is not None
    assert working.price == built.price and working.qty == built.qty

    venue.amend(SYM, built.order_link_id, qty=Decimal("0.02"), price=built.price - Decimal("5"))
    found = venue.find_order(SYM, built.order_link_id)
    assert found is not None
    assert found.qty == Decimal("0.02") and found.price == built.price - 5

    venue.cancel(SYM, built.order_link_id)
    assert venue.open_orders() == []
    gone = venue.find_order(SYM, built.order_link_id)
    assert gone is not None and gone.status is OrderStatus.CANCELLED
    assert venue.find_order(SYM, "never-sent") is None
    with pytest.raises(OrderGone):
        venue.cancel(SYM, built.order_link_id)
    methods = [m for m, _ in venue.order_lookups(SYM, built.order_link_id)]
    assert methods == ["open_orders", "open_orders", "order_history"]


def test_cancel_all_names_what_it_cancelled(venue: SimulatedVenue) -> None:
    first, second = _limit_buy(venue, pct="0.97"), _limit_buy(venue, pct="0.96")
    venue.place(first)
    venue.place(second)
    assert sorted(venue.cancel_all(None)) == sorted([first.order_link_id, second.order_link_id])
    assert venue.open_orders() == []


def test_market_order_fills_position_balance_executions(
    venue: SimulatedVenue, clock: FrozenClock, sink: RecordingSink, feeds: InProcessFeeds
) -> None:
    before = venue.balance()
    assert before is not None and before.wallet_balance == Decimal("100000")
    built = _market(venue, Side.BUY, "0.05")
    venue.place(built)
    fills = [f for f in sink.of("fill") if isinstance(f, Fill)]
    assert sum(f.qty for f in fills) == Decimal("0.05")
    assert {f.order_link_id for f in fills} == {built.order_link_id}
    (position,) = venue.positions()
    assert position.symbol == SYM and position.side is Side.BUY and position.size == Decimal("0.05")
    pushed = [p for p in sink.of("position") if isinstance(p, Position)]
    assert pushed[-1].size == Decimal("0.05")
    after = venue.balance()
    assert after is not None and after.wallet_balance == before.wallet_balance - sum(f.fee for f in fills)
    window = TimeRange.last(60_000, clock.now_ms() + 1)
    assert sorted(f.exec_id for f in venue.executions(window, SYM)) == sorted(f.exec_id for f in fills)

    venue.place(_market(venue, Side.SELL, "0.05"))
    assert venue.positions() == []


def test_rejections_are_classified(venue: SimulatedVenue) -> None:
    # 400 BTC is far beyond the 100k USDT account: the venue refuses for margin, every time.
    with pytest.raises(Rejected) as refused:
        venue.place(_market(venue, Side.BUY, "400"))
    assert refused.value.code == 110007 and "not enough" in refused.value.reason
    assert refused.value.endpoint == "/v5/order/create"
    venue.set_leverage(SYM, Decimal("5"))
    with pytest.raises(Unchanged):
        venue.set_leverage(SYM, Decimal("5"))


def test_position_tools_and_account(venue: SimulatedVenue) -> None:
    venue.place(_market(venue, Side.BUY, "0.01"))
    mark = _mark(venue)
    take_profit = (mark * Decimal("1.1")).quantize(Decimal("0.1"))
    stop_loss = (mark * Decimal("0.9")).quantize(Decimal("0.1"))
    venue.set_trading_stop(SYM, take_profit=take_profit, stop_loss=stop_loss)
    (position,) = venue.positions()
    assert (position.take_profit, position.stop_loss) == (take_profit, stop_loss)
    venue.set_trading_stop(SYM, take_profit=Decimal(0), stop_loss=None)
    (position,) = venue.positions()
    assert (position.take_profit, position.stop_loss) == (None, stop_loss)
    assert venue.margin_mode() == "cross"
    taker, maker = venue.fee_rates()[SYM]
    assert taker > maker > 0


def test_market_data_queries(venue: SimulatedVenue, clock: FrozenClock) -> None:
    venue.advance(1_000)
    inst = _instrument(venue)
    assert inst.tick_size == Decimal("0.10") and inst.qty_step == Decimal("0.001")
    book = venue.orderbook(SYM, 5)
    assert len(book.bids) == len(book.asks) == 5 and book.bids[0][0] < book.asks[0][0]
    candles = venue.klines(SYM, "1m", 3)
    assert len(candles) == 3 and [c.start_ms for c in candles] == sorted(c.start_ms for c in candles)
    ticker = venue.ticker(SYM)
    assert ticker is not None and ticker.ts_ms == clock.now_ms()


def test_feeds_stop_and_resubscribe(
    venue: SimulatedVenue, sink: RecordingSink, feeds: InProcessFeeds
) -> None:
    assert feeds.is_connected("public") and feeds.is_connected("private")
    feeds.resubscribe_book(SYM)
    assert len(sink.of("book_snapshot")) == 4  # the trading and display books, each twice
    feeds.stop()
    assert not feeds.is_connected("public")
    seen = len(sink.events)
    venue.advance(1_000)
    assert len(sink.events) == seen


def test_registry_builds_it_in_sim_mode_only() -> None:
    clock = FrozenClock()
    settings = load_settings(venue={"name": "simulated"}, metrics={"enabled": False})
    assert settings.mode is Mode.SIM
    venue = build_venue(settings, now_ms=clock.now_ms)
    assert isinstance(venue, SimulatedVenue) and venue.clock is clock  # one virtual time
    check_venue_endpoint(Mode.SIM, venue)
    for mode in (Mode.DEMO, Mode.LIVE):
        with pytest.raises(ConfigError):
            check_venue_endpoint(mode, venue)
