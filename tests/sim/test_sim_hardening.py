"""The sim as a server under hostile clients: odd headers, slow heads, unread queues, stale replays.

Every test talks to a real venue on 127.0.0.1 through raw sockets or aiohttp, with bounded loops
and deadlines on the state it waits for.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import orjson
import pytest

from core.clock import SystemClock
from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.config import SimSettings
from core.sim.auth import MAX_RECV_WINDOW, Authenticator, AuthError, rest_signature, ws_signature
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread
from core.sim.ws import MAX_ANSWERS_DUE
from tests.support.sim_venue import MakeVenue

pytestmark = pytest.mark.timeout(60)

DEADLINE_S = 10.0


def _venue(**server_kwargs: Any) -> SimVenueThread:
    settings = SimSettings(
        port=0, market_rate_hz=20.0, ack_delay_ms=server_kwargs.pop("ack_delay_ms", (20, 50))
    )
    exchange = SimExchange(
        seed=settings.seed, clock=SystemClock(), starting_balance=settings.starting_balance
    )
    return SimVenueThread(settings, SystemClock(), exchange=exchange, **server_kwargs).start()


@pytest.fixture(scope="module")
def venue(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    v = make_venue(limits_scale=100.0)
    yield v
    v.stop()


def _wait_for(cond: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        time.sleep(0.02)


def _raw_http(port: int, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send one request with exactly these bytes; return (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        header, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(header.split(b" ")[1]), rest


def _signed_get_head(path: str, query: str, headers: dict[str, bytes]) -> bytes:
    lines = [f"GET {path}?{query} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    lines += [k.encode() + b": " + v for k, v in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _auth_headers(query: str, ts: int, recv: str = "5000") -> dict[str, bytes]:
    sig = rest_signature(SECRET, str(ts), KEY, recv, query.encode())
    return {
        "X-BAPI-API-KEY": KEY.encode(),
        "X-BAPI-TIMESTAMP": str(ts).encode(),
        "X-BAPI-RECV-WINDOW": recv.encode(),
        "X-BAPI-SIGN": sig.encode(),
    }


# --- non-ASCII headers: Bybit's error, never HTTP 500 ---------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("X-BAPI-SIGN", "é".encode() * 32, 10004),
        ("X-BAPI-SIGN", "\u0661".encode() * 64, 10004),
        ("X-BAPI-TIMESTAMP", "\u0661\u0667\u0660\u0660".encode(), 10001),  # Arabic-Indic digits
        ("X-BAPI-RECV-WINDOW", "\u0665\u0660\u0660\u0660".encode(), 10001),
        ("X-BAPI-API-KEY", b"\xff\xfe", 10003),
    ],
)
def test_non_ascii_auth_header_is_a_bybit_error(
    venue: SimVenueThread, header: str, value: bytes, code: int
) -> None:
    query = "category=linear&symbol=BTCUSDT"
    headers = _auth_headers(query, int(time.time() * 1000))
    headers[header] = value
    status, body = _raw_http(venue.port, _signed_get_head("/v5/position/list", query, headers))
    assert status in (200, 401), body
    reply = orjson.loads(body)
    assert reply["retCode"] == code, reply


def test_non_ascii_admin_header_is_forbidden_not_500(venue: SimVenueThread) -> None:
    head = (
        b"GET /sim/admin/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"X-SIM-ADMIN: \xc3\xa9\xff\r\n\r\n"
    )
    status, body = _raw_http(venue.port, head)
    assert status == 403, body


async def test_non_ascii_ws_auth_signature_is_refused_and_socket_lives(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_private_url) as ws:
        expires = int(time.time() * 1000) + 5000
        await ws.send_str(
            orjson.dumps({"op": "auth", "req_id": "a", "args": [KEY, expires, "é" * 64]}).decode()
        )
        reply = orjson.loads((await ws.receive(timeout=5)).data)
        assert reply["op"] == "auth" and reply["success"] is False
        good = ws_signature(SECRET, expires)
        await ws.send_str(orjson.dumps({"op": "auth", "req_id": "b", "args": [KEY, expires, good]}).decode())
        reply = orjson.loads((await ws.receive(timeout=5)).data)
        assert reply["op"] == "auth" and reply["success"] is True


# --- recvWindow ------------------------------------------------------------------------------------


def test_huge_recv_window_does_not_admit_an_old_timestamp(venue: SimVenueThread) -> None:
    query = "category=linear&symbol=BTCUSDT"
    ten_days_ago = int(time.time() * 1000) - 10 * 86_400_000
    head = _signed_get_head("/v5/position/list", query, _auth_headers(query, ten_days_ago, recv=str(10**15)))
    status, body = _raw_http(venue.port, head)
    reply = orjson.loads(body)
    assert status == 200 and reply["retCode"] == 10002, reply


def test_huge_recv_window_with_a_fresh_timestamp_still_works(venue: SimVenueThread) -> None:
    query = "category=linear&symbol=BTCUSDT"
    head = _signed_get_head(
        "/v5/position/list", query, _auth_headers(query, int(time.time() * 1000), str(10**15))
    )
    status, body = _raw_http(venue.port, head)
    assert status == 200 and orjson.loads(body)["retCode"] == 0, body


def test_recv_window_is_capped_at_the_limit() -> None:
    auth = Authenticator({"k": "s"})
    now = 1_700_000_000_000
    for age, ok in ((MAX_RECV_WINDOW, True), (MAX_RECV_WINDOW + 1, False)):
        ts = str(now - age)
        recv = str(10**15)
        headers = {
            "X-BAPI-API-KEY": "k",
            "X-BAPI-TIMESTAMP": ts,
            "X-BAPI-RECV-WINDOW": recv,
            "X-BAPI-SIGN": rest_signature("s", ts, "k", recv, b""),
        }
        if ok:
            assert auth.verify_rest(headers, b"", now) == "k"
        else:
            with pytest.raises(AuthError) as err:
                auth.verify_rest(headers, b"", now)
            assert err.value.ret_code == 10002


# --- slow request heads and bodies -----------------------------------------------------------------


def test_slow_headers_are_cut_off_and_fds_come_back() -> None:
    v = _venue(header_timeout_s=0.5)
    socks: list[socket.socket] = []
    try:
        fds_before = len(os.listdir("/proc/self/fd"))
        for _ in range(60):
            sock = socket.create_connection(("127.0.0.1", v.port), timeout=5)
            sock.sendall(b"GET /v5/market/time HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")  # never finished
            socks.append(sock)
        closed: set[int] = set()

        def all_closed() -> bool:
            for i, sock in enumerate(socks):
                if i in closed:
                    continue
                sock.setblocking(False)
                try:
                    if sock.recv(1024) == b"":
                        closed.add(i)
                except BlockingIOError:
                    pass
                except ConnectionError:
                    closed.add(i)
            return len(closed) == len(socks)

        _wait_for(all_closed, "the server closes every connection whose head never completes")
        for sock in socks:
            sock.close()
        socks.clear()
        # The server's side of each connection is released too (one process: our fds and its fds).
        _wait_for(lambda: len(os.listdir("/proc/self/fd")) <= fds_before + 5, "fds back to the baseline")
        # A normal client still gets served.
        status, body = _raw_http(
            v.port, b"GET /v5/market/time HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        assert status == 200 and orjson.loads(body)["retCode"] == 0
    finally:
        for sock in socks:
            sock.close()
        v.stop()


def test_slow_body_gets_a_reply_and_is_closed() -> None:
    v = _venue(header_timeout_s=0.5)
    try:
        with socket.create_connection(("127.0.0.1", v.port), timeout=DEADLINE_S) as sock:
            head = (
                b"POST /v5/order/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            sock.sendall(head)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 408"), data[:80]
        assert orjson.loads(data.partition(b"\r\n\r\n")[2])["retCode"] == 10001
    finally:
        v.stop()


# --- WebSocket queues and vanished clients ---------------------------------------------------------


async def test_unread_pongs_are_bounded_in_bytes() -> None:
    limit = 1 << 20
    v = await asyncio.to_thread(_venue, max_queue_bytes=limit)
    try:
        async with aiohttp.ClientSession() as s, s.ws_connect(v.ws_public_url) as ws:
            fat = orjson.dumps({"op": "ping", "req_id": "x" * 60_000}).decode()
            for i in range(800):  # ~48 MB of pongs if nothing bounds them
                if i % 10 == 0 and (await asyncio.to_thread(v.stats))["ws"]["slow_dropped"]:
                    break
                try:
                    await ws.send_str(fat)
                except ConnectionError:
                    break
            end = time.monotonic() + DEADLINE_S
            while not (await asyncio.to_thread(v.stats))["ws"]["slow_dropped"]:
                assert time.monotonic() < end, "the consumer that never reads is never dropped"
                await asyncio.sleep(0.05)
        conns = await asyncio.to_thread(lambda: v.call(lambda: list(v._srv().ws.conns.values())))
        assert all(c.queued_bytes <= limit + 70_000 for c in conns)
    finally:
        await asyncio.to_thread(v.stop)


async def test_oversized_frame_closes_the_socket(venue: SimVenueThread) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(venue.ws_public_url) as ws:
        await ws.send_str(orjson.dumps({"op": "ping", "req_id": "x" * 200_000}).decode())
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert ws.close_code == 1009


def _ws_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _raw_ws_connect(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET "
        + path.encode()
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 101"), data
    return sock


def test_vanished_clients_buffered_frames_are_not_processed() -> None:
    v = _venue(ack_delay_ms=(200, 200))
    try:

        def ws_stats() -> dict[str, Any]:
            return dict(v.stats()["ws"])

        before = ws_stats()
        sock = _raw_ws_connect(v.port, "/v5/public/linear")
        _wait_for(lambda: ws_stats()["connections"] == before["connections"] + 1, "the socket is registered")
        frame = _ws_frame(
            orjson.dumps({"op": "subscribe", "req_id": "r", "args": ["tickers.BTCUSDT"]}).decode()
        )
        sock.sendall(frame * 100)  # 100 x 200 ms of acks if every frame were read at once
        _wait_for(lambda: "tickers.BTCUSDT" in ws_stats()["public_topics"], "the first frame is processed")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST: the client is gone with 99 frames still buffered at the server
        _wait_for(
            lambda: ws_stats()["connections"] == before["connections"],
            "the vanished connection is forgotten",
            5.0,
        )
        after = ws_stats()
        # Read no faster than answered: the window answered when the first answer was seen, and
        # the one read after it (never given: the client was gone).
        assert after.get("frames_in", 100) - before.get("frames_in", 0) <= 2 * MAX_ANSWERS_DUE + 2
    finally:
        v.stop()


async def test_subscribes_sent_together_are_read_at_once_and_answered_in_order() -> None:
    """Bybit answers each (un)subscribe after its own latency while it reads on: five frames sent
    together are all read before the first answer is due, and answered in the order sent.
    Before: each frame was read only after the previous one's answer (five delays in a row)."""
    v = _venue(ack_delay_ms=(1000, 1000))
    try:
        before = dict(v.stats()["ws"]).get("frames_in", 0)
        url = f"ws://127.0.0.1:{v.port}/v5/public/linear"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            ids = [f"r{i}" for i in range(5)]
            for i, rid in enumerate(ids):
                topic = f"tickers.{('BTCUSDT', 'ETHUSDT', 'SOLUSDT')[i % 3]}"
                await ws.send_str(orjson.dumps({"op": "subscribe", "req_id": rid, "args": [topic]}).decode())
            end = time.monotonic() + DEADLINE_S
            while dict(v.stats()["ws"]).get("frames_in", 0) - before < len(ids):
                assert time.monotonic() < end, "the five frames were not read"
                await asyncio.sleep(0.01)
            assert not dict(v.stats()["ws"])["public_topics"], "answered before all five were read"
            answered: list[str] = []
            while len(answered) < len(ids):
                msg = orjson.loads((await ws.receive(timeout=DEADLINE_S)).data)
                if msg.get("op") == "subscribe":
                    assert msg["success"] is True, msg
                    answered.append(msg["req_id"])
            assert answered == ids
    finally:
        v.stop()
