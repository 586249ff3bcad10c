"""Pushes the bridge's market data into the market panes: ladder, tape, chart, market strip, fills.

Kept out of :mod:`console.app` so the app stays a coordinator: each function takes one frame's
plain data and the instruments, and every pane decides itself whether anything changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from console.bridge import MarketFrame
from core.model import Fill, Instrument
from widgets.chart import ChartLevel

if TYPE_CHECKING:
    from console.screens.main import MainScreen


def apply_market(main: MainScreen, mf: MarketFrame, inst: Instrument | None, now_ms: int) -> None:
    """Ladder, tape, chart and market strip for the selected symbol."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    tick = inst.tick_size if inst else None
    main.ladder.set_book(
        mf.symbol, mf.book, mf.own, price_places=pp, qty_places=qp, tick=tick, depth=mf.depth
    )
    if main.tape.display:
        main.tape.set_trades(mf.trades, price_places=pp, qty_places=qp)
    t = mf.ticker
    # Always handed over, even while hidden: the bridge sends changed candles only once.
    main.chart.set_candles(
        mf.symbol,
        mf.timeframe,
        mf.candles,
        [ChartLevel(price, kind) for kind, price in mf.levels],
        last=t.last_price if t else None,
        mark=t.mark_price if t else None,
        price_places=pp,
    )
    main.market_strip.set_ticker(
        mf.symbol, t, now_ms, price_places=pp, base_coin=inst.base_coin if inst else ""
    )


def apply_fills(
    main: MainScreen, fills: Sequence[Fill] | None, instruments: Mapping[str, Instrument], now_ms: int
) -> None:
    """The fills pane (``fills`` None: unchanged; the day's summary still follows ``now_ms``)."""
    places = {s: (i.price_decimals, i.qty_decimals) for s, i in instruments.items()}
    main.fills.set_fills(fills, now_ms, places=places)
