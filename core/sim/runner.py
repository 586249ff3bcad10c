"""Run the sim venue in a background daemon thread with its own event loop.

    with SimVenueThread(settings.sim) as venue:      # start() blocks until it listens
        session.endpoint = venue.rest_url
        venue.set_faults("rate_limit_next=3")

Used by tests and by the console's embedded mode. The ``exchange`` attribute is the live
``SimExchange``; it runs on the venue thread's loop, so call into it only through
:meth:`call` (which runs a function on that loop and returns its result).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from core.clock import Clock
from core.config import SimSettings
from core.sim.faults import FaultSpec
from core.sim.rest import ExchangeFacade
from core.sim.server import SimServer

T = TypeVar("T")


class SimVenueThread:
    """A :class:`SimServer` in a daemon thread."""

    def __init__(
        self,
        settings: SimSettings,
        clock: Clock | None = None,
        *,
        exchange: ExchangeFacade | None = None,
        **server_kwargs: Any,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._exchange = exchange
        self._server_kwargs = server_kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.server: SimServer | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> SimVenueThread:
        """Start the thread and block until the server listens. Returns self."""
        if self._thread is not None:
            raise RuntimeError("SimVenueThread already started")
        self._thread = threading.Thread(target=self._run, name="sim-venue", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("sim venue did not start in time")
        if self._error is not None:
            raise RuntimeError(f"sim venue failed to start: {self._error!r}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self.server = SimServer(
                self.settings, clock=self._clock, exchange=self._exchange, **self._server_kwargs
            )
            loop.run_until_complete(self.server.start())
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller's thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and the thread."""
        loop, server = self._loop, self.server
        if loop is None or server is None or self._thread is None or not loop.is_running():
            return
        fut = asyncio.run_coroutine_threadsafe(server.stop(), loop)
        try:
            fut.result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> SimVenueThread:
        return self.start() if self._thread is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- access -------------------------------------------------------------------------------
    def _srv(self) -> SimServer:
        if self.server is None:
            raise RuntimeError("sim venue not started")
        return self.server

    @property
    def exchange(self) -> ExchangeFacade:
        """The running exchange (lives on the venue loop; see :meth:`call`)."""
        return self._srv().exchange

    @property
    def port(self) -> int:
        """Bound port."""
        return self._srv().port

    @property
    def rest_url(self) -> str:
        """REST base URL."""
        return self._srv().rest_url

    @property
    def ws_public_url(self) -> str:
        """Public linear WebSocket URL."""
        return self._srv().ws_public_url

    @property
    def ws_private_url(self) -> str:
        """Private WebSocket URL."""
        return self._srv().ws_private_url

    def _submit(self, coro: Any) -> Future[Any]:
        if self._loop is None:
            raise RuntimeError("sim venue not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def set_faults(self, spec: FaultSpec | str | dict[str, Any], timeout: float = 5.0) -> FaultSpec:
        """Thread-safe: replace the fault spec (runs ``ws_disconnect`` at once). Returns it parsed."""
        result: FaultSpec = self._submit(self._srv().set_faults(spec)).result(timeout)
        return result

    def call(self, fn: Callable[[], T], timeout: float = 5.0) -> T:
        """Run ``fn()`` on the venue loop (e.g. to read or poke the exchange) and return its result."""

        async def _call() -> T:
            return fn()

        result: T = self._submit(_call()).result(timeout)
        return result

    def stats(self, timeout: float = 5.0) -> dict[str, Any]:
        """The server's counters (same as ``/sim/admin/stats``)."""
        return self.call(self._srv().stats, timeout)
