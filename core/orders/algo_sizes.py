"""Sizes an algo line gives, checked against the instrument before anything is previewed.

An algo's children are built from the quantities the trader typed: a quantity off the
instrument's step would be rounded by the builder (the screen said 0.0015, the venue got 0.001),
and one below the minimum order makes an algo that can never place anything (a TWAP whose
slices round to nothing, an iceberg showing less than one order). Nothing here rounds: a size
that cannot be sent as typed is refused with the numbers and what to type instead.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.model import Instrument
from core.orders.resolve import ResolveError

_SHOWN = Decimal("0.000001")
"""A part's size is shown to this precision in the refusal."""


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(step)


def _ceil(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(step)


def smallest(inst: Instrument) -> Decimal:
    """The smallest quantity one order of ``inst`` can have."""
    return max(inst.qty_step, inst.min_order_qty)


def check_qty(qty: Decimal, inst: Instrument, field: str = "quantity") -> None:
    """``qty`` is on the step and at least one order's minimum, or ResolveError says what to type."""
    step = inst.qty_step
    if qty < smallest(inst):
        raise ResolveError(
            f"{field}: {qty} is below {inst.symbol}'s minimum order of {smallest(inst)}: nothing was sent"
        )
    if qty % step:
        low, high = _floor(qty, step), _ceil(qty, step)
        raise ResolveError(
            f"{field}: {qty} is not a multiple of {inst.symbol}'s qty step {step}: type {low} or {high} "
            "(nothing is rounded for you)"
        )


def check_split(qty: Decimal, parts: int, inst: Instrument, what: str) -> None:
    """``qty`` in ``parts`` equal parts leaves each at least one order's minimum."""
    each = _floor(qty / parts, inst.qty_step)
    if each < smallest(inst):
        most = max(1, int(qty / smallest(inst)))
        part = (qty / parts).quantize(_SHOWN).normalize()
        raise ResolveError(
            f"{what}: {qty} in {parts} parts is {part:f} each, below {inst.symbol}'s minimum "
            f"order of {smallest(inst)}: use at most {most}"
        )


__all__ = ["check_qty", "check_split", "smallest"]
