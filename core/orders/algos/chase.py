"""Chase (limit-chase): one limit order kept at the touch until it fills.

Rules:

* the child rests at the touch (best bid for a buy, best ask for a sell), or ``offset_ticks``
  behind it; post-only by default (``post_only=False``: a plain GTC limit); optionally
  reduce-only;
* when the touch moves the child is amended to the new price, at most once every
  ``min_interval_ms`` (a timer is asked for so a move is never left behind when the market
  goes quiet), and never while an amend is still unanswered;
* the start price is the touch when the first child is priced; ``max_distance`` (price) or
  ``max_distance_pct`` (percent of the start price) bounds how far it chases *against* the
  trader (up for a buy, down for a sell). When the new price would go beyond it,
  ``on_limit="stop"`` finishes and leaves the child working where it is, ``"cancel"`` finishes
  and cancels it;
* a child the venue closes unfilled (a post-only that would have crossed) is placed again, for
  what is left, at the new touch; a child the runner could not send (risk, build, venue
  rejection) is tried again after ``min_interval_ms``, at most ``max_rejects`` times in a row;
* partial fills keep chasing the remainder; done when the whole quantity is filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce
from core.orders.algos._children import CLOSED, OPEN, PENDING, Child, ChildLedger, offset_price, worse_than
from core.orders.algos._common import (
    dec_or_none,
    dec_str,
    param_bool,
    param_choice,
    param_decimal,
    param_int,
    param_optional_decimal,
    param_side,
    progress_state,
    restore_progress,
    touch,
)
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    Amend,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    MarketView,
    Place,
    Read,
    Tick,
    WakeAt,
)

ON_LIMIT = ("stop", "cancel")
DEFAULT_INTERVAL_MS = 500
DEFAULT_MAX_REJECTS = 5
HUNDRED = Decimal(100)


class Chase(Algo):
    """Keeps one limit child at the touch until ``qty`` is filled (see the module rules)."""

    kind = "chase"

    def __init__(
        self,
        algo_id: str,
        symbol: str,
        side: Side,
        qty: Decimal,
        *,
        offset_ticks: int = 0,
        post_only: bool = True,
        reduce_only: bool = False,
        min_interval_ms: int = DEFAULT_INTERVAL_MS,
        max_distance: Decimal | None = None,
        max_distance_pct: Decimal | None = None,
        on_limit: str = "stop",
        max_rejects: int = DEFAULT_MAX_REJECTS,
    ) -> None:
        super().__init__(algo_id, symbol)
        self._params: dict[str, Any] = {
            "symbol": symbol,
            "side": side.value,
            "qty": str(qty),
            "offset_ticks": offset_ticks,
            "post_only": post_only,
            "reduce_only": reduce_only,
            "min_interval_ms": min_interval_ms,
            "max_distance": dec_str(max_distance),
            "max_distance_pct": dec_str(max_distance_pct),
            "on_limit": on_limit,
            "max_rejects": max_rejects,
        }
        _validate(self._params)
        self.side = side
        self.qty = qty
        self.offset_ticks = offset_ticks
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.min_interval_ms = min_interval_ms
        self.max_distance = max_distance
        self.max_distance_pct = max_distance_pct
        self.on_limit = on_limit
        self.max_rejects = max_rejects
        self.ledger = ChildLedger()
        self.start_price: Decimal | None = None
        self.last_send_ms: int | None = None
        self.amending: str = ""
        self.wake_ms: int | None = None
        self.rejects = 0
        self.progress.total = qty

    # --- construction and state -------------------------------------------------------------
    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Chase:
        """Build from :meth:`params`; ValueError names a bad parameter."""
        _validate(params)
        symbol = str(params["symbol"])
        return cls(
            algo_id,
            symbol,
            param_side(params),
            param_decimal(params, "qty"),
            offset_ticks=param_int(params, "offset_ticks", minimum=0, default=0),
            post_only=param_bool(params, "post_only", True),
            reduce_only=param_bool(params, "reduce_only", False),
            min_interval_ms=param_int(params, "min_interval_ms", minimum=0, default=DEFAULT_INTERVAL_MS),
            max_distance=param_optional_decimal(params, "max_distance"),
            max_distance_pct=param_optional_decimal(params, "max_distance_pct"),
            on_limit=param_choice(params, "on_limit", ON_LIMIT, "stop"),
            max_rejects=param_int(params, "max_rejects", minimum=0, default=DEFAULT_MAX_REJECTS),
        )

    def params(self) -> Mapping[str, Any]:
        """The parameters, JSON-able."""
        return dict(self._params)

    def state(self) -> dict[str, Any]:
        """Everything needed to carry on, JSON-able."""
        return {
            "status": self.status.value,
            "progress": progress_state(self.progress),
            "ledger": self.ledger.to_json(),
            "start_price": dec_str(self.start_price),
            "last_send_ms": self.last_send_ms,
            "amending": self.amending,
            "wake_ms": self.wake_ms,
            "rejects": self.rejects,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.progress = restore_progress(state["progress"])
        self.ledger.restore(state["ledger"])
        self.start_price = dec_or_none(state["start_price"])
        self.last_send_ms = state["last_send_ms"]
        self.amending = str(state["amending"])
        self.wake_ms = state["wake_ms"]
        self.rejects = int(state["rejects"])

    def describe(self) -> str:
        """``chase Buy 0.1 BTCUSDT max 0.5%``."""
        limit = ""
        if self.max_distance is not None:
            limit = f" max {self.max_distance}"
        elif self.max_distance_pct is not None:
            limit = f" max {self.max_distance_pct}%"
        return f"chase {self.side.value} {self.qty} {self.symbol}{limit}"

    # --- decisions ------------------------------------------------------------------------------
    def tick_reads(self) -> tuple[Read, ...]:
        """A tick reads the touch of its own side and the instrument (the clock only through its
        amend-interval timer): a tick on which neither moved is skipped."""
        return (Read.BID if self.side is Side.BUY else Read.ASK, Read.INSTRUMENT)

    def start(self, view: MarketView) -> list[Action]:
        """Place the first child at the touch (or wait for a book)."""
        self.status = AlgoState.RUNNING
        if view.instrument(self.symbol) is None:
            return self._finish(AlgoState.FAILED, f"no instrument {self.symbol}")
        return self._step(view)

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Book the event, then decide."""
        if self.status.terminal:
            return []
        if isinstance(event, ChildUpdate | ChildFill | ChildRejected):
            child = self.ledger.apply(event, self.progress.children)
            if child is None:
                return []
            out = self._after_child(child, event, view)
            if out is not None:
                return out
        elif not isinstance(event, Tick):
            return []
        return self._step(view)

    def _after_child(
        self, child: Child, event: ChildUpdate | ChildFill | ChildRejected, view: MarketView
    ) -> list[Action] | None:
        """Bookkeeping after a child event; a list when the algo is decided already."""
        self._update_progress()
        if self.ledger.filled >= self.qty:
            return self._finish(AlgoState.DONE, f"filled {self.ledger.filled} @ {self.progress.avg_price}")
        if child.tag == self.amending and not isinstance(event, ChildFill):
            self.amending = ""
        if isinstance(event, ChildRejected) and child.status == CLOSED:
            self.rejects += 1
            if self.rejects > self.max_rejects:
                return self._finish(AlgoState.FAILED, f"{self.rejects} rejections in a row: {child.reason}")
            self.last_send_ms = view.now_ms()
        elif isinstance(event, ChildUpdate) and child.status == OPEN:
            self.rejects = 0
        return None

    def _step(self, view: MarketView) -> list[Action]:
        inst = view.instrument(self.symbol)
        best = touch(view, self.symbol, self.side)
        if inst is None or best is None:
            self.progress.note = "waiting for a book"
            return self._wake(view.now_ms() + max(1, self.min_interval_ms))
        target = offset_price(best, self.side, self.offset_ticks, inst)
        if self.start_price is None:
            self.start_price = target
            self.progress.arrival_price = best
        if self._beyond(target):
            return self._at_limit(target)
        working = self.ledger.working()
        if not working:
            return self._replace(view, target, inst)
        return self._reprice(view, working[-1], target)

    def _replace(self, view: MarketView, target: Decimal, inst: Instrument) -> list[Action]:
        now = view.now_ms()
        if self.rejects and not self._interval_passed(now):
            return self._wake(self._next_allowed(now))
        left = self.qty - self.ledger.filled
        if left < inst.qty_step:
            return self._finish(AlgoState.DONE, f"filled {self.ledger.filled}; {left} left is below one step")
        child = self.ledger.new("chase", left, target)
        self.last_send_ms = now
        self.progress.note = f"chasing @ {target}"
        tif = TimeInForce.POST_ONLY if self.post_only else TimeInForce.GTC
        request = OrderRequest(
            symbol=self.symbol,
            side=self.side,
            qty=left,
            order_type=OrderType.LIMIT,
            price=target,
            time_in_force=tif,
            reduce_only=self.reduce_only,
            source=f"algo:{self.algo_id}",
        )
        return [Place(request, tag=child.tag)]

    def _reprice(self, view: MarketView, child: Child, target: Decimal) -> list[Action]:
        if child.status == PENDING or self.amending or child.price == target:
            return []
        now = view.now_ms()
        if not self._interval_passed(now):
            return self._wake(self._next_allowed(now))
        self.amending = child.tag
        self.last_send_ms = now
        self.progress.note = f"chasing @ {target}"
        return [Amend(child.cid, price=target)]

    # --- limits, timers, the end ----------------------------------------------------------------
    def limit_price(self) -> Decimal | None:
        """The furthest price the chase may go to (None: unbounded or not started)."""
        if self.start_price is None:
            return None
        if self.max_distance is not None:
            distance = self.max_distance
        elif self.max_distance_pct is not None:
            distance = self.start_price * self.max_distance_pct / HUNDRED
        else:
            return None
        return self.start_price + self.side.sign * distance

    def _beyond(self, price: Decimal) -> bool:
        limit = self.limit_price()
        return limit is not None and worse_than(price, limit, self.side)

    def _at_limit(self, target: Decimal) -> list[Action]:
        why = f"touch moved to {target}, beyond the maximum {self.limit_price()} (start {self.start_price})"
        if self.on_limit == "stop":
            return self._finish(AlgoState.DONE, f"stopped, order kept: {why}", cancel_children=False)
        return self._finish(AlgoState.CANCELLED, f"cancelled: {why}")

    def _interval_passed(self, now: int) -> bool:
        return self.last_send_ms is None or now - self.last_send_ms >= self.min_interval_ms

    def _next_allowed(self, now: int) -> int:
        return now if self.last_send_ms is None else self.last_send_ms + self.min_interval_ms

    def _wake(self, at_ms: int) -> list[Action]:
        if self.wake_ms == at_ms:
            return []
        self.wake_ms = at_ms
        return [WakeAt(at_ms)]

    def _update_progress(self) -> None:
        self.progress.filled = self.ledger.filled
        self.progress.avg_price = self.ledger.avg_price()

    def _finish(self, state: AlgoState, reason: str, *, cancel_children: bool = True) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason, cancel_children=cancel_children)]


def _validate(params: Mapping[str, Any]) -> None:
    """Check every parameter; ValueError names the first bad one."""
    if not isinstance(params.get("symbol"), str) or not params["symbol"]:
        raise ValueError(f"symbol: a non-empty symbol name is required, got {params.get('symbol')!r}")
    param_side(params)
    param_decimal(params, "qty")
    param_int(params, "offset_ticks", minimum=0, default=0)
    param_bool(params, "post_only", True)
    param_bool(params, "reduce_only", False)
    param_int(params, "min_interval_ms", minimum=0, default=DEFAULT_INTERVAL_MS)
    param_int(params, "max_rejects", minimum=0, default=DEFAULT_MAX_REJECTS)
    param_choice(params, "on_limit", ON_LIMIT, "stop")
    distance = param_optional_decimal(params, "max_distance")
    pct = param_optional_decimal(params, "max_distance_pct")
    if distance is not None and pct is not None:
        raise ValueError("max_distance, max_distance_pct: give one of them, not both")
    if pct is not None and pct >= HUNDRED:
        raise ValueError(f"max_distance_pct: a percentage below 100 is accepted, got {pct}")
