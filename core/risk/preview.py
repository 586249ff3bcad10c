"""The order preview: what the ticket (and the command line) show before anything is sent.

What the screen shows is what is sent (invariant 7): the preview is computed from the builder's
:class:`~core.orders.built.BuiltOrder`, so it carries the exact quantity, price, trigger and TP/SL
after rounding, and a line for every value that differs from what was typed. It also says what
an attached stop will really govern: in Bybit's one-way mode with ``tpslMode=Full`` an order's
TP/SL is applied to the *whole* position once the order fills (the sim does the same in
``core/sim/matching.py``: a fill on the position's side replaces the position's TP/SL, and the
stop closes the full size). For an order that reduces a position it shows the margin released
and the estimated realised PnL instead of a new position's margin and liquidation price.

Pure Decimal arithmetic, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.api import CheckResult, RiskPreview
from core.model import Instrument, OrderRequest, OrderType, Position, Side, TimeInForce
from core.orders.built import BuiltOrder, fmt_decimal
from core.risk.sizing import (
    DEFAULT_MAKER_FEE,
    DEFAULT_MMR,
    DEFAULT_TAKER_FEE,
    estimated_fee,
    fee_rate_for,
    initial_margin,
    liquidation_price,
)

_ZERO = Decimal(0)

POST_ONLY_CHECK = "post_only"
"""The preview-only check that refuses a post-only order the venue would cancel on arrival."""


@dataclass(frozen=True, slots=True)
class PreviewContext:
    """The account and market facts a preview needs besides the built order."""

    instrument: Instrument
    leverage: Decimal
    position: Position | None = None
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    taker_fee: Decimal = DEFAULT_TAKER_FEE
    maker_fee: Decimal = DEFAULT_MAKER_FEE
    mmr: Decimal = DEFAULT_MMR


@dataclass(frozen=True, slots=True)
class PositionEffect:
    """How an order of ``qty`` meets the existing position: what it closes, what it opens."""

    closing: Decimal
    opening: Decimal
    held: Decimal
    """The existing position's size on the order's side (0 when flat or opposite)."""


def position_effect(side: Side, qty: Decimal, reduce_only: bool, position: Position | None) -> PositionEffect:
    """Split ``qty`` into the part that closes an opposite position and the part that opens or adds."""
    if position is None or position.is_flat or position.side is None:
        return PositionEffect(_ZERO, _ZERO if reduce_only else qty, _ZERO)
    if position.side is side:
        return PositionEffect(_ZERO, _ZERO if reduce_only else qty, position.size)
    closing = min(qty, position.size)
    opening = _ZERO if reduce_only else qty - closing
    return PositionEffect(closing, opening, _ZERO)


def _changed(what: str, typed: Decimal | None, sent: Decimal | None, places: int, why: str) -> list[str]:
    if typed is None or sent is None or typed == sent:
        return []
    return [f"{what} {typed} → {fmt_decimal(sent, places)} ({why})"]


def adjustments(request: OrderRequest, built: BuiltOrder, inst: Instrument) -> tuple[str, ...]:
    """A line for each value the builder rounded, e.g. ``qty 0.0015 → 0.001 (step 0.001)``."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    tick, step = f"{inst.tick_size.normalize():f}", f"{inst.qty_step.normalize():f}"
    price_way = "rounded down for a buy" if built.side is Side.BUY else "rounded up for a sell"
    trig_way = "rounded up: rising" if built.trigger_direction == 1 else "rounded down: falling"
    out = _changed("qty", request.qty, built.qty, qd, f"step {step}, rounded down")
    if built.order_type is OrderType.LIMIT:
        out += _changed("price", request.price, built.price, pd, f"tick {tick}, {price_way}")
    out += _changed("trigger", request.trigger_price, built.trigger_price, pd, f"tick {tick}, {trig_way}")
    out += _changed("TP", request.take_profit, built.tp, pd, f"tick {tick}, nearest")
    out += _changed("SL", request.stop_loss, built.sl, pd, f"tick {tick}, nearest")
    return tuple(out)


