"""A sweep's search space from text: ``'fast=5..30 slow=20..100 ratio=0.5..2.0 mode=long|short'``.

Each whitespace-separated token is ``name=spec``:

- ``a..b`` with two integers: every integer from ``a`` to ``b`` inclusive (``a <= b``);
- ``a..b`` where either end has a ``.`` (``0.5..2``, ``1.0e-3..0.1``): a float interval
  ``[a, b]`` (``a < b``);
  A parameter declared ``Decimal`` searches the interval on a grid whose step is the last
  decimal place its bounds are written with (``qty=0.01..0.1``: 0.01, 0.02 ... 0.10), so a
  trial's value is printed as it can be typed (:class:`DecimalRange`, by :func:`typed`);
- ``a|b|c``: one of the listed words (at least two, none empty, no repeats), handed to the
  strategy's parameter as the text, so its declared type parses it.

Anything else is refused with a :class:`SpaceError` that names the token.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

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
    written: tuple[str, str] = field(default=("", ""), compare=False)
    """The bounds as they were written (their decimal places make a Decimal parameter's grid)."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, float) and self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class DecimalRange:
    """Decimals from ``low`` to ``high`` (both included) in steps of ``10 ** -places``."""

    low: Decimal
    high: Decimal
    places: int

    @property
    def step(self) -> Decimal:
        """The grid's step: one unit of the last decimal place."""
        return Decimal(1).scaleb(-self.places)

    @property
    def size(self) -> int:
        """How many values the grid holds."""
        return int((self.high - self.low) / self.step) + 1

    def values(self) -> list[float]:
        """Every value of the grid, as the sampler is given them."""
        return [float(self.low + k * self.step) for k in range(self.size)]

    def text(self, value: object) -> str:
        """A suggested value (a float on the grid) as the decimal it stands for: ``0.05``."""
        return f"{Decimal(repr(value)).quantize(self.step):f}"

    def __contains__(self, value: object) -> bool:
        return isinstance(value, Decimal) and self.low <= value <= self.high and value % self.step == 0


@dataclass(frozen=True, slots=True)
class Choice:
    """One of ``options`` (texts, parsed later by the strategy's declared parameter type)."""

    options: tuple[str, ...]

    def __contains__(self, value: object) -> bool:
        return value in self.options


Dimension = IntRange | FloatRange | DecimalRange | Choice


def typed(space: dict[str, Dimension], types: dict[str, type]) -> dict[str, Dimension]:
    """``space`` with the float intervals of parameters declared ``Decimal`` on their grid."""
    out: dict[str, Dimension] = {}
    for name, dim in space.items():
        out[name] = _on_grid(dim) if isinstance(dim, FloatRange) and types.get(name) is Decimal else dim
    return out


def _on_grid(dim: FloatRange) -> Dimension:
    texts = dim.written if all(dim.written) else (repr(dim.low), repr(dim.high))
    low, high = Decimal(texts[0]), Decimal(texts[1])
    places = max(_places(low), _places(high))
    return DecimalRange(low, high, places)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def shown(dim: Dimension, value: object) -> str:
    """A trial's value of ``dim`` as a trader types it: a grid decimal to its places, a float in
    full (never ``1e-05``), anything else as it is."""
    if isinstance(dim, DecimalRange):
        return dim.text(value)
    if isinstance(value, float):
        return f"{Decimal(repr(value)):f}"
    return str(value)


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
        return FloatRange(flo, fhi, (low, high))
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
        elif isinstance(dim, DecimalRange):
            spec = f"{dim.low:f}{RANGE_SEP}{dim.high:f}"
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
