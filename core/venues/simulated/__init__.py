"""The in-process venue: the sim's exchange core behind the venue port, on a virtual clock."""

from core.venues.simulated.feeds import InProcessFeeds
from core.venues.simulated.venue import SimulatedVenue, SteppingClock

__all__ = ["InProcessFeeds", "SimulatedVenue", "SteppingClock"]
