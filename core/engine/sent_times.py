"""When each order was sent, for the place → fill latency metric; bounded in size and age.

An entry is taken out by the order's first fill. An order that never fills (cancelled, rejected,
or resting for days) used to keep its entry for the life of the process; here the oldest entries
go first once there are ``max_entries`` of them or they are older than ``max_age_s``. Losing one
only loses one latency sample.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_ENTRIES = 10_000
MAX_AGE_S = 6 * 3600.0


class SentTimes:
    """orderLinkId → monotonic send time, oldest first, with both bounds applied on every insert."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_age_s: float = MAX_AGE_S) -> None:
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self._times: OrderedDict[str, float] = OrderedDict()

    def __setitem__(self, key: str, sent: float) -> None:
        """Remember ``key`` as sent at ``sent`` (monotonic seconds); drop what is too old or too many."""
        self._times.pop(key, None)
        self._times[key] = sent
        oldest_kept = sent - self.max_age_s
        times = self._times
        while times and (len(times) > self.max_entries or next(iter(times.values())) < oldest_kept):
            times.popitem(last=False)

    def pop(self, key: str, default: float | None = None) -> float | None:
        """Take ``key``'s send time out (``default`` when it is not held)."""
        return self._times.pop(key, default)

    def __len__(self) -> int:
        return len(self._times)

    def __contains__(self, key: object) -> bool:
        return key in self._times
