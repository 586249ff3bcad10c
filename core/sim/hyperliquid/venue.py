"""HlVenue: the Hyperliquid front-end's state over its own instance of the sim's exchange core.

It owns the users and their agent wallets, nonces, order records (oid, cloid, status), fills in
Hyperliquid's shape, leverage modes and each user's scheduled cancel. The core's private events
(orders, executions) are turned into ``orderUpdates``, ``userFills`` and ``userEvents`` pushes for
the listeners (the WebSocket hub). Nothing here does I/O; time comes from the core's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from core.clock import Clock
from core.sim._common import SimError
from core.sim.exchange import SimExchange
from core.sim.hyperliquid.records import HlOrder, core_status, fill_dir, fill_hash
from core.sim.hyperliquid.rules import ASSETS, BY_COIN, HlAsset, wire
from core.sim.hyperliquid.signing import NonceBook

UserListener = Callable[[str, str, object], None]
"""``cb(user, channel, data)``: channel is ``orderUpdates``, ``userFills`` or ``user``."""
MAX_FILLS = 2000
SEED_SALT = 0x48_4C
"""The front-end's market runs on ``seed ^ SEED_SALT``: its own prices, not a copy of Bybit's."""
FIRST_OID = 1000


@dataclass
class HlUser:
    """One account: fills, leverage modes, the dead-man's switch."""

    address: str
    fills: list[dict[str, object]] = field(default_factory=list)
    positions: dict[str, Decimal] = field(default_factory=dict)
    """Signed size per coin, as the fills have built it (for ``startPosition`` and ``dir``)."""
    cross: dict[str, bool] = field(default_factory=dict)
    schedule_cancel_ms: int | None = None
    schedule_triggers: dict[int, int] = field(default_factory=dict)
    """UTC day number -> scheduled cancels triggered that day."""


