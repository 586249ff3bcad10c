"""Order matching: user orders against the synthetic book, resting orders against the trade flow.

Takers sweep the synthetic book at price-time priority (the book's levels are "other participants").
Resting user orders fill as makers when generated trades print at or through their price; among
user orders the priority is price, then time. Conditional orders and position TP/SL trigger on
last, mark or index price and then run through the same path.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR

from core.sim import trailing
from core.sim._common import SimError
from core.sim._orders import Order
from core.sim.accounts import Account, Position, apply_fill, available_balance, order_im, wallet_dict
from core.sim.instruments import MARKET_SLIPPAGE, TAKER_FEE, InstrumentSpec
from core.sim.market import MarketGenerator, SymbolMarket

Emit = Callable[[str, str, dict[str, object]], None]


def _buy_key(o: Order) -> tuple[int, int]:
    return (-o.price, o.seq)


def _sell_key(o: Order) -> tuple[int, int]:
    return (o.price, o.seq)


class Matcher:
    """Owns resting/conditional order books per symbol and performs every fill."""

    def __init__(self, gen: MarketGenerator, emit: Emit, seed: int) -> None:
        self.gen = gen
        self.emit = emit
        self.buys: dict[str, list[Order]] = {s: [] for s in gen.symbols}
        self.sells: dict[str, list[Order]] = {s: [] for s in gen.symbols}
        self.conditionals: dict[str, list[Order]] = {s: [] for s in gen.symbols}
        self.tpsl: dict[str, dict[str, Account]] = {s: {} for s in gen.symbols}
        self.accounts: dict[str, Account] = {}
        self.now = 0
        self._prefix = f"{(seed * 2654435761) & 0xFFFFFFFF:08x}"
        self._oid = 0
        self._eid = 0
        self._seq = 0

    # --- ids and references ------------------------------------------------------------------
    def new_order_id(self) -> str:
        """A deterministic uuid-shaped order id."""
        self._oid += 1
        return f"{self._prefix}-0000-4000-8000-{self._oid:012x}"

    def _exec_id(self) -> str:
        self._eid += 1
        return f"{self._prefix}-0000-4000-9000-{self._eid:012x}"

    def new_exec_id(self) -> str:
        """A deterministic uuid-shaped execution id (funding and liquidation executions)."""
        return self._exec_id()

    def next_seq(self) -> int:
        """Time priority sequence."""
        self._seq += 1
        return self._seq

    def ref_tick(self, sm: SymbolMarket, by: str) -> int:
        """Current trigger reference price in ticks."""
        if by == "MarkPrice":
            return sm.mark_tick()
        if by == "IndexPrice":
            return sm.index_tick()
        return sm.last_tick

    def marks(self) -> dict[str, int]:
        """Mark price ticks per symbol."""
        return {s: sm.mark_tick() for s, sm in self.gen.symbols.items()}

    def protection_tick(self, sm: SymbolMarket, sign: int) -> int:
        """Market-order protection price: best opposite price moved ``MARKET_SLIPPAGE`` against the taker."""
        spec = sm.spec
        book = sm.book.asks if sign > 0 else sm.book.bids
        best = book.best()
        ref = spec.px(best if best is not None else sm.mark_tick())
        if sign > 0:
            px = (ref * (1 + MARKET_SLIPPAGE) / spec.tick).to_integral_value(ROUND_FLOOR)
        else:
            px = (ref * (1 - MARKET_SLIPPAGE) / spec.tick).to_integral_value(ROUND_CEILING)
        return max(1, int(px))

    # --- pushes ------------------------------------------------------------------------------
    def push_state(self, acct: Account, spec: InstrumentSpec) -> None:
        """Push the position and wallet items of ``acct``."""
        sm = self.gen.symbols[spec.symbol]
        self.emit(acct.api_key, "position", acct.position(spec).to_dict(sm.mark_tick(), self.now, ws=True))
        self.emit(acct.api_key, "wallet", wallet_dict(acct, self.marks()))

    def _push_order(self, o: Order) -> None:
        self.emit(o.api_key, "order", o.to_dict(ws=True))

    # --- margin ------------------------------------------------------------------------------
    def check_margin(self, acct: Account, o: Order) -> None:
        """110007 when the extra initial margin plus a taker-fee buffer exceeds the available balance."""
        if o.reduce_only:
            return
        spec = o.spec
        extra = order_im(acct, spec, o) - order_im(acct, spec)
        need = extra + spec.qty(o.qty - o.cum) * spec.px(o.price) * TAKER_FEE
        if extra > 0 and need > available_balance(acct, self.marks()):
            raise SimError(110007, "ab not enough for new order")

    # --- order lifecycle ---------------------------------------------------------------------
    def execute(self, acct: Account, o: Order) -> None:
        """Run a fresh (or amended, or just triggered) order: take liquidity, then rest or cancel."""
        sm = self.gen.symbols[o.spec.symbol]
        opp = sm.book.asks if o.sign > 0 else sm.book.bids
        best = opp.best()
        crosses = best is not None and (best <= o.price if o.sign > 0 else best >= o.price)
        if o.tif == "PostOnly" and crosses:
            self._close(o, "Cancelled", "CancelByUser", "EC_PostOnlyWillTakeLiquidity")
            return
        if o.tif == "FOK":
            need = self._fillable(acct, o)
            avail = 0
            for _, lots in opp.through(o.price):
                avail += lots
                if avail >= need:
                    break
            if avail < need:
                self._close(o, "Cancelled", "CancelByUser", "EC_NoImmediateQtyToFill")
                return
        if crosses:
            self._take(acct, o, sm)
        if o.status not in ("New", "PartiallyFilled", "Filled"):
            return
        if o.cum >= o.qty:
            o.status = "Filled"
        elif o.reduce_only and self._fillable(acct, o) == 0:
            self._close(o, "Cancelled", "CancelByReduceOnly", "EC_NoError", push=False)
        elif o.order_type == "Market" or o.tif in ("IOC", "FOK"):
            self._close(o, "Cancelled", "CancelByUser", "EC_NoImmediateQtyToFill", push=False)
        else:
            o.status = "PartiallyFilled" if o.cum else "New"
            self._rest(o)
        o.updated_ms = self.now
        self._push_order(o)

    def _fillable(self, acct: Account, o: Order) -> int:
        """Lots the order may still fill (reduce-only orders are capped at the position size)."""
        leaves = o.qty - o.cum
        if not o.reduce_only:
            return leaves
        size = acct.position(o.spec).size
        if size == 0 or (size > 0) == (o.sign > 0):
            return 0
        return min(leaves, abs(size))

    def _take(self, acct: Account, o: Order, sm: SymbolMarket) -> None:
        opp = sm.book.asks if o.sign > 0 else sm.book.bids
        for tick, lots in opp.through(o.price):
            want = self._fillable(acct, o)
            if want <= 0:
                break
            take = min(want, lots)
            opp.set(tick, lots - take)
            sm.record_trade(self.now, tick, take, o.sign)
            self._fill(acct, o, take, tick, is_maker=False)
        sm.book.seq += 1

    def _fill(self, acct: Account, o: Order, lots: int, tick: int, is_maker: bool) -> None:
        sm = self.gen.symbols[o.spec.symbol]
        ex = apply_fill(acct, o, lots, tick, is_maker, self.now, self._exec_id(), sm.mark_tick())
        o.status = "Filled" if o.cum >= o.qty else "PartiallyFilled"
        self.emit(acct.api_key, "execution", ex)
        pos = acct.position(o.spec)
        if (o.take_profit or o.stop_loss) and pos.size != 0 and (pos.size > 0) == (o.sign > 0):
            pos.take_profit = o.take_profit or pos.take_profit
            pos.stop_loss = o.stop_loss or pos.stop_loss
            pos.tp_trigger_by = o.tp_trigger_by or "LastPrice"
            pos.sl_trigger_by = o.sl_trigger_by or "LastPrice"
        if pos.take_profit or pos.stop_loss:
            self.tpsl[o.spec.symbol][acct.api_key] = acct
        if acct.resting:  # a flat or flipped position leaves reduce-only orders nothing to reduce
            self._cancel_reduce_only(acct, o)

    def _cancel_reduce_only(self, acct: Account, filled: Order) -> None:
        for other in list(acct.resting.values()):
            if (
                other is not filled
                and other.spec is filled.spec
                and other.reduce_only
                and other.status in ("New", "PartiallyFilled")
            ) and self._fillable(acct, other) == 0:
                self.unrest(other)
                self._close(other, "Cancelled", "CancelByReduceOnly", "EC_NoError")

    def _close(self, o: Order, status: str, cancel_type: str, reason: str, push: bool = True) -> None:
        o.status = status
        o.cancel_type = cancel_type
        o.reject_reason = reason
        o.updated_ms = self.now
        if push:
            self._push_order(o)

    def _rest(self, o: Order) -> None:
        sym = o.spec.symbol
        self.accounts[o.api_key].resting[o.order_id] = o
        if o.sign > 0:
            insort(self.buys[sym], o, key=_buy_key)
        else:
            insort(self.sells[sym], o, key=_sell_key)

    def unrest(self, o: Order) -> None:
        """Remove ``o`` from the resting or conditional lists, if present."""
        sym = o.spec.symbol
        self.accounts[o.api_key].resting.pop(o.order_id, None)
        for lst in (self.buys[sym], self.sells[sym], self.conditionals[sym]):
            for i, x in enumerate(lst):
                if x is o:
                    del lst[i]
                    return

    def cancel(self, o: Order, cancel_type: str = "CancelByUser") -> None:
        """Cancel an open order."""
        self.unrest(o)
        o.status = "Deactivated" if o.status == "Untriggered" else "Cancelled"
        o.cancel_type = cancel_type
        o.updated_ms = self.now
        self._push_order(o)

    # --- market-driven events ----------------------------------------------------------------
    def on_market(self) -> set[str]:
        """After a market step: fill resting orders, trigger conditionals and TP/SL. Returns touched keys."""
        touched: set[str] = set()
        accounts = self.accounts
        for sym, sm in self.gen.symbols.items():
            if self.buys[sym] or self.sells[sym]:
                self._fill_resting(accounts, sm, touched)
            if self.conditionals[sym]:
                self._trigger(accounts, sm, touched)
            if self.tpsl[sym]:
                self._tpsl(sm, touched)
        return touched

    def _fill_resting(self, accounts: dict[str, Account], sm: SymbolMarket, touched: set[str]) -> None:
        sym = sm.spec.symbol
        hi_buy = 0
        lo_sell = 0
        at_buy: dict[int, int] = {}
        at_sell: dict[int, int] = {}
        for tr in sm.trades:
            if tr.side > 0:
                hi_buy = max(hi_buy, tr.tick)
                at_buy[tr.tick] = at_buy.get(tr.tick, 0) + tr.lots
            else:
                lo_sell = tr.tick if lo_sell == 0 else min(lo_sell, tr.tick)
                at_sell[tr.tick] = at_sell.get(tr.tick, 0) + tr.lots
        bb, ba = sm.book.bids.best(), sm.book.asks.best()
        # Resting sells fill when buyers print at/through them or the bid reaches them.
        for o in list(self.sells[sym]):
            through = o.price < hi_buy or (bb is not None and o.price <= bb)
            if not through and o.price != hi_buy:
                break
            acct = accounts[o.api_key]
            self._maker_fill(acct, o, None if through else at_buy, touched)
        for o in list(self.buys[sym]):
            through = (lo_sell and o.price > lo_sell) or (ba is not None and o.price >= ba)
            if not through and o.price != lo_sell:
                break
            acct = accounts[o.api_key]
            self._maker_fill(acct, o, None if through else at_sell, touched)

    def _maker_fill(self, acct: Account, o: Order, volume: dict[int, int] | None, touched: set[str]) -> None:
        want = self._fillable(acct, o)
        if volume is not None:
            want = min(want, volume.get(o.price, 0))
            volume[o.price] = volume.get(o.price, 0) - want
        touched.add(acct.api_key)
        if want > 0:
            self._fill(acct, o, want, o.price, is_maker=True)
        if o.cum >= o.qty:
            self.unrest(o)
        elif o.is_open and o.reduce_only and self._fillable(acct, o) == 0:
            self.unrest(o)
            o.status = "Cancelled"
            o.cancel_type = "CancelByReduceOnly"
        if o.status == "Cancelled" or want > 0:
            o.updated_ms = self.now
            self._push_order(o)
            self.push_state(acct, o.spec)

    def _trigger(self, accounts: dict[str, Account], sm: SymbolMarket, touched: set[str]) -> None:
        sym = sm.spec.symbol
        for o in list(self.conditionals[sym]):
            ref = self.ref_tick(sm, o.trigger_by)
            hit = ref >= o.trigger if o.trigger_direction == 1 else ref <= o.trigger
            if not hit:
                continue
            self.conditionals[sym].remove(o)
            acct = accounts[o.api_key]
            touched.add(acct.api_key)
            o.status = "Triggered"
            o.updated_ms = self.now
            self._push_order(o)
            o.status = "New"
            if o.order_type == "Market":
                o.price = self.protection_tick(sm, o.sign)
            if o.reduce_only and self._fillable(acct, o) == 0:
                self._close(o, "Deactivated", "CancelByReduceOnly", "EC_NoError")
            else:
                try:
                    self.check_margin(acct, o)
                except SimError:
                    self._close(o, "Rejected", "UNKNOWN", "EC_InsufficientBalance")
                else:
                    self.execute(acct, o)
            self.push_state(acct, o.spec)

    def _tpsl(self, sm: SymbolMarket, touched: set[str]) -> None:
        sym = sm.spec.symbol
        for key, acct in list(self.tpsl[sym].items()):
            pos = acct.position(sm.spec)
            if pos.size == 0 or not (pos.take_profit or pos.stop_loss or pos.trailing_stop):
                del self.tpsl[sym][key]
                continue
            kind, trigger, trigger_by = self._tpsl_hit(sm, pos)
            if not kind:
                continue
            pos.take_profit = pos.stop_loss = 0
            trailing.clear(pos)
            del self.tpsl[sym][key]
            touched.add(key)
            self._close_position(acct, sm, pos, kind, trigger, trigger_by)

    def _tpsl_hit(self, sm: SymbolMarket, pos: Position) -> tuple[str, int, str]:
        """(stop order type, trigger tick, trigger price type) of a protection hit now, or ("", 0, "")."""
        long = pos.size > 0
        if pos.take_profit:
            ref = self.ref_tick(sm, pos.tp_trigger_by)
            if (ref >= pos.take_profit) if long else (ref <= pos.take_profit):
                return "TakeProfit", pos.take_profit, pos.tp_trigger_by
        if pos.stop_loss:
            ref = self.ref_tick(sm, pos.sl_trigger_by)
            if (ref <= pos.stop_loss) if long else (ref >= pos.stop_loss):
                return "StopLoss", pos.stop_loss, pos.sl_trigger_by
        level = trailing.step(pos, sm.last_tick)
        if level:
            return "TrailingStop", level, "LastPrice"
        return "", 0, ""

    def _close_position(
        self, acct: Account, sm: SymbolMarket, pos: Position, kind: str, trigger: int, trigger_by: str
    ) -> None:
        """The whole position closed by a reduce-only market order a protection created."""
        key = acct.api_key
        long = pos.size > 0
        sign = -1 if long else 1
        o = Order(
            order_id=self.new_order_id(),
            link_id="",
            api_key=key,
            spec=sm.spec,
            side="Buy" if sign > 0 else "Sell",
            sign=sign,
            order_type="Market",
            price=self.protection_tick(sm, sign),
            qty=abs(pos.size),
            tif="IOC",
            reduce_only=True,
            close_on_trigger=True,
            created_ms=self.now,
            seq=self.next_seq(),
            trigger=trigger,
            trigger_by=trigger_by,
            create_type=f"CreateBy{kind}",
            stop_order_type=kind,
            last_price_on_created=sm.spec.fmt_px(sm.last_tick),
        )
        acct.orders[o.order_id] = o
        acct.order_log.append(o)
        self.execute(acct, o)
        self.push_state(acct, sm.spec)
