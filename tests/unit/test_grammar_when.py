"""``when`` on the command line: every trigger the conditional algo has — a price level, a price
against an SMA of live candles, a time, another order filled, a position — joined by one kind of
and/or, with an expiry; each parses into exactly what was typed and resolves into a condition the
conditional algo accepts, its grouping said in words. The command line only knew price levels."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Side
from core.orders.algo_commands import (
    AlgoCommand,
    FilledTrigger,
    PositionTrigger,
    SmaTrigger,
    TimeTrigger,
    Trigger,
    WhenCommand,
)
from core.orders.algos.registry import build_algo
from core.orders.grammar import GrammarError, parse
from core.orders.resolve import MarketContext, ResolveError
from core.orders.resolve_algos import resolve_algo
from tests.support.console_fakes import instrument

D = Decimal
SYMBOLS = ("BTCUSDT", "ETHUSDT")
NOW = 1_796_109_600_000  # 2026-12-01T07:20:00Z
HOUR_MS = 3_600_000


def _ctx(now: int | None = NOW) -> MarketContext:
    return MarketContext(
        instrument("BTCUSDT"), best_bid=D("95000"), best_ask=D("95000.1"), mark=D("95000"), now_ms=now
    )


def _when(line: str) -> WhenCommand:
    cmd = parse(line, SYMBOLS)
    assert isinstance(cmd, WhenCommand), cmd
    return cmd


@pytest.mark.parametrize(
    ("line", "triggers", "join"),
    [
        ("when last >= sma 20 5m buy 0.1", (SmaTrigger("last", ">=", 20, "5m"),), "and"),
        ("when mark<=sma 50 buy 0.1", (SmaTrigger("mark", "<=", 50, "1m"),), "and"),
        ("when time >= 09:00 buy 0.1", (TimeTrigger("09:00"),), "and"),
        ("when time >= 2026-12-02T09:30 buy 0.1", (TimeTrigger("2026-12-02T09:30"),), "and"),
        ("when filled tc-abc-1 buy 0.1", (FilledTrigger("tc-abc-1"),), "and"),
        ("when filled tc-abc-1 any buy 0.1", (FilledTrigger("tc-abc-1", "any"),), "and"),
        ("when pos long sell 0.1 ro", (PositionTrigger("long"),), "and"),
        ("when pos >= 0.5 sell 0.1 ro", (PositionTrigger(">=", D("0.5")),), "and"),
        (
            "when time >= 09:00 and last >= sma 20 and mark >= 95000 buy 0.1",
            (TimeTrigger("09:00"), SmaTrigger("last", ">=", 20, "1m"), Trigger("mark", ">=", D("95000"))),
            "and",
        ),
        ("when pos flat or filled x-1 buy 0.1", (PositionTrigger("flat"), FilledTrigger("x-1")), "or"),
    ],
)
def test_each_trigger_parses_into_what_was_typed(line: str, triggers: tuple[object, ...], join: str) -> None:
    cmd = _when(line)
    assert cmd.triggers == triggers and cmd.join == join


def test_expire_and_the_order_words_after_the_side() -> None:
    cmd = _when("when filled x-1 sell 0.1 eth @ 3500 ro expire 2h")
    assert (cmd.side, cmd.qty, cmd.symbol, cmd.reduce_only, cmd.expire_s) == (
        Side.SELL, D("0.1"), "ETHUSDT", True, 7200)  # fmt: skip


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("when time <= 09:00 buy 0.1", "time >= WHEN"),
        ("when time >= 9am buy 0.1", "HH:MM"),
        ("when time >= 09:00 and pos long or mark >= 1 buy 0.1", "mix of and/or"),
        ("when pos sideways buy 0.1", "pos long"),
        ("when pos >= 0,5 buy 0.1", "use . as the decimal point"),
        ("when last >= sma buy 0.1", "sma length"),
        ("when last >= sma 2.5 buy 0.1", "sma length"),
        ("when volume >= 5 buy 0.1", "a condition starts with"),
        ("when filled buy 0.1", ""),  # 'buy' taken as the id: no side left
        ("when mark >= 1 buy 0.1 expire soon", "duration"),
        ("when mark >= 1 buy 0.1 expire 1h expire 2h", "twice"),
    ],
)
def test_garbage_is_refused_with_what_is_accepted(line: str, says: str) -> None:
    with pytest.raises(GrammarError) as err:
        parse(line, SYMBOLS)
    assert says in str(err.value)


def test_each_trigger_resolves_into_a_condition_the_algo_accepts_and_describes() -> None:
    line = "when time >= 09:00 and last >= sma 20 5m and pos <= 0.5 and filled x-1 any buy 0.1 expire 30m"
    out = resolve_algo(cast(AlgoCommand, parse(line, SYMBOLS)), _ctx())
    leaves = out.params["condition"]["conditions"]
    assert [leaf["kind"] for leaf in leaves] == ["time", "sma", "position", "order_filled"]
    assert leaves[0]["at_ms"] == NOW + 100 * 60_000  # 07:20 -> 09:00 the same day
    assert out.params["expiry_ms"] == NOW + 30 * 60_000
    algo = build_algo(out.kind, "a1", out.params)
    words = algo.describe()
    for part in ("time >= 2026-12-01 09:00", "SMA(20, 5m)", "AND", "x-1", "expires 2026-12-01 07:50"):
        assert part in words, words


def test_a_time_of_day_already_past_today_is_tomorrows() -> None:
    out = resolve_algo(cast(AlgoCommand, parse("when time >= 07:00 buy 0.1", SYMBOLS)), _ctx())
    assert out.params["condition"]["at_ms"] == NOW - 20 * 60_000 + 24 * HOUR_MS


@pytest.mark.parametrize(
    ("line", "says", "now"),
    [
        ("when time >= 2026-11-30T09:00 buy 0.1", "already past", NOW),
        ("when time >= 25:00 buy 0.1", "not a time of day", NOW),
        ("when time >= 09:00 buy 0.1", "clock", None),
        ("when mark >= 1 buy 0.1 expire 1h", "clock", None),
    ],
)
def test_times_that_cannot_be_waited_for_are_refused(line: str, says: str, now: int | None) -> None:
    with pytest.raises(ResolveError, match=says):
        resolve_algo(cast(AlgoCommand, parse(line, SYMBOLS)), replace(_ctx(), now_ms=now))


@settings(max_examples=150, deadline=None)
@given(
    hh=st.integers(0, 23),
    mm=st.integers(0, 59),
    now=st.integers(NOW - 30 * 24 * HOUR_MS, NOW + 30 * 24 * HOUR_MS),
)
def test_a_time_of_day_is_always_the_next_one_within_a_day(hh: int, mm: int, now: int) -> None:
    out = resolve_algo(
        cast(AlgoCommand, parse(f"when time >= {hh:02d}:{mm:02d} buy 0.1", SYMBOLS)), _ctx(now)
    )
    at = out.params["condition"]["at_ms"]
    assert now < at <= now + 24 * HOUR_MS
    assert at % 60_000 == 0 and (at // 60_000) % (24 * 60) == hh * 60 + mm


@pytest.mark.parametrize(
    ("line", "seconds"), [("twap buy 2 1w x100", 604_800), ("twap buy 2 2d x100", 172_800)]
)
def test_a_twap_of_a_week_can_be_written_in_weeks_or_days(line: str, seconds: int) -> None:
    """The README says a TWAP runs at most a week; ``1w`` was refused (``168h`` was the way)."""
    cmd = parse(line, SYMBOLS)
    assert getattr(cmd, "duration_s", None) == seconds, cmd
    assert resolve_algo(cast(AlgoCommand, cmd), _ctx()).params["duration_ms"] == seconds * 1000
