"""Fuzz every parser of Bybit's V5 records (REST list items and private/public push items).

Each parser gets a realistic record with fields spoiled (NaN/Infinity/negative/huge text, wrong
JSON types, objects where strings belong), fields missing, or no object at all. It must return a
sound model object or raise :class:`BadValue` naming the field; any other exception
(``KeyError``, ``TypeError``, ``ValueError`` from ``int()``, ``AttributeError``) is a finding, and
so is a record whose untouched size or side comes out different (a position flipped or flattened).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Side
from core.venues.bybit import parse
from core.venues.values import BadValue
from tests.support.fuzz_records import (
    EXECUTION,
    INSTRUMENT,
    KLINE,
    KLINE_ROW,
    ORDER,
    POSITION,
    TICKER,
    WALLET,
)
from tests.support.fuzzing import assert_sound, clear, junk, mutated

EXAMPLES = 200


def TICKER_AT_1(data: Any) -> Any:
    """The ticker parser at ts 1 (named like the parsers in the table below)."""
    return parse.ticker(data, 1)


def outcome(fn: Any, *args: Any) -> tuple[Any, BadValue | None]:
    """(result, None) or (None, the BadValue); any other exception fails the test as it is."""
    try:
        return fn(*args), None
    except BadValue as bad:
        clear(bad)
        return None, bad


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(ORDER, ("reduceOnly",)))
def test_order_is_sound_or_refused_by_field(item: Any) -> None:
    reported: list[BadValue] = []
    order, bad = outcome(parse.order, item, reported.append)
    for b in reported:
        clear(b)
    if order is None:
        return
    assert_sound(order)
    assert order.order_link_id or order.order_id
    if isinstance(item, dict) and item.get("qty") == ORDER["qty"] and item.get("side") == ORDER["side"]:
        assert order.qty == Decimal(ORDER["qty"]) and order.side is Side.BUY
    assert isinstance(order.reduce_only, bool)
    assert order.reduce_only is (item.get("reduceOnly") is True)  # "false" is never True


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(POSITION))
def test_position_is_sound_refused_or_replaced_never_flipped(item: Any) -> None:
    reported: list[BadValue] = []
    pos, bad = outcome(parse.position, item, reported.append)
    for b in reported:
        clear(b)
        assert b.field not in ("size", "side", "symbol")  # never replaced: the record is refused
    if pos is None:
        return
    assert_sound(pos)
    assert pos.size >= 0 and (pos.side is None) == (pos.size == 0)
    if item.get("size") == POSITION["size"]:
        assert pos.size == Decimal("0.020") and pos.side is Side.SELL  # never flipped or flattened


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(EXECUTION))
def test_execution_is_sound_or_refused(item: Any) -> None:
    fill, _ = outcome(parse.fill, item, lambda bad: clear(bad))
    if fill is not None:
        assert_sound(fill)
        assert fill.exec_id and fill.qty > 0 and fill.price > 0


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.one_of(mutated(WALLET), mutated(WALLET["coin"][0]).map(lambda c: dict(WALLET, coin=[c]))))
def test_wallet_is_sound_or_refused_whole(account: Any) -> None:
    bal, _ = outcome(parse.balance, account)
    if bal is not None:
        assert_sound(bal)
        assert bal.initial_margin >= 0 and bal.maintenance_margin >= 0


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(TICKER))
def test_ticker_is_sound_or_refused(data: Any) -> None:
    ticker, _ = outcome(parse.ticker, data, 1)
    if ticker is not None:
        assert_sound(ticker)
        assert ticker.mark_price >= 0 and ticker.volume_24h >= 0 and ticker.next_funding_ms >= 0


def _with(key: str, sub: Any) -> dict[str, Any]:
    return {**INSTRUMENT, key: sub}


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.one_of(
        mutated(INSTRUMENT),
        *(
            mutated(INSTRUMENT[f]).map(partial(_with, f))
            for f in ("priceFilter", "lotSizeFilter", "leverageFilter")
        ),
    )
)
def test_instrument_is_sound_or_refused(item: Any) -> None:
    inst, _ = outcome(parse.instrument, item)
    if inst is not None:
        assert_sound(inst)
        assert inst.tick_size > 0 and inst.qty_step > 0 and inst.max_order_qty > 0
        assert inst.price_decimals <= 18 and inst.qty_decimals <= 18  # quantize stays in context


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(KLINE))
def test_kline_push_is_sound_or_refused(item: Any) -> None:
    candle, _ = outcome(parse.kline, item)
    if candle is not None:
        assert_sound(candle)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(st.just(KLINE_ROW), st.lists(junk, max_size=8), junk), max_size=5))
def test_kline_rows_keep_only_sound_candles(rows: list[Any]) -> None:
    reported: list[BadValue] = []
    candles = parse.kline_rows(rows, reported.append)
    assert_sound(candles)
    assert len(candles) + len(reported) == len(rows)
    for b in reported:
        clear(b)


@settings(max_examples=EXAMPLES, deadline=None)
@given(junk, st.sampled_from(["list", "coin"]))
def test_rows_is_an_array_or_refused(result: Any, key: str) -> None:
    items, _ = outcome(parse.rows, result, key)
    assert items is None or isinstance(items, list)


@pytest.mark.parametrize(
    ("parser", "item", "field"),
    [
        # Each of these raised KeyError/TypeError/ValueError/AttributeError before the fix.
        (parse.order, dict(ORDER, createdTime="1.5e12"), "createdTime"),
        (parse.order, dict(ORDER, side="Hold"), "side"),
        (parse.order, {k: v for k, v in ORDER.items() if k != "symbol"}, "symbol"),
        (parse.order, dict(ORDER, orderType="Stop"), "orderType"),
        (parse.order, dict(ORDER, orderStatus=5), "orderStatus"),
        (parse.order, dict(ORDER, reduceOnly="false"), "reduceOnly"),  # was read as True
        (parse.order, dict(ORDER, orderLinkId="", orderId=""), "orderId"),
        (parse.order, ["not", "an", "order"], "order"),
        (parse.position, dict(POSITION, side="Short"), "side"),  # was taken for a flat side
        (parse.position, dict(POSITION, updatedTime="soon"), "updatedTime"),
        (parse.fill, dict(EXECUTION, execId=""), "execId"),  # every later fill would be a duplicate
        (parse.fill, dict(EXECUTION, execTime=None, side=None), "side"),
        (TICKER_AT_1, dict(TICKER, nextFundingTime="NaN"), "nextFundingTime"),
        (TICKER_AT_1, dict(TICKER, openInterest="-5"), "openInterest"),
        (parse.instrument, dict(INSTRUMENT, priceFilter="0.1"), "priceFilter"),
        (parse.instrument, dict(INSTRUMENT, priceFilter={"tickSize": "1e-40"}), "tickSize"),
        (parse.kline, dict(KLINE, high="NaN"), "high"),  # was a NaN candle on the chart
        (parse.kline, dict(KLINE, low="96000"), "high"),
        (parse.kline, dict(KLINE, open="abc"), "open"),  # was a candle opening at 0
    ],
)
def test_findings_are_refused_by_field(parser: Any, item: Any, field: str) -> None:
    with pytest.raises(BadValue) as err:
        parser(item)
    assert err.value.field == field, str(err.value)
    clear(err.value)


def test_a_bad_trigger_price_is_replaced_not_fatal() -> None:
    """Before the fix the trigger direction re-read the raw trigger and raised for the whole order."""
    reported: list[BadValue] = []
    order = parse.order(dict(ORDER, triggerPrice="NaN"), reported.append)
    assert order.trigger_price is None and order.trigger_direction is None
    assert [b.field for b in reported] == ["triggerPrice"]


@pytest.mark.parametrize("raw", ["1_000", "١٢", "１２"])
def test_numbers_python_would_guess_are_refused(raw: str) -> None:
    """Decimal() reads these as 1000 and 12; a venue never sends them."""
    with pytest.raises(BadValue, match="is not a number"):
        parse.ticker(dict(TICKER, lastPrice=raw), 1)
