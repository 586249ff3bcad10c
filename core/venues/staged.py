"""Optional part of the venue port: a venue made of parts that come up one by one.

A venue composed of several exchanges (:mod:`core.venues.multi`) need not wait for all of them:
the parts that answer at start-up are admitted, the others are *held* and admitted later, once they
answer. While a part is held, its symbols are refused with :meth:`StagedVenue.held_reason` (nothing
is sent), listings and the account leave it out, and its feeds are not started
(:meth:`StagedFeeds.start_part` starts them at admission). The engine treats parts as opaque
names: it never asks which exchange a part is. A venue without parts has none of this, and the
engine does exactly what it always did (:func:`staged_of` is None).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from core.venues.base import Feeds, Venue


@runtime_checkable
class StagedVenue(Protocol):
    """A venue whose parts are admitted one by one."""

    def parts(self) -> tuple[str, ...]:
        """Every part's name, the first one first."""
        ...

    def held_parts(self) -> tuple[str, ...]:
        """The parts not admitted yet."""
        ...

    def probe_part(self, part: str) -> None:
        """One cheap request to ``part`` (blocking); raises a classified ``VenueError`` when it
        does not answer."""
        ...

    def hold_part(self, part: str) -> None:
        """Leave ``part`` out until :meth:`admit_part` (its symbols refused, its listings skipped)."""
        ...

    def admit_part(self, part: str) -> None:
        """Take ``part`` in: its symbols are routed and its listings merged from now on."""
        ...

    def part_symbols(self, part: str, symbols: Sequence[str]) -> tuple[str, ...]:
        """The ones of ``symbols`` that ``part`` trades."""
        ...

    def held_reason(self, symbol: str) -> str | None:
        """Why an order for ``symbol`` cannot be sent now (its part is held), or None."""
        ...


@runtime_checkable
class StagedFeeds(Protocol):
    """Feeds of a staged venue: a held part's streams start when it is admitted."""

    def start_part(self, part: str) -> None:
        """Connect ``part``'s streams (blocking; nothing when they already run)."""
        ...


def staged_of(venue: Venue) -> StagedVenue | None:
    """``venue`` as a :class:`StagedVenue` when it is made of parts, else None."""
    return venue if isinstance(venue, StagedVenue) else None


def staged_feeds_of(feeds: Feeds | None) -> StagedFeeds | None:
    """``feeds`` as :class:`StagedFeeds` when they are a staged venue's, else None."""
    return feeds if isinstance(feeds, StagedFeeds) else None


__all__ = ["StagedFeeds", "StagedVenue", "staged_feeds_of", "staged_of"]
