"""deploy/: every metric the alert rules and the Grafana dashboard use exists in a real scrape."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import Metrics
from tests.support.metrics_fakes import ExerciseAll, FakeClock

yaml = pytest.importorskip("yaml")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC_RE = re.compile(r"\btrade_console_[a-zA-Z0-9_:]+")


@pytest.fixture
def scraped_names(exercise_all: ExerciseAll) -> set[str]:
    """Sample names (with _total/_bucket/_sum/_count suffixes) after exercising every method."""
    clock = FakeClock()
    m = Metrics(clock=clock)
    exercise_all(m, clock)
    return {s.name for fam in text_string_to_metric_families(m.render().decode()) for s in fam.samples}


def rule_exprs() -> list[str]:
    doc = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    return [rule["expr"] for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel.get("targets", [])]


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_used_metric_exists_in_a_scrape(source: str, scraped_names: set[str]) -> None:
    exprs = rule_exprs() if source == "alerts" else dashboard_exprs()
    used = {name for expr in exprs for name in METRIC_RE.findall(expr)}
    assert used, f"no trade_console_ metrics found in the {source}"
    missing = sorted(used - scraped_names)
    assert not missing, f"{source} use metrics that a scrape does not have: {missing}"


def test_rules_cover_the_engine_alerts() -> None:
    exprs = "\n".join(rule_exprs())
    for metric in [
        "trade_console_rate_limit_used_ratio",
        "trade_console_ws_reconnects_total",
        "trade_console_feed_age_seconds",
        "trade_console_breaker_state",
        "trade_console_slow_operations_total",
        "trade_console_health_ok",
        "trade_console_alert_active",
    ]:
        assert metric in exprs


def test_dashboard_shows_every_metric_family() -> None:
    families = {fam.name for fam in Metrics().registry.collect() if fam.name != "trade_console_info"}
    shown = "\n".join(dashboard_exprs())
    not_shown = sorted(f for f in families if f not in shown and f + "_" not in shown)
    # the threshold gauge is configuration, not a signal
    assert not_shown == ["trade_console_slow_operation_threshold_seconds"]


def test_prometheus_scrapes_loopback_9108() -> None:
    doc = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    [job] = doc["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["127.0.0.1:9108"]
    assert doc["rule_files"] == ["alerts.yml"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_rules_and_config() -> None:
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        proc = subprocess.run(
            ["promtool", *args], cwd=DEPLOY, capture_output=True, text=True, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
