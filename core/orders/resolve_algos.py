"""Resolve a parsed algo command against the market: an :data:`~core.orders.algo_commands.AlgoCommand`
plus a :class:`~core.orders.resolve.MarketContext` -> ``(kind, params)`` for the engine's
``start_algo`` / ``preview_algo``, with a note for every figure derived from the market.

Pure Decimal arithmetic, no I/O. The params carry only what the text said plus the documented
defaults (the algo's own defaults for anything not given):

* ``@ -0.1%`` (iceberg, when): the touch (best bid for a buy, best ask for a sell) times
  ``1 + offset/100``, snapped to the tick never more aggressively.
* bracket ``tp``/``sl`` percents: from the entry price (the limit, or the touch a market entry
  takes at: best ask for a buy, best bid for a sell), snapped to the nearest tick. An unsigned
  percent is a distance in the trade's favour for ``tp`` and against it for ``sl``. Several
  take-profits split the quantity equally (fractions to 4 places, the remainder on the last).
* trail: the position it protects is the symbol's open position (refused when flat).
* twap without ``xN``: one slice a minute (at least one).
* scale: ``lin``/``exp`` sizes grow towards the higher prices (``skew up``) or the lower ones
  (``skew down``); an exponential ladder growing downwards runs from the high price to the low.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from core.model import Side
from core.orders import resolve_when as when
from core.orders.algo_commands import (
    AlgoCommand,
    BracketCommand,
    ChaseCommand,
    IcebergCommand,
    Offset,
    ScaleCommand,
    TrailCommand,
    TwapCommand,
    WhenCommand,
)
from core.orders.algo_sizes import check_qty, check_split
from core.orders.algos._twap_limits import MAX_DURATION_MS, MAX_SLICES
from core.orders.resolve import MarketContext, ResolveError

_HUNDRED = Decimal(100)
_MS = 1000
SECONDS_PER_SLICE = 60
"""A TWAP without ``xN`` sends one slice a minute."""
FRACTION_STEP = Decimal("0.0001")
EXIT_SPAN_PCT = Decimal(50)
"""A bracket's take-profit or stop further than this from its entry price is refused as a typo:
``tp 1,5`` is two take-profits at prices 1 and 5, which rest as orders that never fill."""
"""Take-profit fractions are quantized to this; the last one takes the remainder."""


@dataclass(frozen=True, slots=True)
class AlgoOrder:
    """What ``start_algo`` is called with, and how each derived figure was computed."""

    kind: str
    params: dict[str, Any]
    notes: tuple[str, ...] = ()


def _snap(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return ((value / step).to_integral_value(rounding=rounding) * step).quantize(step)


def _touch(side: Side, ctx: MarketContext, *, taking: bool) -> tuple[Decimal, str]:
    """The passive touch (bid for a buy), or with ``taking`` the price a market order takes."""
    buy_side = (side is Side.BUY) != taking
    price, name = (ctx.best_bid, "best bid") if buy_side else (ctx.best_ask, "best ask")
    if price is None or price <= 0:
        raise ResolveError(f"no {name} for {ctx.symbol} yet: this needs the book")
    return price, name


def _limit(spec: Offset, side: Side, ctx: MarketContext, notes: list[str]) -> Decimal:
    """An absolute limit price, or a signed offset from the passive touch (snapped passively)."""
    if spec.price is not None:
        return spec.price
    assert spec.pct is not None
    if not spec.signed:
        raise ResolveError(f"price: {spec.pct}% needs a sign: -{spec.pct}% (lower) or +{spec.pct}% (higher)")
    touch, name = _touch(side, ctx, taking=False)
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    price = _snap(touch * (1 + spec.pct / _HUNDRED), ctx.instrument.tick_size, rounding)
    notes.append(f"price {price} = {name} {touch} {spec.pct:+}% (to tick)")
    return price


def _exit(spec: Offset, label: str, favour: bool, side: Side, base: tuple[Decimal, str], ctx: MarketContext,
          notes: list[str]) -> Decimal:  # fmt: skip
    """A take-profit (``favour``) or stop: absolute, or a percent from the entry price."""
    if spec.price is not None:
        return spec.price
    assert spec.pct is not None
    pct = spec.pct
    if not spec.signed:
        up = (side is Side.BUY) == favour
        pct = pct if up else -pct
    entry, name = base
    price = _snap(entry * (1 + pct / _HUNDRED), ctx.instrument.tick_size, ROUND_HALF_UP)
    notes.append(f"{label} {price} = {name} {entry} {pct:+}%")
    return price


def _fractions(n: int) -> list[Decimal]:
    each = (Decimal(1) / n).quantize(FRACTION_STEP, rounding=ROUND_FLOOR)
    return [each] * (n - 1) + [Decimal(1) - each * (n - 1)]


def _base(side: Side, qty: Decimal, symbol: str) -> dict[str, Any]:
    return {"symbol": symbol, "side": side.value, "qty": str(qty)}


def _chase(cmd: ChaseCommand, ctx: MarketContext) -> AlgoOrder:
    check_qty(cmd.qty, ctx.instrument)
    params = _base(cmd.side, cmd.qty, ctx.symbol) | {"reduce_only": cmd.reduce_only}
    if cmd.max_abs is not None:
        params["max_distance"] = str(cmd.max_abs)
    if cmd.max_pct is not None:
        params["max_distance_pct"] = str(cmd.max_pct)
    return AlgoOrder("chase", params)


def _scale(cmd: ScaleCommand, ctx: MarketContext) -> AlgoOrder:
    check_qty(cmd.qty, ctx.instrument)
    low, high = str(cmd.low), str(cmd.high)
    skew = {"flat": "flat", "lin": "up" if cmd.larger_high else "down", "exp": "exp"}[cmd.shape]
    backwards = cmd.shape == "exp" and not cmd.larger_high
    params: dict[str, Any] = {
        "symbol": ctx.symbol,
        "side": cmd.side.value,
        "total_qty": str(cmd.qty),
        "price_from": high if backwards else low,
        "price_to": low if backwards else high,
        "count": cmd.count,
        "spacing": "geometric" if cmd.geometric else "linear",
        "skew": skew,
        "reduce_only": cmd.reduce_only,
        "post_only": cmd.post_only,
    }
    return AlgoOrder("scale", params)


def _twap(cmd: TwapCommand, ctx: MarketContext) -> AlgoOrder:
    notes: list[str] = []
    slices = cmd.slices
    if slices is None:
        slices = max(1, cmd.duration_s // SECONDS_PER_SLICE)
        notes.append(f"{slices} slice(s): one a minute (add xN for another count)")
    if cmd.duration_s * _MS > MAX_DURATION_MS:
        raise ResolveError(f"twap: {cmd.duration_s}s is longer than {MAX_DURATION_MS // _MS // 3600}h")
    if slices > MAX_SLICES:
        raise ResolveError(f"twap: {slices} slices is more than {MAX_SLICES}")
    check_qty(cmd.qty, ctx.instrument)
    check_split(cmd.qty, slices, ctx.instrument, f"twap: {slices} slices")
    params = _base(cmd.side, cmd.qty, ctx.symbol) | {
        "duration_ms": cmd.duration_s * _MS,
        "slices": slices,
        "mode": "maker" if cmd.maker else "taker",
        "reduce_only": cmd.reduce_only,
    }
    if cmd.limit is not None:
        params["limit_price"] = str(cmd.limit)
    return AlgoOrder("twap", params, tuple(notes))


def _iceberg(cmd: IcebergCommand, ctx: MarketContext) -> AlgoOrder:
    notes: list[str] = []
    check_qty(cmd.qty, ctx.instrument)
    check_qty(cmd.display, ctx.instrument, "show")
    price = _limit(cmd.price, cmd.side, ctx, notes)
    params = _base(cmd.side, cmd.qty, ctx.symbol) | {
        "price": str(price),
        "display": str(cmd.display),
        "post_only": cmd.post_only,
        "reduce_only": cmd.reduce_only,
    }
    return AlgoOrder("iceberg", params, tuple(notes))


def _bracket(cmd: BracketCommand, ctx: MarketContext) -> AlgoOrder:
    notes: list[str] = []
    check_qty(cmd.qty, ctx.instrument)
    if cmd.take_profits:
        check_split(
            cmd.qty, len(cmd.take_profits), ctx.instrument, f"bracket: {len(cmd.take_profits)} take-profits"
        )
    params = _base(cmd.side, cmd.qty, ctx.symbol) | {"trigger_by": "mark"}
    if cmd.entry is not None:
        entry = _limit(cmd.entry, cmd.side, ctx, notes)
        base = (entry, "entry")
        params |= {"entry_type": "limit", "entry_price": str(entry)}
    else:
        base = _touch(cmd.side, ctx, taking=True)
        params |= {"entry_type": "market"}
    tps = [_exit(s, f"tp {i + 1}", True, cmd.side, base, ctx, notes) for i, s in enumerate(cmd.take_profits)]
    fractions = _fractions(len(tps)) if tps else []
    params["take_profits"] = [[str(p), f"{f.normalize():f}"] for p, f in zip(tps, fractions, strict=True)]
    if len(tps) > 1:
        notes.append(
            "take-profits share the filled qty: " + ", ".join(f"{f.normalize():f}" for f in fractions)
        )
    stop = None if cmd.stop is None else _exit(cmd.stop, "sl", False, cmd.side, base, ctx, notes)
    if stop is not None:
        params["stop_price"] = str(stop)
    if cmd.entry is None:
        _exits_beyond_touch(cmd.side, base, tps, stop)
    _exits_near(base, tps, stop)
    return AlgoOrder("bracket", params, tuple(notes))


def _exits_near(base: tuple[Decimal, str], tps: list[Decimal], stop: Decimal | None) -> None:
    """Every exit within :data:`EXIT_SPAN_PCT` of the entry price: one further off is a typo
    (a decimal comma read as a list of prices), and would leave the position unprotected."""
    entry, name = base
    named = [(f"tp {i + 1}", tp) for i, tp in enumerate(tps)] + ([("sl", stop)] if stop is not None else [])
    for label, price in named:
        off = (price - entry) / entry * _HUNDRED
        if abs(off) > EXIT_SPAN_PCT:
            raise ResolveError(
                f"bracket: {label} {price} is {off:+.1f}% from the {name} {entry}: an exit more than "
                f"{EXIT_SPAN_PCT}% away is refused as a typo. A comma separates take-profits (1,5 is "
                "two prices, 1 and 5): write a percent as 1.5%, a price near the entry as 96000"
            )


def _exits_beyond_touch(
    side: Side, base: tuple[Decimal, str], tps: list[Decimal], stop: Decimal | None
) -> None:
    """A market entry's exits on the right side of the price it takes: a take-profit in profit
    (above it for a buy), the stop in loss; otherwise the exit would close the entry at once."""
    entry, name = base
    up = side is Side.BUY
    for i, tp in enumerate(tps):
        if (tp <= entry) if up else (tp >= entry):
            where = "above" if up else "below"
            raise ResolveError(
                f"bracket: tp {i + 1} {tp} is not {where} the {name} {entry} a market {side.value.lower()} "
                "takes: a take-profit must be in profit, or it closes the entry at once"
            )
    if stop is not None and ((stop >= entry) if up else (stop <= entry)):
        where = "below" if up else "above"
        raise ResolveError(
            f"bracket: sl {stop} is not {where} the {name} {entry} a market {side.value.lower()} takes: "
            f"the stop would trigger at once"
        )


def _trail(cmd: TrailCommand, ctx: MarketContext) -> AlgoOrder:
    if cmd.on_venue:
        raise ResolveError("trail ... ex is the venue's own trailing stop, not an engine algo")
    pos = ctx.position
    if pos is None or pos.is_flat or pos.side is None:
        raise ResolveError(f"trail: no open position in {ctx.symbol} to protect")
    params: dict[str, Any] = {
        "symbol": ctx.symbol,
        "position_side": pos.side.value,
        "distance": str(cmd.distance),
        "distance_type": "pct" if cmd.pct else "abs",
        "trigger_by": "mark",
    }
    if cmd.activation is not None:
        params["activation_price"] = str(cmd.activation)
    side = "long" if pos.side is Side.BUY else "short"
    return AlgoOrder("trail", params, (f"protects the {side} {pos.size} {ctx.symbol} (its whole size)",))


def _when(cmd: WhenCommand, ctx: MarketContext) -> AlgoOrder:
    notes: list[str] = []
    check_qty(cmd.qty, ctx.instrument)
    order: dict[str, Any] = _base(cmd.side, cmd.qty, ctx.symbol) | {"reduce_only": cmd.reduce_only}
    if cmd.price is None:
        order |= {"order_type": "market"}
    else:
        price = _limit(cmd.price, cmd.side, ctx, notes)
        tif = "postonly" if cmd.post_only else "gtc"
        order |= {"order_type": "limit", "price": str(price), "time_in_force": tif}
    params: dict[str, Any] = {"symbol": ctx.symbol, "condition": when.condition(cmd, ctx), "order": order}
    expiry = when.expiry_ms(cmd, ctx)
    if expiry is not None:
        params["expiry_ms"] = expiry
    return AlgoOrder("cond", params, tuple(notes))


def resolve_algo(cmd: AlgoCommand, ctx: MarketContext) -> AlgoOrder:
    """``(kind, params)`` for ``cmd`` on ``ctx``'s symbol; ResolveError when the market data it
    needs is missing (a touch for an offset, a position for a trailing stop)."""
    if isinstance(cmd, ChaseCommand):
        return _chase(cmd, ctx)
    if isinstance(cmd, ScaleCommand):
        return _scale(cmd, ctx)
    if isinstance(cmd, TwapCommand):
        return _twap(cmd, ctx)
    if isinstance(cmd, IcebergCommand):
        return _iceberg(cmd, ctx)
    if isinstance(cmd, BracketCommand):
        return _bracket(cmd, ctx)
    if isinstance(cmd, TrailCommand):
        return _trail(cmd, ctx)
    return _when(cmd, ctx)


__all__ = ["FRACTION_STEP", "SECONDS_PER_SLICE", "AlgoOrder", "resolve_algo"]
