"""TWAP: the schedule (times and sizes, seeded randomisation, exact sum), completion within
tolerance, catch-up of rejected slices (bounded), maker slices chased then carried or taken,
the timeout rules; state/restore round-trip property."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import OrderStatus, OrderType, TimeInForce
from core.orders.algos.base import (
    Action,
    AlgoEvent,
    AlgoState,
    Amend,
    Cancel,
    ChildRejected,
    Finish,
    Place,
    Tick,
)
from core.orders.algos.twap import Twap

D = Decimal
MINUTE = 60_000


def make(**over: Any) -> Twap:
    params: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "1.000",
        "duration_ms": 10 * MINUTE,
        "slices": 10,
    }
    params.update(over)
    return Twap.from_params("t1", params)


def started(fakes: Any, **over: Any) -> tuple[Any, Any, Twap]:
    view = fakes.View()
    algo = make(**over)
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    return view, runner, algo


def places(actions: list[Any]) -> list[Place]:
    return [a for a in actions if isinstance(a, Place)]


def fill_all_open(runner: Any, price: Decimal) -> None:
    for tag, order in list(runner.working().items()):
        runner.feed(runner.fill_events(runner.cid(tag), order.leaves_qty, price))


def test_even_schedule(fakes: Any) -> None:
    view, _, algo = started(fakes)
    t0 = view.now
    assert algo.schedule == [(t0 + k * MINUTE, D("0.100")) for k in range(10)]


def test_randomised_schedule_is_seeded_bounded_and_sums_exactly(fakes: Any) -> None:
    view, _, a = started(fakes, qty="1.003", size_jitter_pct="30", time_jitter_pct="40", seed=42)
    _, _, b = started(fakes, qty="1.003", size_jitter_pct="30", time_jitter_pct="40", seed=42)
    assert a.schedule == b.schedule
    sizes = [q for _, q in a.schedule]
    times = [t for t, _ in a.schedule]
    assert sum(sizes) == D("1.003")
    assert len(set(sizes)) > 1
    assert all(q == q.quantize(D("0.001")) and q >= 0 for q in sizes)
    assert all(abs(q - a.base) <= a.base * D("0.6") + D("0.011") for q in sizes)
    assert times == sorted(times) and times[0] == view.now and times[-1] < view.now + 10 * MINUTE
    for k, t in enumerate(times[1:], start=1):
        assert abs(t - (view.now + k * MINUTE)) <= MINUTE * 4 // 10
    _, _, c = started(fakes, qty="1.003", size_jitter_pct="30", time_jitter_pct="40", seed=43)
    assert c.schedule != a.schedule


def test_taker_slices_at_their_times_and_completes(fakes: Any) -> None:
    view, runner, algo = started(fakes)
    for k in range(10):
        (place,) = places(runner.sent[-3:])
        assert place.request.order_type is OrderType.MARKET
        assert place.request.qty == D("0.100")
        assert algo.progress.note == f"slice {k + 1}/10"
        fill_all_open(runner, D("100000"))
        if algo.status.terminal:
            break
        view.now += MINUTE
        runner.feed([Tick(view.now)])
    assert algo.status is AlgoState.DONE
    assert algo.progress.filled == D("1.000")
    assert len(places(runner.sent)) == 10


def test_limit_guard_makes_taker_slices_ioc_at_the_limit(fakes: Any) -> None:
    _, runner, _ = started(fakes, limit_price="100010.0")
    (place,) = places(runner.sent)
    assert place.request.time_in_force is TimeInForce.IOC
    assert place.request.price == D("100010.0")


def test_rejected_slices_are_caught_up_but_bounded(fakes: Any) -> None:
    view, runner, algo = started(fakes, max_catch_up="2")
    for _ in range(3):  # slices 1..3 rejected
        (place,) = places(runner.sent[-3:])
        runner.update_event(runner.cid(place.tag), OrderStatus.REJECTED)
        runner.feed([ChildRejected(runner.cid(place.tag), "risk", "exposure")])
        view.now += MINUTE
        runner.feed([Tick(view.now)])
    # slice 4 wants 0.1 + 0.3 missed, capped at 2 x 0.1
    (place,) = places(runner.sent[-3:])
    assert place.request.qty == D("0.200")
    fill_all_open(runner, D("100000"))
    view.now += MINUTE
    runner.feed([Tick(view.now)])
    (place,) = places(runner.sent[-3:])
    assert place.request.qty == D("0.200")  # the rest of the backlog
    while not algo.status.terminal:
        fill_all_open(runner, D("100000"))
        view.now += MINUTE
        runner.feed([Tick(view.now)])
    assert algo.progress.filled == D("1.000")
    assert max(p.request.qty for p in places(runner.sent)) <= D("0.200")


def test_partial_ioc_fills_complete_within_tolerance_by_the_end(fakes: Any) -> None:
    view, runner, algo = started(fakes, limit_price="100010.0")
    end = view.now + 10 * MINUTE
    while view.now < end and not algo.status.terminal:
        for tag, order in list(runner.working().items()):
            half = (order.leaves_qty / 2).quantize(D("0.001"))
            runner.feed(runner.fill_events(runner.cid(tag), half, D("100005")))
            runner.feed([runner.update_event(runner.cid(tag), OrderStatus.CANCELLED)])
        view.now += MINUTE
        runner.feed([Tick(view.now)])
    # the final catch-up fills fully
    fill_all_open(runner, D("100005"))
    assert algo.status is AlgoState.DONE
    assert algo.progress.filled == D("1.000")


@pytest.mark.parametrize("leftover", ["carry", "take"])
def test_maker_slice_chases_then_carries_or_takes_the_rest(fakes: Any, leftover: str) -> None:
    view, runner, _ = started(fakes, mode="maker", leftover=leftover, limit_price="100000.2")
    (place,) = places(runner.sent)
    cid = runner.cid(place.tag)
    assert place.request.time_in_force is TimeInForce.POST_ONLY
    assert place.request.price == view.bid
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid += D("0.1")
    view.now += 1000
    assert runner.feed([Tick(view.now)]) == [Amend(cid, price=view.bid)]
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    view.bid += D("0.5")  # beyond the guard: rests at the limit
    view.now += 1000
    assert runner.feed([Tick(view.now)]) == [Amend(cid, price=D("100000.2"))]
    runner.feed([runner.update_event(cid, OrderStatus.NEW)])
    runner.feed(runner.fill_events(cid, D("0.040"), D("100000.2")))
    view.now = runner.algos[0].start_ms + MINUTE
    assert Cancel(cid) in runner.feed([Tick(view.now)])
    out = runner.feed([runner.update_event(cid, OrderStatus.CANCELLED)])
    new = places(out)
    if leftover == "carry":
        assert [(p.request.qty, p.request.time_in_force) for p in new] == [
            (D("0.160"), TimeInForce.POST_ONLY)
        ]
    else:
        assert [(p.request.qty, p.request.time_in_force) for p in new] == [
            (D("0.060"), TimeInForce.IOC),
            (D("0.100"), TimeInForce.POST_ONLY),
        ]
    assert all(p.request.price == D("100000.2") for p in new)


def test_maker_post_only_cancel_is_placed_again_within_the_slice(fakes: Any) -> None:
    view, runner, _ = started(fakes, mode="maker")
    (place,) = places(runner.sent)
    view.bid -= D("0.3")
    out = runner.feed([runner.update_event(runner.cid(place.tag), OrderStatus.CANCELLED)])
    (again,) = places(out)
    assert again.request.price == view.bid and again.request.qty == D("0.100")


@pytest.mark.parametrize("on_timeout", ["market", "stop"])
def test_timeout_rules(fakes: Any, on_timeout: str) -> None:
    view, runner, algo = started(fakes, mode="maker", on_timeout=on_timeout, slices=2)
    while view.now < algo.end_ms:
        for tag in list(runner.working()):
            runner.feed([runner.update_event(runner.cid(tag), OrderStatus.NEW)])
        view.now += MINUTE
        out = runner.feed([Tick(view.now)])
        for c in [a for a in out if isinstance(a, Cancel)]:
            runner.feed([runner.update_event(c.child_id, OrderStatus.CANCELLED)])
    last = runner.sent[-1]
    if on_timeout == "stop":
        assert isinstance(last, Finish) and last.state is AlgoState.DONE and "stopped" in last.reason
        assert algo.progress.filled == 0
        return
    assert isinstance(last, Place) and last.request.order_type is OrderType.MARKET
    assert last.request.qty == D("1.000")
    fill_all_open(runner, D("100001"))
    assert algo.status is AlgoState.DONE


@pytest.mark.parametrize(
    ("over", "name"),
    [
        ({"slices": 0}, "slices"),
        ({"duration_ms": 5}, "duration_ms"),
        ({"size_jitter_pct": "51"}, "size_jitter_pct"),
        ({"mode": "vwap"}, "mode"),
        ({"leftover": "drop"}, "leftover"),
        ({"on_timeout": "wait"}, "on_timeout"),
        ({"max_catch_up": "0.5"}, "max_catch_up"),
        ({"limit_price": "0"}, "limit_price"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make(**over)


# --- state / restore --------------------------------------------------------------------------
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.integers(-5, 5)),
        st.tuples(st.just("time"), st.integers(0, 3 * MINUTE)),
        st.tuples(st.just("fill"), st.integers(1, 4)),
        st.tuples(st.just("ack"), st.just(0)),
        st.tuples(st.just("venue_cancel"), st.just(0)),
        st.tuples(st.just("reject"), st.just(0)),
    ),
    min_size=1,
    max_size=30,
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
    if kind == "move":
        view.bid += n * D("0.1")
        view.ask = view.bid + D("0.1")
        return feed(runner, [Tick(view.now)])
    if kind == "time":
        view.now += n
        return feed(runner, [Tick(view.now)])
    open_tags = list(runner.working())
    if not open_tags:
        return []
    cid = runner.cid(open_tags[-1])
    order = view.orders[cid]
    if kind == "fill":
        qty = max(D("0.001"), (order.leaves_qty * n / 4).quantize(D("0.001")))
        return feed(runner, runner.fill_events(cid, min(qty, order.leaves_qty), view.bid))
    if kind == "ack":
        return feed(runner, [runner.update_event(cid, order.status)])
    if kind == "venue_cancel":
        return feed(runner, [runner.update_event(cid, OrderStatus.CANCELLED)])
    runner.update_event(cid, OrderStatus.REJECTED)
    return feed(runner, [ChildRejected(cid, "risk", "test")])


@settings(max_examples=60, deadline=None)
@given(
    ops=OPS,
    split=st.integers(0, 30),
    mode=st.sampled_from(["maker", "taker"]),
    leftover=st.sampled_from(["carry", "take"]),
    seed=st.integers(0, 100),
)
def test_restore_mid_run_gives_the_same_next_decisions(
    fakes: Any, ops: list[tuple[str, int]], split: int, mode: str, leftover: str, seed: int
) -> None:
    over = {
        "mode": mode,
        "leftover": leftover,
        "seed": seed,
        "size_jitter_pct": "20",
        "time_jitter_pct": "20",
    }
    view, ra, a = started(fakes, **over)
    k = min(split, len(ops))
    for op in ops[:k]:
        drive(ra, op)
    b = Twap.from_params("t1", fakes.round_trip(a.params()))
    b.restore(fakes.round_trip(a.state()))
    rb = fakes.Runner(copy.deepcopy(view), [b], seq=ra.seq, exec_seq=ra.exec_seq)
    for op in ops[k:]:
        assert drive(ra, op) == drive(rb, op)
        assert a.progress.filled <= a.qty
    assert fakes.round_trip(a.state()) == fakes.round_trip(b.state())
