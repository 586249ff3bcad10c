"""Trailing stop: activation, ratchet one way only (hypothesis), throttled amends, completion."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import FALLING, RISING, OrderStatus, OrderType, Side, TriggerBy
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    Amend,
    Cancel,
    Finish,
    Place,
    Tick,
    WakeAt,
)
from core.orders.algos.trailing import TrailingStop

D = Decimal


def params(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "position_side": "Buy",
        "distance": "100",
        "min_interval_ms": 0,
    }
    base.update(over)
    return base


def setup(
    fakes: Any, price: str = "100000", position: str = "1", **over: Any
) -> tuple[Any, Any, TrailingStop]:
    view = fakes.View()
    set_all(view, price)
    view.set_position(D(position))
    algo = TrailingStop("t1", params(**over))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    return view, runner, algo


def set_all(view: Any, price: str) -> None:
    for kind in ("mark", "last", "index"):
        view.set_price(D(price), kind)


def feed(runner: Any, events: Iterable[AlgoEvent]) -> list[Action]:
    """What the algo asks for on ``events``, applied by the fake runner."""
    actions: list[Action] = runner.feed(events)
    return actions


def status(algo: Algo) -> AlgoState:
    """The algo's state now (read again after a call that may have changed it)."""
    return algo.status


def tick(runner: Any, view: Any, price: str, dt: int = 100) -> list[Action]:
    view.now += dt
    set_all(view, price)
    return feed(runner, [Tick(view.now)])


