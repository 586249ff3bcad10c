"""Fuzz the order book with Bybit ``orderbook.*`` frames: good, spoiled, duplicated, reordered.

Streams of snapshot and delta frames go through the product's path: the Bybit adapter's
translation into domain events (:func:`core.venues.bybit.parse.book_frame`, the one place a level
is checked; a frame it cannot read marks the book stale) and the engine's
:class:`~core.market.books.BookKeeper`, which trusts the levels it is given. Frames
carry duplicate, skipped, old and restart (``u = 1``) update ids, levels that cross the book,
NaN/Infinity/negative/garbage values, levels that are not pairs, sides that are not arrays and
fields of the wrong type. After every frame the book must agree with a small model of Bybit's
rules: while it is not stale it holds exactly the model's levels, is never crossed, and its best
prices are its real best; stale or not, it never holds a level that is not a finite positive
price with a finite positive size.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.books import BookKeeper
from core.market.orderbook import OrderBook
from core.store import MarketStore
from core.venues.base import BookSnapshot
from core.venues.bybit import parse
from core.venues.values import BadValue
from tests.support.fuzzing import junk

SYMBOL = "BTCUSDT"
PRICES = [f"{p / 2:.1f}" for p in range(190, 211)]  # 95.0 .. 105.0: bids and asks may cross
SIZES = ["0", "0.5", "1", "2.25"]
BAD: list[Any] = ["NaN", "Infinity", "-1", "abc", "", "1_0", "１", None, True, [], {"p": 1}, "1e999"]

level = st.tuples(st.sampled_from(PRICES), st.sampled_from(SIZES)).map(list)
good_side = st.lists(level, max_size=4)


@st.composite
def bad_side(draw: st.DrawFn) -> Any:
    """A side with one spoiled level, or a side that is not an array of pairs at all."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(junk.filter(lambda x: not isinstance(x, list)))
    levels = draw(good_side)
    spoiled: Any = draw(st.sampled_from(BAD))
    if choice == 1:
        bad_level: Any = [spoiled, "1"]
    elif choice == 2:
        bad_level = [draw(st.sampled_from(PRICES)), spoiled]
    else:
        bad_level = draw(st.sampled_from([["100"], ["100", "1", "2"], "12", 12, None]))
    return [*levels, bad_level]


