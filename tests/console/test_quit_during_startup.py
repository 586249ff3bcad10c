"""Quitting while the engine is still starting closes what its start opened: the journal (left
open, the next run reports the last one as a crash that lost records), on the real engine and the
in-process venue, its start held where a venue that does not answer holds it (the instruments)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.app import TradeConsoleApp
from core.journal.journal import Journal
from tests.support.console_types import SIZE
from tests.support.venue_under_test import InProcessVenue


async def test_a_quit_during_the_engines_start_closes_its_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    never = asyncio.Event()

    async def unanswered() -> None:
        await never.wait()

    monkeypatch.setattr(engine.startup, "_load_market", unanswered)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.engine_started, "the start finished: this test needs it cut short"
        await pilot.press("ctrl+q")
    assert engine.journal._closed, "the journal the engine's start opened was left open"
    with Journal(settings.journal.path) as again:
        assert again.recovery is None, "the next run saw the last one as a crash"
