"""The loopback HTTP server for ``/metrics``, ``/healthz`` and ``/readyz``, off the engine's loop.

A scrape must never stall trading, so the server runs in a thread of its own with its own event
loop (aiohttp), and it never touches live engine objects:

* health and readiness are evaluated from the last :class:`HealthSnapshot` the engine
  **published** (:meth:`ObservabilityServer.publish`, once a second from the engine's
  housekeeping), as of its publication (``published_age_s`` in the body says how old it is);
  a snapshot older than ``max_snapshot_age_s`` is itself a 503 reason (the engine's loop is
  stalled or gone);
* ``/metrics`` serves a rendering of the registry that is at most ``render_interval_s`` old, and
  each rendering gives the GIL back between metric families, so even a flood of scrapes costs
  the engine's thread at most a fraction of a millisecond at a time;
* at most ``max_requests_per_s`` requests are answered a second; the rest wait their turn on the
  server's loop (waiting costs no CPU), so a flood cannot take the process's CPU from trading.

It binds 127.0.0.1:9108 by default and refuses any non-loopback host unless the caller passes
``allow_public=True`` (the settings decide; nothing here ever picks 0.0.0.0 by itself). There is
no authentication, which is why it stays on loopback.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric

from core.config import is_loopback_host
from core.metrics import Metrics
from core.observability.health import (
    DEFAULT_MAX_FEED_AGE_S,
    DEFAULT_MAX_TIME_OFFSET_MS,
    HealthResult,
    HealthSnapshot,
    evaluate_health,
    evaluate_readiness,
)

if TYPE_CHECKING:  # imported on the server's thread when it starts: ~0.1 s off the console's launch
    from aiohttp import web

__all__ = ["HealthProvider", "ObservabilityServer"]

log = logging.getLogger(__name__)

HealthProvider = Callable[[], HealthSnapshot | Awaitable[HealthSnapshot]]

DEFAULT_MAX_SNAPSHOT_AGE_S = 3.0
"""A published health snapshot older than this (the engine publishes every second) means the
engine's loop stopped publishing: 503."""
DEFAULT_RENDER_INTERVAL_S = 0.1
"""``/metrics`` re-renders the registry at most this often: a flood shares renderings (one costs
~10 ms of CPU), a scrape never sees numbers older than this."""
DEFAULT_MAX_REQUESTS_PER_S = 50.0
"""Requests answered per second at most; more wait their turn (a flood costs the process little
CPU, Prometheus scrapes every 5 s and a load balancer's health check a few times a second)."""
GIL_BREATH_S = 0.0002
"""Pause between metric families while rendering: the engine's thread takes the GIL meanwhile."""


