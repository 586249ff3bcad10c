"""The soak's risk-limit oracle: the venue's own history never shows a broken limit.

The engine checks limits before it sends (``core/risk/checks.py``); this module checks the result
from the outside, on the venue's orders and executions only:

* ``max_open_orders``: the most orders the venue ever held open at once (each order is open from
  its ``createdTime`` until the ``updatedTime`` of its terminal status; at equal times closes
  count first, so an order filled on arrival never counts);
* ``max_order_notional``: qty x limit price of every order that did not only reduce a position
  when it was created (market orders: qty x average fill price);
* ``max_position_notional`` and ``max_gross_exposure``: |position| x fill price after every fill
  that grew a position, positions rebuilt from the executions.

The engine values orders at the mark price and a limit order may fill away from it, so the
notional limits allow ``tolerance`` (the price band: an order may be priced that far from mark).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from bench.soak_oracle import OPEN, Finding, Venue

_INF = 1 << 62


def check_open_orders(venue: Venue, limit: int) -> Finding:
    """The venue never held more than ``limit`` of our orders open at once."""
    f = Finding("max_open_orders")
    events: list[tuple[int, int, str]] = []
    for o in venue.orders:
        if not o.get("orderLinkId"):
            continue
        start = int(o["createdTime"])
        end = _INF if o["orderStatus"] in OPEN else int(o["updatedTime"])
        if end > start:
            events.append((start, 1, str(o["orderLinkId"])))
            events.append((end, 0, str(o["orderLinkId"])))
    events.sort()  # closes (0) before opens (1) at the same millisecond
    live: set[str] = set()
    peak = 0
    for t, is_open, link in events:
        if not is_open:
            live.discard(link)
            continue
        live.add(link)
        f.checked += 1
        peak = max(peak, len(live))
        if len(live) > limit:
            f.fail(f"{len(live)} open at {t} > {limit} (newest {link})")
    f.note = f"peak {peak} of max {limit}"
    return f


def _only_reduces(o: dict[str, Any], held: dict[str, Decimal]) -> bool:
    pos = held.get(str(o["symbol"]), Decimal(0))
    sign = 1 if o["side"] == "Buy" else -1
    return pos * sign < 0 and Decimal(str(o["qty"])) <= abs(pos)


def check_order_notional(venue: Venue, cap: Decimal, tolerance: Decimal) -> Finding:
    """No order that could add risk was worth more than ``cap``."""
    f = Finding("max_order_notional")
    worst = Decimal(0)
    held: dict[str, Decimal] = defaultdict(Decimal)
    execs, i = venue.executions, 0
    for o in sorted(venue.orders, key=lambda o: int(o["createdTime"])):
        while i < len(execs) and int(execs[i]["execTime"]) < int(o["createdTime"]):
            q = Decimal(str(execs[i]["execQty"]))
            held[str(execs[i]["symbol"])] += q if execs[i]["side"] == "Buy" else -q
            i += 1
        if not o.get("orderLinkId") or o.get("reduceOnly") or _only_reduces(o, held):
            continue
        f.checked += 1
        if o["orderType"] == "Market":
            if not o.get("avgPrice"):
                continue
            n = Decimal(str(o["qty"])) * Decimal(str(o["avgPrice"]))
            bound = cap * (1 + tolerance)
        else:
            n = Decimal(str(o["qty"])) * Decimal(str(o["price"]))
            bound = cap
        worst = max(worst, n / cap)
        if n > bound:
            f.fail(f"{o['orderLinkId']} {o['symbol']} {o['side']} {o['qty']} notional {n:.2f} > {bound:.2f}")
    f.note = f"largest {worst:.2f} of the cap"
    return f


def check_positions(venue: Venue, pos_cap: Decimal, gross_cap: Decimal, tolerance: Decimal) -> list[Finding]:
    """|position| x price and the gross exposure stay under their caps after every growing fill."""
    pos_f, gross_f = Finding("max_position_notional"), Finding("max_gross_exposure")
    size: dict[str, Decimal] = defaultdict(Decimal)
    price: dict[str, Decimal] = {}
    worst_pos = worst_gross = Decimal(0)
    for e in venue.executions:
        sym = str(e["symbol"])
        q = Decimal(str(e["execQty"])) * (1 if e["side"] == "Buy" else -1)
        before = abs(size[sym])
        size[sym] += q
        price[sym] = Decimal(str(e["execPrice"]))
        if abs(size[sym]) <= before:
            continue
        pos_f.checked += 1
        gross_f.checked += 1
        n = abs(size[sym]) * price[sym]
        gross = sum((abs(size[s]) * price[s] for s in size), Decimal(0))
        worst_pos, worst_gross = max(worst_pos, n / pos_cap), max(worst_gross, gross / gross_cap)
        if n > pos_cap * (1 + tolerance):
            pos_f.fail(f"{sym} {size[sym]} x {price[sym]} = {n:.2f} at {e['execTime']} ({e['orderLinkId']})")
        if gross > gross_cap * (1 + tolerance):
            gross_f.fail(f"gross {gross:.2f} at {e['execTime']} ({e['orderLinkId']})")
    pos_f.note = f"largest {worst_pos:.2f} of the cap"
    gross_f.note = f"largest {worst_gross:.2f} of the cap"
    return [pos_f, gross_f]


def check_limits(venue: Venue, risk: dict[str, Any]) -> list[Finding]:
    """Every limit in ``risk`` (the engine's ``[risk]`` settings for the run)."""
    tol = Decimal(str(risk.get("price_band_pct", 5))) / 100
    return [
        check_open_orders(venue, int(risk["max_open_orders"])),
        check_order_notional(venue, Decimal(str(risk["max_order_notional"])), tol),
        *check_positions(
            venue, Decimal(str(risk["max_position_notional"])), Decimal(str(risk["max_gross_exposure"])), tol
        ),
    ]
