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
meanwhile wait in order.

A slow marker is waited for, never overtaken. Enter in a ticket is the slowest key (its binding
posts ``Submitted``, whose handler sends and closes the ticket), and on a loaded machine its round
trips took longer than the old fixed give-up time: the keys typed after it were then forwarded to
the ticket's field before the ticket had handled the Enter — they were typed into a closing
ticket (lost), and a digit could even reach the field before the Enter's binding read it. So every
``timeout_s`` the gate only looks at the marker's path: while it is still attached the marker is
on its way and the gate keeps waiting; when it was torn down (a removed box took the marker with
it) a fresh marker goes through the screen that is current now, so the next key still waits for
that screen to settle. A marker lost on a live path (never seen; a guard against a stall) holds
input for at most ``stall_s``: then the waiting keys are dropped with a warning — never delivered
blind, since a key must never change an order already on its way.

A terminal sends Escape as the byte ESC, and ESC followed at once by a character is what Alt plus
that character sends too: in a burst (``b 1 <Esc> b 2``) Textual reads ``<Esc> b`` as ``alt+b``.
The Escape was lost and ``alt+b`` moved the cursor to the start of the field, so the ticket that
should have been closed got ``21``. The console binds no Alt key, so the gate delivers an
``alt+<character>`` as the Escape and the character it was typed as (an Alt key the app does
bind, in :attr:`KeyGate.kept_keys`, is kept whole).

