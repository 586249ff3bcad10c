"""WebhookNotifier against a loopback aiohttp receiver: payload, failures logged not raised."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from core.observability.alerts import AlertChange
from core.observability.webhook import WebhookNotifier

TOKEN = "hook-T0ken-8d7c6b5a4f3e2d1c"
CHANGE = AlertChange("feed_stale", True, "feed stale (> 5 s): public 7.0 s", 12.5)


class Receiver:
    """A loopback webhook endpoint whose behaviour each test sets."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        self.hang = asyncio.Event()
        self.hanging = False
        app = web.Application()
        app.router.add_post("/hooks/{token}", self.handle)
        self.runner = web.AppRunner(app)
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        assert request.headers["Content-Type"] == "application/json"
        self.bodies.append(orjson.loads(await request.read()))
        if self.hanging:
            await self.hang.wait()
        return web.Response(status=self.status)

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{TOKEN}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    r.hang.set()
    await r.runner.cleanup()


async def test_posts_alert_changes(receiver: Receiver) -> None:
    hook = WebhookNotifier(receiver.url, mode="sim", venue="bybit-sim")
    try:
        assert await hook.notify([CHANGE]) is True
        assert await hook.notify([]) is True  # nothing to say: no request
    finally:
        await hook.close()
    assert receiver.bodies == [
        {
            "source": "trade-console",
            "mode": "sim",
            "venue": "bybit-sim",
            "alerts": [
                {
                    "rule": "feed_stale",
                    "active": True,
                    "message": "feed stale (> 5 s): public 7.0 s",
                    "at": 12.5,
                    "severity": "warn",
                }
            ],
        }
    ]
    assert (hook.sent, hook.failed) == (1, 0)


async def test_http_error_is_logged_not_raised(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.status = 500
    hook = WebhookNotifier(receiver.url)
    with caplog.at_level(logging.WARNING, logger="core.observability.webhook"):
        assert await hook.notify([CHANGE]) is False
    await hook.close()
    assert "answered HTTP 500" in caplog.text
    assert TOKEN not in caplog.text  # only scheme://host:port is logged


async def test_timeout_is_logged_not_raised(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.hanging = True
    hook = WebhookNotifier(receiver.url, timeout_s=0.2)
    with caplog.at_level(logging.WARNING, logger="core.observability.webhook"):
        assert await hook.notify([CHANGE]) is False
    await hook.close()
    assert "timed out" in caplog.text and TOKEN not in caplog.text
    assert hook.failed == 1


async def test_connection_refused_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    r = Receiver()
    await r.start()
    url = r.url
    await r.runner.cleanup()  # nothing listens there any more
    hook = WebhookNotifier(url, timeout_s=2)
    with caplog.at_level(logging.WARNING, logger="core.observability.webhook"):
        assert await hook.notify([CHANGE]) is False
    await hook.close()
    assert "failed: ClientConnectorError" in caplog.text and TOKEN not in caplog.text


async def test_submit_is_fire_and_forget(receiver: Receiver) -> None:
    hook = WebhookNotifier(receiver.url)
    task = hook.submit([CHANGE])
    assert task is not None and hook.submit([]) is None
    await hook.close()  # waits for the in-flight post
    assert task.done() and task.result() is True and len(receiver.bodies) == 1


def test_rejects_non_http_url() -> None:
    with pytest.raises(ValueError):
        WebhookNotifier("file:///etc/passwd")
