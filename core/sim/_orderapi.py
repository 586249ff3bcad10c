"""Order create / amend / cancel: Bybit's parameter rules and retCodes, then the matcher."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.sim._common import LINK_ID_RE, Params, SimError, get_bool, get_dec, get_int, get_str, require_linear
from core.sim._orders import Order
from core.sim.accounts import Account
from core.sim.instruments import PRICE_LIMIT_RATIO, InstrumentSpec
from core.sim.market import SymbolMarket
from core.sim.matching import Matcher

TRIGGER_BY = ("LastPrice", "MarkPrice", "IndexPrice")
TIFS = ("GTC", "IOC", "FOK", "PostOnly")
RISING = 1
"""``triggerDirection`` 1: the order triggers when the price rises to the trigger."""
FALLING = 2
"""``triggerDirection`` 2: the order triggers when the price falls to the trigger."""


@dataclass(frozen=True, slots=True)
class _Trigger:
    """A conditional order's trigger: price in ticks (0 = none), direction and reference price."""

    price: int = 0
    direction: int = 0
    by: str = ""


def symbol_spec(m: Matcher, params: Params) -> InstrumentSpec:
    """The instrument named by ``symbol`` (10001 if missing or unknown)."""
    sym = get_str(params, "symbol")
    if sym is None:
        raise SimError(10001, "symbol is required")
    sm = m.gen.symbols.get(sym)
    if sm is None:
        raise SimError(10001, "symbol invalid")
    return sm.spec


def price_ticks(spec: InstrumentSpec, params: Params, key: str) -> int | None:
    """A price parameter in ticks; None when absent, 0 for an explicit "0"; 10001 off the tick grid."""
    d = get_dec(params, key)
    if d is None:
        return None
    if d == 0:
        return 0
    t = spec.ticks_of(d)
    if t is None or d < spec.min_price or d > spec.max_price:
        raise SimError(10001, f"{key} invalid")
    return t


def _qty_lots(spec: InstrumentSpec, qty: Decimal) -> int:
    lots = spec.lots_of(qty)
    if lots is None:
        raise SimError(10001, "Qty invalid: not a multiple of qtyStep")
    return lots


def _check_band(m: Matcher, spec: InstrumentSpec, sign: int, price: int) -> None:
    mark = spec.px(m.gen.symbols[spec.symbol].mark_tick())
    px = spec.px(price)
    if (sign > 0 and px > mark * (1 + PRICE_LIMIT_RATIO)) or (
        sign < 0 and px < mark * (1 - PRICE_LIMIT_RATIO)
    ):
        raise SimError(110003, f"Order price exceeds the allowable range: {px} vs mark {mark}")


def _tpsl_params(m: Matcher, spec: InstrumentSpec, params: Params, sign: int, ref: int) -> tuple[int, int]:
    tp = price_ticks(spec, params, "takeProfit") or 0
    sl = price_ticks(spec, params, "stopLoss") or 0
    if tp and (tp <= ref if sign > 0 else tp >= ref):
        raise SimError(10001, "TakeProfit price is on the wrong side of the order price")
    if sl and (sl >= ref if sign > 0 else sl <= ref):
        raise SimError(10001, "StopLoss price is on the wrong side of the order price")
    return tp, sl


def _side_sign(params: Params) -> tuple[str, int]:
    side = get_str(params, "side")
    if side not in ("Buy", "Sell"):
        raise SimError(10001, "side invalid")
    return side, 1 if side == "Buy" else -1


def _order_type(params: Params) -> str:
    otype = get_str(params, "orderType")
    if otype not in ("Market", "Limit"):
        raise SimError(10001, "orderType invalid")
    return otype


def _create_lots(spec: InstrumentSpec, params: Params, otype: str, reduce_only: bool, pos_size: int) -> int:
    """The order's size in lots; a reduce-only qty of 0 closes the whole position."""
    qty = get_dec(params, "qty")
    if qty is None:
        raise SimError(10001, "qty is required")
    lots = _qty_lots(spec, qty)
    if lots == 0:
        if not reduce_only or pos_size == 0:
            raise SimError(10001, "Qty invalid: must be greater than 0")
        return abs(pos_size)
    if qty < spec.min_qty:
        raise SimError(10001, f"Qty invalid: below minOrderQty {spec.min_qty}")
    cap = spec.max_mkt_qty if otype == "Market" else spec.max_qty
    if qty > cap:
        raise SimError(10001, f"Qty invalid: above max qty {cap}")
    return lots


