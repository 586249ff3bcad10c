"""Observability end to end: a real engine (pybit HTTP + WS) on the real sim, scraped over HTTP.

Each test starts the sim on a free port and the engine with ``[metrics] enabled`` on port 0, drives
a scripted session (orders, fault storms, dropped sockets, a stalled feed, a panic) and then reads
``/metrics``, ``/healthz`` and ``/readyz`` exactly as Prometheus or a load balancer would.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import orjson
import pytest
import websocket
from prometheus_client.parser import text_string_to_metric_families
from pybit import _http_manager, _websocket_stream

from core.engine import Engine
from core.events import AlertRaised
from core.model import OrderRequest, OrderStatus, OrderType, Side
from core.observability.health import HealthSnapshot, evaluate_health
from core.observability.logging import LOG_FILE_NAME, setup_logging
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from core.venues.bybit import rest
from core.venues.bybit import session as bybit_session
from core.venues.bybit.feeds import BybitFeeds
from tests.support.engine_types import (
    Below,
    EngineSettingsFactory,
    Ready,
    SimSettingsFactory,
    WaitFor,
)

SYM = "BTCUSDT"
CREATE = "/v5/order/create"
CANCEL = "/v5/order/cancel"
METRICS_ON = {"enabled": True, "port": 0}
# A storm of 10006 must not trip the API breakers (it never does) nor anything else in the way.
TOLERANT = {"api_failures": 10_000, "endpoint_open_after": 10_000}

T = TypeVar("T")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


# --- helpers ------------------------------------------------------------------------------------
async def poll(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float = 5.0, what: str = "value"
) -> T:
    """Await ``probe()`` until ``ok`` accepts its result; return that result."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        got = await probe()
        if ok(got):
            return got
        if loop.time() > end:
            raise AssertionError(f"{what}: last {got!r} after {timeout:.0f} s")
        await asyncio.sleep(0.1)


def base_url(engine: Engine) -> str:
    server = engine.obs.server
    assert server is not None, "metrics server not built"
    assert server.port != 0, "metrics server not bound"
    return f"http://127.0.0.1:{server.port}"


async def get(http: aiohttp.ClientSession, engine: Engine, path: str) -> tuple[int, bytes]:
    async with http.get(base_url(engine) + path) as resp:
        return resp.status, await resp.read()


async def scrape(http: aiohttp.ClientSession, engine: Engine) -> Samples:
    """``/metrics`` parsed into {(sample name, labels): value}."""
    status, body = await get(http, engine, "/metrics")
    assert status == 200
    out: Samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def val(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent, as Prometheus treats a missing counter)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of every sample of ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= lab)


def label_values(samples: Samples, name: str, label: str) -> dict[str, float]:
    return {dict(lab)[label]: v for (n, lab), v in samples.items() if n == name and label in dict(lab)}


def alert_events(engine: Engine, rule: str) -> list[AlertRaised]:
    return [e for e in engine.store.drain_events(100_000) if isinstance(e, AlertRaised) and e.rule == rule]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# --- 1. a scripted session moves the right counters ---------------------------------------------