@st.composite
def frames(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A stream: a snapshot, then deltas whose ``u`` follows, repeats, skips, goes back or restarts."""
    out: list[dict[str, Any]] = []
    u = draw(st.integers(2, 1000))
    for i in range(draw(st.integers(1, 25))):
        kind = "snapshot" if i == 0 or draw(st.integers(0, 12)) == 0 else "delta"
        step: int | None = draw(st.sampled_from([1, 1, 1, 1, 1, 0, 2, -1, None]))  # None: a restart
        u = 1 if step is None else max(1, u + step)
        b = draw(good_side) if draw(st.integers(0, 6)) else draw(bad_side())
        a = draw(good_side) if draw(st.integers(0, 6)) else draw(bad_side())
        data: dict[str, Any] = {"s": SYMBOL, "b": b, "a": a, "u": u, "seq": u * 10}
        frame: dict[str, Any] = {"topic": "orderbook.50.BTCUSDT", "type": kind, "ts": 1000 + i, "data": data}
        if draw(st.integers(0, 15)) == 0:  # a field of the wrong type or missing
            key = draw(st.sampled_from(["u", "s", "b", "a", "seq", "type", "data", "ts"]))
            target = frame if key in ("type", "data", "ts") else data
            if draw(st.booleans()):
                target.pop(key, None)
            else:
                target[key] = draw(junk)
        out.append(frame)
        if isinstance(data.get("u"), int) and not isinstance(data.get("u"), bool):
            u = data["u"]
    return out


class Model:
    """Bybit's book rules, written plainly: what a correct book holds after each frame."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.u = 0
        self.stale = True

    @staticmethod
    def _side(raw: Any) -> list[tuple[float, float]] | None:
        if not isinstance(raw, list):
            return None
        out = []
        for lvl in raw:
            if not isinstance(lvl, list) or len(lvl) != 2 or not all(x in PRICES + SIZES for x in lvl):
                return None  # only the generator's good tokens are good
            out.append((float(lvl[0]), float(lvl[1])))
        return out

    def apply(self, frame: dict[str, Any]) -> None:
        data = frame.get("data")
        ok = (
            isinstance(data, dict)
            and frame.get("type") in ("snapshot", "delta")
            and data.get("s", SYMBOL) == SYMBOL
            and type(data.get("u")) is int
            and data["u"] >= 1
            and type(data.get("seq", 0)) is int
            and data.get("seq", 0) >= 0
            and type(frame.get("ts") or 0) is int
            and (frame.get("ts") or 0) >= 0
        )
        b = self._side(data.get("b")) if ok else None  # type: ignore[union-attr]
        a = self._side(data.get("a")) if ok else None  # type: ignore[union-attr]
        snapshot = ok and (frame["type"] == "snapshot" or data["u"] == 1)  # type: ignore[index]
        if b is None or a is None:
            if snapshot or not self.stale:
                self.stale = True
                if snapshot:
                    self.bids, self.asks = {}, {}
            return
        assert isinstance(data, dict)
        if snapshot:
            self.bids = {p: s for p, s in dict(b).items() if s}
            self.asks = {p: s for p, s in dict(a).items() if s}
            self.u, self.stale = data["u"], False
        elif self.stale:
            return
        elif data["u"] != self.u + 1:
            self.stale = True
            return
        else:
            for book, side in ((self.bids, b), (self.asks, a)):
                for p, s in side:
                    if s:
                        book[p] = s
                    else:
                        book.pop(p, None)
            self.u = data["u"]
        if self.bids and self.asks and max(self.bids) >= min(self.asks):
            self.stale = True


def check(book: OrderBook, model: Model, frame: dict[str, Any]) -> None:
    bids, asks = book.levels()
    for p, s in [*bids.items(), *asks.items()]:
        assert math.isfinite(p) and p > 0 and math.isfinite(s) and s > 0, (p, s, frame)
    assert book.stale == model.stale, (book.stale_reason, frame)
    if not book.stale:
        assert (bids, asks) == (model.bids, model.asks), frame
        assert not book.crossed()
        assert book.best_bid == (max(bids) if bids else None)
        assert book.best_ask == (min(asks) if asks else None)
        assert book.update_id == model.u
        assert book.view().stale is False


@settings(max_examples=150, deadline=None)
@given(frames())
def test_adapter_events_keep_the_kept_book_true_or_stale(stream: list[dict[str, Any]]) -> None:
    """The product's path: the adapter translates each frame (or reports the book stale), the book
    keeper applies the events; the kept book agrees with the model."""
    asked: list[str] = []
    books = keeper()
    books.resubscribe = asked.append
    model = Model()
    for frame in stream:
        feed(books, frame)
        model.apply(frame)
        check(books.books[SYMBOL], model, frame)
        assert books.is_stale(SYMBOL) == model.stale
        if model.stale:
            assert asked, "a stale book always asks for a fresh snapshot"
        else:
            asked.clear()


SNAP: dict[str, Any] = {
    "topic": "orderbook.50.BTCUSDT",
    "type": "snapshot",
    "ts": 1,
    "data": {"s": SYMBOL, "u": 5, "seq": 1},
}


def keeper() -> BookKeeper:
    return BookKeeper((SYMBOL,), MarketStore(), now_ms=lambda: 0, publish_interval_s=0.0)


def feed(books: BookKeeper, frame: dict[str, Any]) -> BadValue | None:
    """What the Bybit feeds do with a book frame: translate it and hand the event to the keeper, or
    mark the book stale when the adapter refuses it (returned)."""
    try:
        event = parse.book_frame(SYMBOL, frame)
    except BadValue as bad:
        books.mark_stale(SYMBOL, f"bad value in frame: {bad}")
        return bad
    if isinstance(event, BookSnapshot):
        books.snapshot(event)
    else:
        books.delta(event)
    return None


def snapshot_book() -> BookKeeper:
    books = keeper()
    assert feed(books, {**SNAP, "data": {**SNAP["data"], "b": [["99", "1"]], "a": [["101", "1"]]}}) is None
    assert not books.is_stale(SYMBOL)
    return books


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # Before the fix each of these raised (the feed dropped the frame and the book stayed "fresh")
        # or, for "12", was read as a level at price 1 size 2.
        ({"b": ["12"], "a": [], "u": 6}, "bid level"),
        ({"b": [["100", "1", "x"]], "a": [], "u": 6}, "bid level"),
        ({"b": None, "a": [], "u": 6}, "bid levels"),
        ({"b": [], "a": [["1_01", "1"]], "u": 6}, "ask price"),
        ({"b": [[True, "1"]], "a": [], "u": 6}, "bid price"),
        ({"b": [], "a": [], "u": "6"}, "u"),
        ({"b": [], "a": [], "u": None}, "u"),
        ({"a": [], "u": 6}, "b"),
        ({"b": [["100", "1"]], "a": [["101", "-0.5"]], "u": 6}, "ask size"),
        ({"b": [["0", "1"]], "a": [], "u": 6}, "bid price"),
        ({"b": [["100", "NaN"]], "a": [], "u": 6}, "bid size"),
        ({"b": [["1e999", "1"]], "a": [], "u": 6}, "bid price"),
        ({"b": [["１００", "1"]], "a": [], "u": 6}, "bid price"),
    ],
)
def test_a_malformed_delta_marks_the_book_stale_untouched(data: dict[str, Any], field: str) -> None:
    books = snapshot_book()
    before = books.books[SYMBOL].levels()
    bad = feed(books, {**SNAP, "type": "delta", "data": {"s": SYMBOL, **data}})
    assert bad is not None and bad.field == field, bad
    assert books.is_stale(SYMBOL) and "bad value" in books.stale_reason(SYMBOL)
    assert books.books[SYMBOL].levels() == before


def test_a_delta_with_a_bad_ask_is_not_half_applied() -> None:
    """Before the fix the bids were applied and then the ask raised: a bid above the best ask stayed."""
    books = snapshot_book()
    delta = {"s": SYMBOL, "b": [["102", "1"]], "a": [["NaN", "1"]], "u": 6}
    assert feed(books, {**SNAP, "type": "delta", "data": delta}) is not None
    bids, _ = books.books[SYMBOL].levels()
    assert 102.0 not in bids and books.is_stale(SYMBOL)


@pytest.mark.parametrize("frame", [{"type": "delta"}, {**SNAP, "data": []}, {**SNAP, "type": "other"}])
def test_a_frame_without_book_data_marks_it_stale(frame: dict[str, Any]) -> None:
    """Before the fix these raised KeyError/AttributeError or were ignored without marking the book."""
    books = snapshot_book()
    assert feed(books, frame) is not None
    assert books.is_stale(SYMBOL) and "bad value" in books.stale_reason(SYMBOL)
