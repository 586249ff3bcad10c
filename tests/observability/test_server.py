"""/metrics, /healthz and /readyz over real HTTP on loopback (port 0)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import Metrics
from core.observability.health import HealthSnapshot, evaluate_health, evaluate_readiness
from core.observability.server import ObservabilityServer
from tests.support.metrics_fakes import FakeClock


class FakeEngine:
    """Holds the numbers a real engine would report; the test scripts them."""

    def __init__(self) -> None:
        self.feed_ages: dict[str, float | None] = {"orderbook.BTCUSDT": 0.1, "private": 0.5}
        self.breakers = {"daily_loss": "closed", "api_failures": "closed"}
        self.started = True
        self.waiting: tuple[str, ...] = ()
        self.reachable = True
        self.offset: float | None = 3.0
        self.journal_ok = True

    def snapshot(self) -> HealthSnapshot:
        return HealthSnapshot(
            venue_reachable=self.reachable,
            time_offset_ms=self.offset,
            feed_ages_s=dict(self.feed_ages),
            breakers=dict(self.breakers),
            journal_writable=self.journal_ok,
            started=self.started,
            ready_reasons=self.waiting,
            mode="sim",
            venue="bybit-sim",
        )


class Served:
    """A server on its own thread; every GET first publishes the fake engine's numbers, as the
    engine's housekeeping does once a second."""

    def __init__(self, engine: FakeEngine, server: ObservabilityServer, http: aiohttp.ClientSession) -> None:
        self.engine, self.server, self.http = engine, server, http

    def get(self, url: str) -> Any:
        self.server.publish(self.engine.snapshot())
        return self.http.get(url)


Fixture = tuple[FakeEngine, ObservabilityServer, Served]


@pytest.fixture
async def served(metrics: Metrics) -> AsyncIterator[Fixture]:
    engine = FakeEngine()
    server = ObservabilityServer(metrics, engine.snapshot, port=0, max_feed_age_s=5.0, render_interval_s=0)
    await server.start()
    async with aiohttp.ClientSession() as http:
        yield engine, server, Served(engine, server, http)
    await server.stop()


async def get_json(http: aiohttp.ClientSession | Served, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url) as resp:
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


async def test_healthz_turns_503_on_stalled_feed_and_back(served: Fixture) -> None:
    engine, server, http = served
    assert server.port != 0
    status, body = await get_json(http, server.url + "/healthz")
    assert status == 200 and body["status"] == "ok" and body["reasons"] == []
    assert body["checks"]["feeds"]["orderbook.BTCUSDT"] == {"age_s": 0.1, "ok": True}
    assert 0 <= body["published_age_s"] < 1

    engine.feed_ages["orderbook.BTCUSDT"] = 12.5  # the feed stalls
    status, body = await get_json(http, server.url + "/healthz")
    assert status == 503
    assert body["reasons"] == ["feed orderbook.BTCUSDT stale: 12.5 s > 5.0 s"]
    assert body["checks"]["feeds"]["orderbook.BTCUSDT"]["ok"] is False

    engine.feed_ages["orderbook.BTCUSDT"] = 0.2  # it recovers
    status, body = await get_json(http, server.url + "/healthz")
    assert status == 200 and body["reasons"] == []


async def test_healthz_names_every_reason(served: Fixture) -> None:
    engine, server, http = served
    engine.reachable = False
    engine.offset = 2500.0
    engine.breakers["daily_loss"] = "open"
    engine.journal_ok = False
    engine.feed_ages["private"] = None
    status, body = await get_json(http, server.url + "/healthz")
    assert status == 503
    assert body["reasons"] == [
        "venue unreachable",
        "time offset 2500 ms exceeds 1000 ms",
        "feed private has no data",
        "breaker daily_loss open",
        "journal not writable",
    ]


async def test_readyz_follows_startup(served: Fixture) -> None:
    engine, server, http = served
    engine.started = False
    engine.waiting = ("instruments not loaded",)
    status, body = await get_json(http, server.url + "/readyz")
    assert status == 503
    assert body == {
        "ready": False,
        "mode": "sim",
        "venue": "bybit-sim",
        "reasons": ["engine not started", "instruments not loaded"],
    }
    engine.started, engine.waiting = True, ()
    status, body = await get_json(http, server.url + "/readyz")
    assert status == 200 and body["ready"] is True


