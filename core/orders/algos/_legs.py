"""The exit legs of a bracket/OCO: what each child is, what it filled, and the quantity split.

A leg (``tp-1``, ``tp-2``, ``sl``) may be re-sent as a new child when it ended and more is to
protect (a partial entry fill that grows after a take-profit filled); each child has its own tag
(``tp-1``, ``tp-1#2``, ...), and the leg counts fills across all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.orders.algos._common import ZERO, dec_or_none, dec_str, snap_down


@dataclass(slots=True)
class Leg:
    """One exit leg: a take-profit at ``price`` or the stop at ``trigger``."""

    name: str
    price: Decimal | None = None
    """Limit price of a take-profit (None for the stop)."""
    trigger: Decimal | None = None
    """Trigger price of the stop (None for a take-profit)."""
    generation: int = 0
    """How many children this leg has sent (0: none yet)."""
    live: bool = False
    """The current child was placed and its end (filled, cancelled, rejected) is not known yet."""
    cancelling: bool = False
    """The algo asked to cancel the current child."""
    sent_qty: Decimal = ZERO
    """The current child's order quantity as last placed/amended."""
    failed: str = ""
    """Why the leg was refused (it is not sent again)."""

    @property
    def tag(self) -> str:
        """The current child's tag."""
        return self.name if self.generation <= 1 else f"{self.name}#{self.generation}"

    @property
    def tags(self) -> list[str]:
        """Every child's tag so far."""
        return [self.name if g <= 1 else f"{self.name}#{g}" for g in range(1, self.generation + 1)]

    @property
    def working(self) -> bool:
        """The current child works and is not being cancelled."""
        return self.live and not self.cancelling

    def sent(self, qty: Decimal) -> None:
        """A new child of ``qty`` was placed."""
        self.generation += 1
        self.live, self.cancelling, self.sent_qty = True, False, qty

    def to_data(self) -> list[Any]:
        """Plain data."""
        return [
            self.name,
            dec_str(self.price),
            dec_str(self.trigger),
            self.generation,
            self.live,
            self.cancelling,
            str(self.sent_qty),
            self.failed,
        ]

    @classmethod
    def from_data(cls, raw: Sequence[Any]) -> Leg:
        """Back from :meth:`to_data`."""
        name, price, trigger, gen, live, cancelling, sent, failed = raw
        return cls(
            str(name),
            dec_or_none(price),
            dec_or_none(trigger),
            int(gen),
            bool(live),
            bool(cancelling),
            Decimal(str(sent)),
            str(failed),
        )


class FillBook:
    """Filled qty per child tag, from fills (each exec id once) and from order updates.

    Fills and updates may come in either order; each source only ever undercounts, so the
    larger of the two is what the child filled.
    """

    def __init__(self) -> None:
        self.from_fills: dict[str, Decimal] = {}
        self.from_updates: dict[str, Decimal] = {}
        self.seen: list[str] = []

    def fill(self, tag: str, exec_id: str, qty: Decimal) -> bool:
        """Count one fill; False when this exec id was counted already."""
        if exec_id in self.seen:
            return False
        self.seen.append(exec_id)
        self.from_fills[tag] = self.from_fills.get(tag, ZERO) + qty
        return True

    def update(self, tag: str, filled_qty: Decimal) -> None:
        """An order update reported ``filled_qty`` for the child."""
        self.from_updates[tag] = max(self.from_updates.get(tag, ZERO), filled_qty)

    def filled(self, tag: str) -> Decimal:
        """What the child filled, as far as known."""
        return max(self.from_fills.get(tag, ZERO), self.from_updates.get(tag, ZERO))

    def to_data(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "fills": {k: str(v) for k, v in self.from_fills.items()},
            "updates": {k: str(v) for k, v in self.from_updates.items()},
            "seen": list(self.seen),
        }

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> FillBook:
        """Back from :meth:`to_data`."""
        book = cls()
        book.from_fills = {str(k): Decimal(str(v)) for k, v in dict(raw["fills"]).items()}
        book.from_updates = {str(k): Decimal(str(v)) for k, v in dict(raw["updates"]).items()}
        book.seen = [str(x) for x in raw["seen"]]
        return book


def split_qty(total: Decimal, fractions: Sequence[Decimal], step: Decimal, min_qty: Decimal) -> list[Decimal]:
    """``total`` split by ``fractions`` on the qty step; the parts add up to ``total`` exactly.

    Every part but the last is rounded down and the last takes the rest; a part under
    ``min_qty`` is folded into the next one (the last into the nearest earlier non-zero part).
    """
    if not fractions:
        return []
    parts = [snap_down(total * f, step) for f in fractions[:-1]]
    parts.append(total - sum(parts, ZERO))
    for i in range(len(parts) - 1):
        if ZERO < parts[i] < min_qty:
            parts[i + 1] += parts[i]
            parts[i] = ZERO
    last = len(parts) - 1
    if ZERO < parts[last] < min_qty:
        earlier = [i for i in range(last) if parts[i] > 0]
        if earlier:
            parts[earlier[-1]] += parts[last]
            parts[last] = ZERO
    return parts


def cap_in_order(wants: Sequence[Decimal], budget: Decimal) -> list[Decimal]:
    """``wants`` trimmed so they add up to at most ``budget``; the earliest keep theirs first."""
    out: list[Decimal] = []
    left = max(budget, ZERO)
    for want in wants:
        take = min(want, left)
        out.append(take)
        left -= take
    return out
