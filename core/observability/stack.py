"""One object the engine owns for all of observability: metrics, server, alerts and webhook.

It exists so the engine's wiring stays a few lines::

    obs = ObservabilityStack.from_settings(settings.metrics, mode="sim", venue="bybit-sim",
                                           health_provider=engine.health_snapshot)
    await obs.start()                      # binds /metrics /healthz /readyz (if enabled), own thread
    ...
    obs.publish_health(snapshot)           # every second: what /healthz and /readyz answer from
    changes = obs.evaluate_alerts(state)   # every second; posts the webhook, returns the changes
    ...
    await obs.stop()

Logging is set up separately (:func:`core.observability.logging.setup_logging`) because it must
start before anything else logs, and it is process-wide.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from core.metrics import Metrics
from core.observability.alerts import AlertChange, AlertEngine, AlertRule, AlertState, default_rules
from core.observability.health import DEFAULT_MAX_FEED_AGE_S, DEFAULT_MAX_TIME_OFFSET_MS, HealthSnapshot
from core.observability.server import HealthProvider, ObservabilityServer
from core.observability.webhook import WebhookNotifier

__all__ = ["MetricsSettingsLike", "ObservabilityStack"]

log = logging.getLogger(__name__)


class MetricsSettingsLike(Protocol):
    """The fields of ``core.config.MetricsSettings`` this module reads."""

    @property
    def enabled(self) -> bool: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def slow_op_s(self) -> float: ...
    @property
    def webhook_url(self) -> str | None: ...


class ObservabilityStack:
    """Metrics + optional HTTP server + alert engine + optional webhook, started and stopped together."""

    def __init__(
        self,
        metrics: Metrics,
        server: ObservabilityServer | None,
        alerts: AlertEngine,
        webhook: WebhookNotifier | None,
    ) -> None:
        """Prefer :meth:`from_settings`; this form is for tests that assemble parts by hand."""
        self.metrics = metrics
        self.server = server
        self.alerts = alerts
        self.webhook = webhook

    @classmethod
    def from_settings(
        cls,
        settings: MetricsSettingsLike,
        *,
        mode: str,
        venue: str,
        health_provider: HealthProvider,
        rules: list[AlertRule] | None = None,
        max_feed_age_s: float = DEFAULT_MAX_FEED_AGE_S,
        max_time_offset_ms: float = DEFAULT_MAX_TIME_OFFSET_MS,
        allow_public: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> ObservabilityStack:
        """Build from ``[metrics]`` settings. The server is only made when ``enabled``.

        ``allow_public`` defaults to the settings' ``allow_public`` field if it has one, else False.
        ``clock`` must be the one whose time goes into ``AlertState.now`` (the engine's ``monotonic``).
        """
        metrics = Metrics(slow_op_s=settings.slow_op_s, clock=clock)
        metrics.set_info(mode, venue)
        public = bool(getattr(settings, "allow_public", False)) if allow_public is None else allow_public
        server = (
            ObservabilityServer(
                metrics,
                health_provider,
                host=settings.host,
                port=settings.port,
                allow_public=public,
                max_feed_age_s=max_feed_age_s,
                max_time_offset_ms=max_time_offset_ms,
            )
            if settings.enabled
            else None
        )
        if rules is None:
            rules = default_rules(max_feed_age_s=max_feed_age_s)
        alerts = AlertEngine(rules, metrics=metrics)
        webhook = (
            WebhookNotifier(settings.webhook_url, mode=mode, venue=venue) if settings.webhook_url else None
        )
        return cls(metrics, server, alerts, webhook)

    async def start(self) -> None:
        """Start the HTTP server (if any) on its own thread, with a first health snapshot.

        Raises ``OSError`` when the port is taken.
        """
        if self.server is not None:
            await self.server.refresh()
            await self.server.start()

    def publish_health(self, snapshot: HealthSnapshot) -> None:
        """Hand the server the engine's latest health (the server thread never asks the engine)."""
        if self.server is not None:
            self.server.publish(snapshot)

    async def stop(self) -> None:
        """Stop the server and flush/close the webhook."""
        if self.server is not None:
            await self.server.stop()
        if self.webhook is not None:
            await self.webhook.close()

    def evaluate_alerts(self, state: AlertState) -> list[AlertChange]:
        """Run the alert rules; log and post (fire-and-forget, needs a running loop) every change."""
        changes = self.alerts.evaluate(state)
        for change in changes:
            level = logging.WARNING if change.active else logging.INFO
            log.log(
                level,
                "alert %s %s: %s",
                change.rule,
                "raised" if change.active else "cleared",
                change.message,
            )
        if changes and self.webhook is not None:
            self.webhook.submit(changes)
        return changes
