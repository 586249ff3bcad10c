"""A paired order's leg risk in the journal, and the pairs a restart shows again from it (pure).

Two record kinds: ``paired_leg_risk`` when a pair enters leg risk (each leg's side, asked
quantity, and the filled and unwound quantity of each of its orders), and ``paired_resolved``
when that leg risk ends: ``unwound`` (every filled quantity closed), ``completed`` (the missing
quantity filled), or ``flat`` (the venue holds no position left from the pair any more: closed
some other way while the console was down). A pair whose last record is ``paired_leg_risk`` is
still in leg risk; :func:`unresolved` rebuilds it so the trader can unwind or complete it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from core.model import Position, Side
from core.orders.paired import Leg, PairedOrder, PairState

LEG_RISK = "paired_leg_risk"
RESOLVED = "paired_resolved"
KINDS = (LEG_RISK, RESOLVED)
UNWOUND, COMPLETED, FLAT = "unwound", "completed", "flat"


def leg_data(leg: Leg) -> dict[str, Any]:
    """One leg as the journal keeps it (quantities as strings: Decimal on the order path)."""
    return {
        "symbol": leg.symbol,
        "side": leg.side.value,
        "qty": str(leg.qty),
        "orders": {link: str(q) for link, q in leg.orders.items()},
        "closing": {link: str(q) for link, q in leg.closing.items()},
        "holding": str(leg.holding),
    }


def leg_risk_data(pair: PairedOrder) -> dict[str, Any]:
    """The ``paired_leg_risk`` record of ``pair``."""
    return {
        "pair_id": pair.pair_id,
        "asset": pair.asset,
        "sent_ms": pair.sent_ms,
        "note": pair.note,
        "a": leg_data(pair.a),
        "b": leg_data(pair.b),
    }


def resolved_data(pair: PairedOrder, how: str) -> dict[str, Any]:
    """The ``paired_resolved`` record of ``pair``: ``how`` it ended and its last note."""
    return {"pair_id": pair.pair_id, "asset": pair.asset, "how": how, "note": pair.note}


def resolution(state: PairState) -> str | None:
    """How a pair that was in leg risk ended, by its new state (None: not ended)."""
    if state == PairState.UNWOUND:
        return UNWOUND
    if state == PairState.DONE:
        return COMPLETED
    return None


def _quantities(raw: object) -> dict[str, Decimal]:
    if not isinstance(raw, Mapping):
        raise ValueError("not a mapping of quantities")
    return {str(k): Decimal(str(v)) for k, v in raw.items()}


def _leg(raw: object) -> Leg:
    if not isinstance(raw, Mapping):
        raise ValueError("leg is not a mapping")
    return Leg(
        str(raw["symbol"]),
        Side(str(raw["side"])),
        Decimal(str(raw["qty"])),
        orders=_quantities(raw.get("orders", {})),
        closing=_quantities(raw.get("closing", {})),
    )


def rebuild(data: Mapping[str, Any], timeout_ms: int) -> PairedOrder:
    """The pair of a ``paired_leg_risk`` record, in leg risk and not busy (ValueError: unreadable)."""
    try:
        pair = PairedOrder(
            str(data["pair_id"]),
            str(data["asset"]),
            _leg(data["a"]),
            _leg(data["b"]),
            int(data.get("sent_ms", 0)),
            timeout_ms,
            state=PairState.LEG_RISK,
            note=str(data.get("note", "")),
            busy=False,
        )
    except (KeyError, TypeError, InvalidOperation) as bad:
        raise ValueError(f"paired_leg_risk record unreadable: {bad!r}") from None
    return pair


def unresolved(records: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    """The ``paired_leg_risk`` data of every pair whose last record (``kind``, ``data``) is one."""
    last: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for kind, data in records:
        last[str(data.get("pair_id", ""))] = (kind, data)
    return [data for kind, data in last.values() if kind == LEG_RISK]


def still_held(pair: PairedOrder, positions: Mapping[str, Position]) -> bool:
    """True while the venue holds, on some leg's symbol and side, a position the pair left there."""
    for leg in pair.legs:
        if leg.holding <= 0:
            continue
        pos = positions.get(leg.symbol)
        if pos is not None and pos.side == leg.side and pos.size > 0:
            return True
    return False


def pair_number(pair_id: str) -> int:
    """The sequence number in ``pair-N`` (0 when it has none)."""
    tail = pair_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


__all__ = [
    "COMPLETED",
    "FLAT",
    "KINDS",
    "LEG_RISK",
    "RESOLVED",
    "UNWOUND",
    "leg_data",
    "leg_risk_data",
    "pair_number",
    "rebuild",
    "resolution",
    "resolved_data",
    "still_held",
    "unresolved",
]
