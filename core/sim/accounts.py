"""Accounts, one-way positions, fill accounting and the wallet (all money in Decimal).

The wallet balance moves only by realised PnL and fees, and every execution records both, so
``walletBalance - starting == sum(execPnl) - sum(execFee)`` holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.sim._common import ZERO, dstr, q8
from core.sim._orders import Order
from core.sim.instruments import MAKER_FEE, MMR, TAKER_FEE, InstrumentSpec

DEFAULT_LEVERAGE = Decimal(10)


@dataclass(slots=True)
class Position:
    """A one-way (positionIdx 0) position. ``size`` is signed lots: positive long, negative short."""

    spec: InstrumentSpec
    size: int = 0
    entry_value: Decimal = ZERO
    open_fee: Decimal = ZERO
    leverage: Decimal = DEFAULT_LEVERAGE
    cum_realised: Decimal = ZERO
    cur_realised: Decimal = ZERO
    take_profit: int = 0
    stop_loss: int = 0
    tp_trigger_by: str = "LastPrice"
    sl_trigger_by: str = "LastPrice"
    trailing_stop: int = 0
    """Trailing stop distance in ticks (0: none)."""
    active_price: int = 0
    """Trailing stop activation price in ticks (0: active from when it was set)."""
    trail_best: int = 0
    """Best last price since the trailing stop became active (0: not active yet)."""
    created_ms: int = 0
    updated_ms: int = 0
    seq: int = 0

    def upnl(self, mark_tick: int) -> Decimal:
        """Unrealised PnL at the mark price."""
        if self.size == 0:
            return ZERO
        mv = self.spec.qty(abs(self.size)) * self.spec.px(mark_tick)
        return mv - self.entry_value if self.size > 0 else self.entry_value - mv

    def im(self) -> Decimal:
        """Initial margin of the position: value / leverage."""
        return self.entry_value / self.leverage

    def liq_price(self) -> Decimal | None:
        """Liquidation price (isolated-style, no extra margin): entry moved by 1/leverage minus
        the maintenance margin rate against the position; the mark reaching it liquidates."""
        if self.size == 0:
            return None
        avg = self.entry_value / self.spec.qty(abs(self.size))
        f = 1 / self.leverage - MMR
        px = avg * (1 - f) if self.size > 0 else avg * (1 + f)
        return max(px, ZERO)

    def bust_price(self) -> Decimal | None:
        """Bankruptcy price (the 0 % margin level): entry moved by 1/leverage against the position."""
        if self.size == 0:
            return None
        avg = self.entry_value / self.spec.qty(abs(self.size))
        f = 1 / self.leverage
        return max(avg * (1 - f), ZERO) if self.size > 0 else avg * (1 + f)

    def to_dict(self, mark_tick: int, now_ms: int, ws: bool = False) -> dict[str, object]:
        """The GET position/list item, or (``ws=True``) the private ``position`` topic's: the topic
        has ``category`` and ``entryPrice`` where the REST list has ``avgPrice``."""
        spec = self.spec
        lots = abs(self.size)
        side = "" if self.size == 0 else ("Buy" if self.size > 0 else "Sell")
        avg = self.entry_value / spec.qty(lots) if lots else ZERO
        liq = self.liq_price()
        value = self.entry_value
        d: dict[str, object] = {
            "positionIdx": 0,
            "riskId": 1,
            "riskLimitValue": "2000000",
            "symbol": spec.symbol,
            "side": side,
            "size": spec.fmt_qty(lots) if lots else "0",
            "avgPrice": dstr(avg),
            "positionValue": dstr(value),
            "tradeMode": 0,
            "positionStatus": "Normal",
            "autoAddMargin": 0,
            "adlRankIndicator": 2 if lots else 0,
            "leverage": f"{self.leverage.normalize():f}",
            "breakEvenPrice": dstr(avg),
            "positionBalance": dstr(self.im()),
            "markPrice": spec.fmt_px(mark_tick),
            "liqPrice": spec.fmt_price_dec(liq) if liq is not None else "",
            "bustPrice": spec.fmt_price_dec(bust) if (bust := self.bust_price()) is not None else "",
            "positionIM": dstr(self.im()),
            "positionIMByMp": dstr(spec.qty(lots) * spec.px(mark_tick) / self.leverage),
            "positionMM": dstr(value * MMR),
            "positionMMByMp": dstr(spec.qty(lots) * spec.px(mark_tick) * MMR),
            "tpslMode": "Full",
            "takeProfit": spec.fmt_px(self.take_profit) if self.take_profit else "",
            "stopLoss": spec.fmt_px(self.stop_loss) if self.stop_loss else "",
            "trailingStop": spec.fmt_px(self.trailing_stop) if self.trailing_stop else "0",
            "unrealisedPnl": dstr(self.upnl(mark_tick)),
            "curRealisedPnl": dstr(self.cur_realised),
            "cumRealisedPnl": dstr(self.cum_realised),
            "seq": self.seq,
            "isReduceOnly": False,
            "mmrSysUpdatedTime": "",
            "leverageSysUpdatedTime": "",
            "sessionAvgPrice": "",
            "createdTime": str(self.created_ms or now_ms),
            "updatedTime": str(self.updated_ms or now_ms),
            "openTime": self.created_ms if lots else 0,
        }
        if ws:
            d["category"] = "linear"
            d["entryPrice"] = d.pop("avgPrice")
        return d


@dataclass(slots=True)
class Account:
    """One API key's unified account."""

    api_key: str
    wallet: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    resting: dict[str, Order] = field(default_factory=dict)
    """Live limit orders in the book (the only orders that hold initial margin)."""
    by_link: dict[str, Order] = field(default_factory=dict)
    order_log: list[Order] = field(default_factory=list)
    executions: list[dict[str, object]] = field(default_factory=list)
    closed_pnl: list[dict[str, object]] = field(default_factory=list)
    closed_by_order: dict[str, dict[str, object]] = field(default_factory=dict)
    """orderId -> its closed-PnL record (one per closing order, as Bybit keeps them)."""

    def position(self, spec: InstrumentSpec) -> Position:
        """The position for ``spec`` (created flat on first use)."""
        p = self.positions.get(spec.symbol)
        if p is None:
            p = Position(spec)
            self.positions[spec.symbol] = p
        return p


