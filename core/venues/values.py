"""Numbers from a venue, checked at the adapter boundary: finite, in range, or refused by name.

A venue's JSON carries numbers as strings. ``Decimal("NaN")``, ``Decimal("Infinity")`` and
``Decimal("sNaN")`` all parse, and one of them reaching the engine poisons every comparison it
meets (a NaN mark price made every order on every symbol fail). So every venue number goes
through one of these readers, which raise :class:`BadValue` naming the field, the raw value and
what was wrong. Empty strings and None mean "not set" and give the caller's default.

* :func:`number`: any finite value (PnL, fees, funding rates, balances).
* :func:`size`: finite and >= 0 (quantities, sizes, margins).
* :func:`price`: finite and >= 0 (0 means "not set" for optional prices).
* :func:`positive`: finite and > 0 (a mark price, a tick size).

Values beyond :data:`MAX_MAGNITUDE` are refused too: no price or size comes near it, and
arithmetic on them would overflow the Decimal context further down the order path.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

ZERO = Decimal(0)
MAX_MAGNITUDE = Decimal("1e20")
"""Larger venue numbers are refused (the largest real ones, 24 h turnovers, are ~1e11)."""


class BadValue(ValueError):
    """A venue number that is not usable: names the field, the raw value and why."""

    def __init__(self, field: str, raw: Any, why: str) -> None:
        self.field = field
        self.raw = raw
        self.why = why
        super().__init__(f"{field} {_shown(raw)} {why}")


T = TypeVar("T")
Report = Callable[[BadValue], None]
"""Where a lenient reader reports a bad value it replaced (logged, counted, shown by health)."""


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _read(raw: Any, field: str) -> Decimal | None:
    """A finite Decimal, None for "not set", or :class:`BadValue`."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise BadValue(field, raw, "is not a number")
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise BadValue(field, raw, "is not a number") from None
    if not value.is_finite():
        raise BadValue(field, raw, "is not a finite number")
    if abs(value) >= MAX_MAGNITUDE:
        raise BadValue(field, raw, f"is out of range (>= {MAX_MAGNITUDE:f})")
    return value


def number(raw: Any, field: str, default: Decimal = ZERO) -> Decimal:
    """Any finite number; ``default`` when not set."""
    value = _read(raw, field)
    return default if value is None else value


def size(raw: Any, field: str, default: Decimal = ZERO) -> Decimal:
    """A finite number >= 0 (a quantity, a size, a margin); ``default`` when not set."""
    value = _read(raw, field)
    if value is None:
        return default
    if value < 0:
        raise BadValue(field, raw, "is negative")
    return value


def price(raw: Any, field: str, default: Decimal = ZERO) -> Decimal:
    """A finite price >= 0 (0 means "not set" for optional prices); ``default`` when not set."""
    value = _read(raw, field)
    if value is None:
        return default
    if value < 0:
        raise BadValue(field, raw, "is negative")
    return value


def positive(raw: Any, field: str, default: Decimal | None = None) -> Decimal:
    """A finite number > 0; when not set, ``default`` (which must then be given)."""
    value = _read(raw, field)
    if value is None:
        if default is None:
            raise BadValue(field, raw, "is missing")
        return default
    if value <= 0:
        raise BadValue(field, raw, "is not positive")
    return value


def lenient(report: Report | None, read: Callable[[Any, str], T], raw: Any, field: str, fallback: T) -> T:
    """``read(raw, field)``, or ``fallback`` after reporting the :class:`BadValue` to ``report``.

    For fields whose loss must not throw away the whole record (a position's mark price: the
    position itself must stay visible and closable). Without ``report`` the error is raised.
    """
    try:
        return read(raw, field)
    except BadValue as bad:
        if report is None:
            raise
        report(bad)
        return fallback


__all__ = ["MAX_MAGNITUDE", "BadValue", "Report", "lenient", "number", "positive", "price", "size"]