def liquidity_check(
    built: BuiltOrder, best_bid: Decimal | None, best_ask: Decimal | None
) -> CheckResult | None:
    """A failing ``post_only`` check when a post-only limit would cross the book (the venue cancels it)."""
    if built.tif is not TimeInForce.POST_ONLY or built.price is None or built.is_conditional:
        return None
    if _crosses(built, best_bid, best_ask):
        touch = best_ask if built.side is Side.BUY else best_bid
        rel = "≥ best ask" if built.side is Side.BUY else "≤ best bid"
        px = fmt_decimal(built.price, built.price_decimals)
        return CheckResult(
            POST_ONLY_CHECK,
            False,
            f"post-only {built.side.value.lower()} at {px} {rel} {touch} would take liquidity: "
            "the venue cancels it (EC_PostOnlyWillTakeLiquidity)",
        )
    return CheckResult(POST_ONLY_CHECK, True)


def _crosses(built: BuiltOrder, best_bid: Decimal | None, best_ask: Decimal | None) -> bool:
    if built.price is None:
        return False
    if built.side is Side.BUY:
        return best_ask is not None and built.price >= best_ask
    return best_bid is not None and built.price <= best_bid


def liquidity_notes(built: BuiltOrder, best_bid: Decimal | None, best_ask: Decimal | None) -> list[str]:
    """``crosses the spread`` for a plain limit that would trade at once."""
    if built.order_type is not OrderType.LIMIT or built.is_conditional:
        return []
    if built.tif is not TimeInForce.POST_ONLY and _crosses(built, best_bid, best_ask):
        touch = best_ask if built.side is Side.BUY else best_bid
        best = "ask" if built.side is Side.BUY else "bid"
        return [f"crosses the spread: takes liquidity at taker fee (best {best} {touch})"]
    return []


@dataclass(frozen=True, slots=True)
class StopView:
    """What an attached (or the position's) stop-loss governs."""

    stop: Decimal | None
    qty: Decimal | None
    loss: Decimal | None
    notes: tuple[str, ...]


def _tpsl_words(built: BuiltOrder, pos: Position, qd: int, pd: int) -> str:
    parts = []
    if built.sl is not None:
        had = f" replaces the position's SL {fmt_decimal(pos.stop_loss, pd)}" if pos.stop_loss else ""
        parts.append(f"SL {fmt_decimal(built.sl, pd)}{had}")
    if built.tp is not None:
        had = f" replaces the position's TP {fmt_decimal(pos.take_profit, pd)}" if pos.take_profit else ""
        parts.append(f"TP {fmt_decimal(built.tp, pd)}{had}")
    return "; ".join(parts)


def stop_view(built: BuiltOrder, effect: PositionEffect, ctx: PreviewContext) -> StopView:
    """The quantity a stop will close and the loss there (fees included), with the words to say it.

    Same side as the position: the order's TP/SL replaces the position's and the stop closes the
    whole position (held + this order). Opposite side and flipping: the stop governs the new
    position. Opposite side without a flip: the venue does not apply the order's TP/SL.
    """
    pos, inst = ctx.position, ctx.instrument
    qd, pd = inst.qty_decimals, inst.price_decimals
    has_tpsl = built.tp is not None or built.sl is not None
    if effect.closing > 0 and effect.opening == 0:
        if has_tpsl:
            return StopView(None, None, None, ("TP/SL not applied: this order only reduces the position",))
        return StopView(None, None, None, ())
    total = effect.held + effect.opening
    notes: list[str] = []
    stop = built.sl
    if effect.held > 0 and pos is not None:
        held, new = fmt_decimal(effect.held, qd), fmt_decimal(effect.opening, qd)
        whole = f"the whole position {fmt_decimal(total, qd)} ({held} held + this {new})"
        if has_tpsl:
            notes.append(f"{_tpsl_words(built, pos, qd, pd)}: applies to {whole}")
        elif pos.stop_loss:
            notes.append(f"the position's SL {fmt_decimal(pos.stop_loss, pd)} will close {whole}")
        stop = built.sl if built.sl is not None else pos.stop_loss
    elif effect.closing > 0 and has_tpsl:
        notes.append(f"TP/SL applies to the new position {fmt_decimal(effect.opening, qd)} after the flip")
    if stop is None:
        return StopView(None, None, None, tuple(notes))
    loss = _loss_at(stop, built, effect, ctx)
    return StopView(stop, total, loss, tuple(notes))