async def test_scripted_session_moves_metrics(
    sim: SimVenueThread,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    wait_for: WaitFor,
    ready: Ready,
    below: Below,
    fast_retry_policy: RetryPolicy,
    engine_settings: EngineSettingsFactory,
) -> None:
    settings = engine_settings(sim, tmp_path, metrics=METRICS_ON, breakers=TOLERANT)
    engine = Engine(settings, retry_policy=fast_retry_policy)
    await engine.start()
    try:
        mark = await ready(engine)
        start = await scrape(http, engine)
        assert val(start, "trade_console_info", mode="sim", venue="bybit-sim") == 1
        assert val(start, "trade_console_requests_total", endpoint="/v5/market/time", ret_class="ok") >= 1

        # Place and cancel.
        placed = await engine.place(
            OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.97"))
        )
        assert placed.ok, placed.message
        link = placed.order_link_id
        await wait_for(
            lambda: link in engine.state.orders and engine.state.orders[link].status is OrderStatus.NEW
        )
        cancelled = await engine.cancel(link)
        assert cancelled.ok, cancelled.message
        acks = 1
        # A 5xx on a read: retried, and counted under its HTTP class (not as a network failure).
        sim.set_faults("http5xx_next=1,http_status=503")
        await engine.account_sync.refresh_account()

        # A deliberately rejected order: outside the 5 % fat-finger band.
        rejected = await engine.place(
            OrderRequest(SYM, Side.SELL, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.5"))
        )
        assert not rejected.ok and rejected.check == "price_band"

        # A 10006 storm (two certain refusals, then one in four) while placing a burst of orders.
        # Each refusal blocks the group until Bybit's reset time, so keep the burst short.
        sim.set_faults("rate_limit_next=2,rate_limit=0.25,seed=3")
        peak_used: dict[str, float] = {}

        async def note_usage() -> float:
            m = await scrape(http, engine)
            for group, used in label_values(m, "trade_console_rate_limit_used_ratio", "group").items():
                peak_used[group] = max(peak_used.get(group, 0.0), used)
            return peak_used.get("order.create", 0.0)

        for i in range(3):
            res = await engine.place(
                OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.96") - i)
            )
            assert res.ok, res.message
            acks += 1
            await note_usage()
        sim.set_faults("")
        # The gauges are set once a second from the limiter's 1 s sliding windows (1.0 while a
        # group is blocked by a 10006): the order group has been seen in use by now or very soon.
        await poll(note_usage, lambda used: used > 0, what="order.create rate-limit usage")

        # A market order that fills (place→fill latency), then a dropped WebSocket.
        filled = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))
        assert filled.ok, filled.message
        acks += 1
        await wait_for(lambda: SYM in engine.state.positions, what="position from the fill")
        feeds = engine.feeds
        assert isinstance(feeds, BybitFeeds)
        before = dict(feeds.reconnects)
        sim.set_faults("ws_disconnect=all")
        await wait_for(
            lambda: sum(feeds.reconnects.values()) > sum(before.values()), timeout=10, what="reconnect"
        )
        await ready(engine)

        report = await engine.panic()
        assert report.flat, report

        m = await scrape(http, engine)
    finally:
        await engine.stop()

    # Requests by endpoint and retCode class, including the 10006 class.
    assert val(m, "trade_console_requests_total", endpoint=CREATE, ret_class="ok") >= acks
    assert val(m, "trade_console_requests_total", endpoint=CREATE, ret_class="rate_limited") >= 1
    assert val(m, "trade_console_requests_total", endpoint=CANCEL, ret_class="ok") >= 1
    assert total(m, "trade_console_requests_total", ret_class="http_5xx") == 1
    assert total(m, "trade_console_requests_total", ret_class="network") == 0
    create_calls = total(m, "trade_console_requests_total", endpoint=CREATE)
    assert val(m, "trade_console_request_duration_seconds_count", endpoint=CREATE) == create_calls
    # Latency histograms.
    assert val(m, "trade_console_order_place_ack_seconds_count") >= acks
    assert val(m, "trade_console_order_place_fill_seconds_count") >= 1
    assert val(m, "trade_console_journal_write_seconds_count") > 0
    assert val(m, "trade_console_journal_write_seconds_sum") > 0
    # Feeds.
    assert total(m, "trade_console_ws_reconnects_total") >= 1
    assert val(m, "trade_console_ws_messages_total", stream="public") > 0
    assert val(m, "trade_console_ws_messages_total", stream="private") > 0
    # Every breaker has a state gauge (account breakers and per-endpoint circuits), all closed.
    breakers = label_values(m, "trade_console_breaker_state", "name")
    # (a circuit exists once a call to its endpoint has failed after its retries; the read that
    # got one 503 was retried and succeeded, so it is no failure and opened no circuit)
    assert {"daily_loss", "api_failures"} <= set(breakers), breakers
    assert "api:/v5/order/realtime" not in breakers, breakers
    assert set(breakers.values()) == {0.0}, breakers
    assert val(m, "trade_console_ready") == 1
    # Rate-limit utilisation: one gauge per limiter group, in range, and the order group was used.
    used = label_values(m, "trade_console_rate_limit_used_ratio", "group")
    assert {"order.create", "order.cancel", "ip"} <= set(used), used
    assert all(0.0 <= v <= 1.0 for v in used.values()), used
    assert 0 < peak_used["order.create"] <= 1, peak_used
    # Bybit's own X-Bapi-Limit headers, per group.
    header = {
        dict(lab)["group"]: v
        for (n, lab), v in m.items()
        if n == "trade_console_rate_limit_used_ratio" and ("source", "header") in lab
    }
    assert "order.create" in header and 0 <= header["order.create"] <= 1, header
    # Risk rejection by check, panic run.
    assert val(m, "trade_console_risk_rejections_total", check="price_band") == 1
    assert val(m, "trade_console_panic_runs_total", result="flat") == 1
    assert val(m, "trade_console_panic_duration_seconds_count") == 1


