"""The leaves of the condition language (price, time, order filled, position, SMA) and what
every node shares: the three-valued truth, the evaluation context, the :class:`Condition` base.

See :mod:`core.orders.algos.conditions` for the language as a whole (groups, Kleene logic,
plain data).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from core.market.candles import INTERVALS_MS
from core.model import Order, OrderStatus, Side
from core.orders.algos import _common as c
from core.orders.algos.base import MarketView

Truth = bool | None
"""True, False, or None for Unknown."""
UNKNOWN: Truth = None

PRICE_TYPES = ("mark", "last", "index")
LEVEL_OPS = ("above", "below", "crosses_above", "crosses_below")
FILL_MODES = ("full", "any")
POSITION_OPS = ("size_above", "size_below", "long", "short", "flat")
MAX_SMA_LENGTH = 1000

_MS_PER_S = 1000
LAST_MS = 253_402_300_799_999
"""9999-12-31 23:59:59.999 UTC in epoch ms: the last instant a date can name (a later time or
expiry could never be shown, and describing it raised)."""
_WORDS = {"above": ">=", "below": "<=", "crosses_above": "crosses above", "crosses_below": "crosses below"}


@dataclass(slots=True)
class EvalContext:
    """What one evaluation sees: the market view, the edge memory (updated in place) and orders
    seen in events that may be newer than the view's."""

    view: MarketView
    memory: MutableMapping[str, bool]
    orders: Mapping[str, Order] = field(default_factory=dict)


# --- the nodes ------------------------------------------------------------------------------
class Condition(ABC):
    """A node of a condition tree."""

    kind: ClassVar[str] = ""

    @abstractmethod
    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """True/False/Unknown now; ``path`` names this node in ``ctx.memory``."""

    @abstractmethod
    def describe(self, symbol: str | None = None) -> str:
        """Words for the preview; a leaf on ``symbol`` does not repeat it."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (:func:`from_dict` takes it back)."""

    def wake_times(self) -> list[int]:
        """Instants at which this node may change without a market event (time triggers)."""
        return []


def _sym(symbol: str, default: str | None) -> str:
    return "" if symbol == default else f"{symbol} "


def _check_symbol(symbol: str) -> None:
    if not isinstance(symbol, str) or not symbol:
        raise ValueError("symbol: required (a non-empty string)")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")


