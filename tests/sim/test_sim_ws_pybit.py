"""pybit WebSockets (public and private) against a running sim venue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pybit.unified_trading as ut
import pytest
from pybit.unified_trading import HTTP, WebSocket

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import Admin

pytestmark = pytest.mark.timeout(30)


def _point_pybit(monkeypatch: pytest.MonkeyPatch, v: SimVenueThread) -> None:
    base = v.rest_url.replace("http://", "ws://")
    monkeypatch.setattr(ut, "PUBLIC_WSS", base + "/v5/public/{CHANNEL_TYPE}")
    monkeypatch.setattr(ut, "PRIVATE_WSS", v.ws_private_url)


class Frames:
    """Every text frame a pybit socket receives, parsed, recorded before pybit handles it (pybit drops
    pongs and acks silently, so a test waits on them here)."""

    def __init__(self, ws: WebSocket, monkeypatch: pytest.MonkeyPatch) -> None:
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] = []
        handle = ws._on_message

        def record(message: str) -> None:
            with self._lock:
                self._items.append(json.loads(message))
            handle(message)

        monkeypatch.setattr(ws, "_on_message", record)

    def count(self, pred: Callable[[dict[str, Any]], bool]) -> int:
        """How many frames so far ``pred`` accepts."""
        with self._lock:
            return sum(1 for item in self._items if pred(item))


def _is_pong(frame: dict[str, Any]) -> bool:
    return frame.get("op") == "pong" or frame.get("ret_msg") == "pong"


def _is_subscribed(frame: dict[str, Any]) -> bool:
    return frame.get("op") == "subscribe" and frame.get("success") is True


def _wait(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def test_public_book_matches_rest_at_same_seq(venue: SimVenueThread, monkeypatch: pytest.MonkeyPatch) -> None:
    _point_pybit(monkeypatch, venue)
    lock = threading.Lock()
    books: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
    errors: list[BaseException] = []

    def on_book(msg: dict[str, Any]) -> None:
        try:
            data = msg["data"]
            # pybit hands us its internal dict: copy it.
            bids = {p: q for p, q in data["b"]}
            asks = {p: q for p, q in data["a"]}
            with lock:
                books[int(data["seq"])] = (bids, asks)
        except Exception as exc:  # noqa: BLE001 - keep pybit's socket alive; reported by the test
            errors.append(exc)

    ws = WebSocket("linear", testnet=False)
    try:
        ws.orderbook_stream(50, "BTCUSDT", on_book)
        assert _wait(lambda: len(books) > 20), "no book updates"
        http = HTTP(retry_codes={-1}, max_retries=1)
        http.endpoint = venue.rest_url
        matched = 0
        for _ in range(30):
            rest = http.get_orderbook(category="linear", symbol="BTCUSDT", limit=50)["result"]
            seq = int(rest["seq"])  # the cross sequence is comparable between REST and every depth
            if not _wait(partial(books.__contains__, seq), 2.0):
                continue
            with lock:
                bids, asks = books[seq]
            top_b = sorted(bids.items(), key=lambda kv: -float(kv[0]))[: len(rest["b"])]
            top_a = sorted(asks.items(), key=lambda kv: float(kv[0]))[: len(rest["a"])]
            assert [[p, q] for p, q in top_b] == rest["b"]
            assert [[p, q] for p, q in top_a] == rest["a"]
            matched += 1
            if matched >= 3:
                break
        assert matched >= 3
        assert not errors
        assert ws.is_connected()
    finally:
        ws.exit()


def test_public_ticker_and_ping(venue: SimVenueThread, monkeypatch: pytest.MonkeyPatch) -> None:
    _point_pybit(monkeypatch, venue)
    got: list[dict[str, Any]] = []
    ws = WebSocket("linear", testnet=False)
    try:
        frames = Frames(ws, monkeypatch)
        ws.ticker_stream("ETHUSDT", lambda m: got.append(m))
        assert _wait(lambda: bool(got)), "no ticker push"
        assert got[0]["topic"] == "tickers.ETHUSDT" and got[0]["data"]["symbol"] == "ETHUSDT"
        pongs = frames.count(_is_pong)
        ws._send_custom_ping()
        assert _wait(lambda: frames.count(_is_pong) > pongs), "no pong for pybit's ping"
        assert ws.is_connected()
    finally:
        ws.exit()


def test_private_pushes_after_fill(venue: SimVenueThread, monkeypatch: pytest.MonkeyPatch) -> None:
    _point_pybit(monkeypatch, venue)
    seen: dict[str, list[dict[str, Any]]] = {"order": [], "execution": [], "position": [], "wallet": []}
    ws = WebSocket("private", testnet=False, api_key=KEY, api_secret=SECRET)
    try:
        frames = Frames(ws, monkeypatch)
        ws.order_stream(lambda m: seen["order"].append(m))
        ws.execution_stream(lambda m: seen["execution"].append(m))
        ws.position_stream(lambda m: seen["position"].append(m))
        ws.wallet_stream(lambda m: seen["wallet"].append(m))
        assert _wait(lambda: bool(ws.auth)), "no auth ack"
        # Acks arrive 20-50 ms after each subscribe; pushes are only for topics already subscribed.
        assert _wait(lambda: frames.count(_is_subscribed) >= len(seen)), "not every subscribe was acked"
        http = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
        http.endpoint = venue.rest_url
        r = http.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.005")
        oid = r["result"]["orderId"]
        assert _wait(lambda: all(seen.values())), {k: len(v) for k, v in seen.items()}
        orders = [o for m in seen["order"] for o in m["data"]]
        assert any(o["orderId"] == oid for o in orders)
        ex = [e for m in seen["execution"] for e in m["data"]]
        assert any(e["orderId"] == oid for e in ex)
        msg = seen["order"][0]
        assert set(msg) >= {"id", "topic", "creationTime", "data"} and msg["topic"] == "order"
        assert any(p["symbol"] == "BTCUSDT" for m in seen["position"] for p in m["data"])
    finally:
        ws.exit()


def test_private_auth_failure_is_success_false(venue: SimVenueThread) -> None:
    import asyncio

    import aiohttp
    import orjson

    async def go() -> dict[str, Any]:
        async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_private_url) as ws:
            await ws.send_str(
                orjson.dumps({"op": "auth", "args": [KEY, int(time.time() * 1000) + 5000, "00"]}).decode()
            )
            ack: dict[str, Any] = orjson.loads((await ws.receive(timeout=5)).data)
            return ack

    ack = asyncio.run(go())
    assert ack["op"] == "auth" and ack["success"] is False


def test_pybit_reconnects_after_injected_disconnect(
    venue: SimVenueThread, monkeypatch: pytest.MonkeyPatch, admin: Admin
) -> None:

    _point_pybit(monkeypatch, venue)
    got: list[dict[str, Any]] = []
    ws = WebSocket("linear", testnet=False)
    try:
        ws.orderbook_stream(1, "BTCUSDT", lambda m: got.append(m))
        assert _wait(lambda: bool(got))
        before = admin(venue, "/sim/admin/stats")["ws"]["connections"]
        assert before >= 1
        admin(venue, "/sim/admin/faults", {"ws_disconnect": "all"})
        assert admin(venue, "/sim/admin/faults")["injected"]["ws_disconnect"] >= 1
        got.clear()
        # pybit reconnects and resubscribes with the same req_id; the stream resumes with a snapshot.
        assert _wait(lambda: bool(got), 10.0)
        assert got[0]["topic"] == "orderbook.1.BTCUSDT"
    finally:
        ws.exit()