# --- 2. /healthz follows a stalled feed -----------------------------------------------------------
async def test_healthz_and_alert_follow_a_stalled_feed(
    sim: SimVenueThread,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    ready: Ready,
    engine_settings: EngineSettingsFactory,
) -> None:
    settings = engine_settings(sim, tmp_path, metrics=METRICS_ON, risk={"book_stale_s": 1.0})
    engine = Engine(settings)
    feed = f"orderbook.{SYM}"
    others = [f"orderbook.{s}" for s in settings.risk.symbols if s != SYM]
    seen: list[AlertRaised] = []

    async def healthz() -> tuple[int, dict[str, Any]]:
        code, raw = await get(http, engine, "/healthz")
        return code, orjson.loads(raw)

    async def stale_alerts() -> list[AlertRaised]:
        seen.extend(alert_events(engine, "feed_stale"))
        return seen

    await engine.start()
    try:
        for sym in settings.risk.symbols:
            await ready(engine, sym)
        status, body = await get(http, engine, "/readyz")
        assert status == 200 and orjson.loads(body)["ready"] is True, body
        await poll(healthz, lambda r: r[0] == 200, what="/healthz 200 after start")
        engine.store.drain_events(100_000)

        sim.set_faults(f"stall_feed={SYM}")
        _, doc = await poll(healthz, lambda r: r[0] == 503, timeout=6, what="/healthz 503 on a stall")
        assert doc["reasons"] and all(r.startswith(f"feed {feed} stale: ") for r in doc["reasons"]), doc
        assert doc["checks"]["feeds"][feed]["ok"] is False
        assert all(doc["checks"]["feeds"][o]["ok"] for o in others), doc
        assert doc["mode"] == "sim" and doc["venue"] == "bybit-sim"
        status, body = await get(http, engine, "/readyz")
        assert status == 200, body  # readiness is about start-up, not a stall
        await poll(stale_alerts, lambda a: any(e.active for e in a), what="feed_stale raised")
        assert seen[0].active and feed in seen[0].message, seen
        assert all(o not in seen[0].message for o in others), seen
        m = await scrape(http, engine)
        assert val(m, "trade_console_alert_active", rule="feed_stale") == 1
        assert val(m, "trade_console_health_ok") == 0

        sim.set_faults("")
        _, doc = await poll(healthz, lambda r: r[0] == 200, timeout=8, what="/healthz 200 after the stall")
        assert doc["reasons"] == [] and doc["status"] == "ok", doc
        await poll(stale_alerts, lambda a: not a[-1].active, timeout=6, what="feed_stale cleared")
        assert [e.active for e in seen] == [True, False], seen
        journaled = [(r.data["rule"], r.data["active"]) for r in engine.journal.query(kinds=["alert"])]
        assert ("feed_stale", True) in journaled and ("feed_stale", False) in journaled, journaled
        m = await scrape(http, engine)
        assert val(m, "trade_console_alert_active", rule="feed_stale") == 0
        assert val(m, "trade_console_health_ok") == 1
        assert val(m, "trade_console_ready") == 1
    finally:
        await engine.stop()


