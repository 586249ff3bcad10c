"""Property: no order that breaks a configured limit ever reaches the venue (the real engine on the
in-process venue: a fresh account per example)."""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import FrozenClock
from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.orders.built import BuiltOrder
from core.venues.base import PlaceAck
from core.venues.bybit.encode import order_params
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.prepared import prepared_exchange
from tests.support.venue_under_test import ONE_SYMBOL, SHORT_CHART_HISTORY, TMPFS, InProcessVenue, fresh

MAX_ORDER = Decimal("50000")
MAX_POSITION = Decimal("100000")
BAND_PCT = Decimal("5")
MAX_OPEN = 4
SEED = 21
BALANCE = Decimal("100000")
TOL = Decimal(1)  # nothing moves the mark between the decision and the recording (virtual clock)


class RecordingVenue(SimulatedVenue):
    """The in-process venue, recording what the engine sends and the state it sent it in."""

    engine: Engine

    def __init__(self) -> None:
        # A copy of the seeded market built once (the same state a fresh build has, without
        # synthesising a day of history again for every example).
        exchange = prepared_exchange(
            seed=SEED, start_ms=FrozenClock().now_ms(), symbols=ONE_SYMBOL, starting_balance=BALANCE
        )
        clock = exchange.clock
        assert isinstance(clock, FrozenClock)
        super().__init__(clock, seed=SEED, symbols=ONE_SYMBOL, starting_balance=BALANCE, exchange=exchange)
        self.sent: list[dict[str, Any]] = []

    def place(self, order: BuiltOrder) -> PlaceAck:
        eng = self.engine
        sym = order.symbol
        self.sent.append(
            {
                "params": order_params(order),
                "mark": eng.pretrade.ref_price(sym),
                "position": eng.state.positions.get(sym),
                "open": [o for o in eng.state.orders.values() if o.order_link_id != order.order_link_id],
            }
        )
        return super().place(order)


order_st = st.tuples(
    st.sampled_from([Side.BUY, Side.SELL]),
    st.sampled_from(["0.001", "0.01", "0.1", "0.4", "0.6", "1.5", "5"]),
    st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET]),
    st.sampled_from(["-0.20", "-0.08", "-0.03", "-0.004", "0.004", "0.03", "0.08", "0.20"]),
    st.booleans(),
)


def _violations(rec: dict[str, Any]) -> list[str]:
    p = rec["params"]
    mark: Decimal = rec["mark"]
    qty = Decimal(p["qty"])
    side = Side(p["side"])
    reduce_only = bool(p.get("reduceOnly"))
    price = Decimal(p["price"]) if "price" in p else mark
    pos = rec["position"]
    signed = pos.signed_size if pos is not None else Decimal(0)
    reduces = reduce_only or (signed != 0 and (signed > 0) != (side is Side.BUY) and qty <= abs(signed))
    out = []
    if not reduces and qty * price > MAX_ORDER * TOL:
        out.append(f"order notional {qty * price}")
    if p["orderType"] == "Limit":
        if side is Side.BUY and price > mark * (1 + BAND_PCT / 100) * TOL:
            out.append(f"buy {price} above band of {mark}")
        if side is Side.SELL and price < mark * (1 - BAND_PCT / 100) / TOL:
            out.append(f"sell {price} below band of {mark}")
        if len(rec["open"]) >= MAX_OPEN:
            out.append(f"{len(rec['open'])} open orders already")
    if not reduces:
        same_side = sum(
            (o.leaves_qty for o in rec["open"] if o.side is side and o.symbol == p["symbol"]), Decimal(0)
        )
        projected = abs(signed + side.sign * (qty + same_side))
        if projected * mark > MAX_POSITION * TOL:
            out.append(f"projected position {projected} x {mark}")
    return out


async def _scenario(orders: list[tuple[Side, str, OrderType, str, bool]]) -> None:
    # On tmpfs where there is one (every intent is fsynced; no example is about the disk).
    with tempfile.TemporaryDirectory(dir=TMPFS if TMPFS.is_dir() else None) as tmp:
        await _run(orders, Path(tmp))


async def _run(orders: list[tuple[Side, str, OrderType, str, bool]], tmp: Path) -> None:
    recorder = RecordingVenue()
    venue = InProcessVenue(venue=recorder, chart_history=SHORT_CHART_HISTORY, symbols=ONE_SYMBOL)
    settings = venue.settings(
        tmp,
        risk={
            "max_order_notional": str(MAX_ORDER),
            "max_position_notional": str(MAX_POSITION),
            "max_gross_exposure": "10000000",
            "price_band_pct": str(BAND_PCT),
            "max_open_orders": MAX_OPEN,
        },
    )
    engine = venue.engine(settings)
    recorder.engine = engine
    await engine.start()
    try:
        await venue.wait_for(fresh(engine), what="a fresh book and ticker")
        ticker = engine.store.ticker("BTCUSDT")
        assert ticker is not None
        mark = ticker.mark_price
        for side, qty, otype, offset, reduce_only in orders:
            price = (
                (mark * (1 + Decimal(offset))).quantize(Decimal("0.1")) if otype is OrderType.LIMIT else None
            )
            await engine.place(
                OrderRequest("BTCUSDT", side, Decimal(qty), otype, price, reduce_only=reduce_only)
            )
        for rec in recorder.sent:
            assert not _violations(rec), (_violations(rec), rec["params"])
    finally:
        await engine.panic()
        await engine.stop()


# The same examples every run (a property that fails must fail for everyone, not by chance).
@settings(max_examples=12, deadline=None, derandomize=True)
@given(orders=st.lists(order_st, min_size=10, max_size=20))
def test_no_limit_breaking_order_reaches_the_venue(orders: list[Any]) -> None:
    asyncio.run(_scenario(orders))
