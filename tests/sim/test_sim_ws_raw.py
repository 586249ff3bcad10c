"""Wire-level WebSocket behaviour: acks, req_id echo, ack delay, invalid topics, pongs, slow consumers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson
import pytest

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.auth import ws_signature
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import MakeVenue

pytestmark = pytest.mark.timeout(30)


async def _recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    out: dict[str, Any] = orjson.loads(msg.data)
    return out


async def _send(ws: aiohttp.ClientWebSocketResponse, obj: dict[str, Any]) -> None:
    await ws.send_str(orjson.dumps(obj).decode())


async def test_subscribe_ack_delay_then_snapshot_then_deltas(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        t0 = time.monotonic()
        await _send(ws, {"op": "subscribe", "req_id": "r1", "args": ["orderbook.50.BTCUSDT"]})
        ack = await _recv(ws)
        elapsed = time.monotonic() - t0
        assert ack == {
            "success": True,
            "ret_msg": "",
            "conn_id": ack["conn_id"],
            "req_id": "r1",
            "op": "subscribe",
        }
        assert elapsed >= 0.019
        snap = await _recv(ws)
        assert snap["topic"] == "orderbook.50.BTCUSDT" and snap["type"] == "snapshot"
        u = snap["data"]["u"]
        for _ in range(3):
            delta = await _recv(ws)
            assert delta["topic"] == "orderbook.50.BTCUSDT" and delta["type"] == "delta"
            assert delta["data"]["u"] == u + 1  # no delta lost or duplicated after the snapshot
            u = delta["data"]["u"]
        await _send(ws, {"op": "ping", "req_id": "p1"})
        while True:
            m = await _recv(ws)
            if "topic" not in m:
                break
        assert m["op"] == "ping" and m["ret_msg"] == "pong" and m["req_id"] == "p1" and m["success"] is True
        await _send(ws, {"op": "unsubscribe", "req_id": "r1", "args": ["orderbook.50.BTCUSDT"]})
        while True:
            m = await _recv(ws)
            if "topic" not in m:
                break
        assert m["op"] == "unsubscribe" and m["req_id"] == "r1" and m["success"] is True
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.3)


async def test_invalid_topic_gets_success_false(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        await _send(ws, {"op": "subscribe", "req_id": "bad", "args": ["orderbook.50.NOPEUSDT"]})
        ack = await _recv(ws)
        assert ack["success"] is False and ack["req_id"] == "bad" and ack["op"] == "subscribe"
        assert "NOPEUSDT" in ack["ret_msg"]
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.2)


async def test_private_auth_subscribe_and_pong(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_private_url) as ws:
        await _send(ws, {"op": "subscribe", "req_id": "early", "args": ["order"]})
        early = await _recv(ws)
        assert early["success"] is False  # not authorised yet
        expires = int(time.time() * 1000) + 5000
        await _send(ws, {"op": "auth", "req_id": "a", "args": [KEY, expires, ws_signature(SECRET, expires)]})
        auth = await _recv(ws)
        assert auth["success"] is True and auth["op"] == "auth" and auth["conn_id"]
        await _send(ws, {"op": "subscribe", "req_id": "s", "args": ["order.linear", "wallet"]})
        ack = await _recv(ws)
        assert ack["success"] is True and ack["req_id"] == "s"
        await _send(ws, {"op": "ping", "req_id": "p"})
        pong = await _recv(ws)
        assert pong["op"] == "pong" and pong["req_id"] == "p" and pong["args"][0].isdigit()


@pytest.mark.timeout(30)
async def test_slow_consumer_is_disconnected(make_venue: MakeVenue) -> None:
    v = await asyncio.to_thread(make_venue, market_rate_hz=2000.0)
    try:
        srv = v.server
        assert srv is not None
        srv.ws.max_queue = 50
        async with aiohttp.ClientSession() as s, s.ws_connect(v.ws_public_url, max_msg_size=0) as ws:
            topics = [f"orderbook.{d}.{sym}" for d in (1, 50, 200, 1000) for sym in ("BTCUSDT", "ETHUSDT")]
            await _send(ws, {"op": "subscribe", "req_id": "x", "args": topics})
            # Never read: the server's queue for us overflows and it drops us.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and v.stats()["ws"]["slow_dropped"] == 0:
                await asyncio.sleep(0.05)
            assert v.stats()["ws"]["slow_dropped"] >= 1
    finally:
        await asyncio.to_thread(v.stop)
