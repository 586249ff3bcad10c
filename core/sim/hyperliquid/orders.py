"""Placing one Hyperliquid order wire on the core: validation, translation, and its status item."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.sim._common import SimError
from core.sim.hyperliquid import rules
from core.sim.hyperliquid.records import HlOrder
from core.sim.hyperliquid.rules import HlAsset, parse_dec, wire
from core.sim.hyperliquid.venue import HlVenue
from core.sim.instruments import PRICE_LIMIT_RATIO

Status = dict[str, object] | str
CLOID_HEX = 32
RISING, FALLING = 1, 2
AVG_PX_QUANTUM = Decimal("0.000001")
TIFS = {"Gtc": "GTC", "Ioc": "IOC", "Alo": "PostOnly"}
_CORE_ERRORS = {
    110007: rules.ERR_MARGIN,
    110017: rules.ERR_REDUCE_ONLY,
    110092: rules.ERR_TRIGGER,
    110093: rules.ERR_TRIGGER,
    110094: rules.ERR_MIN_NOTIONAL,
}
REJECTED = {
    rules.ERR_TICK: "tickRejected",
    rules.ERR_MIN_NOTIONAL: "minTradeNtlRejected",
    rules.ERR_MARGIN: "perpMarginRejected",
    rules.ERR_REDUCE_ONLY: "reduceOnlyRejected",
    rules.ERR_IOC: "iocCancelRejected",
    rules.ERR_TRIGGER: "badTriggerPxRejected",
}


class OrderError(Exception):
    """One order's ``{"error": ...}`` item."""

    def __init__(self, message: str, status: str = "rejected") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def valid_cloid(c: object) -> bool:
    """``0x`` and 32 hex digits."""
    if not isinstance(c, str) or not c.startswith("0x") or len(c) != CLOID_HEX + 2:
        return False
    return all(ch in "0123456789abcdefABCDEF" for ch in c[2:])


def parse_wire(v: HlVenue, user: str, w: Mapping[str, object]) -> tuple[HlAsset, HlOrder]:
    """An order wire checked against Hyperliquid's rules, as a new (unsent) record."""
    asset = v.asset(w.get("a"))
    if asset is None:
        raise OrderError("Invalid asset.")
    if not isinstance(w.get("b"), bool) or not isinstance(w.get("r"), bool):
        raise OrderError("Invalid order: b and r must be booleans.")
    px, sz = parse_dec(w.get("p")), parse_dec(w.get("s"))
    if px is None or not rules.price_ok(px, asset.sz_decimals):
        raise OrderError(rules.ERR_TICK, "tickRejected")
    if sz is None or not rules.size_ok(sz, asset.sz_decimals):
        raise OrderError(rules.ERR_SIZE)
    o = HlOrder(
        oid=0,
        user=user,
        coin=asset.coin,
        is_buy=w.get("b") is True,
        limit_px=px,
        orig_sz=sz,
        timestamp=v.now_ms(),
        reduce_only=w.get("r") is True,
        tif=None,
    )
    _order_type(o, w.get("t"), asset)
    cloid = w.get("c")
    if cloid is not None:
        if not valid_cloid(cloid):
            raise OrderError("Invalid cloid.")
        o.cloid = str(cloid).lower()
    if not o.reduce_only and px * sz < rules.MIN_NOTIONAL:
        raise OrderError(rules.ERR_MIN_NOTIONAL, "minTradeNtlRejected")
    return asset, o


def _order_type(o: HlOrder, t: object, asset: HlAsset) -> None:
    if not isinstance(t, Mapping):
        raise OrderError("Invalid order type.")
    limit, trig = t.get("limit"), t.get("trigger")
    if isinstance(limit, Mapping) and limit.get("tif") in TIFS:
        o.tif = str(limit["tif"])
        return
    if isinstance(trig, Mapping) and trig.get("tpsl") in ("tp", "sl"):
        tpx = parse_dec(trig.get("triggerPx"))
        if tpx is None or not rules.price_ok(tpx, asset.sz_decimals):
            raise OrderError(rules.ERR_TICK, "tickRejected")
        o.trigger_px, o.is_market, o.tpsl = tpx, trig.get("isMarket") is True, str(trig["tpsl"])
        return
    raise OrderError("Invalid order type.")


