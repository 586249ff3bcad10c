"""The order preview: exact values after rounding, what a stop governs, closing orders, liquidity."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from core.api import CheckResult, RiskPreview
from core.model import Instrument, OrderRequest, OrderType, Position, Side, TimeInForce
from core.orders.builder import OrderBuilder
from core.risk.preview import POST_ONLY_CHECK, PreviewContext, position_effect, preview_order
from core.risk.sizing import DEFAULT_TAKER_FEE, loss_at_stop

BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
    D("1"), D("100"), D("0.01"),
)  # fmt: skip
OK = (CheckResult("mode", True),)
MARK = D("50000")


def _preview(
    req: OrderRequest, *, pos: Position | None = None, bid: str = "49999.9", ask: str = "50000.1"
) -> RiskPreview:
    built = OrderBuilder().build(req, BTC, ref_price=MARK, order_link_id="preview")
    ctx = PreviewContext(BTC, D("10"), position=pos, best_bid=D(bid), best_ask=D(ask))
    return preview_order(req, built, OK, ctx)


def _long(size: str, entry: str, sl: str | None = None, tp: str | None = None) -> Position:
    return Position(
        "BTCUSDT", Side.BUY, D(size), D(entry), MARK, D(0), leverage=D("10"),
        stop_loss=D(sl) if sl else None, take_profit=D(tp) if tp else None,
        position_im=D(size) * D(entry) / 10,
    )  # fmt: skip


# --- defect 6: what is sent, and every rounding said in words ----------------------------------
def test_rounded_qty_and_price_are_shown_and_said() -> None:
    p = _preview(OrderRequest("BTCUSDT", Side.BUY, D("0.0015"), price=D("49000.05")))
    assert p.qty == D("0.001") and p.price == D("49000.0")
    assert "qty 0.0015 → 0.001 (step 0.001, rounded down)" in p.adjustments
    assert any(a.startswith("price 49000.05 → 49000.0 (tick 0.1") for a in p.adjustments)


def test_trigger_tp_sl_rounding_is_said() -> None:
    req = OrderRequest(
        "BTCUSDT", Side.BUY, D("0.01"), OrderType.MARKET, trigger_price=D("50100.04"),
        take_profit=D("52000.06"), stop_loss=D("49000.04"),
    )  # fmt: skip
    p = _preview(req)
    assert (p.trigger, p.take_profit, p.stop_loss) == (D("50100.1"), D("52000.1"), D("49000.0"))
    text = "\n".join(p.adjustments)
    assert "trigger 50100.04 → 50100.1" in text and "TP 52000.06 → 52000.1" in text
    assert "SL 49000.04 → 49000.0" in text


def test_nothing_to_say_when_nothing_was_rounded() -> None:
    p = _preview(OrderRequest("BTCUSDT", Side.BUY, D("0.010"), price=D("49000.0")))
    assert p.adjustments == ()


# --- defect 4: a stop added to an existing position governs the whole position ------------------
def test_stop_on_top_of_a_position_counts_the_whole_position() -> None:
    pos = _long("0.500", "49500", sl="48000", tp="52000")
    req = OrderRequest("BTCUSDT", Side.BUY, D("0.010"), price=D("50000"), stop_loss=D("49000"))
    p = _preview(req, pos=pos)
    assert p.stop_qty == D("0.510")
    new_only = loss_at_stop(Side.BUY, D("0.010"), D("50000"), D("49000"), DEFAULT_TAKER_FEE)
    assert p.loss_at_stop is not None and p.loss_at_stop > new_only * 20
    # 0.5 x (49500 - 49000) + 0.01 x (50000 - 49000) + fees (entry 0.01 x 50000, exit 0.51 x 49000)
    fees = (D("0.01") * D("50000") + D("0.51") * D("49000")) * DEFAULT_TAKER_FEE
    assert p.loss_at_stop == D("250") + D("10") + fees
    words = "\n".join(p.notes)
    assert "SL 49000.0 replaces the position's SL 48000.0" in words
    assert "the whole position 0.510 (0.500 held + this 0.010)" in words


def test_a_tp_only_order_keeps_the_positions_stop_which_closes_everything() -> None:
    pos = _long("0.500", "49500", sl="48000")
    p = _preview(
        OrderRequest("BTCUSDT", Side.BUY, D("0.010"), price=D("50000"), take_profit=D("53000")), pos=pos
    )
    assert p.stop_qty == D("0.510") and p.loss_at_stop is not None
    assert p.loss_at_stop > D("0.5") * D("1500")


def test_stop_after_a_flip_governs_only_the_new_position() -> None:
    pos = _long("0.500", "49500")
    req = OrderRequest("BTCUSDT", Side.SELL, D("0.700"), price=D("50000"), stop_loss=D("51000"))
    p = _preview(req, pos=pos)
    assert p.closing_qty == D("0.500") and p.stop_qty == D("0.200")
    assert any("new position 0.200 after the flip" in n for n in p.notes)


# --- defect 8: a closing order shows margin released and realised PnL ---------------------------
def test_reduce_only_shows_released_margin_and_realised_pnl_not_a_new_position() -> None:
    pos = _long("0.500", "49500")
    req = OrderRequest("BTCUSDT", Side.SELL, D("0.200"), OrderType.MARKET, reduce_only=True)
    p = _preview(req, pos=pos)
    assert p.closing_qty == D("0.200")
    assert p.initial_margin == 0 and p.liq_price is None
    assert p.margin_released == D("0.500") * D("49500") / 10 * D("0.4")
    assert p.realised_pnl == D("0.2") * D("500") - D("0.2") * MARK * DEFAULT_TAKER_FEE


def test_reduce_only_without_a_position_says_the_venue_refuses_it() -> None:
    req = OrderRequest("BTCUSDT", Side.SELL, D("0.200"), OrderType.MARKET, reduce_only=True)
    p = _preview(req)
    assert any("nothing to reduce" in n for n in p.notes)


# --- defect 7: liquidity ----------------------------------------------------------------------
def test_a_crossing_limit_says_it_takes_liquidity() -> None:
    p = _preview(OrderRequest("BTCUSDT", Side.BUY, D("0.01"), price=D("50010")))
    assert any(n.startswith("crosses the spread: takes liquidity at taker fee") for n in p.notes)
    assert p.allowed


def test_a_crossing_post_only_is_refused_before_sending() -> None:
    req = OrderRequest("BTCUSDT", Side.SELL, D("0.01"), price=D("49990"), time_in_force=TimeInForce.POST_ONLY)
    p = _preview(req)
    assert not p.allowed
    assert p.blocking is not None and p.blocking.check == POST_ONLY_CHECK
    assert "EC_PostOnlyWillTakeLiquidity" in p.blocking.reason
    ok = _preview(
        OrderRequest("BTCUSDT", Side.SELL, D("0.01"), price=D("50010"), time_in_force=TimeInForce.POST_ONLY)
    )
    assert ok.allowed


@settings(max_examples=80, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    qty=st.decimals(D("0.001"), D("5"), places=3),
    held=st.decimals(D("0"), D("5"), places=3),
    held_side=st.sampled_from(list(Side)),
    reduce_only=st.booleans(),
)
def test_position_effect_splits_the_quantity(
    side: Side, qty: D, held: D, held_side: Side, reduce_only: bool
) -> None:
    pos = Position("BTCUSDT", held_side if held else None, held, MARK, MARK, D(0))
    e = position_effect(side, qty, reduce_only, pos)
    assert e.closing >= 0 and e.opening >= 0
    assert e.closing + e.opening <= qty
    if not reduce_only:
        assert e.closing + e.opening == qty
    assert e.closing <= (held if held_side is not side else 0)
