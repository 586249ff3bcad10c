"""In-order key delivery: every keystroke reaches the widget it was typed for, however fast.

Textual hands a key to the focused widget's message queue and returns at once. A key the widget
does not consume (Tab, Ctrl-U, Enter: anything not printable) bubbles back up to the app, which
runs the matching binding only then; a key that opens a screen takes effect only when that
screen has been mounted and focused. Keys typed in one burst (a paste, a key macro, a laggy SSH
link) are meanwhile forwarded to whatever *was* focused: `a`, `Ctrl-U`, `94100` lost the digits,
and `0.1<Tab><Tab><C-u>95000` typed everything into the first field.

:class:`KeyGate` delivers one key at a time. After forwarding a key it sends a marker message
along the same path (the target's queue, bubbling up to the app); queues are FIFO, so when the
marker reaches the app the key has been consumed or its binding has run. A second round trip
lets whatever that key set in motion (an ``Input.Submitted``, a focus change, a dismissed
modal) settle first, and when the key changed the active screen the marker goes through the new
screen too, so the next key only arrives once that screen is mounted and focused. Keys arriving
meanwhile wait in order. A marker that never returns (its widget was removed) is given up after
``timeout_s`` so input can never stall for good.

The panic key never waits: it jumps the queue, and the keys still waiting behind the gate are
dropped (they were typed for a screen the panic replaces; a stray ``y`` among them must never
answer the panic confirmation).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump
    from textual.screen import Screen

ROUND_TRIPS = 2
"""Marker round trips per key: the key itself, then what its handlers posted."""


class KeySettled(Message, bubble=True):
    """The marker that follows a key up its delivery path (handled by the app only)."""

    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token


GatedEvent = events.Key | events.Paste


class KeyGate:
    """Serialises key (and paste) delivery for one app.

    ``deliver`` is the app's ordinary dispatch (``App.on_event``); ``submit`` is called for
    every key the driver produces and ``settled`` for every :class:`KeySettled` the app gets.
    """

    def __init__(
        self,
        app: App[Any],
        deliver: Callable[[events.Event], Awaitable[None]],
        *,
        timeout_s: float = 0.5,
    ) -> None:
        self._app = app
        self._deliver = deliver
        self._timeout_s = timeout_s
        self._pending: deque[GatedEvent] = deque()
        self._token = 0
        self._busy: int | None = None
        self._trips = 0
        self._target: MessagePump | None = None
        self._screen: Screen[Any] | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self.delivered = 0
        """Keys delivered so far (for tests and diagnostics)."""
        self.timeouts = 0
        """Markers given up after ``timeout_s`` (each one a key whose path was torn down)."""
        self.dropped = 0
        """Waiting keys dropped because the panic key jumped the queue."""
        self.urgent_keys: frozenset[str] = frozenset()
        """Keys delivered at once, ahead of any waiting key (the app sets its panic key)."""

    @property
    def idle(self) -> bool:
        """True when no key is in flight and none is waiting."""
        return self._busy is None and not self._pending

    async def submit(self, event: GatedEvent) -> None:
        """Deliver ``event`` now if nothing is in flight, else queue it behind the others.

        A key in ``urgent_keys`` (the panic key) is delivered at once, and whatever was
        waiting is dropped (counted in :attr:`dropped`).
        """
        if isinstance(event, events.Key) and event.key in self.urgent_keys:
            self.dropped += len(self._pending)
            self._pending.clear()
            await self._deliver(event)
            self.delivered += 1
            return
        if self._busy is not None or self._pending:
            self._pending.append(event)
            return
        await self._send(event)

    async def _send(self, event: GatedEvent) -> None:
        app = self._app
        self._token += 1
        token = self._busy = self._token
        self._screen = app.screen
        self._target = app.focused or app.screen
        self._trips = 0
        await self._deliver(event)
        self.delivered += 1
        self._expiry = asyncio.get_running_loop().call_later(self._timeout_s, self._expire, token)
        self._post_marker(token)

    def _post_marker(self, token: int) -> None:
        app = self._app
        if app.screen is not self._screen:
            # The key opened or closed a screen: follow the new screen's queue (its resume and
            # focus come first), and route later trips through whatever it focuses.
            self._screen = app.screen
            self._target = app.screen
        target = self._target
        if target is None or not target.is_attached or not target.post_message(KeySettled(token)):
            self._target = app.screen
            if not app.screen.post_message(KeySettled(token)):
                self._release(token)

    async def settled(self, message: KeySettled) -> None:
        """A marker came back to the app: one more trip, or deliver the next waiting key."""
        if message.token != self._busy:
            return
        self._trips += 1
        app = self._app
        if self._trips < ROUND_TRIPS or app.screen is not self._screen:
            if app.screen is self._screen:
                self._target = app.focused or app.screen
            self._post_marker(message.token)
            return
        self._release(message.token)
        await self._drain()

    def _expire(self, token: int) -> None:
        if token != self._busy:
            return
        self.timeouts += 1
        self._release(token)
        if self._pending:
            self._app.call_later(self._drain)

    def _release(self, token: int) -> None:
        if token == self._busy:
            self._busy = None
            self._target = None
            if self._expiry is not None:
                self._expiry.cancel()
                self._expiry = None

    async def _drain(self) -> None:
        if self._busy is None and self._pending:
            await self._send(self._pending.popleft())


__all__ = ["KeyGate", "KeySettled"]
