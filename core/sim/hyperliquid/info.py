"""``POST /info``: the read side, in Hyperliquid's shapes, from the venue and its core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from core.sim._common import SimError
from core.sim.hyperliquid.fees import user_fees
from core.sim.hyperliquid.records import HlOrder
from core.sim.hyperliquid.rules import ASSETS, BY_COIN, HlAsset, wire
from core.sim.hyperliquid.venue import HlVenue
from core.sim.instruments import MMR

BOOK_LEVELS = 20
BASE_FUNDING = Decimal("0.0000125")
"""Hourly funding at zero premium (Hyperliquid's interest component)."""
FUNDING_PREMIUM_SHARE = Decimal(8)
FUNDING_CAP = Decimal("0.04")
MAX_ITEMS = 500
MAX_FILLS = 2000
INTERVALS = {"1m": "1", "3m": "3", "5m": "5", "15m": "15", "30m": "30", "1h": "60", "2h": "120",
             "4h": "240", "12h": "720", "1d": "D", "1w": "W", "1M": "M"}  # fmt: skip
INTERVAL_MS = {"1": 60_000, "3": 180_000, "5": 300_000, "15": 900_000, "30": 1_800_000, "60": 3_600_000,
               "120": 7_200_000, "240": 14_400_000, "720": 43_200_000, "D": 86_400_000,
               "W": 604_800_000, "M": 2_592_000_000}  # fmt: skip
CANDLE_LIMIT = 1000


class BadRequest(Exception):
    """The request does not deserialize (HTTP 422)."""


def _user(req: Mapping[str, Any]) -> str:
    u = req.get("user")
    if not isinstance(u, str) or not u.startswith("0x"):
        raise BadRequest("user required")
    return u.lower()


def _coin(req: Mapping[str, Any]) -> HlAsset:
    a = BY_COIN.get(str(req.get("coin")))
    if a is None:
        raise BadRequest("unknown coin")
    return a


def meta(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``meta``: the perps universe."""
    return {"universe": [a.meta() for a in ASSETS], "marginTables": []}


def asset_ctx(v: HlVenue, a: HlAsset) -> dict[str, object]:
    """One perp's context: funding, open interest, prices, volumes."""
    t = v.core.tickers({"category": "linear", "symbol": a.symbol})["list"]
    assert isinstance(t, list)
    tk = t[0]
    mark, oracle = Decimal(tk["markPrice"]), Decimal(tk["indexPrice"])
    premium = (mark - oracle) / oracle if oracle else Decimal(0)
    funding = max(-FUNDING_CAP, min(FUNDING_CAP, BASE_FUNDING + premium / FUNDING_PREMIUM_SHARE))
    bid, ask = tk["bid1Price"], tk["ask1Price"]
    mid = (Decimal(bid) + Decimal(ask)) / 2 if bid and ask else None
    return {
        "dayNtlVlm": wire(Decimal(tk["turnover24h"])),
        "funding": wire(funding.quantize(Decimal("1e-8"))),
        "impactPxs": [wire(Decimal(bid)), wire(Decimal(ask))] if bid and ask else None,
        "markPx": wire(mark),
        "midPx": wire(mid) if mid is not None else None,
        "openInterest": wire(Decimal(tk["openInterest"])),
        "oraclePx": wire(oracle),
        "premium": wire(premium.quantize(Decimal("1e-8"))),
        "prevDayPx": wire(Decimal(tk["prevPrice24h"])),
        "dayBaseVlm": wire(Decimal(tk["volume24h"])),
    }


def meta_and_ctxs(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``metaAndAssetCtxs``."""
    return [meta(v, req), [asset_ctx(v, a) for a in ASSETS]]


def all_mids(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``allMids``: mid of the book, or the last trade when a side is empty."""
    out: dict[str, str] = {}
    for a in ASSETS:
        sm = v.core.gen.symbols[a.symbol]
        bid, ask = sm.book.bids.best(), sm.book.asks.best()
        px = (
            sm.spec.px(sm.last_tick)
            if bid is None or ask is None
            else (sm.spec.px(bid) + sm.spec.px(ask)) / 2
        )
        out[a.coin] = wire(px)
    return out


def l2_book(v: HlVenue, a: HlAsset) -> dict[str, object]:
    """``l2Book`` (also the WS snapshot): 20 levels a side, best first."""
    sm = v.core.gen.symbols[a.symbol]
    spec = sm.spec

    def side(levels: list[tuple[int, int]]) -> list[dict[str, object]]:
        return [{"px": wire(spec.px(t)), "sz": wire(spec.qty(n)), "n": 1 + t % 3} for t, n in levels]

    return {
        "coin": a.coin,
        "time": v.now_ms(),
        "levels": [side(sm.book.bids.top(BOOK_LEVELS)), side(sm.book.asks.top(BOOK_LEVELS))],
    }


def _position(v: HlVenue, user: str, a: HlAsset) -> dict[str, object] | None:
    acct = v.core.accounts[user]
    p = acct.positions.get(a.symbol)
    if p is None or p.size == 0:
        return None
    sm = v.core.gen.symbols[a.symbol]
    spec = sm.spec
    size = spec.qty(abs(p.size))
    mark = spec.px(sm.mark_tick())
    value = size * mark
    upnl = p.upnl(sm.mark_tick())
    margin = value / p.leverage
    liq = p.liq_price()
    cross = v.user(user).cross.get(a.coin, True)
    return {
        "coin": a.coin,
        "cumFunding": {"allTime": "0.0", "sinceChange": "0.0", "sinceOpen": "0.0"},
        "entryPx": wire((p.entry_value / size).quantize(Decimal("1e-6"))),
        "leverage": {"type": "cross", "value": int(p.leverage)}
        if cross
        else {"type": "isolated", "value": int(p.leverage), "rawUsd": wire(-p.entry_value + margin)},
        "liquidationPx": wire(liq.quantize(Decimal("1e-6"))) if liq is not None else None,
        "marginUsed": wire(margin.quantize(Decimal("1e-6"))),
        "maxLeverage": a.max_leverage,
        "positionValue": wire(value),
        "returnOnEquity": wire((upnl / (p.entry_value / p.leverage)).quantize(Decimal("1e-6"))),
        "szi": wire(size if p.size > 0 else -size),
        "unrealizedPnl": wire(upnl),
    }


def clearinghouse_state(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``clearinghouseState``: positions, margin summaries, withdrawable."""
    user = _user(req)
    positions = []
    if user in v.core.accounts:
        positions = [p for p in (_position(v, user, a) for a in ASSETS) if p is not None]
    wallet = v.core.accounts[user].wallet if user in v.core.accounts else Decimal(0)
    upnl = sum((Decimal(str(p["unrealizedPnl"])) for p in positions), Decimal(0))
    ntl = sum((Decimal(str(p["positionValue"])) for p in positions), Decimal(0))
    used = sum((Decimal(str(p["marginUsed"])) for p in positions), Decimal(0))
    signed = sum((Decimal(str(p["szi"])) * Decimal(str(p["positionValue"])) / abs(Decimal(str(p["szi"])))
                  for p in positions), Decimal(0))  # fmt: skip
    value = wallet + upnl
    summary = {
        "accountValue": wire(value),
        "totalMarginUsed": wire(used),
        "totalNtlPos": wire(ntl),
        "totalRawUsd": wire(value - signed),
    }
    return {
        "assetPositions": [{"position": p, "type": "oneWay"} for p in positions],
        "crossMaintenanceMarginUsed": wire((ntl * MMR).quantize(Decimal("1e-6"))),
        "crossMarginSummary": summary,
        "marginSummary": summary,
        "time": v.now_ms(),
        "withdrawable": wire(max(Decimal(0), value - used)),
    }


def _open(v: HlVenue, user: str) -> list[HlOrder]:
    return sorted((o for o in v.orders.values() if o.user == user and o.is_open), key=lambda o: -o.oid)


def open_orders(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``openOrders``, newest first."""
    return [o.basic() for o in _open(v, _user(req))]


def frontend_open_orders(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``frontendOpenOrders``, newest first."""
    return [o.frontend() for o in _open(v, _user(req))]


def user_fills(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``userFills``: the most recent fills, newest first."""
    u = v.users.get(_user(req))
    return list(reversed(u.fills[-MAX_FILLS:])) if u else []


def user_fills_by_time(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``userFillsByTime``: fills in ``[startTime, endTime]``, oldest first, at most 500."""
    u = v.users.get(_user(req))
    start = req.get("startTime")
    if isinstance(start, bool) or not isinstance(start, int):
        raise BadRequest("startTime required")
    end = req.get("endTime")
    end_ms = end if isinstance(end, int) and not isinstance(end, bool) else v.now_ms()
    fills = [f for f in (u.fills if u else []) if start <= int(str(f["time"])) <= end_ms]
    return fills[:MAX_ITEMS]


def order_status(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``orderStatus`` by oid or cloid."""
    user = _user(req)
    oid = req.get("oid")
    o = v.by_cloid.get((user, oid.lower())) if isinstance(oid, str) else None
    if isinstance(oid, int) and not isinstance(oid, bool):
        o = v.orders.get(oid)
    if o is None or o.user != user:
        return {"status": "unknownOid"}
    return {
        "status": "order",
        "order": {"order": o.frontend(), "status": o.status, "statusTimestamp": o.status_ts},
    }


def candle_snapshot(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``candleSnapshot``: candles in the range, oldest first (8h and 3d are not kept: empty)."""
    r = req.get("req")
    if not isinstance(r, Mapping):
        raise BadRequest("req required")
    a = _coin(r)
    iv = INTERVALS.get(str(r.get("interval")))
    start, end = r.get("startTime"), r.get("endTime")
    if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
        raise BadRequest("startTime required")
    if iv is None:
        return []
    params = {"category": "linear", "symbol": a.symbol, "interval": iv, "start": start, "limit": CANDLE_LIMIT}
    if end is not None:
        params["end"] = end
    try:
        rows = v.core.kline(params)["list"]
    except SimError as exc:
        raise BadRequest(exc.ret_msg) from None
    assert isinstance(rows, list)
    span = INTERVAL_MS[iv]
    return [
        {
            "t": int(r[0]),
            "T": int(r[0]) + span - 1,
            "s": a.coin,
            "i": r_iv,
            "o": wire(Decimal(r[1])),
            "c": wire(Decimal(r[4])),
            "h": wire(Decimal(r[2])),
            "l": wire(Decimal(r[3])),
            "v": wire(Decimal(r[5])),
            "n": 1,
        }  # fmt: skip
        for r in reversed(rows)
        for r_iv in [str(req["req"]["interval"])]
    ]


def spot_meta(v: HlVenue, req: Mapping[str, Any]) -> object:
    """``spotMeta``: the sim has no spot market."""
    return {"universe": [], "tokens": []}


HANDLERS: dict[str, Callable[[HlVenue, Mapping[str, Any]], object]] = {
    "meta": meta,
    "metaAndAssetCtxs": meta_and_ctxs,
    "allMids": all_mids,
    "l2Book": lambda v, r: l2_book(v, _coin(r)),
    "clearinghouseState": clearinghouse_state,
    "openOrders": open_orders,
    "frontendOpenOrders": frontend_open_orders,
    "userFills": user_fills,
    "userFillsByTime": user_fills_by_time,
    "orderStatus": order_status,
    "candleSnapshot": candle_snapshot,
    "spotMeta": spot_meta,
    "userFees": lambda v, r: user_fees(v, _user(r)),
}


def handle(v: HlVenue, req: object) -> object:
    """One ``/info`` request."""
    if not isinstance(req, Mapping) or req.get("type") not in HANDLERS:
        raise BadRequest("unknown info type")
    return HANDLERS[str(req["type"])](v, req)
