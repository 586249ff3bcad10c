"""The composite venue's legs: their symbol renaming (the settings and checks of ``venue.legs``
are in :mod:`core.config_legs`)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config_legs import COMPOSITE, leg_settings
from core.venues import naming

__all__ = ["COMPOSITE", "Naming", "leg_settings"]


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
