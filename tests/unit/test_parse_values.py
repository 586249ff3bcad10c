"""Venue numbers at the adapter boundary: never NaN, Infinity or a negative size past parse.

Properties (hypothesis) over what a broken venue might send, plus the sim's own ``bad_values``
fault applied to realistic records: every spoiled field is refused by name (or, where losing the
record would hide a position or order, replaced and reported), and the order book never holds a
level that is not a finite positive price with a finite non-negative size.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.orderbook import OrderBook
from core.model import OrderRequest, OrderType, Side
from core.observability.baddata import BadDataTracker
from core.orders.values import amend_problem, request_problem
from core.sim.faults import BAD_TOKENS, FaultInjector
from core.venues.bybit import parse
from core.venues.values import MAX_MAGNITUDE, BadValue, number, positive, price, size

SPECIAL = ["NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999999", "-1e30", "abc", "1,5"]
raw_values = (
    st.sampled_from([*SPECIAL, *BAD_TOKENS, "", "0", "-0", "1", "0.5", "95000.10", " 7 "])
    | st.text(max_size=12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**25), 10**25)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.lists(st.integers(), max_size=2)
)


def sound(value: Decimal) -> bool:
    return value.is_finite() and abs(value) < MAX_MAGNITUDE


@settings(max_examples=400, deadline=None)
@given(raw_values)
def test_readers_return_a_sound_decimal_or_raise_bad_value(raw: Any) -> None:
    for read, lowest in ((number, None), (size, Decimal(0)), (price, Decimal(0)), (positive, None)):
        try:
            value = read(raw, "f") if read is not positive else positive(raw, "f", Decimal(1))
        except BadValue as bad:
            assert bad.field == "f" and str(bad).startswith("f ")
            continue
        assert isinstance(value, Decimal) and sound(value), (read, raw, value)
        if lowest is not None:
            assert value >= lowest
        if read is positive:
            assert value > 0


TICKER = {
    "symbol": "BTCUSDT", "lastPrice": "95000.1", "markPrice": "95001.2", "indexPrice": "94999.9",
    "bid1Price": "95000.0", "ask1Price": "95000.1", "volume24h": "1234.5", "price24hPcnt": "-0.012",
    "fundingRate": "0.0001",
}  # fmt: skip
POSITION = {
    "symbol": "BTCUSDT", "side": "Buy", "size": "0.020", "avgPrice": "94000.0", "markPrice": "95001.2",
    "unrealisedPnl": "20.02", "cumRealisedPnl": "-1.5", "leverage": "10", "liqPrice": "85000.0",
    "takeProfit": "", "stopLoss": "", "positionIM": "190.0", "updatedTime": "1767225600000",
}  # fmt: skip
WALLET = {
    "accountType": "UNIFIED", "totalAvailableBalance": "99000",
    "coin": [{"coin": "USDT", "equity": "100020.0", "walletBalance": "100000.0", "unrealisedPnl": "20.0",
              "totalPositionIM": "190.0", "totalOrderIM": "0", "totalPositionMM": "9.5",
              "cumRealisedPnl": "0"}],
}  # fmt: skip
ORDER = {
    "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.010", "price": "94000.0",
    "orderLinkId": "tc-1", "orderId": "o1", "orderStatus": "New", "cumExecQty": "0", "avgPrice": "",
    "timeInForce": "GTC", "triggerPrice": "", "takeProfit": "", "stopLoss": "", "createdTime": "1",
    "updatedTime": "2",
}  # fmt: skip


def spoiled(topic: str, payload: dict[str, Any], field: str, token: str) -> dict[str, Any]:
    out = FaultInjector(f"bad_values=1,bad_value={token},bad_fields={field}").corrupt(topic, payload)
    assert isinstance(out, dict)
    return out


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize(
    "field", ["lastPrice", "markPrice", "indexPrice", "bid1Price", "volume24h", "fundingRate"]
)
def test_a_spoiled_ticker_is_refused_by_field(field: str, token: str) -> None:
    data = spoiled("tickers.BTCUSDT", {"data": TICKER}, field, token)["data"]
    allowed_zero = field in ("bid1Price", "volume24h", "fundingRate")  # an empty book, a dead day, no funding
    allowed_negative = field == "fundingRate"
    if (token == "0" and allowed_zero) or (token == "-5" and allowed_negative):
        assert parse.ticker(data, 1).symbol == "BTCUSDT"
        return
    with pytest.raises(BadValue) as err:
        parse.ticker(data, 1)
    assert err.value.field == field


@pytest.mark.parametrize("token", [t for t in BAD_TOKENS if t != "0"])
def test_a_positions_bad_mark_is_replaced_and_reported_never_the_position_dropped(token: str) -> None:
    reported: list[BadValue] = []
    item = spoiled("position", {"data": [POSITION]}, "markPrice", token)["data"][0]
    pos = parse.position(item, reported.append)
    assert pos.size == Decimal("0.020") and pos.side is Side.BUY
    assert pos.mark_price == pos.entry_price == Decimal("94000.0")
    assert [b.field for b in reported] == ["markPrice"]
    with pytest.raises(BadValue):
        parse.position(item)  # without somewhere to report it, a bad value is never swallowed


@pytest.mark.parametrize(("raw", "expected"), [("0", None), ("", None), ("50", Decimal(50))])
def test_a_positions_trailing_stop_is_its_distance_or_none(raw: str, expected: Decimal | None) -> None:
    assert parse.position({**POSITION, "trailingStop": raw}).trailing_stop == expected


@pytest.mark.parametrize("token", [t for t in BAD_TOKENS if t != "0"])
def test_a_positions_bad_size_is_never_taken_for_flat(token: str) -> None:
    item = spoiled("position", {"data": [POSITION]}, "size", token)["data"][0]
    with pytest.raises(BadValue) as err:
        parse.position(item, lambda bad: None)
    assert err.value.field == "size"


@pytest.mark.parametrize("token", [t for t in BAD_TOKENS if t not in ("0", "-5")])
def test_a_wallet_with_bad_equity_is_refused_whole(token: str) -> None:
    account = spoiled("wallet", {"data": [WALLET]}, "equity", token)["data"][0]
    with pytest.raises(BadValue) as err:
        parse.balance(account)
    assert err.value.field == "equity"


def test_an_orders_bad_quantity_raises_and_a_bad_price_is_reported() -> None:
    with pytest.raises(BadValue):
        parse.order(dict(ORDER, qty="NaN"), lambda bad: None)
    reported: list[BadValue] = []
    order = parse.order(dict(ORDER, price="Infinity", takeProfit="-5"), reported.append)
    assert order.price is None and order.take_profit is None and order.qty == Decimal("0.010")
    assert [b.field for b in reported] == ["price", "takeProfit"]


def test_an_instrument_with_a_nan_tick_is_refused() -> None:
    item = {
        "symbol": "BTCUSDT",
        "priceFilter": {"tickSize": "NaN", "minPrice": "0.10", "maxPrice": "1999999.80"},
        "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "maxOrderQty": "1190"},
    }
    with pytest.raises(BadValue) as err:
        parse.instrument(item)
    assert err.value.field == "tickSize"


levels = st.lists(
    st.tuples(
        st.sampled_from(["94999.5", "95000.0", "95000.5", "95001.0", *SPECIAL, "-1", "0"]),
        st.sampled_from(["0", "0.5", "1.25", "NaN", "Infinity", "-2", "abc"]),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(levels, levels), min_size=1, max_size=20))
def test_the_book_never_holds_a_bad_level(frames: list[tuple[list[Any], list[Any]]]) -> None:
    """The adapter checks every level once; a side it refuses never reaches the book (which is then
    stale, as the book keeper marks it), so the book only ever holds finite positive levels."""
    book = OrderBook("BTCUSDT", 50)
    for u, (raw_bids, raw_asks) in enumerate(frames, 1):
        try:
            bids = parse.book_levels([list(lvl) for lvl in raw_bids], "bid")
            asks = parse.book_levels([list(lvl) for lvl in raw_asks], "ask")
        except BadValue as bad:
            assert bad.field in ("bid price", "bid size", "ask price", "ask size")
            book.mark_stale(f"bad value in frame: {bad}")
        else:
            assert all(p > 0 and s >= 0 for p, s in (*bids, *asks))
            apply = book.apply_snapshot if u == 1 else book.apply_delta
            apply(bids, asks, u)
        b, a = book.levels()
        for px, sz in [*b.items(), *a.items()]:
            assert math.isfinite(px) and px > 0 and math.isfinite(sz) and sz > 0
        view = book.view(10)
        assert all(lvl.price.is_finite() and lvl.size.is_finite() for lvl in (*view.bids, *view.asks))


def test_a_bad_book_level_is_refused_naming_its_field() -> None:
    with pytest.raises(BadValue) as bad:
        parse.book_levels([["95000.0", "NaN"]], "bid")
    assert bad.value.field == "bid size" and "NaN" in str(bad.value)
    assert parse.book_levels([["95000.0", "1"]], "bid") == ((95000.0, 1.0),)


def test_the_tracker_reports_recent_streams_and_forgets_old_ones() -> None:
    now = [100.0]
    tracker = BadDataTracker(lambda: now[0], window_s=30.0)
    seen: list[tuple[str, str]] = []
    tracker.on_bad = lambda stream, field: seen.append((stream, field))
    tracker.report(
        "tickers.ETHUSDT", BadValue("markPrice", "NaN", "is not a finite number"), "update dropped"
    )
    now[0] += 5
    tracker.report(
        "tickers.ETHUSDT", BadValue("markPrice", "NaN", "is not a finite number"), "update dropped"
    )
    recent = tracker.recent()
    assert recent == {
        "tickers.ETHUSDT": "markPrice 'NaN' is not a finite number (update dropped); 2 bad values in 5 s"
    }
    assert seen == [("tickers.ETHUSDT", "markPrice")] * 2
    now[0] += 31
    assert tracker.recent() == {}


finite_or_not = st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal(0), Decimal("-0.001")]
)


@settings(max_examples=300, deadline=None)
@given(finite_or_not, st.sampled_from(["qty", "price", "trigger_price", "take_profit", "stop_loss"]))
def test_a_command_number_passes_only_when_finite_and_positive(value: Decimal, attr: str) -> None:
    fields: dict[str, Any] = {"qty": Decimal("0.01"), attr: value}
    request = OrderRequest("BTCUSDT", Side.BUY, order_type=OrderType.LIMIT, **fields)
    problem = request_problem(request)
    good = value.is_finite() and value > 0
    assert (problem is None) == good, (value, problem)
    if problem is not None:
        assert problem.check == {"trigger_price": "trigger"}.get(attr, attr)
        assert str(value) in problem.reason
    assert (amend_problem(value, None) is None) == good
