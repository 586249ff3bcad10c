"""Run the Hyperliquid sim in a background daemon thread with its own event loop.

    with HlSimThread(seed=42, agents={agent: user}) as sim:
        Info(sim.base_url, skip_ws=True)
        sim.call(lambda: sim.server.venue.core.accounts[user].wallet)

The venue lives on the thread's loop: read or poke it only through :meth:`call`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from core.sim.hyperliquid.server import HlSimServer

T = TypeVar("T")


class HlSimThread:
    """An :class:`HlSimServer` in a daemon thread."""

    def __init__(self, **server_kwargs: Any) -> None:
        self._kwargs = server_kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: HlSimServer | None = None

    def start(self, timeout: float = 10.0) -> HlSimThread:
        """Start and block until the server listens."""
        self._thread = threading.Thread(target=self._run, name="hl-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("hyperliquid sim did not start in time")
        if self._error is not None:
            raise RuntimeError(f"hyperliquid sim failed to start: {self._error!r}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server = HlSimServer(**self._kwargs)
            loop.run_until_complete(self._server.start())
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller's thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and the thread."""
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None or not loop.is_running():
            return
        try:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._thread = None

    def __enter__(self) -> HlSimThread:
        return self.start() if self._thread is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def server(self) -> HlSimServer:
        """The running server (its venue lives on the sim loop: see :meth:`call`)."""
        if self._server is None:
            raise RuntimeError("hyperliquid sim not started")
        return self._server

    @property
    def base_url(self) -> str:
        """The SDK's ``base_url``."""
        return self.server.base_url

    def call(self, fn: Callable[[], T], timeout: float = 5.0) -> T:
        """Run ``fn()`` on the sim loop and return its result."""
        if self._loop is None:
            raise RuntimeError("hyperliquid sim not started")

        async def _call() -> T:
            return fn()

        result: T = asyncio.run_coroutine_threadsafe(_call(), self._loop).result(timeout)
        return result

    async def _drop(self) -> int:
        return await self.server.hub.disconnect_all()

    def drop_connections(self, timeout: float = 5.0) -> int:
        """Drop every WebSocket (a fault); returns how many."""
        if self._loop is None:
            raise RuntimeError("hyperliquid sim not started")
        n: int = asyncio.run_coroutine_threadsafe(self._drop(), self._loop).result(timeout)
        return n
