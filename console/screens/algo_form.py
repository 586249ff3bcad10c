"""The algo ticket's fields -> a typed algo command (pure; no Textual).

Each kind uses the quantity and up to four fields (``a``..``d``) whose meaning the kind gives
(:data:`FIELDS`); every number goes through the strict parser (``core.orders.numparse``), so a
field holds one value and nothing else: ``0,5`` is refused, and a word typed into a number field
can never become a flag. The command is then resolved against the market exactly as the command
line resolves it (:mod:`core.orders.resolve_algos`), so the ticket and the command line send the
same params for the same intent. A conditional's condition is typed in one field in the command
line's words (``mark >= 96000 and time >= 09:00``), parsed by the same grammar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from core.model import Side
from core.orders.algo_commands import (
    AlgoCommand,
    BracketCommand,
    ChaseCommand,
    IcebergCommand,
    ScaleCommand,
    TrailCommand,
    TwapCommand,
    WhenCommand,
)
from core.orders.algo_words import (
    AlgoGrammarError,
    count,
    num,
    parse_duration,
    parse_offset,
    parse_take_profits,
    percent_or_abs,
)
from core.orders.grammar_when import parse_conditions

ALGO_KINDS = [
    ("TWAP", "twap"),
    ("Chase", "chase"),
    ("Scale", "scale"),
    ("Iceberg", "iceberg"),
    ("Bracket", "bracket"),
    ("Trail", "trail"),
    ("When", "when"),
]
"""The kinds the ticket offers."""

SIZES = [
    ("flat", "flat"),
    ("lin, larger high", "lin_up"),
    ("lin, larger low", "lin_down"),
    ("exp, larger high", "exp_up"),
    ("exp, larger low", "exp_down"),
]
"""Scale size shapes (the Choice on the ticket)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field's label and placeholder for one kind (``None``: unused, disabled)."""

    label: str
    placeholder: str


FIELDS: dict[str, tuple[FieldSpec | None, ...]] = {
    "twap": (
        FieldSpec("over", "duration: 90s, 30m, 2h, 1d"),
        FieldSpec("slices", "count (blank: one a minute)"),
        FieldSpec("limit", "limit price (optional)"),
        None,
    ),
    "chase": (FieldSpec("max", "max chase: 50 or 0.5% (optional)"), None, None, None),
    "scale": (
        FieldSpec("low", "lowest price"),
        FieldSpec("high", "highest price"),
        FieldSpec("count", "orders"),
        None,
    ),
    "iceberg": (FieldSpec("price", "limit price or -0.1%"), FieldSpec("show", "visible qty"), None, None),
    "bracket": (
        FieldSpec("entry", "limit price, -0.1%, blank = market"),
        FieldSpec("TP", "prices or %: 1%,2%"),
        FieldSpec("SL", "price or %: -1%"),
        None,
    ),
    "when": (
        FieldSpec("if", "mark >= 96000 and time >= 09:00"),
        FieldSpec("price", "limit price, -0.1%, blank = market"),
        FieldSpec("expire", "90s, 30m, 2h (optional)"),
        None,
    ),
    "trail": (
        FieldSpec("dist", "distance: 50 or 0.5%"),
        FieldSpec("from", "activation price (optional)"),
        None,
        None,
    ),
}
FLAG2: dict[str, str] = {"twap": "maker", "scale": "post-only", "iceberg": "post-only", "when": "post-only"}
"""The second flag's meaning per kind (absent: no second flag)."""
NO_QTY = frozenset({"trail"})
"""Kinds without a quantity field (a trailing stop follows the position's size)."""
NO_RO = frozenset({"bracket", "trail"})
"""Kinds without a reduce-only flag (exits are reduce-only by nature; a bracket opens)."""


class AlgoFormError(ValueError):
    """Invalid ticket input; the message names the field."""


@dataclass(frozen=True, slots=True)
class AlgoFields:
    """The raw text of the algo ticket's fields and its flags."""

    kind: str
    side: Side
    qty: str = ""
    a: str = ""
    b: str = ""
    c: str = ""
    d: str = ""
    sizes: str = "flat"
    reduce_only: bool = False
    flag2: bool = False


