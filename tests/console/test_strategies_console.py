"""Strategies from the console on the real engine and the in-process sim venue (virtual clock):
``:strat start sma_cross ...`` puts a row in the strategies pane, its own position and PnL follow
its fills, and the pane's kill key (confirmed) flattens its part; a refused line sends nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from console.strategy_actions import parse_strat
from tests.support.console_types import SIZE, SYM, Keys
from tests.support.in_process_console import console_in_process
from tests.support.strategy_console import advance_until, row
from tests.support.venue_console import console_on_venue


def cell(app: TradeConsoleApp, name: str, column: int) -> str:
    return str(app.main.strategies.get_row(name)[column])


async def test_strat_start_shows_its_row_and_pnl_then_kill_flattens_it(tmp_path: Path, keys: Keys) -> None:
    async with console_in_process(tmp_path) as (app, engine, venue, pilot):
        assert not app.main.strategies.display  # no strategy yet: the pane takes no room
        await pilot.press(*keys(":strat start sma_cross fast=2 slow=3 qty=0.01 alloc=5000"))
        screen = app.screen
        assert isinstance(screen, CommandLine) and screen.plan is not None
        assert screen.plan.ready and "START strategy sma_cross on BTCUSDT" in screen.plan.summary
        await pilot.press("enter")
        await advance_until(pilot, venue, lambda: row(app, "sma_cross") is not None, "the pane's row")
        assert app.main.strategies.display and app.main.strategies.row_count == 1
        assert cell(app, "sma_cross", 2) == "running"

        await advance_until(
            pilot, venue, lambda: (r := row(app, "sma_cross")) is not None and r.position != 0, "its fill"
        )
        snap = row(app, "sma_cross")
        assert snap is not None and abs(snap.position) == Decimal("0.01")
        assert cell(app, "sma_cross", 3) in ("+0.010", "-0.010")
        assert snap.realised == -snap.fees  # only the entry's fee so far
        first_unreal = cell(app, "sma_cross", 5)
        await advance_until(
            pilot, venue, lambda: cell(app, "sma_cross", 5) != first_unreal, "its unrealised PnL moving"
        )

        pane = app.main.strategies
        pane.focus()
        pane.move_cursor(row=0)
        await pilot.pause()
        await pilot.press("k")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await advance_until(
            pilot,
            venue,
            lambda: (r := row(app, "sma_cross")) is not None and r.state == "stopped" and r.position == 0,
            "killed and flat",
        )
        await advance_until(
            pilot,
            venue,
            lambda: SYM not in engine.account().positions or engine.account().positions[SYM].is_flat,
            "the account flat",
        )
        assert cell(app, "sma_cross", 2) == "stopped"
        lines = "\n".join(app.main.log_pane.history)
        assert "strategy sma_cross started on BTCUSDT" in lines
        assert "strategy sma_cross killed" in lines


async def test_a_refused_line_starts_nothing_and_a_raising_strategy_is_shown_failed(
    tmp_path: Path, keys: Keys
) -> None:
    async with console_on_venue(tmp_path, SIZE) as (venue, app, engine, pilot):
        await pilot.press(*keys(":strat start sma_cross NOPE"))
        screen = app.screen
        assert isinstance(screen, CommandLine) and screen.plan is not None
        assert not screen.plan.ready and "'NOPE' is not a configured symbol" in screen.plan.error
        await pilot.press("enter")
        await pilot.pause()
        assert app.strategy_actions.rows == []

        # A strategy that raises is stopped and shown failed with its error (row, log, toast).
        await pilot.press("escape")
        await pilot.press(*keys(":strat start tests.strategy.portfolio_strategies:Breaks"), "enter")
        await advance_until(
            pilot, venue, lambda: (r := row(app, "breaks")) is not None and r.state == "failed", "failed"
        )
        assert cell(app, "breaks", 2) == "failed"
        assert "on_bar raised RuntimeError: bad bar" in cell(app, "breaks", 9)

        # the toast is a posted message: wait for the app to take it in, do not race it
        def toasted() -> bool:
            return any("breaks FAILED" in str(n.message) for n in app._notifications)

        await advance_until(pilot, venue, toasted, "the failure's toast")
        assert any("strategy breaks FAILED and stopped" in line for line in app.main.log_pane.history)


def test_strat_lines_parse_strictly() -> None:
    syms = ["BTCUSDT", "ETHUSDT"]
    cmd = parse_strat("strat start sma_cross eth fast=5 slow=20 alloc=1500 as=fastx", syms)
    assert (cmd.verb, cmd.name, cmd.symbol, cmd.params, cmd.allocation, cmd.label) == (
        "start",
        "sma_cross",
        "ETHUSDT",
        ("fast=5", "slow=20"),
        Decimal(1500),
        "fastx",
    )
    assert parse_strat("strat kill fastx", syms).verb == "kill"
    for bad in ("strat", "strat go x", "strat stop a b", "strat start s alloc=1,5", "strat start s BTC ETH"):
        try:
            parse_strat(bad, syms)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")
