"""The Bybit adapter speaks the venue port against the sim over loopback, with the real pybit
client: domain values in, domain values and classified errors out."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from core.config import Settings, load_settings
from core.model import OrderRequest, OrderStatus, OrderType, Side, TriggerBy
from core.orders.builder import OrderBuilder, snap
from core.orders.built import BuiltOrder
from core.orders.ids import new_order_link_id
from core.resilience.errors import (
    AuthFailed,
    DuplicateClientId,
    OrderGone,
    Rejected,
    TimestampError,
    Unchanged,
)
from core.sim.runner import SimVenueThread
from core.venues.base import BookSnapshot, RateFeedback
from core.venues.bybit.rest import BybitVenue

SYM = "BTCUSDT"


@pytest.fixture
def settings(venue: SimVenueThread, tmp_path: Path) -> Settings:
    """Sim-mode settings pointed at the module's venue."""
    sim = venue.settings.model_copy(update={"port": venue.port})
    return load_settings(sim=sim, journal={"path": str(tmp_path / "journal.db")}, metrics={"enabled": False})


@pytest.fixture
def bybit(settings: Settings) -> BybitVenue:
    return BybitVenue(settings)


def resting_buy(v: BybitVenue, qty: str = "0.001") -> BuiltOrder:
    """A limit buy 5 % under the best bid (it rests), built by the real builder."""
    book = v.orderbook(SYM, 1)
    price = Decimal(repr(book.bids[0][0])) * Decimal("0.95")  # a book level is a float (market data)
    [inst] = v.instruments((SYM,))
    request = OrderRequest(SYM, Side.BUY, Decimal(qty), OrderType.LIMIT, price)
    return OrderBuilder().build(request, inst, ref_price=price, order_link_id=new_order_link_id("tc"))


def test_capabilities_and_rate_table(bybit: BybitVenue) -> None:
    caps = bybit.capabilities
    assert caps.name == "bybit" and caps.client_id_max_len == 36 and caps.native_tpsl
    assert not caps.inline_calls
    assert "order.create" in caps.rate_groups
    table = bybit.rate_table
    assert table.group_of(bybit.endpoint_of("place")) == "order.create"
    assert table.ip_group == "ip"


def test_book_snapshot_is_a_domain_value(bybit: BybitVenue) -> None:
    book = bybit.orderbook(SYM, 50)
    assert isinstance(book, BookSnapshot) and book.symbol == SYM and book.seq >= 1
    assert book.bids and book.asks and book.bids[0][0] < book.asks[0][0]
    assert all(type(px) is float and type(sz) is float for px, sz in book.bids)  # market data: checked floats


def test_place_amend_cancel_in_domain_values(bybit: BybitVenue) -> None:
    built = resting_buy(bybit)
    ack = bybit.place(built)
    assert ack.client_order_id == built.order_link_id and ack.order_id
    assert built.price is not None
    new_price = built.price - Decimal("0.5")
    bybit.amend(SYM, built.order_link_id, qty=Decimal("0.002"), price=new_price)
    found = bybit.find_order(SYM, built.order_link_id)
    assert found is not None and found.order_id == ack.order_id
    assert found.qty == Decimal("0.002") and found.price == new_price
    bybit.cancel(SYM, built.order_link_id)
    gone = bybit.find_order(SYM, built.order_link_id)
    assert gone is not None and gone.status is OrderStatus.CANCELLED
    with pytest.raises(OrderGone) as err:
        bybit.cancel(SYM, built.order_link_id)
    assert err.value.code in (110001, 110008) and err.value.category == "order"


def test_a_reused_client_id_is_a_duplicate(bybit: BybitVenue) -> None:
    built = resting_buy(bybit)
    bybit.place(built)
    with pytest.raises(DuplicateClientId) as err:
        bybit.place(built)
    assert err.value.code == 110072
    bybit.cancel(SYM, built.order_link_id)


def test_the_same_leverage_again_is_unchanged(bybit: BybitVenue) -> None:
    bybit.set_leverage(SYM, Decimal("3"))
    with pytest.raises(Unchanged):
        bybit.set_leverage(SYM, Decimal("3"))


def test_trading_stop_sets_and_removes_the_positions_levels(bybit: BybitVenue) -> None:
    flat = Decimal(0)
    with pytest.raises(Rejected):  # flat: no position to protect (a business refusal, not a crash)
        bybit.set_trading_stop(SYM, take_profit=Decimal("1000000"), stop_loss=None)
    [inst] = bybit.instruments((SYM,))
    mark = Decimal(repr(bybit.orderbook(SYM, 1).asks[0][0]))
    buy = OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.MARKET, None)
    bybit.place(OrderBuilder().build(buy, inst, ref_price=mark, order_link_id=new_order_link_id("tc")))
    tp = snap(mark * Decimal("1.2"), inst.tick_size, ROUND_FLOOR)
    sl = snap(mark * Decimal("0.8"), inst.tick_size, ROUND_FLOOR)
    try:
        bybit.set_trading_stop(SYM, take_profit=tp, stop_loss=sl, trigger_by=TriggerBy.LAST)
        pos = bybit.position(SYM)
        assert pos is not None and pos.take_profit == tp and pos.stop_loss == sl
        bybit.set_trading_stop(SYM, take_profit=flat, stop_loss=None)  # 0 removes, None leaves
        pos = bybit.position(SYM)
        assert pos is not None and not pos.take_profit and pos.stop_loss == sl
    finally:
        sell = OrderRequest(SYM, Side.SELL, Decimal("0.001"), OrderType.MARKET, None, reduce_only=True)
        bybit.place(OrderBuilder().build(sell, inst, ref_price=mark, order_link_id=new_order_link_id("tc")))


def test_margin_mode_in_words(bybit: BybitVenue) -> None:
    assert bybit.margin_mode() in ("cross", "isolated", "portfolio", "")


def test_rate_feedback_reaches_the_hook(bybit: BybitVenue) -> None:
    heard: list[RateFeedback] = []
    bybit.on_rate_feedback = heard.append
    bybit.open_orders(SYM)
    assert heard and heard[-1].endpoint == "/v5/order/realtime"
    assert heard[-1].limit is not None and heard[-1].limit > 0 and heard[-1].remaining is not None


def test_clock_offset_is_per_adapter(settings: Settings) -> None:
    skewed, sound = BybitVenue(settings), BybitVenue(settings)
    skewed.set_clock_offset(-60_000)  # signs a minute in the past: outside recvWindow
    with pytest.raises(TimestampError):
        skewed.open_orders(SYM)
    sound.open_orders(SYM)  # another adapter in the same process is untouched
    skewed.set_clock_offset(0)
    skewed.open_orders(SYM)


def test_a_wrong_key_is_auth_failed(settings: Settings) -> None:
    wrong = settings.model_copy(update={"sim": settings.sim.model_copy(update={"api_key": "WRONGKEY1"})})
    with pytest.raises(AuthFailed) as err:
        BybitVenue(wrong).open_orders(SYM)
    assert err.value.category == "auth" and "WRONGKEY1" not in str(err.value)
