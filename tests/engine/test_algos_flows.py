"""Algos run by the engine, end to end on both venues: a TWAP to completion, pause/resume/cancel,
a chase re-pricing, a bracket's exits after its entry fills, a conditional's follow-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.engine import Engine
from core.events import AlgoUpdated
from tests.support.engine_types import SYM, Ready, WaitFor
from tests.support.venue_under_test import VenueUnderTest

D = Decimal
FAST_TICK_S = 0.001


@pytest.fixture
def fast_ticks(engine: Engine) -> Engine:
    """The engine with its algo ticks as often as the loop allows (virtual time passes fast)."""
    engine.algo_runner.tick_s = FAST_TICK_S
    return engine


def state_of(engine: Engine, algo_id: str) -> str:
    return next(s.state for s in engine.algos() if s.id == algo_id)


async def test_twap_completes_with_the_right_total(
    fast_ticks: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine = fast_ticks
    await ready(engine)
    params = {"symbol": SYM, "side": "Buy", "qty": "0.01", "duration_ms": 3000, "slices": 3}
    res = await engine.start_algo("twap", params)
    assert res.ok, res.message
    algo_id = res.order_link_id
    assert algo_id in res.message
    await wait_for(lambda: state_of(engine, algo_id) == "done", timeout=30, what="twap done")
    s = next(s for s in engine.algos() if s.id == algo_id)
    assert s.filled == D("0.01") and s.total == D("0.01")
    assert s.children >= 3
    assert D(venue.position(SYM)["size"]) == D("0.01")
    kinds = [
        r.kind for r in engine.journal.query(kinds=["algo_start", "algo_child", "algo_state", "algo_end"])
    ]
    assert kinds[0] == "algo_start" and kinds[-1] == "algo_end" and kinds.count("algo_child") == s.children
    children = engine.journal.query(kinds=["algo_child"])
    intents = {r.order_link_id: r for r in engine.journal.query(kinds=["intent"])}
    for child in children:  # each child journaled before its own intent, sent as the algo's
        assert child.seq < intents[child.order_link_id].seq
        assert intents[child.order_link_id].data["source"] == f"algo:{algo_id}"
    assert any(
        isinstance(e, AlgoUpdated) and e.algo_id == algo_id for e in engine.store.drain_events(100_000)
    )


async def test_pause_resume_cancel(
    fast_ticks: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine = fast_ticks
    mark = await ready(engine)
    params = {"symbol": SYM, "side": "Buy", "qty": "0.01", "offset_ticks": 200, "max_distance_pct": "5"}
    res = await engine.start_algo("chase", params)
    assert res.ok, res.message
    algo_id = res.order_link_id

    def working() -> list[str]:
        return [o.order_link_id for o in engine.state.orders.values() if o.order_link_id.startswith(algo_id)]

    await wait_for(lambda: bool(working()), what="chase child working")
    assert (await engine.pause_algo(algo_id)).ok
    await wait_for(lambda: state_of(engine, algo_id) == "paused" and not working(), what="paused")
    assert (await engine.resume_algo(algo_id)).ok
    await wait_for(lambda: state_of(engine, algo_id) == "running" and bool(working()), what="resumed")
    assert (await engine.cancel_algo(algo_id)).ok
    await wait_for(lambda: state_of(engine, algo_id) == "cancelled" and not working(), what="cancelled")
    assert not [o for o in venue.open_orders() if o["orderLinkId"].startswith(algo_id)]
    controls = [r.data["action"] for r in engine.journal.query(kinds=["algo_control"])]
    assert controls == ["pause", "resume", "cancel"]
    end = engine.journal.query(kinds=["algo_end"])
    assert end[-1].data["status"] == "cancelled"
    assert mark > 0


async def test_bad_params_name_the_parameter(engine: Engine) -> None:
    res = await engine.start_algo("twap", {"symbol": SYM, "side": "Buy", "qty": "0.01", "slices": 3})
    assert not res.ok and "duration_ms" in res.message
    res = await engine.start_algo("nope", {})
    assert not res.ok and "kind" in res.message
    assert engine.preview_algo("twap", {"symbol": SYM}).error


async def test_a_preview_of_an_algo_that_would_end_at_once_is_not_ready(engine: Engine, ready: Ready) -> None:
    """A trailing stop with no position would finish ("position flat") the moment it started: its
    preview says so instead of showing a ready algo with nothing in it."""
    await ready(engine)
    params = {"symbol": SYM, "position_side": "Buy", "distance_type": "pct", "distance": "1"}
    preview = engine.preview_algo("trail", params)
    assert not preview.ok and "nothing to do: position flat" in preview.error


async def test_chase_reprices_when_the_touch_moves(
    fast_ticks: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine = fast_ticks
    await ready(engine)
    params = {"symbol": SYM, "side": "Buy", "qty": "0.01", "offset_ticks": 300, "min_interval_ms": 0}
    res = await engine.start_algo("chase", params)
    assert res.ok, res.message
    algo_id = res.order_link_id

    def repriced() -> bool:
        links = [r.order_link_id for r in engine.journal.query(kinds=["algo_child"])]
        amends = engine.journal.query(kinds=["amend"])
        return any(a.order_link_id in links for a in amends) or len(links) > 1

    await wait_for(repriced, timeout=60, what="the chase re-priced")
    assert (await engine.cancel_algo(algo_id)).ok
    await wait_for(lambda: state_of(engine, algo_id) == "cancelled", what="cancelled")


async def test_bracket_places_its_exits_after_the_entry_fills(
    fast_ticks: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine = fast_ticks
    mark = await ready(engine)
    tp, sl = (mark * D("1.02")).quantize(D("0.1")), (mark * D("0.98")).quantize(D("0.1"))
    params = {
        "symbol": SYM,
        "side": "Buy",
        "qty": "0.01",
        "entry_type": "market",
        "take_profits": [[str(tp), "1"]],
        "stop_price": str(sl),
    }
    res = await engine.start_algo("bracket", params)
    assert res.ok, res.message
    algo_id = res.order_link_id

    def exits() -> list[dict[str, object]]:
        return [o for o in venue.open_orders() if str(o["orderLinkId"]).startswith(algo_id)]

    await wait_for(lambda: len(exits()) == 2, timeout=60, what="take-profit and stop working")
    assert D(venue.position(SYM)["size"]) == D("0.01")
    by_type = {str(o["orderType"]): o for o in exits()}
    assert D(str(by_type["Limit"]["price"])) == tp and by_type["Limit"]["reduceOnly"]
    stop = by_type["Market"]
    assert D(str(stop["triggerPrice"])) == sl and stop["reduceOnly"]
    assert stop["triggerBy"] == "MarkPrice"  # the algo's trigger price type reaches the venue
    assert (await engine.cancel_algo(algo_id)).ok
    await wait_for(lambda: not exits(), what="exits cancelled with the algo")


async def test_conditional_fires_and_starts_its_follow_up(
    fast_ticks: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    engine = fast_ticks
    await ready(engine)
    follow_up = {"symbol": SYM, "side": "Buy", "qty": "0.01", "duration_ms": 2000, "slices": 2}
    params = {
        "symbol": SYM,
        "condition": {"kind": "time", "at_ms": engine.now_ms() + 1000},
        "then_algo": {"kind": "twap", "params": follow_up},
    }
    res = await engine.start_algo("cond", params)
    assert res.ok, res.message
    cond_id = res.order_link_id
    await wait_for(lambda: state_of(engine, cond_id) == "done", timeout=30, what="condition fired")
    # the condition is done once it decided to fire; its worker starts the follow-up right after
    await wait_for(lambda: any(s.kind == "twap" for s in engine.algos()), what="follow-up started")
    twaps = [s for s in engine.algos() if s.kind == "twap"]
    assert len(twaps) == 1
    await wait_for(lambda: state_of(engine, twaps[0].id) == "done", timeout=30, what="follow-up done")
    starts = engine.journal.query(kinds=["algo_start"])
    assert [r.data["who"] for r in starts] == ["user", f"algo:{cond_id}"]
    assert D(venue.position(SYM)["size"]) == D("0.01")
