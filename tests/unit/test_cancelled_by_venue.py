"""Orders a cancel-all's reply lists are finished at once: a push delayed behind the reply (the
order's older ``New``) never brings one back as working.

Found by the soak: a cancel-all cancelled a limit order, a delayed ``New`` push put it back among
the working orders, a worker then sent a cancel for it, the reply was lost, and the lookup (the
order ``Cancelled``) was reported as that cancel's success.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core.account import AccountState
from core.events import OrderUpdated
from core.model import Order, OrderStatus, OrderType, Side


def _order(link: str, status: OrderStatus = OrderStatus.NEW, updated: int = 1_000) -> Order:
    return Order(
        "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.007"), Decimal("93433.1"), link,
        status=status, created_ms=1_000, updated_ms=updated,
    )  # fmt: skip


def test_a_listed_order_leaves_the_working_orders_and_a_late_open_push_cannot_return_it() -> None:
    state = AccountState()
    state.apply_order(_order("a"), 1_000)
    state.apply_order(_order("b"), 1_000)
    events = state.cancelled_by_venue(["a"], 2_000)
    assert [e.order.order_link_id for e in events if isinstance(e, OrderUpdated)] == ["a"]
    assert events[0].order.status is OrderStatus.CANCELLED  # type: ignore[attr-defined]
    assert list(state.orders) == ["b"]
    # the order's own New push, delayed behind the cancel-all's reply
    assert state.apply_order(_order("a", updated=1_500), 2_100) == []
    assert "a" not in state.orders
    # its final push still lands (a fill racing the cancel-all would show here)
    filled = replace(_order("a", OrderStatus.FILLED, 1_600), filled_qty=Decimal("0.007"))
    assert state.apply_order(filled, 2_200) != []


def test_an_id_the_engine_never_saw_is_remembered_as_finished() -> None:
    state = AccountState()
    assert state.cancelled_by_venue(["x"], 2_000) == []
    assert state.apply_order(_order("x"), 2_100) == []
    assert state.orders == {}
