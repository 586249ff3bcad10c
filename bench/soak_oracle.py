"""The soak's oracle: what the venue did, read from the outside, against the journal and the results.

Three independent records of one run:

* the venue's own history, read over its REST API with the sim's keys after the run (every order,
  open or closed, every execution, the positions and the wallet);
* the journal (SQLite, read directly and read-only);
* the JSONL of every command the workers ran (``begin`` before the call, ``end`` with the
  :class:`~core.api.CommandResult` after; a command cut by a kill -9 has no ``end``).

:func:`check` returns one :class:`Finding` per invariant; any non-zero ``violations`` fails the soak.
Each finding keeps a few examples so a failure names the orders involved.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pybit.unified_trading import HTTP

OPEN = frozenset({"New", "PartiallyFilled", "Untriggered", "Triggered"})
CANCELLED = frozenset({"Cancelled", "PartiallyFilledCanceled", "Deactivated"})
MAX_PAGES = 5000
SLACK_MS = 50
"""Clock slack between the engine process and the venue (same machine, same clock)."""


@dataclass
class Finding:
    """One invariant: how many cases were checked, how many broke it, and a few examples."""

    name: str
    checked: int = 0
    violations: int = 0
    examples: list[str] = field(default_factory=list)
    note: str = ""

    def fail(self, example: str) -> None:
        """Count one violation (and keep the first few examples)."""
        self.violations += 1
        if len(self.examples) < 5:
            self.examples.append(example)

    def line(self) -> str:
        """``inv_<name>: <violations> violations (<checked> checked; note)``."""
        extra = f"; {self.note}" if self.note else ""
        return f"inv_{self.name}: {self.violations} violations ({self.checked} checked{extra})"


# --- the venue ----------------------------------------------------------------------------------
@dataclass
class Venue:
    """The venue's record of the account."""

    orders: list[dict[str, Any]]
    executions: list[dict[str, Any]]
    positions: dict[str, dict[str, Any]]
    wallet_balance: Decimal | None

    def by_link(self) -> dict[str, list[dict[str, Any]]]:
        """Orders grouped by orderLinkId (venue-made orders have none and are left out)."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in self.orders:
            if o.get("orderLinkId"):
                out[str(o["orderLinkId"])].append(o)
        return out


def venue_session(rest_url: str, key: str, secret: str) -> HTTP:
    """A pybit session of the oracle's own on the venue (10006: pybit waits for the reset time)."""
    s = HTTP(testnet=False, api_key=key, api_secret=secret, retry_codes={10002, 10006}, max_retries=20)
    s.endpoint = rest_url
    return s


