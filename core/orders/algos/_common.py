"""Small pieces every algo shares: snapping to tick/step, the touch, plain-data state helpers.

Algos keep their state as JSON-able plain data (Decimals as strings); these helpers convert
both ways and validate parameters with a ValueError that names the parameter.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from core.model import Side
from core.orders.algos.base import MarketView, Progress

ZERO = Decimal(0)


# --- snapping ---------------------------------------------------------------------------------
def snap_down(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a whole multiple of ``step`` (carries ``step``'s exponent)."""
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(step)


def snap_up(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded up to a whole multiple of ``step``."""
    return ((value / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(step)


def snap_passive(price: Decimal, tick: Decimal, side: Side) -> Decimal:
    """A limit price snapped never more aggressively than asked: buys down, sells up."""
    return snap_down(price, tick) if side is Side.BUY else snap_up(price, tick)


def touch(view: MarketView, symbol: str, side: Side) -> Decimal | None:
    """The price a passive order of ``side`` joins: best bid for a buy, best ask for a sell."""
    return view.best_bid(symbol) if side is Side.BUY else view.best_ask(symbol)


# --- plain data -------------------------------------------------------------------------------
def dec_str(value: Decimal | None) -> str | None:
    """A Decimal as a JSON-able string (None stays None)."""
    return None if value is None else str(value)


def dec_or_none(raw: Any) -> Decimal | None:
    """Back from :func:`dec_str`."""
    return None if raw is None else Decimal(str(raw))


def progress_state(progress: Progress) -> dict[str, Any]:
    """The pane's progress as plain data (part of every algo's state)."""
    return {
        "filled": str(progress.filled),
        "total": str(progress.total),
        "avg_price": dec_str(progress.avg_price),
        "arrival_price": dec_str(progress.arrival_price),
        "note": progress.note,
        "children": dict(progress.children),
    }


def restore_progress(raw: Mapping[str, Any]) -> Progress:
    """Back from :func:`progress_state`."""
    return Progress(
        filled=Decimal(str(raw["filled"])),
        total=Decimal(str(raw["total"])),
        avg_price=dec_or_none(raw.get("avg_price")),
        arrival_price=dec_or_none(raw.get("arrival_price")),
        note=str(raw.get("note", "")),
        children={str(k): str(v) for k, v in dict(raw.get("children", {})).items()},
    )


def tag_of(progress: Progress, child_id: str) -> str | None:
    """The algo's tag for one of its children (the runner records tag -> id when it sends)."""
    for tag, cid in progress.children.items():
        if cid == child_id:
            return tag
    return None


def rng_state(rng: random.Random) -> list[Any]:
    """A seeded generator's state as plain data."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def restore_rng(raw: Sequence[Any]) -> random.Random:
    """Back from :func:`rng_state`."""
    rng = random.Random()
    rng.setstate((int(raw[0]), tuple(int(x) for x in raw[1]), raw[2]))
    return rng


# --- parameter validation ---------------------------------------------------------------------
def param_decimal(
    params: Mapping[str, Any], name: str, *, positive: bool = True, default: Decimal | None = None
) -> Decimal:
    """A required (or defaulted) Decimal parameter; ValueError names it and what is accepted."""
    raw = params.get(name)
    if raw is None:
        if default is not None:
            return default
        raise ValueError(f"{name}: required (a decimal number)")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValueError(f"{name}: {raw!r} is not a decimal number") from exc
    if not value.is_finite():
        raise ValueError(f"{name}: {raw!r} is not a finite number")
    if positive and value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value}")
    if not positive and value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value}")
    return value


def param_optional_decimal(params: Mapping[str, Any], name: str) -> Decimal | None:
    """An optional positive Decimal parameter (None when absent)."""
    if params.get(name) is None:
        return None
    return param_decimal(params, name)


def param_choice(params: Mapping[str, Any], name: str, choices: Sequence[str], default: str) -> str:
    """A string parameter that must be one of ``choices``."""
    raw = params.get(name, default)
    value = str(raw)
    if value not in choices:
        raise ValueError(f"{name}: {raw!r} is not one of {', '.join(choices)}")
    return value


def param_side(params: Mapping[str, Any], name: str = "side") -> Side:
    """``Buy`` or ``Sell`` (case-insensitive)."""
    raw = str(params.get(name, ""))
    for side in Side:
        if raw.lower() == side.value.lower():
            return side
    raise ValueError(f"{name}: {raw!r} is not Buy or Sell")


def param_int(params: Mapping[str, Any], name: str, *, minimum: int, default: int | None = None) -> int:
    """An integer parameter >= ``minimum``."""
    raw = params.get(name, default)
    if raw is None or isinstance(raw, bool):
        raise ValueError(f"{name}: required (an integer >= {minimum})")
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {raw!r} is not an integer") from exc
    if value != raw and str(value) != str(raw):
        raise ValueError(f"{name}: {raw!r} is not a whole number")
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return value


def param_bool(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A boolean parameter (true/false only)."""
    raw = params.get(name, default)
    if not isinstance(raw, bool):
        raise ValueError(f"{name}: {raw!r} is not true or false")
    return raw
