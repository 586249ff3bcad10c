"""Fuzz what a trader types: every ticket field and the command line, with arbitrary text.

The ticket's fields (:mod:`console.screens.ticket_form`, pure) and the command line (grammar and
resolver) get any text — huge numbers, 40-digit decimals, signs, exponents, separators, non-ASCII
digits, control characters — in every field and every kind/unit/flag combination, with markets
that do and do not know the instrument, a price or the equity. Each input becomes an order request
with finite positive numbers (which the real builder then snaps or refuses with a
:class:`BuildError`) or a refusal that names the field; never another exception.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.screens.ticket_form import KINDS, UNITS, TicketError, TicketFields, TicketMarket, build_request
from core.model import Instrument, Side
from core.orders.builder import BuildError, OrderBuilder
from core.orders.grammar import CloseCommand, GrammarError, PlaceCommand, parse
from core.orders.numparse import NumberError
from core.orders.resolve import MarketContext, ResolveError, resolve_close, resolve_place

BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
    D("1"), D("100"), D("0.01"),
)  # fmt: skip
NUMBERS = [
    "1" * 40,
    "9" * 100,
    "0." + "0" * 40 + "1",
    "1e3",
    "1,5",
    "١٢",
    "-1",
    "+1",
    ".5",
    "5.",
    "0",
    "00.100",
]
typed = st.sampled_from(["", *NUMBERS]) | st.text(max_size=12) | st.from_regex(r"[0-9]{1,45}(\.[0-9]{0,45})?")
FIELD_NAMES = ("qty", "price", "trigger", "take profit", "stop loss", "SL", "post-only")


markets = st.builds(
    TicketMarket,
    instrument=st.sampled_from([BTC, None]),
    ref_price=st.sampled_from([D("50000"), D("0.0001"), None]),
    equity=st.sampled_from([D("10000"), D("0"), None]),
)


@settings(max_examples=600, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    kind=st.sampled_from([k for _, k in KINDS]),
    unit=st.sampled_from([u for _, u in UNITS]),
    qty=typed,
    price=typed,
    trigger=typed,
    tp=typed,
    sl=typed,
    reduce_only=st.booleans(),
    post_only=st.booleans(),
    mkt=markets,
)
def test_any_text_in_any_ticket_field_is_an_order_or_a_named_refusal(
    side: Side,
    kind: str,
    unit: str,
    qty: str,
    price: str,
    trigger: str,
    tp: str,
    sl: str,
    reduce_only: bool,
    post_only: bool,
    mkt: TicketMarket,
) -> None:
    fields = TicketFields(kind, qty, unit, price, trigger, tp, sl, reduce_only, post_only)
    try:
        order = build_request("BTCUSDT", side, fields, mkt)
    except TicketError as err:
        assert str(err).startswith(FIELD_NAMES), str(err)
        return
    req = order.request
    for value in (req.qty, req.price, req.trigger_price, req.take_profit, req.stop_loss):
        assert value is None or (value.is_finite() and value > 0), (value, fields)
    assert req.qty is not None
    try:
        OrderBuilder().build(req, BTC, ref_price=D("50000"))
    except BuildError as err:
        assert err.check and str(err), err


@pytest.mark.parametrize(
    "changes",
    [
        # Before the fix each of these raised decimal.InvalidOperation out of the ticket.
        {"unit": "quote", "qty": "1" * 40},
        {"unit": "risk", "qty": "1" * 30, "sl": "49999"},
        {"unit": "risk", "qty": "1" * 40, "sl": "49000"},
    ],
)
def test_huge_sizes_are_refused_by_the_qty_field(changes: dict[str, str]) -> None:
    base: dict[str, Any] = {"kind": "limit", "qty": "1", "unit": "contracts", "price": "50000"}
    fields = TicketFields(**{**base, **changes})
    with pytest.raises(TicketError, match="^qty: "):
        build_request("BTCUSDT", Side.BUY, fields, TicketMarket(BTC, D("50000"), equity=D("10000")))


words = st.sampled_from(
    ["buy", "sell", "close", "cancel", "all", "be", "lev", "sym", "@", "at", "$", "%", "risk", "stop", "sl",
     "tp", "post", "ro", "reduce", "btc", "eth", "market", "bid", "ask", "+1%", "-1%", *NUMBERS]
)  # fmt: skip
lines = st.lists(words | typed, max_size=8).map(" ".join) | st.text(max_size=40)
contexts = st.builds(
    MarketContext,
    instrument=st.just(BTC),
    best_bid=st.sampled_from([D("95000.0"), None]),
    best_ask=st.sampled_from([D("95000.5"), D("0.1"), None]),
    mark=st.sampled_from([D("95000.2"), None]),
    equity=st.sampled_from([D("100000"), None]),
)


@settings(max_examples=600, deadline=None)
@given(lines, contexts)
def test_any_command_line_is_a_command_or_a_clear_refusal(text: str, ctx: MarketContext) -> None:
    try:
        cmd = parse(text, ("BTCUSDT", "ETHUSDT"))
    except (GrammarError, NumberError) as err:
        assert str(err), text
        return
    if not isinstance(cmd, PlaceCommand | CloseCommand):
        return
    try:
        resolved = resolve_place(cmd, ctx) if isinstance(cmd, PlaceCommand) else resolve_close(cmd, ctx)
    except (ResolveError, NumberError) as err:
        assert str(err), text
        return
    req = resolved.request
    for value in (req.qty, req.price, req.trigger_price, req.take_profit, req.stop_loss):
        assert value is None or (value.is_finite() and value > 0), (value, text)
