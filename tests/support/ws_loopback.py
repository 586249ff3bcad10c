"""A Bybit-shaped WebSocket server on loopback for feed tests: the public and private paths,
served by an aiohttp app on its own thread and loop; what it answers is the subclass's choice."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import WSMessage, web


class LoopbackWs:
    """``/v5/public/linear`` and ``/v5/private`` on 127.0.0.1 (a free port); each received frame
    goes to :meth:`on_frame`, which answers nothing unless a subclass says otherwise."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sockets: list[web.WebSocketResponse] = []
        self.connected = threading.Semaphore(0)
        """Released once for every socket accepted."""
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/v5/public/linear", self._socket)
        app.router.add_get("/v5/private", self._socket)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self.ready.set()
        self.loop.run_forever()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        self.connected.release()
        async for msg in ws:
            await self.on_frame(ws, msg)
        return ws

    async def on_frame(self, ws: web.WebSocketResponse, msg: WSMessage) -> None:
        """Heard, never answered (override to answer)."""

    def close(self) -> None:
        """Close every socket, then the server and its loop."""
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        await self.runner.cleanup()
