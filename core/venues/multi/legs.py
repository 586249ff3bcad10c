"""The composite venue's legs: their symbol renaming (the settings and checks of ``venue.legs``
are in :mod:`core.config_legs`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeVar

from core.config_legs import COMPOSITE, leg_settings
from core.venues import naming

__all__ = ["COMPOSITE", "Naming", "leg_settings", "renamed"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Naming:
    """One leg's symbol renaming: our qualified symbols <-> the leg's own."""

    venue: str

    @property
    def plain(self) -> bool:
        """True when the leg's symbols are ours unchanged (the primary venue)."""
        return self.venue == naming.PRIMARY_VENUE

    def qualify(self, symbol: str) -> str:
        """The leg's ``symbol`` as the engine knows it."""
        return symbol if self.plain else naming.on_venue(symbol, self.venue)


def renamed(item: T, leg: Naming) -> T:
    """``item`` (a domain value with a ``symbol``) with the leg's symbol qualified."""
    if leg.plain:
        return item
    symbol = leg.qualify(item.symbol)  # type: ignore[attr-defined]
    if isinstance(item, tuple):  # the book events are named tuples
        return item._replace(symbol=symbol)  # type: ignore[attr-defined,no-any-return]
    return dataclasses.replace(item, symbol=symbol)  # type: ignore[type-var]
