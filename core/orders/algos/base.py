"""The contract every execution algo follows: pure decisions over events, run by the engine.

An algo (chase, scale, TWAP, iceberg, bracket/OCO, trailing, conditional) is a small class that
never sends anything itself. The engine's algo runner feeds it events — a market tick, an
update or fill of one of its child orders, a trader's pause/resume/cancel — together with a
read-only :class:`MarketView`, and the algo answers with :class:`Action`s: place a child, amend
one, cancel one, finish. The runner sends every child through the one order path (builder →
risk chain → journal → executor) and reports the outcome back as another event.

Because decisions are pure and the algo's state is plain data (:meth:`Algo.state`), an algo is
deterministic on a virtual clock, property-testable without an engine, journaled after every
step, and rebuilt after a restart from its last journaled state (:meth:`Algo.restore`); its
children are known by their client order ids, so a resumed algo never sends a duplicate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from core.market.candles import Candle
from core.model import Fill, Instrument, Order, OrderRequest, Position, TriggerBy


class AlgoState(StrEnum):
    """Where an algo is in its life. Terminal states never change again."""

    WAITING = "waiting"
    """Armed, waiting for its start condition (a conditional, a bracket before its entry)."""
    RUNNING = "running"
    PAUSED = "paused"
    """Children cancelled or left as they are (per algo); no new decisions until resumed."""
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """True for done, cancelled and failed."""
        return self in (AlgoState.DONE, AlgoState.CANCELLED, AlgoState.FAILED)


# --- what an algo sees -----------------------------------------------------------------------
class Read(StrEnum):
    """One input a market tick's decision may read (see :meth:`Algo.tick_reads`)."""

    BID = "bid"
    """The best bid of the algo's symbol."""
    ASK = "ask"
    """The best ask of the algo's symbol."""
    MARK = "mark"
    LAST = "last"
    INDEX = "index"
    POSITION = "position"
    """The side and size of the symbol's position (not its mark or PnL)."""
    INSTRUMENT = "instrument"
    """Tick size, qty step, minimums."""


class MarketView(Protocol):
    """Read-only market and account state at the moment of an event (engine's latest view)."""

    def now_ms(self) -> int:
        """The engine clock (virtual in tests and backtests)."""
        ...

    def best_bid(self, symbol: str) -> Decimal | None:
        """Best bid, or None without a book."""
        ...

    def best_ask(self, symbol: str) -> Decimal | None:
        """Best ask, or None without a book."""
        ...

    def price(self, symbol: str, kind: str = "mark") -> Decimal | None:
        """``mark``, ``last`` or ``index`` price."""
        ...

    def instrument(self, symbol: str) -> Instrument | None:
        """Tick size, qty step, min qty/notional."""
        ...

    def position(self, symbol: str) -> Position | None:
        """The open position, if any."""
        ...

    def order(self, client_order_id: str) -> Order | None:
        """The engine's latest view of one order (children and others)."""
        ...

    def candles(self, symbol: str, timeframe: str, n: int) -> Sequence[Candle]:
        """The last ``n`` candles, oldest first (for indicator conditions)."""
        ...


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed or the market moved (the runner sends one per market update it throttles
    to, and on timers the algo asked for with :class:`WakeAt`)."""

    now_ms: int


@dataclass(frozen=True, slots=True)
class ChildUpdate:
    """One of the algo's children changed (placed, amended, cancelled, rejected, filled)."""

    child_id: str
    order: Order


@dataclass(frozen=True, slots=True)
class ChildFill:
    """An execution of one of the algo's children."""

    child_id: str
    fill: Fill


LOST_CHECK = "lost"
"""The ``check`` of a :class:`ChildRejected` for a child the venue no longer knows (asked for it
by id after a restart): whatever the algo last heard of it, nothing of it works any more."""


@dataclass(frozen=True, slots=True)
class ChildRejected:
    """The runner could not send an action (risk check, build error, venue rejection)."""

    child_id: str
    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order that is not a child changed (for triggers such as "when order X fills")."""

    order: Order


AlgoEvent = Tick | ChildUpdate | ChildFill | ChildRejected | OrderEvent


# --- what an algo asks for -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Place:
    """Send a child order. ``tag`` is the algo's own name for it (``slice-3``, ``tp-1``); the
    runner makes the client order id from the algo id and a sequence, journals it before
    sending, and reports it back in :class:`ChildUpdate`/:class:`ChildFill`."""

    request: OrderRequest
    tag: str = ""
    trigger_by: TriggerBy | None = None
    """For a conditional child (``request.trigger_price`` set): the price it triggers on. The
    algo states it explicitly; the runner passes it down the order path."""


@dataclass(frozen=True, slots=True)
class Amend:
    """Amend a working child (None leaves a field as it is)."""

    child_id: str
    qty: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel a working child."""

    child_id: str