def _check_positive(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{name}: must be a finite decimal > 0, got {value!r}")


def _edge(ctx: EvalContext, path: str, now: Truth, op: str) -> Truth:
    """``is`` ops give ``now``; ``crosses`` ops give True only when the previous observation was
    not on the target side and this one is (Unknown before a first observation)."""
    if not op.startswith("crosses"):
        return now
    if now is None:
        return UNKNOWN
    before = ctx.memory.get(path)
    ctx.memory[path] = now
    if before is None:
        return UNKNOWN
    return now and not before


def _compare(value: Decimal, ref: Decimal, op: str) -> bool:
    return value >= ref if op.endswith("above") else value <= ref


@dataclass(frozen=True, slots=True)
class PriceCond(Condition):
    """``price_type`` of ``symbol`` is/crosses above or below ``level``."""

    kind: ClassVar[str] = "price"
    symbol: str
    op: str
    level: Decimal
    price_type: str = "mark"

    def __post_init__(self) -> None:
        _check_symbol(self.symbol)
        _check_choice("op", self.op, LEVEL_OPS)
        _check_positive("level", self.level)
        _check_choice("price_type", self.price_type, PRICE_TYPES)

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Compare the current price with the level (Unknown without a price)."""
        price = ctx.view.price(self.symbol, self.price_type)
        now = None if price is None else _compare(price, self.level, self.op)
        return _edge(ctx, path, now, self.op)

    def describe(self, symbol: str | None = None) -> str:
        """``mark >= 96000``, ``ETHUSDT last crosses below 3000``."""
        return f"{_sym(self.symbol, symbol)}{self.price_type} {_WORDS[self.op]} {self.level}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "op": self.op,
            "level": str(self.level),
            "price_type": self.price_type,
        }


@dataclass(frozen=True, slots=True)
class TimeCond(Condition):
    """The clock reached ``at_ms`` (epoch ms, UTC)."""

    kind: ClassVar[str] = "time"
    at_ms: int

    def __post_init__(self) -> None:
        if isinstance(self.at_ms, bool) or not isinstance(self.at_ms, int) or self.at_ms < 0:
            raise ValueError(f"at_ms: must be an epoch time in ms (an integer >= 0), got {self.at_ms!r}")
        check_epoch_ms(self.at_ms, "at_ms")

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """True from ``at_ms`` on."""
        return ctx.view.now_ms() >= self.at_ms

    def describe(self, symbol: str | None = None) -> str:
        """``time >= 2026-11-30 12:00Z``."""
        return f"time >= {format_utc(self.at_ms)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": self.kind, "at_ms": self.at_ms}

    def wake_times(self) -> list[int]:
        """The instant itself."""
        return [self.at_ms]


def check_epoch_ms(ms: int, name: str) -> int:
    """``ms`` when a date can name it (up to :data:`LAST_MS`); ValueError naming ``name`` otherwise."""
    if ms > LAST_MS:
        raise ValueError(f"{name}: {ms} ms is after 9999-12-31, the last day a date can name")
    return ms


def format_utc(ms: int) -> str:
    """``2026-11-30 12:00Z``; seconds and milliseconds only when not zero."""
    when = datetime.fromtimestamp(ms / _MS_PER_S, UTC)
    text = when.strftime("%Y-%m-%d %H:%M")
    if when.second or when.microsecond:
        text += f":{when.second:02d}"
    if ms % _MS_PER_S:
        text += f".{ms % _MS_PER_S:03d}"
    return text + "Z"


@dataclass(frozen=True, slots=True)
class OrderFilledCond(Condition):
    """Order ``client_order_id`` filled: ``full`` (status Filled) or ``any`` fill. Once seen
    true it stays true (remembered), even if the engine later forgets the order."""

    kind: ClassVar[str] = "order_filled"
    client_order_id: str
    mode: str = "full"

    def __post_init__(self) -> None:
        if not isinstance(self.client_order_id, str) or not self.client_order_id:
            raise ValueError("client_order_id: required (a non-empty string)")
        _check_choice("mode", self.mode, FILL_MODES)

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Unknown while the order is not known; False if it closed without (enough) fill."""
        if ctx.memory.get(path):
            return True
        order = ctx.orders.get(self.client_order_id) or ctx.view.order(self.client_order_id)
        if order is None:
            return UNKNOWN
        done = order.status is OrderStatus.FILLED if self.mode == "full" else order.filled_qty > 0
        if done:
            ctx.memory[path] = True
        return done

    def describe(self, symbol: str | None = None) -> str:
        """``order tc-1 filled`` / ``order tc-1 has any fill``."""
        what = "filled" if self.mode == "full" else "has any fill"
        return f"order {self.client_order_id} {what}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": self.kind, "client_order_id": self.client_order_id, "mode": self.mode}


@dataclass(frozen=True, slots=True)
class PositionCond(Condition):
    """The position on ``symbol``: size ``>=``/``<=`` ``size``, long, short or flat (no
    position counts as flat)."""

    kind: ClassVar[str] = "position"
    symbol: str
    op: str
    size: Decimal | None = None

    def __post_init__(self) -> None:
        _check_symbol(self.symbol)
        _check_choice("op", self.op, POSITION_OPS)
        if self.op.startswith("size"):
            if not isinstance(self.size, Decimal) or not self.size.is_finite() or self.size < 0:
                raise ValueError(f"size: required for {self.op} (a finite decimal >= 0), got {self.size!r}")
        elif self.size is not None:
            raise ValueError(f"size: only for size_above/size_below, not {self.op}")

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Compare the view's position now."""
        pos = ctx.view.position(self.symbol)
        size = c.ZERO if pos is None or pos.side is None else pos.size
        side = None if size == 0 or pos is None else pos.side
        if self.op == "size_above":
            return self.size is not None and size >= self.size
        if self.op == "size_below":
            return self.size is not None and size <= self.size
        want = {"long": Side.BUY, "short": Side.SELL, "flat": None}[self.op]
        return side is want

    def describe(self, symbol: str | None = None) -> str:
        """``position size >= 0.5``, ``position ETHUSDT flat``."""
        words = {"size_above": f"size >= {self.size}", "size_below": f"size <= {self.size}"}
        return f"position {_sym(self.symbol, symbol)}{words.get(self.op, self.op)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": self.kind, "symbol": self.symbol, "op": self.op, "size": c.dec_str(self.size)}


