"""An algo's preview is priced and risk-checked on one book.

The engine keeps two views of a book: the live one (every update, what a running algo reads) and
the published one (a copy made each publish interval, what the order preview checks a post-only
price against). On a rising market the live bid can reach the published ask; a chase previewed
at the live bid and checked against the published ask then read "post-only would take liquidity:
BLOCKED" although the book it was priced on had a spread.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core.engine import Engine
from core.model import BookLevel
from tests.support.engine_types import SYM, Ready, WaitFor

D = Decimal


async def test_a_chase_preview_is_not_blocked_by_a_book_it_was_not_priced_on(
    engine: Engine, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    await wait_for(lambda: engine.store.book(SYM) is not None, what="a published book")
    published = engine.store.book(SYM)
    assert published is not None and published.best_bid is not None
    live_bid = engine.algo_runner.view.best_bid(SYM)
    assert live_bid is not None
    tick = engine.instruments[SYM].tick_size
    # The published book from before a rise: its ask sits at the live bid (no await from here on,
    # so nothing publishes a newer one before the preview reads it).
    older = replace(
        published,
        bids=(BookLevel(live_bid - 2 * tick, D(1)),),
        asks=(BookLevel(live_bid, D(1)),),
    )
    engine.store.put_book(older)
    params = {"symbol": SYM, "side": "Buy", "qty": "0.01", "max_distance_pct": "0.5"}
    preview = engine.preview_algo("chase", params)
    assert preview.ok, [c.risk.blocking for c in preview.children] or preview.error
    (child,) = preview.children
    assert child.request.price == live_bid - 2 * tick  # the bid of the book it was checked on
