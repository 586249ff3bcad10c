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
* :func:`integer`: a whole number >= 0 (a timestamp, an update id).
* :func:`flag`: a JSON boolean (``reduceOnly``, ``isMaker``): ``"false"`` is not False.
* :func:`text`: a string (an id, a symbol, a status).

Values beyond :data:`MAX_MAGNITUDE`, non-zero values closer to zero than
:data:`MIN_MAGNITUDE`, and strings that are not plain ASCII numbers (``"1_000"``, ``"٣"``, which
Python's Decimal would read) are refused too: no venue number looks like them, and arithmetic on
them would overflow the Decimal context further down the order path (a tick size of ``1e-40``
makes every quantize of a price fail).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

ZERO = Decimal(0)
MAX_MAGNITUDE = Decimal("1e20")
"""Larger venue numbers are refused (the largest real ones, 24 h turnovers, are ~1e11)."""
MIN_MAGNITUDE = Decimal("1e-18")
"""Non-zero venue numbers closer to zero are refused (the smallest real ones are ~1e-8)."""
MAX_INTEGER = 10**19
"""Larger integers are refused (a nanosecond timestamp is ~1.8e18)."""
_PLAIN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A venue number as text: ASCII digits, one optional point and exponent."""
_SPECIAL = re.compile(r"[+-]?(?:s?nan[0-9]*|inf|infinity)", re.IGNORECASE)


class BadValue(ValueError):
    """A venue value that is not usable: names the field, the raw value and why."""

    def __init__(self, field: str, raw: Any, why: str) -> None:
        self.field = field
        self.raw = raw
        self.why = why
        super().__init__(f"{field} {_shown(raw)} {why}")


T = TypeVar("T")
Report = Callable[[BadValue], None]
"""Where a lenient reader reports a bad value it replaced (logged, counted, shown by health)."""


SHOWN_CHARS = 40
"""The most of a bad value a report quotes."""


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


KNOWN_MAX = 4_096
"""Number strings whose reading is remembered (cleared when full): a stream repeats its sizes,
prices and zeros, and a Decimal is immutable, so a string read once is read again from here.
Full, it holds ~1.5 MiB. A live feed brings ~100 new strings a second (24 h turnovers, volumes,
open interest that never repeat): at 65,536 the console's memory grew by ~1 MiB a minute for
its first ten minutes (~23 MiB in all) before the first clearing."""
_known: dict[str, Decimal] = {}


def _read(raw: Any, field: str) -> Decimal | None:
    """A finite Decimal, None for "not set", or :class:`BadValue` (a string that passed is
    remembered: it passes again with the same value; refusals are not remembered)."""
    if type(raw) is str:
        known = _known.get(raw)
        if known is not None:
            return known
        value = _checked(raw, field)
        if value is not None:
            if len(_known) >= KNOWN_MAX:
                _known.clear()
            _known[raw] = value
        return value
    return _checked(raw, field)


def _checked(raw: Any, field: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise BadValue(field, raw, "is not a number")
    if isinstance(raw, str):
        stripped = raw.strip()
        if _SPECIAL.fullmatch(stripped):
            raise BadValue(field, raw, "is not a finite number")
        if not stripped.isascii() or _PLAIN.fullmatch(stripped) is None:
            raise BadValue(field, raw, "is not a number")
    try:
        value = Decimal(str(raw)) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise BadValue(field, raw, "is not a number") from None
    if not value.is_finite():
        raise BadValue(field, raw, "is not a finite number")
    if abs(value) >= MAX_MAGNITUDE:
        raise BadValue(field, raw, f"is out of range (>= {MAX_MAGNITUDE:f})")
    if value and abs(value) < MIN_MAGNITUDE:
        raise BadValue(field, raw, f"is out of range (non-zero below {MIN_MAGNITUDE})")
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


def integer(raw: Any, field: str, default: int = 0) -> int:
    """A whole number >= 0 sent as a JSON integer or a string of ASCII digits; ``default`` when not set."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadValue(field, raw, "is not a whole number")
    if isinstance(raw, str):
        digits = raw.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise BadValue(field, raw, "is not a whole number")
        if len(digits) > len(str(MAX_INTEGER)):
            raise BadValue(field, raw, f"is out of range (0 to {MAX_INTEGER})")
        raw = int(digits)
    if not 0 <= raw < MAX_INTEGER:
        raise BadValue(field, raw, f"is out of range (0 to {MAX_INTEGER})")
    return int(raw)


def flag(raw: Any, field: str, default: bool = False) -> bool:
    """A JSON boolean; ``default`` when absent. The string ``"false"`` is refused, never read as True."""
    if raw is None:
        return default
    if not isinstance(raw, bool):
        raise BadValue(field, raw, "is not true or false")
    return raw


def text(raw: Any, field: str, default: str = "") -> str:
    """A string field (an id, a symbol, a status); ``default`` when absent."""
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise BadValue(field, raw, "is not a string")
    return raw


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


__all__ = [
    "MAX_INTEGER",
    "MAX_MAGNITUDE",
    "MIN_MAGNITUDE",
    "BadValue",
    "Report",
    "flag",
    "integer",
    "lenient",
    "number",
    "positive",
    "price",
    "size",
    "text",
]
