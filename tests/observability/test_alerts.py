"""Alert rules: each fires and clears, hysteresis prevents flapping, metrics follow."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.metrics import Metrics, SlowOp
from core.observability.alerts import (
    AlertEngine,
    AlertRule,
    AlertState,
    BreakerOpenRule,
    FeedStaleRule,
    HealthRule,
    RateHeadroomRule,
    ReconnectStormRule,
    SlowOpsRule,
    default_rules,
)
from tests.support.metrics_fakes import MetricValue


def test_rate_headroom_threshold_hysteresis() -> None:
    eng = AlertEngine([RateHeadroomRule(raise_below=0.20, clear_above=0.30)])
    assert eng.evaluate(AlertState(now=0, rate_headroom={"order": 0.5})) == []
    [c] = eng.evaluate(AlertState(now=1, rate_headroom={"order": 0.15, "query": 0.9}))
    assert c.active and c.rule == "rate_limit_headroom"
    assert "order 15%" in c.message and "query" not in c.message
    assert eng.evaluate(AlertState(now=2, rate_headroom={"order": 0.25})) == []  # between: stays raised
    assert "rate_limit_headroom" in eng.active
    [c] = eng.evaluate(AlertState(now=3, rate_headroom={"order": 0.35}))
    assert not c.active and c.message.startswith("cleared:")
    assert eng.evaluate(AlertState(now=4, rate_headroom={"order": 0.25})) == []  # between: stays clear


def test_reconnect_storm_counts_within_window() -> None:
    rule = ReconnectStormRule(max_reconnects=5, window_s=600)
    eng = AlertEngine([rule])
    times = [float(t) for t in range(0, 60, 10)]  # 6 reconnects in one minute
    [c] = eng.evaluate(AlertState(now=60, reconnects={"public": times, "private": [1.0]}))
    assert c.active and "public 6" in c.message and "private" not in c.message
    assert eng.evaluate(AlertState(now=500, reconnects={"public": times})) == []
    [c] = eng.evaluate(AlertState(now=605, reconnects={"public": times}))  # t=0 left the window
    assert not c.active


def test_feed_stale_waits_before_clearing() -> None:
    eng = AlertEngine([FeedStaleRule(max_age_s=5, clear_after_s=2)])
    [c] = eng.evaluate(AlertState(now=0, feed_ages_s={"orderbook.BTCUSDT": 7.0, "private": None}))
    assert c.active and "orderbook.BTCUSDT 7.0 s" in c.message and "private (no data)" in c.message
    fresh = {"orderbook.BTCUSDT": 0.1, "private": 0.1}
    assert eng.evaluate(AlertState(now=1, feed_ages_s=fresh)) == []
    assert eng.evaluate(AlertState(now=2, feed_ages_s={"orderbook.BTCUSDT": 9.0})) == []  # back: no flap
    assert eng.evaluate(AlertState(now=3, feed_ages_s=fresh)) == []
    [c] = eng.evaluate(AlertState(now=5, feed_ages_s=fresh))
    assert not c.active


def test_health_waits_before_raising() -> None:
    eng = AlertEngine([HealthRule(raise_after_s=2)])

    def bad(now: float) -> AlertState:
        return AlertState(now=now, health_ok=False, health_reasons=("venue unreachable",))

    assert eng.evaluate(bad(0)) == []
    assert eng.evaluate(AlertState(now=1, health_ok=True)) == []  # a blip never raises
    assert eng.evaluate(bad(2)) == []
    [c] = eng.evaluate(bad(4))
    assert c.active and c.message == "health 503: venue unreachable" and c.severity == "error"
    assert eng.evaluate(AlertState(now=5, health_ok=None)) != []  # unknown is not bad: clears


def test_breaker_and_slow_ops() -> None:
    eng = AlertEngine([BreakerOpenRule(), SlowOpsRule(window_s=60)])
    state = AlertState(
        now=100,
        breakers={"daily_loss": "closed", "endpoint:/v5/order/create": "open"},
        slow_ops=[SlowOp(50, "place_order", 1.2), SlowOp(90, "place_order", 2.5), SlowOp(10, "old", 9)],
    )
    changes = eng.evaluate(state)
    assert [(c.rule, c.active) for c in changes] == [("breaker_open", True), ("slow_operations", True)]
    assert "endpoint:/v5/order/create open" in changes[0].message and "daily_loss" not in changes[0].message
    assert "place_order 2.50 s" in changes[1].message and "old" not in changes[1].message
    later = eng.evaluate(AlertState(now=200, breakers={"daily_loss": "closed"}))
    assert [(c.rule, c.active) for c in later] == [("breaker_open", False), ("slow_operations", False)]


def test_metrics_follow_alerts(metric_value: MetricValue) -> None:
    m = Metrics()
    eng = AlertEngine(metrics=m)
    assert metric_value(m, "trade_console_alert_active", rule="feed_stale") == 0
    eng.evaluate(AlertState(now=0, feed_ages_s={"public": 60.0}))
    assert metric_value(m, "trade_console_alert_active", rule="feed_stale") == 1
    for t in (1, 2, 3, 4):
        eng.evaluate(AlertState(now=t, feed_ages_s={"public": 0.1}))
    assert metric_value(m, "trade_console_alert_active", rule="feed_stale") == 0


def test_default_rules_cover_the_issue() -> None:
    names = {r.name for r in default_rules()}
    assert names == {
        "rate_limit_headroom",
        "ws_reconnects",
        "feed_stale",
        "breaker_open",
        "slow_operations",
        "health",
    }


def test_duplicate_rule_names_rejected() -> None:
    with pytest.raises(ValueError):
        AlertEngine([BreakerOpenRule(), BreakerOpenRule()])
    with pytest.raises(ValueError):
        RateHeadroomRule(raise_below=0.3, clear_above=0.2)


# metric_value is a stateless function, so sharing it across examples is safe.
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60))
def test_changes_alternate_and_match_metric(metric_value: MetricValue, headrooms: list[float]) -> None:
    m = Metrics()
    rule: AlertRule = RateHeadroomRule(raise_below=0.2, clear_above=0.3)
    eng = AlertEngine([rule], metrics=m)
    active = False
    for t, h in enumerate(headrooms):
        for c in eng.evaluate(AlertState(now=float(t), rate_headroom={"order": h})):
            assert c.active is not active  # strictly alternating raise/clear
            active = c.active
            # no flapping: a raise needs < 0.2, a clear needs >= 0.3
            assert (h < 0.2) if c.active else (h >= 0.3)
        assert ("rate_limit_headroom" in eng.active) is active
        assert metric_value(m, "trade_console_alert_active", rule="rate_limit_headroom") == (
            1 if active else 0
        )
