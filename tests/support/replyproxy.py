"""A loopback HTTP proxy in front of the sim that spoils chosen replies *after* the sim acted.

The sim's own lost-reply faults (``drop_after``, ``http5xx_after``, ``garble_after``) cover a lost
or undecodable reply; this proxy adds what a broken gateway can also send with HTTP 200: a JSON
list, a non-numeric ``retCode``, a reply without ``retMsg``, a ``result`` that is not an object.
Every request is forwarded byte for byte (signature headers, raw query, raw body), so the sim
verifies and processes it exactly as if the client had called it directly; only the reply the
client gets back is replaced, once per queued rule.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

SPOILERS = ("drop", "http502", "list", "retcode_text", "no_retmsg", "result_list")
"""What a rule can do to a processed request's reply."""


@dataclass(slots=True)
class Rule:
    """Spoil the reply of the next request to ``path`` (whose raw query holds ``query``)."""

    path: str
    spoil: str
    query: str = ""


def spoiled_body(body: bytes, spoil: str) -> bytes:
    """The sim's real reply ``body`` turned into the malformed HTTP 200 body ``spoil`` names."""
    envelope: dict[str, Any] = orjson.loads(body)
    if spoil == "list":
        return orjson.dumps([envelope])
    if spoil == "retcode_text":
        return orjson.dumps({**envelope, "retCode": "OK"})
    if spoil == "no_retmsg":
        return orjson.dumps({k: v for k, v in envelope.items() if k != "retMsg"} | {"retCode": 10016})
    if spoil == "result_list":
        return orjson.dumps({**envelope, "result": [envelope.get("result")]})
    raise ValueError(f"unknown spoiler {spoil!r}; known: {', '.join(SPOILERS)}")


class ReplyProxy:
    """The proxy in a daemon thread: ``start()`` blocks until it listens on 127.0.0.1."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = 0
        self.spoiled: list[tuple[str, str]] = []
        """(path, spoiler) of every reply replaced so far."""
        self._rules: deque[Rule] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reply-proxy", daemon=True)

    @property
    def url(self) -> str:
        """The proxy's REST base URL."""
        return f"http://127.0.0.1:{self.port}"

    def spoil_next(self, path: str, spoil: str, *, query: str = "") -> None:
        """Replace the reply of the next request to ``path`` (it is still processed by the sim);
        with ``query``, only a request whose raw query string contains it."""
        if spoil not in SPOILERS:
            raise ValueError(f"unknown spoiler {spoil!r}")
        with self._lock:
            self._rules.append(Rule(path, spoil, query))

    def pending(self) -> int:
        """Rules not yet used."""
        with self._lock:
            return len(self._rules)

    def _take(self, path: str, query: str) -> str | None:
        with self._lock:
            for rule in self._rules:
                if rule.path == path and rule.query in query:
                    self._rules.remove(rule)
                    self.spoiled.append((path, rule.spoil))
                    return rule.spoil
        return None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> ReplyProxy:
        """Start the thread; returns once the proxy listens."""
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("reply proxy did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.run_until_complete(self._open())
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _open(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- forwarding ---------------------------------------------------------------------------
    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        target = URL(self.upstream + request.raw_path, encoded=True)
        skip = {"host", "content-length", "transfer-encoding", "connection"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        async with self._session.request(request.method, target, data=body, headers=headers) as up:
            reply = await up.read()
            status = up.status
            keep = {
                k: v
                for k, v in up.headers.items()
                if k.lower().startswith("x-bapi") or k.lower() == "content-type"
            }
        spoil = self._take(request.path, request.query_string)
        if spoil == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError("reply dropped by the proxy")
        if spoil == "http502":
            return web.Response(status=502, text="Bad Gateway (after processing)")
        if spoil is not None:
            reply = spoiled_body(reply, spoil)
        return web.Response(status=status, body=reply, headers=keep)
