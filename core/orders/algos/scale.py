"""Scale / ladder: N limit orders across a price range, previewed exactly before sending.

Rules:

* Prices run from ``price_from`` to ``price_to`` (either may be the higher one) in ``count``
  levels, spaced ``linear`` (equal steps) or ``geometric`` (equal ratios).
* Sizes follow ``skew``: ``flat`` (equal), ``up`` (linearly growing from the first level to the
  last), ``down`` (shrinking), or ``exp`` (level i weighs ``skew_factor ** i``).
* ``randomize_price`` (0..1) moves each price by up to that fraction of half the gap to its
  neighbour; ``randomize_qty`` (0..1) scales each weight by up to +/- that fraction. Both draw
  from ``random.Random(seed)``; prices never leave the range.
* Prices snap to the tick never more aggressively than asked (buys down, sells up); sizes snap
  down to the qty step and the remainder goes to the heaviest level, so the children add up to
  the total rounded down to the step, never more.
* A child below the instrument's minimum quantity (or notional, unless reduce-only) is merged
  into its neighbour (``on_min="merge"``) or the whole ladder is refused (``"refuse"``) with a
  ValueError naming the level and the numbers.

:meth:`Scale.plan` is pure and returns every child exactly as :meth:`Scale.start` places them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.model import Instrument, OrderRequest, OrderStatus, OrderType, TimeInForce
from core.orders.algos import _common as c
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
)

SPACINGS = ("linear", "geometric")
SKEWS = ("flat", "up", "down", "exp")
ON_MIN = ("merge", "refuse")
MAX_CHILDREN = 100
"""More levels than this is a typo, not a ladder."""
_ONE = Decimal(1)
_TWO = Decimal(2)
_RAND_DIGITS = 12
"""Decimal places kept of a random draw (deterministic and exact in plain data)."""


@dataclass(frozen=True, slots=True)
class ScaleChild:
    """One level of the ladder as it will be sent."""

    tag: str
    price: Decimal
    qty: Decimal


def _draw(rng: random.Random) -> Decimal:
    """A uniform draw in [-1, 1] as a Decimal."""
    return Decimal(repr(round(rng.uniform(-1.0, 1.0), _RAND_DIGITS)))


class Scale(Algo):
    """A ladder of limit orders; done when every level is filled, cancelled or rejected."""

    kind = "scale"

    def __init__(self, algo_id: str, params: Mapping[str, Any]) -> None:
        symbol = str(params.get("symbol", ""))
        if not symbol:
            raise ValueError("symbol: required")
        super().__init__(algo_id, symbol)
        self.side = c.param_side(params)
        self.total_qty = c.param_decimal(params, "total_qty")
        self.price_from = c.param_decimal(params, "price_from")
        self.price_to = c.param_decimal(params, "price_to")
        self.count = c.param_int(params, "count", minimum=1)
        if self.count > MAX_CHILDREN:
            raise ValueError(f"count: must be <= {MAX_CHILDREN}, got {self.count}")
        self.spacing = c.param_choice(params, "spacing", SPACINGS, "linear")
        self.skew = c.param_choice(params, "skew", SKEWS, "flat")
        self.skew_factor = c.param_decimal(params, "skew_factor", default=Decimal("1.5"))
        self.randomize_price = self._fraction(params, "randomize_price")
        self.randomize_qty = self._fraction(params, "randomize_qty")
        self.seed = c.param_int(params, "seed", minimum=0, default=0)
        self.on_min = c.param_choice(params, "on_min", ON_MIN, "merge")
        self.reduce_only = c.param_bool(params, "reduce_only")
        self.post_only = c.param_bool(params, "post_only")
        self.planned: list[ScaleChild] = []
        self.terminal: dict[str, str] = {}
        """tag -> final status of each level that is over."""
        self.fills: dict[str, str] = {}
        """exec id -> qty of each fill counted (a repeated report is counted once)."""
        self.notional = c.ZERO

    @staticmethod
    def _fraction(params: Mapping[str, Any], name: str) -> Decimal:
        value = c.param_decimal(params, name, positive=False, default=c.ZERO)
        if value > _ONE:
            raise ValueError(f"{name}: must be between 0 and 1, got {value}")
        return value

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Scale:
        """Rebuild from :meth:`params`; ValueError names a bad parameter."""
        return cls(algo_id, params)

    def params(self) -> Mapping[str, Any]:
        """The parameters as plain data."""
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "total_qty": str(self.total_qty),
            "price_from": str(self.price_from),
            "price_to": str(self.price_to),
            "count": self.count,
            "spacing": self.spacing,
            "skew": self.skew,
            "skew_factor": str(self.skew_factor),
            "randomize_price": str(self.randomize_price),
            "randomize_qty": str(self.randomize_qty),
            "seed": self.seed,
            "on_min": self.on_min,
            "reduce_only": self.reduce_only,
            "post_only": self.post_only,
        }

    def describe(self) -> str:
        """``scale Buy 1 BTCUSDT 95000..96000 x10 linear/flat``."""
        return (
            f"scale {self.side.value} {self.total_qty} {self.symbol} {self.price_from}..{self.price_to}"
            f" x{self.count} {self.spacing}/{self.skew}"
        )

    # --- the plan -----------------------------------------------------------------------------
    def plan(self, inst: Instrument) -> list[ScaleChild]:
        """Every child exactly as it will be sent (pure: the same answer every call).

        Raises ValueError when the ladder cannot be built within the instrument's limits.
        """
        rng = random.Random(self.seed)
        prices = self._prices(inst, rng)
        qtys = self._qtys(inst, rng)
        levels = [[p, q] for p, q in zip(prices, qtys, strict=True) if q > 0]
        levels = self._apply_minimums(levels, inst)
        return [ScaleChild(f"L{i + 1}", p, q) for i, (p, q) in enumerate(levels)]

    def _raw_prices(self) -> list[Decimal]:
        if self.count == 1:
            return [self.price_from]
        span = self.count - 1
        if self.spacing == "linear":
            gap = (self.price_to - self.price_from) / span
            return [self.price_from + gap * i for i in range(self.count)]
        ratio = self.price_to / self.price_from
        return [self.price_from * ratio ** (Decimal(i) / span) for i in range(self.count)]

    def _prices(self, inst: Instrument, rng: random.Random) -> list[Decimal]:
        raw = self._raw_prices()
        lo, hi = min(self.price_from, self.price_to), max(self.price_from, self.price_to)
        out: list[Decimal] = []
        for i, price in enumerate(raw):
            if self.randomize_price > 0 and len(raw) > 1:
                gap = abs(raw[1] - raw[0]) if i == 0 else abs(price - raw[i - 1])
                price += _draw(rng) * self.randomize_price * gap / _TWO
            price = min(max(price, lo), hi)
            snapped = c.snap_passive(price, inst.tick_size, self.side)
            if snapped > hi:
                snapped = c.snap_down(hi, inst.tick_size)
            if snapped < lo:
                snapped = c.snap_up(lo, inst.tick_size)
            if snapped <= 0:
                raise ValueError(f"price_from/price_to: level {i + 1} snaps to {snapped}, not a price")
            out.append(snapped)
        return out

    def _weights(self, rng: random.Random) -> list[Decimal]:
        n = self.count
        if self.skew == "flat":
            weights = [_ONE] * n
        elif self.skew == "up":
            weights = [Decimal(i + 1) for i in range(n)]
        elif self.skew == "down":
            weights = [Decimal(n - i) for i in range(n)]
        else:
            weights = [self.skew_factor**i for i in range(n)]
        if self.randomize_qty > 0:
            weights = [w * (_ONE + _draw(rng) * self.randomize_qty) for w in weights]
        return weights

    def _qtys(self, inst: Instrument, rng: random.Random) -> list[Decimal]:
        weights = self._weights(rng)
        total = c.snap_down(self.total_qty, inst.qty_step)
        if total <= 0:
            raise ValueError(f"total_qty: {self.total_qty} is below the qty step {inst.qty_step}")
        wsum = sum(weights, c.ZERO)
        qtys = [c.snap_down(total * w / wsum, inst.qty_step) for w in weights]
        heaviest = max(range(len(weights)), key=lambda i: (weights[i], i))
        qtys[heaviest] += total - sum(qtys, c.ZERO)
        return qtys

    def _too_small(self, price: Decimal, qty: Decimal, inst: Instrument) -> str:
        if qty < inst.min_order_qty:
            return f"qty {qty} < min qty {inst.min_order_qty}"
        if not self.reduce_only and qty * price < inst.min_notional:
            return f"notional {qty * price} < min notional {inst.min_notional}"
        return ""

    def _apply_minimums(self, levels: list[list[Decimal]], inst: Instrument) -> list[list[Decimal]]:
        while True:
            small = [i for i, (p, q) in enumerate(levels) if self._too_small(p, q, inst)]
            if not small:
                break
            i = small[0]
            why = self._too_small(levels[i][0], levels[i][1], inst)
            if self.on_min == "refuse" or len(levels) == 1:
                raise ValueError(f"scale level {i + 1} at {levels[i][0]}: {why} (instrument {inst.symbol})")
            into = i - 1 if i > 0 else i + 1
            levels[into][1] += levels[i][1]
            del levels[i]
        for i, (_, q) in enumerate(levels):
            if q > inst.max_order_qty:
                raise ValueError(f"scale level {i + 1}: qty {q} > max qty {inst.max_order_qty}")
        return levels

    # --- running ------------------------------------------------------------------------------
    def start(self, view: MarketView) -> list[Action]:
        """Place exactly the planned children (or fail with the planning error)."""
        inst = view.instrument(self.symbol)
        if inst is None:
            return self._finish(AlgoState.FAILED, f"no instrument {self.symbol}")
        try:
            self.planned = self.plan(inst)
        except ValueError as exc:
            return self._finish(AlgoState.FAILED, str(exc))
        self.status = AlgoState.RUNNING
        self.progress.total = sum((ch.qty for ch in self.planned), c.ZERO)
        self.progress.arrival_price = c.touch(view, self.symbol, self.side)
        self.progress.note = f"0/{len(self.planned)} levels done"
        tif = TimeInForce.POST_ONLY if self.post_only else TimeInForce.GTC
        return [
            Place(
                OrderRequest(
                    symbol=self.symbol,
                    side=self.side,
                    qty=ch.qty,
                    order_type=OrderType.LIMIT,
                    price=ch.price,
                    time_in_force=tif,
                    reduce_only=self.reduce_only,
                    source=f"algo:{self.algo_id}",
                ),
                tag=ch.tag,
            )
            for ch in self.planned
        ]

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Count fills, note levels that are over, finish when every level is over."""
        if self.status.terminal:
            return []
        tag = None
        if isinstance(event, ChildUpdate | ChildFill | ChildRejected):
            tag = c.tag_of(self.progress, event.child_id)
        if tag is None:
            return []
        if isinstance(event, ChildFill):
            self._on_fill(event)
        elif isinstance(event, ChildRejected):
            self.terminal[tag] = f"rejected ({event.check}: {event.reason})"
        elif isinstance(event, ChildUpdate) and not event.order.is_open:
            self.terminal[tag] = event.order.status.value
        return self._check_done()

    def _on_fill(self, event: ChildFill) -> None:
        fill = event.fill
        if fill.exec_id in self.fills:
            return
        self.fills[fill.exec_id] = str(fill.qty)
        self.progress.filled += fill.qty
        self.notional += fill.qty * fill.price
        self.progress.avg_price = self.notional / self.progress.filled

    def _check_done(self) -> list[Action]:
        done = len(self.terminal)
        self.progress.note = f"{done}/{len(self.planned)} levels done"
        if self.status is AlgoState.PAUSED or done < len(self.planned):
            return []
        filled = sum(1 for s in self.terminal.values() if s == OrderStatus.FILLED.value)
        reason = f"{filled}/{len(self.planned)} levels filled, {self.progress.filled}/{self.progress.total}"
        if (
            self.progress.filled == 0
            and filled == 0
            and any(s.startswith("rejected") for s in self.terminal.values())
        ):
            return self._finish(AlgoState.FAILED, reason)
        return self._finish(AlgoState.DONE, reason)

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]

    def on_pause(self, view: MarketView) -> list[Action]:
        """Leave the ladder resting (its levels are the plan); only decisions stop."""
        self.status = AlgoState.PAUSED
        return []

    def on_resume(self, view: MarketView) -> list[Action]:
        """Carry on; finish now if every level ended while paused."""
        self.status = AlgoState.RUNNING
        return self._check_done()

    # --- state --------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Plan, levels that are over, counted fills and progress, as plain data."""
        return {
            "status": self.status.value,
            "planned": [[ch.tag, str(ch.price), str(ch.qty)] for ch in self.planned],
            "terminal": dict(self.terminal),
            "fills": dict(self.fills),
            "notional": str(self.notional),
            "progress": c.progress_state(self.progress),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.planned = [ScaleChild(t, Decimal(p), Decimal(q)) for t, p, q in state["planned"]]
        self.terminal = {str(k): str(v) for k, v in dict(state["terminal"]).items()}
        self.fills = {str(k): str(v) for k, v in dict(state["fills"]).items()}
        self.notional = Decimal(str(state["notional"]))
        self.progress = c.restore_progress(state["progress"])