def order_im(acct: Account, spec: InstrumentSpec, extra: Order | None = None) -> Decimal:
    """Initial margin held by the open orders of one symbol.

    Orders on the side that reduces the position are free up to the position size (in time order).
    """
    pos = acct.position(spec)
    total = ZERO
    for sign in (1, -1):
        capacity = abs(pos.size) if pos.size * sign < 0 else 0
        orders = [o for o in acct.resting.values() if o.spec is spec and o.sign == sign]
        orders.sort(key=lambda o: o.seq)
        if extra is not None and extra.sign == sign:
            orders.append(extra)
        for o in orders:
            leaves = o.qty - o.cum
            free = min(capacity, leaves)
            capacity -= free
            if o.reduce_only:
                continue
            total += spec.qty(leaves - free) * spec.px(o.price) / pos.leverage
    return total


_SUMMED = ("cumEntryValue", "cumExitValue", "closedPnl", "openFee", "closeFee")
"""Closed-PnL money fields a closing order's later fills add to."""


def record_close(acct: Account, rec: dict[str, object]) -> None:
    """Add one closing fill's record to its order's closed-PnL record (Bybit keeps one record per
    closing order: sizes, values, PnL and fees summed, averages and ``fillCount`` following,
    ``createdTime`` the first close and ``updatedTime`` the last)."""
    order_id = str(rec["orderId"])
    held = acct.closed_by_order.get(order_id)
    if held is None:
        acct.closed_by_order[order_id] = rec
        acct.closed_pnl.append(rec)
        return
    for key in _SUMMED:
        held[key] = dstr(Decimal(str(held[key])) + Decimal(str(rec[key])))
    closed = Decimal(str(held["closedSize"])) + Decimal(str(rec["closedSize"]))
    held["closedSize"] = str(closed)  # the instrument's qty places, as each fill's
    held["avgEntryPrice"] = dstr(q8(Decimal(str(held["cumEntryValue"])) / closed))
    held["avgExitPrice"] = dstr(q8(Decimal(str(held["cumExitValue"])) / closed))
    held["fillCount"] = str(int(str(held["fillCount"])) + 1)
    held["updatedTime"] = rec["updatedTime"]


