"""The composite venue's streams: every leg's feeds, their events renamed to qualified symbols.

Each leg delivers to its own :class:`LegSink`, which qualifies the symbol of every event (book,
ticker, trade, candle, order, fill, position; ``book:<symbol>`` stream names too), names the
second legs' stream states per leg (``public:hl``, ``private:hl``, so the header shows which leg
is down) and hands balances to one :class:`BalanceMerger`, which delivers the sum of the legs once
every admitted leg has reported. A leg held at start-up (:mod:`core.venues.multi.gate`) is not
started with the others: :meth:`MultiFeeds.start_part` starts it once it is admitted. A second
leg's reconnect is also reported as the engine's own ``public``/``private`` resync, so the REST
resync after it runs as for a single venue (asked again once the leg is up: a leg may report its
resync before its socket is open).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from core.venues import naming
from core.venues.base import BookDelta, BookSnapshot, FeedSink, FeedTiming
from core.venues.multi.combine import summed
from core.venues.multi.legs import renamed

if TYPE_CHECKING:
    from core.market.candles import Candle
    from core.model import Balance, Fill, Order, Position, Ticker, Trade
    from core.venues.base import Feeds, Venue
    from core.venues.multi.gate import LegGate
    from core.venues.multi.legs import Naming

BOOK_PREFIX = "book:"
ENGINE_STREAMS = frozenset({"public", "private"})
"""The stream names the engine resyncs on."""
RESYNC = "resync"
UP = "up"
SEPARATOR = ":"


def leg_tag(venue: str) -> str:
    """The per-leg tag of a stream name (``hl``): the venue's symbol suffix in lower case."""
    return naming.SUFFIXES.get(venue, venue).lower()


class BalanceMerger:
    """The latest balance of each leg; the engine gets their sum once every admitted leg has one."""

    def __init__(self, legs: Sequence[str], sink: FeedSink, gate: LegGate | None = None) -> None:
        self._legs = tuple(legs)
        self._sink = sink
        self._gate = gate
        self._latest: dict[str, Balance] = {}
        self._lock = threading.Lock()

    def put(self, leg: str, balance: Balance) -> None:
        """Leg ``leg``'s new balance; delivers the sum when every leg is known."""
        with self._lock:
            self._latest[leg] = balance
            gate = self._gate
            wanted = [n for n in self._legs if gate is None or not gate.is_held(n)]
            if any(name not in self._latest for name in wanted):
                return
            total = summed([self._latest[name] for name in wanted])
        self._sink.balance(total)


class LegSink:
    """One leg's :class:`FeedSink`: qualifies symbols and stream names, then forwards."""

    def __init__(self, naming_: Naming, sink: FeedSink, balances: BalanceMerger) -> None:
        self._naming = naming_
        self._sink = sink
        self._balances = balances
        self._tag = "" if naming_.plain else leg_tag(naming_.venue)
        self._resyncing: set[str] = set()
        """The engine streams whose resync this leg asked for and that it has not reported up since."""

    def book_snapshot(self, book: BookSnapshot) -> None:
        """A whole book, qualified."""
        self._sink.book_snapshot(renamed(book, self._naming))

    def book_delta(self, delta: BookDelta) -> None:
        """Changed levels, qualified."""
        self._sink.book_delta(renamed(delta, self._naming))

    def ticker(self, ticker: Ticker) -> None:
        """A ticker, qualified."""
        self._sink.ticker(renamed(ticker, self._naming))

    def trade(self, trade: Trade) -> None:
        """A public trade, qualified."""
        self._sink.trade(renamed(trade, self._naming))

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """A candle of the qualified symbol."""
        self._sink.candle(self._naming.qualify(symbol), timeframe, candle)

    def order(self, order: Order) -> None:
        """An order update, qualified."""
        self._sink.order(renamed(order, self._naming))

    def fill(self, fill: Fill) -> None:
        """An execution, qualified."""
        self._sink.fill(renamed(fill, self._naming))

    def position(self, position: Position) -> None:
        """A position update, qualified."""
        self._sink.position(renamed(position, self._naming))

    def balance(self, balance: Balance) -> None:
        """The leg's wallet: merged with the other legs' before the engine sees it."""
        self._balances.put(self._naming.venue, balance)

    def connection(self, stream: str, state: str, detail: str) -> None:
        """A stream state, named per leg (``public:hl``; ``book:BTCUSDT.HL``)."""
        if stream.startswith(BOOK_PREFIX):
            self._sink.connection(
                BOOK_PREFIX + self._naming.qualify(stream[len(BOOK_PREFIX) :]), state, detail
            )
            return
        if not self._tag:
            self._sink.connection(stream, state, detail)
            return
        self._sink.connection(f"{stream}{SEPARATOR}{self._tag}", state, detail)
        if stream not in ENGINE_STREAMS:
            return
        if state == RESYNC:  # the engine's REST resync covers every leg
            self._resyncing.add(stream)
            self._sink.connection(stream, state, f"{self._naming.venue}: {detail}")
        elif state == UP and stream in self._resyncing:
            # A leg may report its resync before its socket is open (the engine then leaves the
            # resync to the reconnect): once it is up, the engine's resync is asked for again.
            self._resyncing.discard(stream)
            self._sink.connection(stream, RESYNC, f"{self._naming.venue}: {detail} (up again)")


