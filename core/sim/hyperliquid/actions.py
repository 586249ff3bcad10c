"""``POST /exchange``: the envelope (signature, signer, nonce) and each L1 action on the venue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.sim._common import SimError
from core.sim.hyperliquid import orders, position_tpsl, rules
from core.sim.hyperliquid.records import HlOrder
from core.sim.hyperliquid.rules import BY_COIN
from core.sim.hyperliquid.signing import SignatureError, checksum, recover_signer
from core.sim.hyperliquid.venue import HlVenue

Reply = dict[str, Any]
ADDRESS_LEN = 42
"""``0x`` and 40 hex digits."""
CORE_UNCHANGED = 10001
"""The core's code for an amend that changes nothing (a modify to the same values is fine here)."""
CORE_LEVERAGE_UNCHANGED = 110043
CORE_ORDER_CLOSED = 110008
MIN_SCHEDULE_AHEAD_MS = 5000
MAX_SCHEDULE_TRIGGERS = 10
DAY_MS = 86_400_000


class Malformed(Exception):
    """The body does not deserialize into an action (HTTP 422, as Hyperliquid answers)."""


def err(message: str) -> Reply:
    """A whole-action failure."""
    return {"status": "err", "response": message}


def ok(kind: str, statuses: list[object] | None = None) -> Reply:
    """A success envelope; ``statuses`` for the batch types."""
    if statuses is None:
        return {"status": "ok", "response": {"type": kind}}
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


def _int(body: Mapping[str, Any], key: str, required: bool = True) -> int | None:
    v = body.get(key)
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise Malformed(f"{key} must be an integer")
    return v


def handle(v: HlVenue, body: object) -> Reply:
    """One ``/exchange`` request: authenticate, check the nonce, run the action."""
    if not isinstance(body, Mapping) or not isinstance(body.get("action"), Mapping):
        raise Malformed("body must be an object with an action")
    action: Mapping[str, Any] = body["action"]
    nonce = _int(body, "nonce")
    expires = _int(body, "expiresAfter", required=False)
    vault = body.get("vaultAddress")
    if vault is not None and not (isinstance(vault, str) and len(vault) == ADDRESS_LEN):
        raise Malformed("vaultAddress invalid")
    kind = action.get("type")
    if kind not in HANDLERS:
        raise Malformed(f"unknown action type {kind!r}")
    assert nonce is not None
    try:
        signer = recover_signer(action, body.get("signature"), vault, nonce, expires)
    except SignatureError as exc:
        return err(str(exc))
    user = v.user_of(signer)
    if user is None:
        return err(f"L1 error: User or API Wallet {checksum(signer)} does not exist.")
    if vault is not None:
        return err(f"L1 error: Vault {vault} does not exist.")
    now = v.now_ms()
    if expires is not None and expires < now:
        return err(f"Action expired: expiresAfter {expires} is before now {now}")
    refused = v.nonces.check(signer, nonce, now)
    if refused is not None:
        return err(refused)
    v.nonces.use(signer, nonce)
    return HANDLERS[str(kind)](v, user, action)


