"""Circuit breakers from the console: every tripped breaker shows its reason, and each one can be
reset with a key or the palette — picked, with a reason chosen or typed, confirmed with ``y``, and
journaled with who and why. Against the real engine on a sim venue whose REST side fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from console.app import TradeConsoleApp
from console.screens.breakers import PRESET_REASONS, BreakerResetScreen
from console.screens.modals import ConfirmScreen
from core.engine import Engine
from core.events import RiskStatus
from core.resilience.errors import VenueError
from core.sim.runner import SimVenueThread
from tests.support.console_fakes import real_settings
from tests.support.console_types import AppReady, WaitUntil
from widgets.header import HeaderData, StatusLine
from widgets.risk_meters import RiskMeters

SIZE = (100, 30)
SYM = "BTCUSDT"
API_REASON = (
    "6 API failures within 60 s >= limit 5 (breakers.api_failures / breakers.api_failure_window_s); "
    "last: Transient [/v5/order/realtime]: HTTP 503 HTTP status code is not 200."
)


def _text(lines: list[tuple[tuple[str, str], ...]]) -> list[str]:
    return ["".join(t for t, _ in ln) for ln in lines]


def test_risk_pane_shows_each_tripped_breakers_whole_reason_in_a_narrow_pane() -> None:
    rm = RiskMeters()
    rm._status = RiskStatus(
        daily_loss=0,  # type: ignore[arg-type]
        daily_loss_limit=5000,  # type: ignore[arg-type]
        gross_exposure=0,  # type: ignore[arg-type]
        gross_exposure_cap=100,  # type: ignore[arg-type]
        margin_use_pct=0,  # type: ignore[arg-type]
        breakers={
            "daily_loss": ("closed", ""),
            "min_balance": ("closed", ""),
            "api_failures": ("open", API_REASON),
            "api:/v5/order/realtime": ("open", "5 failures in 60s"),
        },
        rate_headroom={},
    )
    width = 38  # the risk pane at 80 columns
    text = _text(rm.build_lines(width, 20))
    assert all(len(t) <= width for t in text), text
    start = text.index("✖ api_failures TRIPPED")
    # The reason wraps under the breaker instead of running off the pane's edge.
    wrapped = " ".join(t.strip() for t in text[start + 1 : start + 4])
    assert wrapped.startswith("6 API failures within 60 s >= limit 5")
    assert "✖ api:/v5/order/realtime TRIPPED" in text
    # Tripped ones come before the closed ones, so a short pane shows them first.
    assert start < text.index("● daily_loss ok")
    # Short pane: only the tripped ones (with reasons), never a bare "all ok".
    short = _text(rm.build_lines(width, 5))
    assert "✖ api_failures TRIPPED" in short and not any("daily_loss" in t for t in short)


def test_header_names_the_dead_socket_before_a_stale_book() -> None:
    """During an outage the header says the socket is down, not that one book went stale."""
    states = {"book:BTCUSDT": "stale", "public": "down", "private": "resyncing"}
    text = "".join(t for t, _ in StatusLine.build_line(HeaderData(symbol=SYM, connectivity=states)))
    assert "✖ public down" in text
    back = {"book:BTCUSDT": "up", "public": "up", "private": "up"}
    text = "".join(t for t, _ in StatusLine.build_line(HeaderData(symbol=SYM, connectivity=back)))
    assert "● up" in text and "✖" not in text


def make_app(sim_venue: SimVenueThread, tmp_path: Path) -> tuple[TradeConsoleApp, Engine]:
    settings = real_settings(sim_venue, tmp_path)
    engine = Engine(settings)
    policy = dataclasses.replace(engine.retry_policy, base_s=0.01, cap_s=0.02, max_attempts=3)
    engine.retry_policy = policy
    engine.executor.policy = policy
    return TradeConsoleApp(engine, settings), engine


async def trip_api_failures(pilot: Pilot[int], engine: Engine, sim_venue: SimVenueThread) -> None:
    """The venue's REST side answers 503 until the account sync has failed enough times.

    Each failed sync is one failure after its retries: the breakers count calls, not attempts
    (default limits: 5 for the account breaker and for the open-orders endpoint's circuit).
    """
    sim_venue.set_faults("http5xx=1")
    for _ in range(10):
        try:
            await engine.account_sync.refresh_account()
        except VenueError:
            pass
        else:
            raise AssertionError("the account sync should fail while the venue answers 503")
        realtime = engine.endpoint_breakers.state("/v5/order/realtime")
        if engine.breaker_board.is_tripped("api_failures") and realtime != "closed":
            break
    sim_venue.set_faults("clear")
    assert engine.breaker_board.is_tripped("api_failures")
    await pilot.pause(0.2)


async def test_reset_key_with_chosen_then_typed_reasons_confirmed_and_journaled(
    sim_venue: SimVenueThread, tmp_path: Path, wait_until: WaitUntil, app_ready: AppReady
) -> None:
    app, engine = make_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        await pilot.press("R")
        assert app.screen is app.main  # nothing tripped: nothing to reset, and it says so
        await trip_api_failures(pilot, engine, sim_venue)
        tripped = {n for n, (st, _r) in engine.risk_status().breakers.items() if st != "closed"}
        assert tripped == {"api_failures", "api:/v5/order/realtime"}

        await pilot.press("R")
        box = app.screen
        assert isinstance(box, BreakerResetScreen)
        assert "API failures within 60 s" in str(box.query_one("#breaker-was", Static).render())
        # The account breaker is first; Enter moves to the reasons, Enter takes the first one.
        await pilot.press("enter", "enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Reset api_failures?" in confirm.body and PRESET_REASONS[0] in confirm.body
        assert engine.breaker_board.is_tripped("api_failures")  # not before y
        await pilot.press("y")
        await wait_until(pilot, lambda: not engine.breaker_board.is_tripped("api_failures"), "the reset")

        # The endpoint circuit next, with a reason typed in one burst (never an empty one).
        await pilot.press("R")
        box = app.screen
        assert isinstance(box, BreakerResetScreen) and box.selected == "api:/v5/order/realtime"
        await pilot.press("up", "enter")  # "type a reason…" is the last entry
        assert isinstance(app.focused, Input)
        await pilot.press("enter")
        assert app.screen is box and "reason is required" in str(
            box.query_one("#breaker-error", Static).render()
        )
        await pilot.press("u", "p", "enter", "y")
        await wait_until(
            pilot,
            lambda: engine.endpoint_breakers.states()["/v5/order/realtime"][0] == "closed",
            "the endpoint circuit reset",
        )
        resets = [r.data for r in engine.journal.query(kinds=["breaker_reset"])]
        assert [(r["name"], r["who"], r["note"]) for r in resets] == [
            ("api_failures", "console", PRESET_REASONS[0]),
            ("api:/v5/order/realtime", "console", "up"),
        ]
        assert "API failures" in resets[0]["was"]


async def test_palette_opens_the_reset_for_the_named_breaker_and_escape_resets_nothing(
    sim_venue: SimVenueThread, tmp_path: Path, wait_until: WaitUntil, app_ready: AppReady
) -> None:
    app, engine = make_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        await trip_api_failures(pilot, engine, sim_venue)
        await pilot.press("ctrl+p")
        await pilot.press(*"api_f")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakerResetScreen), "the reset box")
        box = app.screen
        assert isinstance(box, BreakerResetScreen) and box.selected == "api_failures"
        assert isinstance(app.focused, OptionList) and app.focused.id == "breaker-reasons"
        await pilot.press("escape")
        assert app.screen is app.main
        # Chosen, then refused at the y/n check: still tripped, nothing journaled.
        await pilot.press("R", "enter", "enter", "n")
        assert app.screen is app.main
        assert engine.breaker_board.is_tripped("api_failures")
        assert engine.journal.query(kinds=["breaker_reset"]) == []
