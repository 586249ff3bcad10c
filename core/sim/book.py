"""The sim-side order book (integer ticks → integer lots) and depth-N delta views.

A :class:`DepthView` holds exactly what a depth-N subscriber has been sent. Each publish diffs the
book's current top N against it, looking only at the levels touched since the last publish and at
the levels that crossed the N-th boundary, so the delta stream keeps every client's top-N view
consistent (a level that drops out of the top N is deleted, one that enters is inserted).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator

BID = -1
ASK = 1


class SideBook:
    """One side of a book. ``keys`` holds ``sign * tick`` ascending, so ``keys[0]`` is the best level."""

    __slots__ = ("keys", "levels", "sign", "watchers")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.levels: dict[int, int] = {}
        self.keys: list[int] = []
        self.watchers: list[set[int]] = []

    def __len__(self) -> int:
        return len(self.keys)

    def best(self) -> int | None:
        """Best price in ticks, or None when the side is empty."""
        return self.sign * self.keys[0] if self.keys else None

    def worst(self) -> int | None:
        """Worst (furthest from the touch) price in ticks."""
        return self.sign * self.keys[-1] if self.keys else None

    def size(self, tick: int) -> int:
        """Lots resting at ``tick`` (0 when absent)."""
        return self.levels.get(tick, 0)

    def set(self, tick: int, lots: int) -> None:
        """Set the size at ``tick``; 0 removes the level."""
        levels = self.levels
        old = levels.get(tick)
        if lots <= 0:
            if old is None:
                return
            del levels[tick]
            k = self.sign * tick
            del self.keys[bisect_left(self.keys, k)]
        else:
            if old == lots:
                return
            if old is None:
                insort(self.keys, self.sign * tick)
            levels[tick] = lots
        for w in self.watchers:
            w.add(tick)

    def pop_worst(self) -> None:
        """Remove the level furthest from the touch."""
        k = self.keys.pop()
        tick = self.sign * k
        del self.levels[tick]
        for w in self.watchers:
            w.add(tick)

    def replace(self, levels: list[tuple[int, int]]) -> None:
        """Make ``levels`` (``(tick, lots)``, lots > 0, distinct ticks) the whole side at once."""
        for w in self.watchers:
            w.update(self.levels)
        s = self.sign
        self.levels = dict(levels)
        self.keys = sorted(s * t for t in self.levels)
        for w in self.watchers:
            w.update(self.levels)

    def top(self, n: int) -> list[tuple[int, int]]:
        """The best ``n`` levels as ``(tick, lots)``, best first."""
        s = self.sign
        lv = self.levels
        return [(s * k, lv[s * k]) for k in self.keys[:n]]

    def through(self, limit_tick: int) -> Iterator[tuple[int, int]]:
        """Levels from the best up to and including ``limit_tick``, lazily (safe against edits)."""
        s = self.sign
        keys = self.keys[: bisect_right(self.keys, s * limit_tick)]
        levels = self.levels
        for k in keys:
            lots = levels.get(s * k)
            if lots is not None:
                yield s * k, lots

    def reaches(self, limit_tick: int) -> bool:
        """True if the best level is at or better than ``limit_tick``."""
        return bool(self.keys) and self.keys[0] <= self.sign * limit_tick


class Book:
    """Bids and asks of one symbol plus a cross sequence."""

    __slots__ = ("asks", "bids", "seq", "u")

    def __init__(self) -> None:
        self.bids = SideBook(BID)
        self.asks = SideBook(ASK)
        self.seq = 0
        self.u = 0

    def side(self, sign: int) -> SideBook:
        """The side with ``sign`` (BID or ASK)."""
        return self.bids if sign == BID else self.asks

    def crossed(self) -> bool:
        """True if the best bid is at or above the best ask."""
        b, a = self.bids.best(), self.asks.best()
        return b is not None and a is not None and b >= a


class _SideView:
    """What a subscriber holds of one side: ``sent`` tick → lots, plus the dirty set since last diff."""

    __slots__ = ("bound", "dirty", "sent", "side")

    def __init__(self, side: SideBook, depth: int) -> None:
        self.side = side
        self.dirty: set[int] = set()
        side.watchers.append(self.dirty)
        top = side.top(depth)
        self.sent: dict[int, int] = dict(top)
        self.bound: int | None = side.sign * top[-1][0] if top else None

    def detach(self) -> None:
        ws = self.side.watchers
        for i, w in enumerate(ws):
            if w is self.dirty:  # identity: other views' sets may compare equal
                del ws[i]
                return

    def diff(self, depth: int) -> dict[int, int]:
        """Changes (tick → lots, 0 = delete) that turn ``sent`` into the current top ``depth``."""
        keys = self.side.keys
        n = min(depth, len(keys))
        bound = keys[n - 1] if n else None
        changes = self._dirty_changes(bound)
        self._bound_changes(bound, n, changes)
        for t, sz in changes.items():
            if sz:
                self.sent[t] = sz
            else:
                self.sent.pop(t, None)
        self.bound = bound
        return changes

    def _dirty_changes(self, bound: int | None) -> dict[int, int]:
        """Changes from the levels touched since the last diff (and clear the touched set)."""
        sign = self.side.sign
        levels = self.side.levels
        sent = self.sent
        changes: dict[int, int] = {}
        for t in self.dirty:
            sz = levels.get(t)
            if sz is not None and bound is not None and sign * t <= bound:
                if sent.get(t) != sz:
                    changes[t] = sz
            elif t in sent:
                changes[t] = 0
        self.dirty.clear()
        return changes

    def _bound_changes(self, bound: int | None, n: int, changes: dict[int, int]) -> None:
        """Add the levels that enter or leave the top ``n`` because its edge (``bound``) moved."""
        side = self.side
        sign, keys, levels, sent = side.sign, side.keys, side.levels, self.sent
        old = self.bound
        if bound is None:
            for t in sent:
                changes[t] = 0
        elif old is None:
            for k in keys[:n]:
                t = sign * k
                if sent.get(t) != levels[t]:
                    changes[t] = levels[t]
        elif bound < old:
            for k in keys[bisect_right(keys, bound) : bisect_right(keys, old)]:
                t = sign * k
                if t in sent:
                    changes[t] = 0
        elif bound > old:
            for k in keys[bisect_right(keys, old) : bisect_right(keys, bound)]:
                t = sign * k
                if sent.get(t) != levels[t]:
                    changes[t] = levels[t]


class DepthView:
    """A depth-N orderbook topic's published state and its update id ``u``."""

    __slots__ = ("asks", "bids", "depth", "last_push_ms", "u")

    def __init__(self, book: Book, depth: int, u: int) -> None:
        self.depth = depth
        self.bids = _SideView(book.bids, depth)
        self.asks = _SideView(book.asks, depth)
        self.u = u
        self.last_push_ms = 0

    def detach(self) -> None:
        """Stop tracking the book."""
        self.bids.detach()
        self.asks.detach()

    def diff(self) -> tuple[dict[int, int], dict[int, int]]:
        """Bid and ask changes since the last diff (applied to the view)."""
        return self.bids.diff(self.depth), self.asks.diff(self.depth)

    def levels(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The subscriber's current view: bids descending, asks ascending."""
        b = sorted(self.bids.sent.items(), key=lambda x: -x[0])
        a = sorted(self.asks.sent.items())
        return b, a