def _order(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    wires = a.get("orders")
    grouping = a.get("grouping", "na")
    if not isinstance(wires, list) or not wires or grouping not in ("na", "normalTpsl", "positionTpsl"):
        return err("Order has invalid grouping or no orders.")
    if "builder" in a:
        return err("Builder fee has not been approved.")
    if grouping != "na" and any(not (isinstance(w, Mapping) and w.get("r") is True) for w in wires[1:]):
        return err("TP/SL orders must be reduce-only.")
    if grouping == "positionTpsl" and position_tpsl.invalid(wires):
        return err("Position TP/SL orders must be reduce-only TP/SL triggers.")
    statuses: list[object] = []
    parent = None
    for i, w in enumerate(wires):
        if not isinstance(w, Mapping):
            raise Malformed("order wire must be an object")
        st, rec = orders.place(v, user, w)
        if i == 0:
            parent = rec
        if grouping == "positionTpsl" and rec is not None:
            _bind(v, user, rec)
        elif grouping != "na" and i > 0 and isinstance(st, dict) and "resting" in st:
            filled = parent is not None and parent.status == "filled"
            st = "waitingForTrigger" if filled else "waitingForFill"
        statuses.append(st)
    return ok("order", statuses)


def _bind(v: HlVenue, user: str, rec: HlOrder) -> None:
    """A position TP/SL: bound to the position, replacing the one of its kind before it."""
    rec.position_tpsl = True
    asset = BY_COIN.get(rec.coin)
    if asset is not None and rec.is_open:
        position_tpsl.replace_older(v, user, asset, rec)


def _cancel(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    items = a.get("cancels")
    if not isinstance(items, list) or not items:
        return err("No cancels.")
    by_cloid = a.get("type") == "cancelByCloid"
    statuses: list[object] = []
    for c in items:
        if not isinstance(c, Mapping):
            raise Malformed("cancel must be an object")
        asset = v.asset(c.get("asset") if by_cloid else c.get("a"))
        key = str(c.get("cloid", "")).lower() if by_cloid else c.get("o")
        o = v.find(user, asset, key) if asset is not None else None
        done = o is not None and o.is_open and v.cancel_core(o)
        statuses.append("success" if done else {"error": rules.ERR_CANCEL_MISS})
    return ok("cancel", statuses)


def _modify_one(v: HlVenue, user: str, m: Mapping[str, Any]) -> object:
    w = m.get("order")
    if not isinstance(w, Mapping):
        raise Malformed("modify needs an order")
    asset = v.asset(w.get("a"))
    o = v.find(user, asset, m.get("oid")) if asset is not None else None
    if o is None or not o.is_open:
        return {"error": rules.ERR_MODIFY_MISS}
    try:
        _, new = orders.parse_wire(v, user, w)
    except orders.OrderError as exc:
        return {"error": exc.message}
    if (
        new.is_buy != o.is_buy
        or new.reduce_only != o.reduce_only
        or (new.trigger_px is None) != (o.trigger_px is None)
    ):
        return {"error": "Cannot modify side, reduce-only or order type."}
    assert asset is not None
    params: dict[str, object] = {"category": "linear", "symbol": asset.symbol, "orderLinkId": o.link}
    params["qty"] = f"{new.orig_sz:f}"
    if new.trigger_px is not None:
        params["triggerPrice"] = f"{new.trigger_px:f}"
    if new.trigger_px is None or not new.is_market:
        core_px = orders.core_params(v, asset, new).get("price")
        params["price"] = core_px
    # The new values are the record's before the core amends: the core's order push (an
    # ``orderUpdates`` for the user) is made from this record and must carry them.
    old = o.limit_px, o.orig_sz, o.trigger_px
    o.limit_px, o.orig_sz, o.trigger_px = new.limit_px, new.orig_sz, new.trigger_px
    try:
        v.core.order_amend(user, params)
    except SimError as exc:
        unchanged = exc.ret_code == CORE_UNCHANGED and "unchanged" in exc.ret_msg
        if not unchanged:
            o.limit_px, o.orig_sz, o.trigger_px = old
        if exc.ret_code == CORE_ORDER_CLOSED:
            return {"error": rules.ERR_MODIFY_MISS}
        if not unchanged:
            return {"error": orders.core_error(exc).message}
    return {"resting": {"oid": o.oid, **({"cloid": o.cloid} if o.cloid else {})}}


def _modify(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    if a.get("type") == "modify":
        st = _modify_one(v, user, a)
        return ok("default") if isinstance(st, dict) and "resting" in st else err(str(st))
    items = a.get("modifies")
    if not isinstance(items, list) or not items:
        return err("No modifies.")
    return ok("batchModify", [_modify_one(v, user, m) if isinstance(m, Mapping) else {} for m in items])


def _leverage(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    asset = v.asset(a.get("asset"))
    lev = a.get("leverage")
    if asset is None or isinstance(lev, bool) or not isinstance(lev, int):
        raise Malformed("updateLeverage needs asset and leverage")
    if not 1 <= lev <= asset.max_leverage:
        return err(f"Invalid leverage value: {lev} (max {asset.max_leverage})")
    try:
        v.core.position_set_leverage(
            user,
            {"category": "linear", "symbol": asset.symbol, "buyLeverage": str(lev), "sellLeverage": str(lev)},
        )
    except SimError as exc:
        if exc.ret_code != CORE_LEVERAGE_UNCHANGED:  # unchanged is fine on Hyperliquid
            return err(rules.ERR_MARGIN)
    v.user(user).cross[asset.coin] = a.get("isCross") is not False
    return ok("default")


def _schedule_cancel(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    t = a.get("time")
    u = v.user(user)
    if t is None:
        u.schedule_cancel_ms = None
        return ok("default")
    if isinstance(t, bool) or not isinstance(t, int):
        raise Malformed("time must be an integer")
    now = v.now_ms()
    if t < now + MIN_SCHEDULE_AHEAD_MS:
        return err("Scheduled cancel time too early, must be at least 5 seconds after current time.")
    if u.schedule_triggers.get(now // DAY_MS, 0) >= MAX_SCHEDULE_TRIGGERS:
        return err("Too many scheduled cancel triggers today (at most 10 per day).")
    u.schedule_cancel_ms = t
    return ok("default")


def _noop(v: HlVenue, user: str, a: Mapping[str, Any]) -> Reply:
    return ok("default")


HANDLERS: dict[str, Callable[[HlVenue, str, Mapping[str, Any]], Reply]] = {
    "order": _order,
    "cancel": _cancel,
    "cancelByCloid": _cancel,
    "modify": _modify,
    "batchModify": _modify,
    "updateLeverage": _leverage,
    "scheduleCancel": _schedule_cancel,
    "noop": _noop,
}