def _time_in_force(params: Params, otype: str) -> str:
    tif = get_str(params, "timeInForce") or "GTC"
    if tif not in TIFS:
        raise SimError(10001, "timeInForce invalid")
    return "IOC" if otype == "Market" else tif


def _limit_price(spec: InstrumentSpec, params: Params, otype: str) -> int | None:
    """A Limit order's price in ticks; None for Market (its price parameter is ignored)."""
    if otype != "Limit":
        return None
    price = price_ticks(spec, params, "price")
    if not price:
        raise SimError(10001, "price is required for Limit orders")
    return price


def _new_link_id(acct: Account, params: Params) -> str:
    link = get_str(params, "orderLinkId") or ""
    if link:
        if not LINK_ID_RE.match(link):
            raise SimError(10001, "orderLinkId invalid")
        if link in acct.by_link:
            raise SimError(110072, "OrderLinkedID is duplicate")
    return link


def _check_trigger_side(spec: InstrumentSpec, direction: int, trigger: int, cur: int) -> None:
    """110092/110093 when a rising trigger is not above, or a falling one not below, the price now."""
    if direction == RISING and trigger <= cur:
        raise SimError(
            110092,
            f"expect Rising, but trigger_price[{spec.fmt_px(trigger)}] <= current[{spec.fmt_px(cur)}]",
        )
    if direction == FALLING and trigger >= cur:
        raise SimError(
            110093,
            f"expect Falling, but trigger_price[{spec.fmt_px(trigger)}] >= current[{spec.fmt_px(cur)}]",
        )


def _trigger_params(m: Matcher, sm: SymbolMarket, params: Params) -> _Trigger:
    spec = sm.spec
    price = price_ticks(spec, params, "triggerPrice") or 0
    if not price:
        return _Trigger()
    direction = get_int(params, "triggerDirection", 0) or 0
    if direction not in (RISING, FALLING):
        raise SimError(10001, "triggerDirection invalid")
    by = get_str(params, "triggerBy") or "LastPrice"
    if by not in TRIGGER_BY:
        raise SimError(10001, "triggerBy invalid")
    _check_trigger_side(spec, direction, price, m.ref_tick(sm, by))
    return _Trigger(price, direction, by)


def _check_reduce_only(params: Params, pos_size: int, sign: int, trigger: int) -> None:
    if get_str(params, "takeProfit") or get_str(params, "stopLoss"):
        raise SimError(10001, "TP/SL is not allowed for reduce-only orders")
    if not trigger and (pos_size == 0 or (pos_size > 0) == (sign > 0)):
        raise SimError(110017, "Reduce-only rule not satisfied")


def _effective_price(m: Matcher, sm: SymbolMarket, sign: int, price: int | None, trigger: int) -> int:
    """The price the order rests or sweeps at: its limit, or a Market order's protection price."""
    if price is not None:
        if not trigger:
            _check_band(m, sm.spec, sign, price)
        return price
    eff = m.protection_tick(sm, sign)
    if not trigger:
        opp = sm.book.asks if sign > 0 else sm.book.bids
        if not opp.reaches(eff):
            raise SimError(10001, "no liquidity within the market order price protection band")
    return eff


def _submit(m: Matcher, acct: Account, o: Order) -> None:
    """Record a validated order, then park it (conditional) or execute it."""
    if not o.trigger:
        m.check_margin(acct, o)
    o.order_id = m.new_order_id()
    o.seq = m.next_seq()
    acct.orders[o.order_id] = o
    acct.order_log.append(o)
    if o.link_id:
        acct.by_link[o.link_id] = o
    if o.trigger:
        o.status = "Untriggered"
        o.stop_order_type = "Stop"
        m.conditionals[o.spec.symbol].append(o)
        m.emit(acct.api_key, "order", o.to_dict(ws=True))
    else:
        m.execute(acct, o)
    m.push_state(acct, o.spec)


