"""The venue-neutral book keeper: sequence checks, stale marking, resubscribe requests, publishing."""

from __future__ import annotations

import threading
from decimal import Decimal

from core.market.books import BookKeeper
from core.store import MarketStore
from core.venues.base import BookDelta, BookLevels, BookSnapshot

SYM = "BTCUSDT"
D = Decimal


class Recorder:
    """What the keeper told the engine and asked of the feeds."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str, str]] = []
        self.asked: list[str] = []
        self.now = 1_000_000

    def state(self, stream: str, state: str, detail: str) -> None:
        self.states.append((stream, state, detail))


def keeper(rec: Recorder, *, publish_interval_s: float = 0.0) -> tuple[BookKeeper, MarketStore]:
    store = MarketStore()
    books = BookKeeper(
        (SYM, "ETHUSDT"),
        store,
        now_ms=lambda: rec.now,
        on_state=rec.state,
        stale_after_s=5.0,
        publish_interval_s=publish_interval_s,
    )
    books.resubscribe = rec.asked.append
    return books, store


def snap(u: int, bid: float = 100.0, ask: float = 101.0) -> BookSnapshot:
    return BookSnapshot(SYM, ((bid, 1.0),), ((ask, 2.0),), u, 1, cross_seq=u * 10)


def delta(u: int, bids: BookLevels = ((100.5, 3.0),)) -> BookDelta:
    return BookDelta(SYM, bids, (), u, 2, cross_seq=u * 10)


def test_a_snapshot_then_following_deltas_keep_a_trusted_book_published_to_the_store() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    books.snapshot(snap(7))
    books.delta(delta(8))
    books.delta(delta(9, ((100.0, 0.0),)))  # size 0 removes the level
    view = store.book(SYM)
    assert view is not None and not view.stale
    assert [(lv.price, lv.size) for lv in view.bids] == [(D("100.5"), D("3"))]
    assert view.update_id == 9 and view.seq == 90
    assert not books.is_stale(SYM) and rec.asked == []
    assert rec.states == [(f"book:{SYM}", "up", "resynced from snapshot")]  # trusted from its first snapshot


def test_a_sequence_gap_marks_the_book_stale_and_asks_for_one_fresh_snapshot() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    books.snapshot(snap(7))
    books.delta(delta(9))  # 8 was lost
    assert books.is_stale(SYM)
    assert "expected u=8, got u=9" in books.stale_reason(SYM)
    assert rec.states[1:] == [(f"book:{SYM}", "stale", books.stale_reason(SYM))]
    assert rec.asked == [SYM]
    books.delta(delta(10))  # later deltas are not applied, and do not ask again
    assert rec.asked == [SYM] and books.update_id(SYM) == 7
    view = store.book(SYM)
    assert view is not None and view.stale


def test_a_snapshot_clears_stale_and_reports_the_book_up() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    books.snapshot(snap(7))
    books.delta(delta(9))
    books.snapshot(snap(20, bid=99.0, ask=100.0))
    assert not books.is_stale(SYM) and books.stale_reason(SYM) == ""
    assert rec.states[-1] == (f"book:{SYM}", "up", "resynced from snapshot")
    view = store.book(SYM)
    assert view is not None and not view.stale and view.best_bid == D("99")
    books.delta(delta(22))  # a new gap after the resync asks again
    assert rec.asked == [SYM, SYM]


def test_a_delta_before_any_snapshot_asks_for_a_snapshot_and_stays_untrusted() -> None:
    rec = Recorder()
    books, _store = keeper(rec)
    books.delta(delta(5))
    assert books.is_stale(SYM) and rec.asked == [SYM]
    assert books.stale_reason(SYM) == "no snapshot yet"


def test_a_book_the_venue_says_is_stale_is_untrusted_until_a_snapshot() -> None:
    rec = Recorder()
    books, _store = keeper(rec)
    books.snapshot(snap(7))
    books.mark_stale(SYM, "bad value in frame: bid price 'NaN'")
    assert books.is_stale(SYM) and rec.asked == [SYM]
    assert rec.states[1:] == [(f"book:{SYM}", "stale", "bad value in frame: bid price 'NaN'")]
    books.delta(delta(8))  # the next delta follows, but an update was lost: still untrusted
    assert books.is_stale(SYM)


def test_a_crossed_book_is_stale() -> None:
    rec = Recorder()
    books, _store = keeper(rec)
    books.snapshot(snap(7))
    books.delta(delta(8, ((102.0, 1.0),)))  # a bid above the best ask
    assert books.is_stale(SYM) and "crossed" in books.stale_reason(SYM) and rec.asked == [SYM]


def test_silence_marks_a_book_stale_and_asks_again_ages_are_reported() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    assert books.is_stale(SYM) and books.feed_ages_s() == {}  # never heard from
    books.snapshot(snap(7))
    rec.now += 2_000
    books.check()
    assert not books.is_stale(SYM) and books.feed_ages_s() == {SYM: 2.0}
    rec.now += 4_000
    books.check()
    assert books.is_stale(SYM) and "no book update for 6.0s" in books.stale_reason(SYM)
    assert rec.asked == [SYM] and rec.states[-1][:2] == (f"book:{SYM}", "stale")
    view = store.book(SYM)
    assert view is not None and view.stale  # published at once: the UI shows it
    books.check()
    assert rec.asked == [SYM]  # reported and asked once


def test_publishing_is_throttled_and_the_watchdog_publishes_the_rest() -> None:
    rec = Recorder()
    books, store = keeper(rec, publish_interval_s=3600.0)
    books.snapshot(snap(7))  # the first one is published at once
    books.delta(delta(8))
    view = store.book(SYM)
    assert view is not None and view.update_id == 7
    books.check()
    view = store.book(SYM)
    assert view is not None and view.update_id == 8


def test_unknown_symbols_are_ignored() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    books.snapshot(BookSnapshot("DOGEUSDT", ((1.0, 1.0),), (), 1, 1))
    books.mark_stale("DOGEUSDT", "x")
    assert store.book("DOGEUSDT") is None and rec.asked == [] and books.is_stale("DOGEUSDT")


def test_a_feed_thread_and_a_reader_race_without_tearing_the_book() -> None:
    rec = Recorder()
    books, store = keeper(rec)
    books.snapshot(snap(1))
    errors: list[BaseException] = []

    def feed() -> None:
        try:
            for u in range(2, 3002):
                books.delta(delta(u, ((100 + (u % 7) / 10, float(u % 3)),)))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=feed)
    thread.start()
    while thread.is_alive():
        books.check()
        books.is_stale(SYM)
        books.feed_ages_s()
    thread.join()
    books.check()
    assert errors == [] and not books.is_stale(SYM) and books.update_id(SYM) == 3001
    view = store.book(SYM)
    assert view is not None and view.update_id == 3001
