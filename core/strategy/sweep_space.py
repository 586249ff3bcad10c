"""A sweep's search space from text: ``'fast=5..30 slow=20..100 ratio=0.5..2.0 mode=long|short'``.

Each whitespace-separated token is ``name=spec``:

- ``a..b`` with two integers: every integer from ``a`` to ``b`` inclusive (``a <= b``);
- ``a..b`` where either end has a ``.`` (``0.5..2``, ``1.0e-3..0.1``): a float interval
  ``[a, b]`` (``a < b``);
- ``a|b|c``: one of the listed words (at least two, none empty, no repeats), handed to the
  strategy's parameter as the text, so its declared type parses it.

Anything else is refused with a :class:`SpaceError` that names the token.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

RANGE_SEP = ".."
CHOICE_SEP = "|"
INT_RE = re.compile(r"[+-]?[0-9]+")
FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MIN_CHOICES = 2


class SpaceError(ValueError):
    """The sweep text is not a search space; the message names the offending token."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"sweep {token!r}: {reason}")
        self.token = token


@dataclass(frozen=True, slots=True)
class IntRange:
    """Integers ``low`` to ``high``, both included."""

    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class FloatRange:
    """Floats in ``[low, high]``."""

    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, float) and self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Choice:
    """One of ``options`` (texts, parsed later by the strategy's declared parameter type)."""

    options: tuple[str, ...]

    def __contains__(self, value: object) -> bool:
        return value in self.options


Dimension = IntRange | FloatRange | Choice


def parse_space(text: str) -> dict[str, Dimension]:
    """The search space ``text`` describes, in the order written; :class:`SpaceError` if it is not one."""
    space: dict[str, Dimension] = {}
    for token in text.split():
        name, sep, spec = token.partition("=")
        if not sep or not NAME_RE.fullmatch(name):
            raise SpaceError(token, "expected name=a..b or name=a|b|c")
        if name in space:
            raise SpaceError(token, f"{name} is given twice")
        space[name] = parse_dimension(token, spec)
    if not space:
        raise SpaceError(text, "no parameters to sweep")
    return space


def parse_dimension(token: str, spec: str) -> Dimension:
    """One ``spec`` (the text after ``=``) of ``token``."""
    if CHOICE_SEP in spec:
        return _choice(token, spec)
    low, sep, high = spec.partition(RANGE_SEP)
    if not sep:
        raise SpaceError(token, "expected a range a..b or choices a|b|c")
    if RANGE_SEP + "." in spec:
        raise SpaceError(token, "ambiguous dots: write a..b with one '..'")
    if INT_RE.fullmatch(low) and INT_RE.fullmatch(high):
        lo, hi = int(low, 10), int(high, 10)
        if lo > hi:
            raise SpaceError(token, f"empty range: {lo} > {hi}")
        return IntRange(lo, hi)
    dotted = "." in low or "." in high
    if dotted and FLOAT_RE.fullmatch(low) and FLOAT_RE.fullmatch(high):
        flo, fhi = float(low), float(high)
        if not (math.isfinite(flo) and math.isfinite(fhi)) or flo >= fhi:
            raise SpaceError(token, f"empty float range: {low} >= {high}")
        return FloatRange(flo, fhi)
    raise SpaceError(token, f"{spec!r} is not a range of two numbers")


def _choice(token: str, spec: str) -> Choice:
    options = tuple(spec.split(CHOICE_SEP))
    if len(options) < MIN_CHOICES or any(not o for o in options):
        raise SpaceError(token, "choices must be two or more non-empty words a|b|c")
    if len(set(options)) != len(options):
        raise SpaceError(token, "a choice is listed twice")
    return Choice(options)


def format_space(space: dict[str, Dimension]) -> str:
    """The text :func:`parse_space` reads back as ``space``."""
    parts = []
    for name, dim in space.items():
        if isinstance(dim, Choice):
            spec = CHOICE_SEP.join(dim.options)
        elif isinstance(dim, IntRange):
            spec = f"{dim.low}{RANGE_SEP}{dim.high}"
        else:
            spec = f"{_dotted(dim.low)}{RANGE_SEP}{_dotted(dim.high)}"
        parts.append(f"{name}={spec}")
    return " ".join(parts)


def _dotted(value: float) -> str:
    """``repr(value)`` with a ``.`` in it (``1e-05`` -> ``1.0e-05``), so it reads back as a float."""
    text = repr(value)
    if "." in text:
        return text
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0{e}{exponent}"