def apply_fill(
    acct: Account,
    order: Order,
    lots: int,
    tick: int,
    is_maker: bool,
    now_ms: int,
    exec_id: str,
    mark_tick: int,
    exec_type: str = "Trade",
) -> dict[str, object]:
    """Book one fill into the order, position and wallet; return the execution item
    (``exec_type`` ``BustTrade`` for a liquidation's takeover)."""
    spec = order.spec
    qty = spec.qty(lots)
    price = spec.px(tick)
    value = qty * price
    rate = MAKER_FEE if is_maker else TAKER_FEE
    fee = q8(value * rate)
    pos = acct.position(spec)
    closed = 0
    pnl = ZERO
    close_fee = ZERO
    if pos.size != 0 and (pos.size > 0) != (order.sign > 0):
        held = abs(pos.size)
        closed = min(held, lots)
        basis = pos.entry_value if closed == held else q8(pos.entry_value * closed / held)
        open_fee_part = pos.open_fee if closed == held else q8(pos.open_fee * closed / held)
        exit_value = spec.qty(closed) * price
        pnl = exit_value - basis if pos.size > 0 else basis - exit_value
        close_fee = fee if closed == lots else q8(fee * closed / lots)
        pos.entry_value -= basis
        pos.open_fee -= open_fee_part
        pos.size += order.sign * closed
        record_close(
            acct,
            {
                "symbol": spec.symbol,
                "orderId": order.order_id,
                "side": order.side,
                "qty": spec.fmt_qty(order.qty),
                "orderPrice": spec.fmt_px(order.price),
                "orderType": order.order_type,
                "execType": exec_type,
                "closedSize": spec.fmt_qty(closed),
                "cumEntryValue": dstr(basis),
                "avgEntryPrice": dstr(basis / spec.qty(closed)),
                "cumExitValue": dstr(exit_value),
                "avgExitPrice": spec.fmt_px(tick),
                "closedPnl": dstr(pnl - open_fee_part - close_fee),
                "fillCount": "1",
                "leverage": f"{pos.leverage.normalize():f}",
                "openFee": dstr(open_fee_part),
                "closeFee": dstr(close_fee),
                "createdTime": str(now_ms),
                "updatedTime": str(now_ms),
            },
        )
        if pos.size == 0:
            pos.take_profit = pos.stop_loss = 0
            pos.trailing_stop = pos.active_price = pos.trail_best = 0
    opened = lots - closed
    if opened:
        if pos.size == 0:
            pos.created_ms = now_ms
            pos.cur_realised = ZERO
        pos.size += order.sign * opened
        pos.entry_value += spec.qty(opened) * price
        pos.open_fee += fee - close_fee
    pos.cum_realised += pnl - fee
    pos.cur_realised += pnl - fee
    pos.updated_ms = now_ms
    pos.seq += 1
    acct.wallet += pnl - fee
    order.cum += lots
    order.cum_value += value
    order.cum_fee += fee
    order.closed_pnl += pnl
    order.updated_ms = now_ms
    ex: dict[str, object] = {
        "category": "linear",
        "symbol": spec.symbol,
        "orderType": order.order_type,
        "orderLinkId": order.link_id,
        "side": order.side,
        "orderId": order.order_id,
        "stopOrderType": order.stop_order_type,
        "leavesQty": spec.fmt_qty(order.qty - order.cum),
        "execTime": str(now_ms),
        "feeCurrency": "USDT",
        "isMaker": is_maker,
        "execFee": dstr(fee),
        "feeRate": f"{rate:f}",
        "execId": exec_id,
        "blockTradeId": "",
        "markPrice": spec.fmt_px(mark_tick),
        "execPrice": spec.fmt_px(tick),
        "orderQty": spec.fmt_qty(order.qty),
        "orderPrice": spec.fmt_px(order.price),
        "execValue": dstr(value),
        "execType": exec_type,
        "execQty": spec.fmt_qty(lots),
        "closedSize": spec.fmt_qty(closed),
        "execPnl": dstr(pnl),
        "extraFees": "",
        "seq": pos.seq,
        "isLeverage": "",
        "marketUnit": "",
        "createType": order.create_type,
        "underlyingPrice": "",
        "indexPrice": "",
        "tradeIv": "",
        "markIv": "",
    }
    acct.executions.append(ex)
    return ex


def wallet_dict(acct: Account, marks: dict[str, int]) -> dict[str, object]:
    """The wallet-balance ``list[0]`` item (also the private ``wallet`` topic item)."""
    upnl = ZERO
    pos_im = ZERO
    pos_mm = ZERO
    ord_im = ZERO
    cum_real = ZERO
    for sym, p in acct.positions.items():
        mt = marks.get(sym, 0)
        upnl += p.upnl(mt)
        pos_im += p.im()
        pos_mm += p.entry_value * MMR
        ord_im += order_im(acct, p.spec)
        cum_real += p.cum_realised
    equity = acct.wallet + upnl
    avail = equity - pos_im - ord_im
    im = pos_im + ord_im
    coin = {
        "coin": "USDT",
        "equity": dstr(equity),
        "usdValue": dstr(equity),
        "walletBalance": dstr(acct.wallet),
        "locked": "0",
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "accruedInterest": "0",
        "totalOrderIM": dstr(ord_im),
        "totalPositionIM": dstr(pos_im),
        "totalPositionMM": dstr(pos_mm),
        "unrealisedPnl": dstr(upnl),
        "cumRealisedPnl": dstr(cum_real),
        "bonus": "0",
        "marginCollateral": True,
        "collateralSwitch": True,
        "spotBorrow": "0",
        "availableToWithdraw": "",
        "availableToBorrow": "",
        "colRes": "0",
    }
    return {
        "accountType": "UNIFIED",
        "accountIMRate": dstr(im / equity) if equity > 0 else "0",
        "accountMMRate": dstr(pos_mm / equity) if equity > 0 else "0",
        "totalEquity": dstr(equity),
        "totalWalletBalance": dstr(acct.wallet),
        "totalMarginBalance": dstr(equity),
        "totalAvailableBalance": dstr(avail),
        "totalPerpUPL": dstr(upnl),
        "totalInitialMargin": dstr(im),
        "totalMaintenanceMargin": dstr(pos_mm),
        "accountIMRateByMp": dstr(im / equity) if equity > 0 else "0",
        "accountMMRateByMp": dstr(pos_mm / equity) if equity > 0 else "0",
        "totalInitialMarginByMp": dstr(im),
        "totalMaintenanceMarginByMp": dstr(pos_mm),
        "accountLTV": "0",
        "coin": [coin],
    }


def available_balance(acct: Account, marks: dict[str, int]) -> Decimal:
    """equity - position IM - order IM."""
    total = acct.wallet
    for sym, p in acct.positions.items():
        total += p.upnl(marks.get(sym, 0)) - p.im() - order_im(acct, p.spec)
    return total
