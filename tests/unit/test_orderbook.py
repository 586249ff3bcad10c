"""Order book: snapshot + delta continuity, BBO tracking, stale handling; fed the Bybit adapter's
translation of each frame (checked float levels), as the product feeds it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.decode import BookFrame, decode_public
from core.market.orderbook import OrderBook
from core.venues.base import BookSnapshot
from core.venues.bybit import parse
from core.venues.values import BadValue

SYM = "BTCUSDT"
TICK = Decimal("0.1")
MID = Decimal("65000.0")


def px(ticks: int) -> str:
    return str(MID + TICK * ticks)


def frame(
    kind: str, bids: list[list[str]], asks: list[list[str]], u: int, seq: int = 0, ts: int = 0
) -> dict[str, Any]:
    return {
        "topic": f"orderbook.50.{SYM}",
        "type": kind,
        "ts": ts,
        "data": {"s": SYM, "b": bids, "a": asks, "u": u, "seq": seq},
        "cts": ts,
    }


def apply(book: OrderBook, msg: dict[str, Any]) -> bool:
    """The Bybit adapter's translation of ``msg`` (it checks every level), applied to ``book``."""
    event = parse.book_frame(SYM, msg)
    if isinstance(event, BookSnapshot):
        return book.apply_snapshot(event.bids, event.asks, event.seq, event.cross_seq, event.ts_ms)
    return book.apply_delta(event.bids, event.asks, event.seq, event.cross_seq, event.ts_ms)


class RefBook:
    """Reference model on exact Decimals."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def snapshot(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        # last occurrence of a price wins, then zero sizes are dropped
        self.bids = {p: s for p, s in {Decimal(p): Decimal(s) for p, s in bids}.items() if s != 0}
        self.asks = {p: s for p, s in {Decimal(p): Decimal(s) for p, s in asks}.items() if s != 0}

    def delta(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for p, s in levels:
                if Decimal(s) == 0:
                    side.pop(Decimal(p), None)
                else:
                    side[Decimal(p)] = Decimal(s)


def as_decimal(book: OrderBook) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    b, a = book.levels()
    return (
        {Decimal(repr(p)): Decimal(repr(s)) for p, s in b.items()},
        {Decimal(repr(p)): Decimal(repr(s)) for p, s in a.items()},
    )


sizes = st.sampled_from(["0", "0", "0.001", "0.5", "1.234", "10", "250.75"])
bid_levels = st.lists(st.tuples(st.integers(-60, -1), sizes), max_size=8)
ask_levels = st.lists(st.tuples(st.integers(1, 60), sizes), max_size=8)


def to_raw(levels: list[tuple[int, str]]) -> list[list[str]]:
    return [[px(t), s] for t, s in levels]


@settings(max_examples=80, deadline=None)
@given(
    snap_b=bid_levels,
    snap_a=ask_levels,
    deltas=st.lists(st.tuples(bid_levels, ask_levels), max_size=40),
)
def test_random_stream_matches_reference(
    snap_b: list[tuple[int, str]],
    snap_a: list[tuple[int, str]],
    deltas: list[tuple[list[tuple[int, str]], list[tuple[int, str]]]],
) -> None:
    book = OrderBook(SYM, 50)
    ref = RefBook()
    assert apply(book, frame("snapshot", to_raw(snap_b), to_raw(snap_a), 100))
    ref.snapshot(to_raw(snap_b), to_raw(snap_a))
    u = 100
    for db, da in deltas:
        u += 1
        assert apply(book, frame("delta", to_raw(db), to_raw(da), u, seq=u * 3, ts=u))
        ref.delta(to_raw(db), to_raw(da))
        got_b, got_a = as_decimal(book)
        assert got_b == ref.bids and got_a == ref.asks
        assert book.best_bid == (float(max(ref.bids)) if ref.bids else None)
        assert book.best_ask == (float(min(ref.asks)) if ref.asks else None)
        assert not book.stale and book.update_id == u and book.seq == u * 3
    view = book.view(5)
    assert [lvl.price for lvl in view.bids] == sorted(ref.bids, reverse=True)[:5]
    assert [lvl.size for lvl in view.asks] == [ref.asks[p] for p in sorted(ref.asks)[:5]]


def fresh_view(book: OrderBook, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The top ``n`` levels converted afresh, as text (the exponent counts)."""
    bids, asks = book.top(n)
    return (
        [(repr(Decimal(repr(p))), repr(Decimal(repr(s)))) for p, s in bids],
        [(repr(Decimal(repr(p))), repr(Decimal(repr(s)))) for p, s in asks],
    )


