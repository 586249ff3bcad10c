"""The words of the algo command line: strict numbers, offsets, durations and a cursor over the
words that refuses a field given twice or an unknown word (:mod:`core.orders.grammar_algos`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.model import Side
from core.orders.algo_commands import Offset
from core.orders.numparse import NumberError, parse_number, parse_positive


class AlgoGrammarError(ValueError):
    """The line is not a valid algo command (:class:`core.orders.grammar.GrammarError` wraps it)."""


HUNDRED = Decimal(100)
_SIGNS = ("+", "-")
SIDES = {"buy": Side.BUY, "sell": Side.SELL}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
PRICE_TYPES = ("mark", "last", "index")
OPS = (">=", "<=")
JOINS = ("and", "or")
RANGE = ".."


# --- numbers and words --------------------------------------------------------------------------
def num(raw: str, field: str) -> Decimal:
    try:
        return parse_positive(raw, field)
    except NumberError as exc:
        raise AlgoGrammarError(str(exc)) from None


def count(raw: str, field: str) -> int:
    """A whole number > 0 (``x10`` without the ``x``)."""
    value = num(raw, field)
    if value != value.to_integral_value():
        raise AlgoGrammarError(f"{field}: {raw} is not a whole number")
    return int(value)


def percent_or_abs(raw: str, field: str) -> tuple[Decimal, bool]:
    """``0.5%`` -> (0.5, True); ``50`` -> (50, False). No sign."""
    if raw[:1] in _SIGNS:
        raise AlgoGrammarError(f"{field}: {raw} — no sign: give a distance (50) or a percent (0.5%)")
    if raw.endswith("%"):
        value = num(raw[:-1], field)
        if value >= HUNDRED:
            raise AlgoGrammarError(f"{field}: {raw} must be less than 100%")
        return value, True
    return num(raw, field), False


def parse_offset(raw: str, field: str) -> Offset:
    """An absolute price, ``-1%``/``+1%`` (signed offset) or ``1%`` (a distance)."""
    if raw.endswith("%"):
        signed = raw[:1] in _SIGNS
        body = raw[1:-1] if signed else raw[:-1]
        try:
            value = parse_number(body, field)
        except NumberError as exc:
            raise AlgoGrammarError(str(exc)) from None
        if value <= 0 or value >= HUNDRED:
            raise AlgoGrammarError(f"{field}: {raw} — a percent must be above 0 and below 100")
        return Offset(pct=-value if raw[0] == "-" else value, signed=signed)
    if raw[:1] in _SIGNS:
        raise AlgoGrammarError(f"{field}: {raw} — a price has no sign; for an offset add %, e.g. {raw}%")
    return Offset(price=num(raw, field))


def parse_duration(raw: str) -> int:
    """``90s``, ``30m``, ``2h``, ``1d``, ``1w`` -> seconds."""
    unit = DURATION_UNITS.get(raw[-1:].lower())
    if unit is None or len(raw) < len("1m"):
        raise AlgoGrammarError(
            f"duration: {raw!r} — give whole seconds, minutes, hours, days or weeks: 90s, 30m, 2h, 1d, 1w"
        )
    return count(raw[:-1], "duration") * unit


class Words:
    """The words after the verb, consumed left to right; each field settable once."""

    def __init__(self, verb: str, words: Sequence[str], symbols: Sequence[str], usage: str) -> None:
        self.verb = verb
        self.words = list(words)
        self.i = 0
        self.symbols = symbols
        self.usage = usage
        self.seen: set[str] = set()
        self.symbol: str | None = None

    def more(self) -> bool:
        return self.i < len(self.words)

    def next(self) -> str:
        word = self.words[self.i]
        self.i += 1
        return word

    def value(self, what: str) -> str:
        if not self.more():
            raise AlgoGrammarError(f"{self.verb}: {self.words[self.i - 1]} needs {what} after it")
        return self.next()

    def once(self, name: str) -> None:
        if name in self.seen:
            raise AlgoGrammarError(f"{self.verb}: {name} given twice: give it once")
        self.seen.add(name)

    def side_qty(self) -> tuple[Side, Decimal]:
        """``buy|sell QTY`` at the start."""
        if not self.more() or self.words[0].lower() not in SIDES:
            raise AlgoGrammarError(f"{self.verb}: starts with buy or sell; usage: {self.usage}")
        side = SIDES[self.next().lower()]
        if not self.more():
            raise AlgoGrammarError(f"{self.verb}: the quantity is missing; usage: {self.usage}")
        raw = self.next()
        if raw.startswith("$") or raw.endswith("%"):
            raise AlgoGrammarError(f"{self.verb}: quantity {raw} — give contracts, e.g. 0.1")
        return side, num(raw, "quantity")

    def symbol_or_fail(self, raw: str) -> None:
        """``raw`` is the symbol, or the line is refused naming what is accepted."""
        from core.orders.grammar import resolve_symbol

        symbol = resolve_symbol(raw, self.symbols)
        if symbol is None:
            known = ", ".join(self.symbols) if self.symbols else "none configured"
            raise AlgoGrammarError(
                f"{self.verb}: unknown word {raw!r}: nothing was sent. Usage: {self.usage} (symbols: {known})"
            )
        self.once("the symbol")
        self.symbol = symbol


def parse_take_profits(raw: str, field: str = "tp") -> tuple[Offset, ...]:
    """``1%,2%`` or ``96000,97000``: one or more take-profits, all percents or all prices.

    A mix is refused: ``1,5%`` is a decimal comma far more often than a price of 1 and 5 %.
    """
    parts = [p.strip() for p in raw.split(",")]
    for i, part in enumerate(parts):
        if not part:
            raise AlgoGrammarError(f"{field} {i + 1}: required (a price or a percent, in {raw})")
    if len({p.endswith("%") for p in parts}) > 1:
        raise AlgoGrammarError(
            f"{field}: {raw} mixes prices and percents — use . as the decimal point (1.5%), and give "
            "several take-profits all as percents (1%,2%) or all as prices (96000,97000)"
        )
    return tuple(parse_offset(p, f"{field} {i + 1}") for i, p in enumerate(parts))
