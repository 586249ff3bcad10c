"""The soak's oracle catches what it exists to catch.

Each test hands the oracle a small venue history, journal and result log with one known defect
(the shapes issue 10 found: a cancel reported rejected that the venue applied, an order the
journal calls risk-rejected that the venue holds, a sixth open order against a limit of five...)
and checks it is flagged; the same history without the defect passes. The journal is written by
the real :class:`core.journal.journal.Journal`, so the oracle reads the format the engine writes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bench.soak_limits import check_open_orders, check_order_notional, check_positions
from bench.soak_oracle import (
    Command,
    Intent,
    Venue,
    check_final,
    check_ids,
    check_intents,
    check_panics,
    check_reports,
    read_journal,
)
from core.journal.journal import Journal


def order(link: str, status: str = "New", **kw: Any) -> dict[str, Any]:
    """A venue order as /v5/order/history lists it (only the fields the oracle reads)."""
    base = {
        "orderLinkId": link,
        "symbol": "BTCUSDT",
        "side": "Buy",
        "orderType": "Limit",
        "orderStatus": status,
        "cancelType": "UNKNOWN",
        "qty": "0.010",
        "price": "60000.0",
        "triggerPrice": "0.0",
        "cumExecQty": "0",
        "avgPrice": "",
        "reduceOnly": False,
        "createdTime": "1000",
        "updatedTime": "1000",
    }
    return base | kw


def execution(t: int, side: str, qty: str, price: str = "60000.0", link: str = "x") -> dict[str, Any]:
    """A venue execution."""
    return {
        "symbol": "BTCUSDT",
        "side": side,
        "execQty": qty,
        "execPrice": price,
        "execTime": str(t),
        "orderLinkId": link,
    }


def venue(orders: list[dict[str, Any]], execs: list[dict[str, Any]] | None = None) -> Venue:
    return Venue(orders, execs or [], {}, Decimal("100000"))


def cmd(cid: str, name: str, t0: int, t1: int, args: dict[str, Any], **end: Any) -> Command:
    """A completed command."""
    return Command(cid, name, 1, t0, args, {"t": t1, "ok": True, "message": "", **end})


# --- ids and intents -----------------------------------------------------------------------------
def test_duplicate_client_id_and_orphan_order_are_flagged() -> None:
    intents = {"a": Intent("a", "BTCUSDT", "soak", False, "acked")}
    dup, orphan = check_ids(venue([order("a"), order("a"), order("b")]), intents)
    assert (dup.violations, orphan.violations) == (1, 1)
    assert "b" in orphan.examples[0]
    clean = check_ids(venue([order("a")]), intents)
    assert [f.violations for f in clean] == [0, 0]


def test_intent_rejected_by_risk_but_on_the_venue_is_flagged() -> None:
    intents = {
        "r": Intent("r", "BTCUSDT", "soak", False, "risk_rejected"),
        "k": Intent("k", "BTCUSDT", "soak", False, "acked"),
        "u": Intent("u", "BTCUSDT", "soak", False, "unresolved"),
    }
    maps, unresolved = check_intents(venue([order("r")]), intents)
    assert maps.violations == 2  # r is on the venue; k, acked, is not
    assert unresolved.violations == 1
    maps, unresolved = check_intents(
        venue([order("k"), order("u")]), intents | {"u": Intent("u", "", "", False, "found")}
    )
    assert (maps.violations, unresolved.violations) == (0, 0)


def test_journal_verdicts_from_the_real_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        j.record_many(
            [
                ("intent", "BTCUSDT", "rej", {"source": "soak:1:0:1"}),
                ("risk_decision", "BTCUSDT", "rej", {"approved": False, "check": "max_open_orders"}),
            ]
        )
        j.record("intent", symbol="BTCUSDT", order_link_id="ok", source="soak:1:0:2")
        j.record("request", symbol="BTCUSDT", order_link_id="ok", attempt=1)
        j.record("ack", symbol="BTCUSDT", order_link_id="ok", order_id="1")
        j.record("ack", symbol="BTCUSDT", order_link_id="ok", action="cancel")
        j.record("intent", symbol="BTCUSDT", order_link_id="gone", source="soak:1:0:3")
        j.record("reconcile", symbol="BTCUSDT", order_link_id="gone", found=False, resolved=True)
        j.record("intent", symbol="BTCUSDT", order_link_id="cut", source="soak:1:0:4")
        j.record("request", symbol="BTCUSDT", order_link_id="cut", attempt=1)
        j.record("reconcile", symbol="BTCUSDT", order_link_id="cut", found=False)
    got = {k: (v.outcome, v.source) for k, v in read_journal(path).items()}
    assert got == {
        "rej": ("risk_rejected", "soak:1:0:1"),
        "ok": ("acked", "soak:1:0:2"),
        "gone": ("never_reached", "soak:1:0:3"),
        "cut": ("unresolved", "soak:1:0:4"),  # found: false keeps it open, as Journal.open_intents does
    }


# --- reported outcomes -------------------------------------------------------------------------------
def test_cancel_reported_rejected_that_the_venue_applied_is_flagged() -> None:
    """Issue 10 defect 3: the cancel's reply was lost, the retry got 110001, the engine said rejected."""
    cancelled = order("a", "Cancelled", cancelType="CancelByUser", updatedTime="2050")
    c = cmd(
        "c1",
        "cancel",
        2000,
        2100,
        {"order_link_id": "a"},
        ok=False,
        message="cancel rejected: order not exists",
    )
    (f,) = check_reports(venue([cancelled]), {}, [c])
    assert f.violations == 1
    filled = order("a", "Filled", cumExecQty="0.010", updatedTime="2050")
    (f,) = check_reports(venue([filled]), {}, [c])
    assert f.violations == 0  # it really had filled: the rejection was true


