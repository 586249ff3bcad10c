"""``:strat start`` lines a hostile newcomer types, on the real engine and the in-process venue:
each bad one is refused in place before Enter with the check and the numbers (the same check a
start makes), Enter on it starts nothing, and a refused start is journaled.

Before: every ``strat start`` line showed READY whatever it said; ``fast=50 slow=10`` started,
was journaled as started and failed a moment later; ``qty=0`` started a strategy that never
trades and ``qty=-1`` one that trades the opposite way; ``tf=7m`` raised a ValueError out of
the start; starting the same strategy twice showed READY; ``tf=1s`` (a backtest's timeframe, but
no candles the engine keeps) started a strategy that never received a bar; ``qty=0.0001`` (below
the venue's minimum) or ``qty=0.001234`` (off its step) started one whose every order was refused."""

from __future__ import annotations

from pathlib import Path

from console.screens.cmdline import CommandLine
from tests.support.console_types import SIZE, SYM
from tests.support.strategy_console import advance_until, plan_of, row
from tests.support.venue_console import console_on_venue

REFUSED = [
    ("strat start sma_cross fast=50 slow=10", "param fast: must be positive and below slow (50 >= 10)"),
    ("strat start sma_cross qty=0", "param qty: must be greater than 0"),
    ("strat start sma_cross qty=-1", "param qty: must be greater than 0"),
    ("strat start sma_cross qty=1e3", "no exponents"),
    ("strat start sma_cross qty=0,01", "use . as the decimal point"),
    ("strat start sma_cross fast=0", "param fast: must be greater than 0"),
    ("strat start sma_cross tf=7m", "tf=7m is not one of"),
    # Timeframes a backtest takes but the engine keeps no candles of: a live run never saw a bar.
    ("strat start sma_cross tf=1s", "tf=1s is not one of 1m, 5m, 15m, 1h"),
    ("strat start sma_cross tf=4h", "tf=4h is not one of 1m, 5m, 15m, 1h"),
    # Sizes the venue refuses on every order: refused before the start, not order by order.
    ("strat start sma_cross qty=0.0001", "qty=0.0001 is below BTCUSDT's minimum order size 0.001"),
    ("strat start sma_cross qty=0.001234", "qty=0.001234 is not a multiple of BTCUSDT's size step 0.001"),
    ("strat start no_such_strategy", "not found"),
    ("strat start sma_cross bogus=1", "unknown parameter"),
]


async def test_bad_strat_lines_are_refused_in_place_and_start_nothing(tmp_path: Path) -> None:
    async with console_on_venue(tmp_path, SIZE) as (venue, app, engine, pilot):
        for line, words in REFUSED:
            screen = await plan_of(pilot, app, line)
            plan = screen.plan
            assert plan is not None and not plan.ready and words in plan.error, (line, plan)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CommandLine)  # still open, the refusal on screen
            assert app.strategy_actions.rows == [], line

        # The same strategy twice: the second line is refused while the first runs.
        line = "strat start sma_cross fast=2 slow=3 qty=0.01"
        screen = await plan_of(pilot, app, line)
        assert screen.plan is not None and screen.plan.ready, screen.plan
        await pilot.press("enter")
        await advance_until(pilot, venue, lambda: row(app, "sma_cross") is not None, "the first one")
        screen = await plan_of(pilot, app, line)
        assert screen.plan is not None and not screen.plan.ready
        assert "already running" in screen.plan.error
        await pilot.press("escape")

        # A start refused by the portfolio itself (a strategy or script calling it) is journaled.
        portfolio = app.strategy_actions.portfolio
        assert portfolio is not None
        res = await portfolio.start("sma_cross", SYM, params=("qty=0",), name="other")
        assert not res.ok and "param qty" in res.message
        refusals = engine.journal.query(kinds=["strategy_refused"])
        assert [r.data["reason"] for r in refusals] == [res.message]
        assert len(engine.journal.query(kinds=["strategy_start"])) == 1