# --- 3. no secret in any log line -----------------------------------------------------------------
@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HMAC signature pybit makes (REST X-BAPI-SIGN and the WS auth frame), recorded."""
    seen: list[str] = []
    real = _http_manager.generate_signature

    def spy(use_rsa: bool, secret: str, param_str: str) -> str:
        sig: str = real(use_rsa, secret, param_str)
        seen.append(sig)
        return sig

    monkeypatch.setattr(_http_manager, "generate_signature", spy)
    monkeypatch.setattr(_websocket_stream, "generate_signature", spy)
    return seen


async def test_no_secret_in_any_log_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signatures: list[str],
    wait_for: WaitFor,
    ready: Ready,
    below: Below,
    engine_settings: EngineSettingsFactory,
    sim_settings: SimSettingsFactory,
) -> None:
    sent_signatures = signatures
    key = "Zk3QmW8rT2vX9pLs4N"
    secret = "Hq7Vn2Kx9Rt4Wm8Pz3Ly6Bc1Df5Gj0Sa2Xe7Ui"
    venue = SimVenueThread(sim_settings(api_key=key, api_secret=secret)).start()
    settings = engine_settings(venue, tmp_path, metrics=METRICS_ON)
    assert settings.credentials() == (key, secret)
    # Worst case: pybit logs every request with its headers (X-BAPI-API-KEY, X-BAPI-SIGN) and
    # websocket-client traces every frame (the auth frame carries key and signature).
    real_make_http = bybit_session.make_http

    def verbose_http(s: Any, *args: Any) -> Any:
        session = real_make_http(s, *args)
        session.log_requests = True
        return session

    monkeypatch.setattr(rest, "make_http", verbose_http)
    handle = setup_logging(
        tmp_path / "logs", mode="sim", venue="bybit-sim", secrets=settings.credentials(), level=logging.DEBUG
    )
    levels = {name: logging.getLogger(name).level for name in ("pybit", "websocket")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    # pybit calls websocket.enableTrace(False) for every socket it makes: force tracing on instead.
    real_trace = websocket.enableTrace

    def always_trace(_traceable: bool, *_args: Any, **_kwargs: Any) -> None:
        real_trace(True, handler=logging.NullHandler())

    monkeypatch.setattr(websocket, "enableTrace", always_trace)
    try:
        engine = Engine(settings)
        await engine.start()
        try:
            mark = await ready(engine)
            ok = await engine.place(
                OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.97"))
            )
            assert ok.ok, ok.message
            await engine.cancel(ok.order_link_id)
            await engine.place(
                OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.5"))
            )
            venue.set_faults("rate_limit_next=1,http5xx_next=1")
            await engine.place(
                OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark, "0.97"))
            )
            venue.set_faults("ws_disconnect=all")
            feeds = engine.feeds
            assert isinstance(feeds, BybitFeeds)
            await wait_for(lambda: feeds.reconnects["private"] >= 1, timeout=10, what="private re-auth")
            await engine.panic()
        finally:
            await engine.stop()
    finally:
        real_trace(False)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        handle.close()
        venue.stop()

    text = "\n".join(p.read_text() for p in (tmp_path / "logs").glob(LOG_FILE_NAME + "*"))
    # The session really was logged verbosely: request headers and the traced auth frame.
    assert "'X-BAPI-SIGN': " in text, "pybit request headers not logged"
    assert '\\"op\\": \\"auth\\"' in text, "websocket auth frame not traced"
    assert len(sent_signatures) > 5
    assert key not in text
    assert secret not in text
    leaked = [s for s in set(sent_signatures) if s in text]
    assert not leaked, f"{len(leaked)} signatures in the log"
    assert not re.search(r"(?i)(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", text)


# --- 4. the wiring's pieces, without a venue -----------------------------------------------------
def test_book_stale_by_gap_is_unhealthy_without_age() -> None:
    snap = HealthSnapshot(
        venue_reachable=True,
        time_offset_ms=2.0,
        feed_ages_s={"orderbook.BTCUSDT": 0.1, "orderbook.ETHUSDT": 0.2},
        breakers={},
        journal_writable=True,
        stale_feeds={"orderbook.BTCUSDT": "gap: u 12 after 10"},
    )
    result = evaluate_health(snap, max_feed_age_s=1.0)
    assert result.status == 503
    assert result.reasons == ["feed orderbook.BTCUSDT stale: gap: u 12 after 10"]
    feeds = result.body["checks"]["feeds"]
    assert feeds["orderbook.BTCUSDT"] == {"age_s": 0.1, "ok": False, "stale": "gap: u 12 after 10"}
    assert feeds["orderbook.ETHUSDT"] == {"age_s": 0.2, "ok": True}


def test_stale_reason_shows_the_age_above_the_limit() -> None:
    snap = HealthSnapshot(True, 0.0, {"orderbook.BTCUSDT": 1.036}, {}, True)
    assert evaluate_health(snap, max_feed_age_s=1.0).reasons == [
        "feed orderbook.BTCUSDT stale: 1.04 s > 1.00 s"
    ]
