"""Skipped ticks: an algo that declares its reads decides on a market tick only when one of them
moved since its last tick that decided nothing; a due timer and any other event always make it
decide. Each test fails if the skip is too eager (the chase must follow a one-tick move of its
side of the touch, the TWAP's slice timer must fire on a quiet book, the trailing stop must follow
a new high).

The pieces are the engine's own: the tick loop (:class:`AlgoTicks`), the runner's decision of a
tick and of an event, and the algos' read-only view over a market store, live books and the
account's positions and orders; only the books' touch is set by the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from core.clock import FrozenClock
from core.engine.algo_exec import decide
from core.engine.algo_slot import AlgoSlot, Decided
from core.engine.algo_ticks import AlgoTicks
from core.engine.algo_view import StaticView
from core.engine.algos import AlgoRunner
from core.model import Fill, Instrument, Order, OrderStatus, Position, Side, Ticker
from core.orders.algos.base import Action, Algo, Amend, Cancel, ChildFill, ChildUpdate, Place, Read, WakeAt
from core.orders.algos.bracket import Bracket
from core.orders.algos.chase import Chase
from core.orders.algos.iceberg import Iceberg
from core.orders.algos.trailing import TrailingStop
from core.orders.algos.twap import Twap
from core.store import MarketStore

D = Decimal
SYM = "BTCUSDT"
TICK = D("0.1")
BID, ASK = 100_000.0, 100_000.1


def _instrument() -> Instrument:
    return Instrument(
        symbol=SYM,
        base_coin="BTC",
        quote_coin="USDT",
        tick_size=TICK,
        qty_step=D("0.001"),
        min_order_qty=D("0.001"),
        max_order_qty=D("100"),
        max_mkt_order_qty=D("100"),
        min_notional=D("5"),
        min_leverage=D("1"),
        max_leverage=D("100"),
        leverage_step=D("0.01"),
    )


@dataclass
class Books:
    """The live touch the view reads (the engine's book keeper's ``touch``)."""

    bid: float | None = BID
    ask: float | None = ASK

    def touch(self, symbol: str) -> tuple[float | None, float | None]:
        return self.bid, self.ask


@dataclass
class Harness:
    """One algo in the engine's tick loop, its actions applied as a venue would acknowledge them."""

    algo: Algo
    clock: FrozenClock = field(default_factory=FrozenClock)
    store: MarketStore = field(default_factory=MarketStore)
    books: Books = field(default_factory=Books)
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    decided: list[Action] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.view = StaticView(
            self.clock.now_ms, self.store, {SYM: _instrument()}, self.positions, self.orders
        )
        self.slot = AlgoSlot(self.algo, self.clock.now_ms())
        self.runner = SimpleNamespace(view=self.view)
        self.ticks = AlgoTicks(self.clock, self.store, self.view, {self.algo.algo_id: self.slot}, self._books)
        self.ticks.min_tick_ms = 0
        self.ticks.decide = self._decide_now
        self.ticks.track(self.slot)
        self.set_ticker(last=D(BID))
        self.seq = 0

    def _books(self) -> Any:
        return self.books

    def _decide_now(self, slot: AlgoSlot, tick: Any) -> Decided | None:
        return AlgoRunner._decide_now(self.runner, slot, tick)  # type: ignore[arg-type]

    def set_ticker(self, *, last: Decimal, mark: Decimal | None = None) -> None:
        mark = last if mark is None else mark
        self.store.put_ticker(Ticker(SYM, last, mark, mark, D(BID), D(ASK)))

    async def start(self) -> list[Action]:
        return self._apply(await decide(self.runner, self.slot, None))  # type: ignore[arg-type]

    async def event(self, event: Any) -> list[Action]:
        return self._apply(await decide(self.runner, self.slot, event))  # type: ignore[arg-type]

    async def market(self) -> list[Action]:
        """The symbol moved (or not): one pass of the tick loop; what the algo decided."""
        self.ticks.market_moved(SYM)
        return await self._pass()

    async def timers(self) -> list[Action]:
        """A pass of the tick loop with no market move (only due timers)."""
        return await self._pass()

    async def _pass(self) -> list[Action]:
        self.ticks.tick()
        out: list[Action] = []
        while not self.slot.inbox.empty():
            item = self.slot.inbox.get_nowait()
            out += self._apply(await decide(self.runner, self.slot, item))  # type: ignore[arg-type]
        return out

    def _apply(self, actions: list[Action] | None) -> list[Action]:
        for action in actions or []:
            self.decided.append(action)
            if isinstance(action, Place):
                self.seq += 1
                cid = f"{self.algo.algo_id}-{self.seq}"
                self.algo.progress.children[action.tag] = cid
                r = action.request
                status = OrderStatus.UNTRIGGERED if r.trigger_price is not None else OrderStatus.NEW
                self.orders[cid] = Order(
                    symbol=SYM,
                    side=r.side,
                    order_type=r.order_type,
                    qty=r.qty,
                    price=r.price,
                    order_link_id=cid,
                    status=status,
                    reduce_only=r.reduce_only,
                    trigger_price=r.trigger_price,
                )
            elif isinstance(action, Amend):
                order = self.orders[action.child_id]
                self.orders[action.child_id] = replace(
                    order,
                    price=action.price or order.price,
                    trigger_price=action.trigger_price or order.trigger_price,
                    qty=action.qty or order.qty,
                )
            elif isinstance(action, Cancel):
                self.orders[action.child_id] = replace(
                    self.orders[action.child_id], status=OrderStatus.CANCELLED
                )
            elif isinstance(action, WakeAt):
                self.ticks.add_wakes(self.slot, [action.at_ms])
        return list(actions or [])

    async def ack(self, cid: str) -> list[Action]:
        """The venue's word on a child (its current state): the algo's update event."""
        return await self.event(ChildUpdate(cid, self.orders[cid]))


