"""Optional outbound webhook: POSTs alert changes as JSON. Failures are logged, never raised.

The URL comes from ``[metrics] webhook_url``. It often carries a token (Slack, Discord …), so it
is registered as a secret with the log redactor by the caller and only ``scheme://host`` is ever
written to a log line here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from core.observability.alerts import AlertChange

if TYPE_CHECKING:  # imported by the first POST, not with the engine (~0.1 s of the console's launch)
    import aiohttp

__all__ = ["WebhookNotifier"]

log = logging.getLogger(__name__)


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


class WebhookNotifier:
    """Posts ``{"source", "mode", "venue", "alerts": [...]}`` to ``url`` on alert changes."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        mode: str = "",
        venue: str = "",
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """``timeout_s`` bounds each POST; pass ``session`` to share one, else one is made lazily."""
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"webhook URL must be http(s), got scheme {scheme!r}")
        self.url = url
        self.timeout_s = timeout_s
        self.mode = mode
        self.venue = venue
        self._session = session
        self._own_session = session is None
        self._tasks: set[asyncio.Task[bool]] = set()
        self.sent = 0
        self.failed = 0

    def payload(self, changes: Sequence[AlertChange]) -> bytes:
        """The JSON body for ``changes``."""
        doc = {
            "source": "trade-console",
            "mode": self.mode,
            "venue": self.venue,
            "alerts": [c.as_dict() for c in changes],
        }
        return orjson.dumps(doc)

    async def notify(self, changes: Sequence[AlertChange]) -> bool:
        """POST ``changes``; True on a 2xx answer. Errors and timeouts are logged, not raised."""
        if not changes:
            return True
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession()
        target = _safe_url(self.url)
        try:
            async with self._session.post(
                self.url,
                data=self.payload(changes),
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as resp:
                await resp.read()
                if HTTPStatus.OK <= resp.status < HTTPStatus.MULTIPLE_CHOICES:  # 2xx
                    self.sent += 1
                    return True
                self.failed += 1
                log.warning("alert webhook %s answered HTTP %s", target, resp.status)
                return False
        except TimeoutError:
            self.failed += 1
            log.warning("alert webhook %s timed out after %.1f s", target, self.timeout_s)
        except aiohttp.ClientError as exc:
            self.failed += 1
            log.warning("alert webhook %s failed: %s", target, type(exc).__name__)
        return False

    def submit(self, changes: Sequence[AlertChange]) -> asyncio.Task[bool] | None:
        """Fire-and-forget :meth:`notify` on the running loop (the task is kept until done)."""
        if not changes:
            return None
        task = asyncio.get_running_loop().create_task(self.notify(list(changes)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Wait for in-flight posts and close the session if this notifier made it."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None
