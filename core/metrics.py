"""Prometheus metrics for the engine: one :class:`Metrics` object owning its own registry.

Nothing here is global: every :class:`Metrics` holds a private ``CollectorRegistry``, so tests and
several engines in one process never see each other's numbers. The engine calls the typed methods
below; :class:`core.observability.server.ObservabilityServer` serves :meth:`Metrics.render` on
``/metrics``.

Every metric name starts with ``trade_console_``. Label values come from small, known sets
(endpoint paths, stream names, check names, breaker names); each label is additionally capped at
:data:`MAX_LABEL_VALUES` distinct values, after which new values are folded into ``"other"``.
Never pass a client order id, an order id, a price or anything user-typed as a label.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = [
    "BREAKER_STATE_VALUES",
    "CONTENT_TYPE_LATEST",
    "MAX_LABEL_VALUES",
    "PREFIX",
    "Metrics",
    "SlowOp",
    "breaker_state_value",
    "used_ratio",
]

log = logging.getLogger(__name__)

PREFIX = "trade_console_"
#: Distinct values kept per label before new ones are reported as ``"other"``.
MAX_LABEL_VALUES = 64
OTHER = "other"

#: Breaker state strings the engine may pass, mapped to the gauge value (0 closed … 2 open).
BREAKER_STATE_VALUES: dict[str, int] = {
    "closed": 0,
    "ok": 0,
    "reset": 0,
    "half_open": 1,
    "half-open": 1,
    "open": 2,
    "tripped": 2,
}

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FILL_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
_PANIC_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_JOURNAL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def breaker_state_value(state: str) -> int:
    """Gauge value for a breaker state string; unknown states count as open (the safe side)."""
    value = BREAKER_STATE_VALUES.get(state.strip().lower())
    if value is None:
        log.warning("unknown breaker state %r reported as open", state)
        return 2
    return value


def used_ratio(limit: int | None, remaining: int | None) -> float | None:
    """Used fraction of a venue-reported rate-limit window (``1 - remaining / limit``, clamped to
    0..1); None when either number is missing or the limit is not positive."""
    if limit is None or remaining is None or limit <= 0:
        return None
    return min(1.0, max(0.0, 1.0 - remaining / limit))


@dataclass(frozen=True, slots=True)
class SlowOp:
    """One operation that took longer than the slow threshold. ``at`` is the Metrics clock time."""

    at: float
    name: str
    seconds: float


class _LabelCap:
    """Caps the number of distinct values per label name, folding the rest into ``other``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, label: str, value: str) -> str:
        with self._lock:
            seen = self._seen.setdefault(label, set())
            if value in seen:
                return value
            if len(seen) >= self._limit:
                return OTHER
            seen.add(value)
            return value


