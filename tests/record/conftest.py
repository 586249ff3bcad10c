"""A recording made once per session from the seeded sim over loopback (pybit feeds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import SystemClock
from core.config import SimSettings, load_settings
from core.record.format import BOOK_DELTA, TRADE, RecordingWriter
from core.record.recorder import RecordResult, record
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread

SYMBOLS = ("BTCUSDT", "ETHUSDT")
ENOUGH = 30
"""Trades and book deltas per symbol a recording waits for."""


def _enough(writer: RecordingWriter) -> bool:
    return all(writer.counts[s][TRADE] >= ENOUGH and writer.counts[s][BOOK_DELTA] >= ENOUGH for s in SYMBOLS)


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordResult]:
    """Record the seeded sim's BTCUSDT and ETHUSDT until each has enough trades and deltas."""
    tmp = tmp_path_factory.mktemp("rec")
    sim = SimSettings(port=0, market_rate_hz=50.0, seed=11)
    clock = SystemClock()
    exchange = SimExchange(seed=sim.seed, clock=clock, starting_balance=sim.starting_balance)
    venue = SimVenueThread(sim, clock, exchange=exchange, limits_scale=100.0).start()
    try:
        settings = load_settings(
            sim=venue.settings.model_copy(update={"port": venue.port}),
            journal={"path": str(tmp / "journal.db")},
            metrics={"enabled": False},
        )
        yield record(settings, SYMBOLS, tmp / "out", minutes=1.0, until=_enough)
    finally:
        venue.stop()


@pytest.fixture
def rec_dir(recording: RecordResult) -> Path:
    """The recording's directory."""
    return recording.out