Before any of that, the terminal parser has its own reading of those bytes: ESC ``b`` is a known
sequence (``ctrl+left``), and ESC before ``:`` or ``.`` swallowed the Escape (or typed a ``^``).
:func:`read_escape_then_character` makes it report ESC followed by a printable character (other
than ``[`` and ``O``, which start the terminal's own key sequences) as Escape and that character,
and ESC ``[`` or ESC ``O`` followed by what no terminal sends for a key (ESC ``[ s``, ESC ``[ 1 0``
Enter) as Escape and the characters typed. ESC ``[ b`` stays ``shift+down``: that is the key rxvt
sends, and no byte tells the two apart.

A confirmation box (``y`` answers it) drops the keys still waiting when it opens unless every one
of them is one of its answers (:meth:`KeyGate.drop_waiting`): a burst typed for another screen
(``x :sym ETH``) can never answer it with a letter of a word, while ``x 2 y`` still works.

The panic key never waits: it jumps the queue, and the keys still waiting behind the gate are
dropped (they were typed for a screen the panic replaces; a stray ``y`` among them must never
answer the panic confirmation).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from textual import events
from textual._xterm_parser import XTermParser
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump
    from textual.screen import Screen

log = logging.getLogger(__name__)

ROUND_TRIPS = 2
"""Marker round trips per key: the key itself, then what its handlers posted."""
CHECK_S = 0.5
"""How often the gate looks at the path of a marker that has not come back."""
STALL_S = 5.0
"""A marker lost on a live path holds input this long; then the waiting keys are dropped."""


ESC = "\x1b"
SEQUENCE_STARTS = "[O"
"""What follows ESC when the terminal sends one of its own key sequences (CSI, SS3)."""
NOT_KEY_FINALS = "Mm[~"
"""CSI final bytes that may still be a mouse report or start a longer key sequence: never split."""


def typed_not_sequence(sequence: str) -> bool:
    """True when ``sequence`` (ESC ``[`` or ESC ``O`` and more) can no longer be a key the terminal
    sent, so it was typed: ESC ``[ s`` (Escape, the previous-symbol key, ``s``), ESC ``O x``, or a
    CSI broken by a byte no sequence has (ESC ``[ 1 0 <Enter>``). Mouse reports, cursor and mode
    reports and resizes never reach this test (the parser matches them first) or are kept out."""
    if len(sequence) < 3 or sequence[0] != ESC or sequence[1] not in SEQUENCE_STARTS:
        return False
    body, last = sequence[2:-1], sequence[-1]
    if not " " <= last <= "~":
        return True  # a control byte (Enter, Tab, Backspace) or a non-ASCII character
    if sequence[1] == "O":
        return len(sequence) == 3
    if body.strip("0123456789;") or not "@" <= last <= "~":
        return False  # a private or intermediate byte, or still parameters: let the parser read on
    return last not in NOT_KEY_FINALS


def read_escape_then_character() -> None:
    """Have the terminal parser read ESC followed by a printable character as Escape and that
    character (never as Alt plus it, a word move or a ``^``), and a sequence no terminal sends for
    a key as Escape and the characters typed. Idempotent; not for an app that binds Alt keys."""
    original = XTermParser._sequence_to_key_events
    if getattr(original, "escape_then_character", False):
        return

    def split(self: XTermParser, sequence: str, alt: bool = False) -> Iterator[events.Key]:
        head, tail = sequence[:1], sequence[1:]
        if head == ESC and len(tail) == 1 and tail not in SEQUENCE_STARTS + ESC and tail.isprintable():
            yield events.Key("escape", ESC)
            yield from original(self, tail)
            return
        if alt and len(sequence) == 1 and sequence.isprintable() and not sequence.isalnum():
            # ESC then ``[`` or ``O`` at the end of a burst, reissued by the parser as Alt plus it
            yield events.Key("escape", ESC)
            yield from original(self, sequence)
            return
        keys = list(original(self, sequence, alt))
        if keys or not typed_not_sequence(sequence):
            yield from keys
            return
        yield events.Key("escape", ESC)
        for character in tail:
            yield from original(self, character)

    split.escape_then_character = True  # type: ignore[attr-defined]
    XTermParser._sequence_to_key_events = split  # type: ignore[method-assign]


class KeySettled(Message, bubble=True):
    """The marker that follows a key up its delivery path (handled by the app only)."""

    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token


GatedEvent = events.Key | events.Paste

ALT = "alt+"


def escape_then_key(event: events.Key, kept: frozenset[str]) -> tuple[events.Key, events.Key] | None:
    """``alt+b`` (the bytes ESC ``b``) as Escape then ``b``; None for any other key or a kept one."""
    key, char = event.key, event.character
    if not key.startswith(ALT) or key in kept or char is None or len(char) != 1 or not char.isprintable():
        return None
    bare = char if char.isalnum() else key[len(ALT) :]
    return events.Key("escape", "\x1b"), events.Key(bare, char)


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
        timeout_s: float = CHECK_S,
        stall_s: float = STALL_S,
    ) -> None:
        self._app = app
        self._deliver = deliver
        self._timeout_s = timeout_s
        self._stall_s = stall_s
        self._pending: deque[GatedEvent] = deque()
        self._token = 0
        self._busy: int | None = None
        """The key in flight (its number), None when the gate is free."""
        self._marker: int | None = None
        """The marker now on its way for that key (a re-sent marker gets a new number)."""
        self._key_name = ""
        self._sent_at = 0.0
        self._trips = 0
        self._target: MessagePump | None = None
        self._screen: Screen[Any] | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self.delivered = 0
        """Keys delivered so far (for tests and diagnostics)."""
        self.timeouts = 0
        """Markers whose path was torn down (re-sent through the current screen)."""
        self.waits = 0
        """Times a marker was still on a live path after ``timeout_s`` (waited for, not overtaken)."""
        self.stalls = 0
        """Markers lost on a live path and given up after ``stall_s`` (waiting keys dropped)."""
        self.dropped = 0
        """Waiting keys dropped: the panic key jumped the queue, or input stalled."""
        self.urgent_keys: frozenset[str] = frozenset()
        """Keys delivered at once, ahead of any waiting key (the app sets its panic key)."""
        self.kept_keys: frozenset[str] = frozenset()
        """Alt keys the app binds: delivered as they are, never read as Escape and a character."""

    @property
    def idle(self) -> bool:
        """True when no key is in flight and none is waiting."""
        return self._busy is None and not self._pending

    async def submit(self, event: GatedEvent) -> None:
        """Deliver ``event`` now if nothing is in flight, else queue it behind the others.

        A key in ``urgent_keys`` (the panic key) is delivered at once, and whatever was
        waiting is dropped (counted in :attr:`dropped`). An ``alt+<character>`` goes in as the
        Escape and the character a terminal sent it as.
        """
        if isinstance(event, events.Key) and (pair := escape_then_key(event, self.kept_keys)):
            for part in pair:
                await self.submit(part)
            return
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

    def drop_waiting(self, question: str, answers: frozenset[str]) -> int:
        """Drop the keys still waiting when one of them is not among ``answers`` (the burst was
        typed for another screen, before ``question`` was on it: ``x :sym ETH`` closed the position
        with the ``y`` of ``sym``); says so; returns the count. A burst of answers only (``x 2 y``)
        is kept: it was typed for the question."""
        waiting = len(self._pending)
        if all(isinstance(e, events.Key) and e.key in answers for e in self._pending):
            return 0
        if waiting:
            self.dropped += waiting
            self._pending.clear()
            msg = f"{waiting} key(s) typed before '{question}' showed were dropped: answer it now"
            log.warning("%s", msg)
            self._app.notify(msg, severity="warning", timeout=8)
        return waiting

    async def _send(self, event: GatedEvent) -> None:
        app = self._app
        self._token += 1
        key = self._busy = self._token
        self._key_name = event.key if isinstance(event, events.Key) else "paste"
        self._screen = app.screen
        self._target = app.focused or app.screen
        self._trips = 0
        await self._deliver(event)
        self.delivered += 1
        loop = asyncio.get_running_loop()
        self._sent_at = loop.time()
        self._expiry = loop.call_later(self._timeout_s, self._expire, key)
        self._post_marker()

    def _post_marker(self) -> None:
        """Send a new marker (a new number) along the current path; release if none can go."""
        app = self._app
        if app.screen is not self._screen:
            # The key opened or closed a screen: follow the new screen's queue (its resume and
            # focus come first), and route later trips through whatever it focuses.
            self._screen = app.screen
            self._target = app.screen
        self._token += 1
        marker = self._marker = self._token
        target = self._target
        if target is None or not target.is_attached or not target.post_message(KeySettled(marker)):
            self._target = app.screen
            if not app.screen.post_message(KeySettled(marker)):
                self._release()  # nothing can take a marker (the app is closing)
                app.call_later(self._drain)

    async def settled(self, message: KeySettled) -> None:
        """A marker came back to the app: one more trip, or deliver the next waiting key."""
        if self._busy is None or message.token != self._marker:
            return  # a marker given up on (re-sent under a new number) came back after all
        self._trips += 1
        app = self._app
        if not app.screen_stack:
            self._release()  # the app closed with this key in flight: nothing left to settle
            return
        if self._trips < ROUND_TRIPS or app.screen is not self._screen:
            if app.screen is self._screen:
                self._target = app.focused or app.screen
            self._post_marker()
            return
        self._release()
        await self._drain()

    def _expire(self, key: int) -> None:
        """``timeout_s`` passed without the marker: wait on, re-send it, or give up (stall)."""
        if key != self._busy:
            return
        if not self._app.is_running:
            self._release()
            return
        loop = asyncio.get_running_loop()
        target = self._target
        if loop.time() - self._sent_at >= self._stall_s:
            self._stall()
            return
        if target is not None and target.is_attached:
            self.waits += 1  # still on its way (a busy loop): never overtake it
        else:
            self.timeouts += 1  # its path was torn down: go through the current screen
            self._post_marker()
        if self._busy == key:
            self._expiry = loop.call_later(self._timeout_s, self._expire, key)

    def _stall(self) -> None:
        """Input stalled behind a lost marker: drop what waits (with a warning), free the gate."""
        self.stalls += 1
        waiting = len(self._pending)
        self.dropped += waiting
        self._pending.clear()
        self._release()
        what = f"the key {self._key_name!r} was not taken within {self._stall_s:g} s"
        if waiting:
            msg = f"{what}: {waiting} key(s) typed after it were dropped, type them again"
            log.warning("%s", msg)
            self._app.notify(msg, severity="warning", timeout=8)
        else:
            log.warning("%s", what)

    def _release(self) -> None:
        self._busy = None
        self._marker = None
        self._target = None
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    async def _drain(self) -> None:
        if self._busy is None and self._pending:
            await self._send(self._pending.popleft())


__all__ = ["KeyGate", "KeySettled", "escape_then_key", "read_escape_then_character"]
