"""The one strict number parser for everything a trader types (ticket, amend box, command line).

What the screen shows is what is sent: a typed number is ASCII digits with at most one ``.``,
nothing else. A comma is never guessed at (``0,01`` is not ``1`` and not ``0.01``), and
exponents (``1e3``), underscores (``1_000``), signs, spaces inside, non-ASCII digits (``٣``),
``NaN`` and ``Infinity`` are all refused with a message that says what to type instead.
"""

from __future__ import annotations

import re
from decimal import Decimal

_STRICT = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
"""ASCII digits with at most one decimal point (``5``, ``5.``, ``5.25``, ``.5``)."""


class NumberError(ValueError):
    """A typed number that is not a plain decimal; the message says what to type instead."""


def _why(text: str) -> str:
    if "," in text:
        return "use . as the decimal point (no commas, no thousands separators)"
    if text.count(".") > 1:
        return "only one . is allowed"
    if any(ch in "eE" for ch in text) and any(ch.isdigit() for ch in text):
        return "no exponents: type the number in full, e.g. 1000"
    if "_" in text or " " in text.strip():
        return "no separators: type digits only, e.g. 1000"
    if text.startswith(("-", "+")):
        return "no sign: type a positive number"
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return "use ASCII digits 0-9"
    return "type digits 0-9 with at most one ."


def parse_number(raw: str, field: str) -> Decimal:
    """Parse ``raw`` (surrounding whitespace allowed) into a finite, non-negative Decimal.

    Raises :class:`NumberError` naming ``field`` and what to type when ``raw`` is empty or is
    anything but ASCII digits with at most one ``.``.
    """
    text = raw.strip()
    if not text:
        raise NumberError(f"{field}: required")
    if not text.isascii() or _STRICT.fullmatch(text) is None:
        raise NumberError(f"{field}: {text!r} is not a number — {_why(text)}")
    return Decimal(text)


def parse_positive(raw: str, field: str) -> Decimal:
    """:func:`parse_number`, and the value must be greater than zero."""
    value = parse_number(raw, field)
    if value <= 0:
        raise NumberError(f"{field}: must be greater than 0")
    return value


def parse_optional_positive(raw: str, field: str) -> Decimal | None:
    """None for an empty field, else :func:`parse_positive`."""
    if not raw.strip():
        return None
    return parse_positive(raw, field)


__all__ = ["NumberError", "parse_number", "parse_optional_positive", "parse_positive"]
