"""Paired orders on the real engine and the in-process venue (virtual clock): both legs through the
risk chain; one leg refused → leg risk → unwind → flat; one leg unfilled past the timeout → leg
risk → complete → both legs filled. Positions are checked on the venue's own records.

The state machine does not care which venue a leg is on; here the two legs are two symbols of one
venue (the composite venue pairs ``BTCUSDT`` with ``BTCUSDT.HL`` the same way).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.engine import Engine
from core.model import OrderType, Side
from core.orders.paired import PairedOrder, PairState
from core.orders.paired_desk import PairedDesk, PairTicket
from tests.support.engine_types import Ready
from tests.support.venue_under_test import IN_PROCESS, InProcessVenue, VenueUnderTest

D = Decimal
A, B = "BTCUSDT", "ETHUSDT"
pytestmark = pytest.mark.symbols(A, B)
QTY = D("0.01")
TIMEOUT_S = 3.0


def size(venue: VenueUnderTest, symbol: str) -> Decimal:
    return D(venue.position(symbol)["size"])


async def settle(
    desk: PairedDesk, engine: Engine, venue: VenueUnderTest, pair: PairedOrder, state: PairState
) -> None:
    assert isinstance(venue, InProcessVenue)

    def reached() -> bool:
        desk.on_events(engine.store.drain_events(), venue.clock.now_ms())
        return pair.state == state

    await venue.wait_for(reached, timeout=TIMEOUT_S * 4, what=f"pair {state}")


@IN_PROCESS
async def test_one_leg_refused_is_leg_risk_then_unwind_leaves_both_flat(
    engine: Engine, venue: VenueUnderTest, ready: Ready
) -> None:
    assert isinstance(venue, InProcessVenue)
    mark_a, mark_b = await ready(engine, A), await ready(engine, B)
    desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
    # the buy leg is a marketable limit; the sell leg's price is far outside the price band
    ticket = PairTicket(
        "X",
        A,
        B,
        QTY,
        OrderType.LIMIT,
        buy_price=(mark_a * D("1.01")).quantize(D("0.1")),
        sell_price=(mark_b * D("0.5")).quantize(D("0.01")),
    )
    buy_risk, sell_risk = desk.preview(ticket)
    assert buy_risk.allowed and not sell_risk.allowed
    assert sell_risk.blocking is not None and sell_risk.blocking.check == "price_band"

    pair = await desk.send(ticket, venue.clock.now_ms())
    assert "price_band" in pair.b.reason
    await settle(desk, engine, venue, pair, PairState.LEG_RISK)
    assert pair.note.startswith(f"LEG RISK {B}")
    assert size(venue, A) == QTY and size(venue, B) == 0

    await desk.unwind(pair, venue.clock.now_ms())
    await settle(desk, engine, venue, pair, PairState.UNWOUND)
    assert size(venue, A) == 0 and size(venue, B) == 0
    assert venue.positions() == []


@IN_PROCESS
async def test_one_leg_unfilled_after_the_timeout_then_complete_fills_both(
    engine: Engine, venue: VenueUnderTest, ready: Ready
) -> None:
    assert isinstance(venue, InProcessVenue)
    mark_a, mark_b = await ready(engine, A), await ready(engine, B)
    desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
    # the sell leg rests 3% above the market: inside the band, never filled in this test
    ticket = PairTicket(
        "X",
        A,
        B,
        QTY,
        OrderType.LIMIT,
        buy_price=(mark_a * D("1.01")).quantize(D("0.1")),
        sell_price=(mark_b * D("1.03")).quantize(D("0.01")),
    )
    pair = await desk.send(ticket, venue.clock.now_ms())
    assert pair.state == PairState.WORKING and pair.b.working
    await settle(desk, engine, venue, pair, PairState.LEG_RISK)
    assert venue.clock.now_ms() - pair.sent_ms >= TIMEOUT_S * 1000
    assert "not filled in time" in pair.note
    assert len(venue.open_orders()) == 1

    await desk.complete(pair, venue.clock.now_ms())
    await settle(desk, engine, venue, pair, PairState.DONE)
    assert size(venue, A) == QTY and size(venue, B) == QTY
    assert venue.position(B)["side"] == Side.SELL.value
    assert venue.open_orders() == []  # the resting leg was cancelled before the market order