def create_order(m: Matcher, acct: Account, params: Params) -> Order:
    """POST /v5/order/create: validate, record, then execute (or park as Untriggered)."""
    require_linear(params)
    spec = symbol_spec(m, params)
    sm = m.gen.symbols[spec.symbol]
    side, sign = _side_sign(params)
    otype = _order_type(params)
    if get_int(params, "positionIdx", 0) != 0:
        raise SimError(10001, "position idx not match position mode")
    close_on_trigger = get_bool(params, "closeOnTrigger")
    reduce_only = get_bool(params, "reduceOnly") or close_on_trigger  # closeOnTrigger implies reduce-only
    pos = acct.position(spec)
    lots = _create_lots(spec, params, otype, reduce_only, pos.size)
    tif = _time_in_force(params, otype)
    price = _limit_price(spec, params, otype)
    link = _new_link_id(acct, params)
    trig = _trigger_params(m, sm, params)
    if reduce_only:
        _check_reduce_only(params, pos.size, sign, trig.price)
    tp, sl = _tpsl_params(m, spec, params, sign, price or trig.price or sm.last_tick)
    eff = _effective_price(m, sm, sign, price, trig.price)
    notional_ref = eff if price is not None else (trig.price or sm.last_tick)
    if not reduce_only and spec.qty(lots) * spec.px(notional_ref) < spec.min_notional:
        raise SimError(110094, f"Order does not meet minimum order value {spec.min_notional}USDT")
    o = Order(
        order_id="",
        link_id=link,
        api_key=acct.api_key,
        spec=spec,
        side=side,
        sign=sign,
        order_type=otype,
        price=eff,
        qty=lots,
        tif=tif,
        reduce_only=reduce_only,
        close_on_trigger=close_on_trigger,
        created_ms=m.now,
        seq=0,
        trigger=trig.price,
        trigger_direction=trig.direction,
        trigger_by=trig.by,
        take_profit=tp,
        stop_loss=sl,
        tp_trigger_by=(get_str(params, "tpTriggerBy") or "LastPrice") if tp else "",
        sl_trigger_by=(get_str(params, "slTriggerBy") or "LastPrice") if sl else "",
        last_price_on_created=spec.fmt_px(sm.last_tick),
    )
    _submit(m, acct, o)
    return o


def find_order(m: Matcher, acct: Account, params: Params) -> Order:
    """The order named by ``orderId`` (preferred) or ``orderLinkId`` in ``symbol`` (110001 if none)."""
    require_linear(params)
    spec = symbol_spec(m, params)
    oid = get_str(params, "orderId")
    link = get_str(params, "orderLinkId")
    if oid is None and link is None:
        raise SimError(10001, "orderId or orderLinkId is required")
    o = acct.orders.get(oid) if oid is not None else acct.by_link.get(link or "")
    if o is None or o.spec is not spec:
        raise SimError(110001, "Order does not exist")
    return o


@dataclass(frozen=True, slots=True)
class _Amend:
    """An amend's new values in lots/ticks; None where the request leaves a field as it is."""

    lots: int
    price: int | None
    trigger: int | None
    tp: int | None
    sl: int | None

    def changes(self, o: Order) -> bool:
        """Whether applying this amend would change anything on ``o``."""
        return (
            self.lots != o.qty
            or (self.price is not None and self.price != o.price)
            or (self.trigger is not None and self.trigger != o.trigger)
            or (self.tp is not None and self.tp != o.take_profit)
            or (self.sl is not None and self.sl != o.stop_loss)
        )


def _amend_lots(spec: InstrumentSpec, o: Order, params: Params) -> int:
    new_qty = get_dec(params, "qty")
    if new_qty is None:
        return o.qty
    lots = _qty_lots(spec, new_qty)
    if new_qty < spec.min_qty or lots <= o.cum:
        raise SimError(10001, "Qty invalid")
    if new_qty > (spec.max_mkt_qty if o.order_type == "Market" else spec.max_qty):
        raise SimError(10001, "Qty invalid: above max qty")
    return lots


