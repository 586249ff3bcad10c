"""Shared fixtures for the observability tests."""

from __future__ import annotations

import pytest

from core.metrics import Metrics


class FakeClock:
    """A manual clock for ``Metrics(clock=...)``: no wall-clock timing in unit tests."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def exercise_all(m: Metrics, clock: FakeClock) -> None:
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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def metrics(clock: FakeClock) -> Metrics:
    return Metrics(slow_op_s=1.0, clock=clock)
