"""The loopback HTTP server for ``/metrics``, ``/healthz`` and ``/readyz`` (aiohttp, on the engine loop).

It binds 127.0.0.1:9108 by default and refuses any non-loopback host unless the caller passes
``allow_public=True`` (the settings decide; nothing here ever picks 0.0.0.0 by itself). There is
no authentication, which is why it stays on loopback.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

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

__all__ = ["HealthProvider", "ObservabilityServer"]

log = logging.getLogger(__name__)

HealthProvider = Callable[[], HealthSnapshot | Awaitable[HealthSnapshot]]


class ObservabilityServer:
    """Serves a :class:`Metrics` registry and the engine's health on a loopback port."""

    def __init__(
        self,
        metrics: Metrics,
        health_provider: HealthProvider,
        host: str = "127.0.0.1",
        port: int = 9108,
        *,
        allow_public: bool = False,
        max_feed_age_s: float = DEFAULT_MAX_FEED_AGE_S,
        max_time_offset_ms: float = DEFAULT_MAX_TIME_OFFSET_MS,
    ) -> None:
        """``port=0`` picks a free port (read :attr:`port` after :meth:`start`).

        Raises ``ValueError`` for a non-loopback ``host`` unless ``allow_public`` is True.
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
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self.app = app

    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start` when constructed with 0)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:9108``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        """Bind and start serving. Raises ``OSError`` if the port is taken."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        server = site._server  # aiohttp exposes no public accessor for the bound sockets
        sockets = getattr(server, "sockets", None) or ()
        if sockets:
            self._port = int(sockets[0].getsockname()[1])
        self._runner = runner
        log.info("observability server on %s (/metrics /healthz /readyz)", self.url)

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _snapshot(self) -> HealthSnapshot:
        result = self.health_provider()
        if inspect.isawaitable(result):
            return await result
        return result

    async def health(self) -> HealthResult:
        """Evaluate health now (also updates ``trade_console_health_ok``)."""
        try:
            snap = await self._snapshot()
        except Exception as exc:  # a broken provider must answer 503, not 500
            log.exception("health provider failed")
            reasons = [f"health provider failed: {type(exc).__name__}"]
            result = HealthResult(False, reasons, {"status": "unhealthy", "reasons": reasons})
        else:
            result = evaluate_health(
                snap, max_feed_age_s=self.max_feed_age_s, max_time_offset_ms=self.max_time_offset_ms
            )
            if snap.time_offset_ms is not None:
                self.metrics.set_time_offset(snap.time_offset_ms)
        self.metrics.set_health(result.ok)
        return result

    async def readiness(self) -> HealthResult:
        """Evaluate readiness now (also updates ``trade_console_ready``)."""
        try:
            snap = await self._snapshot()
        except Exception as exc:  # a broken provider means not ready
            log.exception("health provider failed")
            reasons = [f"health provider failed: {type(exc).__name__}"]
            result = HealthResult(False, reasons, {"ready": False, "reasons": reasons})
        else:
            result = evaluate_readiness(snap)
        self.metrics.set_ready(result.ok)
        return result

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), headers={"Content-Type": self.metrics.content_type})

    @staticmethod
    def _json(result: HealthResult) -> web.Response:
        return web.Response(
            body=orjson.dumps(result.body),
            status=result.status,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def _healthz(self, request: web.Request) -> web.Response:
        return self._json(await self.health())

    async def _readyz(self, request: web.Request) -> web.Response:
        return self._json(await self.readiness())
