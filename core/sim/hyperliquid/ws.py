"""``GET /ws``: Hyperliquid's WebSocket — subscribe/unsubscribe acks, ping/pong, post, and the feeds.

Each connection has a bounded send queue drained by its own writer task, so the venue's
synchronous listeners never block and a slow reader is dropped instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from core.sim.hyperliquid import actions, info, position_tpsl
from core.sim.hyperliquid.rules import BY_COIN
from core.sim.hyperliquid.venue import HlVenue

log = logging.getLogger(__name__)

GREETING = "Websocket connection established."
MAX_QUEUE = 5000
COIN_FEEDS = ("l2Book", "trades", "bbo", "activeAssetCtx")
USER_FEEDS = ("orderUpdates", "userFills", "userEvents")
Key = tuple[str, str]
"""A subscription's identity: (type, coin or lowercase user; "" for allMids)."""


def sub_key(sub: Mapping[str, Any]) -> Key | None:
    """The identity of a subscription request, or None if the sim does not serve it."""
    kind = sub.get("type")
    if kind in COIN_FEEDS:
        coin = sub.get("coin")
        return (str(kind), str(coin)) if coin in BY_COIN else None
    if kind in USER_FEEDS:
        user = sub.get("user")
        return (str(kind), user.lower()) if isinstance(user, str) and user.startswith("0x") else None
    if kind == "allMids":
        return ("allMids", "")
    return None


@dataclass(eq=False)
class Conn:
    """One client connection."""

    ws: web.WebSocketResponse
    queue: asyncio.Queue[bytes | str | None] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUE))
    subs: set[Key] = field(default_factory=set)

    def send(self, msg: object) -> bool:
        """Queue a message; False when the queue is full (the connection is then closed)."""
        try:
            self.queue.put_nowait(msg if isinstance(msg, str) else orjson.dumps(msg).decode())
        except asyncio.QueueFull:
            return False
        return True


class HlWsHub:
    """Every connection and what it subscribed to."""

    def __init__(self, venue: HlVenue, latency_ms: Callable[[], int]) -> None:
        self.venue = venue
        self.conns: set[Conn] = set()
        self._latency_ms = latency_ms
        venue.add_listener(self._on_user)

    def subscribers(self, key: Key) -> list[Conn]:
        """Connections subscribed to ``key``."""
        return [c for c in self.conns if key in c.subs]

    def interest(self, kind: str) -> set[str]:
        """Coins (or users) with at least one ``kind`` subscriber."""
        return {k[1] for c in self.conns for k in c.subs if k[0] == kind}

    def publish(self, key: Key, channel: str, data: object) -> None:
        """Send ``{"channel", "data"}`` to every subscriber of ``key``."""
        for c in self.subscribers(key):
            if not c.send({"channel": channel, "data": data}):
                self._overflow(c)

    def _overflow(self, c: Conn) -> None:
        log.warning("hyperliquid sim: a WS client's send queue is full; closing it")
        self.conns.discard(c)
        with contextlib.suppress(asyncio.QueueFull):
            c.queue.put_nowait(None)

    def _on_user(self, user: str, channel: str, data: object) -> None:
        kind = "userEvents" if channel == "user" else channel
        self.publish((kind, user), channel, data)

    async def disconnect_all(self) -> int:
        """Drop every connection (a fault, or shutdown). Returns how many were dropped."""
        conns = list(self.conns)
        self.conns.clear()
        for c in conns:
            await c.ws.close()
        return len(conns)

    # --- a connection -----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one WebSocket until it closes."""
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        conn = Conn(ws)
        self.conns.add(conn)
        writer = asyncio.create_task(self._writer(conn))
        conn.send(GREETING)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                self._on_message(conn, msg.data)
        finally:
            self.conns.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _writer(self, conn: Conn) -> None:
        while True:
            item = await conn.queue.get()
            if item is None:
                await conn.ws.close()
                return
            delay = self._latency_ms()
            if delay:
                await asyncio.sleep(delay / 1000)
            try:
                await conn.ws.send_str(item if isinstance(item, str) else item.decode())
            except (ConnectionError, RuntimeError):
                return

    def _on_message(self, conn: Conn, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            conn.send(
                {"channel": "error", "data": f"Error parsing JSON into valid websocket request: {text}"}
            )
            return
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            conn.send({"channel": "pong"})
        elif method in ("subscribe", "unsubscribe"):
            self._subscription(conn, str(method), msg.get("subscription"))
        elif method == "post":
            conn.send({"channel": "post", "data": self._post(msg)})
        else:
            conn.send(
                {"channel": "error", "data": f"Error parsing JSON into valid websocket request: {text}"}
            )

    def _subscription(self, conn: Conn, method: str, sub: object) -> None:
        key = sub_key(sub) if isinstance(sub, Mapping) else None
        if key is None:
            conn.send({"channel": "error", "data": f"Invalid subscription {orjson.dumps(sub).decode()}"})
            return
        if method == "unsubscribe":
            conn.subs.discard(key)
            conn.send({"channel": "subscriptionResponse", "data": {"method": method, "subscription": sub}})
            return
        conn.subs.add(key)
        conn.send({"channel": "subscriptionResponse", "data": {"method": method, "subscription": sub}})
        first = self.first_message(key)
        if first is not None:
            conn.send(first)

    def first_message(self, key: Key) -> dict[str, object] | None:
        """What a new subscriber gets at once (None for feeds that start with the next event)."""
        kind, who = key
        v = self.venue
        if kind == "l2Book":
            return {"channel": "l2Book", "data": info.l2_book(v, BY_COIN[who])}
        if kind == "activeAssetCtx":
            return {
                "channel": "activeAssetCtx",
                "data": {"coin": who, "ctx": info.asset_ctx(v, BY_COIN[who])},
            }
        if kind == "allMids":
            return {"channel": "allMids", "data": {"mids": info.all_mids(v, {})}}
        if kind == "userFills":
            u = v.users.get(who)
            fills = list(u.fills) if u else []
            return {"channel": "userFills", "data": {"isSnapshot": True, "user": who, "fills": fills}}
        return None

    def _post(self, msg: Mapping[str, Any]) -> dict[str, object]:
        rid = msg.get("id")
        req = msg.get("request")
        kind = req.get("type") if isinstance(req, Mapping) else None
        payload = req.get("payload") if isinstance(req, Mapping) else None
        try:
            if kind == "info":
                return {"id": rid, "response": {"type": "info", "payload": info.handle(self.venue, payload)}}
            if kind == "action":
                out = actions.handle(self.venue, payload)
                position_tpsl.follow(self.venue)
                return {"id": rid, "response": {"type": "action", "payload": out}}
        except (info.BadRequest, actions.Malformed) as exc:
            return {"id": rid, "response": {"type": "error", "payload": str(exc)}}
        return {"id": rid, "response": {"type": "error", "payload": "unknown post type"}}
