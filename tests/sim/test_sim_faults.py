"""Every fault kind, set through the admin endpoint, observably happens."""

from __future__ import annotations

import asyncio
import time
import urllib.error
from collections.abc import Iterator
from typing import Any

import aiohttp
import orjson
import pytest
import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import Admin

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def _clear(venue: SimVenueThread, admin: Admin) -> Iterator[None]:
    yield
    admin(venue, "/sim/admin/faults", {"spec": ""})


def _http(v: SimVenueThread) -> HTTP:
    s = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
    s.endpoint = v.rest_url
    return s


def test_admin_needs_sim_key_and_valid_spec(venue: SimVenueThread, admin: Admin) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        admin(venue, "/sim/admin/stats", key="nope")
    assert err.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as err:
        admin(venue, "/sim/admin/faults", {"rate_limit": 7})
    assert err.value.code == 400
    shown = admin(venue, "/sim/admin/faults", {"latency_ms": 5, "stall_feed": ["SOLUSDT"]})
    assert shown["faults"] == {"latency_ms": 5, "stall_feed": ["SOLUSDT"]}
    assert admin(venue, "/sim/admin/faults")["spec"] == "latency_ms=5,stall_feed=SOLUSDT"
    stats = admin(venue, "/sim/admin/stats")
    assert stats["market_steps"] > 0 and "ws" in stats


def test_rate_limit_burst(venue: SimVenueThread, admin: Admin) -> None:
    admin(venue, "/sim/admin/faults", {"spec": "rate_limit_next=2"})
    s = _http(venue)
    for _ in range(2):
        with pytest.raises(InvalidRequestError) as err:
            s.get_open_orders(category="linear", symbol="BTCUSDT")
        assert err.value.status_code == 10006
        assert int(err.value.resp_headers["X-Bapi-Limit-Reset-Timestamp"]) > int(time.time() * 1000)
    assert s.get_open_orders(category="linear", symbol="BTCUSDT")["retCode"] == 0
    assert admin(venue, "/sim/admin/faults")["injected"]["rate_limit"] >= 2


def test_rate_limit_announces_the_reset_it_was_given(venue: SimVenueThread, admin: Admin) -> None:
    """``rate_hold_ms`` sets how far ahead an injected 10006 says the limit resets (a client that
    honours the reset waits exactly that long; without it, the 1 s window)."""
    admin(venue, "/sim/admin/faults", {"spec": "rate_limit_next=1,rate_hold_ms=50000"})
    asked_ms = int(time.time() * 1000)
    with pytest.raises(InvalidRequestError) as err:
        _http(venue).get_open_orders(category="linear", symbol="BTCUSDT")
    ahead = int(err.value.resp_headers["X-Bapi-Limit-Reset-Timestamp"]) - asked_ms
    assert 45_000 < ahead <= 51_000, ahead


def test_http_5xx(venue: SimVenueThread, admin: Admin) -> None:
    admin(venue, "/sim/admin/faults", {"http5xx": 1.0})
    statuses = set()
    for _ in range(10):
        with pytest.raises(FailedRequestError) as err:
            _http(venue).get_tickers(category="linear", symbol="BTCUSDT")
        statuses.add(err.value.status_code)
    assert statuses <= {500, 502, 503} and statuses


def test_latency(venue: SimVenueThread, admin: Admin) -> None:
    admin(venue, "/sim/admin/faults", {"latency_ms": 200})
    t0 = time.monotonic()
    assert _http(venue).get_tickers(category="linear", symbol="BTCUSDT")["retCode"] == 0
    assert time.monotonic() - t0 >= 0.2


