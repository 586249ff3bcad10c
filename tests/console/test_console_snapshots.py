"""Snapshot tests (synchronous, as pytest-textual-snapshot requires): the main screen per mode and
size, the ticket with a passing and a blocked preview, panic, live confirmation, help, and every
theme. Deterministic: market data from the real sim (seed 42) stepped on a frozen clock, previews
from the real builder and risk chain, a fixed account, no refresh timer, NO_COLOR cleared.

Create/accept snapshots with ``pytest tests/console --snapshot-update``."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.support.console_types import SnapCompare
from tests.support.snapshot_engine import make_sim_app as make_app
from themes import DEFAULT_THEME, THEMES

SMALL = (80, 24)
MEDIUM = (100, 30)
LARGE = (160, 50)


async def _settle(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, MEDIUM, LARGE], ids=["80x24", "100x30", "160x50"])
def test_main_sim(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_settle)


def test_main_demo(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app("demo"), terminal_size=SMALL, run_before=_settle)


def test_live_confirmation(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app("live"), terminal_size=SMALL, run_before=_settle)


def test_main_live_after_phrase(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.pause()
        await pilot.press(*"LIVE", "space", *"BTCUSDT", "enter")
        await _settle(pilot)

    assert snap_compare(make_app("live"), terminal_size=LARGE, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x50"])
def test_ticket_passing(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("b", "0", ".", "1")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_ticket_blocked(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("s", "5", "0")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)


def test_ticket_invalid_input(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("b", "x", "enter")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x50"])
def test_command_line_preview(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A typed command-line order with its preview from the real builder and risk chain."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("colon", *"buy 0.01 @ -0.1% post")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_command_line_refusal(snap_compare: SnapCompare) -> None:
    """A decimal comma is refused in place with what to type instead."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("colon", *"buy 0,01")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)


def test_panic_modal(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("ctrl+k")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)


def test_panic_done(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)


def test_help(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("question_mark")
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)


@pytest.mark.parametrize("theme", [t for t in THEMES if t != DEFAULT_THEME])  # default: test_main_sim
def test_theme(snap_compare: SnapCompare, theme: str) -> None:
    app = make_app(ui={"theme": theme})
    assert snap_compare(app, terminal_size=LARGE, run_before=_settle)
