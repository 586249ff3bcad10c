"""The position's trailing stop (``trailingStop``/``activePrice`` on /v5/position/trading-stop).

Bybit's trailing stop is a price distance kept behind the best last traded price since it became
active; the venue does not take a trigger price type for it (the request has ``tpTriggerBy`` and
``slTriggerBy`` only) and follows the last price, so the sim does too:

* ``trailingStop`` is a distance in price (on the tick grid, > 0; ``"0"`` removes it). For a
  long it must be below the last price (the stop would sit at or below zero otherwise).
* ``activePrice`` (optional) arms it: it starts trailing only once the last price reaches it
  (long: last >= activePrice; short: last <= activePrice). Already reached, or absent: it trails
  from the last price at once.
* Once active, the best last price since (highest for a long, lowest for a short) sets the stop:
  best - distance (long) or best + distance (short). When the last price reaches it, the whole
  position is closed by a reduce-only market order (``stopOrderType`` ``TrailingStop``,
  ``createType`` ``CreateByTrailingStop``) and every position TP/SL/trailing stop is cleared.
"""

from __future__ import annotations

from core.sim._common import Params, SimError, get_dec
from core.sim.accounts import Position
from core.sim.instruments import InstrumentSpec

PARAM_ERROR = 10001


def distance_ticks(spec: InstrumentSpec, params: Params) -> int | None:
    """``trailingStop`` in ticks: None when absent, 0 for ``"0"``; 10001 negative or off the grid."""
    d = get_dec(params, "trailingStop")
    if d is None:
        return None
    if d < 0:
        raise SimError(PARAM_ERROR, "trailingStop invalid: cannot be less than 0")
    if d == 0:
        return 0
    t = spec.ticks_of(d)
    if t is None:
        raise SimError(PARAM_ERROR, "trailingStop invalid: not a multiple of tickSize")
    return t


def active_ticks(spec: InstrumentSpec, params: Params, distance: int | None) -> int:
    """``activePrice`` in ticks (0 when absent); it only goes with a trailing stop being set."""
    d = get_dec(params, "activePrice")
    if d is None or d == 0:
        return 0
    if not distance:
        raise SimError(PARAM_ERROR, "activePrice invalid: it arms a trailingStop, give one > 0")
    t = spec.ticks_of(d)
    if t is None or d < spec.min_price or d > spec.max_price:
        raise SimError(PARAM_ERROR, "activePrice invalid")
    return t


def arm(pos: Position, distance: int, active: int, last_tick: int) -> None:
    """Set (``distance`` > 0) or remove (0) the trailing stop of an open position."""
    long = pos.size > 0
    if distance and long and distance >= last_tick:
        raise SimError(PARAM_ERROR, "trailingStop invalid: must be below the last price for a long")
    pos.trailing_stop, pos.active_price, pos.trail_best = distance, active if distance else 0, 0
    if distance and (not active or _reached(long, last_tick, active)):
        pos.trail_best = last_tick


def _reached(long: bool, last_tick: int, active: int) -> bool:
    return last_tick >= active if long else last_tick <= active


def step(pos: Position, last_tick: int) -> int:
    """Follow the last price; the stop's tick when it is hit now, else 0."""
    if not pos.trailing_stop or pos.size == 0:
        return 0
    long = pos.size > 0
    if not pos.trail_best:
        if not _reached(long, last_tick, pos.active_price):
            return 0
        pos.trail_best = last_tick
    pos.trail_best = max(pos.trail_best, last_tick) if long else min(pos.trail_best, last_tick)
    level = stop_tick(pos)
    hit = last_tick <= level if long else last_tick >= level
    return level if hit else 0


def stop_tick(pos: Position) -> int:
    """The current stop (0 before activation)."""
    if not pos.trail_best:
        return 0
    return pos.trail_best - pos.trailing_stop if pos.size > 0 else pos.trail_best + pos.trailing_stop


def clear(pos: Position) -> None:
    """No trailing stop any more (the position closed or the stop fired)."""
    pos.trailing_stop = pos.active_price = pos.trail_best = 0


def fmt_distance(spec: InstrumentSpec, ticks: int) -> str:
    """A distance in ticks as Bybit prints a price (``"0"`` without one)."""
    return spec.fmt_px(ticks) if ticks else "0"
