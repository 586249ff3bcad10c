"""The ticket's fields → OrderRequest: one strict number parser, quote and risk sizing said in words."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.screens.ticket_form import TicketError, TicketFields, TicketMarket, TicketOrder, build_request
from core.model import OrderType, Side, TimeInForce
from core.risk.sizing import DEFAULT_TAKER_FEE, loss_at_stop
from tests.support.console_fakes import instrument

BTC = instrument("BTCUSDT")
MKT = TicketMarket(BTC, D("50000"), equity=D("10000"))
BASE = TicketFields(kind="limit", qty="0.1", unit="contracts", price="50000")


def build(side: Side = Side.BUY, mkt: TicketMarket = MKT, **changes: Any) -> TicketOrder:
    fields = replace(BASE, **changes)
    return build_request("BTCUSDT", side, fields, mkt)


def test_ticket_builds_decimal_requests() -> None:
    req = build().request
    assert req.qty == D("0.1") and req.price == D("50000") and req.order_type is OrderType.LIMIT
    mkt = build(kind="market", price="garbage").request
    assert mkt.order_type is OrderType.MARKET and mkt.price is None
    po = build(post_only=True, sl="49000").request
    assert po.time_in_force is TimeInForce.POST_ONLY and po.stop_loss == D("49000")
    stop = build(Side.SELL, kind="stop_market", trigger="49000").request
    assert stop.trigger_price == D("49000") and stop.trigger_direction == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # Defect 1: a decimal comma was read as a thousands separator (0,01 -> 1 contract).
        ({"qty": "0,01"}, "qty: '0,01' is not a number — use . as the decimal point"),
        ({"qty": "1,234"}, "use . as the decimal point"),
        ({"price": "50000,5"}, "price: '50000,5' is not a number — use . as the decimal point"),
        ({"qty": "1e3"}, "no exponents"),
        ({"qty": "1_000"}, "no separators"),
        ({"qty": "٣"}, "use ASCII digits 0-9"),
        ({"sl": "49,000"}, "stop loss: '49,000' is not a number"),
        ({"qty": ""}, "qty: required"),
        ({"qty": "-1"}, "qty: '-1' is not a number — no sign"),
        ({"qty": "0"}, "qty: must be greater than 0"),
        ({"qty": "inf"}, "qty: 'inf' is not a number"),
        ({"price": "abc"}, "price: 'abc' is not a number"),
        ({"kind": "stop_limit"}, "trigger: required"),
        ({"kind": "market", "post_only": True}, "post-only: only for limit orders"),
        ({"unit": "quote", "qty": "1"}, "less than one step"),
        ({"tp": "nan"}, "take profit"),
    ],
)
def test_ticket_rejects_bad_input_with_field_name(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(TicketError) as err:
        build(**changes)
    assert message in str(err.value)


def test_quote_size_is_converted_and_said() -> None:
    order = build(unit="quote", qty="1234")
    assert order.request.qty == D("0.024")  # 1234 / 50000 rounded down to the 0.001 step
    assert order.sizing == "1234 USDT at 50,000.0 → 0.024 (rounded down to the step)"


def test_risk_usdt_sizes_from_the_stop_with_fees() -> None:
    order = build(unit="risk", qty="100", sl="49000")
    qty = order.request.qty
    assert qty == D("0.094")  # 100 / (1000 + 0.00055 x (50000 + 49000)) = 0.0948, down to the step
    assert loss_at_stop(Side.BUY, qty, D("50000"), D("49000"), DEFAULT_TAKER_FEE) <= D("100")
    assert loss_at_stop(Side.BUY, qty + D("0.001"), D("50000"), D("49000"), DEFAULT_TAKER_FEE) > D("100")
    assert order.sizing == "risk 100.00 USDT at SL 49,000.0 → 0.094 (fees incl., rounded down)"


def test_risk_percent_of_equity() -> None:
    order = build(Side.SELL, unit="risk_pct", qty="1", sl="51000")
    assert order.request.qty == D("0.094")
    assert order.sizing.startswith("risk 1% of equity 10,000.00 = 100.00 USDT at SL 51,000.0 → 0.094")


@pytest.mark.parametrize(
    ("side", "changes", "message"),
    [
        (Side.BUY, {"unit": "risk", "qty": "100"}, "SL: required for risk sizing"),
        (Side.BUY, {"unit": "risk", "qty": "100", "sl": "51000"}, "SL: must be below the entry"),
        (Side.SELL, {"unit": "risk", "qty": "100", "sl": "49000"}, "SL: must be above the entry"),
        (Side.BUY, {"unit": "risk_pct", "qty": "150", "sl": "49000"}, "up to 100"),
        (Side.BUY, {"unit": "risk", "qty": "0.5", "sl": "49000"}, "less than one step"),
    ],
)
def test_risk_sizing_refusals(side: Side, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(TicketError, match=message):
        build(side, **changes)


def test_risk_percent_needs_equity() -> None:
    with pytest.raises(TicketError, match="equity not known yet"):
        build(mkt=TicketMarket(BTC, D("50000")), unit="risk_pct", qty="1", sl="49000")


@settings(max_examples=100, deadline=None)
@given(
    risk=st.decimals(D("1"), D("5000"), places=2),
    distance=st.decimals(D("10"), D("5000"), places=1),
    side=st.sampled_from(list(Side)),
)
def test_risk_sized_order_never_loses_more_than_typed(risk: D, distance: D, side: Side) -> None:
    entry = D("50000")
    sl = entry - distance if side is Side.BUY else entry + distance
    try:
        order = build(side, unit="risk", qty=str(risk), sl=str(sl))
    except TicketError as exc:
        assert "less than one step" in str(exc)
        return
    assert loss_at_stop(side, order.request.qty, entry, sl, DEFAULT_TAKER_FEE) <= risk