@dataclass(frozen=True, slots=True)
class WakeAt:
    """Send a :class:`Tick` no later than ``at_ms`` (timers: TWAP slices, expiries)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Finish:
    """The algo is over: ``state`` is DONE, CANCELLED or FAILED; ``reason`` says why.
    ``cancel_children`` cancels whatever children still work (default)."""

    state: AlgoState
    reason: str
    cancel_children: bool = True


@dataclass(frozen=True, slots=True)
class StartAlgo:
    """Start another algo (a conditional's follow-up, ``then_algo``): the runner builds ``kind``
    with ``from_params(<new algo id>, params)``, journals and runs it like any algo the trader
    starts; the two are independent afterwards. An algo asks for it at most once (its state
    remembers it did); a ValueError from ``from_params`` is surfaced like a rejected child."""

    kind: str
    params: Mapping[str, Any]


POSITION_STOP_PREFIX = "position:"
"""``ChildRejected.child_id`` of a refused :class:`SetPositionStop` is this prefix + its tag."""


@dataclass(frozen=True, slots=True)
class SetPositionStop:
    """Set the position's own protections on the venue (the whole position: Bybit's
    ``/v5/position/trading-stop``, tpslMode Full) instead of child orders: a take-profit and/or
    stop-loss triggering on ``trigger_by``, and/or a trailing stop ``trailing_distance`` (a price
    distance) behind the best price, armed once ``activation`` is reached. None leaves a field as
    it is, 0 removes it. The runner sends it through the engine's position TP/SL command; a venue
    without the native feature, or a refusal, comes back as :class:`ChildRejected` whose
    ``child_id`` is :attr:`child_id`. Success is not reported: the algo watches the position."""

    tag: str
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    trigger_by: TriggerBy = TriggerBy.MARK
    trailing_distance: Decimal | None = None
    activation: Decimal | None = None

    @property
    def child_id(self) -> str:
        """What a refusal of this action is reported as (``position:<tag>``)."""
        return f"{POSITION_STOP_PREFIX}{self.tag}"


Action = Place | Amend | Cancel | WakeAt | Finish | StartAlgo | SetPositionStop


# --- the algo --------------------------------------------------------------------------------
@dataclass(slots=True)
class Progress:
    """What the algos pane shows."""

    filled: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    arrival_price: Decimal | None = None
    note: str = ""
    """One short line: ``slice 4/10``, ``chasing @ 95012.5``, ``waiting: mark >= 96000``."""
    children: dict[str, str] = field(default_factory=dict)
    """tag -> client order id of every child sent. The runner records it when it sends a
    :class:`Place` (before reporting any event of that child); an algo's tags are unique, so it
    knows which child an event is about. Part of the algo's :meth:`Algo.state`."""


class Algo(ABC):
    """One execution algo. Subclasses keep all their state in attributes that :meth:`state`
    returns as plain JSON-able data (Decimals as strings) and :meth:`restore` takes back.
    """

    kind: str = ""
    """Short name: ``chase``, ``scale``, ``twap``, ``iceberg``, ``bracket``, ``oco``, ``trail``,
    ``cond``."""

    def __init__(self, algo_id: str, symbol: str) -> None:
        self.algo_id = algo_id
        self.symbol = symbol
        self.status = AlgoState.WAITING
        self.progress = Progress()

    @classmethod
    @abstractmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Algo:
        """Rebuild the algo from :meth:`params` (after a restart, before :meth:`restore`);
        raises ValueError naming the bad parameter."""

    @abstractmethod
    def params(self) -> Mapping[str, Any]:
        """The parameters it was started with, JSON-able (journaled once, at start)."""

    @abstractmethod
    def start(self, view: MarketView) -> list[Action]:
        """First decisions (the runner calls it once, when the algo is added)."""

    @abstractmethod
    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Decisions after one event."""

    def tick_reads(self) -> tuple[Read, ...] | None:
        """Everything a market :class:`Tick`'s decision reads from the view besides the clock
        (None, the default: unknown, every tick decides).

        An algo that declares its reads promises: a tick decision that returned no action, taken
        again with the same reads, returns no action and changes nothing; and its decisions read
        the clock only through timers it asked for (:class:`WakeAt`). The runner then skips a
        market tick whose reads are the same as at the algo's last tick that decided nothing.
        Any other event (a child's update or fill, a rejection, an order event, a control) and
        any due timer makes the next tick decide again.
        """
        return None

    def tick_zone(self, view: MarketView) -> tuple[Any, ...]:
        """Where a read stands against the algo's own thresholds, for a read it leaves out of
        :meth:`tick_reads` because only crossing a threshold changes its decision (a trailing
        stop's price between its level and its best so far). Part of the skip's comparison; the
        default, (), adds nothing."""
        return ()

    def on_pause(self, view: MarketView) -> list[Action]:
        """Decisions when the trader pauses it (default: cancel working children)."""
        return [Cancel(cid) for cid in self.working_children(view)]

    def on_resume(self, view: MarketView) -> list[Action]:
        """Decisions when the trader resumes it (default: carry on at the next tick)."""
        return [WakeAt(view.now_ms())]

    def later_orders(self, view: MarketView) -> list[Place]:
        """Orders the algo places later rather than at its start (a conditional's order, once its
        condition holds), as it would place them now: previewed against the market of now, and
        checked again when they go. Default: none."""
        return []

    def working_children(self, view: MarketView) -> list[str]:
        """Client order ids of children still open, per the engine's view."""
        out: list[str] = []
        for cid in self.progress.children.values():
            order = view.order(cid)
            if order is not None and order.is_open:
                out.append(cid)
        return out

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """Everything needed to carry on after a restart, JSON-able."""

    @abstractmethod
    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""

    def describe(self) -> str:
        """One line for logs and the pane: ``twap Buy 2 BTCUSDT over 30m``."""
        return f"{self.kind} {self.symbol}"