class Metrics:
    """All of the console's Prometheus metrics, in a registry of their own.

    Thread-safe: prometheus-client metrics are, and the extra state here is lock-protected, so
    pybit's WebSocket threads may call :meth:`ws_message` directly.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        slow_op_s: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_label_values: int = MAX_LABEL_VALUES,
        slow_history: int = 256,
    ) -> None:
        """Create every metric in ``registry`` (a fresh one by default).

        ``slow_op_s`` is the slow-operation threshold; ``clock`` (seconds) times :meth:`timed` blocks
        and stamps :class:`SlowOp` records. Pass the engine clock's ``monotonic`` so that
        ``SlowOp.at`` and ``AlertState.now`` share one time base (and a fake one in tests).
        """
        if slow_op_s <= 0:
            raise ValueError(f"slow_op_s must be > 0, got {slow_op_s}")
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.slow_op_s = slow_op_s
        self._clock = clock
        self._cap = _LabelCap(max_label_values)
        self._slow: deque[SlowOp] = deque(maxlen=slow_history)
        self._slow_lock = threading.Lock()
        r = self.registry
        p = PREFIX

        self.request_seconds = Histogram(
            p + "request_duration_seconds",
            "REST request latency by endpoint, send to parsed response.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            p + "requests",
            "REST request outcomes by endpoint and outcome class.",
            ["endpoint", "ret_class"],
            registry=r,
        )
        self.rate_limit_used = Gauge(
            p + "rate_limit_used_ratio",
            "Used fraction (0..1) of a rate limit per endpoint group; source=bucket|header.",
            ["group", "source"],
            registry=r,
        )
        self.place_ack_seconds = Histogram(
            p + "order_place_ack_seconds",
            "Order place to venue acknowledgement.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.place_fill_seconds = Histogram(
            p + "order_place_fill_seconds",
            "Order place to first fill.",
            buckets=_FILL_BUCKETS,
            registry=r,
        )
        self.ws_reconnects = Counter(
            p + "ws_reconnects", "WebSocket reconnects per stream.", ["stream"], registry=r
        )
        self.ws_messages = Counter(
            p + "ws_messages", "WebSocket messages received per stream.", ["stream"], registry=r
        )
        self.feed_age = Gauge(
            p + "feed_age_seconds", "Seconds since the last message per stream.", ["stream"], registry=r
        )
        self.book_resyncs = Counter(
            p + "book_resyncs", "Order book resyncs by symbol and reason.", ["symbol", "reason"], registry=r
        )
        self.risk_rejections = Counter(
            p + "risk_rejections", "Orders rejected by the risk chain, by check.", ["check"], registry=r
        )
        self.breaker_state = Gauge(
            p + "breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            ["name"],
            registry=r,
        )
        self.panic_runs = Counter(
            p + "panic_runs", "Panic runs by outcome (flat or not_flat).", ["result"], registry=r
        )
        self.panic_seconds = Histogram(
            p + "panic_duration_seconds", "Panic run duration.", buckets=_PANIC_BUCKETS, registry=r
        )
        self.journal_write_seconds = Histogram(
            p + "journal_write_seconds",
            "Journal write (commit) latency.",
            buckets=_JOURNAL_BUCKETS,
            registry=r,
        )
        self.journal_write_failures = Counter(
            p + "journal_write_failures",
            "Journal writes SQLite refused (diverted to the fallback file, or refused with the order).",
            registry=r,
        )
        self.bad_values = Counter(
            p + "bad_values",
            "Venue values rejected at the adapter (NaN, Infinity, negative ...), by stream and field.",
            ["stream", "field"],
            registry=r,
        )
        self.loop_errors = Counter(
            p + "loop_errors",
            "Background loop iterations that failed and were survived, by loop.",
            ["loop"],
            registry=r,
        )
        self.slow_ops = Counter(
            p + "slow_operations", "Operations slower than the slow threshold, by name.", ["name"], registry=r
        )
        self.slow_op_last = Gauge(
            p + "slow_operation_last_seconds",
            "Duration of the most recent slow operation, by name.",
            ["name"],
            registry=r,
        )
        self.slow_threshold = Gauge(
            p + "slow_operation_threshold_seconds", "The configured slow-operation threshold.", registry=r
        )
        self.slow_threshold.set(slow_op_s)
        self.alert_active = Gauge(
            p + "alert_active", "1 while an engine alert rule is active.", ["rule"], registry=r
        )
        self.health_ok = Gauge(p + "health_ok", "1 when /healthz reports trading is safe.", registry=r)
        self.ready = Gauge(p + "ready", "1 once start-up is complete (/readyz).", registry=r)
        self.time_offset_ms = Gauge(
            p + "time_offset_milliseconds", "Local clock minus venue clock, in milliseconds.", registry=r
        )
        self.info = Gauge(
            p + "info", "Constant 1, labelled with the trading mode and venue.", ["mode", "venue"], registry=r
        )

    # --- helpers --------------------------------------------------------------------------
    def _l(self, label: str, value: str) -> str:
        return self._cap(label, value)

    # --- REST -----------------------------------------------------------------------------
    def observe_request(self, endpoint: str, seconds: float, ret_class: str) -> str:
        """Record one REST call: latency and outcome class (``ok`` or the classified error's
        ``category``: ``rate_limited``, ``auth``, ``server``, ``network``, ...). Returns the
        ``ret_class`` it was counted as."""
        ep = self._l("endpoint", endpoint)
        cls = self._l("ret_class", ret_class)
        self.request_seconds.labels(ep).observe(max(0.0, seconds))
        self.requests.labels(ep, cls).inc()
        return cls

    def set_rate_limit(
        self, group: str, used_ratio: float, source: Literal["bucket", "header"] = "bucket"
    ) -> None:
        """Set the used fraction (0..1, clamped) of a rate-limit group (our bucket or the venue's report)."""
        if source not in ("bucket", "header"):
            raise ValueError(f"source must be 'bucket' or 'header', got {source!r}")
        self.rate_limit_used.labels(self._l("group", group), source).set(min(1.0, max(0.0, used_ratio)))

    def set_rate_limit_reported(self, group: str, limit: int | None, remaining: int | None) -> float | None:
        """Update the ``header`` gauge of ``group`` from the venue's own report of its window
        (limit and remaining count); returns the used fraction set, None when not reported."""
        ratio = used_ratio(limit, remaining)
        if ratio is not None:
            self.set_rate_limit(group, ratio, source="header")
        return ratio

    # --- orders ---------------------------------------------------------------------------
    def observe_place_ack(self, seconds: float) -> None:
        """Record the time from sending an order to the venue's acknowledgement."""
        self.place_ack_seconds.observe(max(0.0, seconds))

    def observe_place_fill(self, seconds: float) -> None:
        """Record the time from sending an order to its first fill."""
        self.place_fill_seconds.observe(max(0.0, seconds))

    # --- feeds ----------------------------------------------------------------------------
    def ws_reconnect(self, stream: str) -> None:
        """Count one WebSocket reconnect of ``stream`` (e.g. ``public``, ``private``)."""
        self.ws_reconnects.labels(self._l("stream", stream)).inc()

    def ws_message(self, stream: str, n: int = 1) -> None:
        """Count ``n`` messages received on ``stream``; safe to call from feed threads."""
        self.ws_messages.labels(self._l("stream", stream)).inc(n)

    def set_feed_age(self, stream: str, seconds: float) -> None:
        """Set the age of the newest message on ``stream`` (e.g. ``orderbook.BTCUSDT``)."""
        self.feed_age.labels(self._l("stream", stream)).set(max(0.0, seconds))

    def book_resync(self, symbol: str, reason: str) -> None:
        """Count one order-book resync (``reason``: ``gap``, ``crossed``, ``reconnect`` …)."""
        self.book_resyncs.labels(self._l("symbol", symbol), self._l("reason", reason)).inc()

    # --- risk, breakers, panic, journal ---------------------------------------------------
    def risk_rejection(self, check: str) -> None:
        """Count one order rejected by the named risk check."""
        self.risk_rejections.labels(self._l("check", check)).inc()

    def set_breaker(self, name: str, state: str) -> None:
        """Set a breaker's state (``closed``/``half_open``/``open``; unknown strings count as open)."""
        self.breaker_state.labels(self._l("breaker", name)).set(breaker_state_value(state))

    def panic_run(self, seconds: float, flat: bool) -> None:
        """Record one finished panic run, its duration and whether the account ended flat."""
        self.panic_runs.labels("flat" if flat else "not_flat").inc()
        self.panic_seconds.observe(max(0.0, seconds))

    def observe_journal_write(self, seconds: float) -> None:
        """Record one journal write (commit) latency."""
        self.journal_write_seconds.observe(max(0.0, seconds))

    def journal_write_failure(self) -> None:
        """Count one journal write SQLite refused."""
        self.journal_write_failures.inc()

    # --- data and loop faults -------------------------------------------------------------
    def bad_value(self, stream: str, field: str) -> None:
        """Count one venue value rejected at the adapter; safe to call from feed threads."""
        self.bad_values.labels(self._l("stream", stream), self._l("field", field)).inc()

    def loop_error(self, loop: str) -> None:
        """Count one failed (and survived) iteration of a background loop."""
        self.loop_errors.labels(self._l("loop", loop)).inc()

    # --- slow operations ------------------------------------------------------------------
    def slow_op(self, name: str, seconds: float) -> bool:
        """Record ``name`` as slow if ``seconds`` >= the threshold; returns whether it was recorded."""
        if seconds < self.slow_op_s:
            return False
        label = self._l("operation", name)
        self.slow_ops.labels(label).inc()
        self.slow_op_last.labels(label).set(seconds)
        with self._slow_lock:
            self._slow.append(SlowOp(self._clock(), name, seconds))
        log.warning("slow operation %s took %.3f s (threshold %.3f s)", name, seconds, self.slow_op_s)
        return True

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the ``with`` block and record it as a slow operation if it exceeds the threshold.

        The duration is recorded even when the block raises.
        """
        start = self._clock()
        try:
            yield
        finally:
            self.slow_op(name, self._clock() - start)

    def recent_slow_ops(self, since: float | None = None) -> list[SlowOp]:
        """Slow operations recorded at or after ``since`` (Metrics clock), oldest first."""
        with self._slow_lock:
            ops = list(self._slow)
        return ops if since is None else [op for op in ops if op.at >= since]

    # --- alerts, health, identity ---------------------------------------------------------
    def set_alert(self, rule: str, active: bool) -> None:
        """Expose whether an alert rule is active."""
        self.alert_active.labels(self._l("rule", rule)).set(1 if active else 0)

    def set_health(self, ok: bool) -> None:
        """Expose the latest /healthz verdict."""
        self.health_ok.set(1 if ok else 0)

    def set_ready(self, ready: bool) -> None:
        """Expose the latest /readyz verdict."""
        self.ready.set(1 if ready else 0)

    def set_time_offset(self, offset_ms: float) -> None:
        """Expose the measured local-minus-venue clock offset."""
        self.time_offset_ms.set(offset_ms)

    def set_info(self, mode: str, venue: str) -> None:
        """Label the process with its mode (sim/demo/live) and venue name."""
        self.info.labels(mode, venue).set(1)

    # --- exposition -----------------------------------------------------------------------
    def render(self) -> bytes:
        """The registry in the Prometheus text format (what ``/metrics`` serves)."""
        return generate_latest(self.registry)

    content_type = CONTENT_TYPE_LATEST