def _pages(call: Any, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        res = call(**params, **({"cursor": cursor} if cursor else {}))["result"]
        out.extend(res["list"])
        cursor = res.get("nextPageCursor") or ""
        if not cursor:
            return out
    raise RuntimeError(f"venue history longer than {MAX_PAGES} pages")


def read_venue(session: HTTP) -> Venue:
    """Every order (open and closed), execution, position and the USDT wallet balance."""
    opened = _pages(session.get_open_orders, category="linear", settleCoin="USDT", limit=50)
    closed = _pages(session.get_order_history, category="linear", limit=50)
    execs = _pages(session.get_executions, category="linear", limit=100)
    execs.reverse()  # oldest first
    pos = session.get_positions(category="linear", settleCoin="USDT")["result"]["list"]
    wallet = session.get_wallet_balance(accountType="UNIFIED")["result"]["list"]
    bal = None
    for acct in wallet:
        for coin in acct.get("coin", []):
            if coin.get("coin") == "USDT":
                bal = Decimal(str(coin["walletBalance"]))
    positions = {str(p["symbol"]): p for p in pos if Decimal(str(p["size"])) != 0}
    return Venue(opened + closed, execs, positions, bal)


# --- the journal and the results ---------------------------------------------------------------
@dataclass
class Intent:
    """One journaled intent and what the journal says became of it."""

    link: str
    symbol: str
    source: str
    reduce_only: bool
    outcome: str = "unresolved"
    """risk_rejected | acked | venue_rejected | never_reached | found | settled | unresolved"""


def read_journal(path: Path) -> dict[str, Intent]:
    """Intents by orderLinkId, each with the journal's verdict (read-only; the journal is closed)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT kind, symbol, order_link_id, data FROM records WHERE order_link_id != '' ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    intents: dict[str, Intent] = {}
    for kind, symbol, link, raw in rows:
        data = json.loads(raw or "{}")
        if kind == "intent":
            if link not in intents:
                intents[link] = Intent(
                    link, symbol, str(data.get("source", "")), bool(data.get("reduce_only"))
                )
            continue
        it = intents.get(link)
        if it is None or it.outcome != "unresolved":
            continue
        it.outcome = _verdict(kind, data) or it.outcome
    return intents


def _verdict(kind: str, data: dict[str, Any]) -> str | None:
    if kind == "risk_decision" and data.get("approved") is False:
        return "risk_rejected"
    if kind == "ack" and not data.get("action"):
        return "acked"
    if kind == "reject" and not data.get("action"):
        return "venue_rejected"
    if kind == "reconcile":
        if data.get("found"):
            return "found"
        if data.get("resolved"):
            return "never_reached"
    if kind in ("order_update", "fill"):
        return "settled"
    return None


@dataclass
class Command:
    """One worker command: its ``begin`` line and, unless a kill cut it, its ``end`` line."""

    id: str
    cmd: str
    gen: int
    t0: int
    args: dict[str, Any]
    end: dict[str, Any] | None = None


def read_results(path: Path) -> tuple[list[Command], list[dict[str, Any]]]:
    """Commands in call order, and the other records (ready, lag, stopped, worker_error)."""
    cmds: dict[str, Command] = {}
    other: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec["ev"] == "begin":
            cmds[rec["id"]] = Command(rec["id"], rec["cmd"], rec["gen"], rec["t"], rec["args"])
        elif rec["ev"] == "end" and rec["id"] in cmds:
            cmds[rec["id"]].end = rec
        else:
            other.append(rec)
    return list(cmds.values()), other


def is_unknown(message: str) -> bool:
    """A reported outcome that says it does not know yet (resolved later by reconciliation)."""
    m = message.lower()
    return "unknown" in m or "will reconcile" in m


# --- the checks -------------------------------------------------------------------------------------
def _live_or_filled(o: dict[str, Any]) -> bool:
    return o["orderStatus"] in OPEN or Decimal(str(o["cumExecQty"])) > 0


def check_ids(venue: Venue, intents: dict[str, Intent]) -> list[Finding]:
    """No duplicate client id; every venue order has a journaled intent."""
    dup, orphan = Finding("no_duplicate_client_id"), Finding("no_orphan_venue_order")
    for link, orders in venue.by_link().items():
        dup.checked += 1
        orphan.checked += 1
        if len(orders) > 1:
            dup.fail(f"{link}: {len(orders)} venue orders")
        if link not in intents:
            orphan.fail(
                f"{link} ({orders[0]['symbol']} {orders[0]['orderStatus']}): no intent in the journal"
            )
    return [dup, orphan]


def check_intents(venue: Venue, intents: dict[str, Intent]) -> list[Finding]:
    """Each intent maps to exactly one venue order, or to a rejection that never reached it."""
    maps, unresolved = Finding("intent_maps_to_venue"), Finding("no_intent_unresolved")
    on_venue = venue.by_link()
    counts: Counter[str] = Counter()
    for it in intents.values():
        maps.checked += 1
        unresolved.checked += 1
        counts[it.outcome] += 1
        has = it.link in on_venue
        if it.outcome == "unresolved":
            unresolved.fail(
                f"{it.link} ({it.symbol}, {it.source}): no outcome; venue {'has' if has else 'lacks'} it"
            )
        elif it.outcome in ("risk_rejected", "venue_rejected", "never_reached") and has:
            o = on_venue[it.link][0]
            maps.fail(f"{it.link}: journal says {it.outcome}, venue has it {o['orderStatus']}")
        elif it.outcome in ("acked", "found", "settled") and not has:
            maps.fail(f"{it.link}: journal says {it.outcome}, venue has no such order")
    maps.note = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return [maps, unresolved]


def _links_of(cmd: Command, intents_by_source: dict[str, list[str]]) -> list[str]:
    src = str(cmd.args.get("source", ""))
    return intents_by_source.get(src, [])


def check_reports(venue: Venue, intents: dict[str, Intent], cmds: list[Command]) -> list[Finding]:
    """Every completed command's reported outcome matches what the venue did."""
    f = Finding("reported_outcome_matches_venue")
    on_venue = venue.by_link()
    by_source: dict[str, list[str]] = defaultdict(list)
    for it in intents.values():
        by_source[it.source].append(it.link)
    last_amend: dict[str, Command] = {}
    for c in cmds:
        if c.cmd == "amend":
            last_amend[str(c.args["order_link_id"])] = c
    unknown = 0
    for c in cmds:
        if c.end is None or c.cmd in ("cancel_all", "panic"):
            continue
        f.checked += 1
        ok, msg = bool(c.end["ok"]), str(c.end.get("message", ""))
        if not ok and not c.end.get("check") and is_unknown(msg):  # a named check is a refusal
            unknown += 1
            continue
        if c.cmd == "place":
            link = str(c.end.get("order_link_id") or "") or next(iter(_links_of(c, by_source)), "")
            _check_place(f, c, link, ok, msg, on_venue.get(link, []))
        elif c.cmd == "cancel":
            link = str(c.args["order_link_id"])
            _check_cancel(f, c, ok, msg, on_venue.get(link, []))
        elif c.cmd == "amend" and last_amend.get(str(c.args["order_link_id"])) is c:
            _check_amend(f, c, ok, msg, on_venue.get(str(c.args["order_link_id"]), []))
        elif c.cmd == "close":
            for link in _links_of(c, by_source):
                if ok and link not in on_venue and intents[link].outcome not in ("risk_rejected",):
                    f.fail(f"close {c.id} ok but its order {link} is not on the venue")
    f.note = f"{unknown} reported unknown (resolved by the journal check)"
    return [f]


def _check_place(f: Finding, c: Command, link: str, ok: bool, msg: str, orders: list[dict[str, Any]]) -> None:
    if ok and not orders:
        f.fail(f"place {c.id} reported ok ({link}) but the venue has no such order")
    elif not ok and orders and _live_or_filled(orders[0]):
        o = orders[0]
        f.fail(
            f"place {c.id} reported failed ({msg[:80]}) but the venue has {link} "
            f"{o['orderStatus']} filled {o['cumExecQty']}"
        )


def _check_cancel(f: Finding, c: Command, ok: bool, msg: str, orders: list[dict[str, Any]]) -> None:
    assert c.end is not None
    link = str(c.args["order_link_id"])
    if not orders:
        if ok:
            f.fail(f"cancel {c.id} ok but the venue never had {link}")
        return
    o = orders[0]
    t = int(o["updatedTime"])
    by_us = (
        o["orderStatus"] in CANCELLED
        and o.get("cancelType") == "CancelByUser"
        and c.t0 - SLACK_MS <= t <= int(c.end["t"]) + SLACK_MS
    )
    if ok and not by_us:
        f.fail(f"cancel {c.id} ok but {link} is {o['orderStatus']} ({o.get('cancelType')}) at {t}")
    elif not ok and by_us:
        f.fail(f"cancel {c.id} reported failed ({msg[:80]}) but the venue cancelled {link} during it")


def _check_amend(f: Finding, c: Command, ok: bool, msg: str, orders: list[dict[str, Any]]) -> None:
    if not orders:
        if ok:
            f.fail(f"amend {c.id} ok but the venue never had {c.args['order_link_id']}")
        return
    o = orders[0]
    pairs = (("qty", "qty", "before_qty"), ("price", "price", "before_price"),
             ("trigger_price", "triggerPrice", "before_trigger"))  # fmt: skip
    asked = [
        (k, Decimal(str(c.args[k])), Decimal(str(o[v])), c.args.get(b)) for k, v, b in pairs if c.args.get(k)
    ]
    if not asked:
        return
    applied = all(want == have for _, want, have, _b in asked)
    changed = any(b is None or Decimal(str(b)) != want for _, want, _h, b in asked)
    if ok and not applied:
        got = ", ".join(f"{k} {h}" for k, _w, h, _b in asked)
        f.fail(f"amend {c.id} ok (last amend of {c.args['order_link_id']}) but the venue has {got}")
    elif not ok and applied and changed:
        f.fail(f"amend {c.id} reported failed ({msg[:80]}) but the venue applied it")


def positions_at(executions: Iterable[dict[str, Any]], t_ms: int) -> dict[str, Decimal]:
    """Signed position per symbol from executions up to ``t_ms`` (the account started flat)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for e in executions:
        if int(e["execTime"]) > t_ms:
            break
        q = Decimal(str(e["execQty"]))
        out[str(e["symbol"])] += q if e["side"] == "Buy" else -q
    return {s: q for s, q in out.items() if q != 0}


def check_panics(venue: Venue, cmds: list[Command]) -> list[Finding]:
    """A panic that reports flat left the venue flat; a panic that ends not flat is a failure too."""
    honest, flat = Finding("panic_report_true"), Finding("panic_ends_flat")
    for c in cmds:
        if c.cmd != "panic" or c.end is None:
            continue
        honest.checked += 1
        flat.checked += 1
        held = positions_at(venue.executions, int(c.end["t"]))
        if c.end["flat"] and held:
            honest.fail(f"panic {c.id} reported flat; venue held {held}")
        if not c.end["flat"]:
            flat.fail(f"panic {c.id} not flat: {', '.join(c.end.get('remaining', []))[:160]}")
    return [honest, flat]


def check_final(venue: Venue, state: dict[str, Any] | None) -> list[Finding]:
    """The engine's positions, balance and open orders at the end equal the venue's."""
    f = Finding("final_state_matches_venue")
    if state is None:
        f.fail("the final engine generation wrote no state")
        return [f]
    eng_pos: dict[str, Any] = state["positions"]
    for sym in sorted(set(eng_pos) | set(venue.positions)):
        f.checked += 1
        e, v = eng_pos.get(sym), venue.positions.get(sym)
        ev = (e["side"], Decimal(e["size"]), Decimal(e["entry"])) if e else ("", Decimal(0), Decimal(0))
        vv = (
            (str(v["side"]), Decimal(str(v["size"])), Decimal(str(v["avgPrice"])))
            if v
            else ("", Decimal(0), Decimal(0))
        )
        if ev != vv:
            f.fail(f"{sym}: engine {ev[0]} {ev[1]} @ {ev[2]}, venue {vv[0]} {vv[1]} @ {vv[2]}")
    f.checked += 1
    eb = Decimal(state["wallet_balance"]) if state.get("wallet_balance") else None
    if eb != venue.wallet_balance:
        f.fail(f"wallet balance: engine {eb}, venue {venue.wallet_balance}")
    f.checked += 1
    venue_open = sorted(str(o["orderLinkId"]) for o in venue.orders if o["orderStatus"] in OPEN)
    if state["open_orders"] != venue_open:
        f.fail(f"open orders: engine {state['open_orders'][:5]}, venue {venue_open[:5]}")
    exec_pos = positions_at(venue.executions, 1 << 62)
    f.checked += 1
    listed = {
        s: Decimal(str(p["size"])) * (1 if p["side"] == "Buy" else -1) for s, p in venue.positions.items()
    }
    if exec_pos != listed:
        f.fail(f"venue positions {listed} differ from its executions {exec_pos} (oracle cannot trust them)")
    return [f]
