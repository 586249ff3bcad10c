"""Trailing stop (engine-side): a reduce-only stop-market child that follows the best price.

Rules:

* ``position_side`` is the side of the position it protects (``Buy`` = long: the stop sells
  when the price falls; ``Sell`` = short: the stop buys when the price rises).
* The tracked price is ``trigger_by`` (``mark`` by default, or ``last``/``index``); the stop
  child triggers on the same price.
* Before ``activation_price`` is reached (long: price >= it; short: price <= it) nothing is
  placed. Without one it is active at once.
* Once active, the best price since activation (highest for a long, lowest for a short) sets the
  level: best - distance (long) or best + distance (short); ``distance`` is absolute, or a
  percentage of the best price with ``distance_type="pct"``. The level snaps to the tick away
  from the price and only ever moves in the trader's favour (up for a long, down for a short).
* The child's trigger is amended as the level moves, at most every ``min_interval_ms``; a level
  waiting for the interval asks for a wake-up.
* Its quantity is ``qty`` (capped by the position), or the whole position when ``qty`` is None
  (following the position's size).
* Done when the child fills or the position is flat.

Native (``native=True``): the venue keeps the trailing stop itself (Bybit's position
``trailingStop``, a price distance, with ``activePrice``). The venue trails the last price and
covers the whole position, so native needs ``trigger_by="last"`` and no ``qty``. The algo asks
for it once, with the open position (distance in price: a percentage is turned into a price
on the last price then, snapped to the tick, at least one tick; an activation price already
reached is left out), then only watches the position: done when it is flat. A refusal (a venue
without native trailing stops, or the venue said no) makes it carry on engine-side as above.
Pausing or cancelling the algo leaves the venue's trailing stop on the position.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.model import FALLING, RISING, OrderRequest, OrderStatus, OrderType, Side, TriggerBy
from core.orders.algos import _common as c
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    Amend,
    Cancel,
    ChildRejected,
    ChildUpdate,
    Finish,
    MarketView,
    OrderEvent,
    Place,
    Read,
    SetPositionStop,
    Tick,
    WakeAt,
)

PRICE_KINDS: dict[str, TriggerBy] = {"mark": TriggerBy.MARK, "last": TriggerBy.LAST, "index": TriggerBy.INDEX}
DISTANCE_TYPES = ("abs", "pct")
_HUNDRED = Decimal(100)
STOP_TAG = "stop"
CLOSE_TAG = "close"
NATIVE_TAG = "trail"
NATIVE_OFF, NATIVE_PENDING, NATIVE_SENT = "off", "pending", "sent"


class TrailingStop(Algo):
    """A stop that ratchets behind the best price; see the module docstring for the rules."""

    kind = "trail"

    def __init__(self, algo_id: str, params: Mapping[str, Any]) -> None:
        symbol = str(params.get("symbol", ""))
        if not symbol:
            raise ValueError("symbol: required")
        super().__init__(algo_id, symbol)
        self.position_side = c.param_side(params, "position_side")
        self.distance = c.param_decimal(params, "distance")
        self.distance_type = c.param_choice(params, "distance_type", DISTANCE_TYPES, "abs")
        if self.distance_type == "pct" and self.distance >= _HUNDRED:
            raise ValueError(f"distance: a percentage must be < 100, got {self.distance}")
        self.activation_price = c.param_optional_decimal(params, "activation_price")
        self.trigger_by = c.param_choice(params, "trigger_by", tuple(PRICE_KINDS), "mark")
        self.qty = c.param_optional_decimal(params, "qty")
        self.min_interval_ms = c.param_int(params, "min_interval_ms", minimum=0, default=1000)
        self.native = c.param_bool(params, "native")
        if self.native and self.trigger_by != "last":
            raise ValueError(
                "native: the venue's trailing stop follows the last price; give trigger_by='last'"
            )
        if self.native and self.qty is not None:
            raise ValueError("native: the venue's trailing stop covers the whole position; leave qty empty")
        self.native_state = NATIVE_PENDING if self.native else NATIVE_OFF
        """off (engine-side), pending (to ask the venue), sent (the venue keeps it)."""
        self.active = False
        self.best: Decimal | None = None
        self.level: Decimal | None = None
        self.sent_level: Decimal | None = None
        self.sent_qty: Decimal | None = None
        self.last_amend_ms: int | None = None
        self.closing = False
        """True once the price went through the level and a market close replaced the stop."""

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> TrailingStop:
        """Rebuild from :meth:`params`; ValueError names a bad parameter."""
        return cls(algo_id, params)

    def params(self) -> Mapping[str, Any]:
        """The parameters as plain data."""
        return {
            "symbol": self.symbol,
            "position_side": self.position_side.value,
            "distance": str(self.distance),
            "distance_type": self.distance_type,
            "activation_price": c.dec_str(self.activation_price),
            "trigger_by": self.trigger_by,
            "qty": c.dec_str(self.qty),
            "min_interval_ms": self.min_interval_ms,
            "native": self.native,
        }

    def describe(self) -> str:
        """``trail long BTCUSDT 0.5% on mark``."""
        unit = "%" if self.distance_type == "pct" else ""
        which = "long" if self.position_side is Side.BUY else "short"
        return f"trail {which} {self.symbol} {self.distance}{unit} on {self.trigger_by}"

    # --- decisions ----------------------------------------------------------------------------
    @property
    def _long(self) -> bool:
        return self.position_side is Side.BUY

    def _better(self, a: Decimal, b: Decimal) -> bool:
        """True when ``a`` is a better price than ``b`` for the position."""
        return a > b if self._long else a < b

    def _candidate(self, best: Decimal, tick: Decimal) -> Decimal:
        gap = best * self.distance / _HUNDRED if self.distance_type == "pct" else self.distance
        if self._long:
            return c.snap_down(best - gap, tick)
        return c.snap_up(best + gap, tick)

    def tick_reads(self) -> tuple[Read, ...]:
        """A tick reads the tracked price (the last price when native), the position's side and
        size and the instrument; the clock only through its amend-interval timer. Once it trails
        (active, a best and a level), the price counts only by :meth:`tick_zone`."""
        if self._trailing():
            return (Read.POSITION, Read.INSTRUMENT)
        price = Read.LAST if self.native_state != NATIVE_OFF else Read(self.trigger_by)
        return (price, Read.POSITION, Read.INSTRUMENT)

    def tick_zone(self, view: MarketView) -> tuple[Any, ...]:
        """While it trails, only a new best price or a price through the level changes a decision:
        (new best, through the level); a price between the two decides nothing new."""
        if not self._trailing():
            return ()
        price = view.price(self.symbol, self.trigger_by)
        if price is None or self.best is None or self.level is None:
            return (price,)
        return (self._better(price, self.best), not self._better(price, self.level))

    def _trailing(self) -> bool:
        """Engine-side, active, with a best price and a level, not closing."""
        return (
            self.native_state == NATIVE_OFF
            and self.active
            and not self.closing
            and self.best is not None
            and self.level is not None
        )

    def start(self, view: MarketView) -> list[Action]:
        """Arm: waiting for the activation price, or active at once."""
        self.progress.arrival_price = view.price(self.symbol, self.trigger_by)
        self.progress.note = "waiting for activation" if self.activation_price else "active"
        return self._step(view)

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Follow the price; finish on the child's fill or a flat position."""
        if self.status.terminal:
            return []
        if isinstance(event, ChildUpdate) and c.tag_of(self.progress, event.child_id) is not None:
            return self._on_child(event)
        if isinstance(event, ChildRejected) and event.child_id == SetPositionStop(NATIVE_TAG).child_id:
            self.native_state = NATIVE_OFF
            self.progress.note = f"native trailing stop refused ({event.check}: {event.reason}); engine-side"
            return [] if self.status is AlgoState.PAUSED else self._step(view)
        if isinstance(event, ChildRejected) and c.tag_of(self.progress, event.child_id) is not None:
            return self._finish(AlgoState.FAILED, f"stop child rejected ({event.check}: {event.reason})")
        if self.status is AlgoState.PAUSED or not isinstance(event, Tick | OrderEvent):
            return []  # a fill is counted from the child's update that follows it
        return self._step(view)

    def _on_child(self, event: ChildUpdate) -> list[Action]:
        order = event.order
        if c.tag_of(self.progress, event.child_id) != self._tag():
            return []  # a stop replaced by the market close
        self.progress.filled = order.filled_qty
        self.progress.avg_price = order.avg_price
        if order.status is OrderStatus.FILLED:
            return self._finish(AlgoState.DONE, f"stopped out at {order.avg_price} (level {self.level})")
        if not order.is_open and order.status is not OrderStatus.TRIGGERED:
            return self._finish(AlgoState.CANCELLED, f"{self._tag()} child {order.status.value}")
        return []

    def _position_qty(self, view: MarketView) -> Decimal:
        pos = view.position(self.symbol)
        if pos is None or pos.side is not self.position_side:
            return c.ZERO
        return pos.size if self.qty is None else min(self.qty, pos.size)

    def _step(self, view: MarketView) -> list[Action]:
        if self.native_state != NATIVE_OFF:
            return self._native_step(view)
        price = view.price(self.symbol, self.trigger_by)
        inst = view.instrument(self.symbol)
        if price is None or inst is None:
            return []
        if not self.active:
            if self.activation_price is not None and self._better(self.activation_price, price):
                self.status = AlgoState.WAITING
                return []
            self.active = True
            self.best = price
        qty = self._position_qty(view)
        if qty == 0:
            return self._finish(AlgoState.DONE, "position flat")
        if self.closing:
            return []
        if self.best is None or self._better(price, self.best):
            self.best = price
        level = self._ratchet(self._candidate(self.best, inst.tick_size))
        self.status = AlgoState.RUNNING
        self.progress.note = f"stop @ {level} (best {self.best})"
        if not self._better(price, level):
            return self._close(view, qty, price)
        return self._child_actions(view, qty)

    def _native_step(self, view: MarketView) -> list[Action]:
        """Ask the venue for its trailing stop once, with the position open; then watch it."""
        if self._position_qty(view) == 0:
            why = "closed by the venue's trailing stop" if self.native_state == NATIVE_SENT else "flat"
            return self._finish(AlgoState.DONE, f"position {why}")
        if self.native_state == NATIVE_SENT:
            return []
        price, inst = view.price(self.symbol, "last"), view.instrument(self.symbol)
        if price is None or inst is None:
            return []
        gap = price * self.distance / _HUNDRED if self.distance_type == "pct" else self.distance
        distance = max(c.snap_down(gap + inst.tick_size / 2, inst.tick_size), inst.tick_size)
        activation = self.activation_price
        if activation is not None and not self._better(activation, price):
            activation = None  # already reached: the venue trails at once
        self.native_state, self.active = NATIVE_SENT, activation is None
        self.status = AlgoState.RUNNING if activation is None else AlgoState.WAITING
        self.progress.note = f"venue trailing stop {distance} behind last" + (
            f" from {activation}" if activation is not None else ""
        )
        return [SetPositionStop(NATIVE_TAG, trailing_distance=distance, activation=activation)]

    def _close(self, view: MarketView, qty: Decimal, price: Decimal) -> list[Action]:
        """The price is through the level before the stop could follow: close at market."""
        out: list[Action] = []
        if self.sent_level is not None:
            out.append(Cancel(self.progress.children[self._tag()]))
        self.closing = True
        self.progress.note = f"{self.trigger_by} {price} through level {self.level}: closing at market"
        request = OrderRequest(
            symbol=self.symbol,
            side=self.position_side.opposite,
            qty=qty,
            order_type=OrderType.MARKET,
            reduce_only=True,
            source=f"algo:{self.algo_id}",
        )
        return [*out, Place(request, tag=self._tag())]

    def _ratchet(self, candidate: Decimal) -> Decimal:
        """Move the level to ``candidate`` only in the trader's favour; the level after."""
        if self.level is None or self._better(candidate, self.level):
            self.level = candidate
        return self.level

    def _child_actions(self, view: MarketView, qty: Decimal) -> list[Action]:
        assert self.level is not None
        if self.sent_level is None:
            return self._place(view, qty)
        if self.sent_level == self.level and self.sent_qty == qty:
            return []
        now = view.now_ms()
        due = (self.last_amend_ms or 0) + self.min_interval_ms
        if self.last_amend_ms is not None and now < due:
            return [WakeAt(due)]
        cid = self.progress.children[self._tag()]
        amend = Amend(
            cid,
            qty=qty if qty != self.sent_qty else None,
            trigger_price=self.level if self.level != self.sent_level else None,
        )
        self.sent_level, self.sent_qty, self.last_amend_ms = self.level, qty, now
        return [amend]

    def _tag(self) -> str:
        return CLOSE_TAG if self.closing else STOP_TAG

    def _place(self, view: MarketView, qty: Decimal) -> list[Action]:
        assert self.level is not None
        self.sent_level, self.sent_qty, self.last_amend_ms = self.level, qty, view.now_ms()
        request = OrderRequest(
            symbol=self.symbol,
            side=self.position_side.opposite,
            qty=qty,
            order_type=OrderType.MARKET,
            reduce_only=True,
            trigger_price=self.level,
            trigger_direction=FALLING if self._long else RISING,
            source=f"algo:{self.algo_id}",
        )
        self.progress.total = qty
        return [Place(request, tag=self._tag(), trigger_by=PRICE_KINDS[self.trigger_by])]

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]

    def on_pause(self, view: MarketView) -> list[Action]:
        """Keep the stop where it is (a protection is never pulled by a pause); stop moving it."""
        self.status = AlgoState.PAUSED
        return []

    def on_resume(self, view: MarketView) -> list[Action]:
        """Carry on from the current price (the best price seen is kept)."""
        self.status = AlgoState.RUNNING if self.active else AlgoState.WAITING
        return self._step(view)

    # --- state --------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Activation, best price, level, what was sent and when, as plain data."""
        return {
            "status": self.status.value,
            "active": self.active,
            "best": c.dec_str(self.best),
            "level": c.dec_str(self.level),
            "sent_level": c.dec_str(self.sent_level),
            "sent_qty": c.dec_str(self.sent_qty),
            "last_amend_ms": self.last_amend_ms,
            "closing": self.closing,
            "native_state": self.native_state,
            "progress": c.progress_state(self.progress),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.active = bool(state["active"])
        self.best = c.dec_or_none(state["best"])
        self.level = c.dec_or_none(state["level"])
        self.sent_level = c.dec_or_none(state["sent_level"])
        self.sent_qty = c.dec_or_none(state["sent_qty"])
        raw_ms = state["last_amend_ms"]
        self.last_amend_ms = None if raw_ms is None else int(raw_ms)
        self.closing = bool(state["closing"])
        self.native_state = str(state.get("native_state", NATIVE_OFF))
        self.progress = c.restore_progress(state["progress"])