def _kinds(actions: list[Action]) -> list[str]:
    return [type(a).__name__ for a in actions]


async def test_chase_skips_the_other_side_and_follows_a_one_tick_move_of_its_own() -> None:
    chase = Chase("c1", SYM, Side.BUY, D("0.01"), min_interval_ms=0)
    h = Harness(chase)
    placed = await h.start()
    assert _kinds(placed) == ["Place"]
    cid = next(iter(chase.progress.children.values()))
    await h.ack(cid)
    assert await h.market() == []  # nothing moved: decided nothing, remembered as quiet
    assert h.slot.quiet is not None
    h.books.ask = ASK + 0.5  # the other side of the touch: not a chase buy's input
    assert await h.market() == [] and h.slot.skipped
    h.books.bid = BID + 0.1  # its own side, by one tick
    moved = await h.market()
    assert not h.slot.skipped
    assert len(moved) == 1 and isinstance(moved[0], Amend)
    assert moved[0].price == D(repr(BID + 0.1))


async def test_an_event_makes_the_next_tick_decide_again() -> None:
    chase = Chase("c2", SYM, Side.BUY, D("0.01"), min_interval_ms=0)
    h = Harness(chase)
    await h.start()
    cid = next(iter(chase.progress.children.values()))
    await h.ack(cid)
    await h.market()
    assert h.slot.quiet is not None
    h.orders[cid] = replace(h.orders[cid], status=OrderStatus.CANCELLED)  # the venue closed it
    replaced = await h.ack(cid)
    assert h.slot.quiet is None
    assert _kinds(replaced) == ["Place"]


