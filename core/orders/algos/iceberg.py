"""Iceberg: a large order shown a clip at a time.

Rules:

* one child limit at ``price`` works at a time, for at most ``display`` (the clip); a new clip is
  placed only when the previous child is fully filled or closed, so the quantity visible on the
  book never exceeds ``display``;
* ``display_jitter_pct`` (0-50) shrinks each clip by a random 0..pct percent drawn from
  ``random.Random(seed)`` (the generator's state is part of :meth:`Iceberg.state`); a clip is
  never below one quantity step nor below the venue's minimum, and a remainder that would leave
  less than the minimum is taken whole when it fits in ``display``;
* ``post_only`` and ``reduce_only`` pass to every child;
* a child the venue closes unfilled is replaced by a new clip; a child the runner could not send
  is tried again at the next tick, at most ``max_rejects`` times in a row (then FAILED);
* done when ``qty`` is filled.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.model import Instrument, OrderRequest, OrderType, Side, TimeInForce
from core.orders.algos._children import CLOSED, OPEN, ChildLedger, snap_qty
from core.orders.algos._common import (
    param_bool,
    param_decimal,
    param_int,
    param_side,
    progress_state,
    restore_progress,
    restore_rng,
    rng_state,
)
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    MarketView,
    Place,
    Read,
    Tick,
)

MAX_JITTER_PCT = Decimal(50)
HUNDRED = Decimal(100)
DEFAULT_MAX_REJECTS = 5


class Iceberg(Algo):
    """Works ``qty`` at ``price`` showing at most ``display`` at a time (see the module rules)."""

    kind = "iceberg"

    def __init__(
        self,
        algo_id: str,
        symbol: str,
        side: Side,
        qty: Decimal,
        price: Decimal,
        display: Decimal,
        *,
        display_jitter_pct: Decimal = Decimal(0),
        seed: int = 0,
        post_only: bool = False,
        reduce_only: bool = False,
        max_rejects: int = DEFAULT_MAX_REJECTS,
    ) -> None:
        super().__init__(algo_id, symbol)
        self._params: dict[str, Any] = {
            "symbol": symbol,
            "side": side.value,
            "qty": str(qty),
            "price": str(price),
            "display": str(display),
            "display_jitter_pct": str(display_jitter_pct),
            "seed": seed,
            "post_only": post_only,
            "reduce_only": reduce_only,
            "max_rejects": max_rejects,
        }
        _validate(self._params)
        self.side = side
        self.qty = qty
        self.price = price
        self.display = display
        self.jitter_pct = display_jitter_pct
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.max_rejects = max_rejects
        self.rng = random.Random(seed)
        self.ledger = ChildLedger()
        self.rejects = 0
        self.progress.total = qty

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Iceberg:
        """Build from :meth:`params`; ValueError names a bad parameter."""
        _validate(params)
        return cls(
            algo_id,
            str(params["symbol"]),
            param_side(params),
            param_decimal(params, "qty"),
            param_decimal(params, "price"),
            param_decimal(params, "display"),
            display_jitter_pct=param_decimal(
                params, "display_jitter_pct", positive=False, default=Decimal(0)
            ),
            seed=param_int(params, "seed", minimum=0, default=0),
            post_only=param_bool(params, "post_only", False),
            reduce_only=param_bool(params, "reduce_only", False),
            max_rejects=param_int(params, "max_rejects", minimum=0, default=DEFAULT_MAX_REJECTS),
        )

    def params(self) -> Mapping[str, Any]:
        """The parameters, JSON-able."""
        return dict(self._params)

    def state(self) -> dict[str, Any]:
        """Everything needed to carry on, JSON-able (the generator included)."""
        return {
            "status": self.status.value,
            "progress": progress_state(self.progress),
            "ledger": self.ledger.to_json(),
            "rng": rng_state(self.rng),
            "rejects": self.rejects,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.progress = restore_progress(state["progress"])
        self.ledger.restore(state["ledger"])
        self.rng = restore_rng(state["rng"])
        self.rejects = int(state["rejects"])

    def describe(self) -> str:
        """``iceberg Buy 5 BTCUSDT @ 95000 show 0.5``."""
        return f"iceberg {self.side.value} {self.qty} {self.symbol} @ {self.price} show {self.display}"

    def visible_qty(self) -> Decimal:
        """What the algo may have on the book now (children asked for or open, unfilled part)."""
        return self.ledger.working_qty

    # --- decisions ------------------------------------------------------------------------------
    def tick_reads(self) -> tuple[Read, ...]:
        """A tick reads only the instrument (the next clip depends on its own children, which
        change by events): a tick that finds it unchanged is skipped."""
        return (Read.INSTRUMENT,)

    def start(self, view: MarketView) -> list[Action]:
        """Place the first clip."""
        self.status = AlgoState.RUNNING
        self.progress.arrival_price = view.price(self.symbol)
        inst = view.instrument(self.symbol)
        if inst is None:
            return self._finish(AlgoState.FAILED, f"no instrument {self.symbol}")
        if snap_qty(self.display, inst) < max(inst.qty_step, inst.min_order_qty):
            return self._finish(AlgoState.FAILED, f"display {self.display} is below one order's minimum")
        return self._next_clip(inst)

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Book the event; place the next clip when nothing works."""
        if self.status.terminal:
            return []
        if isinstance(event, ChildUpdate | ChildFill | ChildRejected):
            child = self.ledger.apply(event, self.progress.children)
            if child is None:
                return []
            self.progress.filled = self.ledger.filled
            self.progress.avg_price = self.ledger.avg_price()
            if isinstance(event, ChildRejected) and child.status == CLOSED:
                self.rejects += 1
                if self.rejects > self.max_rejects:
                    return self._finish(
                        AlgoState.FAILED, f"{self.rejects} rejections in a row: {child.reason}"
                    )
                return []
            if child.status == OPEN or isinstance(event, ChildFill):
                self.rejects = 0
        elif not isinstance(event, Tick):
            return []
        inst = view.instrument(self.symbol)
        if inst is None:
            return []
        return self._next_clip(inst)

    def _next_clip(self, inst: Instrument) -> list[Action]:
        left = self.qty - self.ledger.filled
        if left <= 0 or left < inst.qty_step:
            return self._finish(AlgoState.DONE, f"filled {self.ledger.filled} @ {self.progress.avg_price}")
        if self.ledger.working():
            return []
        clip = self._clip_size(left, inst)
        child = self.ledger.new("clip", clip, self.price)
        self.progress.note = f"clip {self.ledger.seq}: {clip} @ {self.price}"
        request = OrderRequest(
            symbol=self.symbol,
            side=self.side,
            qty=clip,
            order_type=OrderType.LIMIT,
            price=self.price,
            time_in_force=TimeInForce.POST_ONLY if self.post_only else TimeInForce.GTC,
            reduce_only=self.reduce_only,
            source=f"algo:{self.algo_id}",
        )
        return [Place(request, tag=child.tag)]

    def _clip_size(self, left: Decimal, inst: Instrument) -> Decimal:
        """The next clip: ``display`` less a random share, on the step grid, within the bounds."""
        floor = max(inst.qty_step, inst.min_order_qty)
        shown = snap_qty(self.display, inst)
        if self.jitter_pct > 0:
            share = Decimal(self.rng.randint(0, int(self.jitter_pct * HUNDRED))) / (HUNDRED * HUNDRED)
            shown = max(floor, snap_qty(self.display * (1 - share), inst))
        clip = min(shown, snap_qty(left, inst))
        rest = left - clip
        if 0 < rest < floor and left <= self.display:
            clip = snap_qty(left, inst)
        return clip

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]


def _validate(params: Mapping[str, Any]) -> None:
    """Check every parameter; ValueError names the first bad one."""
    if not isinstance(params.get("symbol"), str) or not params["symbol"]:
        raise ValueError(f"symbol: a non-empty symbol name is required, got {params.get('symbol')!r}")
    param_side(params)
    qty = param_decimal(params, "qty")
    param_decimal(params, "price")
    display = param_decimal(params, "display")
    if display > qty:
        raise ValueError(f"display: at most qty ({qty}) is accepted, got {display}")
    jitter = param_decimal(params, "display_jitter_pct", positive=False, default=Decimal(0))
    if jitter > MAX_JITTER_PCT:
        raise ValueError(f"display_jitter_pct: 0 to {MAX_JITTER_PCT} is accepted, got {jitter}")
    param_int(params, "seed", minimum=0, default=0)
    param_bool(params, "post_only", False)
    param_bool(params, "reduce_only", False)
    param_int(params, "max_rejects", minimum=0, default=DEFAULT_MAX_REJECTS)