def _opt(raw: str, parse: Callable[[str], Decimal]) -> Decimal | None:
    return parse(raw.strip()) if raw.strip() else None


def _chase(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    max_abs = max_pct = None
    if f.a.strip():
        value, pct = percent_or_abs(f.a.strip(), "max")
        max_abs, max_pct = (None, value) if pct else (value, None)
    return ChaseCommand(f.side, qty, None, max_abs, max_pct, f.reduce_only)


def _scale(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    low, high = num(f.a, "low"), num(f.b, "high")
    if low >= high:
        raise AlgoFormError(f"high: {high} must be above low {low}")
    shape, _, way = f.sizes.partition("_")
    return ScaleCommand(
        f.side, qty, low, high, count(f.c, "count"), shape=shape, larger_high=way != "down",
        reduce_only=f.reduce_only, post_only=f.flag2,
    )  # fmt: skip


def _twap(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    duration = parse_duration(f.a.strip()) if f.a.strip() else None
    if duration is None:
        raise AlgoFormError("over: required (90s, 30m, 2h)")
    slices = count(f.b, "slices") if f.b.strip() else None
    limit = _opt(f.c, lambda r: num(r, "limit"))
    return TwapCommand(f.side, qty, duration, None, slices, limit, f.flag2, f.reduce_only)


def _iceberg(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    show = num(f.b, "show")
    if show > qty:
        raise AlgoFormError(f"show: {show} is more than the quantity {qty}")
    return IcebergCommand(f.side, qty, parse_offset(f.a.strip(), "price"), show, None, f.flag2, f.reduce_only)


def _bracket(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    entry = parse_offset(f.a.strip(), "entry") if f.a.strip() else None
    tps = parse_take_profits(f.b.strip(), "TP") if f.b.strip() else ()
    stop = parse_offset(f.c.strip(), "SL") if f.c.strip() else None
    if not tps and stop is None:
        raise AlgoFormError("TP / SL: give at least one exit")
    return BracketCommand(f.side, qty, None, entry, tps, stop)


def _when(f: AlgoFields, qty: Decimal) -> AlgoCommand:
    if not f.a.strip():
        raise AlgoFormError("if: required (mark >= 96000, time >= 09:00, filled ID, pos long ...)")
    triggers, join = parse_conditions(f.a)
    price = parse_offset(f.b.strip(), "price") if f.b.strip() else None
    if f.flag2 and price is None:
        raise AlgoFormError("price: post-only needs a limit price")
    expire = parse_duration(f.c.strip()) if f.c.strip() else None
    return WhenCommand(triggers, join, f.side, qty, None, price, f.reduce_only, f.flag2, expire)


def _trail(f: AlgoFields) -> AlgoCommand:
    if not f.a.strip():
        raise AlgoFormError("dist: required (50 or 0.5%)")
    distance, pct = percent_or_abs(f.a.strip(), "dist")
    return TrailCommand(distance, pct, None, _opt(f.b, lambda r: num(r, "from")))


_BUILDERS: dict[str, Callable[[AlgoFields, Decimal], AlgoCommand]] = {
    "chase": _chase,
    "scale": _scale,
    "twap": _twap,
    "iceberg": _iceberg,
    "bracket": _bracket,
    "when": _when,
}


def build_command(f: AlgoFields) -> AlgoCommand:
    """The algo command the fields describe; :class:`AlgoFormError` names the field otherwise."""
    try:
        if f.kind == "trail":
            return _trail(f)
        builder = _BUILDERS.get(f.kind)
        if builder is None:
            raise AlgoFormError(f"kind: {f.kind!r} is not on the ticket")
        return builder(f, num(f.qty, "qty"))
    except AlgoGrammarError as exc:
        raise AlgoFormError(str(exc)) from None


__all__ = [
    "ALGO_KINDS",
    "FIELDS",
    "FLAG2",
    "NO_QTY",
    "NO_RO",
    "SIZES",
    "AlgoFields",
    "AlgoFormError",
    "FieldSpec",
    "build_command",
]
