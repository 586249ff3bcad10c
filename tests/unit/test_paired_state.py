"""The paired order's state machine on its own: done, failed, leg risk (refused, cancelled, timed out,
partial), unwind and complete plans, a failed recovery back to leg risk."""

from __future__ import annotations

from decimal import Decimal

from core.model import OrderStatus, OrderType, Side
from core.orders.paired import Leg, PairedOrder, PairState

D = Decimal
T = 1000


def pair() -> PairedOrder:
    legs = Leg("BTCUSDT", Side.BUY, D(1)), Leg("BTCUSDT.HL", Side.SELL, D(1))
    return PairedOrder("p1", "BTCUSDT", *legs, 0, T, busy=False)


def state(p: PairedOrder) -> PairState:
    """The state now (a call, so the type checker does not narrow it across steps)."""
    return p.state


def sent_both(p: PairedOrder) -> None:
    p.sent(p.a, "a1", True)
    p.sent(p.b, "b1", True)


def test_both_filled_is_done() -> None:
    p = pair()
    sent_both(p)
    assert not p.evaluate(1) and state(p) == PairState.WORKING
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.order_update("b1", OrderStatus.FILLED, D(1))
    assert p.evaluate(2) and state(p) == PairState.DONE


def test_both_refused_is_failed_with_nothing_to_do() -> None:
    p = pair()
    p.sent(p.a, "", False, "max_order_notional: too big")
    p.sent(p.b, "", False, "max_order_notional: too big")
    p.evaluate(0)
    assert state(p) == PairState.FAILED and "too big" in p.note
    assert p.unwind_requests() == [] and p.complete_request() is None


def test_one_refused_one_filled_is_leg_risk_at_once() -> None:
    p = pair()
    p.sent(p.a, "a1", True)
    p.sent(p.b, "", False, "price_band: far")
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.evaluate(1)
    assert state(p) == PairState.LEG_RISK and p.note == "LEG RISK BTCUSDT.HL 0/1: price_band: far"
    [(leg, req)] = p.unwind_requests()
    assert leg is p.a and req.side == Side.SELL and req.reduce_only and req.qty == 1
    assert req.order_type == OrderType.MARKET and req.source == "paired"
    planned = p.complete_request()
    assert planned is not None and planned[0] is p.b
    assert planned[1].side == Side.SELL and planned[1].qty == 1 and not planned[1].reduce_only


def test_unfilled_leg_is_leg_risk_only_after_the_timeout() -> None:
    p = pair()
    sent_both(p)
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.evaluate(T - 1)
    assert state(p) == PairState.WORKING
    p.evaluate(T)
    assert state(p) == PairState.LEG_RISK and "not filled in time" in p.note
    assert p.working_links() == ["b1"]


def test_partial_fill_cancelled_completes_the_difference_and_unwinds_both() -> None:
    p = pair()
    sent_both(p)
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.order_update("b1", OrderStatus.CANCELLED, D("0.4"), "cancelled by the venue")
    p.evaluate(1)
    assert state(p) == PairState.LEG_RISK
    planned = p.complete_request()
    assert planned is not None and planned[1].qty == D("0.6")
    assert sorted(r.qty for _, r in p.unwind_requests()) == [D("0.4"), D(1)]


def test_unwind_flat_is_unwound_and_a_failed_unwind_is_leg_risk_again() -> None:
    p = pair()
    p.sent(p.a, "a1", True)
    p.sent(p.b, "", False, "refused")
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.evaluate(1)
    p.start_unwind()
    p.unwind_sent(p.a, "u1", True)
    p.evaluate(2)
    assert state(p) == PairState.UNWINDING
    p.order_update("u1", OrderStatus.CANCELLED, D(0), "no liquidity")
    p.evaluate(3)
    assert state(p) == PairState.LEG_RISK and "holds 1" in p.note and "no liquidity" in p.note
    p.start_unwind()
    p.unwind_sent(p.a, "u2", True)
    p.order_update("u2", OrderStatus.FILLED, D(1))
    p.evaluate(4)
    assert state(p) == PairState.UNWOUND and p.a.holding == 0


def test_complete_filled_is_done() -> None:
    p = pair()
    p.sent(p.a, "a1", True)
    p.sent(p.b, "", False, "refused")
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.evaluate(1)
    p.start_complete()
    p.sent(p.b, "c1", True)
    p.evaluate(2 * T)  # past the first send's deadline: the complete's order is still waited for
    assert state(p) == PairState.COMPLETING
    p.order_update("c1", OrderStatus.FILLED, D(1))
    p.evaluate(3)
    assert state(p) == PairState.DONE


def test_unknown_links_are_not_this_pairs() -> None:
    p = pair()
    sent_both(p)
    assert not p.order_update("zz", OrderStatus.FILLED, D(1))
    assert p.links() == {"a1", "b1"}


def test_a_pair_being_sent_is_not_judged_until_every_answer_is_in() -> None:
    p = pair()
    p.busy = True  # no leg sent yet: nothing filled, nothing working — not a failure
    assert not p.evaluate(T * 2) and state(p) == PairState.WORKING
    p.sent(p.a, "a1", True)
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.sent(p.b, "b1", True)
    p.busy = False
    p.evaluate(1)
    assert state(p) == PairState.WORKING


def test_a_log_line_says_the_state_once() -> None:
    p = pair()
    assert p.describe() == "working"
    sent_both(p)
    p.order_update("a1", OrderStatus.FILLED, D(1))
    p.order_update("b1", OrderStatus.REJECTED, D(0))
    p.evaluate(2)
    assert state(p) == PairState.LEG_RISK
    assert p.describe().startswith("LEG RISK BTCUSDT") and p.describe().count("LEG RISK") == 1
    p.state, p.note = PairState.DONE, "both legs filled"
    assert p.describe() == "done: both legs filled"
