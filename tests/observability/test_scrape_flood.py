"""Scrapes never stall trading: /metrics, /healthz and /readyz are served off the engine's loop.

A /metrics scrape flood used to raise the engine loop's lag from p99 1.9 ms to 8–41 ms: the
server shared the loop, rendered the whole registry on it, and /healthz computed health (with a
journal write) on it for every request. Now the server has its own thread and loop, answers
health from the snapshot the engine publishes, and renders metrics there. The figures are in
docs/performance.md (``bench/scrape_flood.py``); these tests pin the structure down without
timing anything: while the engine's loop is blocked, scrapes are still answered; a flood of
/healthz never calls into the engine; rendering happens on the server's thread.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from core.engine import Engine
from core.metrics import Metrics
from core.observability.health import HealthSnapshot
from core.observability.server import ObservabilityServer
from core.sim.runner import SimVenueThread
from tests.support.engine_types import EngineSettingsFactory

METRICS_ON = {"enabled": True, "port": 0}


def snapshot(**changes: object) -> HealthSnapshot:
    base: dict[str, object] = {
        "venue_reachable": True,
        "time_offset_ms": 2.0,
        "feed_ages_s": {"orderbook.BTCUSDT": 0.1},
        "breakers": {"daily_loss": "closed"},
        "journal_writable": True,
        "mode": "sim",
        "venue": "bybit-sim",
    }
    base.update(changes)
    return HealthSnapshot(**base)  # type: ignore[arg-type]


def fetch_all(base: str, paths: Iterable[str]) -> list[int]:
    """Plain blocking HTTP from another thread, as a scraper process would."""
    codes = []
    for path in paths:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                resp.read()
                codes.append(resp.status)
        except urllib.error.HTTPError as err:
            codes.append(err.code)
    return codes


async def test_scrapes_are_answered_while_the_engine_loop_is_blocked(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
) -> None:
    engine = Engine(engine_settings(sim, tmp_path, metrics=METRICS_ON))
    await engine.start(feeds=False)
    try:
        server = engine.obs.server
        assert server is not None
        base = f"http://127.0.0.1:{server.port}"
        codes: list[int] = []
        answered = threading.Event()

        def scraper() -> None:
            codes.extend(fetch_all(base, ["/healthz", "/readyz", "/metrics"] * 5))
            answered.set()

        threading.Thread(target=scraper, daemon=True).start()
        # Block the engine's loop on purpose (as a long step would): on the loop, the server
        # could not answer until it returned; on its own thread it answers now.
        served_while_blocked = answered.wait(timeout=30)
        assert served_while_blocked, "scrapes waited for the engine's loop"
        assert len(codes) == 15 and set(codes) <= {200, 503}
        assert codes[1] == 200  # /readyz from the snapshot published at the end of start()
    finally:
        await engine.stop()


async def test_a_flood_of_healthz_never_asks_the_engine() -> None:
    calls: list[int] = []

    def provider() -> HealthSnapshot:
        calls.append(threading.get_ident())
        return snapshot()

    server = ObservabilityServer(Metrics(), provider, port=0, max_requests_per_s=100_000)
    await server.start()
    try:
        assert calls == []
        await server.refresh()  # the engine's housekeeping publishes: one call, on this thread
        assert calls == [threading.get_ident()]
        async with aiohttp.ClientSession() as http:

            async def one(path: str) -> int:
                async with http.get(server.url + path) as resp:
                    await resp.read()
                    return resp.status

            statuses = await asyncio.gather(*(one(p) for p in ["/healthz", "/readyz"] * 100))
        assert set(statuses) == {200}
        assert len(calls) == 1  # 200 requests, no call into the engine
    finally:
        await server.stop()


class _ThreadSpy:
    """A collector that notes which thread renders it."""

    def __init__(self) -> None:
        self.threads: set[int] = set()

    def collect(self) -> Iterable[Metric]:
        self.threads.add(threading.get_ident())
        yield GaugeMetricFamily("spy", "which thread renders", value=1)


async def test_metrics_are_rendered_off_the_callers_loop() -> None:
    metrics = Metrics()
    spy = _ThreadSpy()
    metrics.registry.register(spy)
    spy.threads.clear()  # registering described it on this thread
    server = ObservabilityServer(metrics, lambda: snapshot(), port=0, render_interval_s=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as resp:
            assert resp.status == 200 and b"spy 1.0" in await resp.read()
        assert spy.threads and threading.get_ident() not in spy.threads
    finally:
        await server.stop()


async def test_a_flood_shares_renderings() -> None:
    metrics = Metrics()
    spy = _ThreadSpy()
    renders: list[int] = []
    real = spy.collect

    def counting() -> Iterable[Metric]:
        renders.append(1)
        return real()

    spy.collect = counting  # type: ignore[method-assign]
    metrics.registry.register(spy)
    renders.clear()  # registering described it once
    server = ObservabilityServer(metrics, lambda: snapshot(), port=0, render_interval_s=3600)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def one() -> bytes:
                async with http.get(server.url + "/metrics") as resp:
                    return await resp.read()

            bodies = await asyncio.gather(*(one() for _ in range(40)))
        assert len(set(bodies)) == 1 and len(renders) == 1  # 40 scrapes, one rendering
    finally:
        await server.stop()


async def test_health_not_published_is_a_503_reason() -> None:
    server = ObservabilityServer(Metrics(), None, port=0, max_snapshot_age_s=0.0)
    assert server.health().reasons == ["engine has not published its health yet"]
    assert not server.readiness().ok
    server.publish(snapshot())
    result = server.health()  # any age > 0 is too old with max_snapshot_age_s=0
    assert not result.ok and result.reasons[0].startswith("health not published for ")
    assert "the engine loop is stalled or stopped" in result.reasons[0]
    fresh = ObservabilityServer(Metrics(), None, port=0)
    fresh.publish(snapshot())
    assert fresh.health().ok and fresh.readiness().ok


async def test_stop_ends_the_server_thread() -> None:
    before = {t.name for t in threading.enumerate()}
    server = ObservabilityServer(Metrics(), lambda: snapshot(), port=0)
    await server.start()
    assert "metrics-http" in {t.name for t in threading.enumerate()} - before
    port = server.port
    await server.stop()
    assert "metrics-http" not in {t.name for t in threading.enumerate()} - before
    again = ObservabilityServer(Metrics(), lambda: snapshot(), port=port)  # the port is free again
    await again.start()
    await again.stop()


async def test_a_taken_port_raises_on_start() -> None:
    first = ObservabilityServer(Metrics(), lambda: snapshot(), port=0)
    await first.start()
    try:
        second = ObservabilityServer(Metrics(), lambda: snapshot(), port=first.port)
        with pytest.raises(OSError):
            await second.start()
        assert "metrics-http" in {t.name for t in threading.enumerate()}  # the first still serves
    finally:
        await first.stop()
