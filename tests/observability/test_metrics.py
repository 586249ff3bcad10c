"""Metrics: every method moves its series; registries are independent; labels stay bounded."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.metrics import Metrics, breaker_state_value, used_ratio
from tests.support.metrics_fakes import ExerciseAll, FakeClock, MetricValue, Samples


def test_every_method_moves_its_series(
    metrics: Metrics, clock: FakeClock, exercise_all: ExerciseAll, metric_value: MetricValue
) -> None:
    exercise_all(metrics, clock)

    def v(metric: str, /, **kw: str) -> float:
        return metric_value(metrics, metric, **kw)

    assert v("trade_console_requests_total", endpoint="/v5/order/create", ret_class="ok") == 1
    assert v("trade_console_requests_total", endpoint="/v5/order/create", ret_class="rate_limited") == 1
    assert v("trade_console_requests_total", endpoint="/v5/position/list", ret_class="http_5xx") == 1
    assert v("trade_console_requests_total", endpoint="/v5/market/time", ret_class="network") == 1
    assert v("trade_console_request_duration_seconds_count", endpoint="/v5/order/create") == 2
    total = v("trade_console_request_duration_seconds_sum", endpoint="/v5/order/create")
    assert total == pytest.approx(0.042)
    assert v("trade_console_rate_limit_used_ratio", group="order", source="bucket") == 0.4
    assert v("trade_console_rate_limit_used_ratio", group="order", source="header") == pytest.approx(0.3)
    assert v("trade_console_order_place_ack_seconds_count") == 1
    assert v("trade_console_order_place_fill_seconds_count") == 1
    assert v("trade_console_ws_reconnects_total", stream="public") == 1
    assert v("trade_console_ws_messages_total", stream="public") == 5
    assert v("trade_console_feed_age_seconds", stream="orderbook.BTCUSDT") == pytest.approx(0.2)
    assert v("trade_console_book_resyncs_total", symbol="BTCUSDT", reason="gap") == 1
    assert v("trade_console_risk_rejections_total", check="max_order_notional") == 1
    assert v("trade_console_breaker_state", name="daily_loss") == 0
    assert v("trade_console_breaker_state", name="endpoint:/v5/order/create") == 2
    assert v("trade_console_panic_runs_total", result="flat") == 1
    assert v("trade_console_panic_runs_total", result="not_flat") == 1
    assert v("trade_console_panic_duration_seconds_count") == 2
    assert v("trade_console_journal_write_seconds_count") == 1
    assert v("trade_console_slow_operations_total", name="resync_positions") == 1
    assert v("trade_console_slow_operations_total", name="place_order") == 1
    assert v("trade_console_slow_operation_last_seconds", name="place_order") == pytest.approx(1.5)
    assert v("trade_console_slow_operation_threshold_seconds") == 1.0
    assert v("trade_console_alert_active", rule="feed_stale") == 1
    assert v("trade_console_health_ok") == 1
    assert v("trade_console_ready") == 1
    assert v("trade_console_time_offset_milliseconds") == -12
    assert v("trade_console_info", mode="sim", venue="bybit-sim") == 1


def test_registries_are_independent(clock: FakeClock, metric_value: MetricValue) -> None:
    a, b = Metrics(clock=clock), Metrics(clock=clock)
    a.risk_rejection("price_band")
    assert metric_value(a, "trade_console_risk_rejections_total", check="price_band") == 1
    assert metric_value(b, "trade_console_risk_rejections_total", check="price_band") == 0


def test_timed_records_only_slow_blocks_and_survives_exceptions(
    metrics: Metrics, clock: FakeClock, metric_value: MetricValue
) -> None:
    with metrics.timed("fast"):
        clock.advance(0.999)
    with pytest.raises(RuntimeError), metrics.timed("boom"):
        clock.advance(3.0)
        raise RuntimeError("x")
    ops = metrics.recent_slow_ops()
    assert [(o.name, o.seconds) for o in ops] == [("boom", 3.0)]
    assert metric_value(metrics, "trade_console_slow_operations_total", name="fast") == 0
    assert metrics.recent_slow_ops(since=clock.t + 1) == []


def test_slow_threshold_is_configurable(clock: FakeClock) -> None:
    m = Metrics(slow_op_s=0.25, clock=clock)
    assert m.slow_op("journal_commit", 0.3) is True
    assert m.slow_op("journal_commit", 0.2) is False
    with pytest.raises(ValueError):
        Metrics(slow_op_s=0)


def test_label_values_are_capped(
    clock: FakeClock, metric_value: MetricValue, metric_samples: Callable[[Metrics], Samples]
) -> None:
    m = Metrics(clock=clock, max_label_values=3)
    for i in range(10):
        m.book_resync(f"SYM{i}USDT", "gap")
    s = metric_samples(m)
    symbols = {dict(k[1]).get("symbol") for k in s if k[0] == "trade_console_book_resyncs_total"}
    assert symbols == {"SYM0USDT", "SYM1USDT", "SYM2USDT", "other"}
    assert metric_value(m, "trade_console_book_resyncs_total", symbol="other", reason="gap") == 7


def test_no_order_link_id_label(
    metrics: Metrics,
    clock: FakeClock,
    exercise_all: ExerciseAll,
    metric_samples: Callable[[Metrics], Samples],
) -> None:
    exercise_all(metrics, clock)
    labels = {name for key in metric_samples(metrics) for name, _ in key[1]}
    assert not {n for n in labels if "order" in n.lower() and "link" in n.lower()}


def test_used_ratio() -> None:
    assert used_ratio(10, 2) == pytest.approx(0.8)
    assert used_ratio(10, None) is None
    assert used_ratio(0, 0) is None
    assert used_ratio(None, 1) is None
    assert used_ratio(10, 12) == 0.0


def test_breaker_state_values_unknown_is_open() -> None:
    assert breaker_state_value("closed") == 0
    assert breaker_state_value("half_open") == 1
    assert breaker_state_value("OPEN") == 2
    assert breaker_state_value("weird") == 2


def test_rate_limit_source_is_checked(metrics: Metrics) -> None:
    with pytest.raises(ValueError):
        metrics.set_rate_limit("order", 0.5, source="guess")  # type: ignore[arg-type]
