"""ObservabilityStack: built from the real settings type, alerts reach metrics and the webhook."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from core.config import MetricsSettings
from core.observability.alerts import AlertState
from core.observability.health import HealthSnapshot
from core.observability.stack import ObservabilityStack
from tests.support.metrics_fakes import MetricValue


def healthy() -> HealthSnapshot:
    return HealthSnapshot(True, 1.0, {"public": 0.1}, {"daily_loss": "closed"}, True, mode="sim", venue="v")


async def test_stack_from_settings_serves_and_alerts(metric_value: MetricValue) -> None:
    received: list[dict[str, Any]] = []
    got = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(orjson.loads(await request.read()))
        got.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    settings = MetricsSettings(port=0, slow_op_s=0.5, webhook_url=f"http://127.0.0.1:{hook_port}/hook")
    stack = ObservabilityStack.from_settings(settings, mode="sim", venue="bybit-sim", health_provider=healthy)
    await stack.start()
    try:
        assert stack.server is not None and stack.server.port != 0
        changes = stack.evaluate_alerts(AlertState(now=0, breakers={"daily_loss": "open"}))
        assert [c.rule for c in changes] == ["breaker_open"]
        await asyncio.wait_for(got.wait(), 5)
        async with aiohttp.ClientSession() as http, http.get(stack.server.url + "/metrics") as resp:
            text = await resp.text()
        assert 'trade_console_alert_active{rule="breaker_open"} 1.0' in text
        assert 'trade_console_info{mode="sim",venue="bybit-sim"} 1.0' in text
        assert stack.metrics.slow_op_s == 0.5
    finally:
        await stack.stop()
        await runner.cleanup()
    assert received[0]["alerts"][0]["rule"] == "breaker_open"
    assert metric_value(stack.metrics, "trade_console_alert_active", rule="breaker_open") == 1


def test_disabled_metrics_builds_no_server() -> None:
    stack = ObservabilityStack.from_settings(
        MetricsSettings(enabled=False), mode="sim", venue="x", health_provider=healthy
    )
    assert stack.server is None and stack.webhook is None


def test_public_host_from_settings_is_refused() -> None:
    with pytest.raises(ValueError, match="not loopback"):
        ObservabilityStack.from_settings(
            MetricsSettings(host="0.0.0.0"), mode="sim", venue="x", health_provider=healthy
        )
