"""Resolving parsed commands against the market: offsets, $ sizes, risk sizing and partial closes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Instrument, OrderType, Position, Side, TimeInForce
from core.orders.grammar import PlaceCommand, PriceSpec, Risk, RiskUnit, Size, SizeUnit, parse
from core.orders.resolve import SOURCE, MarketContext, ResolveError, resolve_close, resolve_place
from core.risk.sizing import loss_at_stop

SYMS = ("BTCUSDT", "ETHUSDT")
BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
    D("1"), D("100"), D("0.01"),
)  # fmt: skip
FEE = D("0.00055")
CTX = MarketContext(BTC, best_bid=D("95000.0"), best_ask=D("95000.5"), mark=D("95000.2"), equity=D("100000"))


def place(text: str, ctx: MarketContext = CTX) -> tuple[object, tuple[str, ...]]:
    cmd = parse(text, SYMS)
    assert isinstance(cmd, PlaceCommand)
    r = resolve_place(cmd, ctx)
    return r.request, r.notes


def test_market_and_limit_as_typed() -> None:
    req, notes = place("buy 0.01")
    assert (req.side, req.qty, req.order_type, req.price, req.source) == (  # type: ignore[attr-defined]
        Side.BUY, D("0.01"), OrderType.MARKET, None, SOURCE,
    )  # fmt: skip
    assert notes == ()
    req, _ = place("sell 0.5 @ 95100 post")
    assert (req.side, req.qty, req.price, req.time_in_force) == (  # type: ignore[attr-defined]
        Side.SELL, D("0.5"), D("95100"), TimeInForce.POST_ONLY,
    )  # fmt: skip
    req, _ = place("buy 0.0015 @ 95000.05")  # typed figures pass as typed; the builder rounds and says so
    assert (req.qty, req.price) == (D("0.0015"), D("95000.05"))  # type: ignore[attr-defined]


def test_offsets_from_the_touch() -> None:
    req, notes = place("buy 0.1 @ -0.1%")  # best bid 95000.0 x 0.999 = 94905.0
    assert req.price == D("94905.0")  # type: ignore[attr-defined]
    assert "best bid 95,000.0 -0.1%" in notes[0]
    req, _ = place("sell 0.1 @ +0.1%")  # best ask 95000.5 x 1.001 = 95095.5005 -> up to 95095.6
    assert req.price == D("95095.6")  # type: ignore[attr-defined]
    req, _ = place("buy 0.1 @ +0.01%")  # 95009.5 exactly on tick
    assert req.price == D("95009.5")  # type: ignore[attr-defined]
    with pytest.raises(ResolveError, match="no best bid"):
        place("buy 0.1 @ -0.1%", MarketContext(BTC, best_ask=D("1"), mark=D("1")))


def test_quote_size_converts_at_the_order_price_rounded_down() -> None:
    req, notes = place("buy $500")  # at best ask 95000.5: 0.005263 -> 0.005
    assert req.qty == D("0.005") and req.order_type is OrderType.MARKET  # type: ignore[attr-defined]
    assert "best ask" in notes[0]
    req, _ = place("sell $500 @ 50000")
    assert req.qty == D("0.010")  # type: ignore[attr-defined]
    req, _ = place("sell $500", MarketContext(BTC, mark=D("50000")))  # empty book: the mark
    assert req.qty == D("0.010")  # type: ignore[attr-defined]
    with pytest.raises(ResolveError, match="less than one qty step"):
        place("buy $50")
    with pytest.raises(ResolveError, match="no price"):
        place("buy $500", MarketContext(BTC))


def test_risk_sizing_fees_included() -> None:
    # equity 100k, 1% = 1000 USDT; entry = best ask 95000.5, stop 94000:
    # per contract 1000.5 + 0.00055 x 189000.5 = 1104.450275 -> 0.905 (rounded down)
    req, notes = place("buy risk 1% stop 94000")
    assert req.qty == D("0.905") and req.stop_loss == D("94000")  # type: ignore[attr-defined]
    assert loss_at_stop(Side.BUY, req.qty, D("95000.5"), D("94000"), FEE) <= D("1000")  # type: ignore[attr-defined]
    assert "1% of equity 100,000.00 = 1,000.00 USDT" in notes[-1]
    # $200 at a stop 1.5% below a limit entry of 95000: stop 93575.0
    req, notes = place("buy risk $200 stop -1.5% @ 95000")
    assert req.stop_loss == D("93575.0") and req.price == D("95000")  # type: ignore[attr-defined]
    assert req.qty == D("0.130")  # type: ignore[attr-defined]  # 200 / (1425 + 103.716) = 0.1308
    assert loss_at_stop(Side.BUY, req.qty, D("95000"), D("93575.0"), FEE) <= D("200")  # type: ignore[attr-defined]
    req, _ = place("sell risk $200 stop +1.5% @ 95000")
    assert req.stop_loss == D("96425.0") and req.side is Side.SELL  # type: ignore[attr-defined]


def test_stops_on_the_wrong_side_are_refused() -> None:
    with pytest.raises(ResolveError, match="must be below the entry"):
        place("buy risk $200 stop 96000")
    with pytest.raises(ResolveError, match="must be above the entry"):
        place("sell risk $200 stop -1%")
    with pytest.raises(ResolveError, match="take profit .* must be above"):
        place("buy 0.1 tp -1%")
    with pytest.raises(ResolveError, match="equity"):
        place("buy risk 1% stop 94000", MarketContext(BTC, best_ask=D("95000")))
    with pytest.raises(ResolveError, match="even one qty step"):
        place("buy risk $0.5 stop 94000")


def _pos(side: Side | None, size: str) -> Position:
    return Position("BTCUSDT", side, D(size), D("90000"), D("95000"), D("0"))


def test_partial_close_rounds_down_and_never_flips() -> None:
    ctx = MarketContext(BTC, position=_pos(Side.BUY, "0.015"))
    r = resolve_close(parse("close 50%", SYMS), ctx)  # type: ignore[arg-type]
    assert (r.request.side, r.request.qty, r.request.reduce_only) == (Side.SELL, D("0.007"), True)
    assert r.request.order_type is OrderType.MARKET
    r = resolve_close(parse("close", SYMS), ctx)  # type: ignore[arg-type]
    assert r.request.qty == D("0.015")
    short = MarketContext(BTC, position=_pos(Side.SELL, "2"))
    assert resolve_close(parse("close 25%", SYMS), short).request.side is Side.BUY  # type: ignore[arg-type]
    with pytest.raises(ResolveError, match="no open position"):
        resolve_close(parse("close 50%", SYMS), CTX)  # type: ignore[arg-type]
    with pytest.raises(ResolveError, match="less than one qty step"):
        resolve_close(parse("close 1%", SYMS), MarketContext(BTC, position=_pos(Side.BUY, "0.05")))  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------
PRICES = st.decimals(D("1"), D("200000"), places=1)
TICKS = st.sampled_from([D("0.01"), D("0.1"), D("0.5"), D("1")])
STEPS = st.sampled_from([D("0.001"), D("0.01"), D("0.1"), D("1")])


def _inst(tick: D, step: D) -> Instrument:
    return Instrument(
        "BTCUSDT", "BTC", "USDT", tick, step, step, D("1000000"), D("1000000"), D("5"),
        D("1"), D("100"), D("0.01"),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    qty=st.decimals(D("0.001"), D("1000"), places=3),
    price=st.one_of(st.none(), PRICES),
    post=st.booleans(),
    reduce=st.booleans(),
    bid=PRICES,
    tick=TICKS,
    step=STEPS,
)
def test_typed_figures_reach_the_request_unchanged(
    side: Side, qty: D, price: D | None, post: bool, reduce: bool, bid: D, tick: D, step: D
) -> None:
    cmd = PlaceCommand(
        side,
        Size(qty, SizeUnit.CONTRACTS),
        price=PriceSpec(price) if price is not None else None,
        post_only=post and price is not None,
        reduce_only=reduce,
    )
    ctx = MarketContext(_inst(tick, step), best_bid=bid, best_ask=bid + tick, mark=bid)
    req = resolve_place(cmd, ctx).request
    assert (req.side, req.qty, req.price, req.reduce_only) == (side, qty, price, reduce)
    assert req.order_type is (OrderType.LIMIT if price is not None else OrderType.MARKET)
    assert (req.time_in_force is TimeInForce.POST_ONLY) == cmd.post_only
    assert req.stop_loss is None and req.take_profit is None and req.trigger_price is None


@settings(max_examples=400, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    by_pct=st.booleans(),
    amount=st.decimals(D("0.01"), D("50"), places=2),
    equity=st.decimals(D("100"), D("10000000"), places=2),
    stop_pct=st.decimals(D("0.05"), D("50"), places=2),
    limit_pct=st.one_of(st.none(), st.decimals(D("-5"), D("5"), places=2)),
    bid=PRICES,
    tick=TICKS,
    step=STEPS,
    fee=st.sampled_from([D("0"), D("0.0002"), D("0.00055"), D("0.001")]),
)
def test_risk_sizing_never_risks_more_than_the_amount(
    side: Side, by_pct: bool, amount: D, equity: D, stop_pct: D, limit_pct: D | None,
    bid: D, tick: D, step: D, fee: D,
) -> None:  # fmt: skip
    risk = Risk(amount, RiskUnit.PERCENT) if by_pct else Risk(amount * 100, RiskUnit.QUOTE)
    offset = -stop_pct if side is Side.BUY else stop_pct
    cmd = PlaceCommand(
        side,
        risk=risk,
        price=PriceSpec(offset_pct=limit_pct) if limit_pct is not None else None,
        stop=PriceSpec(offset_pct=offset),
    )
    ctx = MarketContext(_inst(tick, step), best_bid=bid, best_ask=bid + tick, equity=equity, taker_fee=fee)
    try:
        res = resolve_place(cmd, ctx)
    except ResolveError:
        return  # e.g. one step would already risk more, or the stop snapped onto the entry
    req = res.request
    entry = req.price if req.price is not None else (ctx.best_ask if side is Side.BUY else ctx.best_bid)
    assert entry is not None and req.stop_loss is not None
    budget = equity * amount / 100 if by_pct else amount * 100
    assert req.side is side and req.qty > 0 and req.qty % step == 0
    assert loss_at_stop(side, req.qty, entry, req.stop_loss, fee) <= budget
    if req.price is not None:  # an @ offset is never more aggressive than typed
        touch = ctx.best_bid if side is Side.BUY else ctx.best_ask
        assert touch is not None and limit_pct is not None
        exact = touch * (1 + limit_pct / 100)
        assert req.price <= exact if side is Side.BUY else req.price >= exact
        assert abs(req.price - exact) < tick


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    size=st.decimals(D("0.001"), D("1000"), places=3),
    pct=st.decimals(D("0.01"), D("100"), places=2),
    step=STEPS,
)
def test_a_partial_close_never_closes_more_than_asked(side: Side, size: D, pct: D, step: D) -> None:
    ctx = MarketContext(
        _inst(D("0.1"), step), position=Position("BTCUSDT", side, size, D("1"), D("1"), D("0"))
    )
    from core.orders.grammar import CloseCommand

    try:
        req = resolve_close(CloseCommand(pct), ctx).request
    except ResolveError:
        assert size * pct / 100 < step
        return
    assert req.reduce_only and req.side is side.opposite and req.order_type is OrderType.MARKET
    assert 0 < req.qty <= size * pct / 100
    if pct < 100:
        assert size * pct / 100 - req.qty < step
