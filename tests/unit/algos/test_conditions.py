"""Condition language: Kleene truth tables, crosses need a side change (hypothesis), SMA against a
hand-computed value, time on a virtual clock, order filled, position, describe()'s grouping,
validation naming the field, to_dict/from_dict round trip (hypothesis)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.candles import Candle
from core.model import Order, OrderStatus, OrderType, Side
from core.orders.algos import conditions as C

D = Decimal
SYM = "BTCUSDT"
T, F, U = True, False, None
VALUES = (T, F, U)


@dataclass(frozen=True, slots=True)
class Fixed(C.Condition):
    """A leaf whose truth a test sets."""

    kind: ClassVar[str] = "fixed"
    value: C.Truth
    name: str = "x"

    def evaluate(self, ctx: C.EvalContext, path: str) -> C.Truth:
        return self.value

    def describe(self, symbol: str | None = None) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


@pytest.fixture
def view(fakes: Any) -> Any:
    v = fakes.View()
    v.bars = []

    def candles(symbol: str, timeframe: str, n: int) -> Sequence[Candle]:
        bars: list[Candle] = v.bars
        return bars[-n:]

    v.candles = candles
    return v


def ev(cond: C.Condition, view: Any, memory: dict[str, bool] | None = None, **kw: Any) -> C.Truth:
    return C.evaluate(cond, view, memory or {}, **kw)[0]


# --- Kleene logic ---------------------------------------------------------------------------
AND_TABLE = {
    (T, T): T, (T, F): F, (T, U): U,
    (F, T): F, (F, F): F, (F, U): F,
    (U, T): U, (U, F): F, (U, U): U,
}  # fmt: skip
OR_TABLE = {
    (T, T): T, (T, F): T, (T, U): T,
    (F, T): T, (F, F): F, (F, U): U,
    (U, T): T, (U, F): U, (U, U): U,
}  # fmt: skip


@pytest.mark.parametrize(("a", "b"), list(itertools.product(VALUES, VALUES)))
def test_and_or_truth_tables(view: Any, a: C.Truth, b: C.Truth) -> None:
    assert C.kleene_and([a, b]) is AND_TABLE[(a, b)]
    assert C.kleene_or([a, b]) is OR_TABLE[(a, b)]
    assert ev(C.AllOf((Fixed(a), Fixed(b))), view) is AND_TABLE[(a, b)]
    assert ev(C.AnyOf((Fixed(a), Fixed(b))), view) is OR_TABLE[(a, b)]


@given(st.lists(st.sampled_from(VALUES), min_size=1, max_size=6))
def test_n_ary_is_the_fold_of_the_binary_table(values: list[C.Truth]) -> None:
    and_acc, or_acc = values[0], values[0]
    for v in values[1:]:
        and_acc, or_acc = AND_TABLE[(and_acc, v)], OR_TABLE[(or_acc, v)]
    assert C.kleene_and(values) is and_acc
    assert C.kleene_or(values) is or_acc


def test_nested_groups_evaluate_with_unknowns(view: Any) -> None:
    tree = C.AnyOf((C.AllOf((Fixed(T), Fixed(U))), Fixed(F)))
    assert ev(tree, view) is U
    assert ev(C.AnyOf((C.AllOf((Fixed(T), Fixed(U))), Fixed(T))), view) is T
    assert ev(C.AllOf((C.AnyOf((Fixed(F), Fixed(U))), Fixed(F))), view) is F


# --- price: is / crosses --------------------------------------------------------------------
def test_is_above_and_below_use_the_chosen_price_type(view: Any) -> None:
    view.set_price(D("96000"), "mark")
    view.set_price(D("95000"), "last")
    assert ev(C.PriceCond(SYM, "above", D("96000")), view) is T
    assert ev(C.PriceCond(SYM, "above", D("96000"), "last"), view) is F
    assert ev(C.PriceCond(SYM, "below", D("95000"), "last"), view) is T
    assert ev(C.PriceCond(SYM, "above", D("96000"), "index"), view) is U  # no index price yet


def test_a_cross_needs_a_previous_observation_on_the_other_side(view: Any) -> None:
    cond = C.PriceCond(SYM, "crosses_above", D("96000"))
    memory: dict[str, bool] = {}
    seen = []
    for price in ("97000", "97500", "95000", None, "96000", "96500"):
        view.prices.pop("mark", None)
        if price is not None:
            view.set_price(D(price))
        truth, memory = C.evaluate(cond, view, memory)
        seen.append(truth)
    # already above at first: unknown, then no change; below; no price; through the level
    assert seen == [U, F, F, U, T, F]
    assert memory == {C.ROOT: True}


def crossings(prices: list[int], level: int, up: bool) -> list[C.Truth]:
    """The expected answer: True exactly where the previous price was on the other side."""
    on = [(p >= level) if up else (p <= level) for p in prices]
    return [U] + [on[i] and not on[i - 1] for i in range(1, len(on))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(95_990, 96_010), min_size=1, max_size=30),
    st.booleans(),
)
def test_cross_fires_exactly_at_the_first_observation_on_the_other_side(
    fakes: Any, prices: list[int], up: bool
) -> None:
    view = fakes.View()
    cond = C.AllOf((C.PriceCond(SYM, "crosses_above" if up else "crosses_below", D(96_000)),))
    memory: dict[str, bool] = {}
    seen = []
    for price in prices:
        view.set_price(D(price))
        truth, memory = C.evaluate(cond, view, memory)
        seen.append(truth)
    assert seen == crossings(prices, 96_000, up)
    if T in seen:
        first = seen.index(T)
        other = [(p < 96_000) if up else (p > 96_000) for p in prices[:first]]
        assert other[-1] and all(not o or i < first for i, o in enumerate(other))


def test_evaluate_does_not_change_the_memory_it_is_given(view: Any) -> None:
    view.set_price(D("1"))
    memory: dict[str, bool] = {}
    _, after = C.evaluate(C.PriceCond(SYM, "crosses_below", D("2")), view, memory)
    assert memory == {} and after == {C.ROOT: True}


# --- SMA ------------------------------------------------------------------------------------
def bar(i: int, close: float) -> Candle:
    return Candle(start_ms=i * 60_000, open=close, high=close, low=close, close=close)


def test_sma_matches_a_hand_computed_value(view: Any) -> None:
    view.bars = [bar(i, x) for i, x in enumerate([90000.0, 95000.5, 95001.25, 95002.0])]
    cond = C.SmaCond(SYM, "above", 3, "1m")
    # (95000.5 + 95001.25 + 95002.0) / 3 = 285003.75 / 3 = 95001.25 (the oldest bar is out)
    assert cond.sma(view) == D("95001.25")
    view.set_price(D("95001.25"), "last")
    assert ev(cond, view) is T
    assert ev(replace(cond, op="below"), view) is T
    view.set_price(D("95001.2"), "last")
    assert ev(cond, view) is F


def test_sma_is_unknown_without_enough_candles_and_crosses_like_a_price(view: Any) -> None:
    cond = C.SmaCond(SYM, "crosses_below", 2, "5m")
    view.set_price(D("101"), "last")
    view.bars = [bar(0, 100.0)]
    assert ev(cond, view) is U
    view.bars = [bar(0, 100.0), bar(1, 100.0)]
    truth, memory = C.evaluate(cond, view, {})
    assert truth is U  # first observation
    view.set_price(D("99"), "last")
    assert C.evaluate(cond, view, memory)[0] is T


# --- time, order filled, position -----------------------------------------------------------
def test_time_reached_on_a_virtual_clock(view: Any) -> None:
    cond = C.TimeCond(1_800_000_000_000)
    view.now = 1_799_999_999_999
    assert ev(cond, view) is F
    view.now += 1
    assert ev(cond, view) is T
    assert cond.wake_times() == [1_800_000_000_000]


def order(cid: str, status: OrderStatus, filled: str = "0") -> Order:
    return Order(SYM, Side.BUY, OrderType.LIMIT, D("1"), D("100"), cid, status=status, filled_qty=D(filled))


def test_order_filled_fully_or_any_fill(view: Any) -> None:
    full, anyfill = C.OrderFilledCond("tc-1"), C.OrderFilledCond("tc-1", "any")
    assert ev(full, view) is U and ev(anyfill, view) is U  # not known yet
    view.orders["tc-1"] = order("tc-1", OrderStatus.PARTIALLY_FILLED, "0.4")
    assert ev(full, view) is F and ev(anyfill, view) is T
    view.orders["tc-1"] = order("tc-1", OrderStatus.FILLED, "1")
    truth, memory = C.evaluate(full, view, {})
    assert truth is T
    del view.orders["tc-1"]  # the engine forgot it: a fill seen stays seen
    assert C.evaluate(full, view, memory)[0] is T
    assert ev(full, view, orders={"tc-1": order("tc-1", OrderStatus.FILLED, "1")}) is T


def test_order_cancelled_without_fill_is_false(view: Any) -> None:
    view.orders["tc-2"] = order("tc-2", OrderStatus.CANCELLED)
    assert ev(C.OrderFilledCond("tc-2", "any"), view) is F


@pytest.mark.parametrize(
    ("signed", "op", "size", "want"),
    [
        ("0.5", "size_above", "0.5", T),
        ("-0.5", "size_above", "0.6", F),
        ("-0.5", "size_below", "0.5", T),
        ("0", "size_below", "0", T),
        ("1", "long", None, T),
        ("-1", "long", None, F),
        ("-1", "short", None, T),
        ("0", "flat", None, T),
        ("1", "flat", None, F),
    ],
)
def test_position_conditions(view: Any, signed: str, op: str, size: str | None, want: bool) -> None:
    view.set_position(D(signed))
    assert ev(C.PositionCond(SYM, op, None if size is None else D(size)), view) is want


def test_no_position_counts_as_flat(view: Any) -> None:
    view.pos = None
    assert ev(C.PositionCond(SYM, "flat"), view) is T
    assert ev(C.PositionCond(SYM, "size_above", D("0.001")), view) is F


# --- describe -------------------------------------------------------------------------------
def test_describe_shows_the_grouping() -> None:
    tree = C.AnyOf(
        (
            C.AllOf((C.PriceCond(SYM, "above", D("96000")), C.TimeCond(1_796_040_000_000))),
            C.OrderFilledCond("tc-1"),
        )
    )
    assert tree.describe(SYM) == "(mark >= 96000 AND time >= 2026-11-30 12:00Z) OR order tc-1 filled"
    flipped = C.AllOf((C.PriceCond(SYM, "above", D("96000")), C.AnyOf((Fixed(T, "a"), Fixed(T, "b")))))
    assert flipped.describe(SYM) == "mark >= 96000 AND (a OR b)"
    assert C.AllOf((C.AnyOf((Fixed(T, "a"),)), Fixed(T, "b"))).describe() == "a AND b"


def test_describe_each_leaf() -> None:
    assert C.PriceCond("ETHUSDT", "crosses_below", D("3000"), "last").describe(SYM) == (
        "ETHUSDT last crosses below 3000"
    )
    assert C.SmaCond(SYM, "crosses_above", 20, "5m").describe(SYM) == "last crosses above SMA(20, 5m)"
    assert C.PositionCond(SYM, "size_above", D("0.5")).describe(SYM) == "position size >= 0.5"
    assert C.PositionCond("ETHUSDT", "flat").describe(SYM) == "position ETHUSDT flat"
    assert C.OrderFilledCond("tc-9", "any").describe() == "order tc-9 has any fill"
    assert C.TimeCond(1_796_040_001_500).describe() == "time >= 2026-11-30 12:00:01.500Z"


# --- validation and plain data --------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "condition: required"),
        ({"kind": "nope"}, "condition.kind: 'nope' is not one of"),
        ({"kind": "and", "conditions": []}, "condition.conditions: required"),
        ({"kind": "or", "conditions": [{"kind": "price", "symbol": SYM, "op": "up", "level": "1"}]},
         "condition.conditions[0].op: 'up'"),
        ({"kind": "price", "symbol": SYM, "op": "above", "level": "-1"}, "condition.level: must be > 0"),
        ({"kind": "price", "symbol": "", "op": "above", "level": "1"}, "condition.symbol: required"),
        ({"kind": "price", "symbol": SYM, "op": "above", "level": "1", "price_type": "bid"},
         "condition.price_type: 'bid'"),
        ({"kind": "time", "at_ms": "noon"}, "condition.at_ms: required (an integer)"),
        ({"kind": "order_filled", "client_order_id": "x", "mode": "half"}, "condition.mode: 'half'"),
        ({"kind": "position", "symbol": SYM, "op": "size_above"}, "condition.size: required for size_above"),
        ({"kind": "position", "symbol": SYM, "op": "flat", "size": "1"}, "condition.size: only for"),
        ({"kind": "sma", "symbol": SYM, "op": "above", "length": 0, "timeframe": "1m"},
         "condition.length: must be an integer from 1"),
        ({"kind": "sma", "symbol": SYM, "op": "above", "length": 5, "timeframe": "7m"},
         "condition.timeframe: '7m'"),
    ],
)  # fmt: skip
def test_validation_names_the_field(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r"^" + re.escape(message)):
        C.from_dict(raw)


def test_construction_validates_too() -> None:
    with pytest.raises(ValueError, match="level"):
        C.PriceCond(SYM, "above", D("NaN"))
    with pytest.raises(ValueError, match="conditions"):
        C.AllOf(())


symbols = st.sampled_from([SYM, "ETHUSDT"])
levels = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)
leaves = st.one_of(
    st.builds(C.PriceCond, symbols, st.sampled_from(C.LEVEL_OPS), levels, st.sampled_from(C.PRICE_TYPES)),
    st.builds(C.TimeCond, st.integers(0, 4_000_000_000_000)),
    st.builds(C.OrderFilledCond, st.sampled_from(["tc-1", "abc-2"]), st.sampled_from(C.FILL_MODES)),
    st.builds(C.PositionCond, symbols, st.just("size_below"), levels),
    st.builds(C.PositionCond, symbols, st.sampled_from(["long", "short", "flat"])),
    st.builds(
        C.SmaCond, symbols, st.sampled_from(C.LEVEL_OPS), st.integers(1, 200), st.sampled_from(["1m", "1h"])
    ),
)
trees = st.recursive(
    leaves,
    lambda kids: (
        st.builds(C.AllOf, st.lists(kids, min_size=1, max_size=3).map(tuple))
        | st.builds(C.AnyOf, st.lists(kids, min_size=1, max_size=3).map(tuple))
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_to_dict_from_dict_round_trip(fakes: Any, tree: C.Condition) -> None:
    data = fakes.round_trip(tree.to_dict())
    back = C.from_dict(data)
    assert back == tree
    assert back.describe(SYM) == tree.describe(SYM)
    assert back.to_dict() == data
