"""Shared fixtures for the observability tests: a manual clock, a registry on it, a scripted session
that calls every recording method, and a sample's value read from a real text scrape."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import Metrics
from tests.support.metrics_fakes import ExerciseAll, FakeClock, MetricValue, Samples


def _exercise_all(m: Metrics, clock: FakeClock) -> None:
    """Call every public recording method at least once, as a short trading session would."""
    m.set_info("sim", "bybit-sim")
    m.observe_request("/v5/order/create", 0.012, "ok")
    m.observe_request("/v5/order/create", 0.030, "rate_limited")
    m.observe_request("/v5/position/list", 0.020, "http_5xx")
    m.observe_request("/v5/market/time", 0.5, "network")
    m.set_rate_limit("order", 0.4, source="bucket")
    m.set_rate_limit_reported("order", 10, 7)
    m.observe_place_ack(0.018)
    m.observe_place_fill(0.25)
    m.ws_reconnect("public")
    m.ws_message("public", 5)
    m.ws_message("private")
    m.set_feed_age("orderbook.BTCUSDT", 0.2)
    m.book_resync("BTCUSDT", "gap")
    m.risk_rejection("max_order_notional")
    m.set_breaker("daily_loss", "closed")
    m.set_breaker("endpoint:/v5/order/create", "open")
    m.panic_run(1.4, flat=True)
    m.panic_run(3.0, flat=False)
    m.observe_journal_write(0.002)
    m.journal_write_failure()
    m.bad_value("tickers.BTCUSDT", "markPrice")
    m.loop_error("housekeeping")
    m.slow_op("resync_positions", 2.5)
    with m.timed("place_order"):
        clock.advance(1.5)
    m.set_alert("feed_stale", True)
    m.set_health(True)
    m.set_ready(True)
    m.set_time_offset(-12.0)


def _samples(m: Metrics) -> Samples:
    """Parse a real text scrape into {(sample name, sorted labels): value}."""
    out: Samples = {}
    for fam in text_string_to_metric_families(m.render().decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(m: Metrics, metric: str, /, **labels: str) -> float:
    return _samples(m).get((metric, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock at t=1000 s."""
    return FakeClock()


@pytest.fixture
def metrics(clock: FakeClock) -> Metrics:
    """A private registry on the manual clock (slow operations from 1 s)."""
    return Metrics(slow_op_s=1.0, clock=clock)


@pytest.fixture
def exercise_all() -> ExerciseAll:
    """Call every public recording method at least once, as a short trading session would."""
    return _exercise_all


@pytest.fixture
def metric_samples() -> Callable[[Metrics], Samples]:
    """Every sample of a real text scrape of a registry, by (sample name, sorted labels)."""
    return _samples


@pytest.fixture
def metric_value() -> MetricValue:
    """One sample's value from a real text scrape of a registry (0 when absent)."""
    return _value
