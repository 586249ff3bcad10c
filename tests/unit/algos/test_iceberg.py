"""Iceberg: one clip of at most the display qty works at a time, refilled after each fill until
the total is done; the visible qty never exceeds the display (property); state round-trips."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import OrderStatus
from core.orders.algos.base import Action, AlgoEvent, AlgoState, ChildRejected, Finish, Place, Tick
from core.orders.algos.iceberg import Iceberg

D = Decimal
PRICE = D("99990.0")


def make(**over: Any) -> Iceberg:
    params: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "qty": "0.100",
        "price": str(PRICE),
        "display": "0.030",
    }
    params.update(over)
    return Iceberg.from_params("i1", params)


def started(fakes: Any, **over: Any) -> tuple[Any, Any, Iceberg]:
    view = fakes.View()
    algo = make(**over)
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    return view, runner, algo


def visible(runner: Any) -> Decimal:
    return sum((o.leaves_qty for o in runner.working().values()), D(0))


def test_refills_after_each_clip_until_done(fakes: Any) -> None:
    view, runner, algo = started(fakes)
    sizes = []
    for _ in range(10):
        if algo.status.terminal:
            break
        (tag, order), *_ = runner.working().items()
        sizes.append(order.qty)
        assert order.price == PRICE
        runner.feed(runner.fill_events(runner.cid(tag), order.qty, PRICE))
    assert sizes == [D("0.030"), D("0.030"), D("0.030"), D("0.010")]
    assert isinstance(runner.sent[-1], Finish) and algo.status is AlgoState.DONE
    assert algo.progress.filled == D("0.100")


def test_partial_fill_keeps_the_clip_working(fakes: Any) -> None:
    _, runner, _ = started(fakes)
    cid = runner.cid("clip-1")
    assert runner.feed(runner.fill_events(cid, D("0.010"), PRICE)) == []
    assert visible(runner) == D("0.020")


def test_randomised_clips_stay_within_display(fakes: Any) -> None:
    _, runner, algo = started(fakes, display_jitter_pct="40", seed=7, qty="1.000")
    seen = set()
    while not algo.status.terminal:
        (tag, order), *_ = runner.working().items()
        assert D("0.018") <= order.qty <= D("0.030") or order.qty == algo.qty - algo.progress.filled
        seen.add(order.qty)
        runner.feed(runner.fill_events(runner.cid(tag), order.qty, PRICE))
    assert len(seen) > 1 and algo.progress.filled == D("1.000")


@pytest.mark.parametrize(
    ("over", "name"),
    [
        ({"display": "0.2"}, "display"),
        ({"display_jitter_pct": "60"}, "display_jitter_pct"),
        ({"price": "-1"}, "price"),
        ({"seed": -1}, "seed"),
        ({"post_only": "yes"}, "post_only"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make(**over)


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("fill"), st.integers(1, 4)),
        st.tuples(st.just("ack"), st.just(0)),
        st.tuples(st.just("venue_cancel"), st.just(0)),
        st.tuples(st.just("reject"), st.just(0)),
        st.tuples(st.just("tick"), st.integers(0, 1000)),
    ),
    min_size=1,
    max_size=40,
)


def feed(runner: Any, events: Iterable[AlgoEvent]) -> list[Action]:
    """What the algo asks for on ``events``, applied by the fake runner."""
    actions: list[Action] = runner.feed(events)
    return actions


def drive(runner: Any, op: tuple[str, int]) -> list[Action]:
    """One child event or tick on the newest child, fed to the algo."""
    view = runner.view
    kind, n = op
    algo = runner.algos[0]
    if algo.status.terminal:
        return []
    if kind == "tick":
        view.now += n
        return feed(runner, [Tick(view.now)])
    tags = list(algo.progress.children)
    if not tags:
        return []
    cid = runner.cid(tags[-1])
    order = view.orders[cid]
    if not order.is_open:
        return []
    if kind == "fill":
        qty = max(D("0.001"), (order.leaves_qty * n / 4).quantize(D("0.001")))
        return feed(runner, runner.fill_events(cid, min(qty, order.leaves_qty), PRICE))
    if kind == "ack":
        return feed(runner, [runner.update_event(cid, order.status)])
    if kind == "venue_cancel":
        return feed(runner, [runner.update_event(cid, OrderStatus.CANCELLED)])
    runner.update_event(cid, OrderStatus.REJECTED)
    return feed(runner, [ChildRejected(cid, "risk", "test")])


@settings(max_examples=150, deadline=None)
@given(ops=OPS, jitter=st.sampled_from(["0", "25", "50"]), seed=st.integers(0, 1000))
def test_visible_qty_never_exceeds_display(
    fakes: Any, ops: list[tuple[str, int]], jitter: str, seed: int
) -> None:
    _, runner, algo = started(fakes, display_jitter_pct=jitter, seed=seed, max_rejects=100)
    for op in ops:
        drive(runner, op)
        assert visible(runner) <= algo.display
        assert algo.visible_qty() <= algo.display
        assert algo.progress.filled <= algo.qty
        for action in runner.sent:
            if isinstance(action, Place):
                assert action.request.qty <= algo.display


@settings(max_examples=60, deadline=None)
@given(ops=OPS, split=st.integers(0, 40), seed=st.integers(0, 1000))
def test_restore_mid_run_gives_the_same_next_decisions(
    fakes: Any, ops: list[tuple[str, int]], split: int, seed: int
) -> None:
    view, ra, a = started(fakes, display_jitter_pct="30", seed=seed, max_rejects=2)
    k = min(split, len(ops))
    for op in ops[:k]:
        drive(ra, op)
    b = Iceberg.from_params("i1", fakes.round_trip(a.params()))
    b.restore(fakes.round_trip(a.state()))
    rb = fakes.Runner(copy.deepcopy(view), [b], seq=ra.seq, exec_seq=ra.exec_seq)
    for op in ops[k:]:
        assert drive(ra, op) == drive(rb, op)
    assert fakes.round_trip(a.state()) == fakes.round_trip(b.state())