class HlVenue:
    """The Hyperliquid sim's state. Call it only from the server's loop."""

    def __init__(
        self,
        *,
        seed: int,
        clock: Clock,
        agents: Mapping[str, str],
        starting_balance: Decimal = Decimal("100000"),
    ) -> None:
        """``agents`` maps a signer address (an agent wallet, or a user's own key) to its user."""
        self.clock = clock
        self.core = SimExchange(
            seed=seed ^ SEED_SALT,
            clock=clock,
            starting_balance=starting_balance,
            symbols=[a.symbol for a in ASSETS],
        )
        self.agents = {k.lower(): v.lower() for k, v in agents.items()}
        self.users: dict[str, HlUser] = {}
        for user in set(self.agents.values()):
            self.user(user)
        self.nonces = NonceBook()
        self.orders: dict[int, HlOrder] = {}
        self.by_cloid: dict[tuple[str, str], HlOrder] = {}
        self._next_oid = FIRST_OID
        self._next_tid = 1
        self._listeners: list[UserListener] = []
        self.moved: set[tuple[str, str]] = set()
        """(user, coin) of every position a fill moved since position TP/SL last followed them."""
        self.core.add_private_listener(self._on_core)

    # --- users, ids, listeners ----------------------------------------------------------------
    def now_ms(self) -> int:
        """Milliseconds from the clock."""
        return self.clock.now_ms()

    def user(self, address: str) -> HlUser:
        """The user (created, with the starting balance, on first use)."""
        address = address.lower()
        u = self.users.get(address)
        if u is None:
            u = HlUser(address)
            self.users[address] = u
            self.core.ensure_account(address)
        return u

    def user_of(self, signer: str) -> str | None:
        """The user a signer acts for, or None if the key is not registered."""
        return self.agents.get(signer.lower())

    def new_oid(self) -> int:
        """The next order id."""
        oid = self._next_oid
        self._next_oid += 1
        return oid

    def add_listener(self, cb: UserListener) -> None:
        """Register ``cb(user, channel, data)`` for user pushes."""
        self._listeners.append(cb)

    def _push(self, user: str, channel: str, data: object) -> None:
        for cb in self._listeners:
            cb(user, channel, data)

    def asset(self, index: object) -> HlAsset | None:
        """The perp with this asset id."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(ASSETS):
            return None
        return ASSETS[index]

    def find(self, user: str, asset: HlAsset, oid: object) -> HlOrder | None:
        """The user's order by oid (int) or cloid (``0x`` string) on ``asset``."""
        o = self.by_cloid.get((user, oid.lower())) if isinstance(oid, str) else None
        if isinstance(oid, int) and not isinstance(oid, bool):
            o = self.orders.get(oid)
        if o is None or o.user != user or o.coin != asset.coin:
            return None
        return o

    # --- the market -----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the market one tick, then fire any due scheduled cancel."""
        self.core.step()
        self.fire_scheduled(self.now_ms())

    def fire_scheduled(self, now: int) -> None:
        """Cancel every open order of each user whose scheduled cancel time has come."""
        for u in self.users.values():
            if u.schedule_cancel_ms is None or u.schedule_cancel_ms > now:
                continue
            u.schedule_cancel_ms = None
            day = now // 86_400_000
            u.schedule_triggers[day] = u.schedule_triggers.get(day, 0) + 1
            for o in [o for o in self.orders.values() if o.user == u.address and o.is_open]:
                self.cancel_core(o, "scheduledCancel")

    def cancel_core(self, o: HlOrder, reason: str | None = None) -> bool:
        """Cancel ``o`` on the core; False if the core has it closed already."""
        asset = BY_COIN[o.coin]
        o.cancel_reason = reason
        try:
            self.core.order_cancel(
                o.user, {"category": "linear", "symbol": asset.symbol, "orderLinkId": o.link}
            )
        except SimError:
            o.cancel_reason = None
            return False
        return True

    # --- core events -> Hyperliquid pushes -------------------------------------------------------
    def _on_core(self, user: str, topic: str, items: list[dict[str, object]]) -> None:
        if topic == "order":
            updates = [u for u in (self._order_event(it) for it in items) if u is not None]
            if updates:
                self._push(user, "orderUpdates", updates)
        elif topic == "execution":
            fills = [self._fill(user, it) for it in items]
            fills = [f for f in fills if f is not None]
            if fills:
                self._push(user, "userFills", {"user": user, "fills": fills})
                self._push(user, "user", {"fills": fills})

    def _record_of(self, item: Mapping[str, object]) -> HlOrder | None:
        link = str(item.get("orderLinkId") or "")
        if not link.startswith("hl"):
            return None
        return self.orders.get(int(link[2:]))

    def _order_event(self, item: Mapping[str, object]) -> dict[str, object] | None:
        o = self._record_of(item)
        if o is None:
            return None
        o.status = core_status(str(item["orderStatus"]), str(item.get("cancelType", "")), o.cancel_reason)
        o.status_ts = self.now_ms()
        return o.update()

    def _fill(self, user: str, item: Mapping[str, object]) -> dict[str, object] | None:
        o = self._record_of(item)
        if o is None:
            return None
        u = self.user(user)
        sz = Decimal(str(item["execQty"]))
        start = u.positions.get(o.coin, Decimal(0))
        u.positions[o.coin] = start + (sz if o.is_buy else -sz)
        self.moved.add((user, o.coin))
        o.filled += sz
        tid = self._next_tid
        self._next_tid += 1
        f: dict[str, object] = {
            "closedPnl": wire(Decimal(str(item["execPnl"]))),
            "coin": o.coin,
            "crossed": not bool(item["isMaker"]),
            "dir": fill_dir(start, o.is_buy, sz),
            "hash": fill_hash(user, tid),
            "oid": o.oid,
            "px": wire(Decimal(str(item["execPrice"]))),
            "side": o.side,
            "startPosition": wire(start),
            "sz": wire(sz),
            "time": int(str(item["execTime"])),
            "fee": wire(Decimal(str(item["execFee"]))),
            "feeToken": "USDC",
            "tid": tid,
        }
        if o.cloid is not None:
            f["cloid"] = o.cloid
        u.fills.append(f)
        del u.fills[:-MAX_FILLS]
        return f
