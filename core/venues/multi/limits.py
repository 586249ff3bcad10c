"""Each leg's own rate limits and endpoint names in the composite venue (pure).

The primary leg's endpoints keep their names; every other leg's are prefixed with the leg's name
(``hyperliquid:/exchange:order``, :func:`core.venue_symbols.leg_endpoint`), so the engine's rate
limiter takes each leg's requests against that leg's own table, its endpoint circuits are per leg,
and its API-failure breaker is the leg's (``api_failures:hyperliquid``): an outage of one venue
does not block orders on the other. A failure a second leg raises is renamed the same way
(:func:`blame`), so a merged listing that failed on that leg is counted against it.

Every request still takes the primary's IP-wide window when its table has one (the engine's
limiter has one such window).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from core.resilience.errors import VenueError
from core.resilience.ratelimit import Limit, RateTable
from core.venue_symbols import endpoint_in_leg, leg_endpoint, leg_of_endpoint

if TYPE_CHECKING:
    from core.venues.base import RateFeedback, Venue

GROUP_SEPARATOR = ":"


def combined_table(primary: RateTable, others: Mapping[str, RateTable]) -> RateTable:
    """The primary's table plus every other leg's groups, each named ``<leg>:<group>``."""
    limits: dict[str, Limit] = dict(primary.limits)
    for name, table in others.items():
        limits.update({f"{name}{GROUP_SEPARATOR}{g}": lim for g, lim in table.limits.items()})

    def group_of(endpoint: str) -> str:
        leg = leg_of_endpoint(endpoint)
        table = others.get(leg) if leg is not None else None
        if leg is None or table is None:
            return primary.group_of(endpoint)
        return f"{leg}{GROUP_SEPARATOR}{table.group_of(endpoint_in_leg(endpoint))}"

    return RateTable(limits=limits, group_of=group_of, ip_group=primary.ip_group, default=primary.default)


def table_of(legs: Sequence[Venue]) -> RateTable:
    """The composite's rate table: the first leg's, and each other leg's under its name."""
    return combined_table(legs[0].rate_table, {leg.name: leg.rate_table for leg in legs[1:]})


def blame(err: VenueError, leg: str) -> VenueError:
    """``err`` (raised by the second leg ``leg``) with its endpoint named as that leg's."""
    if leg_of_endpoint(err.endpoint) is None:
        err.endpoint = leg_endpoint(leg, err.endpoint or "?")
    return err


def feedback_of(leg: str, forward: Callable[[RateFeedback], None]) -> Callable[[RateFeedback], None]:
    """A second leg's rate reports, its endpoint renamed as the composite names it."""
    from dataclasses import replace

    def report(fb: RateFeedback) -> None:
        forward(replace(fb, endpoint=leg_endpoint(leg, fb.endpoint)))

    return report


__all__ = ["blame", "combined_table", "feedback_of", "table_of"]
