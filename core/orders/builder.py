"""OrderBuilder: an ``OrderRequest`` + ``Instrument`` -> :class:`BuiltOrder` or :class:`BuildError`.

Pure and synchronous. Every order the engine sends goes through here first (DESIGN §2.2).

Rules, in the order they are applied (the first broken one raises :class:`BuildError` with the
check name and the numbers):

* ``symbol`` / ``instrument_status``: the request is for this instrument and it is ``Trading``.
* ``order_link_id``: the given client order id (or a fresh one) satisfies the venue's rule
  (:class:`~core.orders.ids.ClientIdRule`; by default the strictest common one).
* ``time_in_force``: Market orders cannot be PostOnly; a Market GTC is sent as IOC (Bybit runs
  every market order as IOC). Limit orders keep what was asked.
* ``price``: a Limit order needs a positive price. It is snapped to ``tick_size`` never more
  aggressively than asked: buys round down, sells round up. A price on a Market order is
  ignored (Bybit ignores it too). ``price_range``: within the instrument's min/max price.
* ``trigger``: a trigger price makes the order conditional. ``triggerDirection`` follows from
  the trigger versus the current (reference) price: above -> 1 (rises to), below -> 2 (falls
  to); equal is refused, and a direction given in the request must agree. The trigger is snapped
  away from the current price (rising: up, falling: down) so it never fires earlier than asked.
* ``qty``: base quantity (contracts), or quote (USDT) converted at the execution price (the
  limit price, else the trigger price, else the reference price), rounded *down* to
  ``qty_step``. ``min_qty`` / ``max_qty``: ``min_order_qty`` and ``max_order_qty``
  (``max_mkt_order_qty`` for Market orders).
* ``min_notional``: qty x execution price >= ``min_notional``. Reduce-only orders are exempt by
  default so that dust positions can always be closed (``reduce_only_min_notional=True`` turns
  the check on for them too).
* ``reduce_only``: no TP/SL on a reduce-only order (Bybit refuses it).
* ``take_profit`` / ``stop_loss``: snapped to the nearest tick, inside the price range and on
  the right side of the entry (buy: SL < entry < TP; sell: TP < entry < SL).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from core.model import FALLING, RISING, Instrument, OrderRequest, OrderType, Side, TimeInForce
from core.orders.built import BuildError, BuiltOrder, fmt_decimal
from core.orders.ids import STRICTEST, ClientIdRule, SeededIds, new_client_order_id, new_order_link_id
from core.orders.tick_rules import limit_rounding, snap, trigger_rounding

__all__ = ["BuildError", "BuiltOrder", "OrderBuilder", "QtyUnit", "new_order_link_id", "snap"]

_ZERO = Decimal(0)


class QtyUnit(StrEnum):
    """What ``OrderRequest.qty`` is measured in."""

    BASE = "base"
    """Contracts (base coin), as Bybit wants it for linear perps."""
    QUOTE = "quote"
    """Quote coin (USDT) value, converted to contracts by the builder."""


def _typed_qty(typed: Decimal, qty: Decimal, qd: int) -> str:
    """``0.0005 (rounds down to 0.000)``: the quantity as typed, and what the step made of it."""
    if typed == qty:
        return _n(qty, qd)
    return f"{typed.normalize():f} (rounds down to {_n(qty, qd)})"


def _n(value: Decimal, decimals: int) -> str:
    return fmt_decimal(value, decimals)


class OrderBuilder:
    """Turns requests into exchange-valid orders or refuses them with a reason.

    ``build`` raises :class:`BuildError`; ``try_build`` returns it instead. Stateless apart
    from its options, so one instance can serve every caller.
    """

    __slots__ = ("client_ids", "id_clock", "id_draws", "link_id_prefix", "reduce_only_min_notional")

    def __init__(
        self,
        *,
        link_id_prefix: str = "tc",
        reduce_only_min_notional: bool = False,
        client_ids: ClientIdRule = STRICTEST,
    ) -> None:
        self.link_id_prefix = link_id_prefix
        self.reduce_only_min_notional = reduce_only_min_notional
        self.client_ids = client_ids
        """The venue's client order id rule (``ClientIdRule.of(venue.capabilities)``)."""
        self.id_clock: Callable[[], int] | None = None
        """The clock the ids' time stamps read (None: the wall clock)."""
        self.id_draws: SeededIds | None = None
        """The ids' sequence and tails (None: the process's counter and the system's randomness)."""

    def seed_ids(self, seed: int, now_ms: Callable[[], int]) -> None:
        """Make ids from ``seed`` and ``now_ms`` alone (a backtest: the same run, the same ids)."""
        self.id_clock, self.id_draws = now_ms, SeededIds(seed)

    def new_client_order_id(self) -> str:
        """A fresh client order id the venue accepts."""
        now_ms = self.id_clock() if self.id_clock is not None else None
        return new_client_order_id(self.link_id_prefix, now_ms, self.client_ids, draws=self.id_draws)

    def try_build(
        self,
        request: OrderRequest,
        instrument: Instrument,
        *,
        ref_price: Decimal | None = None,
        order_link_id: str | None = None,
        qty_unit: QtyUnit = QtyUnit.BASE,
    ) -> BuiltOrder | BuildError:
        """Like :meth:`build`, but returns the :class:`BuildError` instead of raising it."""
        try:
            return self.build(
                request, instrument, ref_price=ref_price, order_link_id=order_link_id, qty_unit=qty_unit
            )
        except BuildError as exc:
            return exc

    def build(
        self,
        request: OrderRequest,
        instrument: Instrument,
        *,
        ref_price: Decimal | None = None,
        order_link_id: str | None = None,
        qty_unit: QtyUnit = QtyUnit.BASE,
    ) -> BuiltOrder:
        """Validate and snap ``request`` to ``instrument``'s filters.

        ``ref_price`` is the current reference price (mark or last): required for Market orders,
        trigger orders and quote-quantity conversion at market. Raises :class:`BuildError`.
        """
        inst = instrument
        is_market = request.order_type is OrderType.MARKET
        self._check_tradable(request, inst)
        link_id = self._link_id(order_link_id)
        if ref_price is not None and ref_price <= 0:
            raise BuildError("ref_price", f"reference price {ref_price} must be positive")
        tif = self._time_in_force(request.time_in_force, is_market)
        price = None if is_market else self._limit_price(request, inst)
        trigger, direction = self._trigger_of(request, inst, ref_price)
        exec_price = self._exec_price(price, trigger, ref_price)
        qty = self._qty(request, inst, exec_price, qty_unit, is_market)
        self._check_min_notional(request, inst, qty, exec_price)
        tp, sl = self._tpsl_pair(request, inst, exec_price)
        return BuiltOrder(
            symbol=inst.symbol,
            side=request.side,
            order_type=request.order_type,
            qty=qty,
            price=price,
            tif=tif,
            reduce_only=request.reduce_only,
            tp=tp,
            sl=sl,
            trigger_price=trigger,
            trigger_direction=direction,
            order_link_id=link_id,
            ref_price=exec_price,
            price_decimals=inst.price_decimals,
            qty_decimals=inst.qty_decimals,
            source=request.source,
            trigger_by=request.trigger_by if trigger is not None else None,
        )

    # --- the steps of build, in order ------------------------------------------------
    @staticmethod
    def _check_tradable(request: OrderRequest, inst: Instrument) -> None:
        if request.symbol != inst.symbol:
            raise BuildError("symbol", f"request is for {request.symbol} but the instrument is {inst.symbol}")
        if inst.status != "Trading":
            raise BuildError("instrument_status", f"{inst.symbol} status is {inst.status}, not Trading")

    def _link_id(self, order_link_id: str | None) -> str:
        link_id = order_link_id if order_link_id is not None else self.new_client_order_id()
        problem = self.client_ids.problem(link_id)
        if problem is not None:
            raise BuildError("order_link_id", f"{problem} (the venue's client order id rule)")
        return link_id

    @staticmethod
    def _time_in_force(tif: TimeInForce, is_market: bool) -> TimeInForce:
        """Market orders cannot be PostOnly, and a Market GTC is sent as IOC."""
        if is_market:
            if tif is TimeInForce.POST_ONLY:
                raise BuildError("time_in_force", "a Market order cannot be PostOnly")
            if tif is TimeInForce.GTC:
                return TimeInForce.IOC
        return tif

    def _limit_price(self, request: OrderRequest, inst: Instrument) -> Decimal:
        """A Limit order's price snapped never more aggressively than asked (buys down, sells up)."""
        pd = inst.price_decimals
        if request.price is None or request.price <= 0:
            raise BuildError("price", f"a Limit order needs a positive price, got {request.price}")
        self._bound("price_range", "price", request.price, inst, pd)
        price = snap(request.price, inst.tick_size, limit_rounding(request.side))
        self._check_range("price_range", "price", price, inst, pd)
        return price

    def _trigger_of(
        self, request: OrderRequest, inst: Instrument, ref_price: Decimal | None
    ) -> tuple[Decimal | None, int | None]:
        if request.trigger_price is not None:
            return self._trigger(request, inst, ref_price, inst.price_decimals)
        if request.trigger_direction is not None:
            raise BuildError("trigger", "triggerDirection given without a trigger price")
        return None, None

    @staticmethod
    def _exec_price(price: Decimal | None, trigger: Decimal | None, ref_price: Decimal | None) -> Decimal:
        """The price that values the order: the limit, else the trigger, else the reference price."""
        for candidate in (price, trigger, ref_price):
            if candidate is not None:
                return candidate
        raise BuildError("ref_price", "a Market order needs a reference price to value its notional")

    @staticmethod
    def _qty(
        request: OrderRequest, inst: Instrument, exec_price: Decimal, qty_unit: QtyUnit, is_market: bool
    ) -> Decimal:
        """The quantity in contracts, rounded down to ``qty_step`` and inside the instrument's bounds."""
        qd = inst.qty_decimals
        if request.qty <= 0:
            raise BuildError("qty", f"quantity must be positive, got {request.qty}")
        raw_qty = request.qty / exec_price if qty_unit is QtyUnit.QUOTE else request.qty
        unit = ""
        if qty_unit is QtyUnit.QUOTE:
            unit = f" ({request.qty} {inst.quote_coin} at {_n(exec_price, inst.price_decimals)})"
        if is_market:
            max_qty, max_name = inst.max_mkt_order_qty, "max_mkt_order_qty"
        else:
            max_qty, max_name = inst.max_order_qty, "max_order_qty"
        if raw_qty >= max_qty + inst.qty_step:  # bound before snapping; same verdict as after
            raise BuildError(
                "max_qty", f"qty {_n(raw_qty, qd)}{unit} > max {_n(max_qty, qd)} (instrument {max_name})"
            )
        qty = snap(raw_qty, inst.qty_step, ROUND_FLOOR)
        if qty < inst.min_order_qty or qty <= 0:
            said = _n(qty, qd) if qty_unit is QtyUnit.QUOTE else _typed_qty(request.qty, qty, qd)
            raise BuildError(
                "min_qty",
                f"qty {said}{unit} < min {_n(inst.min_order_qty, qd)} (instrument min_order_qty, "
                f"step {inst.qty_step})",
            )
        if qty > max_qty:
            raise BuildError(
                "max_qty", f"qty {_n(qty, qd)}{unit} > max {_n(max_qty, qd)} (instrument {max_name})"
            )
        return qty

    def _check_min_notional(
        self, request: OrderRequest, inst: Instrument, qty: Decimal, exec_price: Decimal
    ) -> None:
        notional = qty * exec_price
        if notional < inst.min_notional and (self.reduce_only_min_notional or not request.reduce_only):
            qty_s, px_s = _n(qty, inst.qty_decimals), _n(exec_price, inst.price_decimals)
            raise BuildError(
                "min_notional",
                f"notional {notional:,.2f} {inst.quote_coin} (qty {qty_s} x {px_s}) "
                f"< min {inst.min_notional:,.2f} (instrument min_notional)",
            )

    def _tpsl_pair(
        self, request: OrderRequest, inst: Instrument, exec_price: Decimal
    ) -> tuple[Decimal | None, Decimal | None]:
        """The snapped take-profit and stop-loss (None where not asked)."""
        if request.reduce_only and (request.take_profit is not None or request.stop_loss is not None):
            raise BuildError("reduce_only", "a reduce-only order cannot carry a take-profit or stop-loss")
        tp = sl = None
        pd = inst.price_decimals
        if request.take_profit is not None:
            tp = self._tpsl("take_profit", request.take_profit, request.side, exec_price, inst, pd)
        if request.stop_loss is not None:
            sl = self._tpsl("stop_loss", request.stop_loss, request.side, exec_price, inst, pd)
        return tp, sl

    # --- helpers -----------------------------------------------------------------------
    @staticmethod
    def _bound(check: str, what: str, value: Decimal, inst: Instrument, pd: int) -> None:
        """Refuse absurdly large raw prices before snapping (keeps Decimal arithmetic in range)."""
        if value >= inst.max_price + inst.tick_size:
            raise BuildError(check, f"{what} {value} > max price {_n(inst.max_price, pd)} (instrument)")

    @staticmethod
    def _check_range(check: str, what: str, value: Decimal, inst: Instrument, pd: int) -> None:
        if value <= 0 or value < inst.min_price:
            raise BuildError(
                check, f"{what} {_n(value, pd)} < min price {_n(inst.min_price, pd)} (instrument)"
            )
        if value > inst.max_price:
            raise BuildError(
                check, f"{what} {_n(value, pd)} > max price {_n(inst.max_price, pd)} (instrument)"
            )

    def _trigger(
        self, request: OrderRequest, inst: Instrument, ref_price: Decimal | None, pd: int
    ) -> tuple[Decimal, int]:
        raw = request.trigger_price
        assert raw is not None  # caller checked
        if raw <= 0:
            raise BuildError("trigger", f"trigger price must be positive, got {raw}")
        if ref_price is None:
            raise BuildError("trigger", "a trigger order needs the current price to derive triggerDirection")
        if raw == ref_price:
            raise BuildError("trigger", f"trigger price {raw} equals the current price {ref_price}")
        direction = RISING if raw > ref_price else FALLING
        if request.trigger_direction is not None and request.trigger_direction != direction:
            want = "rising (1)" if request.trigger_direction == RISING else "falling (2)"
            raise BuildError(
                "trigger",
                f"triggerDirection {want} but trigger {raw} is {'above' if direction == RISING else 'below'} "
                f"the current price {ref_price}",
            )
        self._bound("trigger", "trigger price", raw, inst, pd)
        trigger = snap(raw, inst.tick_size, trigger_rounding(direction))
        self._check_range("trigger", "trigger price", trigger, inst, pd)
        return trigger, direction

    def _tpsl(
        self, check: str, raw: Decimal, side: Side, entry: Decimal, inst: Instrument, pd: int
    ) -> Decimal:
        label = "take-profit" if check == "take_profit" else "stop-loss"
        if raw <= 0:
            raise BuildError(check, f"{label} must be positive, got {raw}")
        self._bound(check, label, raw, inst, pd)
        value = snap(raw, inst.tick_size, ROUND_HALF_UP)
        self._check_range(check, label, value, inst, pd)
        above = (check == "take_profit") == (side is Side.BUY)
        if above and value <= entry:
            raise BuildError(
                check, f"{label} {_n(value, pd)} must be above the entry {_n(entry, pd)} for a {side.value}"
            )
        if not above and value >= entry:
            raise BuildError(
                check, f"{label} {_n(value, pd)} must be below the entry {_n(entry, pd)} for a {side.value}"
            )
        return value
