"""Disconnection protection (DCP, Bybit's dead-man's switch) for the sim venue.

Bybit's rules (docs ``v5/order/dcp`` and ``v5/websocket/private/dcp``):

- ``POST /v5/order/disconnected-cancel-all`` sets a window per ``product`` (``OPTIONS`` by
  default, ``DERIVATIVES``, ``SPOT``): ``timeWindow`` seconds, an integer in [3, 300];
- DCP only triggers for private connections that subscribed a ``dcp`` topic (``dcp`` or the newer
  ``dcp.future`` / ``dcp.spot`` / ``dcp.option``); while any of them is alive nothing happens;
- the timing starts at the first disconnection; if no subscribed connection is back (and
  pinging) within the window, every active order of the product is cancelled
  (``cancelType`` ``CancelByDCP``); a reconnect within the window resets it.

A connection that stops pinging counts as disconnected ``heartbeat_timeout_ms`` after its last
ping (longer than a client's ping interval: pybit pings every 20 s). Everything runs on the
sim's clock: the exchange checks :meth:`DcpBook.due` on every market step.

The sim trades linear perpetuals only, so the ``DERIVATIVES`` window is the one that cancels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.sim._common import Params, SimError, get_str
from core.sim.accounts import Account
from core.sim.matching import Matcher

MIN_WINDOW_S = 3
MAX_WINDOW_S = 300
PRODUCTS = ("OPTIONS", "DERIVATIVES", "SPOT")
DEFAULT_PRODUCT = "OPTIONS"
DEFAULT_WINDOW_S = 10
"""The window Bybit reports before one is set."""
LINEAR_PRODUCT = "DERIVATIVES"
DCP_TOPICS = frozenset({"dcp", "dcp.future", "dcp.spot", "dcp.option"})
LINEAR_DCP_TOPICS = frozenset({"dcp", "dcp.future"})
"""The topics that protect derivatives orders (the legacy ``dcp`` protects every product)."""
DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000
CANCEL_TYPE = "CancelByDCP"
PARAM_ERROR = 10001
"""Bybit's generic "params error" retCode (the DCP page lists no code of its own)."""
_MS = 1000


@dataclass(slots=True)
class _Conn:
    """One private connection that subscribed a dcp topic."""

    last_ping_ms: int
    lost_ms: int | None = None
    """When it disconnected (None while connected)."""


@dataclass(slots=True)
class _AccountDcp:
    windows_ms: dict[str, int] = field(default_factory=dict)
    conns: dict[str, _Conn] = field(default_factory=dict)


def parse_window(params: Params) -> tuple[str, int]:
    """``(product, timeWindow seconds)`` of a set request; SimError 10001 when either is invalid."""
    product = get_str(params, "product") or DEFAULT_PRODUCT
    if product not in PRODUCTS:
        raise SimError(PARAM_ERROR, f"product invalid: {product} (OPTIONS, DERIVATIVES or SPOT)")
    raw = params.get("timeWindow")
    if raw is None or raw == "":
        raise SimError(PARAM_ERROR, "timeWindow is required")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise SimError(PARAM_ERROR, "timeWindow invalid: an integer of seconds")
    try:
        window = int(raw)
    except ValueError:
        raise SimError(PARAM_ERROR, "timeWindow invalid: an integer of seconds") from None
    if not MIN_WINDOW_S <= window <= MAX_WINDOW_S:
        raise SimError(PARAM_ERROR, f"timeWindow invalid: {window} not in [{MIN_WINDOW_S}, {MAX_WINDOW_S}]")
    return product, window