async def test_twap_slice_timer_fires_on_a_quiet_book() -> None:
    twap = Twap.from_params(
        "t1",
        {"symbol": SYM, "side": "Buy", "qty": "0.02", "duration_ms": 20_000, "slices": 2, "mode": "maker"},
    )
    h = Harness(twap)
    first = await h.start()
    assert "Place" in _kinds(first)
    cid = next(iter(twap.progress.children.values()))
    await h.ack(cid)
    assert await h.market() == []
    assert await h.market() == [] and h.slot.skipped  # a quiet book: skipped
    h.clock.advance(10_000)  # the second slice is due; the book has not moved
    due = await h.timers()
    assert not h.slot.skipped
    assert _kinds(due)[0] == "Cancel"  # the first slice's rest is pulled before the next slice


async def test_trailing_stop_follows_a_new_high_and_skips_a_mark_only_move() -> None:
    trail = TrailingStop.from_params(
        "s1",
        {
            "symbol": SYM,
            "position_side": "Buy",
            "distance_type": "abs",
            "distance": "100",
            "trigger_by": "last",
            "min_interval_ms": 0,
        },
    )
    h = Harness(trail)
    h.positions[SYM] = Position(SYM, Side.BUY, D("0.01"), D(BID), D(BID), D(0))
    placed = await h.start()
    assert _kinds(placed) == ["Place"]
    cid = next(iter(trail.progress.children.values()))
    await h.ack(cid)
    assert await h.market() == []
    h.set_ticker(last=D(BID), mark=D(BID) + 50)  # only the mark moved; it trails the last price
    h.positions[SYM] = replace(h.positions[SYM], mark_price=D(BID) + 50)  # revalued, same size
    assert await h.market() == [] and h.slot.skipped
    h.set_ticker(last=D(BID) + 30)  # a new high of the last price
    moved = await h.market()
    assert len(moved) == 1 and isinstance(moved[0], Amend)
    assert moved[0].trigger_price == D(BID) + 30 - 100


async def test_iceberg_skips_every_market_tick_while_its_clip_rests() -> None:
    ice = Iceberg.from_params(
        "i1", {"symbol": SYM, "side": "Buy", "qty": "0.05", "display": "0.01", "price": "99000"}
    )
    h = Harness(ice)
    await h.start()
    cid = next(iter(ice.progress.children.values()))
    await h.ack(cid)
    assert await h.market() == []
    h.books.bid, h.books.ask = BID - 5, ASK - 5
    h.set_ticker(last=D(BID) - 5)
    assert await h.market() == [] and h.slot.skipped
    h.orders[cid] = replace(
        h.orders[cid], status=OrderStatus.FILLED, filled_qty=D("0.01"), avg_price=D(99000)
    )
    refill = await h.ack(cid)
    assert _kinds(refill) == ["Place"]  # the next clip, decided on the event


def test_view_reads_are_the_touch_prices_and_the_position_size() -> None:
    h = Harness(Chase("c3", SYM, Side.SELL, D("0.01")))
    assert h.view.reads(SYM, (Read.BID, Read.ASK, Read.LAST)) == (BID, ASK, D(BID))
    h.positions[SYM] = Position(SYM, Side.SELL, D("0.5"), D(BID), D(BID), D(0))
    before = h.view.reads(SYM, (Read.POSITION,))
    h.positions[SYM] = replace(h.positions[SYM], mark_price=D(1), unrealised_pnl=D(5))
    assert h.view.reads(SYM, (Read.POSITION,)) == before == ((Side.SELL, D("0.5")),)
    h.books.bid = None  # no live bid: the published book's, else the ticker's
    assert h.view.reads(SYM, (Read.BID,)) == (D(BID),)


