"""Chase: rests at the touch, re-prices as it moves (at most every interval), respects its
maximum distance, re-places after a post-only cancel, finishes when filled; state round-trips."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import OrderStatus, Side, TimeInForce
from core.orders.algos.base import (
    Action,
    AlgoEvent,
    AlgoState,
    Amend,
    ChildRejected,
    Finish,
    Place,
    Tick,
    WakeAt,
)
from core.orders.algos.chase import Chase

D = Decimal
TICK = D("0.1")


def make(**over: Any) -> Chase:
    params: dict[str, Any] = {"symbol": "BTCUSDT", "side": "Buy", "qty": "0.010", "min_interval_ms": 500}
    params.update(over)
    return Chase.from_params("c1", params)


def started(fakes: Any, **over: Any) -> tuple[Any, Any, Chase]:
    view = fakes.View()
    algo = make(**over)
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    return view, runner, algo


def places(actions: list[Any]) -> list[Place]:
    return [a for a in actions if isinstance(a, Place)]


def test_rests_post_only_at_the_touch(fakes: Any) -> None:
    view, runner, algo = started(fakes)
    (place,) = places(runner.sent)
    assert place.request.side is Side.BUY
    assert place.request.price == view.bid
    assert place.request.time_in_force is TimeInForce.POST_ONLY
    assert place.request.qty == D("0.010")
    assert algo.status is AlgoState.RUNNING


def test_sell_with_offset_rests_behind_the_ask_and_plain_gtc(fakes: Any) -> None:
    view, runner, _ = started(fakes, side="Sell", offset_ticks=2, post_only=False, reduce_only=True)
    (place,) = places(runner.sent)
    assert place.request.price == view.ask + 2 * TICK
    assert place.request.time_in_force is TimeInForce.GTC
    assert place.request.reduce_only


def test_reprices_as_the_touch_moves_but_at_most_every_interval(fakes: Any) -> None:
    view, runner, algo = started(fakes)
    cid = runner.cid("chase-1")
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid += 3 * TICK
    view.now += 100
    out = runner.feed([Tick(view.now)])
    assert not [a for a in out if isinstance(a, Amend)]
    assert WakeAt(view.now - 100 + 500) in out
    view.now += 400
    out = runner.feed([Tick(view.now)])
    assert out == [Amend(cid, price=view.bid)]
    # no second amend while the first is unanswered, even after the interval
    view.bid += TICK
    view.now += 600
    assert runner.feed([Tick(view.now)]) == []
    out = runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    assert out == [Amend(cid, price=view.bid)]
    assert D(algo.progress.note.removeprefix("chasing @ ")) == view.bid


def test_follows_a_favourable_move_without_limit(fakes: Any) -> None:
    view, runner, _ = started(fakes, max_distance="1")
    cid = runner.cid("chase-1")
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid -= 50 * TICK
    view.now += 1000
    assert runner.feed([Tick(view.now)]) == [Amend(cid, price=view.bid)]


@pytest.mark.parametrize(
    ("on_limit", "state", "cancels"), [("stop", AlgoState.DONE, False), ("cancel", AlgoState.CANCELLED, True)]
)
def test_respects_the_maximum_distance(fakes: Any, on_limit: str, state: AlgoState, cancels: bool) -> None:
    view, runner, algo = started(fakes, max_distance="0.5", on_limit=on_limit)
    cid = runner.cid("chase-1")
    start = view.bid
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid = start + 5 * TICK  # exactly at the maximum: still chases
    view.now += 1000
    assert runner.feed([Tick(view.now)]) == [Amend(cid, price=start + 5 * TICK)]
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid = start + 6 * TICK
    view.now += 1000
    (finish,) = runner.feed([Tick(view.now)])
    assert isinstance(finish, Finish)
    assert finish.state is state and finish.cancel_children is cancels
    assert algo.status is state
    assert view.orders[cid].is_open is not cancels
    assert view.orders[cid].price == start + 5 * TICK


def test_maximum_in_percent_of_the_start_price(fakes: Any) -> None:
    view, runner, algo = started(fakes, side="Sell", max_distance_pct="0.01")
    assert algo.limit_price() == view.ask - view.ask * D("0.0001")
    runner.feed([runner.update_event(runner.cid("chase-1"), OrderStatus.NEW)])
    view.ask -= 200 * TICK
    view.now += 1000
    (finish,) = runner.feed([Tick(view.now)])
    assert isinstance(finish, Finish) and not finish.cancel_children


def test_post_only_cancel_replaces_the_rest_at_the_new_touch(fakes: Any) -> None:
    view, runner, _ = started(fakes)
    cid = runner.cid("chase-1")
    runner.feed(runner.fill_events(cid, D("0.004"), view.bid))
    view.bid += 2 * TICK
    out = runner.feed([runner.update_event(cid, OrderStatus.CANCELLED)])
    (place,) = places(out)
    assert place.request.price == view.bid
    assert place.request.qty == D("0.006")


def test_rejections_retry_after_the_interval_then_fail(fakes: Any) -> None:
    view, runner, algo = started(fakes, max_rejects=1)
    out = runner.feed([ChildRejected(runner.cid("chase-1"), "risk", "exposure")])
    assert not places(out) and WakeAt(view.now + 500) in out
    view.now += 500
    assert places(runner.feed([Tick(view.now)]))
    (finish,) = runner.feed([ChildRejected(runner.cid("chase-2"), "risk", "exposure")])
    assert isinstance(finish, Finish) and finish.state is AlgoState.FAILED
    assert "risk" in finish.reason and algo.status.terminal


def test_partial_fills_keep_chasing_then_done(fakes: Any) -> None:
    view, runner, algo = started(fakes)
    cid = runner.cid("chase-1")
    runner.feed(runner.fill_events(cid, D("0.003"), view.bid))
    view.bid += TICK
    view.now += 1000
    assert runner.feed([Tick(view.now)]) == [Amend(cid, price=view.bid)]
    out = runner.feed(runner.fill_events(cid, D("0.007"), view.bid))
    (finish,) = out
    assert isinstance(finish, Finish) and finish.state is AlgoState.DONE
    assert algo.progress.filled == D("0.010")
    assert algo.progress.avg_price == (D("0.003") * (view.bid - TICK) + D("0.007") * view.bid) / D("0.010")


def test_waits_for_a_book(fakes: Any) -> None:
    view = fakes.View(bid=None)
    algo = make()
    runner = fakes.Runner(view, [algo])
    assert runner.apply(algo.start(view)) == [WakeAt(view.now + 500)]
    view.bid = D("99999.0")
    view.now += 500
    (place,) = places(runner.feed([Tick(view.now)]))
    assert place.request.price == D("99999.0")


@pytest.mark.parametrize(
    ("over", "name"),
    [
        ({"qty": "0"}, "qty"),
        ({"side": "long"}, "side"),
        ({"on_limit": "keep"}, "on_limit"),
        ({"min_interval_ms": -1}, "min_interval_ms"),
        ({"max_distance": "1", "max_distance_pct": "1"}, "max_distance"),
        ({"max_distance_pct": "150"}, "max_distance_pct"),
        ({"offset_ticks": "x"}, "offset_ticks"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make(**over)


# --- state / restore --------------------------------------------------------------------------
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.integers(-20, 20)),
        st.tuples(st.just("time"), st.integers(0, 1500)),
        st.tuples(st.just("fill"), st.integers(1, 4)),
        st.tuples(st.just("ack"), st.just(0)),
        st.tuples(st.just("venue_cancel"), st.just(0)),
        st.tuples(st.just("reject"), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def feed(runner: Any, events: Iterable[AlgoEvent]) -> list[Action]:
    """What the algo asks for on ``events``, applied by the fake runner."""
    actions: list[Action] = runner.feed(events)
    return actions


def drive(runner: Any, op: tuple[str, int]) -> list[Action]:
    """One market or child event, applied to the view and fed to the algo."""
    view = runner.view
    kind, n = op
    algo = runner.algos[0]
    if algo.status.terminal:
        return []
    tags = list(algo.progress.children)
    if kind in ("move", "time"):
        if kind == "move":
            view.bid += n * TICK
            view.ask = view.bid + TICK
        else:
            view.now += n
        return feed(runner, [Tick(view.now)])
    if not tags:
        return []
    cid = runner.cid(tags[-1])
    order = view.orders[cid]
    if not order.is_open:
        return []
    if kind == "fill":
        qty = max(D("0.001"), (order.leaves_qty * n / 4).quantize(D("0.001")))
        return feed(runner, runner.fill_events(cid, min(qty, order.leaves_qty), order.price))
    if kind == "ack":
        return feed(runner, [runner.update_event(cid, order.status)])
    if kind == "venue_cancel":
        return feed(runner, [runner.update_event(cid, OrderStatus.CANCELLED)])
    runner.update_event(cid, OrderStatus.REJECTED)
    return feed(runner, [ChildRejected(cid, "risk", "test")])


@settings(max_examples=60, deadline=None)
@given(ops=OPS, split=st.integers(0, 25), on_limit=st.sampled_from(["stop", "cancel"]))
def test_restore_mid_run_gives_the_same_next_decisions(
    fakes: Any, ops: list[tuple[str, int]], split: int, on_limit: str
) -> None:
    view = fakes.View()
    a = make(max_distance="1.5", on_limit=on_limit, max_rejects=3)
    ra = fakes.Runner(view, [a])
    ra.apply(a.start(view))
    k = min(split, len(ops))
    for op in ops[:k]:
        drive(ra, op)
    b = Chase.from_params("c1", fakes.round_trip(a.params()))
    b.restore(fakes.round_trip(a.state()))
    rb = fakes.Runner(copy.deepcopy(view), [b], seq=ra.seq, exec_seq=ra.exec_seq)
    for op in ops[k:]:
        assert drive(ra, op) == drive(rb, op)
    assert fakes.round_trip(a.state()) == fakes.round_trip(b.state())