def test_cancel_reported_ok_while_the_order_lived_on_is_flagged() -> None:
    later = order("a", "Cancelled", cancelType="CancelByUser", updatedTime="9000")
    c = cmd("c1", "cancel", 2000, 2100, {"order_link_id": "a"})
    (f,) = check_reports(venue([later]), {}, [c])
    assert f.violations == 1


def test_place_reported_failed_but_live_on_the_venue_is_flagged_unless_unknown() -> None:
    intents = {"a": Intent("a", "BTCUSDT", "soak:1:0:1", False, "acked")}
    failed = cmd(
        "p1",
        "place",
        1,
        2,
        {"source": "soak:1:0:1"},
        ok=False,
        message="place failed: AttributeError",
        order_link_id="a",
    )
    (f,) = check_reports(venue([order("a")]), intents, [failed])
    assert f.violations == 1
    unknown = cmd("p1", "place", 1, 2, {"source": "soak:1:0:1"}, ok=False, message="outcome unknown: timeout")
    (f,) = check_reports(venue([order("a")]), intents, [unknown])
    assert f.violations == 0
    ok_missing = cmd("p2", "place", 1, 2, {"source": "soak:1:0:2"}, order_link_id="b")
    (f,) = check_reports(venue([order("a")]), intents, [ok_missing])
    assert f.violations == 1
    # A refusal by a named check is no unknown outcome, whatever words its reason quotes.
    refused = cmd(
        "p3",
        "place",
        1,
        2,
        {"source": "soak:1:0:1"},
        ok=False,
        check="breakers",
        message="rejected by breakers: api_failures ...; last: outcome unknown: timeout",
        order_link_id="a",
    )
    (f,) = check_reports(venue([order("a")]), intents, [refused])
    assert f.violations == 1


