"""Bracket (OTO) and OCO: an entry, then reduce-only take-profits and a stop for what it filled.

Rules:

* The entry (``entry_type`` ``limit`` at ``entry_price`` or ``market``) is a plain order. With
  ``entry_type="none"`` (:class:`Oco`) there is no entry: the exits protect ``qty`` of an open
  position at once.
* Exits are placed as the entry fills, for what it filled so far: each take-profit gets its
  ``fraction`` of the filled qty (fractions add up to 1; parts on the qty step, the last takes the
  rest, parts under the minimum qty folded into a neighbour), the stop gets all of it; as more
  fills, working exits are amended up (a leg that already ended is sent again as a new child).
* Every exit is reduce-only. Take-profits are GTC limits; the stop is a stop-market child
  (``trigger_price`` + ``trigger_direction``) triggering on ``trigger_by`` (``mark`` by default,
  ``last`` or ``index``). With ``native=True`` (a bracket with at most one take-profit) the
  exits go as the position's own TP/SL on the venue instead (see ``_bracket_native``).
* One-cancels-other by quantity: what is still open is the entry's fills minus every exit's
  fills; the stop works all of it and the take-profits at most that much (the nearest keep
  theirs first), so a fill of one leg reduces its siblings by the filled qty and cancels them
  when nothing is left.
* A race (both legs fill in one tick) can close more than the entry filled; the algo then reads
  the position: if it is now on the other side, it sends a reduce-only market order to flatten
  what the exits over-closed, and reports the legs' fills either way. A flat position on a tick
  with exits working cancels them (nothing is left to protect) and finishes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.model import FALLING, RISING, Instrument, OrderRequest, OrderStatus, OrderType, Position, Side
from core.orders.algos import _bracket_native as native
from core.orders.algos import _common as c
from core.orders.algos._bracket_params import BracketParams
from core.orders.algos._legs import FillBook, Leg, cap_in_order, split_qty
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    Amend,
    Cancel,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    MarketView,
    Place,
    Read,
    Tick,
)

ENTRY_TAG = "entry"
FIX_TAG = "fix"
STOP_NAME = "sl"


REDUCE_ONLY_CHECK = "reduce_only"
"""The risk check that refuses a reduce-only order the position cannot take (yet)."""


@dataclass(frozen=True, slots=True)
class _QuietTick:
    """What a bracket saw on a market tick that decided nothing."""

    status: AlgoState
    hold: bool
    await_position: bool
    position: Position | None


class Bracket(Algo):
    """Entry + take-profits + stop; see the module docstring for the rules."""

    kind = "bracket"

    def __init__(self, algo_id: str, params: Mapping[str, Any]) -> None:
        p = BracketParams.parse(params, oco=self.kind == "oco")
        super().__init__(algo_id, p.symbol)
        self.p = p
        self.legs: dict[str, Leg] = {
            f"tp-{i + 1}": Leg(f"tp-{i + 1}", price=tp) for i, tp in enumerate(p.tp_prices)
        }
        if p.stop_price is not None:
            self.legs[STOP_NAME] = Leg(STOP_NAME, trigger=p.stop_price)
        self.oco_qty = p.qty if p.entry_type == "none" else None
        self.entry_open = False
        self.entry_status = ""
        self.book = FillBook()
        self.entry_notional = c.ZERO
        self.fix_sent = c.ZERO
        self.fix_live = False
        self.hold = False
        """An amend was just refused: skip one decision so a refusal never loops."""
        self.await_position = False
        """An exit was refused as reduce-only before it was sent: the position had not yet shown
        the entry's fill (the fill can arrive before the position update). Exits wait for it."""
        self.native_state = native.initial_state(self)
        self._quiet: _QuietTick | None = None
        """What the last market tick that decided nothing saw (see :meth:`_unchanged`)."""

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Bracket:
        """Rebuild from :meth:`params`; ValueError names a bad parameter."""
        return cls(algo_id, params)

    def params(self) -> Mapping[str, Any]:
        """The parameters as plain data."""
        return self.p.to_data()

    def describe(self) -> str:
        """``bracket Buy 0.1 BTCUSDT limit 95000 tp 96000x0.5,97000x0.5 sl 94000 on mark``."""
        return f"{self.kind} {self.p.summary()}"

    # --- quantities ---------------------------------------------------------------------------
    @property
    def side(self) -> Side | None:
        """The entry's side, as the algos pane shows it (an OCO has no entry: None)."""
        return None if self.oco_qty is not None else self.p.side

    @property
    def exit_side(self) -> Side:
        """The side every exit takes."""
        return self.p.side.opposite

    @property
    def entry_filled(self) -> Decimal:
        """What the entry filled (an OCO's qty from the start)."""
        return self.oco_qty if self.oco_qty is not None else self.book.filled(ENTRY_TAG)

    def leg_filled(self, leg: Leg) -> Decimal:
        """Filled across every child of one leg."""
        return sum((self.book.filled(tag) for tag in leg.tags), c.ZERO)

    @property
    def closed(self) -> Decimal:
        """Filled by every exit so far."""
        return sum((self.leg_filled(leg) for leg in self.legs.values()), c.ZERO)

    @property
    def remaining(self) -> Decimal:
        """What is still open of what the entry filled (negative after an over-close)."""
        return self.entry_filled - self.closed

    @property
    def entry_done(self) -> bool:
        """The entry will not fill any more."""
        return not self.entry_open

    def _wants(self, inst: Instrument) -> dict[str, Decimal]:
        """How much each exit leg should still work now."""
        tp_names = [n for n in self.legs if n != STOP_NAME]
        targets = split_qty(self.entry_filled, self.p.tp_fractions, inst.qty_step, inst.min_order_qty)
        raw = [max(t - self.leg_filled(self.legs[n]), c.ZERO) for n, t in zip(tp_names, targets, strict=True)]
        wants = dict(zip(tp_names, cap_in_order(raw, self.remaining), strict=True))
        if STOP_NAME in self.legs:
            wants[STOP_NAME] = max(self.remaining, c.ZERO)
        return wants

    # --- running ------------------------------------------------------------------------------
    def tick_reads(self) -> tuple[Read, ...] | None:
        """The position's side and size and the instrument; None (every tick decides) while a
        hold is to be spent or the position has yet to show the entry."""
        if self.hold or self.await_position:
            return None
        return (Read.POSITION, Read.INSTRUMENT)

    def start(self, view: MarketView) -> list[Action]:
        """Send the entry (bracket) or the exits (OCO)."""
        self.progress.total = self.p.qty
        self.progress.arrival_price = view.price(self.symbol, "mark")
        if self.oco_qty is not None:
            self.status = AlgoState.RUNNING
            return self._sync(view)
        self.entry_open, self.status = True, AlgoState.WAITING
        self.progress.note = "waiting for the entry"
        request = OrderRequest(
            symbol=self.symbol,
            side=self.p.side,
            qty=self.p.qty,
            order_type=OrderType.MARKET if self.p.entry_type == "market" else OrderType.LIMIT,
            price=self.p.entry_price,
            source=f"algo:{self.algo_id}",
        )
        return [Place(request, tag=ENTRY_TAG)]

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Count fills, follow the children, keep the exits matched to what is open."""
        if self.status.terminal:
            return []
        if isinstance(event, Tick) and self._unchanged(view):
            return []
        self._quiet = None
        held = self.hold  # a tick that spends a hold decides nothing, but the next one must
        decided = self._decide(event, view)
        if isinstance(event, Tick) and not decided and not held and not self.status.terminal:
            self._quiet = _QuietTick(self.status, self.hold, self.await_position, view.position(self.symbol))
        return decided

    def _unchanged(self, view: MarketView) -> bool:
        """Nothing a market tick can change has changed since the last tick that decided nothing.

        A bracket's decisions read its own children (which change only by the events it gets,
        each of which clears this) and the symbol's position (a new object on every change);
        the market's prices are the venue's business (its TP/SL and the exits' limit prices).
        Ticks come on every market move, so this spares the dearest decision of the mix.
        """
        quiet = self._quiet
        return (
            quiet is not None
            and quiet.position is view.position(self.symbol)
            and quiet.status is self.status
            and quiet.hold == self.hold
            and quiet.await_position == self.await_position
        )

    def _decide(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        if self.native_state != native.NATIVE_OFF:
            decided = native.step(self, event, view)
            if decided is not None:
                return decided
            return [] if self.status is AlgoState.PAUSED else self._sync(view)
        if isinstance(event, ChildFill):
            self._on_fill(event)
        elif isinstance(event, ChildUpdate):
            self._on_update(event)
        elif isinstance(event, ChildRejected):
            self._on_rejected(event, view)
        elif isinstance(event, Tick) and not self.await_position and self._flat_with_exits(view):
            return self._finish(AlgoState.DONE, f"position flat; {self._report()}")
        if self.status is AlgoState.PAUSED or self.hold:
            self.hold = False  # a refused change is tried again on the next event, not at once
            return []
        if self.await_position:
            if not self._position_shows_entry(view):
                return []
            self.await_position = False
        return self._sync(view)

    def _position_shows_entry(self, view: MarketView) -> bool:
        pos = view.position(self.symbol)
        return pos is not None and not pos.is_flat and pos.side is self.p.side

    def _leg_of(self, tag: str | None) -> Leg | None:
        for leg in self.legs.values():
            if tag in leg.tags:
                return leg
        return None

    def _on_fill(self, event: ChildFill) -> None:
        tag = c.tag_of(self.progress, event.child_id)
        fill = event.fill
        if tag is None or not self.book.fill(tag, fill.exec_id, fill.qty):
            return
        if tag == ENTRY_TAG:
            self.entry_notional += fill.qty * fill.price
            self.progress.avg_price = self.entry_notional / self.book.from_fills[tag]
            self._entry_progress()

    def _entry_progress(self) -> None:
        self.progress.filled = self.entry_filled
        if self.entry_filled > 0 and self.status is AlgoState.WAITING:
            self.status = AlgoState.RUNNING

    def _on_update(self, event: ChildUpdate) -> None:
        tag = c.tag_of(self.progress, event.child_id)
        if tag is None:
            return
        order = event.order
        self.book.update(tag, order.filled_qty)
        ended = not order.is_open and order.status is not OrderStatus.TRIGGERED
        if tag == FIX_TAG:
            self.fix_live = self.fix_live and not ended
            return
        if tag == ENTRY_TAG:
            self._entry_progress()
            if ended:
                self.entry_open, self.entry_status = False, order.status.value
            return
        leg = self._leg_of(tag)
        if ended and leg is not None and tag == leg.tag:
            leg.live = False

    def _on_rejected(self, event: ChildRejected, view: MarketView) -> None:
        tag = c.tag_of(self.progress, event.child_id)
        why = f"{event.check}: {event.reason}"
        order = view.order(event.child_id)
        if order is not None and (order.is_open or order.status is OrderStatus.TRIGGERED):
            self.progress.note = f"{tag}: change refused ({why})"
            self.book.update(tag or "", order.filled_qty)
            leg = self._leg_of(tag)
            if leg is not None and tag == leg.tag:
                leg.sent_qty, leg.cancelling = order.qty, False  # it works as the venue has it
            self.hold = True
            return
        refused = order is None or order.status is OrderStatus.REJECTED
        if tag == FIX_TAG:
            self.fix_live = False
            self.progress.note = f"flattening refused ({why})"
        elif tag == ENTRY_TAG:
            self.entry_open = False
            self.entry_status = f"rejected ({why})" if refused else order.status.value if order else ""
        else:
            leg = self._leg_of(tag)
            if leg is not None and tag == leg.tag:
                leg.live = False
                if order is None and event.check == REDUCE_ONLY_CHECK:
                    self.await_position = True  # sent again once the position shows the entry
                    leg.failed = ""
                else:
                    leg.failed = why if refused else ""

    def _flat_with_exits(self, view: MarketView) -> bool:
        pos = view.position(self.symbol)
        flat = pos is None or pos.is_flat
        return flat and self.entry_done and self.entry_filled > 0 and self.remaining > 0

    def _sync(self, view: MarketView) -> list[Action]:
        """Exits matched to what is open; finish when the entry and every exit are over."""
        inst = view.instrument(self.symbol)
        if self.entry_done and self.entry_filled == 0:
            state = AlgoState.FAILED if self.entry_status.startswith("rejected") else AlgoState.CANCELLED
            return self._finish(state, f"entry {self.entry_status or 'over'} with nothing filled")
        if inst is None:
            return []
        out: list[Action] = []
        for name, want in self._wants(inst).items():
            out += self._leg_actions(self.legs[name], want, inst)
        out += self._over_close(view)
        if self.oco_qty is not None:
            self.progress.filled = self.closed
        if self._over(view):
            short = self.book.filled(FIX_TAG) < self.fix_sent
            return [*out, *self._finish(AlgoState.FAILED if short else AlgoState.DONE, self._report())]
        self.progress.note = self._report()
        return out

    def _over(self, view: MarketView) -> bool:
        """The entry is over, nothing is left open and no child of ours can still fill; after an
        over-close, the position read back is flat (or the flattening order is over)."""
        if not self.entry_done or self.remaining > 0 or any(leg.live for leg in self.legs.values()):
            return False
        if self.remaining < 0 and self.fix_sent == 0:
            pos = view.position(self.symbol)
            return pos is None or pos.is_flat  # else wait for the position to show the race
        return not self.fix_live

    def _leg_actions(self, leg: Leg, want: Decimal, inst: Instrument) -> list[Action]:
        child_filled = self.book.filled(leg.tag) if leg.generation else c.ZERO
        leaves = leg.sent_qty - child_filled if leg.working else c.ZERO
        if leg.live and leg.cancelling:
            return []
        cid = self.progress.children.get(leg.tag, "")
        if want == 0 and leaves > 0:
            leg.cancelling = True
            return [Cancel(cid)]
        if want == leaves:
            return []
        if leg.live:
            leg.sent_qty = child_filled + want
            return [Amend(cid, qty=leg.sent_qty)]
        if leg.failed or want < inst.min_order_qty:
            return []
        leg.sent(want)
        return [self._exit_place(leg, want)]

    def _exit_place(self, leg: Leg, qty: Decimal) -> Place:
        source = f"algo:{self.algo_id}"
        if leg.trigger is None:
            request = OrderRequest(
                self.symbol, self.exit_side, qty, OrderType.LIMIT, leg.price, reduce_only=True, source=source
            )
            return Place(request, tag=leg.tag)
        direction = FALLING if self.p.side is Side.BUY else RISING
        request = OrderRequest(
            self.symbol,
            self.exit_side,
            qty,
            OrderType.MARKET,
            reduce_only=True,
            trigger_price=leg.trigger,
            trigger_direction=direction,
            source=source,
        )
        return Place(request, tag=leg.tag, trigger_by=self.p.trigger_by_enum)

    def _over_close(self, view: MarketView) -> list[Action]:
        """After a race closed more than the entry filled: flatten what the position shows."""
        over = -self.remaining - self.fix_sent
        pos = view.position(self.symbol)
        if over <= 0 or pos is None or pos.side is not self.exit_side:
            return []
        if self.fix_sent > 0:
            return []  # one flattening order; what it could not close is reported
        qty = min(over, pos.size)
        self.fix_sent, self.fix_live = qty, True
        request = OrderRequest(
            self.symbol, self.p.side, qty, OrderType.MARKET, reduce_only=True, source=f"algo:{self.algo_id}"
        )
        return [Place(request, tag=FIX_TAG)]

    def _report(self) -> str:
        legs = ", ".join(f"{leg.name} {self.leg_filled(leg)}" for leg in self.legs.values())
        text = f"entry {self.entry_filled}/{self.p.qty}; exits filled: {legs}; open {self.remaining}"
        if self.remaining < 0:
            fixed = self.book.filled(FIX_TAG)
            text += (
                f"; both legs filled: over-closed {-self.remaining}, flattening {self.fix_sent} reduce-only"
                f" ({fixed} filled)"
            )
        failed = [f"{leg.name} refused ({leg.failed})" for leg in self.legs.values() if leg.failed]
        return "; ".join([text, *failed])

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]

    def on_pause(self, view: MarketView) -> list[Action]:
        """Keep every child as it is (exits are protections); stop deciding until resumed."""
        self.status = AlgoState.PAUSED
        return []

    def on_resume(self, view: MarketView) -> list[Action]:
        """Match the exits to what filled while paused."""
        self.status = AlgoState.RUNNING if self.entry_filled > 0 else AlgoState.WAITING
        if self.native_state != native.NATIVE_OFF:
            return native.decide(self, view)
        return self._sync(view)

    # --- state --------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Entry fills, legs, counted fills and progress, as plain data."""
        return {
            "status": self.status.value,
            "entry_open": self.entry_open,
            "entry_status": self.entry_status,
            "entry_notional": str(self.entry_notional),
            "legs": [leg.to_data() for leg in self.legs.values()],
            "book": self.book.to_data(),
            "fix_sent": str(self.fix_sent),
            "fix_live": self.fix_live,
            "hold": self.hold,
            "await_position": self.await_position,
            "native_state": self.native_state,
            "progress": c.progress_state(self.progress),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.entry_open = bool(state["entry_open"])
        self.entry_status = str(state["entry_status"])
        self.entry_notional = Decimal(str(state["entry_notional"]))
        self.legs = {leg.name: leg for leg in (Leg.from_data(raw) for raw in state["legs"])}
        self.book = FillBook.from_data(state["book"])
        self.fix_sent = Decimal(str(state["fix_sent"]))
        self.fix_live = bool(state["fix_live"])
        self.hold = bool(state["hold"])
        self.await_position = bool(state.get("await_position", False))
        self.native_state = str(state.get("native_state", native.NATIVE_OFF))
        self.progress = c.restore_progress(state["progress"])


class Oco(Bracket):
    """Take-profit(s) and a stop on an open position, no entry: a fill of one leg reduces the
    others by the filled qty, or cancels them when nothing is left."""

    kind = "oco"
