"""The engine's voice: typed events for the console (and strategies), log-pane lines, the structured log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.clock import Clock
from core.events import Event, LogLine, Severity
from core.store import MarketStore

log = logging.getLogger("core.engine")


class Publisher:
    """Publishes events into the store's stream and writes the log pane and the structured log."""

    def __init__(self, store: MarketStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.listeners: list[Callable[[Event], None]] = []
        """Engine parts told of every event as it is published (the algo runner: order updates
        and fills of its children), on the loop."""

    def now_ms(self) -> int:
        """The engine clock."""
        return self.clock.now_ms()

    def publish(self, event: Event, *, wake: bool = False) -> None:
        """Queue an event for the console (and strategies)."""
        self.store.put_event(event, wake=wake)
        for listener in self.listeners:
            listener(event)

    def publish_all(self, events: list[Event], *, wake: bool = False) -> None:
        """Queue several events in order."""
        for event in events:
            self.publish(event, wake=wake)

    def log_line(self, message: str, severity: Severity = Severity.INFO, **fields: str) -> None:
        """A line for the console's log pane (and the structured log)."""
        self.publish(LogLine(self.now_ms(), message, severity, dict(fields)))
        self.trace(message, severity, **fields)

    def trace(self, message: str, severity: Severity = Severity.INFO, **fields: str) -> None:
        """A structured-log line only, for an outcome the console already shows through its typed
        event (OrderUpdated, RiskRejected, VenueRejected): the log pane says each thing once."""
        level = {Severity.INFO: logging.INFO, Severity.WARN: logging.WARNING}.get(severity, logging.ERROR)
        log.log(level, message, extra={"fields": fields})
