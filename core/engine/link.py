"""What the engine knows about its link to the venue, and the background tasks it runs.

:class:`VenueLink` is shared by start-up (which fills it), pre-trade checks (book age on the
venue's clock, feed staleness) and health; :class:`Tasks` keeps every background task for stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.market.books import BookKeeper
from core.venues.base import Feeds


@dataclass(slots=True)
class VenueLink:
    """The engine's connection state: symbols traded, clock offset, reachability, the feeds."""

    symbols: tuple[str, ...]
    started: bool = False
    time_offset_ms: float | None = None
    venue_reachable: bool = False
    feeds: Feeds | None = None
    books: BookKeeper | None = None
    """The local order books (built with the feeds at start)."""
    in_flight: set[str] = field(default_factory=set)
    """Client order ids being sent right now (reconciliation and snapshots leave them alone)."""

    def feed_ages(self) -> dict[str, float]:
        """Seconds since the last book message per symbol."""
        return self.books.feed_ages_s() if self.books is not None else {}


class Tasks:
    """The engine's background tasks, kept so :meth:`core.engine.Engine.stop` can end them."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def __iter__(self) -> Iterator[asyncio.Task[None]]:
        return iter(list(self._tasks))

    def track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Keep ``task``; tasks that already ended cleanly are let go."""
        self._tasks[:] = [t for t in self._tasks if not t.done() or (not t.cancelled() and t.exception())]
        self._tasks.append(task)
        return task

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start ``coro`` as a tracked task named ``name``."""
        return self.track(asyncio.create_task(coro, name=name))

    def take(self) -> list[asyncio.Task[None]]:
        """Every tracked task, forgotten here (the caller ends them)."""
        tasks, self._tasks = self._tasks, []
        return tasks
