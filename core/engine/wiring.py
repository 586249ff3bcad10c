"""Builds the engine's guards and instruments from the settings: rate limiter, endpoint breakers,
retry policy, journal, observability (metrics, /healthz, alerts), risk chain and breaker board."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.clock import Clock
from core.config import Settings
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.health import HealthSnapshot
from core.observability.stack import ObservabilityStack
from core.resilience.breaker import EndpointBreaker
from core.resilience.ratelimit import RateLimiter, group_for
from core.resilience.retry import RetryPolicy
from core.risk.breakers import BreakerBoard
from core.risk.chain import RiskChain


class ObservedRateLimiter(RateLimiter):
    """The engine's rate limiter; also hands the venue's rate-limit headers to the metrics."""

    on_headers: Callable[[str, Mapping[str, str]], object] | None = None

    def update_from_headers(self, path: str, headers: Mapping[str, str]) -> None:
        """Correct the group's window from the headers, then report them (``source="header"``)."""
        super().update_from_headers(path, headers)
        if self.on_headers is not None:
            self.on_headers(group_for(path), headers)


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
    """The venue as metrics and /healthz name it, e.g. ``bybit-sim``."""
    return f"bybit-{settings.mode.value}"


def build_support(
    settings: Settings,
    clock: Clock,
    health_provider: Callable[[], HealthSnapshot],
    retry_policy: RetryPolicy | None = None,
) -> Support:
    """Everything the engine guards itself with, wired to its metrics; the journal knows the keys
    (so it never writes them)."""
    s = settings
    limiter = ObservedRateLimiter()
    obs = ObservabilityStack.from_settings(
        s.metrics,
        mode=s.mode.value,
        venue=venue_label(s),
        health_provider=health_provider,
        max_feed_age_s=s.risk.book_stale_s,
        clock=clock.monotonic,
    )
    metrics: Metrics = obs.metrics
    limiter.on_headers = metrics.set_rate_limit_from_headers
    journal = Journal(s.journal.path, clock)
    journal.on_write = metrics.observe_journal_write
    key, secret = s.credentials()
    journal.add_secret(key)
    journal.add_secret(secret)
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
