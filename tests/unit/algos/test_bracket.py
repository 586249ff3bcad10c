"""Bracket / OTO / OCO: exits follow the entry's fills, OCO legs reduce each other, races end flat."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import FALLING, OrderStatus, OrderType, Side, TriggerBy
from core.orders.algos._common import snap_down
from core.orders.algos.base import Algo, AlgoEvent, AlgoState, Amend, Cancel, Finish, Place, Tick
from core.orders.algos.bracket import Bracket, Oco

D = Decimal


def bracket_params(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "1",
        "entry_type": "limit",
        "entry_price": "95000",
        "take_profits": [["96000", "0.5"], ["97000", "0.5"]],
        "stop_price": "94000",
    }
    base.update(over)
    return base


def oco_params(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "1",
        "take_profits": [["101000", "1"]],
        "stop_price": "99000",
    }
    base.update(over)
    return base


def started(fakes: Any, algo: Bracket, position: str = "0") -> tuple[Any, Any]:
    view = fakes.View()
    view.set_price(D("100000"))
    view.set_position(D(position))
    runner = fakes.Runner(view, [algo], report_cancels=True)
    runner.apply(algo.start(view))
    return view, runner


def status(algo: Algo) -> AlgoState:
    """The algo's state now (read again after a call that may have changed it)."""
    return algo.status


def qtys(runner: Any) -> dict[str, Decimal]:
    """Working children by tag -> leaves."""
    return {tag: o.leaves_qty for tag, o in runner.working().items()}


def test_bracket_after_a_partial_entry_fill_scales_the_exits(fakes: Any) -> None:
    algo = Bracket("b1", bracket_params())
    view, runner = started(fakes, algo)
    entry = runner.sent[0]
    assert isinstance(entry, Place) and entry.tag == "entry" and not entry.request.reduce_only
    assert algo.status is AlgoState.WAITING
    out = runner.feed(runner.fill_events(runner.cid("entry"), D("0.4"), D("95000")))
    assert [a.tag for a in out if isinstance(a, Place)] == ["tp-1", "tp-2", "sl"]
    assert qtys(runner) == {"entry": D("0.6"), "tp-1": D("0.2"), "tp-2": D("0.2"), "sl": D("0.4")}
    sl = next(a for a in out if isinstance(a, Place) and a.tag == "sl")
    assert sl.trigger_by is TriggerBy.MARK
    r = sl.request
    assert (r.side, r.order_type, r.reduce_only, r.trigger_price, r.trigger_direction) == (
        Side.SELL,
        OrderType.MARKET,
        True,
        D("94000"),
        FALLING,
    )
    assert all(a.request.reduce_only for a in out if isinstance(a, Place))
    assert status(algo) is AlgoState.RUNNING
    out = runner.feed(runner.fill_events(runner.cid("entry"), D("0.6"), D("95000")))
    assert out == [
        Amend(runner.cid("tp-1"), qty=D("0.5")),
        Amend(runner.cid("tp-2"), qty=D("0.5")),
        Amend(runner.cid("sl"), qty=D("1")),
    ]
    # a take-profit fill reduces the stop by the filled qty
    out = runner.feed(runner.fill_events(runner.cid("tp-1"), D("0.5"), D("96000")))
    assert out == [Amend(runner.cid("sl"), qty=D("0.5"))]
    out = runner.feed(runner.fill_events(runner.cid("tp-2"), D("0.5"), D("97000")))
    assert out[0] == Cancel(runner.cid("sl"))
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert view.signed_position == 0 and runner.working() == {}


def test_entry_cancelled_after_a_partial_fill_keeps_exits_for_what_filled(fakes: Any) -> None:
    algo = Bracket("b1", bracket_params(take_profits=[["96000", "1"]]))
    view, runner = started(fakes, algo)
    runner.feed(runner.fill_events(runner.cid("entry"), D("0.3"), D("95000")))
    runner.feed([runner.update_event(runner.cid("entry"), OrderStatus.CANCELLED)])
    assert qtys(runner) == {"tp-1": D("0.3"), "sl": D("0.3")}
    out = runner.feed(runner.fill_events(runner.cid("sl"), D("0.3"), D("93990")))
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert view.signed_position == 0 and runner.working() == {}


