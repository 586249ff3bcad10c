"""SimServer: the sim venue's aiohttp application on loopback (REST, public/private WS, admin).

    server = SimServer(settings.sim)
    await server.start()          # binds settings.host:settings.port (0 = a free port)
    server.rest_url, server.ws_public_url, server.ws_private_url
    await server.stop()

A market task calls ``exchange.step()`` at ``settings.market_rate_hz``. Everything (REST handlers,
WS fan-out, market steps) runs on one event loop, so the exchange is never called concurrently.

Admin (loopback only, header ``X-SIM-ADMIN: <sim api key>``): ``GET/POST /sim/admin/faults`` shows
or replaces the fault spec (JSON object of fault fields, or ``{"spec": "k=v,..."}``);
``GET /sim/admin/stats`` returns counters.

As a server it defends itself the way a public endpoint must: a connection that has not sent a
whole request head within ``header_timeout_s`` (and an idle keep-alive connection after as long)
is closed, a request body must arrive within as long too (see :class:`core.sim.rest.RestHandler`),
and WebSocket send queues are bounded in bytes (:mod:`core.sim.ws`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from typing import Any

import orjson
from aiohttp import web

from core.clock import Clock, SystemClock
from core.config import SimSettings, is_loopback_host
from core.sim.auth import Authenticator, same_token
from core.sim.faults import FaultInjector, FaultSpec
from core.sim.ratelimit import RateLimiter
from core.sim.rest import ExchangeFacade, RestHandler
from core.sim.ws import WsHub

log = logging.getLogger(__name__)

#: Steps run back-to-back at most this many times before the market task yields to I/O.
MAX_CATCH_UP_STEPS = 50
#: Seconds a connection may take to send a whole request head (or sit idle between requests).
HEADER_TIMEOUT_S = 15.0


def _build_exchange(settings: SimSettings, clock: Clock) -> ExchangeFacade:
    from core.sim.exchange import SimExchange

    ex: ExchangeFacade = SimExchange(
        seed=settings.seed, clock=clock, starting_balance=settings.starting_balance
    )
    return ex


class SimServer:
    """The Bybit-V5-compatible sim venue server."""

    def __init__(
        self,
        settings: SimSettings,
        *,
        clock: Clock | None = None,
        exchange: ExchangeFacade | None = None,
        limits_scale: float = 1.0,
        max_queue: int | None = None,
        max_queue_bytes: int | None = None,
        header_timeout_s: float = HEADER_TIMEOUT_S,
    ) -> None:
        if not is_loopback_host(settings.host):
            raise ValueError(f"sim host must be loopback, got {settings.host!r}")
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.exchange: ExchangeFacade = exchange or _build_exchange(settings, self.clock)
        self.auth = Authenticator({settings.api_key: settings.api_secret.get_secret_value()})
        self.limiter = RateLimiter(enabled=settings.rate_limits, scale=limits_scale)
        self.faults = FaultInjector(settings.faults, seed=settings.seed)
        self.header_timeout_s = header_timeout_s
        self.rest = RestHandler(
            self.exchange,
            self.auth,
            self.limiter,
            self.faults,
            self.clock.now_ms,
            body_timeout_s=header_timeout_s,
        )
        lo, hi = settings.ack_delay_ms
        self.ws = WsHub(
            self.exchange,
            self.auth,
            self.faults,
            self.clock.now_ms,
            seed=settings.seed,
            ack_delay_ms=(min(lo, hi), max(lo, hi)),
            **({"max_queue": max_queue} if max_queue else {}),
            **({"max_queue_bytes": max_queue_bytes} if max_queue_bytes else {}),
        )
        self._runner: web.AppRunner | None = None
        self._market: asyncio.Task[None] | None = None
        self._port = settings.port
        self._host = settings.host
        self.steps = 0
        self.step_errors = 0
        self.started_at = 0.0

    # --- URLs -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start` when configured as 0)."""
        return self._port

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:PORT``; point pybit's ``session.endpoint`` here."""
        return f"http://{self._host}:{self._port}"

    @property
    def ws_public_url(self) -> str:
        """The public linear stream URL."""
        return f"ws://{self._host}:{self._port}/v5/public/linear"

    @property
    def ws_private_url(self) -> str:
        """The private stream URL."""
        return f"ws://{self._host}:{self._port}/v5/private"

    # --- lifecycle --------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        """The aiohttp application with every route."""
        app = web.Application(client_max_size=1 << 20)
        app.router.add_get("/v5/public/linear", self.ws.handle_public)
        app.router.add_get("/v5/private", self.ws.handle_private)
        app.router.add_route("*", "/sim/admin/faults", self._admin_faults)
        app.router.add_get("/sim/admin/stats", self._admin_stats)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        return app

    async def start(self) -> None:
        """Bind and start serving, then start the market task."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host.strip("[]"), self.settings.port))
        except OSError:
            sock.close()
            raise
        sock.listen(256)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        # aiohttp arms keepalive_timeout when a connection is made and re-arms it after each
        # response, and closes the connection if no whole request head has arrived by then: the
        # header timeout (slow-header clients) and the idle keep-alive limit in one.
        self._runner = web.AppRunner(
            self.build_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            keepalive_timeout=self.header_timeout_s,
            lingering_time=self.header_timeout_s,  # unread body after a reply: drained this long at most
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.started_at = time.monotonic()
        spec = self.faults.spec
        if spec.ws_disconnect:
            self.faults.set(self.faults.without_action())
        self._market = asyncio.create_task(self._market_loop(), name="sim-market")
        log.info("sim venue listening on %s", self.rest_url)

    async def stop(self) -> None:
        """Stop the market task, close every WebSocket and the listener."""
        if self._market is not None:
            self._market.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._market
            self._market = None
        if self._runner is not None:
            await self.ws.disconnect("all", fault=False)
            await self._runner.cleanup()
            self._runner = None

    async def _market_loop(self) -> None:
        interval = 1.0 / self.settings.market_rate_hz
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        step = self.exchange.step
        while True:
            now = loop.time()
            n = 0
            while next_at <= now and n < MAX_CATCH_UP_STEPS:
                try:
                    step()
                except Exception:
                    self.step_errors += 1
                    if self.step_errors == 1 or self.step_errors % 1000 == 0:  # don't flood the log
                        log.exception(
                            "sim market step failed (%d so far); the market keeps running", self.step_errors
                        )
                self.steps += 1
                next_at += interval
                n += 1
            if next_at <= now:  # too far behind: drop the backlog rather than spiral
                next_at = now + interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    # --- faults -------------------------------------------------------------------------------
    async def set_faults(self, spec: FaultSpec | str | dict[str, Any]) -> FaultSpec:
        """Replace the fault spec; run a ``ws_disconnect`` action now; re-snapshot un-stalled feeds."""
        if isinstance(spec, dict):
            parsed = FaultSpec.parse(spec["spec"]) if "spec" in spec else FaultSpec.from_mapping(spec)
        elif isinstance(spec, str):
            parsed = FaultSpec.parse(spec)
        else:
            parsed = spec
        before = self.faults.spec.stall_feed
        self.faults.set(parsed)
        if parsed.ws_disconnect:
            await self.ws.disconnect(parsed.ws_disconnect)
            self.faults.set(self.faults.without_action())
        lifted = before - parsed.stall_feed
        if lifted:
            self.ws.resnapshot(lifted)
        return parsed

    # --- admin ----------------------------------------------------------------------------------
    def _admin_ok(self, request: web.Request) -> bool:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        host = peer[0] if isinstance(peer, tuple) and peer else ""
        token = request.headers.get("X-SIM-ADMIN", "")
        return is_loopback_host(host) and same_token(token, self.settings.api_key)

    async def _admin_faults(self, request: web.Request) -> web.Response:
        if not self._admin_ok(request):
            return web.json_response({"error": "forbidden"}, status=403)
        if request.method == "POST":
            try:
                body = orjson.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                await self.set_faults(body)
            except (ValueError, KeyError, orjson.JSONDecodeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
        elif request.method != "GET":
            return web.json_response({"error": "method not allowed"}, status=405)
        return web.json_response(self.faults.describe())

    async def _admin_stats(self, request: web.Request) -> web.Response:
        if not self._admin_ok(request):
            return web.json_response({"error": "forbidden"}, status=403)
        return web.json_response(self.stats())

    def stats(self) -> dict[str, Any]:
        """Counters: requests, retCodes, WS traffic, market steps, faults."""
        return {
            "uptime_s": round(time.monotonic() - self.started_at, 3) if self.started_at else 0.0,
            "market_steps": self.steps,
            "market_step_errors": self.step_errors,
            "rest_requests": dict(self.rest.requests),
            "ret_codes": {str(k): v for k, v in self.rest.ret_codes.items()},
            "rate_limited": self.limiter.refused,
            "ws": self.ws.describe(),
            "faults": self.faults.describe(),
        }