def held_loss_at(side: Side, size: Decimal, entry: Decimal, level: Decimal, taker_fee: Decimal) -> Decimal:
    """Loss (positive; negative = a gain) when ``size`` held at ``entry`` on ``side`` is closed at
    ``level`` by a market trigger: the price move and the taker fee on the exit (the entry fee is
    already paid). The position TP/SL box shows it for the whole position; the ticket adds it for
    the held part of a position its order's stop will close."""
    return size * (entry - level) * side.sign + size * level * taker_fee


def _loss_at(stop: Decimal, built: BuiltOrder, effect: PositionEffect, ctx: PreviewContext) -> Decimal:
    """Loss (positive) when the resulting position is closed at ``stop`` by a market stop."""
    sign = built.side.sign
    entry_rate = fee_rate_for(built, ctx.taker_fee, ctx.maker_fee)
    new = effect.opening * (built.ref_price - stop) * sign + effect.opening * built.ref_price * entry_rate
    new += effect.opening * stop * ctx.taker_fee
    held = _ZERO
    if effect.held > 0 and ctx.position is not None:
        held = held_loss_at(built.side, effect.held, ctx.position.entry_price, stop, ctx.taker_fee)
    return new + held


def _closing_figures(
    built: BuiltOrder, effect: PositionEffect, ctx: PreviewContext
) -> tuple[Decimal, Decimal]:
    """(margin released, estimated realised PnL after the exit fee) for the closing part."""
    pos = ctx.position
    assert pos is not None and pos.side is not None  # effect.closing > 0 implies an opposite position
    share = effect.closing / pos.size
    im = pos.position_im if pos.position_im > 0 else pos.size * pos.entry_price / pos.leverage
    exit_price = built.ref_price
    gross = effect.closing * (exit_price - pos.entry_price) * pos.side.sign
    fee = estimated_fee(effect.closing * exit_price, fee_rate_for(built, ctx.taker_fee, ctx.maker_fee))
    return im * share, gross - fee


def preview_order(
    request: OrderRequest, built: BuiltOrder, checks: tuple[CheckResult, ...], ctx: PreviewContext
) -> RiskPreview:
    """The :class:`RiskPreview` for ``built`` (the builder's result for ``request``) and its verdicts."""
    effect = position_effect(built.side, built.qty, built.reduce_only, ctx.position)
    po = liquidity_check(built, ctx.best_bid, ctx.best_ask)
    all_checks = checks + ((po,) if po is not None else ())
    rate = fee_rate_for(built, ctx.taker_fee, ctx.maker_fee)
    opening_notional = effect.opening * built.ref_price
    liq = None
    if effect.opening > 0:
        liq = liquidation_price(built.side, built.ref_price, ctx.leverage, ctx.mmr)
    released = pnl = None
    if effect.closing > 0:
        released, pnl = _closing_figures(built, effect, ctx)
    stop = stop_view(built, effect, ctx)
    notes = liquidity_notes(built, ctx.best_bid, ctx.best_ask) + list(stop.notes)
    if built.reduce_only and effect.closing == 0:
        notes.append("reduce-only with no opposite position: nothing to reduce, the venue refuses it")
    return RiskPreview(
        symbol=built.symbol,
        qty=built.qty,
        price=built.price,
        notional=built.notional,
        initial_margin=initial_margin(opening_notional, ctx.leverage),
        est_fee=estimated_fee(built.notional, rate),
        liq_price=liq,
        loss_at_stop=stop.loss,
        checks=all_checks,
        trigger=built.trigger_price,
        take_profit=built.tp,
        stop_loss=built.sl,
        adjustments=adjustments(request, built, ctx.instrument),
        notes=tuple(notes),
        stop_qty=stop.qty,
        closing_qty=effect.closing,
        margin_released=released,
        realised_pnl=pnl,
    )


__all__ = [
    "POST_ONLY_CHECK",
    "PositionEffect",
    "PreviewContext",
    "StopView",
    "adjustments",
    "held_loss_at",
    "liquidity_check",
    "liquidity_notes",
    "position_effect",
    "preview_order",
    "stop_view",
]
