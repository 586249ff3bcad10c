"""Public (``/v5/public/linear``) and private (``/v5/private``) Bybit V5 WebSockets for the sim venue.

Behaviour that Bybit clients rely on (pybit in particular):

- subscribe/unsubscribe acks echo ``req_id`` and come ``ack_delay_ms`` (seeded, 20–50 ms) after the
  request; the first snapshot follows the ack. The snapshot is taken and the connection registered
  for deltas in one synchronous step on the loop, so no delta is lost or duplicated;
- an invalid topic gets ``success:false`` with ``ret_msg "error:handler not found,topic:<t>"``, as
  real Bybit answers (note: pybit 5.17 crashes its socket on any ``success:false`` subscribe ack,
  so clients must validate symbols before subscribing);
- no frame without ``topic`` is ever sent except acks and pongs;
- each connection has a send queue bounded in messages (``max_queue``) and in bytes
  (``max_queue_bytes``); a consumer that falls behind either bound is disconnected (as Bybit drops
  slow consumers) instead of growing memory. Incoming frames are capped at ``MAX_FRAME_BYTES``
  (Bybit caps a connection's subscribe ``args`` at 21,000 characters);
- frames a client sent before it vanished are dropped, not processed: once the transport is gone
  the read loop stops at the next frame (and after an ack delay).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from core.sim.auth import Authenticator, AuthError
from core.sim.dcp import DCP_TOPICS, LINEAR_DCP_TOPICS
from core.sim.faults import FaultInjector
from core.sim.rest import ExchangeFacade

log = logging.getLogger(__name__)

PRIVATE_TOPICS = (
    frozenset(
        {"order", "execution", "position", "wallet", "order.linear", "execution.linear", "position.linear"}
    )
    | DCP_TOPICS
)
DEFAULT_MAX_QUEUE = 50_000
DEFAULT_MAX_QUEUE_BYTES = 8 << 20
MAX_FRAME_BYTES = 64 << 10
_TEXT = WSMsgType.TEXT


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=str)


MAX_ANSWERS_DUE = 16
"""(Un)subscribe frames of one connection answered concurrently; beyond it the connection's
frames wait (a client flooding subscribes is read no faster than it is answered)."""


class WsConn:
    """One WebSocket connection: its subscriptions and a bounded outgoing queue."""

    __slots__ = (
        "ack_due",
        "answers_due",
        "api_key",
        "conn_id",
        "dead",
        "private",
        "queue",
        "queued_bytes",
        "topics",
        "transport",
        "waiter",
        "writer",
        "ws",
    )

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, private: bool) -> None:
        self.ws = ws
        self.transport = transport
        self.private = private
        self.conn_id = uuid.uuid4().hex[:20]
        self.queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self.waiter: asyncio.Future[None] | None = None
        self.topics: set[str] = set()
        self.api_key: str | None = None
        self.dead = False
        self.writer: asyncio.Task[None] | None = None
        self.ack_due = 0.0
        """Loop time of the last (un)subscribe answer scheduled: answers keep the frames' order."""
        self.answers_due = 0
        """(Un)subscribe answers scheduled and not yet given."""

    def gone(self) -> bool:
        """True once the connection is dropped or its transport has closed (the client vanished)."""
        t = self.transport
        return self.dead or t is None or t.is_closing()


