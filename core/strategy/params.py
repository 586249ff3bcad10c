"""A strategy's declared parameters, set from ``name=value`` strings with errors that name them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from core.orders.numparse import NumberError, parse_number

if TYPE_CHECKING:
    from core.model import Instrument

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ParamError(ValueError):
    """A parameter could not be set; the message names it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"param {name}: {reason}")
        self.name = name


@dataclass(frozen=True, slots=True)
class Param:
    """One declared parameter: its name, type (int, float, Decimal, str or bool) and default.

    Numbers are typed as the order ticket takes them (ASCII digits, one ``.``, an optional
    leading ``-``): ``0,01``, ``1e3``, ``1_000``, ``nan`` and ``inf`` are refused, never guessed.
    ``positive`` refuses zero and negatives (a size, a length).
    """

    name: str
    type: type
    default: Any
    help: str = ""
    positive: bool = False

    def parse(self, text: str) -> Any:
        """The value ``text`` stands for; :class:`ParamError` naming the parameter if it is not one."""
        raw = text.strip()
        try:
            value = _convert(self.type, raw)
        except NumberError as exc:
            why = str(exc).rpartition(" — ")[2]
            raise ParamError(self.name, f"{text!r} is not a valid {self.type.__name__}: {why}") from None
        except (ValueError, InvalidOperation):
            kind = self.type.__name__
            raise ParamError(self.name, f"{text!r} is not a valid {kind}") from None
        if self.positive and value <= 0:
            raise ParamError(self.name, f"must be greater than 0, got {raw}")
        return value


_NUMBERS = (int, float, Decimal)


def _strict(raw: str, kind: type) -> Decimal:
    """A typed number, strictly (see :class:`Param`); an int has no ``.``."""
    negative = raw.startswith("-")
    body = raw[1:] if negative else raw
    if kind is int and "." in body:
        raise NumberError("a whole number is expected")
    value = parse_number(body, "value")
    return -value if negative else value


def _convert(kind: type, raw: str) -> Any:
    if kind is bool:
        low = raw.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError(raw)
    if kind in _NUMBERS:
        value = _strict(raw, kind)
        return value if kind is Decimal else kind(value)
    return kind(raw)


def split_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["fast=5", "slow=20"]`` as a dict; a pair without ``=`` is a :class:`ParamError`."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(name or pair, f"expected name=value, got {pair!r}")
        if name in out:
            raise ParamError(name, "given twice")
        out[name] = value
    return out


def resolve(declared: Sequence[Param], pairs: Iterable[str]) -> dict[str, Any]:
    """Every declared parameter's value: its default unless a pair sets it."""
    given = split_pairs(pairs)
    known = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise ParamError(unknown[0], f"unknown parameter (this strategy takes: {names})")
    values = {p.name: p.default for p in declared}
    for name, text in given.items():
        values[name] = known[name].parse(text)
    return values


def qty_refusal(values: dict[str, Any], inst: Instrument) -> str:
    """Why a strategy's ``qty`` parameter is one the venue would refuse on every order (below the
    instrument's minimum, off its size step, above its largest order), or "" when it is not (or
    there is no such parameter): refused before a start or a backtest, not one order at a time."""
    qty = values.get("qty")
    if not isinstance(qty, Decimal):
        return ""
    if qty < inst.min_order_qty:
        return f"qty={qty} is below {inst.symbol}'s minimum order size {inst.min_order_qty}"
    if inst.qty_step > 0 and qty % inst.qty_step != 0:
        return f"qty={qty} is not a multiple of {inst.symbol}'s size step {inst.qty_step}"
    if 0 < inst.max_order_qty < qty:
        return f"qty={qty} is above {inst.symbol}'s largest order size {inst.max_order_qty}"
    if 0 < inst.max_mkt_order_qty < qty:  # a strategy's orders are market orders unless it says so
        return f"qty={qty} is above {inst.symbol}'s largest market order size {inst.max_mkt_order_qty}"
    return ""
