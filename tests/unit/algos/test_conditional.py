"""Conditional algo: fires once on True (never on Unknown), places any order type snapped to the
instrument, follows it to DONE, starts a follow-up algo, expires, pauses; params and
state/restore round trips (hypothesis)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import event as label
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import FALLING, RISING, Order, OrderStatus, OrderType, Side, TimeInForce, TriggerBy
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    ChildRejected,
    Finish,
    OrderEvent,
    Place,
    StartAlgo,
    Tick,
    WakeAt,
)
from core.orders.algos.conditional import Conditional
from core.orders.algos.trailing import TrailingStop

D = Decimal
SYM = "BTCUSDT"
NOON = 1_796_040_000_000  # 2026-11-30 12:00Z


def cross_up(level: str = "96000") -> dict[str, Any]:
    return {"kind": "price", "symbol": SYM, "op": "crosses_above", "level": level}


def limit_order(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": SYM,
        "side": "Buy",
        "qty": "0.1",
        "order_type": "limit",
        "price": "95000",
    }
    base.update(over)
    return base


def params(condition: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"condition": condition or cross_up(), "order": limit_order()}
    base.update(over)
    return base


def setup(fakes: Any, mark: str | None = "95000", **over: Any) -> tuple[Any, Any, Conditional]:
    view = fakes.View()
    if mark is not None:
        view.set_price(D(mark))
    algo = Conditional("c1", params(**over))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    return view, runner, algo


def feed(runner: Any, events: Iterable[AlgoEvent]) -> list[Action]:
    """What the algo asks for on ``events``, applied by the fake runner."""
    actions: list[Action] = runner.feed(events)
    return actions


def status(algo: Algo) -> AlgoState:
    """The algo's state now (read again after a call that may have changed it)."""
    return algo.status


def tick(runner: Any, view: Any, mark: str | None = None, dt: int = 100) -> list[Action]:
    view.now += dt
    if mark is not None:
        view.set_price(D(mark))
    return feed(runner, [Tick(view.now)])


def places(actions: list[Any]) -> list[Place]:
    return [a for a in actions if isinstance(a, Place)]


