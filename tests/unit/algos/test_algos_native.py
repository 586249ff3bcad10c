"""Native protections: a trailing algo asks the venue for its trailing stop once and then only
watches the position; a native bracket sets the position's TP/SL once the entry filled; a
refusal falls back to engine-side child orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.model import OrderStatus, TriggerBy
from core.orders.algos.base import AlgoState, ChildRejected, Finish, Place, SetPositionStop, Tick
from core.orders.algos.bracket import Bracket
from core.orders.algos.trailing import TrailingStop

D = Decimal


def trail(**over: Any) -> TrailingStop:
    params: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "position_side": "Buy",
        "distance": "500",
        "trigger_by": "last",
        "native": True,
    }
    params.update(over)
    return TrailingStop("t1", params)


def long_view(fakes: Any, size: str = "1") -> Any:
    view = fakes.View()
    view.set_price(D("100000"), "last")
    view.set_position(D(size))
    return view


@pytest.mark.parametrize(
    ("over", "word"),
    [({"trigger_by": "mark"}, "last price"), ({"qty": "0.5"}, "whole position")],
)
def test_native_trailing_rejects_what_the_venue_cannot_do(over: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        trail(**over)


def test_native_trailing_asks_once_then_watches_until_flat(fakes: Any) -> None:
    algo, view = trail(), long_view(fakes)
    assert algo.start(view) == [SetPositionStop("trail", trailing_distance=D("500.0"), activation=None)]
    assert algo.status is AlgoState.RUNNING
    view.set_price(D("101000"), "last")
    assert algo.on_event(Tick(view.now), view) == []
    view.set_position(D(0))
    out = algo.on_event(Tick(view.now), view)
    assert isinstance(out[0], Finish) and out[0].state is AlgoState.DONE and "trailing stop" in out[0].reason


def test_native_trailing_pct_distance_and_activation(fakes: Any) -> None:
    view = long_view(fakes)
    ahead = trail(distance="1", distance_type="pct", activation_price="101000")
    assert ahead.start(view) == [
        SetPositionStop("trail", trailing_distance=D("1000.0"), activation=D("101000"))
    ]
    assert ahead.status is AlgoState.WAITING
    reached = trail(activation_price="99000")
    (action,) = reached.start(view)
    assert isinstance(action, SetPositionStop) and action.activation is None


def test_native_trailing_not_sent_again_after_restore(fakes: Any) -> None:
    algo, view = trail(), long_view(fakes)
    algo.start(view)
    again = TrailingStop.from_params("t1", fakes.round_trip(algo.params()))
    again.restore(fakes.round_trip(algo.state()))
    assert again.on_event(Tick(view.now), view) == []


def test_refused_native_trailing_goes_engine_side(fakes: Any) -> None:
    algo, view = trail(), long_view(fakes)
    (action,) = algo.start(view)
    assert isinstance(action, SetPositionStop)
    out = algo.on_event(ChildRejected(action.child_id, "native_trailing", "no trailing stops"), view)
    (place,) = out
    assert isinstance(place, Place) and place.trigger_by is TriggerBy.LAST
    assert place.request.trigger_price == D("99500.0") and place.request.reduce_only


def bracket(**over: Any) -> Bracket:
    params: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "1",
        "entry_type": "limit",
        "entry_price": "99000",
        "take_profits": [["101000", "1"]],
        "stop_price": "98000",
        "native": True,
    }
    params.update(over)
    return Bracket("b1", params)


def test_native_bracket_sets_the_position_tpsl_after_the_entry_fills(fakes: Any) -> None:
    algo = bracket()
    view = fakes.View()
    view.set_price(D("100000"))
    view.set_position(D(0))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    entry = runner.cid("entry")
    out = runner.feed(runner.fill_events(entry, D("0.4"), D("99000")))
    stops = [a for a in out if isinstance(a, SetPositionStop)]
    assert stops == [SetPositionStop("tpsl", D("101000"), D("98000"), TriggerBy.MARK)]
    assert not [a for a in out if isinstance(a, Place)]
    out = runner.feed(runner.fill_events(entry, D("0.6"), D("99000")))
    assert out == []  # Full mode: the TP/SL already covers what fills later
    view.set_position(D(0))
    out = runner.feed([Tick(view.now)])
    assert runner.finished and runner.finished[0].state is AlgoState.DONE


def test_native_bracket_with_two_take_profits_keeps_children(fakes: Any) -> None:
    algo = bracket(take_profits=[["101000", "0.5"], ["102000", "0.5"]])
    assert algo.native_state == "off"


def test_refused_native_bracket_falls_back_to_child_exits(fakes: Any) -> None:
    algo = bracket()
    view = fakes.View()
    view.set_price(D("100000"))
    view.set_position(D(0))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    out = runner.feed(runner.fill_events(runner.cid("entry"), D("1"), D("99000")))
    (stop,) = [a for a in out if isinstance(a, SetPositionStop)]
    out = runner.feed([ChildRejected(stop.child_id, "native_tpsl", "no position TP/SL")])
    tags = sorted(a.tag for a in out if isinstance(a, Place))
    assert tags == ["sl", "tp-1"]
    assert all(o.status is OrderStatus.FILLED or o.reduce_only for o in runner.working().values())
