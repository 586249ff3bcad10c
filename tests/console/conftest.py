"""Console test fixtures: deterministic app factory (fake engine, frozen clock, pinned theme),
NO_COLOR cleared, no cursor blink; and a real sim + real engine for the end-to-end Pilot tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_fakes import FakeEngine, test_settings
from textual.widgets import Input

from console.app import TradeConsoleApp
from core.config import Settings, SimSettings, load_settings
from core.sim.runner import SimVenueThread


@pytest.fixture(autouse=True)
def _deterministic_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def make_app(mode: str = "sim", *, refresh: bool = False, **overrides: Any) -> TradeConsoleApp:
    """A console on the deterministic fake engine."""
    settings = test_settings(mode, **overrides)
    engine = FakeEngine(settings)
    return TradeConsoleApp(engine, settings, clock=engine.clock, refresh=refresh)


def fake(app: TradeConsoleApp) -> FakeEngine:
    """The app's fake engine, typed."""
    assert isinstance(app.engine, FakeEngine)
    return app.engine


@pytest.fixture
def sim_venue() -> Iterator[SimVenueThread]:
    """A real sim venue on a free loopback port."""
    venue = SimVenueThread(SimSettings(port=0, seed=7, market_rate_hz=20.0)).start()
    try:
        yield venue
    finally:
        venue.stop()


def real_settings(venue: SimVenueThread, tmp_path: Path) -> Settings:
    """Settings for a real engine on ``venue`` with a private journal and metrics off."""
    return load_settings(
        sim=venue.settings.model_copy(update={"port": venue.port}),
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        ui={"theme": "trade-dark"},
    )
