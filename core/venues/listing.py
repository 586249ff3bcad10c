"""Which configured symbols does the venue actually list?

``check-config`` asks the configured venue (its instruments query) about every symbol in
``risk.symbols`` before the console ever opens, so a typo or a delisted contract is an error at
the command line instead of a ladder waiting for a book that never comes. An unreachable venue is
not an error here (the sim may simply not be running yet): the report says so and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.config import Settings
from core.resilience.errors import Rejected, VenueError
from core.venues.base import Venue
from core.venues.registry import build_venue

#: How long ``check-config`` waits for the venue per request, in seconds.
DEFAULT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ListingReport:
    """The venue's answer for a set of symbols.

    ``reachable`` is False when the venue could not be asked at all (``error`` says why); then
    ``listed`` and ``unlisted`` are empty. ``refused`` maps a symbol to the venue's rejection of
    the query about it (the venue does not know the name either).
    """

    venue: str
    reachable: bool
    listed: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    def problems(self) -> list[tuple[str, str]]:
        """``(key, message)`` pairs for every symbol the venue does not list, each with the fix."""
        out: list[tuple[str, str]] = []
        if self.unlisted:
            out.append(
                (
                    "risk.symbols",
                    f"{', '.join(self.unlisted)} not listed as trading by the venue at {self.venue}; "
                    "fix the spelling or remove it from risk.symbols",
                )
            )
        for sym, why in self.refused:
            out.append(
                (
                    "risk.symbols",
                    f"the venue at {self.venue} refused to describe {sym} ({why}); "
                    "fix the spelling or remove it from risk.symbols",
                )
            )
        return out


def check_listing(venue: Venue, symbols: Iterable[str]) -> ListingReport:
    """Ask ``venue`` about each symbol in turn; stop at the first failure that is not a rejection."""
    listed: list[str] = []
    unlisted: list[str] = []
    refused: list[tuple[str, str]] = []
    for sym in symbols:
        try:
            found = {inst.symbol for inst in venue.instruments((sym,))}
        except Rejected as err:
            refused.append((sym, err.message))
            continue
        except VenueError as err:
            return ListingReport(venue.rest_url, reachable=False, error=str(err))
        (listed if sym in found else unlisted).append(sym)
    return ListingReport(venue.rest_url, True, tuple(listed), tuple(unlisted), tuple(refused))


def check_configured_symbols(settings: Settings, timeout_s: float = DEFAULT_TIMEOUT_S) -> ListingReport:
    """``check_listing`` for ``risk.symbols`` on the configured venue for ``settings.mode``, with a
    short timeout."""
    quick = settings.model_copy(update={"venue": settings.venue.model_copy(update={"timeout_s": timeout_s})})
    return check_listing(build_venue(quick), settings.risk.symbols)