@settings(max_examples=80, deadline=None)
@given(
    snap_b=bid_levels,
    snap_a=ask_levels,
    deltas=st.lists(st.tuples(bid_levels, ask_levels, st.integers(1, 8)), max_size=40),
)
def test_views_reuse_levels_and_equal_a_fresh_conversion(
    snap_b: list[tuple[int, str]],
    snap_a: list[tuple[int, str]],
    deltas: list[tuple[list[tuple[int, str]], list[tuple[int, str]], int]],
) -> None:
    """A view reuses the previous view's level objects for unchanged levels; every view is, digit
    for digit, what converting the book's top afresh gives (fails if a reused level kept an old size)."""
    book = OrderBook(SYM, 50)
    assert apply(book, frame("snapshot", to_raw(snap_b), to_raw(snap_a), 100))
    previous = book.view(8)
    u = 100
    for db, da, n in deltas:
        u += 1
        assert apply(book, frame("delta", to_raw(db), to_raw(da), u))
        view = book.view(n)
        got = (
            [(repr(lvl.price), repr(lvl.size)) for lvl in view.bids],
            [(repr(lvl.price), repr(lvl.size)) for lvl in view.asks],
        )
        assert got == fresh_view(book, n)
        before = {(lvl.price, lvl.size): lvl for lvl in (*previous.bids, *previous.asks)}
        for lvl in (*view.bids, *view.asks):
            if (lvl.price, lvl.size) in before:
                assert lvl is before[(lvl.price, lvl.size)]
        previous = view


def test_decimal_view_is_exact() -> None:
    book = OrderBook(SYM, 50)
    apply(book, frame("snapshot", [["65000.10", "1.230"]], [["65000.20", "0.001"]], 7))
    v = book.view()
    assert v.best_bid == Decimal("65000.10") and v.best_ask == Decimal("65000.20")
    assert v.bids[0].size == Decimal("1.23") and v.asks[0].size == Decimal("0.001")
    assert v.mid == Decimal("65000.15")
    assert v.update_id == 7 and book.u == 7 and not v.stale


def test_gap_marks_stale_until_snapshot() -> None:
    book = OrderBook(SYM, 50)
    assert not apply(book, frame("delta", [[px(-1), "1"]], [], 5))  # delta before any snapshot
    assert book.stale
    apply(book, frame("snapshot", [[px(-1), "1"]], [[px(1), "1"]], 10))
    assert apply(book, frame("delta", [[px(-2), "2"]], [], 11))
    assert not apply(book, frame("delta", [[px(-3), "3"]], [], 13))  # 12 missing
    assert book.stale and "expected u=12, got u=13" in book.stale_reason
    assert book.gaps == 1
    # further deltas (even "consecutive" to the bad one) are ignored
    assert not apply(book, frame("delta", [[px(-4), "4"]], [], 14))
    assert px(-4) not in {repr(p) for p in book.levels()[0]}
    assert book.view().stale
    # a new snapshot resets
    assert apply(book, frame("snapshot", [[px(-5), "5"]], [[px(5), "5"]], 20))
    assert not book.stale and book.stale_reason == ""
    assert book.top(5) == (((65000 - 0.5, 5.0),), ((65000 + 0.5, 5.0),))


def test_duplicate_or_old_delta_is_a_gap() -> None:
    book = OrderBook(SYM, 50)
    apply(book, frame("snapshot", [[px(-1), "1"]], [[px(1), "1"]], 10))
    assert not apply(book, frame("delta", [[px(-1), "2"]], [], 10))
    assert book.stale