def test_entry_cancelled_with_nothing_filled_ends_the_bracket(fakes: Any) -> None:
    algo = Bracket("b1", bracket_params())
    view, runner = started(fakes, algo)
    out = runner.feed([runner.update_event(runner.cid("entry"), OrderStatus.CANCELLED)])
    assert out == [Finish(AlgoState.CANCELLED, "entry Cancelled with nothing filled")]


def test_market_entry_and_last_price_trigger(fakes: Any) -> None:
    algo = Bracket(
        "b1",
        bracket_params(
            entry_type="market",
            entry_price=None,
            trigger_by="last",
            side="Sell",
            take_profits=[["90000", "1"]],
            stop_price="105000",
        ),
    )
    view, runner = started(fakes, algo)
    assert runner.sent[0].request.order_type is OrderType.MARKET
    out = runner.feed(runner.fill_events(runner.cid("entry"), D("1"), D("100000")))
    sl = next(a for a in out if isinstance(a, Place) and a.tag == "sl")
    assert sl.trigger_by is TriggerBy.LAST and sl.request.side is Side.BUY


def test_oco_fill_of_one_leg_reduces_then_cancels_the_other(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    assert qtys(runner) == {"tp-1": D("1"), "sl": D("1")}
    out = runner.feed(runner.fill_events(runner.cid("tp-1"), D("0.3"), D("101000")))
    assert out == [Amend(runner.cid("sl"), qty=D("0.7"))]
    out = runner.feed(runner.fill_events(runner.cid("sl"), D("0.7"), D("99000")))
    assert out[0] == Cancel(runner.cid("tp-1"))
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert view.signed_position == 0 and runner.working() == {}


def test_oco_race_both_legs_fill_in_one_tick_ends_flat_and_reports(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    # both legs fill on the venue before the algo hears of either
    events = runner.fill_events(runner.cid("tp-1"), D("1"), D("101000"))
    events += runner.fill_events(runner.cid("sl"), D("1"), D("99000"))
    assert view.signed_position == D("-1")
    out = runner.feed(events)
    fix = [a for a in out if isinstance(a, Place)]
    assert len(fix) == 1 and fix[0].tag == "fix"
    assert (fix[0].request.side, fix[0].request.qty, fix[0].request.reduce_only) == (Side.BUY, D("1"), True)
    assert not any(isinstance(a, Finish) for a in out)
    done = runner.feed(runner.fill_events(runner.cid("fix"), D("1"), D("99010")))
    assert isinstance(done[-1], Finish) and done[-1].state is AlgoState.DONE
    assert (
        "tp-1 1, sl 1" in done[-1].reason
        and "over-closed 1, flattening 1 reduce-only (1 filled)" in done[-1].reason
    )
    assert view.signed_position == 0 and runner.working() == {}


def test_oco_race_clipped_by_reduce_only_ends_flat_and_reports(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    events = runner.fill_events(runner.cid("tp-1"), D("1"), D("101000"))
    events.append(runner.update_event(runner.cid("sl"), OrderStatus.DEACTIVATED))
    out = runner.feed(events)
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert "tp-1 1, sl 0" in out[-1].reason
    assert view.signed_position == 0 and runner.working() == {}


def test_oco_race_partial_legs_in_one_tick_end_flat(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    events = runner.fill_events(runner.cid("tp-1"), D("0.6"), D("101000"))
    events += runner.fill_events(runner.cid("sl"), D("0.4"), D("99000"))
    out = runner.feed(events)
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert "tp-1 0.6, sl 0.4" in out[-1].reason
    assert view.signed_position == 0 and runner.working() == {}


def test_flat_position_cancels_the_exits(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    view.set_position(D(0))  # the trader closed it by hand
    out = runner.feed([Tick(view.now + 1)])
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE and out[-1].cancel_children
    assert runner.working() == {}


def test_pause_keeps_the_protection(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    assert algo.on_pause(view) == [] and algo.status is AlgoState.PAUSED
    assert qtys(runner) == {"tp-1": D("1"), "sl": D("1")}


def test_a_refused_stop_is_reported_not_resent(fakes: Any) -> None:
    from core.orders.algos.base import ChildRejected

    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    cid = runner.cid("sl")
    del view.orders[cid]
    assert runner.feed([ChildRejected(cid, "trigger", "trigger price equals the current price")]) == []
    assert "sl refused (trigger: trigger price equals the current price)" in algo.progress.note


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"take_profits": [["96000", "0.5"], ["97000", "0.4"]]}, "fractions add up to 0.9, not 1"),
        ({"take_profits": [["93000", "1"]]}, "take_profits: 93000 is not beyond the stop"),
        ({"stop_price": "95500", "take_profits": []}, "stop_price: 95500 is on the wrong side"),
        ({"entry_price": None}, "entry_price: required for a limit entry"),
        ({"entry_type": "none"}, "entry_type: a bracket needs an entry"),
        ({"trigger_by": "bid"}, "trigger_by:"),
        ({"take_profits": [], "stop_price": None}, "at least one exit"),
        ({"take_profits": [["96000"]]}, r"take_profits\[0\]"),
        ({"native": "no"}, "native:"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Bracket.from_params("b", bracket_params(**over))


def test_oco_refuses_an_entry() -> None:
    with pytest.raises(ValueError, match="entry_type: an OCO has no entry"):
        Oco.from_params("o", oco_params(entry_type="limit", entry_price="1"))


ops = st.lists(
    st.tuples(st.integers(min_value=0, max_value=9), st.sampled_from(["0.25", "0.5", "1"])),
    min_size=1,
    max_size=25,
)


def _step(runner: Any, view: Any, pick: int, frac: str) -> list[AlgoEvent]:
    working = sorted(runner.working().items())
    if not working:
        return []
    tag, order = working[pick % len(working)]
    qty = snap_down(order.leaves_qty * D(frac), D("0.001")) or order.leaves_qty
    events: list[AlgoEvent] = runner.fill_events(runner.cid(tag), qty, order.price or D("95000"))
    return events


@settings(max_examples=80, deadline=None)
@given(seq=ops, split=st.integers(min_value=0, max_value=24), oco=st.booleans())
def test_exits_never_exceed_the_position_and_restore_gives_the_same_decisions(
    fakes: Any, seq: list[tuple[int, str]], split: int, oco: bool
) -> None:
    algo: Bracket = (
        Oco("o", oco_params(take_profits=[["101000", "0.3"], ["102000", "0.7"]]))
        if oco
        else Bracket("b", bracket_params(take_profits=[["96000", "0.3"], ["97000", "0.7"]]))
    )
    view, runner = started(fakes, algo, position="1" if oco else "0")
    cls = type(algo)
    for i, (pick, frac) in enumerate(seq):
        if i == split:
            twin = cls.from_params(algo.algo_id, fakes.round_trip(algo.params()))
            twin.restore(fakes.round_trip(algo.state()))
            runner.algos.append(twin)
        events = list(_step(runner, view, pick, frac))
        while events or runner.pending:
            event = events.pop(0) if events else runner.pending.pop(0)
            got = algo.on_event(event, view)
            for twin in runner.algos[1:]:
                assert twin.on_event(event, view) == got
            runner.apply(got)
        pos = view.signed_position
        assert pos >= 0
        exits = {t: o for t, o in runner.working().items() if o.reduce_only}
        if "sl" in exits:
            assert exits["sl"].leaves_qty <= pos
        assert sum(o.leaves_qty for t, o in exits.items() if t.startswith("tp")) <= pos
        if algo.status.terminal:
            assert pos == 0 and runner.working() == {}
            break


def test_race_seen_late_in_the_position_is_flattened_on_the_next_tick(fakes: Any) -> None:
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    runner.track_position = False  # the position view lags the fills
    events = runner.fill_events(runner.cid("tp-1"), D("1"), D("101000"))
    events += runner.fill_events(runner.cid("sl"), D("1"), D("99000"))
    out = runner.feed(events)
    assert not any(isinstance(a, Place | Finish) for a in out)  # waits: the position still shows long
    view.set_position(D("-1"))
    out = runner.feed([Tick(view.now + 1)])
    assert [a.tag for a in out if isinstance(a, Place)] == ["fix"]


def test_race_whose_flattening_is_refused_fails_and_says_so(fakes: Any) -> None:
    from core.orders.algos.base import ChildRejected

    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    events = runner.fill_events(runner.cid("tp-1"), D("1"), D("101000"))
    events += runner.fill_events(runner.cid("sl"), D("1"), D("99000"))
    runner.feed(events)
    cid = runner.cid("fix")
    del view.orders[cid]
    out = runner.feed([ChildRejected(cid, "risk", "breaker open")])
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.FAILED
    assert "over-closed 1, flattening 1 reduce-only (0 filled)" in out[-1].reason


@settings(max_examples=100, deadline=None)
@given(
    tp=st.integers(min_value=1, max_value=1000),
    sl=st.integers(min_value=0, max_value=1000),
    sl_first=st.booleans(),
)
def test_any_race_of_both_legs_ends_flat_with_nothing_working(
    fakes: Any, tp: int, sl: int, sl_first: bool
) -> None:
    if tp + sl < 1000:
        sl = 1000 - tp
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    step = D("0.001")
    tp_events = runner.fill_events(runner.cid("tp-1"), tp * step, D("101000"))
    sl_events = runner.fill_events(runner.cid("sl"), sl * step, D("99000")) if sl else []
    out = runner.feed(sl_events + tp_events if sl_first else tp_events + sl_events)
    if "fix" in algo.progress.children:
        assert view.signed_position < 0
        out += runner.feed(runner.fill_events(runner.cid("fix"), -view.signed_position, D("99000")))
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    filled = dict(re.findall(r"(tp-1|sl) ([0-9.]+)", out[-1].reason))
    assert D(filled["tp-1"]) == tp * step and D(filled["sl"]) == sl * step  # "sl 0" when none
    assert view.signed_position == 0 and runner.working() == {}


def test_exits_refused_before_the_position_shows_the_fill_are_sent_once_it_does(fakes: Any) -> None:
    """The entry's fill can reach the algo before the position update: the risk chain then
    refuses the reduce-only exits as "flat". They wait for the position and go again."""
    from core.orders.algos.base import ChildRejected, Tick

    algo = Bracket("b1", bracket_params(entry_type="market", entry_price=None, take_profits=[["96000", "1"]]))
    view, runner = started(fakes, algo)
    runner.track_position = False
    out = runner.feed(runner.fill_events(runner.cid("entry"), D("1"), D("95000")))
    exits = [a for a in out if isinstance(a, Place)]
    assert len(exits) == 2
    for action in exits:
        cid = runner.cid(action.tag)
        del view.orders[cid]
        runner.feed([ChildRejected(cid, "reduce_only", "reduce-only Sell 1 would open a position: flat")])
    assert [a for a in runner.feed([Tick(view.now_ms())]) if isinstance(a, Place)] == []
    view.set_position(D("1"))
    again = [a for a in runner.feed([Tick(view.now_ms())]) if isinstance(a, Place)]
    assert len(again) == 2 and all(a.request.reduce_only and a.request.qty == D("1") for a in again)
    assert status(algo) is AlgoState.RUNNING


def test_market_ticks_that_change_nothing_are_not_decided_again(fakes: Any, monkeypatch: Any) -> None:
    """A bracket's decisions read its children (changed by its own events) and the position (a
    new object on each change): a market tick with neither changed is answered without deciding."""
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    decided: list[AlgoEvent] = []
    real = algo._decide

    def counting(event: AlgoEvent, v: Any) -> list[Any]:
        decided.append(event)
        return real(event, v)

    monkeypatch.setattr(algo, "_decide", counting)
    for i in range(5):
        assert runner.feed([Tick(view.now + i)]) == []
    assert len(decided) == 1  # the first quiet tick only
    view.set_position(D(0))  # the trader closed it by hand: a new position object
    out = runner.feed([Tick(view.now + 9)])
    assert isinstance(out[-1], Finish) and out[-1].state is AlgoState.DONE
    assert len(decided) == 2


def test_a_hold_is_spent_by_one_tick_and_the_next_tick_decides_again(fakes: Any, monkeypatch: Any) -> None:
    """A refused change holds the bracket for one decision; the quiet tick that spends the hold
    must not stop the next tick from deciding (and trying the change again)."""
    algo = Oco("o1", oco_params())
    view, runner = started(fakes, algo, position="1")
    decided: list[AlgoEvent] = []
    real = algo._decide

    def counting(event: AlgoEvent, v: Any) -> list[Any]:
        decided.append(event)
        return real(event, v)

    monkeypatch.setattr(algo, "_decide", counting)
    algo.hold = True
    assert runner.feed([Tick(view.now + 1)]) == [] and not algo.hold
    runner.feed([Tick(view.now + 2)])
    assert len(decided) == 2  # decided again after the hold
    runner.feed([Tick(view.now + 3)])
    assert len(decided) == 2  # and quiet from then on
