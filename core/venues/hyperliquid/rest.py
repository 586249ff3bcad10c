"""Hyperliquid perps through the official SDK (implements :class:`core.venues.base.Venue`).

Requests are built here from domain values (:mod:`.encode`), signed and posted through the SDK
(:mod:`.session`), and their replies classified (:mod:`.errors`) and read (:mod:`.parse`). Reads
and account queries are in :class:`~core.venues.hyperliquid.queries.Queries`; this module holds
the commands. Each worker thread gets its own SDK clients; the nonce guard is shared (nonces are
per signer).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from core.config import Settings
from core.endpoint_policy import assert_endpoint_matches_mode
from core.model import Mode, OrderType, TriggerBy
from core.observability.baddata import BadDataTracker
from core.orders.built import BuiltOrder
from core.resilience.errors import OrderGone, Rejected, malformed_reply
from core.venues.base import Capabilities, Feeds, FeedSink, FeedTiming, PlaceAck, RateFeedback
from core.venues.hyperliquid import encode, limits, stops
from core.venues.hyperliquid.endpoints import SIM_ACCOUNT, SIM_AGENT_KEY, rest_url
from core.venues.hyperliquid.errors import CODE_ITEM, action_statuses, classify_text, first_status
from core.venues.hyperliquid.queries import Queries
from core.venues.hyperliquid.session import HLSession, NonceGuard, wall_ms
from core.venues.hyperliquid.symbols import coin_of
from core.venues.values import BadValue

NAME = "hyperliquid"
MIN_SCHEDULE_MS = 5000
"""scheduleCancel's time must be at least this far ahead of the venue's clock when it arrives."""
SCHEDULE_SLACK_MS = 1000
"""Added to that minimum: the request's trip and the clock offset's error (a time exactly 5 s
ahead when signed is refused as too early once it reaches the venue)."""
WAITING = ("waitingForFill", "waitingForTrigger")
PRIVATE_KEY = re.compile(r"0x[0-9a-fA-F]{64}")

CAPABILITIES = Capabilities(
    name=NAME,
    client_id_max_len=encode.CLIENT_ID_MAX_LEN,
    client_id_pattern=encode.CLIENT_ID_PATTERN,
    native_tpsl=True,
    native_trailing=False,
    dead_mans_switch=True,
    dead_mans_switch_deadline=True,
    conditional_orders=True,
    rate_groups=tuple(limits.LIMITS),
    inline_calls=False,
)
"""What the adapter offers: trigger orders, position TP/SL (position stops, :mod:`.stops`) and
scheduleCancel (a deadline: re-armed inside its window); no native trailing stop."""


def is_private_key(text: str) -> bool:
    """True for a 32-byte hex private key (``0x`` + 64 hex digits)."""
    return bool(PRIVATE_KEY.fullmatch(text))


class HyperliquidVenue(Queries):
    """Blocking Hyperliquid access for one account (implements :class:`core.venues.base.Venue`).

    Keys: the mode's ``api_key`` is the account (master) address and its ``api_secret`` the agent
    wallet's private key. In sim mode ``sim.api_key``/``sim.api_secret`` are used the same way
    when the secret is a private key; with the default (Bybit sim) credentials the adapter signs
    with the sim's well-known agent key for the sim's account (``endpoints.SIM_AGENT_KEY``,
    ``SIM_ACCOUNT``), as ``python -m core.sim.hyperliquid`` registers them.
    """

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: Settings,
        *,
        now_ms: Callable[[], int] | None = None,
        bad_data: BadDataTracker | None = None,
    ) -> None:
        self.settings = settings
        self.mode = settings.mode
        self.rest_url = rest_url(settings)
        # Second mode check: Hyperliquid's endpoint for the mode (core.venues.hyperliquid.endpoints).
        assert_endpoint_matches_mode(self.mode, self.rest_url, None if self.mode is Mode.SIM else NAME)
        self.rate_table = limits.SIM_TABLE if self.mode is Mode.SIM else limits.RATE_TABLE
        self.on_rate_feedback: Callable[[RateFeedback], None] | None = None
        self.clock_offset_ms = 0
        self._wall = now_ms or wall_ms
        self._nonces = NonceGuard(lambda: self._wall() + self.clock_offset_ms)
        self._local = threading.local()
        self.bad_data = bad_data or BadDataTracker()
        address, key = settings.credentials()
        if self.mode is Mode.SIM and not is_private_key(key):  # the Bybit sim's credentials
            key = SIM_AGENT_KEY
            address = SIM_ACCOUNT
        self._key = SecretStr(key)
        self.account = address.lower()
        super().__init__()

    def set_clock_offset(self, offset_ms: int) -> None:
        """Take nonces (and the dead-man's switch time) from ``local time + offset_ms``."""
        self.clock_offset_ms = int(offset_ms)

    def now_ms(self) -> int:
        """The venue's time as this adapter knows it (local + offset)."""
        return self._wall() + self.clock_offset_ms

    def _session(self) -> HLSession:
        session: HLSession | None = getattr(self._local, "session", None)
        if session is None:
            session = HLSession(
                self.mode,
                self.rest_url,
                self._key.get_secret_value(),
                {"universe": []},
                timeout_s=self.settings.venue.timeout_s,
                nonces=self._nonces,
            )
            self._local.session = session
        return session

    # --- commands ------------------------------------------------------------------------------
    def _wire(self, order: BuiltOrder) -> dict[str, Any]:
        asset, sz_decimals = self.asset(coin_of(order.symbol))
        try:
            return encode.order_wire(order, asset, sz_decimals)
        except encode.NotEncodable as why:  # refused here: nothing was sent
            raise Rejected(CODE_ITEM, str(why), endpoint=self.endpoint_of("place")) from None

    def place(self, order: BuiltOrder) -> PlaceAck:
        """Send one order; its oid (``""`` while a grouped child waits)."""
        wire = self._wire(order)
        body = self.act("place", encode.order_action([wire]), idempotent=False)
        status = first_status(body, endpoint=self.endpoint_of("place"), idempotent=False)
        oid = self._oid_of(status)
        if oid:
            self.remember(oid, order.order_link_id)
        return PlaceAck(client_order_id=order.order_link_id, order_id=oid)

    def _oid_of(self, status: Any) -> str:
        if status in WAITING:
            return ""
        for key in ("resting", "filled"):
            inner = status.get(key) if isinstance(status, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get("oid"), int):
                return str(inner["oid"])
        self.bad_data.report(
            f"rest {self.endpoint_of('place')}",
            BadValue("status", status, "is not an order status"),
            "reply refused",
        )
        raise malformed_reply(
            f"order status {status!r}", endpoint=self.endpoint_of("place"), idempotent=False
        )

    def amend(
        self,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        """Modify a working order (Hyperliquid replaces it; the cloid stays)."""
        current = self.find_order(symbol, client_order_id)
        if current is None or not current.is_open:
            raise OrderGone(
                CODE_ITEM, f"order {client_order_id} is not open", endpoint=self.endpoint_of("amend")
            )
        new_qty = (qty if qty is not None else current.qty) - current.filled_qty
        built = BuiltOrder(
            symbol=symbol,
            side=current.side,
            order_type=current.order_type if current.trigger_price is not None else OrderType.LIMIT,
            qty=new_qty,
            price=price if price is not None else current.price,
            tif=current.time_in_force,
            reduce_only=current.reduce_only,
            tp=None,
            sl=None,
            trigger_price=trigger_price if trigger_price is not None else current.trigger_price,
            trigger_direction=current.trigger_direction,
            order_link_id=client_order_id,
            ref_price=price or current.price or Decimal(0),
        )
        action = {
            "type": "batchModify",
            "modifies": [{"oid": encode.cloid_of(client_order_id), "order": self._wire(built)}],
        }
        body = self.act("amend", action, idempotent=True)
        first_status(body, endpoint=self.endpoint_of("amend"), idempotent=True)

    def cancel(self, symbol: str, client_order_id: str) -> None:
        """Cancel one working order by its cloid."""
        asset, _ = self.asset(coin_of(symbol))
        action = {
            "type": "cancelByCloid",
            "cancels": [{"asset": asset, "cloid": encode.cloid_of(client_order_id)}],
        }
        first_status(
            self.act("cancel", action, idempotent=True), endpoint=self.endpoint_of("cancel"), idempotent=True
        )

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel every open order (Hyperliquid has no cancel-all: one batch of cancels by oid)."""
        orders = self.open_orders(symbol)
        if not orders:
            return []
        cancels = [{"a": self.asset(coin_of(o.symbol))[0], "o": int(o.order_id)} for o in orders]
        body = self.act("cancel_all", {"type": "cancel", "cancels": cancels}, idempotent=True)
        statuses = action_statuses(body, endpoint=self.endpoint_of("cancel_all"), idempotent=True)
        return [
            o.order_link_id or o.order_id for o, s in zip(orders, statuses, strict=False) if s == "success"
        ]

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Cross leverage for ``symbol`` (Hyperliquid takes whole numbers)."""
        if leverage != leverage.to_integral_value() or leverage < 1:
            raise Rejected(
                CODE_ITEM,
                f"leverage {leverage} is not a whole number >= 1",
                endpoint=self.endpoint_of("set_leverage"),
            )
        asset, _ = self.asset(coin_of(symbol))
        action = {"type": "updateLeverage", "asset": asset, "isCross": True, "leverage": int(leverage)}
        action_statuses(
            self.act("set_leverage", action, idempotent=True),
            endpoint=self.endpoint_of("set_leverage"),
            idempotent=True,
        )

    def margin_mode(self) -> str:
        """Cross (the adapter sets cross leverage)."""
        return "cross"

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        trailing_distance: Decimal | None = None,
        activation: Decimal | None = None,
    ) -> None:
        """The position's TP and/or SL (None: unchanged, 0: removed) as position stops: each a
        market trigger on the mark price for the whole position (``grouping="positionTpsl"``); the
        new one is placed before the one it replaces is cancelled."""
        endpoint = self.endpoint_of("trading_stop")
        if trailing_distance is not None:
            raise Rejected(CODE_ITEM, "Hyperliquid has no trailing stop", endpoint=endpoint)
        if trigger_by is not TriggerBy.MARK:
            why = f"Hyperliquid triggers position TP/SL on the mark price, not the {trigger_by.value}"
            raise Rejected(CODE_ITEM, why, endpoint=endpoint)
        wanted = {stops.TP: take_profit, stops.SL: stop_loss}
        before = self.stops.of(symbol)
        new = {kind: px for kind, px in wanted.items() if px is not None and px > 0}
        if new:
            self._place_stops(symbol, new)
        old = [(kind, before[kind]) for kind, px in wanted.items() if px is not None and kind in before]
        if old:
            self._cancel_stops(symbol, old, keep=set(new))

    def _place_stops(self, symbol: str, new: dict[str, Decimal]) -> None:
        endpoint = self.endpoint_of("trading_stop")
        position = next((p for p in self.positions() if p.symbol == symbol), None)
        if position is None:
            raise Rejected(CODE_ITEM, f"no open {symbol} position to protect", endpoint=endpoint)
        asset, sz_decimals = self.asset(coin_of(symbol))
        links = {kind: stops.stop_id(kind, self.now_ms()) for kind in new}
        try:
            wires = [stops.stop_wire(asset, sz_decimals, position, k, px, links[k]) for k, px in new.items()]
        except encode.NotEncodable as why:  # refused here: nothing was sent
            raise Rejected(CODE_ITEM, str(why), endpoint=endpoint) from None
        body = self.act("trading_stop", encode.order_action(wires, "positionTpsl"), idempotent=False)
        statuses = action_statuses(body, endpoint=endpoint, idempotent=False)
        for (kind, px), status in zip(new.items(), statuses, strict=False):
            if isinstance(status, dict) and "error" in status:
                raise classify_text(str(status["error"]), endpoint=endpoint, item=True)
            resting = status.get("resting") if isinstance(status, dict) else None
            oid = str(resting.get("oid", "")) if isinstance(resting, dict) else ""
            self.stops.placed(symbol, links[kind], oid, px)

    def _cancel_stops(
        self, symbol: str, old: list[tuple[str, tuple[str, str, Decimal]]], keep: set[str]
    ) -> None:
        """Cancel replaced or removed stops (one the venue replaced or closed already is gone)."""
        asset, _ = self.asset(coin_of(symbol))
        cancels = [{"asset": asset, "cloid": encode.cloid_of(link)} for _, (link, _, _) in old]
        body = self.act("trading_stop", {"type": "cancelByCloid", "cancels": cancels}, idempotent=True)
        action_statuses(body, endpoint=self.endpoint_of("trading_stop"), idempotent=True)
        for kind, _ in old:
            if kind not in keep:
                self.stops.removed(symbol, kind)

    def set_dead_mans_switch(self, window_s: int) -> None:
        """scheduleCancel ``window_s`` seconds from now (at least 6: the venue's 5 and a margin);
        a deadline, so the engine sets it again well inside the window (re-armed by each heartbeat)."""
        when = self.now_ms() + max(int(window_s) * 1000, MIN_SCHEDULE_MS + SCHEDULE_SLACK_MS)
        body = self.act("dead_mans_switch", {"type": "scheduleCancel", "time": when}, idempotent=True)
        action_statuses(body, endpoint=self.endpoint_of("dead_mans_switch"), idempotent=True)

    # --- streams -------------------------------------------------------------------------------
    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        """The SDK's WebSocket subscriptions for ``symbols`` and this account (not started)."""
        from core.venues.hyperliquid.feeds import HyperliquidFeeds  # the socket stack only when used

        return HyperliquidFeeds(
            self.rest_url,
            self.account,
            symbols,
            sink,
            timing,
            self.bad_data,
            self.client_ids,
            account_state=self.account_state,
            stops=self.stops,
        )
