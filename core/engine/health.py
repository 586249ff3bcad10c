"""Health and alerts: what /healthz answers, the alert rules run once a second, the sampled
gauges (breakers, readiness, WebSocket counts, rate-limit use) and the risk meters' numbers."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from core.account import AccountState
from core.clock import Clock
from core.config import Settings
from core.engine.guards import Guards
from core.engine.link import VenueLink
from core.engine.publisher import Publisher
from core.engine.wiring import ObservedRateLimiter, venue_label
from core.events import AlertRaised, RiskStatus
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.alerts import AlertState
from core.observability.baddata import BadDataTracker
from core.observability.health import HealthSnapshot, evaluate_health, evaluate_readiness
from core.observability.stack import ObservabilityStack

RECONNECTS_KEPT = 100
"""Reconnect times kept per stream for the alert rules."""


class Health:
    """Answers health questions and runs the alert rules."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        state: AccountState,
        guards: Guards,
        limiter: ObservedRateLimiter,
        link: VenueLink,
        journal: Journal,
        obs: ObservabilityStack,
        metrics: Metrics,
        bad_data: BadDataTracker,
        publisher: Publisher,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.state = state
        self.guards = guards
        self.limiter = limiter
        self.link = link
        self.journal = journal
        self.obs = obs
        self.metrics = metrics
        self.bad_data = bad_data
        self.out = publisher
        self.venue_label = venue_label(settings)
        """The venue as metrics and /healthz name it, e.g. ``bybit-sim``."""
        self._reconnect_times: dict[str, deque[float]] = {}
        self._ws_counted: dict[str, int] = {}

    def _feeds_health(self) -> tuple[dict[str, float | None], dict[str, str]]:
        """Ages and stale reasons by feed name (``orderbook.BTCUSDT``, ``private``)."""
        feeds: dict[str, float | None] = {}
        stale: dict[str, str] = {}
        live, books = self.link.feeds, self.link.books
        if live is None or books is None:
            return feeds, stale
        ages = books.feed_ages_s()
        for sym in self.link.symbols:
            feeds[f"orderbook.{sym}"] = ages.get(sym)
            if sym in ages and books.is_stale(sym):
                stale[f"orderbook.{sym}"] = books.stale_reason(sym) or "marked stale"
        # The private stream is silent while nothing happens, so its health is its connection.
        up = live.is_connected("private")
        feeds["private"] = 0.0 if up else None
        if not up:
            stale["private"] = "private stream disconnected: fills and order updates are not arriving"
        return feeds, stale

    def snapshot(self) -> HealthSnapshot:
        """What /healthz reports. Book feeds are named like their topic: ``orderbook.BTCUSDT``."""
        board, endpoints = self.guards.board, self.guards.endpoints
        breakers = {name: state for name, (state, _reason) in board.status_map().items()}
        breakers |= {f"api:{k}": v[0] for k, v in endpoints.states().items()}
        feeds, stale = self._feeds_health()
        journal_problem = self.journal.probe()  # a real write (at most once a second), not SELECT 1
        started = self.link.started
        return HealthSnapshot(
            venue_reachable=self.link.venue_reachable,
            time_offset_ms=self.link.time_offset_ms,
            feed_ages_s=feeds,
            breakers=breakers,
            journal_writable=not journal_problem,
            started=started,
            ready_reasons=() if started else ("engine starting",),
            mode=self.settings.mode.value,
            venue=self.venue_label,
            stale_feeds=stale,
            journal_reason=journal_problem,
            bad_data=self.bad_data.recent(),
        )

    def note_reconnect(self, stream: str) -> None:
        """Remember a reconnect for the alert rules (and count it)."""
        times = self._reconnect_times.setdefault(stream, deque(maxlen=RECONNECTS_KEPT))
        times.append(self.clock.monotonic())
        self.metrics.ws_reconnect(stream)

    def _refresh_gauges(self, snap: HealthSnapshot) -> None:
        """Once a second: state gauges that are not event-driven (every breaker, readiness, WS counts)."""
        for name, state in snap.breakers.items():
            self.metrics.set_breaker(name, state)
        self.metrics.set_ready(evaluate_readiness(snap).ok)
        feeds = self.link.feeds
        if feeds is not None:
            for stream, count in dict(feeds.messages).items():
                new = count - self._ws_counted.get(stream, 0)
                if new > 0:
                    self.metrics.ws_message(stream, new)
                self._ws_counted[stream] = count

    def evaluate_alerts(self) -> None:
        """Run the alert rules once; publish every change to the console and the journal.

        Also refreshes the gauges that are sampled rather than event-driven (health, readiness,
        breaker states, WebSocket message counts).
        """
        snap = self.snapshot()
        self.obs.publish_health(snap)  # what /healthz answers from, off this loop
        health = evaluate_health(snap, max_feed_age_s=self.settings.risk.book_stale_s)
        self.metrics.set_health(health.ok)
        self._refresh_gauges(snap)
        state = AlertState(
            now=self.clock.monotonic(),
            rate_headroom=self.limiter.headroom(),
            reconnects={k: list(v) for k, v in self._reconnect_times.items()},
            feed_ages_s=snap.feed_ages_s,
            breakers=snap.breakers,
            slow_ops=self.metrics.recent_slow_ops(),
            health_ok=health.ok,
            health_reasons=health.reasons,
        )
        for change in self.obs.evaluate_alerts(state):
            self.journal.record("alert", rule=change.rule, active=change.active, message=change.message)
            self.out.publish(
                AlertRaised(self.out.now_ms(), change.rule, change.message, change.active), wake=True
            )
            # The stack already logged it; the console shows the AlertRaised event in its log pane.

    def update_rate_metrics(self) -> None:
        """The rate-limit use per group, as a gauge."""
        for group, headroom in self.limiter.headroom().items():
            self.metrics.set_rate_limit(group, 1.0 - headroom)

    def feed_age_metrics(self) -> None:
        """The age of every book feed, as a gauge."""
        for stream, age in self.link.feed_ages().items():
            self.metrics.set_feed_age(f"orderbook.{stream}", age)

    def risk_status(self) -> RiskStatus:
        """Current risk usage for the meters."""
        bal = self.state.balance
        board = self.guards.board
        risk = self.settings.risk
        return RiskStatus(
            daily_loss=max(Decimal(0), -board.daily_pnl),
            daily_loss_limit=self.settings.breakers.daily_loss_limit,
            gross_exposure=self.state.gross_exposure,
            gross_exposure_cap=risk.max_gross_exposure,
            margin_use_pct=bal.margin_use_pct if bal else Decimal(0),
            breakers=board.status_map() | {f"api:{k}": v for k, v in self.guards.endpoints.states().items()},
            rate_headroom=self.limiter.headroom(),
            daily_pnl=board.daily_pnl,
        )
