"""Liquidation in the sim venue (Bybit V5 linear perpetuals, isolated-style per position).

A position's liquidation price is its entry price moved by ``1/leverage - MMR`` against it (the
initial margin less the maintenance margin, no extra margin added); its bankruptcy price is the
entry moved by ``1/leverage`` (0 % margin left). When the mark price reaches the liquidation price
the liquidation engine takes the position over: the account's open orders on the symbol are
cancelled (``cancelType`` ``CancelAllBeforeLiq``), and the whole position is closed at the
bankruptcy price by an order created ``CreateByTakeOver_PassThrough`` whose execution has
``execType`` ``BustTrade`` and pays the taker fee on the value closed (the liquidation fee). The
margin between the liquidation and bankruptcy prices is lost to the position; the account shows
the realised loss, the fee and the flat position.

A check costs one dict lookup per open position per market step (the liquidation price is cached
until the position changes); a flat account costs a loop over its positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.sim import trailing
from core.sim._orders import Order
from core.sim.accounts import Account, Position, apply_fill
from core.sim.matching import Matcher

CREATE_TYPE = "CreateByTakeOver_PassThrough"
EXEC_TYPE = "BustTrade"
CANCEL_TYPE = "CancelAllBeforeLiq"

_Key = tuple[int, Decimal, Decimal]


def trigger_tick(pos: Position) -> int:
    """The liquidation price in ticks, rounded so that ``mark <= it`` (long) or ``mark >= it``
    (short) holds exactly when the mark price has reached the liquidation price."""
    liq = pos.liq_price()
    assert liq is not None
    ticks = liq / pos.spec.tick
    rounding = ROUND_FLOOR if pos.size > 0 else ROUND_CEILING
    return int(ticks.to_integral_value(rounding))


def bust_tick(pos: Position) -> int:
    """The bankruptcy price in ticks (rounded toward the entry, never below one tick)."""
    bust = pos.bust_price()
    assert bust is not None
    rounding = ROUND_CEILING if pos.size > 0 else ROUND_FLOOR
    return max(1, int((bust / pos.spec.tick).to_integral_value(rounding)))


class Liquidator:
    """Watches open positions against their symbols' mark prices and liquidates them."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self._ticks: dict[int, tuple[_Key, int]] = {}
        self.liquidations = 0

    def _trigger(self, pos: Position) -> int:
        key = (pos.size, pos.entry_value, pos.leverage)
        held = self._ticks.get(id(pos))
        if held is not None and held[0] == key:
            return held[1]
        tick = trigger_tick(pos)
        self._ticks[id(pos)] = (key, tick)
        return tick

    def check(self, accounts: Iterable[Account]) -> int:
        """Liquidate every position whose mark has reached its liquidation price; the count."""
        symbols = self.matcher.gen.symbols
        done = 0
        for acct in accounts:
            for pos in acct.positions.values():
                if pos.size == 0:
                    continue
                mark = symbols[pos.spec.symbol].mark_tick()
                trig = self._trigger(pos)
                if (mark <= trig) if pos.size > 0 else (mark >= trig):
                    self.liquidate(acct, pos)
                    done += 1
        self.liquidations += done
        return done

    def liquidate(self, acct: Account, pos: Position) -> None:
        """Take ``pos`` over: cancel the symbol's open orders, close it at the bankruptcy price."""
        m = self.matcher
        spec = pos.spec
        sym = spec.symbol
        for o in [*acct.resting.values(), *m.conditionals[sym]]:
            if o.spec is spec and o.api_key == acct.api_key and o.is_open:
                m.cancel(o, CANCEL_TYPE)
        pos.take_profit = pos.stop_loss = 0
        trailing.clear(pos)
        m.tpsl[sym].pop(acct.api_key, None)
        sign = -1 if pos.size > 0 else 1
        price = bust_tick(pos)
        o = Order(
            order_id=m.new_order_id(),
            link_id="",
            api_key=acct.api_key,
            spec=spec,
            side="Buy" if sign > 0 else "Sell",
            sign=sign,
            order_type="Market",
            price=price,
            qty=abs(pos.size),
            tif="IOC",
            reduce_only=True,
            close_on_trigger=True,
            created_ms=m.now,
            seq=m.next_seq(),
            create_type=CREATE_TYPE,
            last_price_on_created=spec.fmt_px(m.gen.symbols[sym].last_tick),
        )
        acct.orders[o.order_id] = o
        acct.order_log.append(o)
        mark = m.gen.symbols[sym].mark_tick()
        ex = apply_fill(acct, o, o.qty, price, False, m.now, m.new_exec_id(), mark, exec_type=EXEC_TYPE)
        o.status = "Filled"
        o.updated_ms = m.now
        m.emit(acct.api_key, "execution", ex)
        m.emit(acct.api_key, "order", o.to_dict(ws=True))
        m.push_state(acct, spec)
        self._ticks.pop(id(pos), None)
