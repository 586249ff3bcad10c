"""TWAP: a total quantity worked in ``slices`` slices over ``duration_ms``.

Rules:

* the schedule is fixed at start: slice ``k`` is due at ``start + k * interval`` moved by up to
  ``time_jitter_pct`` percent of the interval (never before the previous slice, never after the
  end), and is ``qty / slices`` moved by up to ``size_jitter_pct`` percent (mean-zero draws, so
  the slices still add up); every slice is on the quantity step and the last one takes the
  remainder, so the slices sum to ``qty`` exactly. Draws come from ``random.Random(seed)``;
* catch-up: what earlier slices did not fill (rejected, IOC leftovers, maker leftovers) is added
  to the next slice, but no slice is ever larger than ``max_catch_up`` x the base slice (the
  excess waits for the slices after it);
* ``mode="taker"``: each slice is an IOC limit at ``limit_price`` when a guard is set, else a
  market order. ``mode="maker"``: each slice is a post-only at the touch, re-priced as the touch
  moves (at most every ``min_interval_ms``) and never beyond ``limit_price``; a post-only the
  venue cancels is placed again within its slice; when the next slice is due the child is
  cancelled and its unfilled rest is either carried into the next slice (``leftover="carry"``)
  or taken at once as a taker child (``leftover="take"``);
* a child the runner could not send is not retried within its slice: its qty goes to the next;
* at ``start + duration_ms`` working children are cancelled; what is still unfilled is sent as
  one taker child (``on_timeout="market"``) or left (``"stop"``);
* done when ``qty`` is filled.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce
from core.orders.algos._children import CLOSED, OPEN, PENDING, Child, ChildLedger, snap_qty, worse_than
from core.orders.algos._common import (
    dec_or_none,
    param_decimal,
    param_side,
    progress_state,
    restore_progress,
    restore_rng,
    rng_state,
    snap_passive,
    touch,
)
from core.orders.algos._twap_limits import normalised_params, validate_params
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
    WakeAt,
)

HUNDRED = Decimal(100)
DRAW_SCALE = 10_000
"""Random draws are whole numbers in [-DRAW_SCALE, DRAW_SCALE], scaled to [-1, 1]."""
TWO = Decimal(2)

RUNNING, CLOSING, FINAL = "running", "closing", "final"


class Twap(Algo):
    """Works ``qty`` in slices over ``duration_ms`` (see the module rules)."""

    kind = "twap"

    def __init__(self, algo_id: str, params: Mapping[str, Any]) -> None:
        validate_params(params)
        symbol = str(params["symbol"])
        super().__init__(algo_id, symbol)
        self._params = normalised_params(params)
        p = self._params
        self.side = param_side(p)
        self.qty = param_decimal(p, "qty")
        self.duration_ms = int(p["duration_ms"])
        self.slices = int(p["slices"])
        self.size_jitter = Decimal(p["size_jitter_pct"]) / HUNDRED
        self.time_jitter = Decimal(p["time_jitter_pct"]) / HUNDRED
        self.limit_price = dec_or_none(p["limit_price"])
        self.mode = str(p["mode"])
        self.leftover = str(p["leftover"])
        self.max_catch_up = Decimal(p["max_catch_up"])
        self.on_timeout = str(p["on_timeout"])
        self.reduce_only = bool(p["reduce_only"])
        self.min_interval_ms = int(p["min_interval_ms"])
        self.rng = random.Random(int(p["seed"]))
        self._rng_data: list[Any] | None = None
        """The generator's state as plain data, kept until the next draw (it only draws at start)."""
        self.ledger = ChildLedger()
        self.schedule: list[tuple[int, Decimal]] = []
        self.start_ms = 0
        self.base = Decimal(0)
        self.released = 0
        self.failed_slice = -1
        self.phase = RUNNING
        self.cancelling: list[str] = []
        self.amending = ""
        self.last_amend_ms: int | None = None
        self.wake_ms: int | None = None
        self.progress.total = self.qty

    # --- construction and state -------------------------------------------------------------
    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Twap:
        """Build from :meth:`params`; ValueError names a bad parameter."""
        return cls(algo_id, params)

    def params(self) -> Mapping[str, Any]:
        """The parameters, JSON-able (defaults filled in)."""
        return dict(self._params)

    def state(self) -> dict[str, Any]:
        """Everything needed to carry on, JSON-able (schedule and generator included)."""
        return {
            "status": self.status.value,
            "progress": progress_state(self.progress),
            "ledger": self.ledger.to_json(),
            "rng": self._rng_state(),
            "schedule": [[at, str(q)] for at, q in self.schedule],
            "start_ms": self.start_ms,
            "base": str(self.base),
            "released": self.released,
            "failed_slice": self.failed_slice,
            "phase": self.phase,
            "cancelling": list(self.cancelling),
            "amending": self.amending,
            "last_amend_ms": self.last_amend_ms,
            "wake_ms": self.wake_ms,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.progress = restore_progress(state["progress"])
        self.ledger.restore(state["ledger"])
        self.rng = restore_rng(state["rng"])
        self._rng_data = None
        self.schedule = [(int(at), Decimal(q)) for at, q in state["schedule"]]
        self.start_ms = int(state["start_ms"])
        self.base = Decimal(state["base"])
        self.released = int(state["released"])
        self.failed_slice = int(state["failed_slice"])
        self.phase = str(state["phase"])
        self.cancelling = [str(t) for t in state["cancelling"]]
        self.amending = str(state["amending"])
        self.last_amend_ms = state["last_amend_ms"]
        self.wake_ms = state["wake_ms"]

    def describe(self) -> str:
        """``twap Buy 2 BTCUSDT over 1800s in 10``."""
        over = f"over {self.duration_ms // 1000}s in {self.slices}"
        return f"twap {self.side.value} {self.qty} {self.symbol} {over}"

    @property
    def end_ms(self) -> int:
        """When the schedule ends and the timeout rule applies."""
        return self.start_ms + self.duration_ms

    # --- schedule -----------------------------------------------------------------------------
    def tick_reads(self) -> tuple[Read, ...]:
        """Its side of the touch and the instrument (the clock only through its timers); only the
        instrument while the touch cannot matter: taker mode, or no child working and the slice
        released so far done (the next slice comes on its timer)."""
        if self.mode == "taker" or (not self.ledger.working() and self._slice_done()):
            return (Read.INSTRUMENT,)
        return (Read.BID if self.side is Side.BUY else Read.ASK, Read.INSTRUMENT)

    def _slice_done(self) -> bool:
        """Nothing of the released slices is left to place (so a maker tick places nothing)."""
        if self.released == 0 or self.failed_slice == self.released:
            return True
        return self.planned_through(self.released) - self.ledger.filled <= 0

    def start(self, view: MarketView) -> list[Action]:
        """Fix the schedule and release the first slice."""
        self.status = AlgoState.RUNNING
        inst = view.instrument(self.symbol)
        if inst is None:
            return self._finish(AlgoState.FAILED, f"no instrument {self.symbol}")
        self.start_ms = view.now_ms()
        self.progress.arrival_price = _arrival(view, self.symbol)
        self.schedule = self._make_schedule(inst)
        return self._step(view)

    def _rng_state(self) -> list[Any]:
        if self._rng_data is None:
            self._rng_data = rng_state(self.rng)
        return self._rng_data

    def _draw(self) -> Decimal:
        self._rng_data = None
        return Decimal(self.rng.randint(-DRAW_SCALE, DRAW_SCALE)) / DRAW_SCALE

    def _make_schedule(self, inst: Instrument) -> list[tuple[int, Decimal]]:
        n = self.slices
        self.base = snap_qty(self.qty / n, inst)
        draws = [self._draw() for _ in range(n)]
        mean = sum(draws, Decimal(0)) / n
        sizes = [
            max(Decimal(0), snap_qty(self.base * (1 + self.size_jitter * (d - mean)), inst)) for d in draws
        ]
        sizes[-1] = self.qty - sum(sizes[:-1], Decimal(0))
        interval = self.duration_ms // n
        times = [self.start_ms]
        for k in range(1, n):
            shift = int(self._draw() * self.time_jitter * interval)
            at = self.start_ms + k * interval + shift
            times.append(min(max(at, times[-1]), self.end_ms - 1))
        return list(zip(times, sizes, strict=True))

    def planned_through(self, k: int) -> Decimal:
        """Quantity the first ``k`` slices plan in total."""
        return sum((q for _, q in self.schedule[:k]), Decimal(0))

    # --- events -------------------------------------------------------------------------------
    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Book the event, then decide."""
        if self.status.terminal:
            return []
        if isinstance(event, ChildUpdate | ChildFill | ChildRejected):
            child = self.ledger.apply(event, self.progress.children)
            if child is None:
                return []
            self._after_child(child, event)
        elif not isinstance(event, Tick):
            return []
        return self._step(view)

    def _after_child(self, child: Child, event: ChildUpdate | ChildFill | ChildRejected) -> None:
        self.progress.filled = self.ledger.filled
        self.progress.avg_price = self.ledger.avg_price()
        if child.tag == self.amending and not isinstance(event, ChildFill):
            self.amending = ""
        if child.status == CLOSED and child.tag in self.cancelling:
            self.cancelling.remove(child.tag)
        if isinstance(event, ChildRejected) and child.status == CLOSED:
            self.failed_slice = self.released

    def _step(self, view: MarketView) -> list[Action]:
        inst = view.instrument(self.symbol)
        if self.ledger.filled >= self.qty:
            return self._finish(AlgoState.DONE, f"filled {self.ledger.filled} @ {self.progress.avg_price}")
        if inst is None:
            return []
        now = view.now_ms()
        if now >= self.end_ms or self.phase != RUNNING:
            return self._timeout(inst)
        due = sum(1 for at, _ in self.schedule if at <= now)
        if due > self.released:
            out = self._cancel_working()
            if not out and not self.ledger.working():
                out = self._release(due, view, inst)
        elif self.mode == "maker":
            out = self._maker_tend(view, inst)
        else:
            out = []
        return out + self._next_wake(now)

    # --- slices -------------------------------------------------------------------------------
    def _release(self, due: int, view: MarketView, inst: Instrument) -> list[Action]:
        """Release slices up to ``due``: catch-up included, bounded by ``max_catch_up``."""
        prior = self.planned_through(self.released)
        self.released = due
        self.progress.note = f"slice {due}/{self.slices}"
        planned = self.planned_through(due) - prior
        shortfall = max(Decimal(0), prior - self.ledger.filled)
        bound = max(planned, self.max_catch_up * self.base)
        total = snap_qty(min(planned + shortfall, bound, self.qty - self.ledger.filled), inst)
        if self.mode == "taker":
            return self._taker(total, f"slice{due}")
        out: list[Action] = []
        maker_qty = total
        if self.leftover == "take" and shortfall > 0:
            taken = snap_qty(min(shortfall, total), inst)
            out += self._taker(taken, f"rest{due}")
            maker_qty = total - taken
        return out + self._maker(maker_qty, view, inst)

    def _maker_tend(self, view: MarketView, inst: Instrument) -> list[Action]:
        """Within a maker slice: re-price the child, or place again what the venue cancelled."""
        working = self.ledger.working()
        if not working:
            if self.failed_slice == self.released or self.released == 0:
                return []
            want = self.planned_through(self.released) - self.ledger.filled
            bound = max(self.schedule[self.released - 1][1], self.max_catch_up * self.base)
            return self._maker(snap_qty(min(want, bound), inst), view, inst)
        child = working[-1]
        target = self._maker_price(view, inst)
        if child.status != OPEN or self.amending or target is None or target == child.price:
            return []
        now = view.now_ms()
        if self.last_amend_ms is not None and now - self.last_amend_ms < self.min_interval_ms:
            return self._wake(self.last_amend_ms + self.min_interval_ms)
        self.amending = child.tag
        self.last_amend_ms = now
        return [Amend(child.cid, price=target)]

    def _maker_price(self, view: MarketView, inst: Instrument) -> Decimal | None:
        best = touch(view, self.symbol, self.side)
        if best is None:
            return self.limit_price
        if self.limit_price is not None and worse_than(best, self.limit_price, self.side):
            return snap_passive(self.limit_price, inst.tick_size, self.side)
        return best

    def _maker(self, qty: Decimal, view: MarketView, inst: Instrument) -> list[Action]:
        price = self._maker_price(view, inst)
        if qty <= 0 or price is None:
            return []
        return self._place(f"slice{self.released}", qty, price, TimeInForce.POST_ONLY)

    def _taker(self, qty: Decimal, prefix: str) -> list[Action]:
        if qty <= 0:
            return []
        if self.limit_price is None:
            return self._place(prefix, qty, None, TimeInForce.IOC)
        return self._place(prefix, qty, self.limit_price, TimeInForce.IOC)

    def _place(self, prefix: str, qty: Decimal, price: Decimal | None, tif: TimeInForce) -> list[Action]:
        child = self.ledger.new(prefix, qty, price)
        request = OrderRequest(
            symbol=self.symbol,
            side=self.side,
            qty=qty,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            price=price,
            time_in_force=tif,
            reduce_only=self.reduce_only,
            source=f"algo:{self.algo_id}",
        )
        return [Place(request, tag=child.tag)]

    # --- the end ------------------------------------------------------------------------------
    def _cancel_working(self) -> list[Action]:
        out: list[Action] = []
        for child in self.ledger.working():
            if child.status != PENDING and child.tag not in self.cancelling:
                self.cancelling.append(child.tag)
                out.append(Cancel(child.cid))
        return out

    def _timeout(self, inst: Instrument) -> list[Action]:
        if self.phase == RUNNING:
            self.phase = CLOSING
            self.progress.note = "timeout: closing"
        out = self._cancel_working()
        if out or self.ledger.working():
            return out
        left = snap_qty(self.qty - self.ledger.filled, inst)
        filled = f"filled {self.ledger.filled} of {self.qty}"
        if self.phase == FINAL or left <= 0:
            state = AlgoState.DONE if left <= 0 else AlgoState.FAILED
            return self._finish(state, f"timeout: {filled} after the final order")
        if self.on_timeout == "stop":
            return self._finish(AlgoState.DONE, f"timeout: stopped, {filled}")
        self.phase = FINAL
        self.progress.note = f"timeout: {left} at market"
        return self._taker(left, "final")

    def _next_wake(self, now: int) -> list[Action]:
        upcoming = [at for at, _ in self.schedule[self.released :] if at > now]
        return self._wake(min([*upcoming, self.end_ms]))

    def _wake(self, at_ms: int) -> list[Action]:
        if self.wake_ms == at_ms:
            return []
        self.wake_ms = at_ms
        return [WakeAt(at_ms)]

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]


def _arrival(view: MarketView, symbol: str) -> Decimal | None:
    bid, ask = view.best_bid(symbol), view.best_ask(symbol)
    if bid is not None and ask is not None:
        return (bid + ask) / TWO
    return view.price(symbol)
