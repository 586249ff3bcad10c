"""Snapshot tests (synchronous, as pytest-textual-snapshot requires): the main screen per mode and
size, the ticket with a passing and a blocked preview, panic, live confirmation, help, and every
theme. Deterministic: market data from the real sim (seed 42) stepped on a frozen clock, previews
from the real builder and risk chain, a fixed account, no refresh timer, NO_COLOR cleared.

Create/accept snapshots with ``pytest tests/console --snapshot-update``."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from textual.pilot import Pilot

from core.events import AlgoUpdated
from tests.support.console_types import SnapCompare
from tests.support.snapshot_engine import SeededSimEngine
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


def test_algos_pane(snap_compare: SnapCompare) -> None:
    """The algos pane at 160x50: a TWAP half filled (avg vs arrival, slippage), a paused chase
    and a cancelled scale, each with its progress bar, state and note."""

    async def run_before(pilot: Pilot[int]) -> None:
        engine = pilot.app.engine  # type: ignore[attr-defined]
        assert isinstance(engine, SeededSimEngine)
        mid = engine.mark("BTCUSDT")
        twap = {"symbol": "BTCUSDT", "side": "Buy", "qty": "2", "duration_ms": 1_800_000, "slices": 10}
        low, high = str(mid - 500), str(mid - 100)
        scale = {
            "symbol": "BTCUSDT",
            "side": "Buy",
            "total_qty": "1",
            "price_from": low,
            "price_to": high,
            "count": 5,
        }
        for kind, params in (("twap", twap), ("chase", {"symbol": "BTCUSDT", "side": "Sell", "qty": "0.5"}),
                             ("scale", scale)):  # fmt: skip
            assert (await engine.start_algo(kind, params)).ok
        algos = engine.algo_list
        algos["a1"] = replace(algos["a1"], filled=Decimal(1), avg_price=mid + Decimal("2.5"),
                              arrival_price=mid, note="slice 5/10", children=5)  # fmt: skip
        algos["a2"] = replace(algos["a2"], state="paused", note="paused @ touch", arrival_price=mid)
        algos["a3"] = replace(
            algos["a3"], state="cancelled", total=Decimal(1), note="cancelled by the trader"
        )
        engine.store.put_event(AlgoUpdated(engine.clock.now_ms(), "a3", "cancelled"))
        pilot.app.refresh_ui(force=True)  # type: ignore[attr-defined]
        await _settle(pilot)

    assert snap_compare(make_app(), terminal_size=LARGE, run_before=run_before)
