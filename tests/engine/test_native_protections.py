"""Native protections through the engine on the in-process venue (virtual clock): a native
trailing algo asks the venue for its trailing stop once and ends when the venue closes the
position; a native bracket sets the position's TP/SL after its entry fills; the engine's
trailing-stop command checks before it sends."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from tests.support.engine_types import SYM, Ready, WaitFor
from tests.support.venue_under_test import ONE_SYMBOL, SHORT_CHART_HISTORY, InProcessVenue, VenueUnderTest

D = Decimal
FAST_TICK_S = 0.001


@pytest.fixture
def venue() -> VenueUnderTest:
    """The in-process venue only: the scenario moves its market on the virtual clock."""
    return InProcessVenue(chart_history=SHORT_CHART_HISTORY, symbols=ONE_SYMBOL)


def state_of(engine: Engine, algo_id: str) -> str:
    return next(s.state for s in engine.algos() if s.id == algo_id)


def drive(venue: VenueUnderTest, price: Decimal) -> None:
    assert isinstance(venue, InProcessVenue)
    sim = venue.venue
    sim.bars.drive(SYM, float(price), sim.clock.now_ms() + 1)


async def open_long(engine: Engine, venue: VenueUnderTest, wait_for: WaitFor) -> None:
    res = await engine.place(OrderRequest(SYM, Side.BUY, D("0.01"), OrderType.MARKET))
    assert res.ok, res.message
    await wait_for(
        lambda: engine.state.positions.get(SYM) is not None and not engine.state.positions[SYM].is_flat
    )
    assert D(venue.position(SYM)["size"]) == D("0.01")


async def test_native_trailing_sets_once_and_ends_when_the_venue_closes(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine.algo_runner.tick_s = FAST_TICK_S
    mark = (await ready(engine)).quantize(D("0.1"))
    drive(venue, mark)
    await open_long(engine, venue, wait_for)
    distance = (mark * D("0.01")).quantize(D("0.1"))
    params = {
        "symbol": SYM,
        "position_side": "Buy",
        "distance": str(distance),
        "trigger_by": "last",
        "native": True,
    }
    res = await engine.start_algo("trail", params)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await wait_for(lambda: D(venue.position(SYM)["trailingStop"]) == distance, what="venue trailing stop set")
    high = mark * D("1.03")
    drive(venue, high)
    await venue.pass_time(0.5)
    assert D(venue.position(SYM)["size"]) == D("0.01") and state_of(engine, algo_id) == "running"
    drive(venue, high - distance * D("1.2"))  # back by more than the distance: the venue closes it
    await wait_for(lambda: state_of(engine, algo_id) == "done", what="trail done")
    assert venue.position(SYM)["side"] == ""
    stops = [r for r in engine.journal.query(kinds=["trading_stop"]) if r.data.get("trailing_stop")]
    assert len(stops) == 1 and D(str(stops[0].data["trailing_stop"])) == distance
    assert not engine.journal.query(kinds=["algo_child"])  # no child order: the venue did it


async def test_native_bracket_sets_the_position_tpsl_after_the_entry_fills(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine.algo_runner.tick_s = FAST_TICK_S
    mark = await ready(engine)
    tp, sl = (mark * D("1.02")).quantize(D("0.1")), (mark * D("0.98")).quantize(D("0.1"))
    params = {
        "symbol": SYM,
        "side": "Buy",
        "qty": "0.01",
        "entry_type": "market",
        "take_profits": [[str(tp), "1"]],
        "stop_price": str(sl),
        "native": True,
    }
    res = await engine.start_algo("bracket", params)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await wait_for(lambda: venue.position(SYM)["takeProfit"] != "", what="position TP/SL set")
    pos = venue.position(SYM)
    assert (D(pos["takeProfit"]), D(pos["stopLoss"]), pos["tpslMode"]) == (tp, sl, "Full")
    assert [r.data["tag"] for r in engine.journal.query(kinds=["algo_child"])] == ["entry"]
    assert not [o for o in venue.open_orders() if str(o["orderLinkId"]).startswith(algo_id)]
    drive(venue, tp * D("1.01"))
    await wait_for(lambda: state_of(engine, algo_id) == "done", what="bracket done")
    assert venue.position(SYM)["side"] == ""


async def test_trailing_stop_command_checks_before_sending(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    res = await engine.set_trailing_stop(SYM, D("100"))
    assert not res.ok and res.check == "position"
    await open_long(engine, venue, wait_for)
    res = await engine.set_trailing_stop(SYM, D("-1"))
    assert not res.ok and res.check == "trailing_stop"
    res = await engine.set_trailing_stop(SYM, D("100"), activation=mark * D("0.9"))
    assert not res.ok and res.check == "activation"
    res = await engine.set_trailing_stop(SYM, D("100"), activation=(mark * D("1.1")).quantize(D("0.1")))
    assert res.ok, res.message
    assert D(venue.position(SYM)["trailingStop"]) == D("100")
    assert (await engine.set_trailing_stop(SYM, D(0))).ok
    assert venue.position(SYM)["trailingStop"] == "0"