def _band_px(v: HlVenue, asset: HlAsset, o: HlOrder) -> Decimal:
    """The order's price on the core, kept inside the core's band around the mark (an aggressive
    Hyperliquid IOC, e.g. a market order with 5% slippage, still sweeps what it can)."""
    sm = v.core.gen.symbols[asset.symbol]
    spec = sm.spec
    mark = spec.px(sm.mark_tick())
    if o.is_buy:
        cap = (mark * (1 + PRICE_LIMIT_RATIO) / spec.tick).to_integral_value(ROUND_FLOOR) * spec.tick
        return min(o.limit_px, cap)
    floor = (mark * (1 - PRICE_LIMIT_RATIO) / spec.tick).to_integral_value(ROUND_CEILING) * spec.tick
    return max(o.limit_px, floor)


def _pre_match(v: HlVenue, asset: HlAsset, o: HlOrder) -> None:
    """Alo that would cross, Ioc that cannot cross: refused before the core sees them."""
    sm = v.core.gen.symbols[asset.symbol]
    spec = sm.spec
    bid, ask = sm.book.bids.best(), sm.book.asks.best()
    opp = ask if o.is_buy else bid
    crosses = opp is not None and (spec.px(opp) <= o.limit_px if o.is_buy else spec.px(opp) >= o.limit_px)
    if o.tif == "Alo" and crosses:
        bbo = f"{wire(spec.px(bid)) if bid else ''}@{wire(spec.px(ask)) if ask else ''}"
        raise OrderError(rules.ERR_BAD_ALO.format(bbo=bbo), "badAloPxRejected")
    if o.tif == "Ioc" and not crosses:
        raise OrderError(rules.ERR_IOC, "iocCancelRejected")


def core_params(v: HlVenue, asset: HlAsset, o: HlOrder) -> dict[str, object]:
    """The core's create parameters for ``o``."""
    p: dict[str, object] = {
        "category": "linear",
        "symbol": asset.symbol,
        "side": "Buy" if o.is_buy else "Sell",
        "qty": f"{o.orig_sz:f}",
        "reduceOnly": o.reduce_only,
        "orderLinkId": o.link,
    }
    if o.trigger_px is None:
        p.update(orderType="Limit", price=f"{_band_px(v, asset, o):f}", timeInForce=TIFS[o.tif or "Gtc"])
        return p
    rising = (o.tpsl == "tp") != o.is_buy
    p.update(
        orderType="Market" if o.is_market else "Limit",
        triggerPrice=f"{o.trigger_px:f}",
        triggerDirection=RISING if rising else FALLING,
        triggerBy="MarkPrice",
    )
    if not o.is_market:
        p["price"] = f"{o.limit_px:f}"
    return p


def core_error(exc: SimError) -> OrderError:
    """The Hyperliquid error (and rejected status) for a core refusal."""
    msg = _CORE_ERRORS.get(exc.ret_code)
    if msg is None:
        low = exc.ret_msg.lower()
        msg = (
            rules.ERR_SIZE
            if "qty" in low
            else rules.ERR_NO_LIQUIDITY
            if "liquidity" in low
            else rules.ERR_TICK
        )
    return OrderError(msg, REJECTED.get(msg, "rejected"))


def place(v: HlVenue, user: str, w: Mapping[str, object]) -> tuple[Status, HlOrder | None]:
    """Place one order wire; its status item and its record (None when refused before an oid)."""
    try:
        asset, o = parse_wire(v, user, w)
        if o.cloid is not None and (user, o.cloid) in v.by_cloid:
            raise OrderError("Duplicate cloid.")
    except OrderError as exc:
        return {"error": exc.message}, None
    o.oid = v.new_oid()
    v.orders[o.oid] = o
    if o.cloid is not None:
        v.by_cloid[(user, o.cloid)] = o
    try:
        if o.trigger_px is None:
            _pre_match(v, asset, o)
        try:
            v.core.order_create(user, core_params(v, asset, o))
        except SimError as exc:
            raise core_error(exc) from None
    except OrderError as exc:  # the order is known by its cloid and oid, with its rejected status
        o.status, o.status_ts = exc.status, v.now_ms()
        return {"error": exc.message}, None
    return _status_item(v, asset, o), o


def _status_item(v: HlVenue, asset: HlAsset, o: HlOrder) -> Status:
    ids: dict[str, object] = {"oid": o.oid}
    if o.cloid is not None:
        ids["cloid"] = o.cloid
    core = v.core.accounts[o.user].by_link.get(o.link)
    if core is not None and core.cum:
        spec = core.spec
        avg = (core.cum_value / spec.qty(core.cum)).quantize(AVG_PX_QUANTUM)
        total = spec.qty(core.cum)
        if core.status == "Filled" or not core.is_open:
            return {"filled": {"totalSz": wire(total), "avgPx": wire(avg), **ids}}
    if o.tif == "Ioc" and (core is None or not core.cum):
        o.status = "iocCancelRejected"
        return {"error": rules.ERR_IOC}
    return {"resting": ids}
