"""Every WebSocket topic and control frame the sim serves, over loopback, against Bybit's V5 docs.

Public: orderbook (snapshot and delta, at every depth), publicTrade, tickers (snapshot, and deltas
that may leave fields out but never add or mistype one) and kline. Private: order, execution,
position and wallet, pushed by a real order placed through pybit. Control frames (pong, subscribe
and auth acks) are compared with the examples on the connect page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import orjson
import pytest
from pybit.unified_trading import HTTP

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.auth import ws_signature
from core.sim.runner import SimVenueThread
from core.sim.ws import PRIVATE_TOPICS
from tests.support.conformance import assert_conforms, diff, load
from tests.support.sim_venue import MakeVenue

pytestmark = pytest.mark.timeout(60)

DEADLINE_S = 15.0
PUBLIC = [
    "orderbook.1.BTCUSDT",
    "orderbook.50.BTCUSDT",
    "publicTrade.BTCUSDT",
    "tickers.BTCUSDT",
    "kline.1.BTCUSDT",
]

# The control frames on docs/v5/websocket/wss-authentication.mdx (linear public and private tabs).
PONG_PUBLIC = {"success": True, "ret_msg": "pong", "conn_id": "c", "req_id": "", "op": "ping"}
PONG_PRIVATE = {"req_id": "test", "op": "pong", "args": ["1675418560633"], "conn_id": "c"}
ACK_PUBLIC = {"success": True, "ret_msg": "", "conn_id": "c", "req_id": "", "op": "subscribe"}
ACK_PRIVATE = {"success": True, "ret_msg": "", "op": "subscribe", "conn_id": "c"}
AUTH_OK = {"success": True, "ret_msg": "", "op": "auth", "conn_id": "c"}


@pytest.fixture(scope="module")
def venue(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    v = make_venue(limits_scale=1000.0, market_rate_hz=50.0)
    yield v
    v.stop()


def _same_keys(doc: dict[str, Any], got: dict[str, Any], optional: frozenset[str] = frozenset()) -> None:
    assert set(got) - optional == set(doc) - optional, f"doc {sorted(doc)} vs sim {sorted(got)}"
    for key in set(doc) & set(got):
        assert type(got[key]) is type(doc[key]), f"{key}: doc {doc[key]!r} vs sim {got[key]!r}"


async def _collect(
    ws: aiohttp.ClientWebSocketResponse, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    end = time.monotonic() + DEADLINE_S
    while not done(seen):
        left = end - time.monotonic()
        assert left > 0, (
            f"not seen within {DEADLINE_S} s; got topics {sorted({m.get('topic', '') for m in seen})}"
        )
        msg = await ws.receive(timeout=left)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        seen.append(orjson.loads(msg.data))
    return seen


def _topic(seen: list[dict[str, Any]], prefix: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [m for m in seen if str(m.get("topic", "")).startswith(prefix) and kind in (None, m.get("type"))]


def _zero_level(m: dict[str, Any]) -> bool:
    return any(float(level[1]) == 0 for side in ("b", "a") for level in m["data"][side])


async def test_public_topics_match_the_docs(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        await ws.send_str(orjson.dumps({"op": "subscribe", "req_id": "", "args": PUBLIC}).decode())
        ack = orjson.loads((await ws.receive(timeout=5)).data)
        _same_keys(ACK_PUBLIC, ack)

        def enough(seen: list[dict[str, Any]]) -> bool:
            deltas = _topic(seen, "orderbook.50.", "delta")
            return (
                any(_zero_level(m) for m in deltas)
                and bool(_topic(seen, "orderbook.1."))
                and bool(_topic(seen, "publicTrade."))
                and bool(_topic(seen, "tickers.", "delta"))
                and bool(_topic(seen, "kline."))
            )

        seen = await _collect(ws, enough)
    for m in _topic(seen, "orderbook."):
        assert_conforms("ws_orderbook", m)
    for m in _topic(seen, "publicTrade."):
        assert_conforms("ws_public_trade", m)
    for m in _topic(seen, "kline."):
        assert_conforms("ws_kline", m)
    snaps = _topic(seen, "tickers.", "snapshot")
    assert len(snaps) == 1
    assert_conforms("ws_tickers", snaps[0])
    for m in _topic(seen, "tickers.", "delta"):
        assert_conforms("ws_tickers", m, partial=True)
        assert m["data"]["symbol"] == "BTCUSDT"


async def test_deleted_book_levels_are_size_zero_as_bybit_sends_them(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        await ws.send_str(orjson.dumps({"op": "subscribe", "args": ["orderbook.50.ETHUSDT"]}).decode())
        seen = await _collect(
            ws, lambda seen: any(_zero_level(m) for m in _topic(seen, "orderbook.", "delta"))
        )
    zeros = [lv[1] for m in _topic(seen, "orderbook.") for side in ("b", "a") for lv in m["data"][side]]
    assert all(z == "0" for z in zeros if float(z) == 0), [z for z in zeros if float(z) == 0][:5]


async def test_every_depth_the_sim_serves_conforms(venue: SimVenueThread) -> None:
    topics = [f"orderbook.{d}.SOLUSDT" for d in (1, 50, 200, 1000)]
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url, max_msg_size=0) as ws:
        await ws.send_str(orjson.dumps({"op": "subscribe", "args": topics}).decode())
        seen = await _collect(ws, lambda seen: all(_topic(seen, t) for t in topics))
    for m in _topic(seen, "orderbook."):
        assert_conforms("ws_orderbook", m)


async def test_private_topics_match_the_docs(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_private_url) as ws:
        expires = int(time.time() * 1000) + 10_000
        await ws.send_str(
            orjson.dumps({"op": "auth", "args": [KEY, expires, ws_signature(SECRET, expires)]}).decode()
        )
        _same_keys(AUTH_OK, orjson.loads((await ws.receive(timeout=5)).data), frozenset({"req_id"}))
        await ws.send_str(
            orjson.dumps({"op": "subscribe", "args": ["order", "execution", "position", "wallet"]}).decode()
        )
        _same_keys(ACK_PRIVATE, orjson.loads((await ws.receive(timeout=5)).data), frozenset({"req_id"}))

        def trade() -> None:
            http = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
            http.endpoint = venue.rest_url
            http.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")

        await asyncio.to_thread(trade)
        want = ("order", "execution", "position", "wallet")
        seen = await _collect(ws, lambda seen: all(_topic(seen, t) for t in want))
    for topic in want:
        for m in _topic(seen, topic):
            assert_conforms(f"ws_{topic}", m)


async def test_categorised_private_topics_have_the_same_shape(venue: SimVenueThread) -> None:
    assert {"order.linear", "execution.linear", "position.linear"} <= PRIVATE_TOPICS
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_private_url) as ws:
        expires = int(time.time() * 1000) + 10_000
        await ws.send_str(
            orjson.dumps({"op": "auth", "args": [KEY, expires, ws_signature(SECRET, expires)]}).decode()
        )
        await ws.receive(timeout=5)
        await ws.send_str(
            orjson.dumps({"op": "subscribe", "args": ["order.linear", "position.linear"]}).decode()
        )
        await ws.receive(timeout=5)

        def trade() -> None:
            http = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
            http.endpoint = venue.rest_url
            http.place_order(category="linear", symbol="SOLUSDT", side="Buy", orderType="Market", qty="1.0")

        await asyncio.to_thread(trade)
        seen = await _collect(
            ws, lambda seen: bool(_topic(seen, "order.linear") and _topic(seen, "position.linear"))
        )
    for m in _topic(seen, "order.linear"):
        assert not diff(load("ws_order"), {**m, "topic": "order"})
    for m in _topic(seen, "position.linear"):
        assert not diff(load("ws_position"), {**m, "topic": "position"})


async def test_pongs_match_the_docs(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(venue.ws_public_url) as ws:
            await ws.send_str(orjson.dumps({"op": "ping", "req_id": "p"}).decode())
            _same_keys(PONG_PUBLIC, orjson.loads((await ws.receive(timeout=5)).data))
        async with s.ws_connect(venue.ws_private_url) as ws:
            await ws.send_str(orjson.dumps({"op": "ping", "req_id": "test"}).decode())
            pong = orjson.loads((await ws.receive(timeout=5)).data)
            _same_keys(PONG_PRIVATE, pong)
            assert pong["args"][0].isdigit()
