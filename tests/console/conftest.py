"""Console test fixtures: NO_COLOR cleared, no cursor blink, no animations (autouse), and a real sim
venue for the end-to-end Pilot tests. Helpers (fake engine, app factory) live in ``console_fakes``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Input

from core.config import SimSettings
from core.sim.runner import SimVenueThread


@pytest.fixture(autouse=True)
def _deterministic_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def sim_venue() -> Iterator[SimVenueThread]:
    """A real sim venue on a free loopback port."""
    venue = SimVenueThread(SimSettings(port=0, seed=7, market_rate_hz=20.0)).start()
    try:
        yield venue
    finally:
        venue.stop()