class _Families:
    """One metric family as a collector, so ``generate_latest`` renders just it."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render_gently(metrics: Metrics, pause_s: float = GIL_BREATH_S) -> bytes:
    """The registry in the Prometheus text format, one family at a time with a pause between."""
    parts: list[bytes] = []
    for family in metrics.registry.collect():
        parts.append(generate_latest(_Families([family])))
        time.sleep(pause_s)
    return b"".join(parts)


class _Published:
    """The last snapshot the engine published and when (``time.monotonic``); swapped atomically."""

    __slots__ = ("at", "snapshot")

    def __init__(self, snapshot: HealthSnapshot, at: float) -> None:
        self.snapshot = snapshot
        self.at = at


class ObservabilityServer:
    """Serves a :class:`Metrics` registry and the engine's published health on a loopback port."""

    def __init__(
        self,
        metrics: Metrics,
        health_provider: HealthProvider | None = None,
        host: str = "127.0.0.1",
        port: int = 9108,
        *,
        allow_public: bool = False,
        max_feed_age_s: float = DEFAULT_MAX_FEED_AGE_S,
        max_time_offset_ms: float = DEFAULT_MAX_TIME_OFFSET_MS,
        max_snapshot_age_s: float = DEFAULT_MAX_SNAPSHOT_AGE_S,
        render_interval_s: float = DEFAULT_RENDER_INTERVAL_S,
        max_requests_per_s: float = DEFAULT_MAX_REQUESTS_PER_S,
    ) -> None:
        """``port=0`` picks a free port (read :attr:`port` after :meth:`start`).

        ``health_provider`` is what :meth:`refresh` publishes (on the caller's loop, never on the
        server's thread). Raises ``ValueError`` for a non-loopback ``host`` unless ``allow_public``.
        """
        if not is_loopback_host(host) and not allow_public:
            raise ValueError(
                f"metrics host {host!r} is not loopback; /metrics and /healthz have no authentication. "
                "Set it explicitly in settings (allow_public) if you really mean it."
            )
        self.metrics = metrics
        self.health_provider = health_provider
        self.host = host
        self._port = port
        self.max_feed_age_s = max_feed_age_s
        self.max_time_offset_ms = max_time_offset_ms
        self.max_snapshot_age_s = max_snapshot_age_s
        self.render_interval_s = render_interval_s
        self._spacing_s = 1.0 / max_requests_per_s
        self._next_slot = 0.0
        self._published: _Published | None = None
        self._body = b""
        self._rendered_at = -float("inf")
        self._render_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start` when constructed with 0)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:9108``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    # --- publishing (engine side) -------------------------------------------------------------
    def publish(self, snapshot: HealthSnapshot) -> None:
        """Make ``snapshot`` what /healthz and /readyz answer from (any thread; a plain swap)."""
        self._published = _Published(snapshot, time.monotonic())

    async def refresh(self) -> None:
        """Take a snapshot from ``health_provider`` on the calling loop and publish it.

        A provider that fails publishes nothing: the last snapshot ages and turns /healthz 503.
        """
        if self.health_provider is None:
            return
        try:
            result = self.health_provider()
            snap = await result if inspect.isawaitable(result) else result
        except Exception:  # reported by the aging snapshot; logged here with its traceback
            log.exception("health provider failed")
            return
        self.publish(snap)

    # --- evaluation (server thread) -----------------------------------------------------------
    def _current(self) -> tuple[HealthSnapshot | None, float, list[str]]:
        """The published snapshot, its age, and the reason it cannot be trusted (too old)."""
        published = self._published
        if published is None:
            return None, 0.0, ["engine has not published its health yet"]
        age = max(0.0, time.monotonic() - published.at)
        snap = published.snapshot
        if age > self.max_snapshot_age_s:
            return snap, age, [f"health not published for {age:.1f} s: the engine loop is stalled or stopped"]
        return snap, age, []

    def health(self) -> HealthResult:
        """Evaluate health from the published snapshot (also updates ``trade_console_health_ok``)."""
        snap, age, stale = self._current()
        if snap is None:
            result = HealthResult(False, stale, {"status": "unhealthy", "reasons": stale})
        else:
            result = evaluate_health(
                snap, max_feed_age_s=self.max_feed_age_s, max_time_offset_ms=self.max_time_offset_ms
            )
            if stale:
                reasons = [*stale, *result.reasons]
                result = HealthResult(
                    False, reasons, {**result.body, "status": "unhealthy", "reasons": reasons}
                )
            result.body["published_age_s"] = round(age, 3)
            if snap.time_offset_ms is not None:
                self.metrics.set_time_offset(snap.time_offset_ms)
        self.metrics.set_health(result.ok)
        return result

    def readiness(self) -> HealthResult:
        """Evaluate readiness from the published snapshot (also updates ``trade_console_ready``)."""
        snap, _age, stale = self._current()
        if snap is None:
            result = HealthResult(False, stale, {"ready": False, "reasons": stale})
        else:
            result = evaluate_readiness(snap)
            if stale:
                reasons = [*stale, *result.reasons]
                result = HealthResult(False, reasons, {**result.body, "ready": False, "reasons": reasons})
        self.metrics.set_ready(result.ok)
        return result

    def metrics_body(self) -> bytes:
        """The /metrics body: re-rendered when the last one is older than ``render_interval_s``."""
        with self._render_lock:  # concurrent scrapes wait for one rendering and share it
            now = time.monotonic()
            if now - self._rendered_at >= self.render_interval_s:
                self._body = render_gently(self.metrics)
                self._rendered_at = time.monotonic()
            return self._body

    # --- serving --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind and start serving on the server's own thread. Raises ``OSError`` if the port is taken.

        Cancelled while binding (the console quit during its start-up), the thread releases the
        port and ends by itself; cancelled just after, it is told to stop.
        """
        if self._thread is not None:
            return
        bound: concurrent.futures.Future[int] = concurrent.futures.Future()
        thread = threading.Thread(target=self._serve, args=(bound,), name="metrics-http", daemon=True)
        thread.start()
        try:
            self._port = await asyncio.wrap_future(bound)
        except asyncio.CancelledError:
            self._stop_unowned(bound)
            raise
        except BaseException:
            await asyncio.to_thread(thread.join)
            raise
        self._thread = thread
        log.info("observability server on %s (/metrics /healthz /readyz), own thread", self.url)

    def _stop_unowned(self, bound: concurrent.futures.Future[int]) -> None:
        """A server that binds although its start was cancelled: its loop is stopped as soon as it
        says so (or at once if it has), and it cleans up after itself."""

        def stop(done: concurrent.futures.Future[int]) -> None:
            loop = self._loop
            if loop is not None and not done.cancelled() and done.exception() is None:
                loop.call_soon_threadsafe(loop.stop)

        bound.add_done_callback(stop)

    def _serve(self, bound: concurrent.futures.Future[int]) -> None:
        """The server thread: its own loop, alive from bind until :meth:`stop`."""
        loop = asyncio.new_event_loop()
        try:
            try:
                port = loop.run_until_complete(self._bind())
            except BaseException as exc:  # noqa: BLE001 - handed to start(), which raises it
                if bound.set_running_or_notify_cancel():
                    bound.set_exception(exc)
                return
            self._loop = loop
            if not bound.set_running_or_notify_cancel():  # start() gave up while binding
                log.info("observability server start cancelled; port released")
            else:
                bound.set_result(port)
                loop.run_forever()
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
        finally:
            self._loop = None
            loop.close()

    def _app(self) -> web.Application:
        """The routes (aiohttp is imported here, on the server's thread, not at the module's import)."""
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def _bind(self) -> int:
        from aiohttp import web

        runner = web.AppRunner(self._app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server  # aiohttp exposes no public accessor for the bound sockets
        sockets = getattr(server, "sockets", None) or ()
        return int(sockets[0].getsockname()[1]) if sockets else self._port

    async def stop(self) -> None:
        """Stop serving, release the port and end the server's thread."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join)
        self._thread = None
        self._runner = None

    async def _pace(self) -> None:
        """Wait for this request's turn: at most ``max_requests_per_s`` are answered a second."""
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._spacing_s
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _metrics(self, request: web.Request) -> web.Response:
        await self._pace()
        body = await asyncio.to_thread(self.metrics_body) if self._stale_render() else self.metrics_body()
        from aiohttp import web  # imported by _bind already: a dictionary lookup

        return web.Response(body=body, headers={"Content-Type": self.metrics.content_type})

    def _stale_render(self) -> bool:
        return time.monotonic() - self._rendered_at >= self.render_interval_s

    @staticmethod
    def _json(result: HealthResult) -> web.Response:
        from aiohttp import web  # imported by _bind already: a dictionary lookup

        body: dict[str, Any] = result.body
        return web.Response(
            body=orjson.dumps(body),
            status=result.status,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def _healthz(self, request: web.Request) -> web.Response:
        await self._pace()
        return self._json(self.health())

    async def _readyz(self, request: web.Request) -> web.Response:
        await self._pace()
        return self._json(self.readiness())