# --- firing -----------------------------------------------------------------------------------
def test_cross_fires_a_limit_order_once_then_done_on_fill(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    assert runner.sent == [] and algo.status is AlgoState.WAITING
    assert tick(runner, view, "95900") == []
    out = tick(runner, view, "96000.5")
    (place,) = places(out)
    r = place.request
    assert (r.side, r.order_type, r.qty, r.price, r.trigger_price) == (
        Side.BUY,
        OrderType.LIMIT,
        D("0.1"),
        D("95000.0"),
        None,
    )
    assert place.tag == "order" and place.trigger_by is None and r.source == "algo:c1"
    assert status(algo) is AlgoState.RUNNING
    assert tick(runner, view, "95000") == [] and tick(runner, view, "97000") == []  # fires once
    out = runner.feed(runner.fill_events(runner.cid("order"), D("0.1"), D("95000")))
    (fin,) = [a for a in out if isinstance(a, Finish)]
    assert fin.state is AlgoState.DONE and status(algo) is AlgoState.DONE
    assert "mark crosses above 96000" in fin.reason and "order filled 0.1 @ 95000" in fin.reason
    assert algo.progress.filled == D("0.1")


def test_an_is_condition_already_true_fires_at_start(fakes: Any) -> None:
    cond = {"kind": "price", "symbol": SYM, "op": "above", "level": "94000"}
    _, runner, algo = setup(
        fakes, condition=cond, order={"symbol": SYM, "side": "Sell", "qty": "1", "order_type": "market"}
    )
    (place,) = places(runner.sent)
    assert place.request.order_type is OrderType.MARKET and place.request.price is None
    assert algo.status is AlgoState.RUNNING


def test_unknown_never_fires(fakes: Any) -> None:
    cond = {"kind": "or", "conditions": [
        {"kind": "sma", "symbol": SYM, "op": "above", "length": 3, "timeframe": "1m"},  # no candles
        {"kind": "price", "symbol": SYM, "op": "above", "level": "1", "price_type": "index"},  # no index
    ]}  # fmt: skip
    view, runner, algo = setup(fakes, condition=cond)
    assert tick(runner, view, "99999") == []
    assert algo.truth is None and algo.progress.note.startswith("waiting (unknown)")


def test_stop_order_snapped_and_triggering_on_the_chosen_price(fakes: Any) -> None:
    order = limit_order(
        side="Sell",
        qty="0.1234",
        price="94000.05",
        trigger_price="94100.07",
        trigger_by="last",
        reduce_only=True,
    )
    cond = {"kind": "price", "symbol": SYM, "op": "above", "level": "1"}
    _, runner, _ = setup(fakes, condition=cond, order=order)
    (place,) = places(runner.sent)
    r = place.request
    assert place.trigger_by is TriggerBy.LAST
    assert (r.qty, r.price) == (D("0.123"), D("94000.1"))  # qty down to the step, a sell limit up
    assert (r.trigger_price, r.trigger_direction) == (D("94100.0"), FALLING)  # falling: snapped down
    assert r.reduce_only and r.time_in_force is TimeInForce.GTC


def test_buy_stop_market_rises_by_default(fakes: Any) -> None:
    order = {"symbol": SYM, "side": "Buy", "qty": "1", "order_type": "Market", "trigger_price": "97000.01"}
    _, runner, _ = setup(
        fakes, condition={"kind": "price", "symbol": SYM, "op": "above", "level": "1"}, order=order
    )
    (place,) = places(runner.sent)
    assert place.trigger_by is TriggerBy.MARK
    assert (place.request.trigger_price, place.request.trigger_direction) == (D("97000.1"), RISING)


def test_time_trigger_on_the_virtual_clock_asks_for_a_wake_up(fakes: Any) -> None:
    view = fakes.View(now=NOON - 60_000)
    algo = Conditional("c1", params({"kind": "time", "at_ms": NOON}))
    runner = fakes.Runner(view, [algo])
    assert runner.apply(algo.start(view)) == [WakeAt(NOON)]
    assert tick(runner, view, dt=30_000) == []  # same wake-up: not asked again
    view.now = NOON
    out = runner.feed([Tick(NOON)])
    assert len(places(out)) == 1
    assert algo.fired_reason == "condition met at 2026-11-30 12:00Z: time >= 2026-11-30 12:00Z"


def other_order(status: OrderStatus, filled: str) -> Order:
    """The trader's order ``tc-7`` (not a child)."""
    return Order(
        SYM, Side.BUY, OrderType.LIMIT, D("1"), D("95000"), "tc-7", status=status, filled_qty=D(filled)
    )


def test_order_filled_trigger_from_an_order_event(fakes: Any) -> None:
    cond = {"kind": "and", "conditions": [
        {"kind": "order_filled", "client_order_id": "tc-7"},
        {"kind": "position", "symbol": SYM, "op": "long"},
    ]}  # fmt: skip
    view, runner, algo = setup(fakes, condition=cond)
    view.set_position(D("0.5"))
    assert runner.feed([OrderEvent(other_order(OrderStatus.PARTIALLY_FILLED, "0.5"))]) == []
    assert algo.truth is False
    filled = other_order(OrderStatus.FILLED, "1")
    out = runner.feed([OrderEvent(filled)])  # the view has not seen it: the event's order counts
    assert len(places(out)) == 1


def test_expiry_cancels_before_firing(fakes: Any) -> None:
    view, runner, algo = setup(fakes, expiry_ms=1_000_000 + 5_000)
    assert runner.sent == [WakeAt(1_005_000)]
    assert tick(runner, view, "95500", dt=4_000) == []
    out = tick(runner, view, "97000", dt=1_000)  # would cross, but it is too late
    (fin,) = out
    assert isinstance(fin, Finish) and fin == Finish(AlgoState.CANCELLED, fin.reason)
    assert fin.reason.startswith("expired at ") and "before mark crosses above 96000" in fin.reason
    assert algo.status is AlgoState.CANCELLED and tick(runner, view, "95000") == []


# --- the placed order ends ----------------------------------------------------------------------
def fire(runner: Any, view: Any) -> None:
    tick(runner, view, "96500")


def test_a_cancelled_order_ends_cancelled_without_the_follow_up(fakes: Any) -> None:
    then = {"kind": "trail", "params": {"symbol": SYM, "position_side": "Buy", "distance": "100"}}
    view, runner, algo = setup(fakes, then_algo=then)
    fire(runner, view)
    out = runner.feed([runner.update_event(runner.cid("order"), OrderStatus.CANCELLED)])
    assert [type(a) for a in out] == [Finish] and out[0].state is AlgoState.CANCELLED
    assert "trail not started" in out[0].reason and not algo.then_started


def test_a_rejected_child_fails(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    fire(runner, view)
    out = runner.feed([ChildRejected(runner.cid("order"), "max_notional", "too big")])
    assert out[0].state is AlgoState.FAILED and "rejected by max_notional: too big" in out[0].reason


def test_a_qty_below_the_step_fails_at_firing(fakes: Any) -> None:
    view, runner, algo = setup(fakes, order=limit_order(qty="0.0004"))
    fire(runner, view)
    assert algo.status is AlgoState.FAILED and places(runner.sent) == []


# --- follow-up algo -----------------------------------------------------------------------------
def test_then_algo_starts_after_the_order_fills(fakes: Any) -> None:
    trail: dict[str, Any] = {"symbol": SYM, "position_side": "Buy", "distance": "100"}
    then = {"kind": "trail", "params": trail}
    view, runner, algo = setup(fakes, then_algo=then)
    fire(runner, view)
    assert not [a for a in runner.sent if isinstance(a, StartAlgo)]
    out = runner.feed(runner.fill_events(runner.cid("order"), D("0.1"), D("95000")))
    starts = [a for a in out if isinstance(a, StartAlgo)]
    (fin,) = [a for a in out if isinstance(a, Finish)]
    assert starts == [StartAlgo("trail", trail)] and out.index(starts[0]) < out.index(fin)
    assert TrailingStop.from_params("t2", starts[0].params).describe() == "trail long BTCUSDT 100 on mark"
    assert fin.state is AlgoState.DONE and 'started trail {"distance": "100"' in fin.reason


def test_then_algo_alone_starts_at_firing(fakes: Any) -> None:
    then = {"kind": "twap", "params": {"symbol": SYM, "side": "Buy", "qty": "2", "duration_ms": 1_800_000}}
    view = fakes.View()
    view.set_price(D("95000"))
    algo = Conditional("c1", {"symbol": SYM, "condition": cross_up(), "then_algo": then})
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    out = tick(runner, view, "96000")
    assert [type(a) for a in out] == [StartAlgo, Finish]
    fin = out[1]
    assert isinstance(fin, Finish) and fin.state is AlgoState.DONE
    assert algo.describe() == "cond BTCUSDT: if mark crosses above 96000 then start twap"


# --- pause, describe, params -------------------------------------------------------------------
def test_pause_stops_evaluating_and_resume_carries_on(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    runner.apply(algo.on_pause(view))
    assert algo.status is AlgoState.PAUSED
    assert tick(runner, view, "97000") == []
    view.set_price(D("95000"))
    assert runner.apply(algo.on_resume(view)) == [] and status(algo) is AlgoState.WAITING
    assert len(places(tick(runner, view, "96100"))) == 1


def test_describe_shows_the_grouping_the_order_and_the_expiry(fakes: Any) -> None:
    cond = {"kind": "or", "conditions": [
        {"kind": "and", "conditions": [
            {"kind": "price", "symbol": SYM, "op": "above", "level": "96000"},
            {"kind": "time", "at_ms": NOON},
        ]},
        {"kind": "order_filled", "client_order_id": "tc-1"},
    ]}  # fmt: skip
    algo = Conditional("c1", params(cond, expiry_ms=NOON + 3_600_000))
    assert algo.describe() == (
        "cond BTCUSDT: if (mark >= 96000 AND time >= 2026-11-30 12:00Z) OR order tc-1 filled"
        " then Buy 0.1 limit @ 95000; expires 2026-11-30 13:00Z"
    )


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"condition": None}, "condition: required"),
        ({"condition": {"kind": "price", "symbol": SYM, "op": "above"}}, "condition.level: required"),
        ({"order": None}, "order/then_algo: at least one is required"),
        ({"order": limit_order(price=None)}, "order.price: required for a limit order"),
        ({"order": limit_order(order_type="market")}, "order.price: only for a limit order"),
        ({"order": limit_order(order_type="stop")}, "order.order_type: 'stop'"),
        ({"order": limit_order(trigger_by="mark")}, "order.trigger_price: required with"),
        ({"order": limit_order(trigger_price="1", trigger_direction="up")}, "order.trigger_direction: 'up'"),
        ({"order": limit_order(qty="0")}, "order.qty: must be > 0"),
        ({"order": limit_order(side="Long")}, "order.side: 'Long'"),
        ({"expiry_ms": -1}, "expiry_ms: must be >= 0"),
        ({"then_algo": {"kind": "moon", "params": {}}}, "then_algo.kind: 'moon'"),
        ({"then_algo": {"kind": "twap", "params": []}}, "then_algo.params: []"),
        ({"symbol": "ETHUSDT"}, "symbol: 'ETHUSDT' differs"),
    ],
)
def test_parameters_are_validated_by_name(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Conditional("c1", {**params(), **over})


def test_params_round_trip(fakes: Any) -> None:
    p = params(
        order=limit_order(trigger_price="94000", trigger_by="index", time_in_force="PostOnly"),
        then_algo={"kind": "chase", "params": {"x": 1}},
        expiry_ms=NOON,
    )
    algo = Conditional("c1", p)
    again = Conditional.from_params("c1", fakes.round_trip(dict(algo.params())))
    assert again.params() == algo.params() and again.describe() == algo.describe()


# --- state / restore ---------------------------------------------------------------------------
TREE = {"kind": "or", "conditions": [
    {"kind": "and", "conditions": [
        {"kind": "price", "symbol": SYM, "op": "crosses_above", "level": "96000"},
        {"kind": "price", "symbol": SYM, "op": "below", "level": "96005", "price_type": "last"},
    ]},
    {"kind": "time", "at_ms": 1_000_000 + 20 * 100},
]}  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(95_990, 96_010), st.integers(95_990, 96_010)), min_size=4, max_size=40),
    st.data(),
    st.booleans(),
)
def test_state_restore_round_trip(fakes: Any, path: list[tuple[int, int]], data: Any, fill: bool) -> None:
    """A copy rebuilt from params + state at any step decides exactly as the original from there."""
    cut = data.draw(st.integers(0, len(path) - 1), label="cut")
    expiry = data.draw(st.sampled_from([None, 1_000_000 + 12 * 100, 1_000_000 + 30 * 100]), label="expiry")
    view = fakes.View()
    algo = Conditional("c1", params(TREE, expiry_ms=expiry))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    twin: Conditional | None = None
    for i, (mark, last) in enumerate(path):
        if i == cut:
            twin = Conditional.from_params("c1", fakes.round_trip(dict(algo.params())))
            twin.restore(fakes.round_trip(algo.state()))
            assert twin.state() == algo.state()
            runner.algos.append(twin)  # the runner records the children's ids for both
        view.now += 100
        view.set_price(D(mark))
        view.set_price(D(last), "last")
        events: list[Any] = [Tick(view.now)]
        if fill and "order" in algo.progress.children and view.orders[runner.cid("order")].is_open:
            events = runner.fill_events(runner.cid("order"), D("0.1"), D("95000"))
        for event in events:
            want = algo.on_event(event, view)
            if twin is not None:
                assert twin.on_event(event, view) == want
                assert twin.state() == algo.state()
            runner.apply(want)
    assert len(places(runner.sent)) <= 1
    fired_at = algo.fired_ms
    when = "never" if fired_at is None else ("after" if fired_at > 1_000_000 + 100 * cut else "before")
    label(f"{algo.status.value}, fired {when} the restore")
