"""Scale / ladder: the preview is exactly what is placed; totals, spacing, skew, minimums."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import OrderStatus, Side, TimeInForce
from core.orders.algos.base import AlgoState, Finish, Place
from core.orders.algos.scale import Scale

D = Decimal


def params(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "Buy",
        "total_qty": "1",
        "price_from": "95000",
        "price_to": "96000",
        "count": 10,
    }
    base.update(over)
    return base


def test_children_match_the_preview_exactly(fakes: Any) -> None:
    view = fakes.View()
    algo = Scale(
        "a1",
        params(
            spacing="geometric",
            skew="exp",
            skew_factor="1.3",
            randomize_price="0.5",
            randomize_qty="0.3",
            seed=7,
        ),
    )
    preview = algo.plan(view.inst)
    actions = algo.start(view)
    placed = [(a.tag, a.request.price, a.request.qty) for a in actions if isinstance(a, Place)]
    assert placed == [(ch.tag, ch.price, ch.qty) for ch in preview]
    assert len(placed) == 10
    assert algo.plan(view.inst) == preview  # pure: same answer every call
    assert all(
        a.request.side is Side.BUY and a.request.time_in_force is TimeInForce.GTC
        for a in actions
        if isinstance(a, Place)
    )


def test_linear_flat_ladder_is_even_and_sums_to_total(fakes: Any) -> None:
    children = Scale("a", params(count=5)).plan(fakes.instrument())
    assert [ch.price for ch in children] == [
        D("95000.0"),
        D("95250.0"),
        D("95500.0"),
        D("95750.0"),
        D("96000.0"),
    ]
    assert [ch.qty for ch in children] == [D("0.200")] * 5


def test_geometric_spacing_has_equal_ratios(fakes: Any) -> None:
    children = Scale(
        "a", params(count=3, price_from="100", price_to="400", spacing="geometric", side="Sell")
    ).plan(fakes.instrument())
    assert [ch.price for ch in children] == [D("100.0"), D("200.0"), D("400.0")]


@pytest.mark.parametrize(
    ("skew", "expect"),
    [
        ("up", ["0.166", "0.333", "0.501"]),
        ("down", ["0.501", "0.333", "0.166"]),
        ("flat", ["0.333", "0.333", "0.334"]),
    ],
)
def test_skew_shapes_sizes(fakes: Any, skew: str, expect: list[str]) -> None:
    children = Scale("a", params(count=3, skew=skew)).plan(fakes.instrument())
    assert [ch.qty for ch in children] == [D(x) for x in expect]


def test_exponential_skew_grows_by_the_factor(fakes: Any) -> None:
    children = Scale("a", params(count=3, total_qty="7", skew="exp", skew_factor="2")).plan(
        fakes.instrument()
    )
    assert [ch.qty for ch in children] == [D("1.000"), D("2.000"), D("4.000")]


@settings(max_examples=150, deadline=None)
@given(
    total=st.decimals(min_value=D("0.01"), max_value=D("50"), places=4),
    count=st.integers(min_value=1, max_value=30),
    lo=st.integers(min_value=1000, max_value=100000),
    width=st.integers(min_value=0, max_value=5000),
    spacing=st.sampled_from(["linear", "geometric"]),
    skew=st.sampled_from(["flat", "up", "down", "exp"]),
    rp=st.decimals(min_value=D(0), max_value=D(1), places=2),
    rq=st.decimals(min_value=D(0), max_value=D(1), places=2),
    seed=st.integers(min_value=0, max_value=2**31),
    side=st.sampled_from(["Buy", "Sell"]),
    reverse=st.booleans(),
)
def test_total_never_exceeded_prices_in_range_minimums_met(
    fakes: Any,
    total: Decimal,
    count: int,
    lo: int,
    width: int,
    spacing: str,
    skew: str,
    rp: Decimal,
    rq: Decimal,
    seed: int,
    side: str,
    reverse: bool,
) -> None:
    inst = fakes.instrument()
    p_from, p_to = D(lo), D(lo + width)
    if reverse:
        p_from, p_to = p_to, p_from
    algo = Scale(
        "a",
        params(
            total_qty=str(total),
            count=count,
            price_from=str(p_from),
            price_to=str(p_to),
            spacing=spacing,
            skew=skew,
            randomize_price=str(rp),
            randomize_qty=str(rq),
            seed=seed,
            side=side,
        ),
    )
    try:
        children = algo.plan(inst)
    except ValueError as exc:
        assert "min" in str(exc) or "qty step" in str(exc)
        return
    assert sum(ch.qty for ch in children) <= total
    assert (
        sum(ch.qty for ch in children)
        == (total / inst.qty_step).to_integral_value(rounding="ROUND_FLOOR") * inst.qty_step
    )
    for ch in children:
        assert min(p_from, p_to) <= ch.price <= max(p_from, p_to)
        assert ch.price % inst.tick_size == 0 and ch.qty % inst.qty_step == 0
        assert ch.qty >= inst.min_order_qty and ch.qty * ch.price >= inst.min_notional
    assert len({ch.tag for ch in children}) == len(children)


def test_children_below_minimums_are_merged(fakes: Any) -> None:
    inst = fakes.instrument(min_qty="0.01")
    children = Scale("a", params(total_qty="0.05", count=10)).plan(inst)
    assert sum(ch.qty for ch in children) == D("0.05")
    assert all(ch.qty >= D("0.01") for ch in children)
    assert len(children) < 10


def test_children_below_minimums_refused_with_a_clear_error(fakes: Any) -> None:
    inst = fakes.instrument(min_qty="0.01")
    algo = Scale("a", params(total_qty="0.05", count=10, on_min="refuse"))
    with pytest.raises(ValueError, match=r"level 1 at 95000.00: qty 0.005 < min qty 0.01"):
        algo.plan(inst)
    view = fakes.View(inst=inst)
    actions = algo.start(view)
    assert len(actions) == 1 and isinstance(actions[0], Finish)
    assert actions[0].state is AlgoState.FAILED and "min qty" in actions[0].reason


def test_min_notional_counts_unless_reduce_only(fakes: Any) -> None:
    inst = fakes.instrument(min_notional="100")
    with pytest.raises(ValueError, match="min notional"):
        Scale(
            "a", params(total_qty="0.001", count=1, price_from="50000", price_to="50000", on_min="refuse")
        ).plan(inst)
    ro = Scale(
        "a",
        params(
            total_qty="0.001",
            count=1,
            price_from="50000",
            price_to="50000",
            on_min="refuse",
            reduce_only=True,
        ),
    ).plan(inst)
    assert [ch.qty for ch in ro] == [D("0.001")]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"count": 0}, "count: must be >= 1"),
        ({"total_qty": "-1"}, "total_qty: must be > 0"),
        ({"spacing": "log"}, "spacing: 'log' is not one of linear, geometric"),
        ({"skew": "x"}, "skew:"),
        ({"randomize_price": "2"}, "randomize_price: must be between 0 and 1"),
        ({"side": "long"}, "side:"),
        ({"price_from": "abc"}, "price_from:"),
        ({"on_min": "drop"}, "on_min:"),
        ({"reduce_only": "yes"}, "reduce_only:"),
    ],
)
def test_bad_parameters_are_named(over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scale.from_params("a", params(**over))


def test_done_when_every_level_is_over_with_fills_counted_once(fakes: Any) -> None:
    view = fakes.View()
    algo = Scale("a", params(count=3))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    assert algo.status is AlgoState.RUNNING
    ev = runner.fill_events(runner.cid("L1"), D("0.333"), D("95000"))
    assert runner.feed(ev + ev[:1]) == []  # the fill repeated is counted once
    assert algo.progress.filled == D("0.333")
    runner.feed([runner.update_event(runner.cid("L2"), OrderStatus.CANCELLED)])
    out = runner.feed(runner.fill_events(runner.cid("L3"), D("0.334"), D("96000")))
    assert out == [Finish(AlgoState.DONE, "2/3 levels filled, 0.667/1.000")]
    assert algo.progress.avg_price == (D("0.333") * 95000 + D("0.334") * 96000) / D("0.667")


def _run_scale_events(fakes: Any, split: int, seed: int) -> None:
    view = fakes.View()
    algo = Scale("a", params(count=4, randomize_qty="0.2", seed=seed))
    runner = fakes.Runner(view, [algo])
    runner.apply(algo.start(view))
    tags = ["L1", "L2", "L3", "L4"]
    steps: list[Any] = []
    for tag in tags:
        cid = runner.cid(tag)
        steps.append(lambda cid=cid: runner.fill_events(cid, view.orders[cid].qty, D("95500")))
    for i, step in enumerate(steps):
        if i == split:
            twin = Scale.from_params("a", fakes.round_trip(algo.params()))
            twin.restore(fakes.round_trip(algo.state()))
            assert twin.state() == algo.state()
            runner.algos.append(twin)
        events = step()
        for event in events:
            got = algo.on_event(event, view)
            if len(runner.algos) > 1:
                assert runner.algos[1].on_event(event, view) == got
            runner.apply(got)
    assert algo.status is AlgoState.DONE


@settings(max_examples=20, deadline=None)
@given(split=st.integers(min_value=0, max_value=3), seed=st.integers(min_value=0, max_value=1000))
def test_state_restore_round_trip_gives_the_same_decisions(fakes: Any, split: int, seed: int) -> None:
    _run_scale_events(fakes, split, seed)
