"""Position TP/SL on the Hyperliquid sim: trigger orders sent with ``grouping="positionTpsl"``.

Each is a reduce-only market trigger (``tpsl`` ``tp`` or ``sl``) bound to the account's position
on its coin, listed with ``isPositionTpsl: true``. At most one of each kind per position: a new
one replaces the one before. It follows the position: when the position's size changes it is
resized to the whole position, and when the position is closed (or flips side) it is cancelled
(``reduceOnlyCanceled``). Positions move on fills inside the core, so the following is done after
each action and each market step (:func:`follow`), never from within the core's callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from core.sim._common import SimError
from core.sim.hyperliquid.records import HlOrder
from core.sim.hyperliquid.rules import BY_COIN, HlAsset
from core.sim.hyperliquid.venue import HlVenue

CLOSED = "reduceOnlyCanceled"
"""The status of a position TP/SL whose position is gone."""


def invalid(wires: list[object]) -> bool:
    """True unless every order of a ``positionTpsl`` group is a reduce-only TP/SL trigger."""
    for w in wires:
        if not isinstance(w, Mapping) or w.get("r") is not True:
            return True
        t = w.get("t")
        trig = t.get("trigger") if isinstance(t, Mapping) else None
        if not isinstance(trig, Mapping) or trig.get("tpsl") not in ("tp", "sl"):
            return True
    return False


def open_stops(v: HlVenue, user: str, coin: str) -> list[HlOrder]:
    """The user's open position TP/SL orders on ``coin``."""
    return [
        o for o in v.orders.values() if o.user == user and o.coin == coin and o.position_tpsl and o.is_open
    ]


def replace_older(v: HlVenue, user: str, asset: HlAsset, new: HlOrder) -> None:
    """Cancel the position's earlier TP (or SL) that ``new`` replaces."""
    for o in open_stops(v, user, asset.coin):
        if o.oid != new.oid and o.tpsl == new.tpsl:
            v.cancel_core(o)


def _resize(v: HlVenue, o: HlOrder, size: Decimal) -> None:
    asset = BY_COIN[o.coin]
    try:
        v.core.order_amend(
            o.user, {"category": "linear", "symbol": asset.symbol, "orderLinkId": o.link, "qty": f"{size:f}"}
        )
    except SimError:  # it triggered meanwhile: it closes what it can, reduce-only
        return
    o.orig_sz = size


def follow(v: HlVenue) -> None:
    """Resize or cancel the position TP/SL of every position that moved since the last call."""
    moved, v.moved = v.moved, set()
    for user, coin in sorted(moved):
        position = v.users[user].positions.get(coin, Decimal(0))
        for o in open_stops(v, user, coin):
            closes = (position > 0 and not o.is_buy) or (position < 0 and o.is_buy)
            if not closes:
                v.cancel_core(o, CLOSED)
            elif abs(position) != o.orig_sz:
                _resize(v, o, abs(position))


__all__ = ["CLOSED", "follow", "invalid", "open_stops", "replace_older"]
