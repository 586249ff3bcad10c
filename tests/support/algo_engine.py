"""An engine on the in-process venue with a fast algo tick, for the algo restart tests."""

from __future__ import annotations

from pathlib import Path

from core.engine import Engine
from core.resilience.retry import RetryPolicy
from tests.support.venue_under_test import InProcessVenue

FAST_TICK_S = 0.001
"""The algo runner's real-time wake-up in these tests (the venue's clock drives the market)."""


async def started(venue: InProcessVenue, tmp_path: Path, policy: RetryPolicy) -> Engine:
    """A started engine on ``venue`` with its journal under ``tmp_path`` and a fast algo tick."""
    engine = venue.engine(venue.settings(tmp_path), retry_policy=policy)
    await engine.start()
    engine.algo_runner.tick_s = FAST_TICK_S
    return engine
