"""The Hyperliquid front-end's own records: orders (oid, cloid, status) and fills, in Hyperliquid's shapes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from core.sim.hyperliquid.rules import wire

OPEN = "open"
CORE_OPEN = frozenset({"New", "PartiallyFilled", "Untriggered"})
TRIGGER_NAMES = {("tp", True): "Take Profit Market", ("tp", False): "Take Profit Limit",
                 ("sl", True): "Stop Market", ("sl", False): "Stop Limit"}  # fmt: skip


@dataclass(slots=True)
class HlOrder:
    """One order as Hyperliquid reports it. ``link`` names the core order it runs as."""

    oid: int
    user: str
    coin: str
    is_buy: bool
    limit_px: Decimal
    orig_sz: Decimal
    timestamp: int
    reduce_only: bool
    tif: str | None
    cloid: str | None = None
    trigger_px: Decimal | None = None
    is_market: bool = False
    tpsl: str | None = None
    status: str = OPEN
    status_ts: int = 0
    filled: Decimal = Decimal(0)
    cancel_reason: str | None = None
    """The status a cancel the front-end asks for ends in (e.g. ``scheduledCancel``)."""
    children: list[int] = field(default_factory=list)
    position_tpsl: bool = False
    """Sent with ``grouping="positionTpsl"``: bound to the position (it follows its size)."""

    @property
    def link(self) -> str:
        """The core order's client id."""
        return f"hl{self.oid}"

    @property
    def is_open(self) -> bool:
        """Resting or waiting for its trigger."""
        return self.status == OPEN

    @property
    def side(self) -> str:
        """``B`` (bid) or ``A`` (ask)."""
        return "B" if self.is_buy else "A"

    def remaining(self) -> Decimal:
        """Size not filled yet (0 once closed other than by a cancel)."""
        return Decimal(0) if self.status == "filled" else self.orig_sz - self.filled

    def basic(self) -> dict[str, object]:
        """The ``openOrders`` item."""
        d: dict[str, object] = {
            "coin": self.coin,
            "limitPx": wire(self.limit_px),
            "oid": self.oid,
            "side": self.side,
            "sz": wire(self.remaining()),
            "timestamp": self.timestamp,
        }
        return d

    def ws(self) -> dict[str, object]:
        """The ``WsBasicOrder`` of ``orderUpdates``."""
        d = self.basic()
        d["origSz"] = wire(self.orig_sz)
        if self.cloid is not None:
            d["cloid"] = self.cloid
        return d

    def frontend(self) -> dict[str, object]:
        """The ``frontendOpenOrders`` / ``orderStatus`` item."""
        d = self.basic()
        is_trigger = self.trigger_px is not None
        order_type = TRIGGER_NAMES[(self.tpsl or "sl", self.is_market)] if is_trigger else "Limit"
        cond = "N/A"
        if self.trigger_px is not None:
            above = (self.tpsl == "tp") != self.is_buy
            cond = f"Price {'above' if above else 'below'} {wire(self.trigger_px)}"
        d.update(
            {
                "children": [],
                "isPositionTpsl": self.position_tpsl,
                "isTrigger": is_trigger,
                "orderType": order_type,
                "origSz": wire(self.orig_sz),
                "reduceOnly": self.reduce_only,
                "tif": self.tif,
                "triggerCondition": cond,
                "triggerPx": wire(self.trigger_px) if self.trigger_px is not None else "0.0",
                "cloid": self.cloid,
            }
        )
        return d

    def update(self) -> dict[str, object]:
        """The ``WsOrder`` pushed on ``orderUpdates``."""
        return {"order": self.ws(), "status": self.status, "statusTimestamp": self.status_ts}


def core_status(core: str, cancel_type: str, reason: str | None) -> str:
    """Hyperliquid's order status for a core order status."""
    if core in CORE_OPEN:
        return OPEN
    if core == "Filled":
        return "filled"
    if core == "Triggered":
        return "triggered"
    if core == "Rejected":
        return "rejected"
    if reason is not None:
        return reason
    return "reduceOnlyCanceled" if cancel_type == "CancelByReduceOnly" else "canceled"


def fill_dir(start: Decimal, is_buy: bool, sz: Decimal) -> str:
    """``Open Long``, ``Close Short``, ``Long > Short``... for a fill of ``sz`` from ``start``."""
    if start > 0 and not is_buy:
        return "Close Long" if sz <= start else "Long > Short"
    if start < 0 and is_buy:
        return "Close Short" if sz <= -start else "Short > Long"
    return "Open Long" if is_buy else "Open Short"


def fill_hash(user: str, tid: int) -> str:
    """A deterministic 32-byte transaction hash for a fill."""
    return "0x" + hashlib.sha256(f"{user}:{tid}".encode()).hexdigest()