async def test_a_pass_hands_decisions_that_act_to_the_workers_before_quiet_ones() -> None:
    quiet = Iceberg.from_params(
        "i2", {"symbol": SYM, "side": "Buy", "qty": "0.05", "display": "0.01", "price": "99000"}
    )
    h = Harness(quiet)  # tracked first: decided first in the pass
    await h.start()
    await h.ack(next(iter(quiet.progress.children.values())))
    chase = Chase("c4", SYM, Side.BUY, D("0.01"), min_interval_ms=0)
    other = AlgoSlot(chase, h.clock.now_ms())
    h.ticks.slots[chase.algo_id] = other  # type: ignore[index]
    h.ticks.track(other)
    handed: list[str] = []
    for slot in (h.slot, other):
        put = slot.inbox.put_nowait

        def record(item: Any, slot: AlgoSlot = slot, put: Any = put) -> None:
            handed.append(slot.algo_id)
            put(item)

        slot.inbox.put_nowait = record  # type: ignore[method-assign]
    h.ticks.market_moved(SYM)
    h.ticks.tick()
    assert handed == ["c4", "i2"]  # the chase's first place, then the iceberg's quiet decision


async def test_bracket_decides_while_a_hold_is_to_be_spent_and_when_the_position_changes() -> None:
    bracket = Bracket.from_params(
        "b1",
        {
            "symbol": SYM,
            "side": "Buy",
            "qty": "0.01",
            "entry_price": "99000",
            "take_profits": [["101000", "1"]],
        },
    )
    h = Harness(bracket)
    assert _kinds(await h.start()) == ["Place"]
    await h.ack(next(iter(bracket.progress.children.values())))
    await h.market()
    assert await h.market() == [] and h.slot.skipped
    bracket.hold = True  # a refused change: the next tick spends the hold, the one after decides
    await h.market()
    assert not h.slot.skipped and not bracket.hold
    await h.market()
    assert not h.slot.skipped  # the tick after the spent hold decides again
    assert await h.market() == [] and h.slot.skipped
    h.positions[SYM] = Position(SYM, Side.BUY, D("0.01"), D(99000), D(BID), D(0))
    await h.market()
    assert not h.slot.skipped


async def test_twap_between_slices_ignores_the_touch_and_prices_the_next_slice_at_the_fresh_one() -> None:
    params = {
        "symbol": SYM,
        "side": "Buy",
        "qty": "0.02",
        "duration_ms": 20_000,
        "slices": 2,
        "mode": "maker",
    }
    twap = Twap.from_params("t2", params)
    h = Harness(twap)
    await h.start()
    cid = next(iter(twap.progress.children.values()))
    await h.ack(cid)
    order = h.orders[cid]
    fill = Fill(SYM, Side.BUY, order.qty, D(BID), D(0), "x1", "", cid, True, h.clock.now_ms())
    h.orders[cid] = replace(order, status=OrderStatus.FILLED, filled_qty=order.qty, avg_price=D(BID))
    await h.event(ChildFill(cid, fill))
    await h.ack(cid)
    await h.market()
    h.books.bid = BID - 7  # the first slice is done: the touch cannot matter until the next one
    assert await h.market() == [] and h.slot.skipped
    h.clock.advance(10_000)
    due = await h.timers()
    places = [a for a in due if isinstance(a, Place)]
    assert len(places) == 1 and places[0].request.price == D(repr(BID - 7))


async def test_trailing_stop_skips_prices_inside_its_band_and_closes_through_the_level() -> None:
    params = {"symbol": SYM, "position_side": "Buy", "distance_type": "abs", "distance": "100"}
    trail = TrailingStop.from_params("s2", params | {"trigger_by": "last", "min_interval_ms": 0})
    h = Harness(trail)
    h.positions[SYM] = Position(SYM, Side.BUY, D("0.01"), D(BID), D(BID), D(0))
    await h.start()
    await h.ack(next(iter(trail.progress.children.values())))
    await h.market()
    for below_best in (D(1), D(50), D(99)):  # between the level (best - 100) and the best
        h.set_ticker(last=D(BID) - below_best)
        assert await h.market() == [] and h.slot.skipped
    h.set_ticker(last=D(BID) - 100)  # at the level: through it for a long
    closing = await h.market()
    assert not h.slot.skipped
    assert [type(a).__name__ for a in closing] == ["Cancel", "Place"]
    assert isinstance(closing[1], Place) and closing[1].request.reduce_only
