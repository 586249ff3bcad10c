"""The condition language of conditional orders: AND/OR trees of triggers, pure.

Leaves:

* :class:`PriceCond` — a price (``mark``, ``last`` or ``index``) *is* above/below a level
  (``>=`` / ``<=``), or *crosses* it: the previous observation was on the other side and the
  current one is on this side.
* :class:`TimeCond` — the clock reached an epoch-ms instant.
* :class:`OrderFilledCond` — another order (by client order id) filled, fully or any part.
* :class:`PositionCond` — a position's size is ``>=`` / ``<=`` a quantity, it is long, short,
  or flat.
* :class:`SmaCond` — a price vs the simple moving average of the last ``n`` candle closes of a
  timeframe (the forming candle included, as the view gives them): above, below or crosses.

Every node evaluates to True, False or Unknown (``None``: no data yet — no price, fewer than
``n`` candles, an order the engine has not seen, the first observation of a cross) and
:class:`AllOf` / :class:`AnyOf` combine them with Kleene's three-valued logic. A conditional
fires only on True.

Conditions are plain data: :meth:`Condition.to_dict` / :func:`from_dict` for the journal,
validated on construction (ValueError naming the field, with its path in the tree). What a
cross needs to remember — was the previous observation on the target side — lives in a
``memory`` dict keyed by the node's path, owned by the algo (part of its state).
:meth:`Condition.describe` is the words the preview shows, with explicit grouping:
``(mark >= 96000 AND time >= 2026-11-30 12:00Z) OR order tc-1 filled``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from core.model import Order
from core.orders.algos._cond_leaves import (
    FILL_MODES,
    LEAF_KINDS,
    LEVEL_OPS,
    MAX_SMA_LENGTH,
    POSITION_OPS,
    PRICE_TYPES,
    UNKNOWN,
    Condition,
    EvalContext,
    OrderFilledCond,
    PositionCond,
    PriceCond,
    SmaCond,
    TimeCond,
    Truth,
    format_utc,
    leaf_from_dict,
)
from core.orders.algos.base import MarketView

__all__ = [
    "FILL_MODES",
    "LEAF_KINDS",
    "LEVEL_OPS",
    "MAX_SMA_LENGTH",
    "POSITION_OPS",
    "PRICE_TYPES",
    "ROOT",
    "UNKNOWN",
    "AllOf",
    "AnyOf",
    "Condition",
    "EvalContext",
    "OrderFilledCond",
    "PositionCond",
    "PriceCond",
    "SmaCond",
    "TimeCond",
    "Truth",
    "evaluate",
    "format_utc",
    "from_dict",
    "kleene_and",
    "kleene_or",
]

ROOT = "$"
"""The path of the tree's root in the edge memory (members are ``$.0``, ``$.1.2``, ...)."""


def kleene_and(values: Iterable[Truth]) -> Truth:
    """False if any is False, else Unknown if any is Unknown, else True."""
    seen = list(values)
    if any(v is False for v in seen):
        return False
    return UNKNOWN if any(v is None for v in seen) else True


def kleene_or(values: Iterable[Truth]) -> Truth:
    """True if any is True, else Unknown if any is Unknown, else False."""
    seen = list(values)
    if any(v is True for v in seen):
        return True
    return UNKNOWN if any(v is None for v in seen) else False


def evaluate(
    cond: Condition,
    view: MarketView,
    memory: Mapping[str, bool],
    orders: Mapping[str, Order] | None = None,
) -> tuple[Truth, dict[str, bool]]:
    """One observation: the tree's truth and the edge memory after it (the input is not changed).
    Every node is evaluated (no short cut), so each cross sees every observation."""
    after = dict(memory)
    return cond.evaluate(EvalContext(view, after, dict(orders or {})), ROOT), after


@dataclass(frozen=True, slots=True)
class _Group(Condition):
    conditions: tuple[Condition, ...]
    word: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if not isinstance(self.conditions, tuple) or not self.conditions:
            raise ValueError("conditions: required (a non-empty list of conditions)")
        for i, cond in enumerate(self.conditions):
            if not isinstance(cond, Condition):
                raise ValueError(f"conditions[{i}]: {cond!r} is not a condition")

    def _values(self, ctx: EvalContext, path: str) -> list[Truth]:
        return [cond.evaluate(ctx, f"{path}.{i}") for i, cond in enumerate(self.conditions)]

    def describe(self, symbol: str | None = None) -> str:
        """Members joined by AND/OR; a nested group is in parentheses."""
        parts = [
            f"({cond.describe(symbol)})"
            if isinstance(cond, _Group) and len(cond.conditions) > 1
            else cond.describe(symbol)
            for cond in self.conditions
        ]
        return f" {self.word} ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": self.kind, "conditions": [cond.to_dict() for cond in self.conditions]}

    def wake_times(self) -> list[int]:
        """Every member's."""
        return [t for cond in self.conditions for t in cond.wake_times()]


@dataclass(frozen=True, slots=True)
class AllOf(_Group):
    """AND of its members (Kleene)."""

    kind: ClassVar[str] = "and"
    word: ClassVar[str] = "AND"

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Every member evaluated, then combined."""
        return kleene_and(self._values(ctx, path))


@dataclass(frozen=True, slots=True)
class AnyOf(_Group):
    """OR of its members (Kleene)."""

    kind: ClassVar[str] = "or"
    word: ClassVar[str] = "OR"

    def evaluate(self, ctx: EvalContext, path: str) -> Truth:
        """Every member evaluated, then combined."""
        return kleene_or(self._values(ctx, path))


GROUPS: dict[str, type[_Group]] = {"and": AllOf, "or": AnyOf}


def from_dict(raw: Any, path: str = "condition") -> Condition:
    """Build a tree from :meth:`Condition.to_dict` data; ValueError names the field by its path
    (``condition.conditions[1].level: must be > 0``)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: required (a mapping with a kind), got {raw!r}")
    kind = raw.get("kind")
    group = GROUPS.get(kind) if isinstance(kind, str) else None
    if group is not None:
        members = raw.get("conditions")
        if not isinstance(members, list | tuple) or not members:
            raise ValueError(f"{path}.conditions: required (a non-empty list of conditions)")
        return group(tuple(from_dict(m, f"{path}.conditions[{i}]") for i, m in enumerate(members)))
    try:
        return leaf_from_dict(raw, str(kind))
    except ValueError as exc:
        raise ValueError(f"{path}.{exc}") from exc
