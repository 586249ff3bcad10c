"""A loopback TCP relay that can be switched off and on: a venue that goes down and comes back
with its state intact (HTTP and WebSocket alike, byte for byte).

    relay = Relay(port, upstream_port)   # off: connecting to ``port`` is refused
    relay.on()                           # listening: every connection is relayed to the upstream
    relay.off()                          # the listener closed and every relayed connection cut
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

HOST = "127.0.0.1"
CHUNK = 65536
TIMEOUT_S = 10.0


class Relay:
    """``HOST:port`` relayed to ``HOST:upstream`` while on; refused while off."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port = port
        self.upstream = upstream
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay", daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(TIMEOUT_S)  # type: ignore[arg-type]

    def on(self) -> None:
        """Listen on ``port`` (raises OSError when the port is taken)."""
        self._run(self._on())

    def off(self) -> None:
        """Refuse new connections and cut every relayed one."""
        self._run(self._off())

    def close(self) -> None:
        """Off, every relaying task ended, and the relay's thread ended (a task left pending when
        the loop stops is reported as destroyed at exit)."""
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT_S)

    async def _shutdown(self) -> None:
        await self._off()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _on(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._relay, HOST, self.port, reuse_address=True)

    async def _off(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the other side went away (or the relay was switched off): the copy ends
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(RuntimeError):
                writer.close()
