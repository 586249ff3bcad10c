"""The sim's disconnection-protection book on its own clock: windows, drops, silence, resets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.sim._common import SimError
from core.sim.dcp import MAX_WINDOW_S, MIN_WINDOW_S, DcpBook, parse_window

KEY = "k"
T0 = 1_000_000
WINDOW_S = 10
HEARTBEAT_MS = 30_000


def armed_book() -> DcpBook:
    book = DcpBook(heartbeat_timeout_ms=HEARTBEAT_MS)
    book.set_window(KEY, {"timeWindow": WINDOW_S, "product": "DERIVATIVES"})
    book.alive(KEY, "c1", T0)
    return book


@given(st.integers(min_value=-1000, max_value=1000))
def test_window_bounds(window: int) -> None:
    if MIN_WINDOW_S <= window <= MAX_WINDOW_S:
        assert parse_window({"timeWindow": window}) == ("OPTIONS", window)
    else:
        with pytest.raises(SimError) as err:
            parse_window({"timeWindow": window})
        assert err.value.ret_code == 10001 and "timeWindow" in err.value.ret_msg


def test_not_armed_without_a_derivatives_window_or_a_subscription() -> None:
    book = DcpBook()
    book.alive(KEY, "c1", T0)
    book.lost(KEY, "c1", T0)
    assert book.due(T0 + 3_600_000) == []  # no window set
    book.set_window(KEY, {"timeWindow": 3})  # OPTIONS: not the linear window
    assert book.due(T0 + 3_600_000) == []
    other = DcpBook()
    other.set_window(KEY, {"timeWindow": 3, "product": "DERIVATIVES"})
    assert other.due(T0 + 3_600_000) == []  # never subscribed dcp


def test_a_drop_fires_once_after_the_window() -> None:
    book = armed_book()
    book.lost(KEY, "c1", T0 + 1000)
    assert book.due(T0 + 1000 + WINDOW_S * 1000 - 1) == []
    assert book.due(T0 + 1000 + WINDOW_S * 1000) == [KEY]
    assert book.due(T0 + 3_600_000) == []  # fired once; a new subscription arms it again
    assert book.triggered == {KEY: 1}


def test_one_live_subscriber_is_enough() -> None:
    book = armed_book()
    book.alive(KEY, "c2", T0)
    book.lost(KEY, "c1", T0)
    assert book.due(T0 + WINDOW_S * 1000 + 1) == []
    book.alive(KEY, "c2", T0 + 20_000)  # c2 keeps pinging
    assert book.due(T0 + 40_000) == []


def test_silence_counts_from_the_heartbeat_timeout_and_a_ping_resets_it() -> None:
    book = armed_book()
    silent_at = T0 + HEARTBEAT_MS
    assert book.due(silent_at + WINDOW_S * 1000 - 1) == []
    book.alive(KEY, "c1", silent_at + 5000)  # a late ping within the window: reset
    assert book.due(silent_at + WINDOW_S * 1000) == []
    again = silent_at + 5000 + HEARTBEAT_MS + WINDOW_S * 1000
    assert book.due(again - 1) == []
    assert book.due(again) == [KEY]


def test_a_reconnect_within_the_window_resets_it() -> None:
    book = armed_book()
    book.lost(KEY, "c1", T0)
    book.alive(KEY, "c2", T0 + WINDOW_S * 1000 - 1)
    assert book.connections(KEY) == {"c2": None}
    assert book.due(T0 + WINDOW_S * 1000 + 1) == []


def test_without_a_heartbeat_timeout_only_a_stop_starts_the_window() -> None:
    book = DcpBook(heartbeat_timeout_ms=None)
    book.set_window(KEY, {"timeWindow": WINDOW_S, "product": "DERIVATIVES"})
    book.alive(KEY, "feeds", T0)
    assert book.due(T0 + 3_600_000) == []
    book.lost(KEY, "feeds", T0 + 3_600_000)
    assert book.due(T0 + 3_600_000 + WINDOW_S * 1000) == [KEY]


def test_an_unsubscribed_connection_neither_protects_nor_triggers() -> None:
    book = armed_book()
    book.alive(KEY, "c2", T0)
    book.forget(KEY, "c1")
    book.lost(KEY, "c1", T0)  # its later drop is nobody's business
    assert book.connections(KEY) == {"c2": None}
    book.forget(KEY, "c2")
    assert book.deadline_ms(KEY) is None and book.due(T0 + 3_600_000) == []