def test_u_equal_one_means_restart_snapshot() -> None:
    book = OrderBook(SYM, 50)
    apply(book, frame("snapshot", [[px(-1), "1"], [px(-2), "1"]], [[px(1), "1"]], 500))
    assert apply(book, frame("delta", [[px(-7), "7"]], [[px(7), "7"]], 1))
    bids, asks = book.levels()
    assert bids == {65000 - 0.7: 7.0} and asks == {65000 + 0.7: 7.0}
    assert book.update_id == 1 and not book.stale
    assert apply(book, frame("delta", [[px(-6), "6"]], [], 2))
    # also recovers a stale book
    book.mark_stale("test")
    assert apply(book, frame("delta", [[px(-3), "3"]], [[px(3), "3"]], 1))
    assert not book.stale


def test_crossed_after_delta_is_corruption() -> None:
    book = OrderBook(SYM, 50)
    apply(book, frame("snapshot", [[px(-1), "1"]], [[px(1), "1"]], 10))
    assert not apply(book, frame("delta", [[px(2), "1"]], [], 11))
    assert book.stale and "crossed" in book.stale_reason
    assert not apply(book, frame("delta", [], [], 12))
    # a crossed snapshot is stale too
    assert not apply(book, frame("snapshot", [[px(1), "1"]], [[px(1), "1"]], 30))
    assert book.stale


def test_bbo_after_deleting_best_levels() -> None:
    book = OrderBook(SYM, 50)
    apply(book, frame("snapshot", [[px(-1), "1"], [px(-3), "3"]], [[px(1), "1"], [px(4), "4"]], 1))
    assert apply(book, frame("delta", [[px(-1), "0"]], [[px(1), "0"], [px(2), "2"]], 2))
    assert book.bbo() == ((65000 - 0.3, 3.0), (65000 + 0.2, 2.0))
    # delete the best and insert a better one in the same delta
    assert apply(book, frame("delta", [[px(-3), "0"], [px(-2), "9"]], [], 3))
    assert book.best_bid == 65000 - 0.2
    # empty a side
    assert apply(book, frame("delta", [[px(-2), "0"]], [], 4))
    assert book.best_bid is None and book.mid() is None
    # deleting an unknown level is harmless
    assert apply(book, frame("delta", [[px(-40), "0"]], [], 5))


@pytest.mark.parametrize(
    ("change", "field"), [({"s": "ETHUSDT"}, "s"), ({"type": "weird"}, "type"), ({"u": 0}, "u")]
)
def test_a_frame_of_another_symbol_or_kind_never_reaches_the_book(change: dict[str, Any], field: str) -> None:
    book = OrderBook(SYM, 50)
    assert apply(book, frame("snapshot", [[px(-1), "1"]], [[px(1), "1"]], 10))
    msg = frame("delta", [[px(-2), "1"]], [], 11)
    if "type" in change:
        msg.update(change)
    else:
        msg["data"].update(change)
    with pytest.raises(BadValue) as refused:
        apply(book, msg)
    assert refused.value.field == field
    assert book.levels() == ({65000 - 0.1: 1.0}, {65000 + 0.1: 1.0}) and book.update_id == 10


def test_age_and_top() -> None:
    book = OrderBook(SYM, 50)
    bids_in = [[px(-i), "1"] for i in range(1, 30)]
    asks_in = [[px(i), "2"] for i in range(1, 30)]
    apply(book, frame("snapshot", bids_in, asks_in, 1, ts=1000))
    assert book.age_ms(1250) == 250
    bids, asks = book.top(3)
    assert [round(p, 1) for p, _ in bids] == [64999.9, 64999.8, 64999.7]
    assert [round(p, 1) for p, _ in asks] == [65000.1, 65000.2, 65000.3]
    assert len(book) == 58


def test_trim_bounds_memory() -> None:
    book = OrderBook(SYM, 5)
    apply(book, frame("snapshot", [[px(-1), "1"]], [[px(1), "1"]], 1))
    u = 1
    for i in range(2, 40):
        u += 1
        apply(book, frame("delta", [[px(-i), "1"]], [[px(i), "1"]], u))
    bids, asks = book.levels()
    assert len(bids) <= 10 and len(asks) <= 10
    assert max(bids) == 65000 - 0.1 and min(asks) == 65000 + 0.1


def test_decode_public_dispatch_returns_book_frame() -> None:
    raw = orjson.dumps(frame("delta", [[px(-1), "0.5"]], [], 3))
    f = decode_public(raw)
    assert isinstance(f, BookFrame) and f.data.b == [(65000 - 0.1, 0.5)]
