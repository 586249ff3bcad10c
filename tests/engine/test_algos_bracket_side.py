"""A bracket's side in the algos pane: the side of its entry (an OCO has none). It was empty, so
the pane showed ``-`` and the slippage of a buy bracket's entry came out with a seller's sign
(paying more than the arrival price read as a gain)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core.engine import Engine
from tests.support.engine_types import SYM, Ready
from widgets.algos import slippage_bp

D = Decimal


async def test_a_bracket_shows_its_entry_side(engine: Engine, ready: Ready) -> None:
    mark = await ready(engine)
    entry = (mark * D("0.9")).quantize(D(1))
    params = {
        "symbol": SYM,
        "side": "Buy",
        "qty": "0.01",
        "entry_type": "limit",
        "entry_price": str(entry),
        "take_profits": [[str(entry * 2), "1"]],
        "stop_price": str((entry * D("0.9")).quantize(D(1))),
    }
    res = await engine.start_algo("bracket", params)
    assert res.ok, res.message
    snap = next(s for s in engine.algos() if s.id == res.order_link_id)
    assert snap.side == "Buy"
    paid_more = replace(snap, avg_price=D(101), arrival_price=D(100))
    slip = slippage_bp(paid_more)
    assert slip is not None and slip > 0  # paid above the arrival price: worse for a buy
    assert (await engine.cancel_algo(res.order_link_id)).ok