async def test_metrics_scrape_after_scripted_session(
    served: Fixture, metrics: Metrics, clock: FakeClock
) -> None:
    engine, server, http = served

    def scrape_value(text: str, metric: str, labels: dict[str, str]) -> float:
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                if s.name == metric and s.labels == labels:
                    return s.value
        return 0.0

    async with http.get(server.url + "/metrics") as resp:
        before = await resp.text()
    # A short session: two requests, one order acked and filled, feed traffic, a slow resync.
    metrics.observe_request("/v5/order/create", 0.01, "ok")
    metrics.observe_request("/v5/order/realtime", 0.02, "ok")
    metrics.observe_place_ack(0.015)
    metrics.observe_place_fill(0.2)
    metrics.ws_message("public", 100)
    with metrics.timed("book_resync"):
        clock.advance(2.0)
    engine.feed_ages["orderbook.BTCUSDT"] = 9.0
    async with http.get(server.url + "/healthz") as resp:
        assert resp.status == 503
    async with http.get(server.url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        after = await resp.text()

    for name, labels in [
        ("trade_console_requests_total", {"endpoint": "/v5/order/create", "ret_class": "ok"}),
        ("trade_console_request_duration_seconds_count", {"endpoint": "/v5/order/realtime"}),
        ("trade_console_order_place_ack_seconds_count", {}),
        ("trade_console_order_place_fill_seconds_count", {}),
        ("trade_console_ws_messages_total", {"stream": "public"}),
        ("trade_console_slow_operations_total", {"name": "book_resync"}),
    ]:
        assert scrape_value(after, name, labels) > scrape_value(before, name, labels), name
    assert scrape_value(after, "trade_console_health_ok", {}) == 0
    assert scrape_value(after, "trade_console_time_offset_milliseconds", {}) == 3.0


async def test_broken_provider_answers_503(metrics: Metrics) -> None:
    def broken() -> HealthSnapshot:
        raise RuntimeError("engine gone")

    server = ObservabilityServer(metrics, broken, port=0)
    await server.refresh()  # publishes nothing
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            status, body = await get_json(http, server.url + "/healthz")
            assert status == 503 and body["reasons"] == ["engine has not published its health yet"]
            status, _ = await get_json(http, server.url + "/readyz")
            assert status == 503
    finally:
        await server.stop()


async def test_async_provider_is_supported(metrics: Metrics) -> None:
    engine = FakeEngine()

    async def provider() -> HealthSnapshot:
        return engine.snapshot()

    server = ObservabilityServer(metrics, provider, port=0)
    await server.refresh()
    assert server.health().ok and server.readiness().ok


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_refuses_non_loopback_host(metrics: Metrics, host: str) -> None:
    with pytest.raises(ValueError, match="not loopback"):
        ObservabilityServer(metrics, FakeEngine().snapshot, host=host)


def test_public_host_needs_explicit_opt_in(metrics: Metrics) -> None:
    server = ObservabilityServer(metrics, FakeEngine().snapshot, host="0.0.0.0", allow_public=True)
    assert server.host == "0.0.0.0"  # constructed, never started: tests stay on loopback


def test_default_bind_is_loopback_9108(metrics: Metrics) -> None:
    server = ObservabilityServer(metrics, FakeEngine().snapshot)
    assert (server.host, server.port) == ("127.0.0.1", 9108)


def test_health_edge_cases() -> None:
    base = FakeEngine().snapshot()
    assert evaluate_health(base).ok
    unknown = HealthSnapshot(True, None, {}, {}, True)
    assert evaluate_health(unknown).reasons == ["time offset unknown"]
    nan = HealthSnapshot(True, float("nan"), {"x": float("inf")}, {"b": "half_open"}, True)
    reasons = ["time offset unknown", "feed x has no data", "breaker b half_open"]
    assert evaluate_health(nan).reasons == reasons
    negative = HealthSnapshot(True, -1500.0, {}, {}, True)
    assert not evaluate_health(negative, max_time_offset_ms=1000).ok
    assert evaluate_health(negative, max_time_offset_ms=2000).ok
    assert evaluate_readiness(base).ok


@pytest.mark.parametrize("bound_first", [False, True], ids=["before-the-bind", "after-the-bind"])
async def test_a_start_cancelled_while_binding_leaves_no_server(metrics: Metrics, bound_first: bool) -> None:
    """The console quits while its metrics server is starting (it starts after the first frame):
    the start is cancelled before the port is bound, or after it is bound but before the start
    hears so. No server thread is left holding the port nor failing on a future nobody waits for."""
    import asyncio
    import socket
    import threading

    failures: list[BaseException | None] = []
    others = set(threading.enumerate())  # a server another test left is not this one's
    hook = threading.excepthook

    def caught(args: threading.ExceptHookArgs) -> None:
        if args.thread is not None and args.thread.name == "metrics-http" and args.thread not in others:
            failures.append(args.exc_value)
        else:
            hook(args)

    def ours() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "metrics-http" and t not in others]

    server = ObservabilityServer(metrics, port=0)
    bind, go_on, ports = server._bind, threading.Event(), []

    async def gated() -> int:  # the server's thread waits here until the start is cancelled
        if not bound_first:
            go_on.wait(10)
        port = await bind()
        ports.append(port)
        if bound_first:
            go_on.wait(10)
        return port

    server._bind = gated  # type: ignore[method-assign]
    threading.excepthook = caught
    try:
        task = asyncio.create_task(server.start())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        go_on.set()
        for _ in range(500):
            if not ours():
                break
            await asyncio.sleep(0.01)
        assert not ours(), "a server thread was left"
        assert failures == []
        assert len(ports) == 1
        with socket.socket() as probe:  # the port it bound is free again
            probe.bind(("127.0.0.1", ports[0]))
    finally:
        go_on.set()
        threading.excepthook = hook