def test_places_a_reduce_only_stop_market_on_mark_and_ratchets_up(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    place = runner.sent[0]
    assert isinstance(place, Place) and place.trigger_by is TriggerBy.MARK
    r = place.request
    assert (r.side, r.order_type, r.reduce_only, r.qty) == (Side.SELL, OrderType.MARKET, True, D("1"))
    assert (r.trigger_price, r.trigger_direction) == (D("99900"), FALLING)
    cid = runner.cid("stop")
    assert tick(runner, view, "100050") == [Amend(cid, trigger_price=D("99950.00"))]
    assert tick(runner, view, "99990") == []  # a fall never lowers it
    assert algo.level == D("99950")


def test_short_with_percent_distance_moves_down_only(fakes: Any) -> None:
    view, runner, algo = setup(
        fakes, position="-2", position_side="Sell", distance="1", distance_type="pct", trigger_by="last"
    )
    r = runner.sent[0].request
    assert (r.side, r.trigger_price, r.trigger_direction) == (Side.BUY, D("101000"), RISING)
    view.set_price(D("90000"), "last")
    view.now += 1
    assert runner.feed([Tick(view.now)]) == [Amend(runner.cid("stop"), trigger_price=D("90900.00"))]


def test_waits_for_the_activation_price(fakes: Any) -> None:
    view, runner, algo = setup(fakes, activation_price="101000")
    assert runner.sent == [] and algo.status is AlgoState.WAITING
    assert tick(runner, view, "100900") == []
    out = tick(runner, view, "101000")
    assert isinstance(out[0], Place) and out[0].request.trigger_price == D("100900")
    assert status(algo) is AlgoState.RUNNING


def test_amends_at_most_every_min_interval(fakes: Any) -> None:
    view, runner, algo = setup(fakes, min_interval_ms=1000)
    cid = runner.cid("stop")
    assert tick(runner, view, "100100", dt=100) == [WakeAt(view.now - 100 + 1000)]
    assert tick(runner, view, "100200", dt=100) == [WakeAt(view.now - 200 + 1000)]
    assert tick(runner, view, "100200", dt=800) == [Amend(cid, trigger_price=D("100100.00"))]


def test_done_when_the_stop_fills(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    cid = runner.cid("stop")
    assert runner.feed([runner.update_event(cid, OrderStatus.TRIGGERED)]) == []
    out = runner.feed(runner.fill_events(cid, D("1"), D("99890")))
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert algo.progress.filled == D("1")


def test_done_when_the_position_is_flat(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    view.set_position(D(0))
    out = tick(runner, view, "100000")
    assert out == [Finish(AlgoState.DONE, "position flat")]


def test_price_through_the_level_before_the_amend_closes_at_market(fakes: Any) -> None:
    view, runner, algo = setup(fakes, min_interval_ms=1000)
    cid = runner.cid("stop")
    tick(runner, view, "101000", dt=10)  # level 100900, amend throttled
    out = tick(runner, view, "100850", dt=10)
    assert out[0] == Cancel(cid)
    assert isinstance(out[1], Place) and out[1].request.order_type is OrderType.MARKET
    assert out[1].request.reduce_only and out[1].request.trigger_price is None
    assert runner.feed([runner.update_event(cid, OrderStatus.CANCELLED)]) == []
    done = runner.feed(runner.fill_events(runner.cid("close"), D("1"), D("100850")))
    assert isinstance(done[-1], Finish) and done[-1].state is AlgoState.DONE


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"distance": "0"}, "distance: must be > 0"),
        ({"distance": "100", "distance_type": "pct"}, "distance: a percentage must be < 100"),
        ({"trigger_by": "bid"}, "trigger_by:"),
        ({"position_side": "up"}, "position_side:"),
        ({"min_interval_ms": -1}, "min_interval_ms: must be >= 0"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrailingStop.from_params("t", params(**over))


prices = st.lists(st.integers(min_value=90000, max_value=110000), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    path=prices,
    side=st.sampled_from(["Buy", "Sell"]),
    dist=st.sampled_from([("250", "abs"), ("0.7", "pct"), ("3", "abs")]),
    interval=st.sampled_from([0, 150, 1000]),
    activation=st.one_of(st.none(), st.integers(min_value=95000, max_value=105000)),
)
def test_stop_level_only_moves_in_the_traders_favour(
    fakes: Any, path: list[int], side: str, dist: tuple[str, str], interval: int, activation: int | None
) -> None:
    signed = "1" if side == "Buy" else "-1"
    view, runner, algo = setup(
        fakes,
        position=signed,
        position_side=side,
        distance=dist[0],
        distance_type=dist[1],
        min_interval_ms=interval,
        activation_price=None if activation is None else str(activation),
    )
    sign = 1 if side == "Buy" else -1
    levels = [algo.level] if algo.level is not None else []
    for p in path:
        tick(runner, view, str(p), dt=97)
        if algo.status.terminal:
            break
        if algo.level is not None:
            levels.append(algo.level)
    assert all(sign * (b - a) >= 0 for a, b in zip(levels, levels[1:], strict=False))
    sent_levels = [
        a.request.trigger_price if isinstance(a, Place) else a.trigger_price
        for a in runner.sent
        if isinstance(a, Place | Amend)
    ]
    set_levels = [x for x in sent_levels if x is not None]
    assert all(sign * (b - a) > 0 for a, b in zip(set_levels, set_levels[1:], strict=False))


@settings(max_examples=60, deadline=None)
@given(path=prices, split=st.integers(min_value=0, max_value=59), interval=st.sampled_from([0, 300]))
def test_state_restore_round_trip_gives_the_same_decisions(
    fakes: Any, path: list[int], split: int, interval: int
) -> None:
    view, runner, algo = setup(fakes, activation_price="100500", min_interval_ms=interval)
    for i, p in enumerate(path):
        if i == split:
            twin = TrailingStop.from_params("t1", fakes.round_trip(algo.params()))
            twin.restore(fakes.round_trip(algo.state()))
            runner.algos.append(twin)
        view.now += 97
        set_all(view, str(p))
        event = Tick(view.now)
        got = algo.on_event(event, view)
        for twin in runner.algos[1:]:
            assert twin.on_event(event, view) == got
        runner.apply(got)
        if algo.status.terminal:
            break


def test_stop_qty_follows_the_position_and_a_set_qty_is_capped_by_it(fakes: Any) -> None:
    view, runner, algo = setup(fakes)
    view.set_position(D("1.5"))
    assert tick(runner, view, "100000") == [Amend(runner.cid("stop"), qty=D("1.5"))]
    view2, runner2, algo2 = setup(fakes, qty="0.4")
    assert runner2.sent[0].request.qty == D("0.4")
    view2.set_position(D("0.3"))
    assert tick(runner2, view2, "100000") == [Amend(runner2.cid("stop"), qty=D("0.3"))]
