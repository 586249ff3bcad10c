"""Which legs of the composite venue are admitted (the staged part of the port,
:mod:`core.venues.staged`).

A leg that did not answer at start-up is *held*: the composite leaves it out of its listings, its
account sum and its feeds, and refuses its symbols naming the venue, until the engine admits it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from core.resilience.errors import Rejected, Transient

CODE_LEG_HELD = -2
"""The code of a refusal for a symbol whose leg is held (nothing was sent)."""


def held_message(symbol: str, venue: str) -> str:
    """The reason an order for ``symbol`` is refused while its leg ``venue`` is held."""
    return f"{symbol}: venue {venue} is down (not connected since start-up); nothing was sent"


class LegGate:
    """The held legs, thread-safe (the feeds' threads read it)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def _known(self, name: str) -> None:
        if name not in self.names:
            raise ValueError(f"{name!r} is not a leg of this composite ({list(self.names)})")

    def hold(self, name: str) -> None:
        """Leave leg ``name`` out until :meth:`admit`."""
        self._known(name)
        with self._lock:
            self._held.add(name)

    def admit(self, name: str) -> None:
        """Take leg ``name`` in."""
        self._known(name)
        with self._lock:
            self._held.discard(name)

    def held(self) -> tuple[str, ...]:
        """The held legs, in the composite's order."""
        with self._lock:
            return tuple(n for n in self.names if n in self._held)

    def is_held(self, name: str) -> bool:
        """True while leg ``name`` is held."""
        with self._lock:
            return name in self._held

    def refuse(self, symbol: str, venue: str, endpoint: str) -> Rejected:
        """The refusal of a command for ``symbol`` on the held leg ``venue``."""
        reason = held_message(symbol, venue)
        return Rejected(CODE_LEG_HELD, reason, endpoint=endpoint, message=reason)

    def unreachable(self, symbol: str, venue: str, endpoint: str) -> Transient:
        """A query for ``symbol`` on the held leg ``venue``: not answered (ask again later)."""
        return Transient(held_message(symbol, venue), endpoint=endpoint, sent=False)


__all__ = ["CODE_LEG_HELD", "LegGate", "held_message"]