def _amend_values(spec: InstrumentSpec, o: Order, params: Params) -> _Amend:
    """Parse and validate an amend's parameters against the order (10001 on any bad one)."""
    lots = _amend_lots(spec, o, params)
    price = price_ticks(spec, params, "price")
    if price is not None and (o.order_type != "Limit" or price == 0):
        raise SimError(10001, "price invalid")
    trigger = price_ticks(spec, params, "triggerPrice")
    if trigger is not None and (o.status != "Untriggered" or trigger == 0):
        raise SimError(10001, "triggerPrice invalid")
    tp = price_ticks(spec, params, "takeProfit")
    sl = price_ticks(spec, params, "stopLoss")
    return _Amend(lots, price, trigger, tp, sl)


def _apply_amend(m: Matcher, acct: Account, o: Order, a: _Amend) -> tuple[int, int]:
    """Write the new values into ``o`` (rolled back if a live order no longer fits the margin).

    Returns the order's previous (qty, price).
    """
    old = (o.qty, o.price, o.trigger, o.take_profit, o.stop_loss)
    o.qty = a.lots
    o.price = a.price if a.price is not None else o.price
    o.trigger = a.trigger if a.trigger is not None else o.trigger
    o.take_profit = a.tp if a.tp is not None else o.take_profit
    o.stop_loss = a.sl if a.sl is not None else o.stop_loss
    if o.status != "Untriggered":
        try:
            m.check_margin(acct, o)
        except SimError:
            o.qty, o.price, o.trigger, o.take_profit, o.stop_loss = old
            raise
    return old[0], old[1]


def amend_order(m: Matcher, acct: Account, params: Params) -> Order:
    """POST /v5/order/amend."""
    o = find_order(m, acct, params)
    if not o.is_open:
        raise SimError(110008, "The order has been completed or cancelled")
    spec = o.spec
    a = _amend_values(spec, o, params)
    if not a.changes(o):
        raise SimError(10001, "The order remains unchanged as the parameters entered match the existing ones")
    if a.trigger is not None:
        _check_trigger_side(
            spec, o.trigger_direction, a.trigger, m.ref_tick(m.gen.symbols[spec.symbol], o.trigger_by)
        )
    if a.price is not None and o.status != "Untriggered":
        _check_band(m, spec, o.sign, a.price)
    old_qty, old_price = _apply_amend(m, acct, o, a)
    o.updated_ms = m.now
    if o.status == "Untriggered":
        m.emit(acct.api_key, "order", o.to_dict(ws=True))
    else:
        if o.price != old_price or o.qty > old_qty:
            o.seq = m.next_seq()  # a new price or a larger size loses time priority
        m.unrest(o)
        m.execute(acct, o)
    m.push_state(acct, spec)
    return o


def cancel_order(m: Matcher, acct: Account, params: Params) -> Order:
    """POST /v5/order/cancel."""
    o = find_order(m, acct, params)
    if not o.is_open:
        raise SimError(110001, "order not exists or too late to cancel")
    m.cancel(o)
    m.push_state(acct, o.spec)
    return o


def cancel_all(m: Matcher, acct: Account, params: Params) -> list[Order]:
    """POST /v5/order/cancel-all."""
    require_linear(params)
    sym = get_str(params, "symbol")
    base = get_str(params, "baseCoin")
    settle = get_str(params, "settleCoin")
    if sym is None and base is None and settle is None:
        raise SimError(10001, "symbol, baseCoin or settleCoin is required")
    spec = symbol_spec(m, params) if sym is not None else None
    flt = get_str(params, "orderFilter")
    if flt is not None and flt not in ("Order", "StopOrder", "OpenOrder", "tpslOrder"):
        raise SimError(10001, "orderFilter invalid")
    out = []
    for o in list(acct.orders.values()):
        if not o.is_open:
            continue
        if spec is not None and o.spec is not spec:
            continue
        if base is not None and o.spec.base_coin != base:
            continue
        if settle is not None and settle != "USDT":
            continue
        cond = o.status == "Untriggered"
        if (
            (flt in ("Order", "OpenOrder") and cond)
            or (flt == "StopOrder" and not cond)
            or flt == "tpslOrder"
        ):
            continue
        m.cancel(o)
        out.append(o)
    for s in {o.spec.symbol: o.spec for o in out}.values():
        m.push_state(acct, s)
    return out
