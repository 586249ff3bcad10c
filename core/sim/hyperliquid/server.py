"""HlSimServer: the Hyperliquid sim's aiohttp application on loopback.

    server = HlSimServer(seed=42, agents={agent_address: user_address})
    await server.start()            # port 0 = a free port
    server.base_url                 # pass as base_url to the SDK's Info / Exchange
    await server.stop()

``POST /info``, ``POST /exchange`` and ``GET /ws``. A market task steps the venue at
``market_rate_hz`` (0: only when the owner calls :meth:`step`, for tests on a clock they drive).
Everything runs on one event loop, so the venue is never called concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import orjson
from aiohttp import web

from core.clock import Clock, SystemClock
from core.config import is_loopback_host
from core.sim.hyperliquid import actions, info, position_tpsl
from core.sim.hyperliquid.feeds import FeedPublisher
from core.sim.hyperliquid.venue import HlVenue
from core.sim.hyperliquid.ws import HlWsHub

log = logging.getLogger(__name__)

UNPROCESSABLE = 422
SERVER_ERROR = 500
BAD_BODY = "Failed to deserialize the JSON body into the target type"
DEFAULT_BOOK_INTERVAL_MS = 500
"""Hyperliquid pushes a book snapshot at most every 0.5 s."""


@dataclass
class HlFaults:
    """Faults on demand: REST and WS latency, failing the next requests with HTTP 500, stalled
    market feeds (no l2Book/trades/bbo/allMids/activeAssetCtx pushes; user pushes still flow)."""

    latency_ms: int = 0
    fail_next: int = 0
    stall_feeds: bool = False


class HlSimServer:
    """The Hyperliquid-compatible sim venue server."""

    def __init__(
        self,
        *,
        seed: int,
        agents: Mapping[str, str],
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        market_rate_hz: float = 20.0,
        starting_balance: Decimal = Decimal("100000"),
        book_interval_ms: int = DEFAULT_BOOK_INTERVAL_MS,
    ) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"sim host must be loopback, got {host!r}")
        self.clock: Clock = clock or SystemClock()
        self.venue = HlVenue(seed=seed, clock=self.clock, agents=agents, starting_balance=starting_balance)
        self.faults = HlFaults()
        self.hub = HlWsHub(self.venue, lambda: self.faults.latency_ms)
        self.feeds = FeedPublisher(self.venue, self.hub, book_interval_ms, lambda: self.faults.stall_feeds)
        self.market_rate_hz = market_rate_hz
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._market: asyncio.Task[None] | None = None
        self.requests: dict[str, int] = {}

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the SDK's ``base_url`` (its WS URL is this + ``/ws``)."""
        return f"http://{self._host}:{self._port}"

    def build_app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self.hub.handle)
        return app

    async def start(self) -> None:
        """Bind, serve, and start the market task."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(128)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        self._runner = web.AppRunner(
            self.build_app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        if self.market_rate_hz > 0:
            self._market = asyncio.create_task(self._market_loop(), name="hl-sim-market")
        log.info("hyperliquid sim listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop the market task, drop the WebSockets, close the listener."""
        if self._market is not None:
            self._market.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._market
            self._market = None
        if self._runner is not None:
            await self.hub.disconnect_all()
            await self._runner.cleanup()
            self._runner = None

    def step(self) -> None:
        """One market step, the scheduled cancels due, and the feeds."""
        self.venue.step()
        position_tpsl.follow(self.venue)
        self.feeds.publish()

    async def _market_loop(self) -> None:
        interval = 1.0 / self.market_rate_hz
        while True:
            try:
                self.step()
            except Exception:
                log.exception("hyperliquid sim market step failed; the market keeps running")
            await asyncio.sleep(interval)

    # --- HTTP -------------------------------------------------------------------------------------
    async def _body(self, request: web.Request) -> object:
        self.requests[request.path] = self.requests.get(request.path, 0) + 1
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        raw = await request.read()
        return orjson.loads(raw)

    def _injected(self) -> web.Response | None:
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            return web.Response(status=SERVER_ERROR, text="Internal Server Error (injected)")
        return None

    async def _info(self, request: web.Request) -> web.Response:
        fail = self._injected()
        if fail is not None:
            return fail
        try:
            body = await self._body(request)
            out = info.handle(self.venue, body)
        except (orjson.JSONDecodeError, info.BadRequest):
            return web.Response(status=UNPROCESSABLE, text=BAD_BODY)
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    async def _exchange(self, request: web.Request) -> web.Response:
        fail = self._injected()
        if fail is not None:
            return fail
        try:
            body = await self._body(request)
            out = actions.handle(self.venue, body)
        except (orjson.JSONDecodeError, actions.Malformed):
            return web.Response(status=UNPROCESSABLE, text=BAD_BODY)
        position_tpsl.follow(self.venue)
        self.feeds.publish()
        return web.Response(body=orjson.dumps(out), content_type="application/json")