def test_dropped_connection(venue: SimVenueThread, admin: Admin) -> None:
    admin(venue, "/sim/admin/faults", {"drop_rest_next": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        _http(venue).get_tickers(category="linear", symbol="BTCUSDT")
    assert _http(venue).get_tickers(category="linear", symbol="BTCUSDT")["retCode"] == 0
    assert admin(venue, "/sim/admin/faults")["injected"]["drop_rest"] == 1


def test_reply_lost_after_processing(venue: SimVenueThread, admin: Admin) -> None:
    """drop_after / http5xx_after: the venue acted, but the client never hears about it."""
    s = _http(venue)
    admin(venue, "/sim/admin/faults", {"drop_after_next": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        s.place_order(
            category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
            qty="0.001", price="50000", orderLinkId="lost-reply-1",
        )  # fmt: skip
    found = s.get_open_orders(category="linear", symbol="BTCUSDT", orderLinkId="lost-reply-1")
    assert [o["orderLinkId"] for o in found["result"]["list"]] == ["lost-reply-1"]
    admin(venue, "/sim/admin/faults", {"http5xx_after": 1.0})
    with pytest.raises(FailedRequestError):
        s.cancel_order(category="linear", symbol="BTCUSDT", orderLinkId="lost-reply-1")
    admin(venue, "/sim/admin/faults", {"spec": ""})
    assert s.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"] == []
    assert admin(venue, "/sim/admin/faults")["injected"]["drop_after"] == 1


def test_garbled_reply_alone_fires_after_processing(venue: SimVenueThread, admin: Admin) -> None:
    """garble_after on its own (no other fault set) processes the request, then garbles the reply."""
    s = _http(venue)
    admin(venue, "/sim/admin/faults", {"spec": "garble_after=1"})
    with pytest.raises(Exception) as err:  # pybit raises whatever its JSON decoding raises
        s.place_order(
            category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit",
            qty="0.001", price="50000", orderLinkId="garbled-1",
        )  # fmt: skip
    assert not isinstance(err.value, InvalidRequestError)
    admin(venue, "/sim/admin/faults", {"spec": ""})
    found = s.get_open_orders(category="linear", symbol="BTCUSDT", orderLinkId="garbled-1")
    assert [o["orderLinkId"] for o in found["result"]["list"]] == ["garbled-1"]
    s.cancel_order(category="linear", symbol="BTCUSDT", orderLinkId="garbled-1")


async def _recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    out: dict[str, Any] = orjson.loads(msg.data)
    return out


async def test_ws_disconnect(venue: SimVenueThread, admin: Admin) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        await ws.send_str('{"op":"subscribe","req_id":"1","args":["orderbook.50.BTCUSDT"]}')
        await _recv_json(ws)
        await asyncio.to_thread(admin, venue, "/sim/admin/faults", {"ws_disconnect": "all"})
        deadline = time.monotonic() + 5
        closed = False
        while time.monotonic() < deadline:
            msg = await ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                closed = True
                break
        assert closed
    shown = await asyncio.to_thread(admin, venue, "/sim/admin/faults")
    assert shown["injected"]["ws_disconnect"] >= 1 and "ws_disconnect" not in shown["faults"]


async def test_stalled_feed_then_fresh_snapshot(venue: SimVenueThread, admin: Admin) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        args = ["orderbook.50.BTCUSDT", "orderbook.50.ETHUSDT"]
        await ws.send_str(orjson.dumps({"op": "subscribe", "req_id": "1", "args": args}).decode())
        await _recv_json(ws)
        await asyncio.to_thread(admin, venue, "/sim/admin/faults", {"stall_feed": "BTCUSDT"})
        drain_end = time.monotonic() + 0.1
        while time.monotonic() < drain_end:  # drain what was queued before the stall
            try:
                await ws.receive(timeout=0.05)
            except TimeoutError:
                break
        topics: list[str] = []
        end = time.monotonic() + 5.0  # a loaded machine may be slow to push: wait for ETH frames
        while time.monotonic() < end and topics.count("orderbook.50.ETHUSDT") < 3:
            try:
                topics.append((await _recv_json(ws, 0.5))["topic"])
            except TimeoutError:
                continue
        assert "orderbook.50.ETHUSDT" in topics and "orderbook.50.BTCUSDT" not in topics
        # REST still serves the stalled symbol.
        r = await asyncio.to_thread(_http(venue).get_orderbook, category="linear", symbol="BTCUSDT")
        assert r["retCode"] == 0
        await asyncio.to_thread(admin, venue, "/sim/admin/faults", {"spec": ""})
        for _ in range(200):
            m = await _recv_json(ws)
            if m["topic"] == "orderbook.50.BTCUSDT":
                assert m["type"] == "snapshot"  # the first BTC frame after the stall resets the book
                break
        else:
            pytest.fail("BTC feed did not resume")
