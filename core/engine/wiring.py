"""Builds the engine's guards and instruments from the settings: rate limiter, endpoint breakers,
retry policy, journal, observability (metrics, /healthz, alerts), risk chain and breaker board."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.clock import Clock
from core.config import Settings
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.health import HealthSnapshot
from core.observability.stack import ObservabilityStack
from core.resilience.breaker import EndpointBreaker
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy
from core.risk.breakers import BreakerBoard
from core.risk.chain import RiskChain
from core.venues.base import RateFeedback, Venue


class ObservedRateLimiter(RateLimiter):
    """The engine's rate limiter; also hands the venue's own rate-limit reports to the metrics."""

    on_feedback: Callable[[str, RateFeedback], object] | None = None

    def observe(self, feedback: RateFeedback) -> None:
        """Correct the group's window from the report, then pass it on (with its group)."""
        super().observe(feedback)
        if self.on_feedback is not None:
            self.on_feedback(self.group_of(feedback.endpoint), feedback)


@dataclass(slots=True)
class Support:
    """The engine's guards and instruments, built once from the settings."""

    limiter: ObservedRateLimiter
    endpoint_breakers: EndpointBreaker
    retry_policy: RetryPolicy
    obs: ObservabilityStack
    metrics: Metrics
    journal: Journal
    risk_chain: RiskChain
    breaker_board: BreakerBoard


def venue_label(settings: Settings) -> str:
    """The venue as metrics and /healthz name it, e.g. ``bybit-sim``, ``hyperliquid-demo``,
    ``multi-live`` (the configured venue's name, never assumed)."""
    return f"{settings.venue.name}-{settings.mode.value}"


def build_support(
    settings: Settings,
    venue: Venue,
    clock: Clock,
    health_provider: Callable[[], HealthSnapshot],
    retry_policy: RetryPolicy | None = None,
) -> Support:
    """Everything the engine guards itself with, wired to its metrics; the limiter follows the
    venue's rate table and reports; the journal knows the keys (so it never writes them)."""
    s = settings
    limiter = ObservedRateLimiter(venue.rate_table)
    venue.on_rate_feedback = limiter.observe
    obs = ObservabilityStack.from_settings(
        s.metrics,
        mode=s.mode.value,
        venue=venue_label(s),
        health_provider=health_provider,
        max_feed_age_s=s.risk.book_stale_s,
        clock=clock.monotonic,
    )
    metrics: Metrics = obs.metrics
    limiter.on_feedback = lambda group, fb: metrics.set_rate_limit_reported(group, fb.limit, fb.remaining)
    journal = Journal(s.journal.path, clock)
    journal.on_write = metrics.observe_journal_write
    key, _secret = s.credentials()
    journal.add_secret(key)
    for value in s.secret_values():  # every venue's and mode's (each leg of two venues has its own)
        journal.add_secret(value)
    return Support(
        limiter=limiter,
        endpoint_breakers=EndpointBreaker(
            open_after=s.breakers.endpoint_open_after,
            window_s=s.breakers.api_failure_window_s,
            half_open_after_s=s.breakers.endpoint_half_open_s,
        ),
        retry_policy=retry_policy or RetryPolicy(wall_ms=clock.now_ms),
        obs=obs,
        metrics=metrics,
        journal=journal,
        risk_chain=RiskChain.from_settings(s.risk),
        breaker_board=BreakerBoard.from_settings(s),
    )