def test_amend_reported_failed_that_the_venue_applied_is_flagged() -> None:
    args = {"order_link_id": "a", "price": "60100.0", "before_price": "60000.0"}
    failed = cmd("m1", "amend", 1, 2, args, ok=False, message="amend rejected: order not modified")
    (f,) = check_reports(venue([order("a", price="60100.0")]), {}, [failed])
    assert f.violations == 1
    (f,) = check_reports(venue([order("a", price="60000.0")]), {}, [failed])
    assert f.violations == 0
    ok = cmd("m2", "amend", 1, 2, args)
    (f,) = check_reports(venue([order("a", price="60000.0")]), {}, [ok])
    assert f.violations == 1


def test_panic_reporting_flat_while_the_venue_held_a_position_is_flagged() -> None:
    execs = [execution(100, "Buy", "0.010"), execution(200, "Sell", "0.005")]
    p = cmd("x", "panic", 150, 300, {}, flat=True, remaining=[])
    honest, flat = check_panics(venue([], execs), [p])
    assert (honest.violations, flat.violations) == (1, 0)
    execs.append(execution(250, "Sell", "0.005"))
    honest, flat = check_panics(venue([], execs), [p])
    assert honest.violations == 0


def test_final_state_mismatch_is_flagged() -> None:
    v = venue([], [execution(100, "Buy", "0.010")])
    v.positions = {"BTCUSDT": {"side": "Buy", "size": "0.010", "avgPrice": "60000"}}
    same = {
        "positions": {"BTCUSDT": {"side": "Buy", "size": "0.010", "entry": "60000"}},
        "wallet_balance": "100000",
        "open_orders": [],
    }
    (f,) = check_final(v, same)
    assert f.violations == 0
    (f,) = check_final(v, same | {"positions": {}, "wallet_balance": "99999"})
    assert f.violations == 2
    (f,) = check_final(v, None)
    assert f.violations == 1


# --- limits --------------------------------------------------------------------------------------------
def test_a_sixth_open_order_against_five_is_flagged() -> None:
    """Issue 10 defect 4: the venue reached 6 open orders against max_open_orders = 5."""
    six = [order(f"o{i}", createdTime=str(1000 + i)) for i in range(6)]
    assert check_open_orders(venue(six), 5).violations == 1
    # One closed the very millisecond the sixth arrived: never more than five at once.
    five = [*six[:5], order("o5", createdTime="1004")]
    five[0] = order("o0", "Cancelled", createdTime="1000", updatedTime="1004")
    assert check_open_orders(venue(five), 5).violations == 0


def test_filled_on_arrival_never_counts_as_open() -> None:
    orders = [order(f"m{i}", "Filled", createdTime="1000", updatedTime="1000") for i in range(10)]
    assert check_open_orders(venue(orders), 1).violations == 0


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20), st.booleans()), max_size=30))
def test_open_order_peak_equals_a_brute_force_count(spans: list[tuple[int, int, bool]]) -> None:
    orders = []
    for i, (start, length, still_open) in enumerate(spans):
        status = "New" if still_open else "Cancelled"
        orders.append(order(f"o{i}", status, createdTime=str(start), updatedTime=str(start + length)))
    f = check_open_orders(venue(orders), 10_000)

    def live_at(t: int) -> int:
        return sum(1 for s, n, live in spans if n > 0 or live if s <= t and (live or t < s + n))

    peak = max((live_at(s) for s, n, live in spans if n > 0 or live), default=0)
    assert f.note == f"peak {peak} of max 10000"


def test_notional_caps() -> None:
    big = order("a", qty="0.100", price="60000.0")  # 6,000 > 5,000
    assert check_order_notional(venue([big]), Decimal(5000), Decimal("0.05")).violations == 1
    # The same size against an existing short position only reduces it: exempt, as in the chain.
    short = [execution(500, "Sell", "0.200")]
    assert check_order_notional(venue([big], short), Decimal(5000), Decimal("0.05")).violations == 0
    execs = [execution(100, "Buy", "0.2"), execution(200, "Buy", "0.1")]  # 18,000 after the second fill
    pos, gross = check_positions(venue([], execs), Decimal(15000), Decimal(100000), Decimal("0.05"))
    assert (pos.violations, gross.violations) == (1, 0)
