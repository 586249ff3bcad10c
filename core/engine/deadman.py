"""The dead-man's switch: the venue cancels every order when this engine goes away.

When ``venue.dead_mans_switch_s`` is set, the engine arms the venue's switch at start (Bybit's
disconnect-cancel-all: the venue cancels every working order once the private stream, subscribed
to ``dcp``, has been gone that many seconds) and sets it again every ``rearm_s`` on the engine's
clock (its heartbeat: a window changed or lost on the venue's side is put back). A deadline switch
(Hyperliquid's ``scheduleCancel``: the venue cancels at the time last set, whether or not the
engine is alive) is set again every half window instead, so it never fires while the engine runs.
Its state is
published as :class:`~core.events.DeadMansSwitchChanged` for the header: ``armed`` (with the
window), ``off`` (not configured) or ``failed`` (with the reason: the venue has no switch, or
the last attempt was refused or could not reach it); a failed arm is tried again after
``retry_s``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial

from core.clock import Clock
from core.engine.publisher import Publisher
from core.events import DeadMansSwitchChanged, Severity
from core.orders.executor import OrderExecutor
from core.resilience.errors import VenueError
from core.venues.base import Venue, dead_mans_switch_of

OFF = "off"
ARMED = "armed"
FAILED = "failed"
DEFAULT_REARM_S = 30.0
"""How often an armed switch is set again (Bybit asks to wait ~10 s before re-setting)."""
DEFAULT_RETRY_S = 5.0
"""How soon a failed arm is tried again."""
DEADLINE_SHARE = 2
"""A deadline switch is set again after this fraction (1/n) of its window."""
TICK_S = 1.0
"""How often the keeper's task looks at the engine clock."""
ATTEMPTS = 2
"""Attempts per arm (the next tick tries again anyway)."""
METHOD = "dead_mans_switch"
"""The venue method (its endpoint keys limits, breakers and metrics)."""
_MS = 1000


@dataclass(frozen=True, slots=True)
class SwitchStatus:
    """The switch as the header shows it."""

    state: str = OFF
    window_s: int | None = None
    reason: str = ""
    armed_ms: int | None = None
    """When it was last set successfully (engine clock)."""


class DeadMansSwitchKeeper:
    """Arms the venue's dead-man's switch and keeps it armed."""

    def __init__(
        self,
        *,
        window_s: int | None,
        venue: Venue,
        executor: OrderExecutor,
        publisher: Publisher,
        clock: Clock,
        rearm_s: float = DEFAULT_REARM_S,
        retry_s: float = DEFAULT_RETRY_S,
    ) -> None:
        self.window_s = window_s
        self.venue = venue
        self.executor = executor
        self.out = publisher
        self.clock = clock
        self.rearm_ms = int(rearm_s * _MS)
        if window_s is not None and venue.capabilities.dead_mans_switch_deadline:
            self.rearm_ms = min(self.rearm_ms, window_s * _MS // DEADLINE_SHARE)
        self.retry_ms = int(retry_s * _MS)
        self.status = SwitchStatus()
        self.arms = 0
        """Successful arms so far (the first one and every re-arm)."""
        self._next_ms: int | None = None

    @property
    def enabled(self) -> bool:
        """True when the settings ask for a switch."""
        return self.window_s is not None

    async def start(self) -> SwitchStatus:
        """Arm once (or publish ``off``); never raises: a failure is the published state."""
        if not self.enabled:
            self._set(SwitchStatus(), announce=True)
            return self.status
        return await self.arm()

    async def arm(self) -> SwitchStatus:
        """Set the venue's switch now; the outcome is published when it changes."""
        window = self.window_s
        if window is None:
            return self.status
        now = self.clock.now_ms()
        switch = dead_mans_switch_of(self.venue)
        if switch is None:
            self._next_ms = None  # nothing to try again: the venue has none
            self._set(
                SwitchStatus(FAILED, window, f"venue {self.venue.capabilities.name} has no dead-man's switch")
            )
            return self.status
        try:
            await self.executor.call(METHOD, partial(switch.set_dead_mans_switch, window), attempts=ATTEMPTS)
        except VenueError as err:
            self._next_ms = now + self.retry_ms
            self._set(SwitchStatus(FAILED, window, str(err), self.status.armed_ms))
            return self.status
        self.arms += 1
        self._next_ms = now + self.rearm_ms
        self._set(SwitchStatus(ARMED, window, "", now))
        return self.status

    async def tick(self) -> bool:
        """Re-arm when due on the engine clock; True when it tried."""
        due = self._next_ms
        if due is None or self.clock.now_ms() < due:
            return False
        await self.arm()
        return True

    async def run(self) -> None:
        """The heartbeat task: look at the clock every second, re-arm when due."""
        while True:
            await asyncio.sleep(TICK_S)
            await self.tick()

    def _set(self, status: SwitchStatus, *, announce: bool = False) -> None:
        """Keep ``status``; publish it when it differs from the last one (or ``announce``)."""
        before = self.status
        self.status = status
        same = (before.state, before.window_s, before.reason) == (
            status.state,
            status.window_s,
            status.reason,
        )
        if same and not announce:
            return
        self.out.publish(
            DeadMansSwitchChanged(self.clock.now_ms(), status.state, status.window_s, status.reason)
        )
        if status.state == ARMED:
            self.out.log_line(
                f"dead-man's switch armed: the venue cancels every order {status.window_s}s after "
                "this engine's private stream goes away"
            )
        elif status.state == FAILED:
            self.out.log_line(f"dead-man's switch failed: {status.reason}", Severity.ERROR)