class DcpBook:
    """Every account's DCP windows and dcp-subscribed connections."""

    def __init__(self, heartbeat_timeout_ms: int | None = DEFAULT_HEARTBEAT_TIMEOUT_MS) -> None:
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        """A connection silent this long counts as lost; None: connections never go silent
        (an in-process stream is a function call, not a socket)."""
        self._accounts: dict[str, _AccountDcp] = {}
        self.triggered: dict[str, int] = {}
        """How many times DCP fired per account (for tests and stats)."""

    def _acct(self, api_key: str) -> _AccountDcp:
        acct = self._accounts.get(api_key)
        if acct is None:
            acct = self._accounts[api_key] = _AccountDcp()
        return acct

    def set_window(self, api_key: str, params: Params) -> None:
        """POST /v5/order/disconnected-cancel-all."""
        product, window = parse_window(params)
        self._acct(api_key).windows_ms[product] = window * _MS

    def window_s(self, api_key: str, product: str = LINEAR_PRODUCT) -> int | None:
        """The window set for ``product`` (None when never set)."""
        acct = self._accounts.get(api_key)
        ms = None if acct is None else acct.windows_ms.get(product)
        return None if ms is None else ms // _MS

    def alive(self, api_key: str, conn_id: str, now_ms: int) -> None:
        """A linear dcp subscription or a ping on it: the connection is alive at ``now_ms``
        (connections lost before are forgotten: a reconnect resets the window)."""
        conns = self._acct(api_key).conns
        for cid in [c for c, conn in conns.items() if conn.lost_ms is not None]:
            del conns[cid]
        conns[conn_id] = _Conn(now_ms)

    def has(self, api_key: str, conn_id: str) -> bool:
        """True when ``conn_id`` subscribed a linear dcp topic of ``api_key``."""
        acct = self._accounts.get(api_key)
        return acct is not None and conn_id in acct.conns

    def connections(self, api_key: str) -> dict[str, int | None]:
        """Each dcp-subscribed connection of ``api_key`` and when it was lost (None: connected)."""
        acct = self._accounts.get(api_key)
        return {} if acct is None else {cid: c.lost_ms for cid, c in acct.conns.items()}

    def forget(self, api_key: str, conn_id: str) -> None:
        """The connection unsubscribed dcp: it neither protects nor triggers any more (like a
        connection that never subscribed)."""
        acct = self._accounts.get(api_key)
        if acct is not None:
            acct.conns.pop(conn_id, None)

    def lost(self, api_key: str, conn_id: str, now_ms: int) -> None:
        """The connection went away: the window starts now (if it had not already)."""
        acct = self._accounts.get(api_key)
        conn = None if acct is None else acct.conns.get(conn_id)
        if conn is not None and conn.lost_ms is None:
            conn.lost_ms = now_ms

    def _gone_at(self, conn: _Conn) -> int | None:
        timeout = self.heartbeat_timeout_ms
        silent_at = None if timeout is None else conn.last_ping_ms + timeout
        if conn.lost_ms is None:
            return silent_at
        return conn.lost_ms if silent_at is None else min(conn.lost_ms, silent_at)

    def deadline_ms(self, api_key: str) -> int | None:
        """When the account's derivatives orders will be cancelled, or None (not armed, or alive).

        Armed = a DERIVATIVES window is set and at least one connection subscribed ``dcp``. The
        deadline is the last subscribed connection's loss (or silence) plus the window.
        """
        acct = self._accounts.get(api_key)
        if acct is None or not acct.conns:
            return None
        window = acct.windows_ms.get(LINEAR_PRODUCT)
        if window is None:
            return None
        gone = [self._gone_at(c) for c in acct.conns.values()]
        if None in gone:
            return None  # a connection that cannot go silent is still there
        return max(g for g in gone if g is not None) + window

    def due(self, now_ms: int) -> list[str]:
        """The accounts whose window has run out at ``now_ms``; their connections are forgotten
        (DCP fires once; a new subscription arms it again)."""
        out = []
        for key, acct in self._accounts.items():
            deadline = self.deadline_ms(key)
            if deadline is not None and deadline <= now_ms:
                out.append(key)
                acct.conns.clear()
                self.triggered[key] = self.triggered.get(key, 0) + 1
        return out

    def status(self, api_key: str) -> str:
        """``ON`` when armed for derivatives, else ``OFF`` (``dcpStatus`` of GET /v5/account/info)."""
        acct = self._accounts.get(api_key)
        return "ON" if acct is not None and LINEAR_PRODUCT in acct.windows_ms else "OFF"


def cancel_active(m: Matcher, acct: Account) -> int:
    """Cancel every active order of ``acct`` (``CancelByDCP``), pushing the order updates and the
    account's state like any cancel. Returns how many were cancelled."""
    cancelled = [o for o in list(acct.orders.values()) if o.is_open]
    for o in cancelled:
        m.cancel(o, CANCEL_TYPE)
    for spec in {o.spec.symbol: o.spec for o in cancelled}.values():
        m.push_state(acct, spec)
    return len(cancelled)
