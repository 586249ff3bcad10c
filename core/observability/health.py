"""Health and readiness: a plain snapshot in, a verdict with reasons out.

The engine builds a :class:`HealthSnapshot` on demand (cheap: it copies a few numbers it already
keeps); :func:`evaluate_health` decides whether trading is safe. ``/healthz`` answers 200 only
when every check passes and 503 with the reasons otherwise; ``/readyz`` answers 200 once start-up
is complete (:func:`evaluate_readiness`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.metrics import breaker_state_value

__all__ = ["HealthResult", "HealthSnapshot", "evaluate_health", "evaluate_readiness"]

DEFAULT_MAX_FEED_AGE_S = 5.0
DEFAULT_MAX_TIME_OFFSET_MS = 1000.0


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """What the engine knows about its own health at one instant.

    ``feed_ages_s`` maps a stream name (``orderbook.BTCUSDT``) to the seconds since its last
    message (``None``: nothing received yet). ``stale_feeds`` maps a stream to the reason it is
    unusable although messages still arrive (a sequence gap awaiting its resync snapshot).
    ``breakers`` maps a breaker name to its state string (``closed``/``half_open``/``open``).
    ``ready_reasons`` lists what start-up is still waiting for (empty when done).
    ``journal_reason`` says why the journal cannot take writes (from a real write or probe).
    ``bad_data`` maps a stream (``tickers.ETHUSDT``, ``wallet``) to the bad value the venue sent
    on it recently (NaN, Infinity, a negative size ...), which the adapter rejected.
    """

    venue_reachable: bool
    time_offset_ms: float | None
    feed_ages_s: Mapping[str, float | None]
    breakers: Mapping[str, str]
    journal_writable: bool
    started: bool = True
    ready_reasons: tuple[str, ...] = ()
    mode: str = ""
    venue: str = ""
    stale_feeds: Mapping[str, str] = field(default_factory=dict)
    journal_reason: str = ""
    bad_data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HealthResult:
    """A verdict: ``ok`` decides 200/503, ``reasons`` say why not, ``body`` is the JSON payload."""

    ok: bool
    reasons: list[str]
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        """The HTTP status to answer with."""
        return 200 if self.ok else 503


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _over(value: float, limit: float) -> tuple[str, str]:
    """``value`` and ``limit`` with just enough decimals that the text shows value > limit."""
    for digits in (1, 2, 3):
        v, lim = f"{value:.{digits}f}", f"{limit:.{digits}f}"
        if float(v) > float(lim):
            return v, lim
    return f"{value:.3f}", f"{limit:.3f}"


def evaluate_health(
    snapshot: HealthSnapshot,
    *,
    max_feed_age_s: float = DEFAULT_MAX_FEED_AGE_S,
    max_time_offset_ms: float = DEFAULT_MAX_TIME_OFFSET_MS,
) -> HealthResult:
    """Decide whether trading is safe. Every failing check adds a reason naming its numbers.

    Unsafe when: start-up is not complete, the venue is unreachable, the clock offset is unknown
    or larger than ``max_time_offset_ms`` in either direction, a feed has no data, is older than
    ``max_feed_age_s`` or is marked stale (a gap), any breaker is not closed, the journal is
    not writable, or the venue recently sent values the adapter had to reject.
    """
    reasons: list[str] = []
    if not snapshot.started:
        reasons.append("engine not started")
    if not snapshot.venue_reachable:
        reasons.append("venue unreachable")

    offset = _finite(snapshot.time_offset_ms)
    offset_ok = offset is not None and abs(offset) <= max_time_offset_ms
    if offset is None:
        reasons.append("time offset unknown")
    elif not offset_ok:
        reasons.append(f"time offset {offset:.0f} ms exceeds {max_time_offset_ms:.0f} ms")

    feeds = _feed_checks(snapshot, max_feed_age_s, reasons)
    breakers = _breaker_checks(snapshot, reasons)
    if not snapshot.journal_writable:
        why = f": {snapshot.journal_reason}" if snapshot.journal_reason else ""
        reasons.append(f"journal not writable{why}")
    for stream in sorted(snapshot.bad_data):
        reasons.append(f"bad data on {stream}: {snapshot.bad_data[stream]}")

    ok = not reasons
    body: dict[str, Any] = {
        "status": "ok" if ok else "unhealthy",
        "mode": snapshot.mode,
        "venue": snapshot.venue,
        "reasons": reasons,
        "checks": {
            "started": snapshot.started,
            "venue": {"reachable": snapshot.venue_reachable},
            "time_offset": {"ms": offset, "max_ms": max_time_offset_ms, "ok": offset_ok},
            "feeds": feeds,
            "max_feed_age_s": max_feed_age_s,
            "breakers": breakers,
            "journal": {"writable": snapshot.journal_writable, "reason": snapshot.journal_reason},
            "bad_data": dict(snapshot.bad_data),
        },
    }
    return HealthResult(ok, reasons, body)


def _feed_checks(
    snapshot: HealthSnapshot, max_feed_age_s: float, reasons: list[str]
) -> dict[str, dict[str, Any]]:
    """Each feed's age and staleness; a reason is added for every feed without fresh, gap-free data."""
    feeds: dict[str, dict[str, Any]] = {}
    for stream in sorted(set(snapshot.feed_ages_s) | set(snapshot.stale_feeds)):
        age = _finite(snapshot.feed_ages_s.get(stream))
        fresh = age is not None and age <= max_feed_age_s
        why = snapshot.stale_feeds.get(stream)
        feeds[stream] = {"age_s": None if age is None else round(age, 3), "ok": fresh and why is None}
        if why is not None:
            feeds[stream]["stale"] = why
        if age is None:
            reasons.append(f"feed {stream} has no data")
        elif not fresh:
            shown, limit = _over(age, max_feed_age_s)
            reasons.append(f"feed {stream} stale: {shown} s > {limit} s")
        elif why is not None:
            reasons.append(f"feed {stream} stale: {why}")
    return feeds


def _breaker_checks(snapshot: HealthSnapshot, reasons: list[str]) -> dict[str, dict[str, Any]]:
    """Each breaker's state; a reason is added for every breaker that is not closed."""
    breakers: dict[str, dict[str, Any]] = {}
    for name in sorted(snapshot.breakers):
        state = snapshot.breakers[name]
        ok = breaker_state_value(state) == 0
        breakers[name] = {"state": state, "ok": ok}
        if not ok:
            reasons.append(f"breaker {name} {state}")
    return breakers


def evaluate_readiness(snapshot: HealthSnapshot) -> HealthResult:
    """Ready once the engine has started and nothing in ``ready_reasons`` is outstanding."""
    reasons = ([] if snapshot.started else ["engine not started"]) + list(snapshot.ready_reasons)
    ok = not reasons
    body = {"ready": ok, "mode": snapshot.mode, "venue": snapshot.venue, "reasons": reasons}
    return HealthResult(ok, reasons, body)