class WsHub:
    """Fan-out from the exchange's listeners to WebSocket connections, and the two WS handlers."""

    def __init__(
        self,
        exchange: ExchangeFacade,
        auth: Authenticator,
        faults: FaultInjector,
        now_ms: Callable[[], int],
        *,
        seed: int,
        ack_delay_ms: tuple[int, int] = (20, 50),
        max_queue: int = DEFAULT_MAX_QUEUE,
        max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES,
    ) -> None:
        self._ex = exchange
        self._auth = auth
        self._faults = faults
        self._now_ms = now_ms
        self._rng = random.Random(seed ^ 0x5EED)
        self._ack_lo, self._ack_hi = ack_delay_ms
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self._public: dict[str, set[WsConn]] = {}
        self._private: dict[str, set[WsConn]] = {}
        self.conns: dict[str, WsConn] = {}
        self._ids = itertools.count(1)
        self._delayed: deque[tuple[WsConn, bytes]] = deque()
        self.stats: dict[str, int] = {
            "msgs_sent": 0,
            "public_msgs": 0,
            "private_msgs": 0,
            "slow_dropped": 0,
            "frames_in": 0,
            "frames_dropped": 0,
        }
        exchange.add_public_listener(self.on_public)
        exchange.add_private_listener(self.on_private)

    # --- fan-out (called synchronously from exchange.step / REST calls on the loop) ----------
    def on_public(self, topic: str, msg: dict[str, Any]) -> None:
        """Public listener: serialise once, queue to every subscriber of ``topic``."""
        subs = self._public.get(topic)
        if not subs:
            return
        if self._faults.spec.stall_feed and self._faults.stalled(topic.rpartition(".")[2]):
            self._faults.counts["stalled_msgs"] += 1
            return
        if self._faults.spec.bad_values:
            msg = self._faults.corrupt(topic, msg) or msg
        data = _dumps(msg)
        self.stats["public_msgs"] += 1
        for conn in tuple(subs):
            self._push(conn, data)

    def on_private(self, api_key: str, topic: str, items: list[dict[str, Any]]) -> None:
        """Private listener: push ``{"id","topic","creationTime","data"}`` to that key's connections."""
        conns = self._private.get(api_key)
        if not conns:
            return
        base = topic.partition(".")[0]
        if self._faults.spec.bad_values:
            items = self._faults.corrupt(base, items) or items
        cache: dict[str, bytes] = {}
        for conn in tuple(conns):
            name = base if base in conn.topics else f"{base}.linear"
            if name not in conn.topics:
                continue
            data = cache.get(name)
            if data is None:
                msg_id = f"sim-{next(self._ids)}"
                msg = {"id": msg_id, "topic": name, "creationTime": self._now_ms(), "data": items}
                data = cache[name] = _dumps(msg)
            self._push_private(conn, data)
            self.stats["private_msgs"] += 1

    def _push_private(self, conn: WsConn, data: bytes) -> None:
        """Push now, or after ``private_delay_ms`` (the ``slow private feed`` fault), in order."""
        delay_ms = self._faults.spec.private_delay_ms
        if not delay_ms and not self._delayed:
            self._push(conn, data)
            return
        # Each timer releases the oldest held push, so the order holds whatever the timers do.
        self._faults.counts["private_delayed"] += 1
        self._delayed.append((conn, data))
        asyncio.get_running_loop().call_later(delay_ms / 1000, self._release_delayed)

    def _release_delayed(self) -> None:
        if self._delayed:
            self._push(*self._delayed.popleft())

    def _push(self, conn: WsConn, data: bytes) -> None:
        if conn.dead:
            return
        queue = conn.queue
        queue.append(data)
        conn.queued_bytes += len(data)
        if len(queue) > self.max_queue or conn.queued_bytes > self.max_queue_bytes:
            self.stats["slow_dropped"] += 1
            log.warning(
                "sim ws %s: slow consumer (%d messages, %d bytes queued), disconnecting",
                conn.conn_id,
                len(queue),
                conn.queued_bytes,
            )
            self._kill(conn)
            return
        waiter = conn.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _kill(self, conn: WsConn) -> None:
        """Drop a connection at once (no close handshake)."""
        conn.dead = True
        conn.queue.clear()
        conn.queued_bytes = 0
        if conn.transport is not None:
            conn.transport.abort()
        self._forget(conn)

    async def _writer(self, conn: WsConn) -> None:
        ws = conn.ws
        queue = conn.queue
        loop = asyncio.get_running_loop()
        stats = self.stats
        while not conn.dead:
            if not queue:
                conn.waiter = loop.create_future()
                await conn.waiter
                conn.waiter = None
                continue
            n = 0
            try:
                while queue:
                    data = queue.popleft()
                    conn.queued_bytes -= len(data)
                    await ws.send_frame(data, _TEXT)
                    n += 1
            except ConnectionError as exc:  # the client went away mid-send: stop writing
                log.debug("sim ws %s: send failed (%r)", conn.conn_id, exc)
                conn.dead = True
            stats["msgs_sent"] += n

    # --- handlers ------------------------------------------------------------------------------
    async def handle_public(self, request: web.Request) -> web.WebSocketResponse:
        """``/v5/public/linear``."""
        return await self._serve(request, private=False)

    async def handle_private(self, request: web.Request) -> web.WebSocketResponse:
        """``/v5/private``."""
        return await self._serve(request, private=True)

    async def _serve(self, request: web.Request, *, private: bool) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        conn = WsConn(ws, request.transport, private)
        self.conns[conn.conn_id] = conn
        conn.writer = asyncio.create_task(self._writer(conn), name=f"sim-ws-writer-{conn.conn_id}")
        try:
            async for msg in ws:
                if conn.gone():
                    self.stats["frames_dropped"] += 1
                    break
                if msg.type == WSMsgType.TEXT:
                    self.stats["frames_in"] += 1
                    await self._on_frame(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    log.debug("sim ws %s error: %s", conn.conn_id, ws.exception())
                    break
        except ConnectionError as exc:
            log.debug("sim ws %s ended: %r", conn.conn_id, exc)
        finally:
            conn.dead = True
            self._forget(conn)
            if conn.writer is not None:
                conn.writer.cancel()
        return ws

    def _dcp_subscribed(self, conn: WsConn, topic: str) -> None:
        """A private topic was added: a linear dcp topic arms the account's DCP on this connection."""
        if topic in LINEAR_DCP_TOPICS and conn.api_key is not None:
            self._ex.dcp_alive(conn.api_key, conn.conn_id)

    def _dcp_ping(self, conn: WsConn) -> None:
        """A ping on a connection subscribed to dcp: its heartbeat (DCP stays armed, not fired)."""
        if conn.api_key is not None and not conn.topics.isdisjoint(LINEAR_DCP_TOPICS):
            self._ex.dcp_alive(conn.api_key, conn.conn_id)

    def _forget(self, conn: WsConn) -> None:
        self.conns.pop(conn.conn_id, None)
        if conn.api_key is not None and not conn.topics.isdisjoint(LINEAR_DCP_TOPICS):
            self._ex.dcp_lost(conn.api_key, conn.conn_id)
        for topic in list(conn.topics):
            self._unregister(conn, topic)
        conn.topics.clear()
        if conn.api_key is not None:
            keyed = self._private.get(conn.api_key)
            if keyed is not None:
                keyed.discard(conn)

    async def _on_frame(self, conn: WsConn, text: str) -> None:
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            frame = None
        if not isinstance(frame, dict):
            self._send(
                conn,
                {
                    "success": False,
                    "ret_msg": "error:invalid json",
                    "conn_id": conn.conn_id,
                    "req_id": "",
                    "op": "",
                },
            )
            return
        op = frame.get("op")
        req_id = frame.get("req_id", "")
        args = frame.get("args") or []
        if op == "ping":
            self._dcp_ping(conn)
            if conn.private:
                self._send(
                    conn,
                    {"req_id": req_id, "op": "pong", "args": [str(self._now_ms())], "conn_id": conn.conn_id},
                )
            else:
                self._send(
                    conn,
                    {
                        "success": True,
                        "ret_msg": "pong",
                        "conn_id": conn.conn_id,
                        "req_id": req_id,
                        "op": "ping",
                    },
                )
        elif op == "auth" and conn.private:
            self._auth_frame(conn, req_id, args)
        elif op in ("subscribe", "unsubscribe") and isinstance(args, list):
            await self._answer_later(conn, op, req_id, [str(a) for a in args])
        else:
            self._ack(conn, str(op or ""), req_id, False, f"error:unsupported op: {op}")

    async def _answer_later(self, conn: WsConn, op: str, req_id: Any, topics: list[str]) -> None:
        """Apply an (un)subscribe ``ack_delay_ms`` after it arrived, as Bybit answers each frame
        after its own latency while the connection reads on: frames sent together are answered
        about together (not one delay after another), in the order they came. A connection with
        :data:`MAX_ANSWERS_DUE` answers outstanding is read again only once they are given."""
        loop = asyncio.get_running_loop()
        due = max(loop.time() + self._rng.uniform(self._ack_lo, self._ack_hi) / 1000.0, conn.ack_due)
        conn.ack_due = due
        conn.answers_due += 1
        loop.call_at(due, self._answer, conn, op, req_id, topics)
        if conn.answers_due >= MAX_ANSWERS_DUE:
            await asyncio.sleep(max(0.0, conn.ack_due - loop.time()))

    def _answer(self, conn: WsConn, op: str, req_id: Any, topics: list[str]) -> None:
        conn.answers_due -= 1
        if conn.gone():
            return
        if op == "subscribe":
            self._subscribe(conn, req_id, topics)
        else:
            self._unsubscribe(conn, req_id, topics)

    def _send(self, conn: WsConn, obj: dict[str, Any]) -> None:
        self._push(conn, _dumps(obj))

    def _ack(self, conn: WsConn, op: str, req_id: Any, ok: bool, ret_msg: str = "") -> None:
        self._send(
            conn, {"success": ok, "ret_msg": ret_msg, "conn_id": conn.conn_id, "req_id": req_id, "op": op}
        )

    def _auth_frame(self, conn: WsConn, req_id: Any, args: Any) -> None:
        try:
            api_key = self._auth.verify_ws(args, self._now_ms())
        except AuthError as exc:
            self._send(
                conn,
                {
                    "success": False,
                    "ret_msg": exc.ret_msg,
                    "op": "auth",
                    "conn_id": conn.conn_id,
                    "req_id": req_id,
                },
            )
            return
        self._ex.ensure_account(api_key)
        conn.api_key = api_key
        self._private.setdefault(api_key, set()).add(conn)
        self._send(
            conn, {"success": True, "ret_msg": "", "op": "auth", "conn_id": conn.conn_id, "req_id": req_id}
        )

    def _subscribe(self, conn: WsConn, req_id: Any, topics: list[str]) -> None:
        if conn.private:
            if conn.api_key is None:
                self._ack(conn, "subscribe", req_id, False, "Request not authorized")
                return
            bad = [t for t in topics if t not in PRIVATE_TOPICS]
        else:
            bad = [t for t in topics if not self._ex.is_valid_topic(t)]
        if bad:
            self._ack(conn, "subscribe", req_id, False, f"error:handler not found,topic:{','.join(bad)}")
            return
        self._ack(conn, "subscribe", req_id, True)
        for topic in topics:
            if topic in conn.topics:
                continue
            conn.topics.add(topic)
            if conn.private:
                self._dcp_subscribed(conn, topic)
                continue
            subs = self._public.get(topic)
            if subs is None:
                subs = self._public[topic] = set()
            if not subs:
                self._ex.set_topic_interest(topic, True)
            # Snapshot and registration in one synchronous step: deltas published after this
            # point reach the connection, none before it.
            subs.add(conn)
            if not self._faults.stalled(topic.rpartition(".")[2]):
                snap = self._ex.public_snapshot(topic)
                if snap is not None and self._faults.spec.bad_values:
                    snap = self._faults.corrupt(topic, snap) or snap
                if snap is not None:
                    self._push(conn, _dumps(snap))

    def _unsubscribe(self, conn: WsConn, req_id: Any, topics: list[str]) -> None:
        had_dcp = not conn.topics.isdisjoint(LINEAR_DCP_TOPICS)
        for topic in topics:
            if topic in conn.topics:
                conn.topics.discard(topic)
                self._unregister(conn, topic)
        if had_dcp and conn.api_key is not None and conn.topics.isdisjoint(LINEAR_DCP_TOPICS):
            self._ex.dcp_unsubscribed(conn.api_key, conn.conn_id)
        self._ack(conn, "unsubscribe", req_id, True)

    def _unregister(self, conn: WsConn, topic: str) -> None:
        subs = self._public.get(topic)
        if subs is None or conn not in subs:
            return
        subs.discard(conn)
        if not subs:
            del self._public[topic]
            self._ex.set_topic_interest(topic, False)

    # --- faults and admin ------------------------------------------------------------------------
    async def disconnect(self, which: str, *, fault: bool = True) -> int:
        """Close ``all`` connections or the N oldest. Returns how many were closed.

        ``fault=False`` (server shutdown) keeps the close out of the injected-fault counters.
        """
        conns = list(self.conns.values())
        if which != "all":
            conns = conns[: int(which or 0)]
        for conn in conns:
            self._forget(conn)
            conn.dead = True
            if conn.writer is not None:
                conn.writer.cancel()
            try:
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"sim fault: disconnect"), 1.0)
            except (TimeoutError, ConnectionError) as exc:
                log.debug("sim ws %s: close failed (%r), aborting", conn.conn_id, exc)
                if conn.transport is not None:
                    conn.transport.abort()
        if fault:
            self._faults.counts["ws_disconnect"] += len(conns)
        return len(conns)

    def resnapshot(self, symbols: Iterable[str]) -> None:
        """Send a fresh snapshot of every subscribed topic of ``symbols`` (after a stall is lifted)."""
        wanted = set(symbols)
        for topic, subs in list(self._public.items()):
            sym = topic.rpartition(".")[2]
            if (sym in wanted or "*" in wanted) and subs and not self._faults.stalled(sym):
                snap = self._ex.public_snapshot(topic)
                if snap is None:
                    continue
                data = _dumps(snap)
                for conn in tuple(subs):
                    self._push(conn, data)

    def describe(self) -> dict[str, Any]:
        """Connection and message counters for ``/sim/admin/stats``."""
        return {
            "connections": len(self.conns),
            "public_topics": {t: len(s) for t, s in self._public.items()},
            "private_keys": sum(1 for s in self._private.values() if s),
            **self.stats,
        }