class MergedCounts(Mapping[str, int]):
    """Every leg's message counts, read when asked (the second legs' streams named per leg)."""

    def __init__(self, parts: Sequence[tuple[Naming, Feeds]]) -> None:
        self._parts = parts

    def _now(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for naming_, feeds in self._parts:
            tag = "" if naming_.plain else SEPARATOR + leg_tag(naming_.venue)
            for stream, count in dict(feeds.messages).items():
                out[stream + tag] = count
        return out

    def __getitem__(self, key: str) -> int:
        return self._now()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


class MultiFeeds:
    """Every leg's feeds as one (implements :class:`core.venues.base.Feeds`)."""

    def __init__(
        self,
        parts: Sequence[tuple[Venue, Naming, tuple[str, ...]]],
        sink: FeedSink,
        timing: FeedTiming,
        gate: LegGate | None = None,
    ) -> None:
        balances = BalanceMerger([n.venue for _, n, _ in parts], sink, gate)
        self._gate = gate
        self._started: set[str] = set()
        """The legs whose streams were started (a held leg's wait for its admission)."""
        self._lock = threading.Lock()
        self._parts: list[tuple[Naming, Feeds]] = [
            (naming_, leg.feeds(symbols, LegSink(naming_, sink, balances), timing))
            for leg, naming_, symbols in parts
        ]
        self.messages: Mapping[str, int] = MergedCounts(self._parts)
        """Messages per stream, the second legs' named per leg."""

    def _running(self) -> list[tuple[Naming, Feeds]]:
        with self._lock:
            return [(n, f) for n, f in self._parts if n.venue in self._started]

    def _each(self, action: str) -> None:
        failure: Exception | None = None
        for _, feeds in self._running():
            try:
                getattr(feeds, action)()
            except Exception as exc:  # noqa: BLE001 - every leg gets its turn; re-raised below
                failure = failure or exc
        if failure is not None:
            raise failure

    def start(self) -> None:
        """Start every admitted leg's streams (each is tried before the first failure is raised)."""
        gate = self._gate
        with self._lock:
            self._started |= {n.venue for n, _ in self._parts if gate is None or not gate.is_held(n.venue)}
        self._each("start")

    def start_part(self, part: str) -> None:
        """Start leg ``part``'s streams (it was admitted late); nothing when they already run."""
        with self._lock:
            if part in self._started:
                return
            self._started.add(part)
        for naming_, feeds in self._parts:
            if naming_.venue == part:
                feeds.start()

    def stop(self) -> None:
        """Close every leg's sockets."""
        self._each("stop")

    def check(self) -> None:
        """Every leg's watchdog tick."""
        self._each("check")

    def resubscribe_book(self, symbol: str) -> None:
        """A fresh book from the symbol's leg."""
        asset, venue = naming.split(symbol)
        for naming_, feeds in self._running():
            if naming_.venue == venue:
                feeds.resubscribe_book(asset)

    def is_connected(self, stream: str) -> bool:
        """``public:hl``: that leg's stream (False while it is not started); ``public``: every
        started leg's."""
        base, _, tag = stream.partition(SEPARATOR)
        running = self._running()
        if stream.startswith(BOOK_PREFIX):
            return all(feeds.is_connected(stream) for _, feeds in running)
        if tag and not any(not n.plain and leg_tag(n.venue) == tag for n, _ in running):
            return False
        return all(
            feeds.is_connected(base)
            for naming_, feeds in running
            if not tag or (not naming_.plain and leg_tag(naming_.venue) == tag)
        )