@dataclass(frozen=True, slots=True)
class SmaCond(Condition):
    """``price_type`` of ``symbol`` vs SMA(``length``) of the ``timeframe`` closes."""

    kind: ClassVar[str] = "sma"
    symbol: str
    op: str
    length: int
    timeframe: str
    price_type: str = "last"

    def __post_init__(self) -> None:
        _check_symbol(self.symbol)
        _check_choice("op", self.op, LEVEL_OPS)
        if (
            isinstance(self.length, bool)
            or not isinstance(self.length, int)
            or not (1 <= self.length <= MAX_SMA_LENGTH)
        ):
            raise ValueError(f"length: must be an integer from 1 to {MAX_SMA_LENGTH}, got {self.length!r}")
        _check_choice("timeframe", self.timeframe, tuple(INTERVALS_MS))
        _check_choice("price_type", self.price_type, PRICE_TYPES)

    def sma(self, view: MarketView) -> Decimal | None:
        """The average close of the last ``length`` candles (None with fewer)."""
        candles = list(view.candles(self.symbol, self.timeframe, self.length))[-self.length :]
        if len(candles) < self.length:
            return None
        return sum((Decimal(str(k.close)) for k in candles), c.ZERO) / self.length

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Compare the price with the SMA (Unknown without either)."""
        price = ctx.view.price(self.symbol, self.price_type)
        avg = self.sma(ctx.view)
        now = None if price is None or avg is None else _compare(price, avg, self.op)
        return _edge(ctx, path, now, self.op)

    def describe(self, symbol: str | None = None) -> str:
        """``last >= SMA(20, 5m)``."""
        ref = f"SMA({self.length}, {self.timeframe})"
        return f"{_sym(self.symbol, symbol)}{self.price_type} {_WORDS[self.op]} {ref}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "op": self.op,
            "length": self.length,
            "timeframe": self.timeframe,
            "price_type": self.price_type,
        }


# --- from plain data ------------------------------------------------------------------------
LEAF_KINDS = ("price", "time", "order_filled", "position", "sma")


def str_field(raw: Mapping[str, Any], name: str, default: str | None = None) -> str:
    """A string field (or ``default`` when absent); ValueError names it."""
    value = raw.get(name, default)
    if not isinstance(value, str):
        raise ValueError(f"{name}: required (a string), got {value!r}")
    return value


def int_field(raw: Mapping[str, Any], name: str) -> int:
    """A required integer field (not a bool); ValueError names it."""
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: required (an integer), got {value!r}")
    return value


def leaf_from_dict(raw: Mapping[str, Any], kind: str) -> Condition:
    """A leaf of ``kind`` from its :meth:`Condition.to_dict` data; ValueError names the field."""
    if kind == "price":
        return PriceCond(
            str_field(raw, "symbol"),
            str_field(raw, "op"),
            c.param_decimal(raw, "level"),
            str_field(raw, "price_type", "mark"),
        )
    if kind == "time":
        return TimeCond(int_field(raw, "at_ms"))
    if kind == "order_filled":
        return OrderFilledCond(str_field(raw, "client_order_id"), str_field(raw, "mode", "full"))
    if kind == "position":
        size = None if raw.get("size") is None else c.param_decimal(raw, "size", positive=False)
        return PositionCond(str_field(raw, "symbol"), str_field(raw, "op"), size)
    if kind == "sma":
        return SmaCond(
            str_field(raw, "symbol"),
            str_field(raw, "op"),
            int_field(raw, "length"),
            str_field(raw, "timeframe"),
            str_field(raw, "price_type", "last"),
        )
    raise ValueError(f"kind: {kind!r} is not one of and, or, {', '.join(LEAF_KINDS)}")
