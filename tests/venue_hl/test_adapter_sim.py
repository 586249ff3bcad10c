"""The adapter through the venue port against the Hyperliquid sim over loopback HTTP/WS, checked
against the venue's own records (not the adapter's)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from core.market.timerange import TimeRange
from core.model import OrderStatus, Side, TimeInForce
from core.resilience.errors import AuthFailed, OrderGone, Rejected, Transient
from core.venues.base import FeedTiming
from core.venues.hyperliquid import encode
from core.venues.hyperliquid.rest import HyperliquidVenue
from tests.support.hl_adapter import Sink, limit, passive_buy
from tests.support.hl_sim import HlSim, sim_settings


def through(ask: Decimal) -> Decimal:
    """A buy price 1 % through the ask (fills at once)."""
    return encode.round_price(ask * Decimal("1.01"), 2, Side.SELL)


def test_instruments_balance_and_time(hl: HlSim, venue: HyperliquidVenue) -> None:
    found = {i.symbol: i for i in venue.instruments(("BTCUSDT", "ETHUSDT"))}
    assert set(found) == {"BTCUSDT", "ETHUSDT"}
    eth = found["ETHUSDT"]
    assert eth.qty_step == Decimal("0.01") and eth.min_notional == Decimal(10)
    assert encode.is_valid_price(hl.mid("ETH").quantize(eth.tick_size), 2)
    balance = venue.balance()
    assert balance is not None and balance.equity == Decimal("100000")
    assert venue.server_time_ms() > 0
    assert venue.fee_rates() == {} or all(t >= m for t, m in venue.fee_rates().values())


def test_place_find_amend_cancel(hl: HlSim, venue: HyperliquidVenue) -> None:
    px = passive_buy(hl, venue)
    ack = venue.place(limit(venue, "tc-a1", Side.BUY, "0.5", px))
    on_venue = hl.order(int(ack.order_id))
    assert on_venue.cloid == encode.cloid_of("tc-a1") and on_venue.limit_px == px
    found = venue.find_order("ETHUSDT", "tc-a1")
    assert found is not None and found.status is OrderStatus.NEW and found.order_link_id == "tc-a1"
    assert [o.order_link_id for o in venue.open_orders("ETHUSDT")] == ["tc-a1"]

    new_px = encode.round_price(px * Decimal("0.99"), 2, Side.BUY)
    venue.amend("ETHUSDT", "tc-a1", qty=Decimal("0.6"), price=new_px)
    live = [o for o in hl.open_orders() if o.cloid == encode.cloid_of("tc-a1")]
    assert len(live) == 1 and live[0].limit_px == new_px and live[0].orig_sz == Decimal("0.6")

    venue.cancel("ETHUSDT", "tc-a1")
    assert hl.open_orders() == []
    gone = venue.find_order("ETHUSDT", "tc-a1")
    assert gone is not None and gone.status is OrderStatus.CANCELLED
    with pytest.raises(OrderGone):
        venue.cancel("ETHUSDT", "tc-a1")
    assert venue.find_order("ETHUSDT", "tc-never") is None


def test_a_restarted_adapter_finds_orders_by_client_id(hl: HlSim, venue: HyperliquidVenue) -> None:
    venue.place(limit(venue, "tc-r1", Side.BUY, "0.5", passive_buy(hl, venue)))
    fresh = HyperliquidVenue(sim_settings(hl))  # nothing remembered: the cloid is derived
    found = fresh.find_order("ETHUSDT", "tc-r1")
    assert found is not None and found.is_open


def test_refusals_are_classified_and_nothing_odd_is_sent(hl: HlSim, venue: HyperliquidVenue) -> None:
    venue.set_leverage("ETHUSDT", Decimal(1))
    with pytest.raises(Rejected, match="Insufficient margin"):  # the venue's own refusal
        venue.place(limit(venue, "tc-m1", Side.BUY, "100", passive_buy(hl, venue)))
    with pytest.raises(Rejected, match="minimum of"):  # refused before sending
        venue.place(limit(venue, "tc-m2", Side.BUY, "0.01", Decimal(500)))
    with pytest.raises(Rejected, match="not a Hyperliquid price"):  # refused before sending
        venue.place(limit(venue, "tc-p1", Side.BUY, "0.5", Decimal("1234.567")))
    with pytest.raises(Rejected, match="immediately match"):
        venue.place(limit(venue, "tc-i1", Side.BUY, "0.5", passive_buy(hl, venue), tif=TimeInForce.IOC))
    sent = {o.cloid for o in hl.orders()}
    assert encode.cloid_of("tc-p1") not in sent and encode.cloid_of("tc-m2") not in sent


def test_unknown_signer_is_auth_failed(hl: HlSim) -> None:
    settings = sim_settings(hl)
    stranger = settings.model_copy(
        update={"sim": settings.sim.model_copy(update={"api_secret": SecretStr("0x" + "12" * 32)})}
    )
    with pytest.raises(AuthFailed, match="does not exist"):
        HyperliquidVenue(stranger).set_leverage("ETHUSDT", Decimal(3))


def test_fills_positions_leverage_and_cancel_all(hl: HlSim, venue: HyperliquidVenue) -> None:
    venue.set_leverage("ETHUSDT", Decimal(5))
    start = venue.now_ms() - 1000
    _, ask = hl.bbo("ETH")
    venue.place(limit(venue, "tc-f1", Side.BUY, "0.5", through(ask)))
    assert hl.position("ETH") == Decimal("0.5")
    (pos,) = venue.positions()
    assert pos.symbol == "ETHUSDT" and pos.side is Side.BUY and pos.size == Decimal("0.5")
    assert pos.leverage == Decimal(5)
    fills = venue.executions(TimeRange(start, venue.now_ms() + 1000))
    assert sum(f.qty for f in fills) == Decimal("0.5") and {f.order_link_id for f in fills} == {"tc-f1"}
    assert all(not f.is_maker for f in fills)

    for i in range(3):
        venue.place(limit(venue, f"tc-c{i}", Side.BUY, "0.5", passive_buy(hl, venue)))
    assert sorted(venue.cancel_all("ETHUSDT")) == ["tc-c0", "tc-c1", "tc-c2"]
    assert hl.open_orders() == []


def test_dead_mans_switch_is_scheduled(hl: HlSim, venue: HyperliquidVenue) -> None:
    venue.set_dead_mans_switch(10)
    when = hl.scheduled_cancel()
    assert when is not None and when >= venue.now_ms() + 5000


def test_server_errors_are_transient_for_reads(hl: HlSim, venue: HyperliquidVenue) -> None:
    hl.fail_next(1)
    with pytest.raises(Transient):
        venue.open_orders()
    assert venue.open_orders() == []


def test_feeds_deliver_books_orders_and_fills(hl: HlSim, venue: HyperliquidVenue) -> None:
    sink = Sink()
    feeds = venue.feeds(("ETHUSDT",), sink, FeedTiming())
    feeds.start()
    try:
        sink.wait(lambda k, v: k == "conn" and v == ("private", "up"))
        books = sink.wait(lambda k, v: k == "book" and v.symbol == "ETHUSDT")
        assert books[0].bids and books[0].asks
        hl.step(3)
        sink.wait(lambda k, v: k == "book" and v.seq > books[0].seq)
        later = sink.wait(lambda k, v: k == "book")
        assert [b.seq for b in later] == sorted({b.seq for b in later})  # strictly increasing
        venue.place(limit(venue, "tc-w1", Side.BUY, "0.5", passive_buy(hl, venue)))
        orders = sink.wait(lambda k, v: k == "order" and v.order_link_id == "tc-w1")
        assert orders[0].status is OrderStatus.NEW
        _, ask = hl.bbo("ETH")
        venue.place(limit(venue, "tc-w2", Side.BUY, "0.5", through(ask)))
        fills = sink.wait(lambda k, v: k == "fill" and v.order_link_id == "tc-w2")
        assert sum(f.qty for f in fills) <= Decimal("0.5") and fills[0].symbol == "ETHUSDT"
        assert feeds.is_connected("public")
    finally:
        feeds.stop()
